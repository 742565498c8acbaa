import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// The HTML report an auditor reads (issue 16, item 7), measured in a real headless Chromium driven by Selenium
/// through Debian's chromedriver (scripts/html-layout-check.py), at a desktop width (1280 px) and a phone (390 px).
///
/// The incident is as untidy as a real one: a live send with an approved template, a channel answering 500 many
/// times before it takes the message, a channel whose service answers with a very long unbroken error, then an
/// update and an all-clear that have deliveries (and a failure) of their own.
@Suite(.serialized, .integration, .timeLimit(.minutes(4)))
struct ReportLayoutTests {
    /// Answers 500 this many times before accepting.
    static let flakyFailures = 9
    /// A service's answer as a reader meets it: one 290-character token without a space, then words.
    static let longError = "{\"error\":\"" + String(repeating: "QUOTA_EXCEEDED_FOR_PROJECT_", count: 11)
        + "\",\"detail\":\"the request was refused by the upstream gateway because the project exceeded its quota\"}"
    /// A channel name longer than the chart's label column.
    static let flaky = "discord-etudiants-residence-nord"

    /// The CAP instruction of the template sent, which the report must quote.
    static let instruction = """
        instruction:
          fr: "Sortez par l'escalier le plus proche, sans utiliser l'ascenseur."
          en: "Use the nearest stairs; do not take the elevator."

        """

    static let checker = PackagePaths.root.appendingPathComponent("scripts/html-layout-check.py").path

    /// Whether the browser can be driven: Chromium, its driver and the selenium package.
    static func browserReady() async -> Bool {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), Chromium.path != nil else { return false }
        let probe = try? await runCommand("/usr/bin/env", ["python3", "-c", "import selenium"])
        return probe?.status == 0
    }

    @Test(.enabled("chromium, chromium-driver or PyPI selenium is missing (scripts/install-deps.sh installs them)") {
        await required { await ReportLayoutTests.browserReady() }
    })
    func htmlReportFitsADesktopAndAPhoneAndShowsWhatAnAuditorNeeds() async throws {
        let bed = try await TestBed(plan: [
            "/flaky": Array(repeating: ["status": 500, "body": "{\"error\":\"busy\"}"], count: Self.flakyFailures) + [["status": 200]],
            "/refusing": [["status": 400, "body": Self.longError]],
        ]) { receiver in
            var config = TestConfig(channels: [
                .init(Self.flaky, url: receiver.url("/flaky")), .init("ops", url: receiver.url("/ops")),
                .init("refusing", url: receiver.url("/refusing")),
            ])
            config.templates["evacuation"] = TestConfig.evacuationTemplate + Self.instruction
            return config
        }
        defer { bed.tearDown() }

        let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(approve.status == 0, "\(approve)")
        _ = try await bed.daemon.ctl("templates", "approve", "all-clear", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 1, "the refusing channel fails → exit 1\n\(send)")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        _ = try await bed.daemon.waitForFinish(incident)
        let update = try await bed.daemon.ctl("update", incident, "evacuation", "--set", "assembly_point=Gymnase", "--yes", "--json")
        let updateID = try #require(update.jsonLines.first?["incident"] as? String, "\(update)")
        _ = try await bed.daemon.waitForFinish(updateID)
        let clear = try await bed.daemon.ctl("all-clear", incident, "--yes", "--json")
        let clearID = try #require(clear.jsonLines.first?["incident"] as? String, "\(clear)")
        _ = try await bed.daemon.waitForFinish(clearID)

        // The data first: who approved and the follow-ups' own deliveries are in the report itself.
        let json = try await bed.daemon.ctl("report", incident, "--json")
        let report = try JSONDecoder().decode(IncidentReport.self, from: Data(json.stdout.utf8))
        let approval = try #require(report.trigger.approvals?.first, "\(json.stdout.prefix(2000))")
        #expect(approval.approverUID == Int64(getuid()))
        #expect(approval.contentHash == report.trigger.templateHash, "the very content sent is the one approved")
        #expect(approval.approvedAtMillis <= report.trigger.createdAtMillis)
        let followUps = try #require(report.followUpReports)
        #expect(followUps.map(\.trigger.summary.incident) == [updateID, clearID])
        #expect(followUps.allSatisfy { $0.deliveries.count == 3 && $0.offsetMillis > 0 }, "each follow-up has its own deliveries")
        #expect(followUps.allSatisfy { $0.totals.failed == 1 }, "the refusing channel refuses the follow-ups too")
        let flakyRow = try #require(report.deliveries.first { $0.channel == Self.flaky })
        #expect(flakyRow.attemptLog.count == Self.flakyFailures + 1 && flakyRow.state == "delivered")

        // Rendered in the Toronto zone: every time shows its offset (-05:00 in December, -04:00 in summer).
        let path = bed.directory.file("review.html")
        let written = try await runCommand(
            PackagePaths.tocsinctl, ["report", incident, "--html", path, "--lang", "en"],
            environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "TZ": "America/Toronto"]
        )
        #expect(written.status == 1, "\(written)")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("url("),
                "no script, no external asset")
        #expect(html.range(of: #"\d\d:\d\d(\.\d+)?Z<"#, options: .regularExpression) == nil, "no time shown in UTC as the daemon sends it")
        #expect(html.contains("<details>"), "the attempts are folded")
        #expect(html.range(of: #">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d -0[45]:00<"#, options: .regularExpression) != nil, "local times with their offset")

        let out = bed.directory.file("browser")
        let check = try await runCommand("/usr/bin/env", [
            "python3", Self.checker, "--file", path, "--width", "1280", "--width", "390", "--out", out,
            "--section", "#approval", "--section", "#trigger", "--section", "#instruction", "--section", "#follow-ups",
            "--section", "#deliveries", "--section", "#retries", "--section", "#legend", "--section", "#timeline",
            "--section", ".follow-up .deliveries",
            // Who approved and who triggered, by uid; the follow-ups by kind.
            "--text", "uid \(getuid())", "--text", "Approuvé par / Approved by", "--text", "Déclenché par / Triggered by",
            "--text", "Sortez par l'escalier le plus proche, sans utiliser l'ascenseur.", "--text", "Use the nearest stairs; do not take the elevator.",
            "--text", "Mise à jour / Update", "--text", "Fin d'alerte / All clear",
            // Retries summarised, French plurals right (one refusal per incident; the flaky channel's failures).
            "--text", "\(Self.flakyFailures + 1) tentatives / attempts (\(Self.flakyFailures) échecs / failures)",
            "--text", "1 échec / failure", "--text", "QUOTA_EXCEEDED_FOR_PROJECT_",
            "--forbid", "(?<![0-9])[01] (échecs|tentatives|livraisons|livrées|suivis)\\b",
            "--forbid", "(?<![0-9])([2-9]|[1-9][0-9]+) (échec|tentative|livraison|suivi)(?![a-z])",
        ])
        let result = try #require(
            (try? JSONSerialization.jsonObject(with: Data(check.stdout.utf8))) as? [String: Any], "\(check)"
        )
        #expect(result["error"] == nil, "\(check)")
        let problems = result["problems"] as? [String] ?? ["no result"]
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        #expect(check.status == 0, "\(check)")
        #expect(result["printHiddenDetails"] as? Int == 0, "printed, the attempt lists are unfolded")
        let widths = result["widths"] as? [[String: Any]] ?? []
        #expect(widths.compactMap { $0["innerWidth"] as? Int } == [1280, 390])
        for figures in widths {
            let width = try #require(figures["width"] as? Int)
            #expect((figures["scrollWidth"] as? Int).map { $0 <= width } == true, "\(figures)")
            #expect((figures["openedScrollWidth"] as? Int).map { $0 <= width } == true, "\(figures)")
            #expect(figures["details"] as? Int == 1, "one folded attempt list: the flaky channel's, the one delivery retried: \(figures)")
            // The full-page screenshot is the viewport's width and the page's height.
            let size = try #require(figures["screenshotSize"] as? [Int], "\(figures)")
            #expect(size.first == width && (size.last ?? 0) >= 900, "\(figures)")
            let shot = try #require(figures["screenshot"] as? String)
            #expect(shot.hasPrefix(out) && FileManager.default.fileExists(atPath: shot))
        }
        // TOCSIN_KEEP_SCREENSHOTS=DIR keeps the page and its screenshots for a person to look at (the test's folder goes).
        if let keep = ProcessInfo.processInfo.environment["TOCSIN_KEEP_SCREENSHOTS"], !keep.isEmpty {
            try? FileManager.default.createDirectory(atPath: keep, withIntermediateDirectories: true)
            for file in ["report-1280.png", "report-1280-open.png", "report-390.png", "report-390-open.png"] {
                try? FileManager.default.removeItem(atPath: "\(keep)/\(file)")
                try? FileManager.default.copyItem(atPath: "\(out)/\(file)", toPath: "\(keep)/\(file)")
            }
            try? FileManager.default.removeItem(atPath: "\(keep)/review.html")
            try? FileManager.default.copyItem(atPath: path, toPath: "\(keep)/review.html")
        }
        // Printed for the record (RELIABILITY.md): the page's height and its smallest text at each width.
        print("report layout:", widths.map { figures in
            ["width", "pageHeight", "openedPageHeight", "smallestText", "smallestSvgText", "checked"].map { "\($0)=\(figures[$0] ?? "-")" }
                .joined(separator: " ")
        }.joined(separator: " | "))
    }

    /// The built-in all-clear has no approver: the report says its wording is Tocsin's own, not that it is missing.
    @Test func theBuiltInAllClearIsShownApprovedWithoutASignature() async throws {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.templates = ["evacuation": TestConfig.evacuationTemplate]
            return config
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
        let clear = try await bed.daemon.ctl("all-clear", incident, "--yes", "--json")
        let clearID = try #require(clear.jsonLines.first?["incident"] as? String, "\(clear)")
        _ = try await bed.daemon.waitForFinish(clearID)

        let json = try await bed.daemon.ctl("report", incident, "--json")
        let report = try JSONDecoder().decode(IncidentReport.self, from: Data(json.stdout.utf8))
        #expect(report.trigger.approvals?.count == 1, "the alert itself was approved")
        let followUp = try #require(report.followUpReports?.first)
        #expect(followUp.trigger.summary.approved && followUp.trigger.approvals == [], "counted as approved, with no signature")
        #expect(followUp.deliveries.map(\.state) == ["delivered"])

        let path = bed.directory.file("review.html")
        _ = try await bed.daemon.ctl("report", incident, "--html", path)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.contains("Fin d'alerte / All clear"))
        #expect(html.contains("wording fixed by Tocsin"))
        #expect(!html.contains("Non approuvé / Not approved"))
    }
}
