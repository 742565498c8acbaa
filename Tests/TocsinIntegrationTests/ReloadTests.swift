import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Reload validates everything first, keeps the running config on any error, and never disturbs deliveries.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ReloadTests {
    @Test func aBrokenReloadIsRefusedWhileAFanOutRunsAndTheFanOutCompletes() async throws {
        let paths = ["/slow1", "/slow2", "/slow3"]
        let bed = try await TestBed(plan: Dictionary(uniqueKeysWithValues: paths.map { ($0, [["delay": 1.5]]) })) { receiver in
            TestConfig(channels: paths.map { .init("c\($0.suffix(1))", url: receiver.url($0)) })
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        try await bed.receiver.waitForRequests(1)

        let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
        try (config + "routes_extra: [\n").write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
        let reload = try await bed.daemon.ctl("reload")
        #expect(reload.status == 2, "\(reload)")
        #expect(reload.stderr.contains("the running configuration is kept"))
        #expect(reload.stderr.contains("tocsin.yaml:"), "the problem is located")

        let final = try await bed.daemon.waitForFinish(incident)
        #expect(final.allDelivered)
        #expect(bed.receiver.requests().count == 3, "each channel got its message once")
        // Still running on the old config.
        #expect(try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes").status == 0)
        let audit = try await bed.daemon.ctl("audit", "log", "--subject", "daemon", "--json").jsonLines
        #expect(audit.contains { $0["kind"] as? String == "config.reload" && ($0["detail"] as? String)?.contains("refused") == true })
    }

    @Test func aTemplateChangedOnDiskLosesItsApprovalUntilApprovedAgain() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let templatePath = bed.directory.file("templates/evacuation.yaml")
        let text = try String(contentsOfFile: templatePath, encoding: .utf8)
        try text.replacingOccurrences(of: "immédiatement", with: "sans attendre").write(toFile: templatePath, atomically: true, encoding: .utf8)

        let reload = try await bed.daemon.ctl("reload", "--json")
        #expect(reload.status == 0, "\(reload)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(reload.stdout.utf8)) as? [String: Any])
        #expect(result["needApproval"] as? [String] == ["evacuation"])
        #expect(try await bed.daemon.ctl("templates", "list").stdout.contains("CHANGED"))
        #expect(try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes").status == 4)

        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 0)
        let body = try #require(bed.receiver.requests(path: "/ops").last?.body)
        #expect(body.contains("sans attendre"))
        let audit = try await bed.daemon.ctl("audit", "log", "--subject", "daemon", "--json").jsonLines
        #expect(audit.contains { $0["kind"] as? String == "config.reload" && ($0["detail"] as? String)?.contains("\"outcome\":\"applied\"") == true })
    }

    /// A rotated secret file changes no byte of tocsin.yaml: the reload must still say it took the new value.
    @Test func aChangedSecretFileIsReportedAndUsed() async throws {
        let bed = try await TestBed { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops"), secret: TestConfig.makeSecret()), .init("other", url: receiver.url("/other"))])
        }
        defer { bed.tearDown() }
        let unchanged = try await bed.daemon.ctl("reload")
        #expect(unchanged.stdout.contains("nothing changed"), "\(unchanged)")

        let rotated = TestConfig.makeSecret()
        try (rotated + "\n").write(toFile: bed.directory.file("secrets/ops"), atomically: true, encoding: .utf8)
        let reload = try await bed.daemon.ctl("reload")
        #expect(reload.status == 0, "\(reload)")
        #expect(!reload.stdout.contains("nothing changed"), "\(reload.stdout)")
        #expect(reload.stdout.contains("Credentials or recipient lists re-read for: ops\n"), "\(reload.stdout)")
        #expect(!reload.stdout.contains(rotated) && !reload.stdout.contains(String(rotated.dropFirst(6).prefix(16))))
        let audit = try await bed.daemon.ctl("audit", "log", "--json").jsonLines.last { $0["kind"] as? String == "config.reload" }
        #expect((audit?["detail"] as? String)?.contains(#""credentials_changed":"ops""#) == true, "\(String(describing: audit))")
    }

    @Test func sighupReloads() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let before = try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }.configFingerprint
        let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
        try (config + "# reloaded\n").write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
        kill(try #require(bed.daemon.pid), SIGHUP)
        let changed = try await waitUntil {
            try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }.configFingerprint != before
        }
        #expect(changed)
        #expect(bed.daemon.isRunning)
    }
}
