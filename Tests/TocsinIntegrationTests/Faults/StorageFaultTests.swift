import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// The state database under storage faults: a full filesystem, a lock held by another process, a damaged file.
/// Real SQLite files, real processes; the full-filesystem case mounts a small tmpfs and so needs root.
@Suite(.serialized, .integration, .timeLimit(.minutes(5)))
struct StorageFaultTests {
    /// Whether this run may mount a small tmpfs (root, with the capability to mount): probed by mounting one.
    static func canMountTmpfs() async -> Bool {
        guard getuid() == 0, let probe = try? TemporaryDirectory(prefix: "tocsin-mount-probe") else { return false }
        defer { probe.remove() }
        guard (try? await runCommand("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tocsin-probe", probe.path]))?.status == 0 else { return false }
        _ = try? await runCommand("/bin/umount", [probe.path])
        return true
    }

    @Test(.enabled("needs root (and permission to mount a 4 MB tmpfs) to fill the state filesystem; run `make test` as root to include it") {
        await required { await canMountTmpfs() }
    })
    func aFullFilesystemRefusesNewSendsKeepsAcceptedOnesAndDeliversThemWhenSpaceReturns() async throws {
        let directory = try TemporaryDirectory(prefix: "tocsin-full")
        defer { directory.remove() }
        let state = directory.file("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try await withTmpfs(at: state, options: "size=4m,mode=0755") {
            try await fullFilesystemRounds(directory, state: state)
        }
    }

    /// Mounts a tmpfs on `path` for the length of `body`, then unmounts it, awaited (a `defer` cannot await): the
    /// folder holding it is removed only afterwards.
    private func withTmpfs(at path: String, options: String, _ body: () async throws -> Void) async throws {
        let mount = try await runCommand("/bin/mount", ["-t", "tmpfs", "-o", options, "tocsin-full", path])
        try #require(mount.status == 0, "\(mount)")
        // Lazy, and in a task of its own, so it still runs when a hang guard has cancelled the test.
        let unmount = { _ = await Task { try? await runCommand("/bin/umount", ["-l", path]) }.value }
        do {
            try await body()
        } catch {
            await unmount()
            throw error
        }
        await unmount()
    }

    /// The full-filesystem test's two rounds, on a daemon whose state folder `state` is a 4 MB tmpfs.
    private func fullFilesystemRounds(_ directory: TemporaryDirectory, state: String) async throws {
        // Each request held a second, so deliveries are still in flight (their outcome not yet recorded) when the disk fills.
        let receiver = try await offPool { try LoopbackReceiver(in: directory, plan: ["/slow": [["delay": 1]]]) }
        defer { receiver.stop() }
        var config = TestConfig(channels: [.init("slow", url: receiver.url("/slow")), .init("fast", url: receiver.url("/fast"))])
        config.deadline = "30m"
        let daemon = DaemonProcess(directory: directory, configPath: try config.write(to: directory))
        try await daemon.start()
        defer { daemon.signal(SIGKILL) }
        #expect(try await daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)

        var acknowledged: [String] = []
        func send() async throws -> CommandResult {
            let result = try await daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
            if result.status == 0, let incident = result.jsonLines.first?["incident"] as? String { acknowledged.append(incident) }
            return result
        }
        #expect(try await send().status == 0)

        // Round 1: fill the disk while the daemon runs; new sends are refused, the accepted ones finish once space returns.
        try await fill(state)
        let refused = try await sendUntilRefused(send)
        #expect(refused.status != 0 && refused.status != 3, "refused, not 'daemon unreachable'\n\(refused)")
        #expect(refused.stderr.contains("full"), "the error says the disk is full\n\(refused)")
        #expect(refused.stderr.contains("nothing was sent"), "\(refused)")
        #expect(daemon.isRunning, "a full disk does not bring the daemon down")
        let whileFull = try await daemon.ctl("status")
        #expect(whileFull.status == 0, "reading still works on a full disk\n\(whileFull)")
        // Health tells the truth (issue 13, finding 5): an empty commit used to pass on a full disk.
        let health = try await daemon.ctl("health")
        #expect(health.status == 2, "a full disk is CRITICAL\n\(health)")
        #expect(health.stdout.contains("CRITICAL: database"), "\(health.stdout)")
        // A change that cannot be audited is not made; read-only requests are still answered.
        let reload = try await daemon.ctl("reload")
        #expect(reload.status != 0 && reload.status != 3, "\(reload)")
        #expect(reload.stderr.contains("audit log"), "the refusal says why\n\(reload)")
        let acceptedBeforeRefusal = acknowledged.count
        try FileManager.default.removeItem(atPath: directory.file("state/filler"))
        for incident in acknowledged {
            let final = try await daemon.waitForFinish(incident, timeout: .seconds(120))
            #expect(final.allDelivered, "\(incident): \(final.deliveries.map { "\($0.channel) \($0.state)" })")
        }
        #expect(try await send().status == 0, "sends are accepted again once space returns")
        #expect(try await daemon.ctl("health").status != 2, "health recovers with the disk")

        // Round 2: the disk fills with deliveries in flight and tocsind is killed; nothing accepted is lost.
        #expect(try await send().status == 0)
        try await fill(state)
        _ = try await sendUntilRefused(send)
        await daemon.kill(SIGKILL)
        try FileManager.default.removeItem(atPath: directory.file("state/filler"))
        try await daemon.start()
        for incident in acknowledged {
            let final = try await daemon.waitForFinish(incident, timeout: .seconds(120))
            #expect(final.allDelivered, "\(incident): \(final.deliveries.map { "\($0.channel) \($0.state)" })")
        }
        let received = Set(receiver.requests().compactMap { $0.headers["webhook-id"] })
        for incident in acknowledged {
            let status = try await daemon.withClient { try $0.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self) }
            #expect(status.deliveries.allSatisfy { received.contains($0.id) }, "every acknowledged delivery was received")
        }
        let verify = try await daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)")
        print("FAULTS-B StorageFaultTests.full: \(acknowledged.count) sends acknowledged (\(acceptedBeforeRefusal) before the first refusal), all delivered after space returned; first refusal: \(refused.stderr.trimmingCharacters(in: .whitespacesAndNewlines))")
    }

    /// Sends until one is refused (a few WAL frames may still fit in the file's last allocated block).
    private func sendUntilRefused(_ send: () async throws -> CommandResult) async throws -> CommandResult {
        for _ in 0..<50 {
            let result = try await send()
            if result.status != 0 { return result }
        }
        throw TestSupportError("50 sends accepted on a full filesystem")
    }

    /// Fills the filesystem holding `folder` with a file named `filler`.
    private func fill(_ folder: String) async throws {
        let result = try await runCommand("/bin/dd", ["if=/dev/zero", "of=\(folder)/filler", "bs=64k"])
        guard result.stderr.contains("No space left") else { throw TestSupportError("dd did not fill \(folder): \(result)") }
    }

    @Test func aDatabaseLockedByAnotherProcessGivesAClearErrorAndLosesNothingOnceReleased() async throws {
        let bed = try await TestBed(plan: ["/slow": [["delay": 1]]]) { receiver in
            var config = TestConfig(channels: [.init("slow", url: receiver.url("/slow")), .init("fast", url: receiver.url("/fast"))])
            config.deadline = "30m"
            return config
        }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let first = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let firstIncident = try #require(first.jsonLines.first?["incident"] as? String, "\(first)")

        // Another process takes the write lock while the first send's slow delivery is in flight.
        let locker = try await DatabaseLocker(path: bed.daemon.databasePath)
        let refused = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--no-wait", "--json")
        #expect(refused.status != 0 && refused.status != 3, "\(refused)")
        #expect(refused.stderr.contains("locked by another process"), "the error names the cause\n\(refused)")
        #expect(refused.stderr.contains("nothing was sent"), "\(refused)")
        #expect(bed.daemon.isRunning)
        // Reads go on (WAL): status still answers.
        #expect(try await bed.daemon.ctl("status").status == 0)
        try await locker.release()

        let final = try await bed.daemon.waitForFinish(firstIncident, timeout: .seconds(60))
        #expect(final.allDelivered, "the delivery in flight during the lock is recorded once released")
        let second = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        #expect(second.status == 0, "\(second)")

        // Locked at start: tocsind refuses to start with the cause, then starts once the lock is released.
        await bed.daemon.stop()
        let lockedAtStart = try await DatabaseLocker(path: bed.daemon.databasePath)
        await #expect(throws: (any Error).self) { try await bed.daemon.start() }
        #expect(bed.daemon.log().contains("locked by another process"), "start-up names the cause")
        try await lockedAtStart.release()
        try await bed.daemon.start()
        let ids = Set(bed.receiver.requests().compactMap { $0.headers["webhook-id"] })
        #expect(final.deliveries.allSatisfy { ids.contains($0.id) })
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)")
        let incidents = try await bed.daemon.withClient { try $0.call(.incidentList, ListParams(limit: 50), as: [IncidentSummary].self) }
        #expect(incidents.count == 2, "the refused send left no incident behind: \(incidents.map(\.incident))")
        print("FAULTS-B StorageFaultTests.locked: refused while locked: \(refused.stderr.trimmingCharacters(in: .whitespacesAndNewlines)); the \(final.deliveries.count) deliveries in flight during the lock recorded delivered once released; refused at start while locked, started once released")
    }

    /// How each kind of damage is made to a checkpointed database file.
    enum Damage: String, CaseIterable, CustomTestStringConvertible {
        case header, pages, truncated
        var testDescription: String { rawValue }
    }

    @Test(arguments: Damage.allCases)
    func aDamagedDatabaseIsDetectedAtStartAndNeverReplaced(damage: Damage) async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        for building in ["Pavillon A", "Pavillon B"] {
            #expect(try await bed.daemon.ctl("send", "evacuation", "--set", "building=\(building)", "--yes").status == 0)
        }
        await bed.daemon.stop()
        // Everything into the main file, so the damage is the whole story (no WAL to replay).
        let checkpoint = try await runCommand("/usr/bin/env", ["sqlite3", bed.daemon.databasePath, "PRAGMA wal_checkpoint(TRUNCATE);"])
        try #require(checkpoint.status == 0, "\(checkpoint)")
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: bed.daemon.databasePath + suffix) }

        var bytes = try Data(contentsOf: URL(fileURLWithPath: bed.daemon.databasePath))
        let pageSize = 4096
        try #require(bytes.count >= 6 * pageSize, "database of \(bytes.count) bytes")
        switch damage {
        case .header:
            bytes.replaceSubrange(0..<100, with: Data(repeating: 0x5A, count: 100))
        case .pages:
            // Every page after the first two: the tables' b-trees, whichever page holds them.
            var generator = SeededGenerator(seed: 7)
            for index in (2 * pageSize)..<bytes.count { bytes[index] = UInt8.random(in: 0...255, using: &generator) }
        case .truncated:
            bytes = bytes.prefix(bytes.count / 2)
        }
        try bytes.write(to: URL(fileURLWithPath: bed.daemon.databasePath))
        let files = try FileManager.default.contentsOfDirectory(atPath: bed.directory.file("state")).filter { $0.hasPrefix("tocsin.db") }

        await #expect(throws: (any Error).self, "tocsind must not start on a damaged database") { try await bed.daemon.start() }
        #expect(bed.daemon.exitStatus.map { $0 != 0 } == true, "exit status \(String(describing: bed.daemon.exitStatus))")
        let log = bed.daemon.log()
        #expect(log.contains("damaged") || log.contains("not a database"), "a clear message\n\(log.suffix(2000))")
        #expect(log.contains("restore it from a backup"), "the message says what to do\n\(log.suffix(2000))")
        let after = try Data(contentsOf: URL(fileURLWithPath: bed.daemon.databasePath))
        #expect(after == bytes, "the damaged file is still there, byte for byte")
        let filesAfter = try FileManager.default.contentsOfDirectory(atPath: bed.directory.file("state")).filter { $0.hasPrefix("tocsin.db") }
        #expect(Set(filesAfter).subtracting(["tocsin.db-wal", "tocsin.db-shm"]) == Set(files), "no replacement database was made: \(filesAfter)")
        let reason = log.split(separator: "\n").last { $0.hasPrefix("tocsind:") }.map { String($0.prefix(160)) } ?? "?"
        print("FAULTS-B StorageFaultTests.damaged(\(damage.rawValue)): \(bytes.count) bytes, unchanged after the refused start: \(after == bytes); \(reason)")
    }
}

/// Another process (python3's sqlite3 module) holding the database's write lock: `BEGIN EXCLUSIVE` until released.
private final class DatabaseLocker {
    private let stdin = Pipe()
    private var exit: ProcessExit?

    init(path: String) async throws {
        let script = """
            import sqlite3, sys
            connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
            connection.execute("BEGIN EXCLUSIVE")
            print("LOCKED", flush=True)
            sys.stdin.read()
            connection.execute("COMMIT")
            connection.close()
            """
        let out = Pipe()
        let exit = try ChildProcess.spawn("/usr/bin/env", ["python3", "-c", script, path], standardInput: .pipe(stdin), standardOutput: .pipe(out))
        self.exit = exit
        let handle = out.fileHandleForReading
        let line = try await offPool { String(decoding: try handle.readLineRetrying(), as: UTF8.self) }
        guard line.hasPrefix("LOCKED") else {
            exit.signal(SIGTERM)
            throw TestSupportError("could not lock \(path): '\(line)'")
        }
    }

    func release() async throws {
        try stdin.fileHandleForWriting.close()
        let status = await exit?.wait() ?? -1
        guard status == 0 else { throw TestSupportError("the locking process exited \(status)") }
    }
}
