import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// `tocsinctl report`: a drill with one failing and one slow channel, scored against objectives.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ReportTests {
    /// The receiver holds the slow channel's request this long (seconds), so its delivery comes after it.
    static let slowDelay = 1.0

    /// A finished drill: `bad` answers 400, `slow` answers after `slowDelay`, `fast` at once.
    static func drill() async throws -> (bed: TestBed, incident: String) {
        let bed = try await TestBed(plan: [
            "/bad": [["status": 400, "body": "{\"error\":\"invalid <payload>\"}"]],
            "/slow": [["delay": slowDelay]],
        ]) { receiver in
            var config = TestConfig(channels: [
                .init("bad", url: receiver.url("/bad")), .init("slow", url: receiver.url("/slow")),
                .init("fast", url: receiver.url("/fast")),
            ])
            config.extraYAML = "objectives: { channel_within: 500ms, incident_within: 10m }\n"
            return config
        }
        do {
            let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
            #expect(drill.status == 1, "one channel fails → exit 1\n\(drill)")
            let incident = try #require(drill.jsonLines.first?["incident"] as? String)
            _ = try await bed.daemon.waitForFinish(incident)
            return (bed, incident)
        } catch {
            bed.tearDown()
            throw error
        }
    }

    @Test func jsonReportShowsTheFailureTheSlowChannelAndTheMissedObjective() async throws {
        let (bed, incident) = try await Self.drill()
        defer { bed.tearDown() }

        let result = try await bed.daemon.ctl("report", incident, "--json")
        #expect(result.status == 1, "a failed delivery and a missed objective → exit 1\n\(result)")
        let report = try JSONDecoder().decode(IncidentReport.self, from: Data(result.stdout.utf8))

        #expect(report.trigger.summary.incident == incident)
        #expect(report.trigger.summary.status == "Exercise")
        #expect(report.trigger.summary.variables["building"] == "Pavillon A")
        #expect(report.trigger.uid == Int64(getuid()))
        #expect(report.totals.deliveries == 3)
        #expect(report.totals.delivered == 2)
        #expect(report.totals.failed == 1)

        let bad = try #require(report.deliveries.first { $0.channel == "bad" })
        #expect(bad.state == "failed")
        #expect(bad.misconfiguration)
        #expect(bad.lastError?.contains("invalid <payload>") == true)
        #expect(bad.attemptLog.map(\.outcome) == ["failed"])
        #expect(bad.attemptLog.first?.httpStatus == 400)
        #expect(bad.timeToDeliverMillis == nil)

        let slow = try #require(report.deliveries.first { $0.channel == "slow" })
        let slowMillis = try #require(slow.timeToDeliverMillis)
        #expect(slowMillis >= Int64(Self.slowDelay * 1000), "delivered no sooner than the receiver answered")
        let slowAttempt = try #require(slow.attemptLog.last)
        #expect(slowAttempt.outcome == "delivered")
        #expect(slowAttempt.latencyMillis >= Int64(Self.slowDelay * 1000))
        #expect(slowAttempt.offsetMillis >= 0 && slowAttempt.offsetMillis <= slowMillis)
        #expect(slow.firstAttemptAt != nil && slow.deliveredAt != nil)

        let channels = Dictionary(uniqueKeysWithValues: report.channels.map { ($0.channel, $0) })
        #expect(channels["slow"]?.objectiveMet == false, "slower than channel_within: 500ms")
        #expect(channels["bad"]?.objectiveMet == false, "a failed channel misses its objective")
        #expect(channels["bad"]?.failed == 1)
        #expect(report.objectives.channelWithinMillis == 500)
        #expect(report.objectives.incidentWithinMillis == 600_000)
        #expect(report.objectives.channelsMet == false)
        #expect(report.objectives.incidentMet == false, "not everything was delivered")
        #expect(report.totals.timeToLastDeliveryMillis == report.deliveries.compactMap(\.timeToDeliverMillis).max())
        #expect(report.totals.timeToFirstDeliveryMillis.map { $0 <= slowMillis } == true)

        #expect(report.chain.intact)
        #expect(report.audit.contains { $0.kind == "incident.create" })
        #expect(report.audit.allSatisfy { $0.subject == incident })
        #expect(report.audit.filter { $0.kind == "delivery.attempt" }.count >= 3)
    }

    @Test func terminalReportIsReadableAtAGlance() async throws {
        let (bed, incident) = try await Self.drill()
        defer { bed.tearDown() }

        let result = try await bed.daemon.ctl("report", incident)
        #expect(result.status == 1, "\(result)")
        let text = result.stdout
        #expect(text.contains("Incident report \(incident)"))
        #expect(text.contains("DRILL (Exercise)"))
        #expect(text.contains("FAILED"))
        #expect(text.contains("HTTP 400"))
        let slowLine = try #require(text.split(separator: "\n").first { $0.hasPrefix("  slow ") && $0.contains("delivered") && $0.contains("last") })
        #expect(slowLine.contains("MISSED"), "\(text)")
        #expect(text.contains("Objective, whole incident within 10 min 00 s: MISSED"))
        #expect(text.contains("chain intact"))
    }

    @Test func htmlReportIsSelfContainedWithTheTimelineAndEscapesValues() async throws {
        let (bed, incident) = try await Self.drill()
        defer { bed.tearDown() }

        let path = bed.directory.file("review.html")
        let result = try await bed.daemon.ctl("report", incident, "--html", path)
        #expect(result.status == 1, "\(result)")
        let html = try String(contentsOfFile: path, encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<svg"))
        // Each point of the chart says what the time is: when the answer came, from the trigger.
        #expect(html.contains(", réponse à +") && html.contains(" / answered at +"), "\(html)")
        for channel in ["bad", "slow", "fast"] { #expect(html.contains("data-channel=\"\(channel)\"")) }
        #expect(html.contains("class=\"objective\""), "the objective line is drawn")
        #expect(html.contains("Canal / Channel"))
        #expect(html.contains("Manqué / Missed"))
        #expect(html.contains("invalid &lt;payload&gt;"), "what the service answered is escaped")
        #expect(!html.contains("invalid <payload>"))
        #expect(!html.contains("src=\"http") && !html.contains("href=\"http") && !html.contains("<script"), "no external asset")
    }

    @Test(.enabled(if: required(Chromium.path != nil), "chromium is not installed (apt-get install chromium to run this check)"))
    func htmlReportLoadsInAHeadlessBrowser() async throws {
        let chromium = try #require(Chromium.path)
        let (bed, incident) = try await Self.drill()
        defer { bed.tearDown() }

        let path = bed.directory.file("review.html")
        _ = try await bed.daemon.ctl("report", incident, "--html", path)
        let profile = bed.directory.file("chromium-profile")
        let dom = try await runCommand(chromium, [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)", "--dump-dom", "file://\(path)",
        ])
        #expect(dom.status == 0, "\(dom)")
        #expect(dom.stdout.contains("<svg"))
        for channel in ["bad", "slow", "fast"] { #expect(dom.stdout.contains("data-channel=\"\(channel)\"")) }
        #expect(dom.stdout.contains("<circle"))
        #expect(dom.stdout.contains(incident))
    }
}

enum Chromium {
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// The `objectives:` section is checked like every other (file and line).
@Suite(.serialized, .integration) struct ReportObjectivesConfigTests {
    @Test func aBadObjectiveIsReportedWithItsLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var config = TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")])
        config.extraYAML = "objectives: { channel_within: soon, incident_whithin: 10m }\n"
        let path = try config.write(to: directory)
        let result = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(result.status == 1, "\(result)")
        #expect(result.stderr.contains("'objectives.channel_within' is not a duration"), "\(result)")
        #expect(result.stderr.contains("unknown key 'incident_whithin' in 'objectives'"), "\(result)")
    }
}
