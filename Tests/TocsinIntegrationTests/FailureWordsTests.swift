import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// Transport failures said to the operator by their kind, in her language (issue 16, items 2, 3, 5 and 6): a
/// refused connection and a timeout are never shown as an answer that took 5001 ms; `channels`, `status`, the
/// report and the send's summary all say them; the summary points to `resend` for each failed channel and counts
/// cancelled deliveries apart. Real daemon, real CLI, a port where nothing listens and a receiver that never answers.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct FailureWordsTests {
    private func ctl(_ bed: TestBed, _ arguments: [String]) async throws -> CommandResult {
        try await runCommand(
            PackagePaths.tocsinctl, arguments,
            environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "LC_ALL": "", "LC_MESSAGES": "", "LANG": "", "NO_COLOR": ""]
        )
    }

    @Test func refusedAndTimedOutDeliveriesAreSaidByKindEverywhere() async throws {
        // Held, not listening, for the whole test: refused all along (a released port may be taken by another test's server).
        let refusing = try LoopbackPort()
        defer { refusing.close() }
        let port = refusing.port
        let bed = try await TestBed(plan: ["/hang": [["hang": true]]]) { receiver in
            var config = TestConfig(channels: [
                .init("ops", url: receiver.url("/ops")),
                .init("closed", url: "http://127.0.0.1:\(port)/hook"),
                .init("silent", url: receiver.url("/hang"), timeout: "1s"),
            ])
            // Short enough that both failing channels give up within the test; long enough for a retry each.
            config.deadline = "3s"
            return config
        }
        defer { bed.tearDown() }

        let drill = try await ctl(bed, ["drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--lang", "fr"])
        #expect(drill.status == 1, "\(drill)")
        let lines = drill.stdout.split(separator: "\n").map(String.init)
        let closed = lines.filter { $0.contains(" closed (essai") }
        #expect(!closed.isEmpty && closed.allSatisfy { $0.contains("connexion refusée (rien n'écoute à cette adresse)") }, "\(drill.stdout)")
        let silent = lines.filter { $0.contains(" silent (essai") }
        #expect(!silent.isEmpty && silent.allSatisfy { $0.contains("pas de réponse après 1 s") }, "\(drill.stdout)")
        // No answer came: no answer time, and none of the daemon's English.
        #expect(!(closed + silent).contains { $0.contains("réponse en") || $0.contains("after") || $0.contains("curl") }, "\(drill.stdout)")
        #expect(lines.contains { $0.contains("ÉCHEC") && $0.contains(" closed (essai") && $0.contains("abandon après") }, "\(drill.stdout)")
        let incident = try #require(lines.first?.split(separator: " ").dropFirst().first.map(String.init))
        // The summary: the next step per failed channel, with the real verb's syntax.
        #expect(drill.stdout.contains("tocsinctl resend \(incident) --channel closed"), "\(drill.stdout)")
        #expect(drill.stdout.contains("tocsinctl resend \(incident) --channel silent"), "\(drill.stdout)")
        #expect(!drill.stdout.contains("--channel ops"), "\(drill.stdout)")

        // The language-neutral kind is in the JSON, beside the daemon's English.
        let json = try await ctl(bed, ["status", incident, "--json"])
        let status = try JSONDecoder().decode(IncidentStatus.self, from: Data(json.stdout.utf8))
        #expect(status.deliveries.first { $0.channel == "closed" }?.errorKind == .connectionRefused, "\(json.stdout)")
        #expect(status.deliveries.first { $0.channel == "silent" }?.errorKind == .timeout, "\(json.stdout)")
        #expect(status.deliveries.first { $0.channel == "ops" }?.errorKind == nil, "\(json.stdout)")

        // `channels`: the last error by kind, in French and in English.
        let channels = try await ctl(bed, ["channels", "list", "--lang", "fr"])
        #expect(channels.stdout.split(separator: "\n").contains { $0.hasPrefix("closed") && $0.contains("connexion refusée") }, "\(channels.stdout)")
        #expect(channels.stdout.split(separator: "\n").contains { $0.hasPrefix("silent") && $0.contains("pas de réponse après 1 s") }, "\(channels.stdout)")
        let english = try await ctl(bed, ["channels", "list", "--lang", "en"])
        #expect(english.stdout.split(separator: "\n").contains { $0.hasPrefix("closed") && $0.contains("connection refused") }, "\(english.stdout)")

        // `status`: each recent failure names its incident.
        let daemon = try await ctl(bed, ["status", "--lang", "fr"])
        let failures = daemon.stdout.split(separator: "\n").filter { $0.contains("ÉCHEC") }
        #expect(!failures.isEmpty && failures.allSatisfy { $0.contains(incident) }, "\(daemon.stdout)")
        #expect(failures.contains { $0.contains("connexion refusée") }, "\(daemon.stdout)")

        // The text report: each attempt by kind, without an answer time for attempts that got none.
        let report = try await ctl(bed, ["report", incident, "--lang", "en"])
        let attempts = report.stdout.split(separator: "\n").filter { $0.contains("#1 at") || $0.contains("#2 at") }
        #expect(attempts.contains { $0.contains("connection refused") && !$0.contains("answer took") }, "\(report.stdout)")
        #expect(attempts.contains { $0.contains("no answer after 1 s") && !$0.contains("answer took") }, "\(report.stdout)")

        // The HTML report is bilingual: the errors by kind in both languages, CAP's words with their French.
        let html = bed.directory.file("report.html")
        let written = try await ctl(bed, ["report", incident, "--html", html, "--lang", "en"])
        #expect(written.status == 1, "exit 1: some deliveries failed; \(written)")
        let page = try String(contentsOfFile: html, encoding: .utf8)
        #expect(page.contains("écoute à cette adresse) / connection refused (nothing listens at that address)"), "the error cell in both languages")
        #expect(page.contains("pas de réponse après 1 s / no answer after 1 s"))
        #expect(page.contains("CAP Exercice / Exercise, Alerte / Alert"))
        let french = try await ctl(bed, ["report", incident, "--lang", "fr"])
        #expect(french.stdout.contains("EXERCICE (Exercice) Alerte"), "\(french.stdout)")

        // Audit details' times (the resend's new deadline) in local time with the offset, in the log and the report.
        let resend = try await ctl(bed, ["resend", incident, "--channel", "closed", "--yes", "--no-wait"])
        #expect(resend.status == 0, "\(resend)")
        let toronto = ["TOCSIN_SOCKET": bed.daemon.socketPath, "LC_ALL": "", "LANG": "", "TZ": "America/Toronto"]
        let log = try await runCommand(PackagePaths.tocsinctl, ["audit", "log", "--subject", incident, "--lang", "en"], environment: toronto)
        let resent = log.stdout.split(separator: "\n").filter { $0.contains("  incident.resend ") }
        #expect(!resent.isEmpty && resent.allSatisfy { $0.contains(/"deadline":"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} -0[45]:00"/) }, "\(log.stdout)")
        let utc = try await runCommand(PackagePaths.tocsinctl, ["audit", "log", "--subject", incident, "--utc"], environment: toronto)
        #expect(utc.stdout.split(separator: "\n").contains { $0.contains("  incident.resend ") && $0.contains(/"deadline":"[^"]+ \+00:00"/) }, "\(utc.stdout)")

        // Cancelled deliveries are counted apart from failures, and get no resend hint.
        let second = try await ctl(bed, ["drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--no-wait", "--json"])
        let accepted = try #require(second.stdout.split(separator: "\n").first.map { Data($0.utf8) })
        let other = try #require(try JSONSerialization.jsonObject(with: accepted) as? [String: Any])["incident"] as? String
        let cancel = try await ctl(bed, ["cancel", try #require(other), "--yes"])
        #expect(cancel.status == 0, "\(cancel)")
        let final = try await bed.daemon.waitForFinish(try #require(other))
        let cancelled = final.deliveries.count { $0.state == "cancelled" }
        try #require(cancelled > 0, "\(final)")
        let after = try await ctl(bed, ["status", try #require(other), "--lang", "en"])
        #expect(after.stdout.contains("\(cancelled) cancelled (incident"), "\(after.stdout)")
        #expect(!after.stdout.contains("--channel \(final.deliveries.first { $0.state == "cancelled" }?.channel ?? "?")"), "\(after.stdout)")
    }
}

/// `tocsinctl health` in the operator's language (issue 16, item 9) while its status line stays what monitoring
/// parses, and its help names the nodes check (item 10).
@Suite(.serialized, .integration, .timeLimit(.minutes(2)))
struct HealthLanguageTests {
    @Test func healthSpeaksFrenchWithMonitoringsLeadKept() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let environment = bed.daemon.ctlEnvironment
        let french = try await runCommand(PackagePaths.tocsinctl, ["health", "--lang", "fr"], environment: environment)
        #expect(french.status == 0, "\(french)")
        #expect(french.stdout.hasPrefix("TOCSIN OK - "), "\(french.stdout)")
        #expect(french.stdout.contains("vérifications réussies"), "\(french.stdout)")
        #expect(french.stdout.contains("OK : database : inscriptible\n"), "each check said in French: \(french.stdout)")
        #expect(french.stdout.contains("OK : channels : 1 canal, aucun en échec"), "\(french.stdout)")
        #expect(french.stdout.contains("OK : config : chargée (") && french.stdout.contains("1 canal"), "\(french.stdout)")
        #expect(french.stdout.contains("OK : audit : intacte ("), "\(french.stdout)")
        let english = try await runCommand(PackagePaths.tocsinctl, ["health", "--lang", "en"], environment: environment)
        #expect(english.stdout.contains("checks passed") && english.stdout.contains("OK: database: writable\n"), "\(english.stdout)")
        #expect(english.stdout.contains("OK: channels: 1 channel, none failing"), "\(english.stdout)")

        await bed.daemon.stop()
        let down = try await runCommand(PackagePaths.tocsinctl, ["health", "--lang", "fr"], environment: environment)
        #expect(down.status == 2)
        #expect(down.stdout.hasPrefix("TOCSIN CRITICAL - démon injoignable : "), "\(down.stdout)")

        for (lang, word) in [("fr", "nœuds"), ("en", "nodes")] {
            let help = try await runCommand(PackagePaths.tocsinctl, ["health", "--help", "--lang", lang], environment: environment)
            #expect(help.stdout.contains(word) && help.stdout.contains("PostgreSQL"), "\(lang): \(help.stdout)")
        }
    }
}

/// `tocsind --check-config` counts with the right plural (issue 16, item 7).
@Suite(.integration)
struct CheckConfigPluralTests {
    @Test func oneTemplateIsOneTemplate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var config = TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")], routes: ["campus": ["ops"]])
        config.templates = ["evacuation": TestConfig.evacuationTemplate.replacingOccurrences(of: "drill_route: drill\n", with: "")]
        let path = try config.write(to: directory)
        let check = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("OK — 1 template, 1 channel, 1 route (fingerprint"), "\(check.stdout)")
    }
}
