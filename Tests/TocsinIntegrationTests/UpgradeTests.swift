import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Upgrades never break alerting: the current tocsind on databases written by earlier releases (each folder of
/// Tests/Fixtures says what happened in it): every later migration applies, the old chain and its old signatures
/// verify, the approvals made then still allow a live send, and the texts arrive whole.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct UpgradeTests {
    /// The current tocsind started on a copy of one committed release folder.
    struct Upgraded {
        let directory: TemporaryDirectory
        let receiver: LoopbackReceiver
        let daemon: DaemonProcess
        let migrationsBefore: [String]
        let migrationsAfter: [String]

        static func start(_ release: String, plan: [String: [[String: Any]]] = [:]) async throws -> Upgraded {
            let fixture = PackagePaths.root.appendingPathComponent("Tests/Fixtures/\(release)").path
            let directory = try TemporaryDirectory()
            // Read once, before the receiver starts: the plan is JSON values, not shared mutable state.
            nonisolated(unsafe) let plan = plan
            let receiver = try await offPool { try LoopbackReceiver(in: directory, plan: plan) }
            try FileManager.default.createDirectory(atPath: directory.file("state"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: fixture + "/tocsin.db", toPath: directory.file("state/tocsin.db"))
            try FileManager.default.copyItem(atPath: fixture + "/templates", toPath: directory.file("templates"))
            // Releases that kept a record of signed heads beside the database: it belongs to the state, as on a server.
            if FileManager.default.fileExists(atPath: fixture + "/audit-heads") {
                try FileManager.default.copyItem(atPath: fixture + "/audit-heads", toPath: directory.file("state/audit-heads"))
            }
            try FileManager.default.copyItem(atPath: fixture + "/audit-signing.pub", toPath: directory.file("audit-signing.pub"))
            // The old key's private half was not kept: a new key signs from now on, the old one stays trusted.
            let key = try await AuditSigningTests.KeyPair(in: directory, name: "new-signing")
            let config = try String(contentsOfFile: fixture + "/tocsin.yaml", encoding: .utf8)
                .replacingOccurrences(of: "RECEIVER_PORT", with: String(receiver.port))
                .replacingOccurrences(of: "AUDIT_SIGNING_KEY", with: key.privatePath)
            let path = try directory.write("tocsin.yaml", config)
            chmod(path, 0o640)
            let before = try await Self.migrations(directory.file("state/tocsin.db"))
            let daemon = DaemonProcess(directory: directory, configPath: path)
            try await daemon.start()
            let after = try await Self.migrations(daemon.databasePath)
            return Upgraded(directory: directory, receiver: receiver, daemon: daemon, migrationsBefore: before, migrationsAfter: after)
        }

        /// Where the fixtures' SMS channel posts (its account is the config's).
        static let smsPath = "/twilio/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json"

        /// The fixtures' SMS gateway and X answering with their own ids (`sid`, `post`).
        static func shortTextPlan(sid: String, post: String) -> [String: [[String: Any]]] {
            [
                smsPath: [["status": 201, "body": #"{"sid":"\#(sid)","status":"queued"}"#]],
                "/x/2/tweets": [["status": 201, "body": #"{"data":{"id":"\#(post)","text":"x"}}"#]],
            ]
        }

        static func migrations(_ database: String) async throws -> [String] {
            let result = try await runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", database, "SELECT identifier FROM grdb_migrations"])
            #expect(result.status == 0, "\(result)")
            return result.stdout.split(separator: "\n").map(String.init)
        }

        /// The old chain and its signatures verify, and every template approved then is approved now.
        func expectChainAndApprovalsHold() async throws {
            let verify = try await daemon.ctl("audit", "verify")
            #expect(verify.status == 0, "\(verify)")
            #expect(try await daemon.ctl("health").status != 2)
            #expect(FileManager.default.fileExists(atPath: directory.file("state/audit-heads/heads.jsonl")))
            let templates = try await daemon.withClient { try $0.call(.templateList, EmptyParams(), as: [TemplateSummary].self) }
            #expect(!templates.isEmpty && templates.allSatisfy { $0.approval == "approved" }, "\(templates.map { "\($0.id) \($0.approval)" })")
        }

        func stop() {
            daemon.signal(SIGKILL)
            receiver.stop()
            directory.remove()
        }
    }

    /// The first release's database: schema v1, signed checkpoints, approvals.
    @Test func aDatabaseOfTheFirstReleaseMigratesVerifiesAndSendsWithItsApprovals() async throws {
        let upgraded = try await Upgraded.start("release-98aadc0")
        defer { upgraded.stop() }
        #expect(upgraded.migrationsBefore == ["v1: incidents, deliveries, attempts, approvals, audit"], "the fixture is the first release's")
        #expect(upgraded.migrationsAfter.starts(with: upgraded.migrationsBefore) && upgraded.migrationsAfter.contains("v2: health probe"))
        try await upgraded.expectChainAndApprovalsHold()

        let send = try await upgraded.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
        #expect(send.status == 0, "\(send)")
        #expect(upgraded.receiver.requests(path: "/ops").count >= 1)
        #expect(try await upgraded.daemon.ctl("audit", "verify").status == 0)
    }

    /// The release before provider receipts (schema v3, shared payloads): its approvals of templates with short texts
    /// still hold (their content hashes did not move), its history still reads, and a live send, an update and an
    /// all-clear reach an SMS gateway and X on 127.0.0.1 with the assembly point and the link whole.
    @Test func aDatabaseOfTheSharedPayloadReleaseMigratesAndItsShortTextsArriveWhole() async throws {
        let sms = Upgraded.smsPath
        let upgraded = try await Upgraded.start("release-b3b7778", plan: Upgraded.shortTextPlan(sid: "SM0123456789abcdef0123456789abcdef", post: "1860000000000000001"))
        defer { upgraded.stop() }
        #expect(upgraded.migrationsBefore.last == "v3: one payload per distinct body", "the fixture is the v3 release's: \(upgraded.migrationsBefore)")
        #expect(upgraded.migrationsAfter.starts(with: upgraded.migrationsBefore))
        try await upgraded.expectChainAndApprovalsHold()
        let daemon = upgraded.daemon

        // The history written then still reads: four incidents, every delivery delivered.
        let old = try await daemon.ctl("status", "--json")
        #expect(old.status == 0, "\(old)")
        #expect(old.stdout.contains("20261205-02EE4N") && old.stdout.contains("20261205-PCTYW8"), "\(old.stdout)")
        let report = try await daemon.ctl("report", "20261205-02EE4N", "--json")
        #expect(report.status == 0 && report.stdout.contains("Stationnement P3"), "\(report)")

        // A value typed with a letter outside the SMS alphabet would turn the SMS into UCS-2 and cut it: refused,
        // nothing stored or sent, the letter named.
        let accented = try await daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon des sciences", "--set", "assembly_point=Stade Nord, porte 4 (côté", "--yes"])
        #expect(accented.status == 2, "\(accented)")
        #expect(accented.stderr.contains("'ô'") && accented.stderr.contains("UCS-2") && accented.stderr.contains("nothing was sent"), "\(accented.stderr)")
        #expect(upgraded.receiver.requests(path: sms).isEmpty && upgraded.receiver.requests(path: "/x/2/tweets").isEmpty)

        let point = "Stade Nord, porte 4 (cote"   // 25 characters: the declared max_length
        #expect(point.count == 25)
        let send = try await daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon des sciences", "--set", "assembly_point=\(point)", "--yes", "--json"])
        #expect(send.status == 0, "\(send)")
        let incident = try #require(send.jsonLines.last?["incident"] as? String, "\(send.stdout)")
        let update = try await daemon.ctl("update", incident, "evacuation", "--set", "assembly_point=Stationnement P3", "--yes")
        #expect(update.status == 0, "\(update)")
        let allClear = try await daemon.ctl("all-clear", incident, "--set", "info_url=https://cegep.example/urgence/b1", "--yes")
        #expect(allClear.status == 0, "\(allClear)")

        let texts = upgraded.receiver.requests(path: sms).compactMap { ChannelTypesTests.form($0.body)["Body"] }
        let posts = upgraded.receiver.requests(path: "/x/2/tweets").compactMap { $0.json?["text"] as? String }
        for (channel, sent) in [("SMS", texts), ("X", posts)] {
            #expect(sent.contains { $0.contains("Rassemblement : \(point)") && $0.contains("Assembly point: \(point)") }, "\(channel): \(sent)")
            #expect(sent.contains { $0.contains("Rassemblement : Stationnement P3") && $0.contains("Assembly point: Stationnement P3") }, "\(channel): \(sent)")
            #expect(sent.contains { $0.contains("https://cegep.example/urgence/b1") }, "\(channel): \(sent)")
            #expect(!sent.contains { $0.contains("…") || $0.hasSuffix("...") }, "nothing cut on \(channel): \(sent)")
        }
        #expect(try await daemon.ctl("audit", "verify").status == 0)
    }

    /// The release before audit entries named their node (schema v5): its chain of format-1 entries and their old
    /// signatures still verify with the entries this release chains after them, each of which names its node; its
    /// provider receipts and approvals still hold.
    @Test func aDatabaseOfTheLeaseReleaseMigratesAndNewEntriesNameTheirNode() async throws {
        let upgraded = try await Upgraded.start("release-eef5801", plan: Upgraded.shortTextPlan(sid: "SM00000000000000000000000000000099", post: "1860000000000000099"))
        defer { upgraded.stop() }
        #expect(upgraded.migrationsBefore.last == "v5: attempt lease generations", "the fixture is the v5 release's: \(upgraded.migrationsBefore)")
        #expect(upgraded.migrationsAfter == upgraded.migrationsBefore + ["v6: audit entry nodes", "v7: web users", "v8: send request keys"])
        try await upgraded.expectChainAndApprovalsHold()
        let daemon = upgraded.daemon

        let report = try await daemon.ctl("report", "20261206-3PPQ8J", "--json")
        #expect(report.status == 0 && report.stdout.contains("SM0000000000000000000000000000000"), "the receipts written then still read: \(report)")
        let send = try await daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        #expect(send.status == 0, "\(send)")

        let entries = try await daemon.ctl("audit", "export").jsonLines
        let old = entries.filter { ($0["seq"] as? Int ?? 0) <= 61 }
        let new = entries.filter { ($0["seq"] as? Int ?? 0) > 61 }
        #expect(old.count == 61 && old.allSatisfy { $0["node"] == nil }, "the old entries keep no node")
        #expect(!new.isEmpty && new.allSatisfy { ($0["node"] as? String)?.isEmpty == false }, "\(new.map { $0["node"] ?? "none" })")
        #expect(new.contains { $0["kind"] as? String == "incident.create" })
        let verify = try await daemon.ctl("audit", "verify", "--json")
        #expect(verify.status == 0, "\(verify)")
    }

    /// The release before the web console's users (schema v6, every entry naming its node): the migration adds
    /// their table and nothing else; the chain, the approvals and a live send hold; `web-users` works at once, and
    /// without a seed key (this config gives none) enrolling is refused with the steps, never breaking the start.
    @Test func aDatabaseOfTheClusterReleaseMigratesToWebUsersAndKeepsSending() async throws {
        let upgraded = try await Upgraded.start("release-8574f93", plan: Upgraded.shortTextPlan(sid: "SM00000000000000000000000000000077", post: "1860000000000000077"))
        defer { upgraded.stop() }
        #expect(upgraded.migrationsBefore.last == "v6: audit entry nodes", "the fixture is the v6 release's: \(upgraded.migrationsBefore)")
        #expect(upgraded.migrationsAfter == upgraded.migrationsBefore + ["v7: web users", "v8: send request keys"])
        try await upgraded.expectChainAndApprovalsHold()
        let daemon = upgraded.daemon
        let send = try await daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 0 && send.jsonLines.last?["delivered"] as? Int == 4, "\(send)")
        #expect(try await daemon.ctl("web-users", "list").stdout.contains("No web users"))
        let add = try await daemon.ctl("web-users", "add", "marie", input: "Trois chats gris 2026\n")
        #expect(add.status == 4 && add.stderr.contains("web.seed_key_file"), "\(add)")
        #expect(try await daemon.ctl("audit", "verify").status == 0)
    }

    /// The release before send request keys (schema v7): the migration adds their table and nothing else; the chain,
    /// the approvals and the history hold; a live send asked twice with one key goes out once.
    @Test func aDatabaseOfTheWebUsersReleaseMigratesToRequestKeysAndSendsOnce() async throws {
        let upgraded = try await Upgraded.start("release-568c8b8", plan: Upgraded.shortTextPlan(sid: "SM00000000000000000000000000000066", post: "1860000000000000066"))
        defer { upgraded.stop() }
        #expect(upgraded.migrationsBefore.last == "v7: web users", "the fixture is the v7 release's: \(upgraded.migrationsBefore)")
        #expect(upgraded.migrationsAfter == upgraded.migrationsBefore + ["v8: send request keys"])
        try await upgraded.expectChainAndApprovalsHold()
        let daemon = upgraded.daemon
        let report = try await daemon.ctl("report", "20261208-1395RH", "--json")
        #expect(report.status == 0 && report.stdout.contains("SM00000000000000000000000000000055"), "the history written then still reads: \(report)")

        let arguments = ["send", "evacuation", "--set", "building=Centre sportif", "--yes", "--json", "--request-key", "upgrade-check-0001"]
        let first = try await daemon.ctl(arguments: arguments)
        #expect(first.status == 0 && first.jsonLines.last?["delivered"] as? Int == 4, "\(first)")
        let second = try await daemon.ctl(arguments: arguments)
        #expect(second.status == 0 && second.jsonLines.first?["repeated"] as? Bool == true, "\(second)")
        #expect(second.jsonLines.first?["incident"] as? String == first.jsonLines.first?["incident"] as? String)
        #expect(upgraded.receiver.requests(path: "/ops").count == 1, "the webhook got the alert once")
        #expect(try await daemon.ctl("audit", "verify").status == 0)
    }
}
