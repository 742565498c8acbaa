import Foundation
import Testing
import TocsinTestSupport

/// Provider receipts end to end: real tocsind; the loopback receiver answering as Twilio, the Graph API, X,
/// Telegram and Discord document; a real SMTP server naming its queue id. Each service's own id must reach
/// `status` (JSON and text), `report` (JSON, text, HTML) and the audit export — and a hostile service's "id" must not.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ReceiptTests {
    static let botToken = "123456789:AAH-botSECRET"
    static let accountSID = "AC0123456789abcdef0123456789abcdef"
    static let authToken = "twilioSECRETtoken0123456789abcdef"
    static let pageToken = "EAABpageSECRET"
    static let smsSIDs = ["SM29f4f980778e4621b72df75ac82f5000", "SM29f4f980778e4621b72df75ac82f5001"]
    static let graphPost = "104857600000001_1234567890123456"
    static let xPost = "1346889436626259968"
    static let telegramMessage = 4242
    static let discordMessage = "1183418733925822484"

    static var plan: [String: [[String: Any]]] { [
        "/twilio/2010-04-01/Accounts/\(accountSID)/Messages.json": smsSIDs.map { sid in
            ["status": 201, "body": #"{"account_sid":"\#(accountSID)","sid":"\#(sid)","status":"queued","num_segments":"1"}"#]
        },
        "/graph/v19.0/104857600000001/feed": [["body": #"{"id":"\#(graphPost)"}"#]],
        "/x/2/tweets": [["status": 201, "body": #"{"data":{"edit_history_tweet_ids":["\#(xPost)"],"id":"\#(xPost)","text":"EVACUATION"}}"#]],
        "/tg/bot\(botToken)/sendMessage": [["body": #"{"ok":true,"result":{"message_id":\#(telegramMessage),"chat":{"id":-1001234567890,"type":"channel"},"date":1795452043}}"#]],
        "/discord": [["body": #"{"id":"\#(discordMessage)","type":0,"channel_id":"1101234567890123456","webhook_id":"1101234567890999999"}"#]],
    ] }

    /// The one JSON object a `--json` verb prints (pretty-printed over several lines).
    func object(_ result: CommandResult) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
    }

    static func channel(_ name: String, type: String, url: String = "", _ extra: String) -> TestConfig.Channel {
        var channel = TestConfig.Channel(name, url: url, extra: extra)
        channel.type = type
        return channel
    }

    static func channels(_ receiver: LoopbackReceiver, smtp: LoopbackSMTPServer) -> [TestConfig.Channel] {
        [
            channel("sms", type: "twilio-sms", """
                    api_base: "\(receiver.url("/twilio"))"
                    account_sid: \(accountSID)
                    auth_token: \(authToken)
                    from: "+15145550000"
                    to: ["+15145551234", "+15145559876"]

                """),
            channel("facebook", type: "facebook-page", """
                    api_base: "\(receiver.url("/graph"))"
                    page_id: "104857600000001"
                    access_token: \(pageToken)

                """),
            channel("x", type: "x", """
                    api_base: "\(receiver.url("/x"))"
                    consumer_key: xConsumerKey
                    consumer_secret: xConsumerSECRET
                    access_token: xAccessSECRET
                    access_token_secret: xAccessTokenSECRET
                    allow_shortening: true

                """),
            channel("telegram", type: "telegram", """
                    api_base: "\(receiver.url("/tg"))"
                    bot_token: "\(botToken)"
                    chat_id: "-1001234567890"

                """),
            channel("discord", type: "discord", url: receiver.url("/discord"), ""),
            channel("hook", type: "webhook", url: receiver.url("/hook"), ""),
            channel("courriel", type: "email", """
                    smtp_url: "\(smtp.url)"
                    from: alertes@cegep.example
                    to: [un@cegep.example]

                """),
        ]
    }

    @Test func eachServicesIdReachesStatusReportAndAuditExport() async throws {
        let smtpFolder = try TemporaryDirectory()
        defer { smtpFolder.remove() }
        let smtp = try await offPool { try LoopbackSMTPServer(in: smtpFolder) }
        defer { smtp.stop() }
        let bed = try await TestBed(plan: Self.plan) { receiver in TestConfig(channels: Self.channels(receiver, smtp: smtp)) }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
        #expect(send.status == 0, "\(send)\n\(bed.daemon.log())")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        let queueID = try #require(smtp.messages().first?.queueID)

        let expected: [String: String] = [
            "facebook": Self.graphPost, "x": Self.xPost, "telegram": "\(Self.telegramMessage)", "discord": Self.discordMessage,
            "courriel": queueID,
        ]
        let words: [String: String] = [
            "facebook": "posted on the Facebook page (post \(Self.graphPost))", "x": "posted on X (post \(Self.xPost))",
            "telegram": "posted to Telegram (message \(Self.telegramMessage))", "discord": "posted to Discord (message \(Self.discordMessage))",
            "courriel": "accepted by the mail server (queue id \(queueID))",
        ]

        // status --json: per delivery, the id and what it means; the plain webhook gives none.
        let status = try await bed.daemon.ctl("status", incident, "--json")
        #expect(status.status == 0, "\(status)")
        let deliveries = try #require(object(status)["deliveries"] as? [[String: Any]])
        #expect(deliveries.count == 8)
        for delivery in deliveries {
            let channel = delivery["channel"] as? String ?? "?"
            #expect(delivery["state"] as? String == "delivered", "\(delivery)")
            switch channel {
            case "sms":
                let sid = try #require(delivery["receipt"] as? String)
                #expect(delivery["acceptance"] as? String == "accepted by Twilio (\(sid))")
            case "hook":
                #expect(delivery["receipt"] == nil && delivery["acceptance"] == nil, "\(delivery)")
            default:
                #expect(delivery["receipt"] as? String == expected[channel], "\(channel)")
                #expect(delivery["acceptance"] as? String == words[channel], "\(channel)")
            }
        }
        #expect(Set(deliveries.filter { $0["channel"] as? String == "sms" }.compactMap { $0["receipt"] as? String }) == Set(Self.smsSIDs))

        // The text status line: an SMS is "accepted by Twilio", never "delivered".
        let text = try await bed.daemon.ctl("status", incident)
        let smsLines = text.stdout.split(separator: "\n").filter { $0.contains("sms → ") }
        #expect(smsLines.count == 2, "\(text.stdout)")
        #expect(smsLines.allSatisfy { $0.contains("accepted   sms → +1514555") && $0.contains("by Twilio (SM29f4f980778e4621b72df75ac82f500") && !$0.contains("delivered") }, "\(text.stdout)")
        #expect(text.stdout.contains("accepted   courriel → un@cegep.example by the mail server (queue id \(queueID))"), "\(text.stdout)")
        #expect(text.stdout.contains("posted     x on X (post \(Self.xPost))"), "\(text.stdout)")
        #expect(text.stdout.contains("delivered  hook ("), "\(text.stdout)")
        // A mail server's reply is an SMTP code, not HTTP.
        #expect(text.stdout.contains(", SMTP 250, ") && !text.stdout.contains("HTTP 250"), "\(text.stdout)")

        // In French, by the channel's type and the id (never a translation of the English words).
        let french = try await runCommand(PackagePaths.tocsinctl, ["status", incident, "--lang", "fr"], environment: bed.daemon.ctlEnvironment)
        #expect(french.stdout.contains("accepté    courriel → un@cegep.example par le serveur de courriel (identifiant de file \(queueID))"), "\(french.stdout)")
        #expect(french.stdout.contains("par Twilio (SM29f4f980778e4621b72df75ac82f500"), "\(french.stdout)")
        #expect(french.stdout.contains("publié     x sur X (publication \(Self.xPost))"), "\(french.stdout)")
        #expect(!french.stdout.contains("accepted") && !french.stdout.contains("posted"), "\(french.stdout)")
        let frenchReport = try await runCommand(PackagePaths.tocsinctl, ["report", incident, "--lang", "fr"], environment: bed.daemon.ctlEnvironment)
        #expect(frenchReport.stdout.contains("reçu : publié sur la page Facebook (publication \(Self.graphPost))"), "\(frenchReport.stdout)")
        #expect(!frenchReport.stdout.contains("accepted by") && !frenchReport.stdout.contains("posted on"), "\(frenchReport.stdout)")

        // report --json: on each delivery and on the attempt that got it accepted.
        let report = try await bed.daemon.ctl("report", incident, "--json")
        #expect(report.status == 0, "\(report)")
        let rows = try #require(object(report)["deliveries"] as? [[String: Any]])
        for row in rows where row["channel"] as? String != "sms" && row["channel"] as? String != "hook" {
            let channel = row["channel"] as? String ?? "?"
            #expect(row["receipt"] as? String == expected[channel], "\(channel)")
            #expect(row["acceptance"] as? String == words[channel], "\(channel)")
            let log = try #require(row["attemptLog"] as? [[String: Any]])
            #expect(log.last?["receipt"] as? String == expected[channel], "\(channel)")
        }
        // Text and HTML reports.
        let reportText = try await bed.daemon.ctl("report", incident, "--html", bed.directory.file("review.html"))
        #expect(reportText.stdout.contains("receipt: accepted by Twilio (SM29f4f980778e4621b72df75ac82f500"), "\(reportText.stdout)")
        #expect(reportText.stdout.contains("receipt: posted on X (post \(Self.xPost))"), "\(reportText.stdout)")
        let html = try String(contentsOfFile: bed.directory.file("review.html"), encoding: .utf8)
        for id in Self.smsSIDs + [Self.graphPost, Self.xPost, queueID] { #expect(html.contains(id), "\(id)") }

        // The audit export: the attempt and the final state of each delivery name the id.
        let export = try await bed.daemon.ctl("audit", "export")
        #expect(export.status == 0, "\(export)")
        let entries = export.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        for id in Self.smsSIDs + Array(expected.values) {
            for kind in ["delivery.attempt", "delivery.final"] {
                let hits = entries.filter { ($0["kind"] as? String) == kind && (($0["detail"] as? String)?.contains(#""receipt":"\#(id)""#) ?? false) }
                #expect(hits.count == 1, "\(kind) with \(id)")
            }
        }
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)")
    }

    /// A hostile or broken service (a compromised proxy at api_base) answering with our own token, a huge value or
    /// text with a line break as its "id": the message counts as accepted, the "id" is dropped whole, and neither
    /// it nor any piece of it reaches the status, the report or the audit log.
    @Test func aHostileServicesIdNeverReachesTheAuditLog() async throws {
        let huge = String(repeating: "9", count: 20_000)
        let plan: [String: [[String: Any]]] = [
            "/twilio/2010-04-01/Accounts/\(Self.accountSID)/Messages.json": [["status": 201, "body": #"{"sid":"\#(Self.authToken)","status":"queued"}"#]],
            "/x/2/tweets": [["status": 201, "body": #"{"data":{"id":"\#(huge)","text":"x"}}"#]],
            "/graph/v19.0/104857600000001/feed": [["body": #"{"id":"1048_42\n{\"kind\":\"forged\"}"}"#]],
        ]
        let smtpFolder = try TemporaryDirectory()
        defer { smtpFolder.remove() }
        let smtp = try await offPool { try LoopbackSMTPServer(in: smtpFolder) }
        defer { smtp.stop() }
        let bed = try await TestBed(plan: plan) { receiver in
            TestConfig(channels: Self.channels(receiver, smtp: smtp).filter { ["sms", "x", "facebook"].contains($0.name) })
        }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
        #expect(send.status == 0, "accepted all the same\n\(send)\n\(bed.daemon.log())")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)

        let status = try await bed.daemon.ctl("status", incident, "--json")
        let deliveries = try #require(object(status)["deliveries"] as? [[String: Any]])
        #expect(deliveries.count == 4)
        #expect(deliveries.allSatisfy { $0["receipt"] == nil }, "\(deliveries)")
        #expect(deliveries.filter { $0["channel"] as? String == "sms" }.allSatisfy { $0["acceptance"] as? String == "accepted by Twilio (no message SID returned)" })

        let export = try await bed.daemon.ctl("audit", "export")
        let report = try await bed.daemon.ctl("report", incident, "--json")
        for output in [export.stdout, report.stdout, status.stdout, bed.daemon.log()] {
            #expect(!output.contains(Self.authToken))
            #expect(!output.contains(String(repeating: "9", count: 200)))
            #expect(!output.contains("forged"))
        }
        #expect(!export.stdout.contains(#""receipt""#))
    }
}
