import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// `kill -9` of `tocsind` at random (seeded) moments — mid fan-out, mid send, mid reload, mid approval — each
/// followed by a restart on the same state folder. Checks the promises that matter after a crash: every delivery
/// the daemon acknowledged is received, the audit chain verifies, and a duplicate always carries the `webhook-id`
/// (and the bytes) of its first copy.
///
/// `make test` runs a reduced pass (3 kills); `TOCSIN_FAULTS_FULL=1` (`make faults`) runs ≥ 20 kills.
/// `TOCSIN_FAULTS_SEED=N` replays a run: the seed is printed at the start and in the summary.
// The hang guard follows the pass: a few minutes for `make test`'s 3 kills, half an hour for the full 24.
@Suite(.serialized, .integration, .timeLimit(ProcessInfo.processInfo.environment["TOCSIN_FAULTS_FULL"] == "1" ? .minutes(30) : .minutes(3)))
struct CrashTests {
    static let full = ProcessInfo.processInfo.environment["TOCSIN_FAULTS_FULL"] == "1"

    @Test func kill9AtRandomMomentsLosesNoAcknowledgedDeliveryAndKeepsTheAuditChain() async throws {
        let seed = ProcessInfo.processInfo.environment["TOCSIN_FAULTS_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...999_999)
        var random = SeededGenerator(seed: seed)
        // Every kind of moment appears; the full run shuffles 24 kills (each kind at least 4 times) with the seed.
        let moments: [CrashMoment] = Self.full
            ? (CrashMoment.allCases.flatMap { Array(repeating: $0, count: 4) } + [.fanOut, .fanOut, .sendInFlight, .sendInFlight]).shuffled(using: &random)
            : [.fanOut, .reload, .approval]
        let channelCount = Self.full ? 150 : 60
        print("FAULTS-B CrashTests: seed \(seed) (replay with TOCSIN_FAULTS_SEED=\(seed)), \(moments.count) kills, \(channelCount) channels")

        let paths = (1...channelCount).map { String(format: "/c%03d", $0) }
        // Each channel's answer is held 0–400 ms (seeded), so a fan-out's outcomes come back over 0.4 s and a kill
        // finds some recorded, some in flight (the receiver records a request before answering it), some not yet sent.
        let plan = Dictionary(uniqueKeysWithValues: paths.map { path in
            (path, [["delay": Double(Int.random(in: 0...400, using: &random)) / 1000]] as [[String: Any]])
        })
        let bed = try await TestBed(plan: plan) { receiver in
            var config = TestConfig(channels: paths.map { .init("c" + $0.dropFirst(2), url: receiver.url($0)) })
            config.deadline = "30m"
            config.templates["lockdown"] = Self.lockdownTemplate(version: 0)
            return config
        }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)

        var run = CrashRun(bed: bed)
        for (index, moment) in moments.enumerated() {
            let note = try await run.crash(at: moment, index: index, random: &random, channels: channelCount)
            try await bed.daemon.start(timeout: .seconds(60))
            run.restarts += 1
            // After every restart: the chain verifies, and an approval the daemon acknowledged is still there.
            let verify = try await bed.daemon.ctl("audit", "verify")
            #expect(verify.status == 0, "kill \(index + 1) (\(moment.rawValue)): audit chain broken after restart\n\(verify)")
            if let hash = run.acknowledgedApproval {
                let templates = try await bed.daemon.withClient { try $0.call(.templateList, EmptyParams(), as: [TemplateSummary].self) }
                let lockdown = templates.first { $0.id == "lockdown" }
                #expect(lockdown?.approval == "approved" && lockdown?.contentHash == hash,
                        "kill \(index + 1): the acknowledged approval of \(hash.prefix(12)) was lost: \(String(describing: lockdown))")
                run.acknowledgedApproval = nil
            }
            print("FAULTS-B CrashTests: kill \(index + 1)/\(moments.count) \(moment.rawValue): \(note)")
        }

        // Every acknowledged incident finishes, delivered, after the last restart.
        var checked = 0
        var notDelivered: [String] = []
        for incident in run.acknowledged {
            let status = try await bed.daemon.waitForFinish(incident, timeout: .seconds(600))
            checked += status.deliveries.count
            #expect(status.deliveries.count == channelCount, "incident \(incident): \(status.deliveries.count) deliveries")
            notDelivered += status.deliveries.filter { $0.state != "delivered" }.map { "\(incident)/\($0.channel): \($0.state) \($0.lastError ?? "")" }
        }
        #expect(notDelivered.isEmpty, "acknowledged deliveries not delivered: \(notDelivered.prefix(10))")

        // What the receiver got: one identity per (channel path, incident); duplicates keep the id and the bytes.
        let requests = bed.receiver.requests()
        var copies: [String: [LoopbackReceiver.Request]] = [:]
        for request in requests {
            let incident = (request.json?["data"] as? [String: Any])?["incident"] as? String ?? "?"
            copies["\(request.path) \(incident)", default: []].append(request)
        }
        var mismatched: [String] = []
        for (key, group) in copies {
            if Set(group.map { $0.headers["webhook-id"] ?? "" }).count != 1 { mismatched.append("\(key): several webhook-ids") }
            if Set(group.map(\.body)).count != 1 { mismatched.append("\(key): different bodies") }
            if group.contains(where: { $0.headers["webhook-id"] == nil }) { mismatched.append("\(key): no webhook-id") }
        }
        #expect(mismatched.isEmpty, "duplicates must repeat the first copy's webhook-id and bytes: \(mismatched.prefix(10))")
        let receivedIDs = Set(requests.compactMap { $0.headers["webhook-id"] })
        var missing: [String] = []
        for incident in run.acknowledged {
            let status = try await bed.daemon.withClient { try $0.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self) }
            missing += status.deliveries.map(\.id).filter { !receivedIDs.contains($0) }
        }
        #expect(missing.isEmpty, "acknowledged deliveries never received: \(missing.prefix(10))")

        let audit = try await bed.daemon.ctl("audit", "verify", "--json")
        #expect(audit.status == 0, "\(audit)")
        let entries = (try? JSONSerialization.jsonObject(with: Data(audit.stdout.utf8)) as? [String: Any])?["checked"] as? Int
        let reloadsApplied = try await bed.daemon.ctl("audit", "log", "--subject", "daemon", "--limit", "10000", "--json").jsonLines.filter {
            $0["kind"] as? String == "config.reload" && ($0["detail"] as? String)?.contains("\"outcome\":\"applied\"") == true
        }.count
        #expect(reloadsApplied >= run.acknowledgedReloads, "an acknowledged reload is missing from the audit log")

        let duplicates = requests.count - copies.count
        print("""
            FAULTS-B CrashTests summary: seed \(seed); kills survived \(run.restarts) of \(moments.count) \
            (\(Dictionary(grouping: moments, by: \.rawValue).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", "))); \
            acknowledged incidents \(run.acknowledged.count), acknowledged deliveries checked \(checked), \
            requests received \(requests.count), distinct deliveries received \(copies.count), duplicates \(duplicates) \
            (all with the first copy's webhook-id and body), sends cut by a kill before acknowledgement \(run.unacknowledgedSends), \
            reloads acknowledged \(run.acknowledgedReloads), approvals acknowledged \(run.acknowledgedApprovals), \
            audit entries verified \(entries.map(String.init) ?? "?")
            """)
    }

    static func lockdownTemplate(version: Int) -> String {
        TestConfig.evacuationTemplate
            .replacingOccurrences(of: "id: evacuation", with: "id: lockdown")
            .replacingOccurrences(of: "Point de rassemblement", with: "Version \(version). Point de rassemblement")
    }
}

/// The moments a kill lands in.
enum CrashMoment: String, CaseIterable {
    /// While the receiver is getting a fan-out, after a random number of its requests arrived.
    case fanOut = "mid fan-out"
    /// While a `tocsinctl send` is being handled: before or after it is acknowledged.
    case sendInFlight = "mid send"
    /// While `tocsinctl reload` runs (a fan-out in progress too).
    case reload = "mid tocsinctl reload"
    /// Right after SIGHUP (a fan-out in progress too).
    case sighup = "mid SIGHUP reload"
    /// While `tocsinctl templates approve` runs (a fan-out in progress too).
    case approval = "mid templates approve"
}

/// What one crash run has seen, and the kill of one cycle.
private struct CrashRun {
    let bed: TestBed
    var acknowledged: [String] = []
    var unacknowledgedSends = 0
    var acknowledgedReloads = 0
    var acknowledgedApprovals = 0
    var acknowledgedApproval: String?
    var restarts = 0
    private var templateVersion = 0
    private var tail: RecordTail

    init(bed: TestBed) {
        self.bed = bed
        tail = RecordTail(path: bed.receiver.recordPath)
    }

    /// An acknowledged send (`--no-wait`): returns once the incident is durable.
    mutating func send() async throws {
        let result = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        guard result.status == 0, let incident = result.jsonLines.first?["incident"] as? String else {
            throw TestSupportError("send refused: \(result)")
        }
        acknowledged.append(incident)
    }

    /// Starts a fan-out, does what `moment` says, and kills `tocsind` with SIGKILL at a random point.
    mutating func crash(at moment: CrashMoment, index: Int, random: inout SeededGenerator, channels: Int) async throws -> String {
        let before = tail.count()
        try await send()
        let daemon = bed.daemon
        switch moment {
        case .fanOut:
            // A random moment in the fan-out's 0.4 s of answers.
            let delay = Double.random(in: 0...0.5, using: &random)
            try await Task.sleep(for: .seconds(delay))
            await daemon.kill(SIGKILL)
            // Counted from this cycle's send: the resends of the previous kill's unfinished deliveries are included.
            return String(format: "%.0f ms after the send was acknowledged (%d channels); %d requests arrived in the cycle", delay * 1000, channels, tail.count() - before)
        case .sendInFlight:
            let delay = Double.random(in: 0...0.4, using: &random)
            let background = Task { try? await daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--no-wait", "--json") }
            try await Task.sleep(for: .seconds(delay))
            await daemon.kill(SIGKILL)
            let result = await background.value
            if result?.status == 0, let incident = result?.jsonLines.first?["incident"] as? String {
                acknowledged.append(incident)
                return String(format: "%.0f ms after the send started; it was acknowledged (%@)", delay * 1000, incident)
            }
            unacknowledgedSends += 1
            return String(format: "%.0f ms after the send started; not acknowledged (exit %d)", delay * 1000, result?.status ?? -1)
        case .reload, .sighup:
            let config = try String(contentsOfFile: daemon.configPath, encoding: .utf8)
            try (config + "# reload \(index)\n").write(toFile: daemon.configPath, atomically: true, encoding: .utf8)
            let delay = Double.random(in: 0...0.4, using: &random)
            if moment == .sighup {
                guard let pid = daemon.pid else { throw TestSupportError("no daemon pid") }
                kill(pid, SIGHUP)
                try await Task.sleep(for: .seconds(delay))
                await daemon.kill(SIGKILL)
                return String(format: "%.0f ms after SIGHUP", delay * 1000)
            }
            let background = Task { try? await daemon.ctl("reload", "--json") }
            try await Task.sleep(for: .seconds(delay))
            await daemon.kill(SIGKILL)
            let result = await background.value
            if result?.status == 0 { acknowledgedReloads += 1 }
            return String(format: "%.0f ms after the reload started; %@", delay * 1000, result?.status == 0 ? "it was acknowledged" : "not acknowledged")
        case .approval:
            // New content to approve: the template changes on disk, a reload picks it up, then the approval races the kill.
            templateVersion += 1
            try bed.directory.write("templates/lockdown.yaml", CrashTests.lockdownTemplate(version: templateVersion))
            let reload = try await daemon.ctl("reload")
            guard reload.status == 0 else { throw TestSupportError("reload before approval failed: \(reload)") }
            let delay = Double.random(in: 0...0.4, using: &random)
            let background = Task { try? await daemon.ctl("templates", "approve", "lockdown", "--yes", "--json") }
            try await Task.sleep(for: .seconds(delay))
            await daemon.kill(SIGKILL)
            let result = await background.value
            if result?.status == 0,
                let object = (try? JSONSerialization.jsonObject(with: Data(result?.stdout.utf8 ?? "".utf8))) as? [String: Any],
                let hash = object["contentHash"] as? String
            {
                acknowledgedApproval = hash
                acknowledgedApprovals += 1
                return String(format: "%.0f ms after the approval started; it was acknowledged", delay * 1000)
            }
            return String(format: "%.0f ms after the approval started; not acknowledged", delay * 1000)
        }
    }
}

/// Counts the receiver's recorded lines by reading only what was appended since the last call.
private final class RecordTail {
    private let path: String
    private var offset: UInt64 = 0
    private var lines = 0

    init(path: String) { self.path = path }

    func count() -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return lines }
        defer { try? handle.close() }
        try? handle.seek(toOffset: offset)
        let data = (try? handle.readToEndRetrying()) ?? Data()
        offset += UInt64(data.count)
        lines += data.withUnsafeBytes { bytes in bytes.reduce(0) { $1 == 0x0A ? $0 + 1 : $0 } }
        return lines
    }
}
