import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// With no `all-clear` template configured, `all-clear` sends Tocsin's built-in one (issue 16, item 10): the followed
/// incident's event and title under "FIN DE L'ALERTE" / "ALL CLEAR", no instruction, counted as approved.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct BuiltInAllClearTests {
    private func makeBed(allClearTemplate: Bool = false) async throws -> TestBed {
        try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            if !allClearTemplate { config.templates["all-clear"] = nil }
            return config
        }
    }

    private func data(_ request: LoopbackReceiver.Request) throws -> [String: Any] {
        try #require(request.json?["data"] as? [String: Any])
    }

    private func titles(_ data: [String: Any]) -> [String] {
        ((data["messages"] as? [[String: Any]]) ?? []).compactMap { $0["title"] as? String }
    }

    @Test func aLiveSendThenAllClearWithNoTemplateSendsTheBuiltInText() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let check = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--check-config"])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("all-clear: Tocsin's built-in one"), "\(check.stdout)")
        let status = try await bed.daemon.ctl("status", "--json")
        #expect(status.stdout.contains("\"allClear\" : \"built-in\""), "\(status.stdout)")
        #expect(try await bed.daemon.ctl("status", "--lang", "en").stdout.contains("All-clear: Tocsin's built-in one"))
        #expect(try await bed.daemon.ctl("health", "--json").stdout.contains("Tocsin's built-in all-clear"))

        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")

        // Confirmed on a pipe with the all-clear's word; the screen says it is live and Tocsin's own text.
        let clear = try await bed.daemon.ctl(arguments: ["all-clear", incident, "--lang", "en"], input: "ALL CLEAR\n")
        #expect(clear.status == 0, "\(clear)")
        #expect(clear.stderr.contains("*** FIN D'ALERTE RÉELLE — LIVE ALL CLEAR ***"), "\(clear.stderr)")
        #expect(clear.stderr.contains("Tocsin's built-in all-clear (fixed wording, no instruction)"), "\(clear.stderr)")
        #expect(!clear.stderr.contains("NOT approved"), "\(clear.stderr)")
        #expect(clear.stderr.contains("Repeats the followed message's event and title.") && !clear.stderr.contains("event_en="), "no internal names: \(clear.stderr)")

        let requests = bed.receiver.requests(path: "/ops")
        #expect(requests.count == 2)
        let cleared = try data(try #require(requests.last))
        #expect(cleared["msgType"] as? String == "Cancel")
        #expect(cleared["status"] as? String == "Actual")
        #expect(cleared["approved"] as? Bool == true, "its wording is Tocsin's: counted as approved")
        #expect(cleared["template"] as? String == "all-clear")
        #expect(titles(cleared) == ["FIN DE L'ALERTE — ÉVACUATION — Pavillon A", "ALL CLEAR — EVACUATION — Pavillon A"], "\(cleared)")
        let messages = try #require(cleared["messages"] as? [[String: Any]])
        #expect(messages.map { $0["event"] as? String } == ["Évacuation", "Evacuation"])
        #expect(messages.map { $0["body"] as? String } == ["L'alerte « ÉVACUATION — Pavillon A » est terminée.", "The alert \u{201C}EVACUATION — Pavillon A\u{201D} is over."])
        #expect(messages.allSatisfy { $0["instruction"] == nil || $0["instruction"] is NSNull }, "no instruction")
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
    }

    @Test func aDrillsBuiltInAllClearIsMarkedOnceAndFollowsTheLatestUpdate() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String, "\(drill)")
        let update = try await bed.daemon.ctl("update", incident, "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        #expect(update.status == 0, "\(update)")
        // Values typed for the built-in one are refused: its wording is fixed.
        let withValues = try await bed.daemon.ctl("all-clear", incident, "--set", "building=Pavillon A", "--yes")
        #expect(withValues.status == 2, "\(withValues)")
        #expect(withValues.stderr.contains("built-in all-clear takes no values"), "\(withValues.stderr)")
        let clear = try await bed.daemon.ctl("all-clear", incident, "--yes", "--json")
        #expect(clear.status == 0, "\(clear)")
        let cleared = try data(try #require(bed.receiver.requests(path: "/ops").last))
        #expect(cleared["status"] as? String == "Exercise")
        // The update's and the drill's words are not repeated inside: the all-clear's own marking says drill once.
        #expect(titles(cleared) == ["EXERCICE — FIN DE L'ALERTE — ÉVACUATION — Pavillon B", "EXERCISE — ALL CLEAR — EVACUATION — Pavillon B"], "\(cleared)")
    }

    @Test func aConfiguredAllClearTemplateReplacesItAndNeedsApproval() async throws {
        let bed = try await makeBed(allClearTemplate: true)
        defer { bed.tearDown() }
        let check = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--check-config"])
        #expect(check.stdout.contains("all-clear: the configured template 'all-clear'"), "\(check.stdout)")
        #expect(try await bed.daemon.ctl("status", "--json").stdout.contains("\"allClear\" : \"template\""))
        #expect(try await bed.daemon.ctl("health", "--json").stdout.contains("the all-clear template"))
        // Said before the day it is needed: status warns while the configured all-clear is not approved.
        let unapproved = try await bed.daemon.ctl("status", "--lang", "en")
        #expect(unapproved.stdout.contains("WARNING: the all-clear template is not approved; a live all-clear will be refused."), "\(unapproved.stdout)")
        #expect(try await bed.daemon.ctl("status", "--json").stdout.contains("\"allClearApproved\" : false"))
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        let refused = try await bed.daemon.ctl("all-clear", incident, "--yes")
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("tocsinctl templates approve all-clear"), "the next step is its approval: \(refused.stderr)")
        _ = try await bed.daemon.ctl("templates", "approve", "all-clear", "--yes")
        let approved = try await bed.daemon.ctl("status", "--lang", "en")
        #expect(!approved.stdout.contains("WARNING: the all-clear template"), "\(approved.stdout)")
        #expect(try await bed.daemon.ctl("status", "--json").stdout.contains("\"allClearApproved\" : true"))
        let clear = try await bed.daemon.ctl("all-clear", incident, "--yes", "--json")
        #expect(clear.status == 0, "\(clear)")
        #expect(titles(try data(try #require(bed.receiver.requests(path: "/ops").last))).first == "FIN D'ALERTE — Pavillon A")
    }
}
