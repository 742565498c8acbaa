import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// tocsind as a systemd service: sd_notify states, socket activation, graceful stop, backups, unit checks.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct SystemdTests {
    @Test func notifiesReadyStatusWatchdogReloadingAndStoppingAtTheRightMoments() async throws {
        let notifyDirectory = try TemporaryDirectory()
        defer { notifyDirectory.remove() }
        let listener = try NotifyListener(in: notifyDirectory)
        defer { listener.close() }
        let bed = try await TestBed(environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"]) { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
        }
        defer { bed.tearDown() }

        #expect(try await listener.waitFor("READY=1"))
        #expect(listener.assignments.contains { $0.hasPrefix("STATUS=Ready: 2 templates, 1 channels") })
        #expect(try await listener.waitFor("WATCHDOG=1"), "pings while healthy, at half the interval")

        let readyBefore = listener.assignments.filter { $0 == "READY=1" }.count
        kill(try #require(bed.daemon.pid), SIGHUP)
        #expect(try await listener.waitFor("RELOADING=1"))
        #expect(try await waitUntil { listener.assignments.filter { $0 == "READY=1" }.count > readyBefore }, "READY=1 again after the reload")

        await bed.daemon.stop()
        #expect(listener.assignments.contains("STOPPING=1"))
        #expect(bed.daemon.exitStatus == 0)
        let stopping = try #require(listener.assignments.firstIndex(of: "STOPPING=1"))
        #expect(listener.assignments.firstIndex(of: "READY=1")! < stopping)
    }

    @Test func takesTheAdminSocketFromSystemd() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configPath = try TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")]).write(to: directory)
        let socketPath = directory.file("activated.sock")
        // A stand-in for systemd: bind and listen, hand the socket over as fd 3 with LISTEN_FDS/LISTEN_PID, exec.
        let launcher = """
            import os, socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o660); s.listen(64)
            os.dup2(s.fileno(), 3); os.set_inheritable(3, True)
            os.environ["LISTEN_FDS"] = "1"; os.environ["LISTEN_PID"] = str(os.getpid())
            os.execv(sys.argv[2], sys.argv[2:])
            """
        let process = try ChildProcess.spawn(
            "/usr/bin/env", ["python3", "-c", launcher, socketPath, PackagePaths.tocsind, "--config", configPath],
            logTo: directory.file("tocsind.log")
        )
        // Not waited for (a defer cannot await): the daemon ends by itself on SIGTERM.
        defer { process.signal(SIGTERM) }

        let answered = try await waitUntil {
            (try? await runCommand(PackagePaths.tocsinctl, ["status"], environment: ["TOCSIN_SOCKET": socketPath]))?.status == 0
        }
        #expect(answered)
        let logText = try String(contentsOfFile: directory.file("tocsind.log"), encoding: .utf8)
        #expect(logText.contains("admin socket inherited from systemd"), "\(logText)")
        #expect(!FileManager.default.fileExists(atPath: directory.file("state/admin.sock")), "the configured path was not bound")
    }

    @Test func sigtermDuringAFanOutToASlowReceiverLosesNothing() async throws {
        let paths = (1...4).map { "/slow\($0)" }
        let bed = try await TestBed(plan: Dictionary(uniqueKeysWithValues: paths.map { ($0, [["delay": 1.5]]) })) { receiver in
            TestConfig(channels: paths.map { .init("c\($0.suffix(1))", url: receiver.url($0)) })
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        try await bed.receiver.waitForRequests(1)

        await bed.daemon.stop()
        #expect(bed.daemon.exitStatus == 0, "a graceful stop\n\(bed.daemon.log())")
        try await bed.daemon.start()
        let final = try await bed.daemon.waitForFinish(incident)
        #expect(final.allDelivered)
        #expect(Set(bed.receiver.requests().compactMap { $0.headers["webhook-id"] }) == Set(final.deliveries.map(\.id)))
    }

    @Test func aBackupTakenDuringAFanOutRestoresAndVerifies() async throws {
        let bed = try await TestBed(plan: ["/slow": [["delay": 1]]]) { receiver in
            TestConfig(channels: [.init("slow", url: receiver.url("/slow")), .init("ops", url: receiver.url("/ops"))])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)

        let backup = try await bed.daemon.ctl("backup", "--json")
        #expect(backup.status == 0, "\(backup)")
        let backupPath = try #require(StateAccessTests.json(backup)?["path"] as? String)
        #expect(backupPath.hasPrefix(bed.directory.file("state/backups/")), "written into paths.backups: \(backupPath)")
        #expect(try await runCommand("/usr/bin/sqlite3", [backupPath, "PRAGMA integrity_check"]).stdout == "ok\n")
        #expect(try FileManager.default.attributesOfItem(atPath: backupPath)[.posixPermissions] as? Int == 0o600)
        let second = try await #require(StateAccessTests.json(try bed.daemon.ctl("backup", "--json"))?["path"] as? String)
        #expect(second != backupPath, "a backup never overwrites another")
        _ = try await bed.daemon.waitForFinish(incident)

        // Restore, as runbooks/restore-from-backup.md says: stop, replace the database, start.
        await bed.daemon.stop()
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: bed.daemon.databasePath + suffix) }
        try FileManager.default.copyItem(atPath: backupPath, toPath: bed.daemon.databasePath)
        try await bed.daemon.start()
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
        let restored = try await bed.daemon.waitForFinish(incident)
        #expect(restored.allDelivered, "deliveries unfinished at backup time are resumed after a restore")
    }

    @Test(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")), "needs systemd-analyze (Debian package systemd)"))
    func theUnitsVerifyAndTheServiceExposureIsAtMost2() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let units = PackagePaths.root.appendingPathComponent("systemd")
        for name in ["tocsind.service", "tocsind.socket"] {
            let text = try String(contentsOf: units.appendingPathComponent(name), encoding: .utf8)
                .replacingOccurrences(of: "/usr/bin/tocsind", with: PackagePaths.tocsind)
            try directory.write(name, text)
        }
        let verify = try await runCommand("/usr/bin/systemd-analyze", ["verify", directory.file("tocsind.service"), directory.file("tocsind.socket")])
        #expect(verify.status == 0, "\(verify)")
        #expect(!verify.stderr.contains("tocsind"), "no warning about our units\n\(verify.stderr)")
        let security = try await runCommand("/usr/bin/systemd-analyze", ["security", "--offline=true", directory.file("tocsind.service")])
        let line = try #require(security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 2.0, "\(line)")
    }

    /// The web console's unit: as hardened as tocsind's (issue 18, item 1), for a process that faces the network.
    @Test(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")), "needs systemd-analyze (Debian package systemd)"))
    func theWebConsoleUnitVerifiesAndItsExposureIsAtMost2() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let text = try String(contentsOf: PackagePaths.root.appendingPathComponent("systemd/tocsin-web.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/tocsin-web", with: PackagePaths.tocsinWeb)
        try directory.write("tocsin-web.service", text)
        let verify = try await runCommand("/usr/bin/systemd-analyze", ["verify", directory.file("tocsin-web.service")])
        #expect(!verify.stderr.contains("tocsin-web.service:"), "no warning about the unit\n\(verify.stderr)")
        let security = try await runCommand("/usr/bin/systemd-analyze", ["security", "--offline=true", directory.file("tocsin-web.service")])
        let line = try #require(security.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") })
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 2.0, "\(line)")
    }

    @Test func deliveriesWhoseDeadlinePassedWhileTheDaemonWasDownAreNotSentAgain() async throws {
        let bed = try await TestBed(plan: ["/hang": [["hang": true]]]) { receiver in
            var config = TestConfig(channels: [.init("hanging", url: receiver.url("/hang"), timeout: "60s")])
            config.deadline = "2s"
            return config
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        try await bed.receiver.waitForRequests(1)
        await bed.daemon.kill(SIGKILL)
        try await Task.sleep(for: .seconds(2.5))  // past the 2 s deadline: a lower bound, not a measurement

        try await bed.daemon.start()
        let final = try await bed.daemon.waitForFinish(incident)
        #expect(final.deliveries.map(\.state) == ["failed"])
        #expect(final.deliveries.first?.lastError?.contains("deadline passed while tocsind was not running") == true)
        #expect(bed.receiver.requests().count == 1, "not sent again")
    }
}

/// Logs: one line per event; syslog priority prefixes when standard error is the journal; never a secret.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct JournalLogTests {
    @Test func linesCarrySyslogPrioritiesWhenStderrIsTheJournalAndNoSecret() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: directory, plan: ["/bad": [["status": 401]]]) }
        defer { receiver.stop() }
        let secret = TestConfig.makeSecret()
        let configPath = try TestConfig(channels: [.init("bad", url: receiver.url("/bad"), secret: secret)]).write(to: directory)
        let log = directory.file("journal.log")
        // Stand-in for systemd: stderr goes to a file and JOURNAL_STREAM names that very file (device:inode).
        let script = #"exec 2>"$1"; JOURNAL_STREAM=$(stat -L -c %d:%i /proc/self/fd/2); export JOURNAL_STREAM; exec "$2" --config "$3""#
        let process = try ChildProcess.spawn("/bin/sh", ["-c", script, "sh", log, PackagePaths.tocsind, configPath])
        // Not waited for (a defer cannot await): the daemon ends by itself on SIGTERM.
        defer { process.signal(SIGTERM) }
        let socket = directory.file("state/admin.sock")
        #expect(try await waitUntil { (try? await runCommand(PackagePaths.tocsinctl, ["status"], environment: ["TOCSIN_SOCKET": socket]))?.status == 0 })

        _ = try await runCommand(PackagePaths.tocsinctl, ["drill", "evacuation", "--set", "building=Pavillon A", "--yes"], environment: ["TOCSIN_SOCKET": socket])
        let text = try String(contentsOfFile: log, encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(!lines.isEmpty)
        #expect(lines.allSatisfy { $0.hasPrefix("<") && $0.dropFirst(2).hasPrefix(">") }, "\(text)")
        #expect(lines.contains { $0.hasPrefix("<5>tocsind ready") })
        #expect(lines.contains { $0.hasPrefix("<4>delivery final") && $0.contains("delivery.state=failed") })
        #expect(!text.contains(secret) && !text.contains(String(secret.dropFirst(6).prefix(20))), "no secret in the logs")
    }

    /// The journal's stream going away (journald stopped without keeping it) must not take the daemon, and the alerts
    /// it holds, with it: a log line written to a stream nobody reads is lost, not fatal (SIGPIPE is ignored).
    @Test func aLogStreamWithNoReaderLeftDoesNotStopTheDaemon() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: directory) }
        defer { receiver.stop() }
        let configPath = try TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]).write(to: directory)
        // Nobody reads the stream from the start: the daemon's first line (logged before any socket opens, and so
        // before NIO ignores SIGPIPE for its own sockets) meets a closed pipe. `env` gives the daemon SIGPIPE's
        // default action, as a shell would (ChildProcess already resets every signal; this says so where it matters).
        let stream = Pipe()
        try stream.fileHandleForReading.close()
        let process = try ChildProcess.spawn(
            "/usr/bin/env", ["--default-signal=PIPE", PackagePaths.tocsind, "--config", configPath],
            standardOutput: .pipe(stream), standardError: .pipe(stream)
        )
        defer { process.signal(SIGTERM) }
        let socket = directory.file("state/admin.sock")
        #expect(try await waitUntil { (try? await runCommand(PackagePaths.tocsinctl, ["status"], environment: ["TOCSIN_SOCKET": socket]))?.status == 0 || process.hasExited })
        #expect(!process.hasExited, "tocsind survived its first line (status \(process.exitStatus ?? 0))")

        let drill = try await runCommand(PackagePaths.tocsinctl, ["drill", "evacuation", "--set", "building=Pavillon A", "--yes"], environment: ["TOCSIN_SOCKET": socket])
        #expect(drill.status == 0, "the drill was sent and followed to the end: \(drill)")
        #expect(!process.hasExited, "tocsind still runs (status \(process.exitStatus ?? 0))")
        #expect(receiver.requests().count == 1)
        let status = try await runCommand(PackagePaths.tocsinctl, ["status"], environment: ["TOCSIN_SOCKET": socket])
        #expect(status.status == 0, "\(status)")
    }
}
