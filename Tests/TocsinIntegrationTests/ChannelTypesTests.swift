import Foundation
import Testing
import TocsinTestSupport

/// The chat and API channel types end to end: real tocsind, each channel pointed at the loopback receiver through
/// its `url` or `api_base`, and every request checked as the service would receive it.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ChannelTypesTests {
    static let botToken = "123456789:AAH-botSECRET"
    static let ntfyToken = "tk_ntfySECRET"
    static let accountSID = "AC0123456789abcdef0123456789abcdef"
    static let authToken = "twilioSECRETtoken"
    static let pageToken = "EAABpageSECRET"
    static let xSecrets = ["xConsumerSECRET", "xAccessSECRET", "xAccessTokenSECRET"]
    static var allSecrets: [String] { [botToken, ntfyToken, authToken, pageToken] + xSecrets }

    static func channel(_ name: String, type: String, url: String = "", _ extra: String) -> TestConfig.Channel {
        var channel = TestConfig.Channel(name, url: url, extra: extra)
        channel.type = type
        return channel
    }

    /// The test template has no short text, so X, whose request shape is checked here, accepts shortening.
    static func channels(_ receiver: LoopbackReceiver) -> [TestConfig.Channel] {
        [
            channel("slack", type: "slack", url: receiver.url("/slack"), ""),
            channel("teams", type: "teams", url: receiver.url("/teams"), "    languages: [fr]\n"),
            channel("discord", type: "discord", url: receiver.url("/discord"), "    languages: [en]\n"),
            channel("mattermost", type: "mattermost", url: receiver.url("/mattermost"), ""),
            channel("gchat", type: "google-chat", url: receiver.url("/gchat"), ""),
            channel("telegram", type: "telegram", """
                    api_base: "\(receiver.url("/tg"))"
                    bot_token: "\(botToken)"
                    chat_id: "-1001234567890"

                """),
            channel("ntfy", type: "ntfy", url: receiver.url("/ntfy/cegep-alertes"), "    token: \(ntfyToken)\n"),
            channel("sms", type: "twilio-sms", """
                    api_base: "\(receiver.url("/twilio"))"
                    account_sid: \(accountSID)
                    auth_token: \(authToken)
                    from: "+15145550000"
                    to: ["+1 514 555 1234", "+15145559876"]
                    max_segments: 3

                """),
            channel("facebook", type: "facebook-page", """
                    api_base: "\(receiver.url("/graph"))"
                    page_id: "104857600000001"
                    access_token: \(pageToken)
                    languages: [fr]

                """),
            channel("x", type: "x", """
                    api_base: "\(receiver.url("/x"))"
                    consumer_key: xConsumerKey
                    consumer_secret: \(xSecrets[0])
                    access_token: \(xSecrets[1])
                    access_token_secret: \(xSecrets[2])
                    allow_shortening: true

                """),
        ]
    }

    static var plan: [String: [[String: Any]]] { [
        "/slack": [["body": "ok"]],
        "/graph/v19.0/104857600000001/feed": [["body": #"{"id":"104857600000001_42"}"#]],
        "/x/2/tweets": [["status": 201, "body": #"{"data":{"id":"1","text":"x"}}"#]],
        "/twilio/2010-04-01/Accounts/\(accountSID)/Messages.json": [["status": 201, "body": #"{"sid":"SM1","status":"queued"}"#]],
        "/tg/bot\(botToken)/sendMessage": [["body": #"{"ok":true,"result":{"message_id":1}}"#]],
    ] }

    @Test func everyChannelTypeSendsWhatItsServiceExpects() async throws {
        let bed = try await TestBed(plan: Self.plan) { receiver in TestConfig(channels: Self.channels(receiver)) }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)

        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
        #expect(send.status == 0, "\(send)\n\(bed.daemon.log())")
        let summary = try #require(send.jsonLines.last)
        #expect(summary["delivered"] as? Int == 11, "ten channels, the SMS one with two recipients")
        for secret in Self.allSecrets { #expect(!send.stdout.contains(secret)) }

        let receiver = bed.receiver
        let slack = try #require(receiver.requests(path: "/slack").first)
        #expect(slack.method == "POST" && slack.headers["content-type"] == "application/json")
        #expect((slack.json?["text"] as? String)?.hasPrefix("ÉVACUATION — Pavillon A\nQuittez Pavillon A immédiatement.") == true)
        #expect((slack.json?["blocks"] as? [[String: Any]])?.map { $0["type"] as? String } == ["header", "section", "divider", "header", "section"])

        let teams = try #require(receiver.requests(path: "/teams").first)
        let attachment = try #require((teams.json?["attachments"] as? [[String: Any]])?.first)
        #expect(teams.json?["type"] as? String == "message")
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        #expect(((attachment["content"] as? [String: Any])?["body"] as? [Any])?.count == 1, "French only")

        let discord = try #require(receiver.requests(path: "/discord").first)
        #expect(discord.json?["content"] as? String == "**EVACUATION — Pavillon A**\nLeave Pavillon A now. Assembly point: Stationnement P1.")
        #expect((discord.json?["allowed_mentions"] as? [String: Any])?["parse"] as? [String] == [])

        let mattermost = try #require(receiver.requests(path: "/mattermost").first)
        #expect((mattermost.json?["text"] as? String)?.contains("\n\n---\n\n**EVACUATION — Pavillon A**") == true)

        let chat = try #require(receiver.requests(path: "/gchat").first)
        #expect(chat.json?["fallbackText"] as? String == "ÉVACUATION — Pavillon A / EVACUATION — Pavillon A")

        let telegram = try #require(receiver.requests(path: "/tg/bot\(Self.botToken)/sendMessage").first)
        #expect(telegram.json?["chat_id"] as? Int == -1_001_234_567_890)
        #expect(telegram.json?["parse_mode"] as? String == "HTML")
        #expect((telegram.json?["text"] as? String)?.hasPrefix("<b>ÉVACUATION — Pavillon A</b>\n") == true)

        let ntfy = try #require(receiver.requests(path: "/ntfy/cegep-alertes").first)
        #expect(ntfy.headers["authorization"] == "Bearer \(Self.ntfyToken)")
        #expect(ntfy.headers["priority"] == "urgent")
        #expect(ntfy.headers["tags"] == "rotating_light,fire")
        #expect(ntfy.headers["title"]?.hasPrefix("=?UTF-8?B?") == true)
        #expect(ntfy.body.hasPrefix("Quittez Pavillon A immédiatement."))

        let sms = receiver.requests(path: "/twilio/2010-04-01/Accounts/\(Self.accountSID)/Messages.json")
        #expect(sms.count == 2)
        let basic = "Basic " + Data("\(Self.accountSID):\(Self.authToken)".utf8).base64EncodedString()
        #expect(sms.allSatisfy { $0.headers["authorization"] == basic && $0.headers["content-type"] == "application/x-www-form-urlencoded" })
        let forms = sms.map { Self.form($0.body) }
        #expect(Set(forms.compactMap { $0["To"] }) == ["+15145551234", "+15145559876"])
        #expect(Set(forms.compactMap { $0["Body"] }).count == 1, "one text for every recipient")
        #expect(forms.first?["From"] == "+15145550000")
        #expect(forms.first?["Body"]?.hasPrefix("ÉVACUATION - Pavillon A\n") == true)

        let facebook = try #require(receiver.requests(path: "/graph/v19.0/104857600000001/feed").first)
        let post = Self.form(facebook.body)
        #expect(post["access_token"] == Self.pageToken)
        #expect(post["message"]?.hasPrefix("ÉVACUATION — Pavillon A\n\nQuittez") == true)
        #expect(post["message"]?.contains("EVACUATION") == false, "French only")

        let x = try #require(receiver.requests(path: "/x/2/tweets").first)
        let authorization = try #require(x.headers["authorization"])
        #expect(authorization.hasPrefix("OAuth oauth_consumer_key=\"xConsumerKey\", oauth_nonce=\""))
        #expect(authorization.contains("oauth_signature_method=\"HMAC-SHA1\"") && authorization.contains("oauth_signature=\""))
        #expect(authorization.contains("oauth_token=\"\(Self.xSecrets[1])\"") && !authorization.contains(Self.xSecrets[0]))
        #expect((x.json?["text"] as? String)?.hasPrefix("ÉVACUATION — Pavillon A\n") == true)
    }

    @Test func serviceAnswersDecideTheOutcome() async throws {
        let plan: [String: [[String: Any]]] = [
            // A 200 whose body says the call failed: misconfiguration, not retried.
            "/tg/bot\(Self.botToken)/sendMessage": [["body": #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#]],
            // Throttled by Twilio, then accepted.
            "/twilio/2010-04-01/Accounts/\(Self.accountSID)/Messages.json": [
                ["status": 429, "body": #"{"code":20429,"message":"Too Many Requests","status":429}"#],
                ["status": 201, "body": #"{"sid":"SM1"}"#],
            ],
            // Slack answers 200 only with "ok": anything else is a wrong URL.
            "/slack": [["body": "<html>portal</html>"]],
        ]
        let bed = try await TestBed(plan: plan) { receiver in
            let all = Self.channels(receiver)
            var sms = all.first { $0.name == "sms" }!
            sms.extra = sms.extra.replacingOccurrences(of: #"to: ["+1 514 555 1234", "+15145559876"]"#, with: #"to: ["+15145551234"]"#)
            return TestConfig(channels: [all.first { $0.name == "telegram" }!, sms, all.first { $0.name == "slack" }!])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")

        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json"])
        #expect(send.status == 1, "some deliveries failed\n\(send)")
        let deliveries = try #require(send.jsonLines.last?["deliveries"] as? [[String: Any]])
        let telegram = try #require(deliveries.first { $0["channel"] as? String == "telegram" })
        #expect(telegram["state"] as? String == "failed")
        #expect(telegram["misconfiguration"] as? Bool == true)
        #expect((telegram["lastError"] as? String)?.contains("chat not found") == true)
        #expect((telegram["lastError"] as? String)?.contains(Self.botToken) == false)
        #expect(bed.receiver.requests(path: "/tg/bot\(Self.botToken)/sendMessage").count == 1)

        #expect(deliveries.first { $0["channel"] as? String == "sms" }?["state"] as? String == "delivered")
        #expect(bed.receiver.requests(path: "/twilio/2010-04-01/Accounts/\(Self.accountSID)/Messages.json").count == 2)

        let slack = try #require(deliveries.first { $0["channel"] as? String == "slack" })
        #expect(slack["state"] as? String == "failed" && slack["misconfiguration"] as? Bool == true)
        for secret in Self.allSecrets { #expect(!send.stdout.contains(secret)) }
    }

    static func form(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }
}
