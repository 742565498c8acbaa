import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Upgrades never break alerting: the current tocsind on a database written by the previous release
/// (Tests/Fixtures/release-98aadc0, schema v1, signed checkpoints, approvals).
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct UpgradeTests {
    static let fixture = PackagePaths.root.appendingPathComponent("Tests/Fixtures/release-98aadc0").path

    @Test func aDatabaseOfThePreviousReleaseMigratesVerifiesAndSendsWithItsApprovals() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: directory) }
        defer { receiver.stop() }
        try FileManager.default.createDirectory(atPath: directory.file("state"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixture + "/tocsin.db", toPath: directory.file("state/tocsin.db"))
        try FileManager.default.copyItem(atPath: Self.fixture + "/templates", toPath: directory.file("templates"))
        try FileManager.default.copyItem(atPath: Self.fixture + "/audit-signing.pub", toPath: directory.file("audit-signing.pub"))
        // The old key's private half was not kept: a new key signs from now on, the old one stays trusted.
        let key = try await AuditSigningTests.KeyPair(in: directory, name: "new-signing")
        let config = try String(contentsOfFile: Self.fixture + "/tocsin.yaml", encoding: .utf8)
            .replacingOccurrences(of: "RECEIVER_PORT", with: String(receiver.port))
            .replacingOccurrences(of: "AUDIT_SIGNING_KEY", with: key.privatePath)
        let path = try directory.write("tocsin.yaml", config)
        chmod(path, 0o640)
        let before = try await runCommand("/usr/bin/sqlite3", [directory.file("state/tocsin.db"), "SELECT identifier FROM grdb_migrations"])
        #expect(before.stdout == "v1: incidents, deliveries, attempts, approvals, audit\n", "the fixture is the previous release's")

        let daemon = DaemonProcess(directory: directory, configPath: path)
        try await daemon.start()
        defer { daemon.signal(SIGKILL) }
        let migrations = try await runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", daemon.databasePath, "SELECT identifier FROM grdb_migrations"])
        #expect(migrations.stdout.contains("v2: health probe"), "\(migrations)")

        // The old chain and its old signatures verify; the heads file starts from its last checkpoint.
        let verify = try await daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)")
        #expect(try await daemon.ctl("health").status != 2)
        #expect(FileManager.default.fileExists(atPath: directory.file("state/audit-heads/heads.jsonl")))

        // Approvals made then still allow a live send: template content hashes never change.
        let templates = try await daemon.withClient { try $0.call(.templateList, EmptyParams(), as: [TemplateSummary].self) }
        #expect(templates.allSatisfy { $0.approval == "approved" }, "\(templates.map { "\($0.id) \($0.approval)" })")
        let send = try await daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
        #expect(send.status == 0, "\(send)")
        #expect(receiver.requests(path: "/ops").count >= 1)
        #expect(try await daemon.ctl("audit", "verify").status == 0)
    }
}
