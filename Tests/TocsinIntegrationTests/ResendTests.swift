import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// `tocsinctl resend INCIDENT --channel NAME`: a channel that failed until its deadline gets the same message again,
/// under the same ids, once it is fixed; and never after the all-clear.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ResendTests {
    /// `ops` answers 200 (receiver A); `broken` points at receiver B, which answers 500 until it is replaced.
    /// The deadline is short so `broken` fails within the test.
    private static func bed(operatorsOnly: Bool = true) async throws -> (TestBed, LoopbackReceiver, TemporaryDirectory) {
        // Started first (the config needs its URL), in a folder of its own that the test removes.
        let directory = try TemporaryDirectory()
        let broken = try await offPool { try LoopbackReceiver(in: directory, plan: ["/hook": [["status": 500]]], name: "broken") }
        let bed = try await TestBed { receiver in
            var config = TestConfig(
                channels: [.init("ops", url: receiver.url("/ops")), .init("broken", url: broken.url("/hook"), secret: TestConfig.makeSecret())],
                routes: ["campus": ["ops", "broken"], "drill": ["ops", "broken"], "ops-only": ["ops"]]
            )
            config.deadline = "3s"
            if !operatorsOnly {
                // `nobody` may read (auditor) but not send: the role check, not the socket's mode, must refuse it.
                config.auditors = ["group:root", "user:nobody"]
                config.socketMode = "0666"
            }
            return config
        }
        return (bed, broken, directory)
    }

    /// Sends the evacuation and waits until it is final: `ops` delivered, `broken` failed at its deadline.
    private static func sendUntilBrokenFails(_ bed: TestBed) async throws -> String {
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        #expect(send.status == 1, "broken fails at its deadline\n\(send)")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        let status = try await bed.daemon.waitForFinish(incident)
        #expect(status.deliveries.first { $0.channel == "broken" }?.state == "failed")
        #expect(status.deliveries.first { $0.channel == "ops" }?.state == "delivered")
        return incident
    }

    /// The receiver comes back on the same port (a service restored), answering 200 to everything.
    private static func fix(_ broken: LoopbackReceiver, in bed: TestBed, plan: [String: [[String: Any]]] = [:]) async throws -> LoopbackReceiver {
        broken.stop()
        let port = broken.port, directory = bed.directory
        // Crosses to the starting thread as JSON (the plan is not Sendable).
        let planData = try JSONSerialization.data(withJSONObject: plan)
        var fixed: LoopbackReceiver?
        // The stopped child may hold the port a moment longer: try again until it is free.
        _ = try await waitUntil(timeout: .seconds(20), interval: .milliseconds(200)) {
            fixed = try? await offPool {
                let plan = (try? JSONSerialization.jsonObject(with: planData)) as? [String: [[String: Any]]] ?? [:]
                return try LoopbackReceiver(in: directory, plan: plan, name: "fixed", port: port)
            }
            return fixed != nil
        }
        return try #require(fixed, "the fixed receiver could not take port \(port)")
    }

    /// A drill's resend: the drill screen, the resend's word, and the drill's last line whatever the outcome.
    @Test func aDrillsResendSaysItIsADrillToTheLastLine() async throws {
        let (bed, broken, folder) = try await Self.bed()
        defer { bed.tearDown(); broken.stop(); folder.remove() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String, "\(drill)")
        #expect(try await bed.daemon.waitForFinish(incident).deliveries.first { $0.channel == "broken" }?.state == "failed")
        let fixed = try await Self.fix(broken, in: bed)
        defer { fixed.stop() }
        let livesWord = try await bed.daemon.ctl("resend", incident, "--channel", "broken", "--lang", "en", input: "SEND\n")
        #expect(livesWord.status == 2, "\(livesWord)")
        #expect(livesWord.stderr.contains("EXERCICE / DRILL"), "\(livesWord.stderr)")
        #expect(livesWord.stderr.contains("type RESEND (or RENVOYER)"), "\(livesWord.stderr)")
        let resend = try await bed.daemon.ctl("resend", incident, "--channel", "broken", input: "renvoyer\n")
        #expect(resend.status == 0, "\(resend)")
        #expect(resend.stdout.split(separator: "\n").last.map(String.init) == "EXERCICE — personne n'a été alerté pour de vrai. / DRILL — nobody was alerted for real.", "\(resend.stdout)")
        #expect(fixed.requests(path: "/hook").count == 1)
    }

    @Test func resendSendsExactlyTheFailedDeliveriesAgainWithTheirIdsAndBytes() async throws {
        let (bed, broken, folder) = try await Self.bed()
        defer { bed.tearDown(); broken.stop(); folder.remove() }
        let incident = try await Self.sendUntilBrokenFails(bed)
        let first = try #require(broken.requests(path: "/hook").first)
        let failedID = try #require(first.headers["webhook-id"])
        let fixed = try await Self.fix(broken, in: bed)
        defer { fixed.stop() }

        // Confirmation: the screen says what goes again; a wrong word sends nothing (exit 2).
        let declined = try await bed.daemon.ctl("resend", incident, "--channel", "broken", input: "yes\n")
        #expect(declined.status == 2, "\(declined)")
        #expect(declined.stderr.contains("Channel:  broken (webhook)"), "\(declined.stderr)")
        #expect(declined.stderr.contains("Re-sends: 1 failed delivery"), "\(declined.stderr)")
        #expect(declined.stderr.contains("Not sent again: 0 delivered, 0 cancelled"), "\(declined.stderr)")
        #expect(fixed.requests().isEmpty, "a declined resend sends nothing")

        let resend = try await bed.daemon.ctl("resend", incident, "--channel", "broken", "--json", input: "RENVOYER\n")
        #expect(resend.status == 0, "\(resend)")
        let lines = resend.jsonLines
        #expect(lines.first?["event"] as? String == "resent")
        #expect(lines.first?["ids"] as? [String] == [failedID])
        #expect(lines.last?["event"] as? String == "summary")
        #expect(lines.last?["delivered"] as? Int == 1)

        let again = fixed.requests(path: "/hook")
        #expect(again.count == 1, "one failed delivery, sent once more")
        #expect(again.first?.headers["webhook-id"] == failedID, "the same id, so a receiver that got it drops it")
        #expect(again.first?.body == first.body, "the same approved bytes")
        #expect(again.first?.headers["webhook-signature"] != nil)
        #expect(bed.receiver.requests(path: "/ops").count == 1, "a delivered channel is not re-sent")

        let status = try await bed.daemon.waitForFinish(incident)
        let delivery = try #require(status.deliveries.first { $0.channel == "broken" })
        #expect(delivery.id == failedID)
        #expect(delivery.state == "delivered")
        #expect(delivery.attempts == broken.requests(path: "/hook").count + 1, "the attempt log goes on: \(delivery)")
        print("RESEND: webhook channel: \(broken.requests(path: "/hook").count) attempts answered 500 before the 3 s deadline; resend sent 1 request (same webhook-id, body \(first.body.utf8.count) bytes identical); delivered at attempt \(delivery.attempts); the delivered channel got 1 request in all")

        // Nothing failed any more: a second resend, or one of the delivered channel, is refused (exit 4).
        let twice = try await bed.daemon.ctl("resend", incident, "--channel", "broken", "--yes")
        #expect(twice.status == 4, "\(twice)")
        #expect(twice.stderr.contains("no failed delivery on channel 'broken'"), "\(twice.stderr)")
        #expect(try await bed.daemon.ctl("resend", incident, "--channel", "ops", "--yes").status == 4)
        #expect(fixed.requests().count == 1)

        let log = try await bed.daemon.ctl("audit", "log", "--subject", incident, "--json").jsonLines
        let resent = log.filter { $0["kind"] as? String == "incident.resend" }
        #expect(resent.count == 1, "\(log)")
        let detail = resent.first?["detail"] as? String ?? ""
        #expect(detail.contains(#""channel":"broken""#) && detail.contains(#""deliveries":1"#) && detail.contains(failedID), "\(detail)")
        #expect(resent.first?["uid"] as? Int == 0)
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
    }

    @Test func onAPerRecipientChannelOnlyTheRecipientsThatFailedGetTheTextAgain() async throws {
        let sid = "AC00000000000000000000000000000001"
        let path = "/twilio/2010-04-01/Accounts/\(sid)/Messages.json"
        let accepted: [String: Any] = ["status": 201, "body": #"{"sid":"SM1","status":"queued"}"#]
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        // The first text is accepted, every later one gets 500: one recipient reached, two failed at the deadline.
        let planData = try JSONSerialization.data(withJSONObject: [path: [accepted, ["status": 500]]])
        let broken = try await offPool {
            try LoopbackReceiver(in: folder, plan: (try JSONSerialization.jsonObject(with: planData)) as? [String: [[String: Any]]] ?? [:], name: "broken")
        }
        defer { broken.stop() }
        let bed = try await TestBed { receiver in
            var sms = TestConfig.Channel("sms", url: "", extra: """
                    api_base: "\(broken.url("/twilio"))"
                    account_sid: \(sid)
                    auth_token: test-token
                    from: "+15145550000"
                    to: ["+15145551001", "+15145551002", "+15145551003"]
                    max_concurrency: 1

                """)
            sms.type = "twilio-sms"
            var config = TestConfig(channels: [sms, .init("ops", url: receiver.url("/ops"))])
            config.deadline = "3s"
            return config
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        let before = try await bed.daemon.waitForFinish(incident).deliveries.filter { $0.channel == "sms" }
        let failed = Set(before.filter { $0.state == "failed" }.compactMap(\.recipient))
        #expect(failed.count == 2 && before.count { $0.state == "delivered" } == 1, "\(before)")
        let firstTries = broken.requests(path: path)
        let fixed = try await Self.fix(broken, in: bed, plan: [path: [accepted]])
        defer { fixed.stop() }

        let screen = try await bed.daemon.ctl("resend", incident, "--channel", "sms", input: "no\n")
        #expect(screen.stderr.contains("Re-sends: 2 failed deliveries, to 2 recipients"), "\(screen.stderr)")
        #expect(screen.stderr.contains("Not sent again: 1 delivered, 0 cancelled"), "\(screen.stderr)")
        let resend = try await bed.daemon.ctl("resend", incident, "--channel", "sms", "--yes", "--json")
        #expect(resend.status == 0, "\(resend)")
        #expect(resend.jsonLines.first?["recipients"] as? Int == 2)

        let texts = fixed.requests(path: path)
        let to = Set(texts.compactMap { Self.formField("To", of: $0.body) })
        #expect(to == failed, "exactly the recipients that failed, each once: \(texts.map(\.body))")
        #expect(texts.count == 2)
        for text in texts {
            let recipient = Self.formField("To", of: text.body)
            let original = firstTries.first { Self.formField("To", of: $0.body) == recipient }
            #expect(original?.body == text.body, "the same text to the same phone")
        }
        let after = try await bed.daemon.waitForFinish(incident).deliveries.filter { $0.channel == "sms" }
        #expect(after.allSatisfy { $0.state == "delivered" }, "\(after)")
        #expect(Set(after.map(\.id)) == Set(before.map(\.id)), "the same deliveries, no new ones")
        print("RESEND: SMS channel of 3 phones: 1 accepted, 2 failed after \(firstTries.count - 1) refused texts; resend sent \(texts.count) texts, to \(to.sorted()), each byte-identical to its first try")
        #expect(bed.receiver.requests(path: "/ops").count == 1)
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
    }

    private static func formField(_ name: String, of body: String) -> String? {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, parts[0] == name { return parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
        }
        return nil
    }

    @Test func resendIsRefusedAfterTheAllClearAfterACancelAndForARemovedChannel() async throws {
        let (bed, broken, folder) = try await Self.bed()
        defer { bed.tearDown(); broken.stop(); folder.remove() }
        let incident = try await Self.sendUntilBrokenFails(bed)
        _ = try await bed.daemon.ctl("templates", "approve", "all-clear", "--yes")
        // The all-clear goes over the same channels, so it fails on `broken` too.
        let clear = try await bed.daemon.ctl("all-clear", incident, "--yes", "--json")
        #expect(clear.status == 1, "\(clear)")
        let clearID = try #require(clear.jsonLines.first?["incident"] as? String)
        let before = broken.requests(path: "/hook").count

        let refused = try await bed.daemon.ctl("resend", incident, "--channel", "broken", "--yes")
        #expect(refused.status == 4, "\(refused)")
        #expect(refused.stderr.contains("all-clear"), "\(refused.stderr)")
        // Asked without --yes, the refusal comes before the question.
        let asked = try await bed.daemon.ctl("resend", incident, "--channel", "broken", input: "resend\n")
        #expect(asked.status == 4, "\(asked)")
        #expect(!asked.stderr.contains("RENVOYER (ou RESEND)") && !asked.stderr.contains("RESEND (or RENVOYER)"), "\(asked.stderr)")
        #expect(broken.requests(path: "/hook").count == before, "a refused resend sends nothing")
        let original = try await bed.daemon.waitForFinish(incident)
        #expect(original.deliveries.first { $0.channel == "broken" }?.state == "failed", "still failed, not reopened")
        // The all-clear itself may go again: it is the last word of the thread.
        let again = try await bed.daemon.ctl("resend", clearID, "--channel", "broken", "--yes", "--no-wait")
        #expect(again.status == 0, "\(again)")
        _ = try await broken.waitForRequests(before + 1, path: "/hook")
        #expect(try await bed.daemon.waitForFinish(clearID).deliveries.first { $0.channel == "broken" }?.state == "failed", "still 500")

        let second = try await Self.sendUntilBrokenFails(bed)
        let cancel = try await bed.daemon.ctl("cancel", second, "--yes")
        #expect(cancel.status == 0, "\(cancel)")
        let beforeCancelled = broken.requests(path: "/hook").count
        let afterCancel = try await bed.daemon.ctl("resend", second, "--channel", "broken", "--yes")
        #expect(afterCancel.status == 4, "\(afterCancel)")
        #expect(afterCancel.stderr.contains("cancelled"), "\(afterCancel.stderr)")
        #expect(broken.requests(path: "/hook").count == beforeCancelled)

        // The channel leaves the configuration: its failed deliveries of a third incident cannot go anywhere.
        let third = try await Self.sendUntilBrokenFails(bed)
        let sentBefore = broken.requests(path: "/hook").count
        let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
        let without = config.replacingOccurrences(of: "[ops, broken]", with: "[ops]")
            .replacingOccurrences(of: #"  broken:\n    type: webhook\n"#, with: "  gone:\n    type: webhook\n", options: .regularExpression)
        try without.write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
        let reload = try await bed.daemon.ctl("reload")
        #expect(reload.status == 0, "\(reload)\n\(without)")
        let removed = try await bed.daemon.ctl("resend", third, "--channel", "broken", "--yes")
        #expect(removed.status == 4, "\(removed)")
        #expect(removed.stderr.contains("no longer configured"), "\(removed.stderr)")
        #expect(broken.requests(path: "/hook").count == sentBefore, "no refused resend sent anything")
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
    }

    @Test(.enabled(if: required(getuid() == 0), "needs root to run the CLI as 'nobody' with setpriv; run `make test` as root to include it"))
    func aCallerWithoutTheOperatorRoleIsRefusedAndAudited() async throws {
        let (bed, broken, folder) = try await Self.bed(operatorsOnly: false)
        defer { bed.tearDown(); broken.stop(); folder.remove() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        let incident = try await Self.sendUntilBrokenFails(bed)
        let before = broken.requests(path: "/hook").count

        let resend = try await bed.daemon.ctl(arguments: ["resend", incident, "--channel", "broken", "--yes"], as: "nobody")
        #expect(resend.status == 4, "\(resend)")
        #expect(resend.stderr.contains("may not call incident.resend"), "\(resend.stderr)")
        #expect(broken.requests(path: "/hook").count == before)
        let status = try await bed.daemon.waitForFinish(incident)
        #expect(status.deliveries.first { $0.channel == "broken" }?.state == "failed", "still failed, not reopened")

        let log = try await bed.daemon.ctl("audit", "log", "--subject", "admin", "--json").jsonLines
        let refusal = log.first {
            $0["kind"] as? String == "admin.request" && $0["uid"] as? Int == 65534
                && ($0["detail"] as? String)?.contains("incident.resend") == true
        }
        #expect((refusal?["detail"] as? String)?.contains("refused: not authorised") == true, "\(log)")
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
    }
}
