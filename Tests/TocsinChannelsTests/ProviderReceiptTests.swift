import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

/// Provider receipts read from the answers the services document (shapes from their reference pages, see
/// ``ProviderReceipt``), and what is refused as an id.
struct ProviderReceiptTests {
    struct Answer: Sendable, CustomTestStringConvertible {
        var type: ChannelType
        var body: String
        var id: String?
        var testDescription: String { "\(type.rawValue) → \(id ?? "none")" }
    }

    static let answers: [Answer] = [
        // Twilio, Messages resource: the 201 answer to a create (abridged, with the account and numbers of the docs' form).
        Answer(type: .twilioSMS, body: #"""
            {"account_sid":"ACc4c268517530bb5fec0b659e3f88c6be","api_version":"2010-04-01","body":"Hello","date_created":"Tue, 27 Nov 2018 16:14:39 +0000","date_sent":null,"direction":"outbound-api","error_code":null,"from":"+19106000514","messaging_service_sid":null,"num_media":"0","num_segments":"1","price":null,"sid":"SM29f4f980778e4621b72df75ac82f5000","status":"queued","to":"+15145550001","uri":"/2010-04-01/Accounts/ACc4c268517530bb5fec0b659e3f88c6be/Messages/SM29f4f980778e4621b72df75ac82f5000.json"}
            """#, id: "SM29f4f980778e4621b72df75ac82f5000"),
        // Graph API, page feed publish.
        Answer(type: .facebookPage, body: #"{"id":"104857600000001_1234567890123456"}"#, id: "104857600000001_1234567890123456"),
        // X API v2, POST /2/tweets (201).
        Answer(type: .x, body: #"{"data":{"id":"1346889436626259968","text":"Learn how to use the user Tweet timeline"}}"#, id: "1346889436626259968"),
        Answer(type: .x, body: #"{"data":{"edit_history_tweet_ids":["1445880548472328192"],"id":"1445880548472328192","text":"EVACUATION"}}"#, id: "1445880548472328192"),
        // Telegram Bot API, sendMessage: message_id is an integer.
        Answer(type: .telegram, body: #"""
            {"ok":true,"result":{"message_id":42,"from":{"id":987654321,"is_bot":true,"first_name":"MyBot"},"chat":{"id":-1001234567890,"type":"channel"},"date":1746268800,"text":"EVACUATION"}}
            """#, id: "42"),
        // Discord, Execute Webhook with ?wait=true: the message object.
        Answer(type: .discord, body: #"""
            {"id":"1183418733925822484","type":0,"content":"**EVACUATION**","channel_id":"1101234567890123456","author":{"id":"1101234567890999999","username":"Tocsin","bot":true},"timestamp":"2026-11-23T16:40:43.210000+00:00","webhook_id":"1101234567890999999"}
            """#, id: "1183418733925822484"),
        // Google Chat webhook: the created Message.
        Answer(type: .googleChat, body: #"{"name":"spaces/AAAAx1y2z3/messages/abc123.abc123","text":"EVACUATION"}"#, id: "spaces/AAAAx1y2z3/messages/abc123.abc123"),
        // ntfy publish.
        Answer(type: .ntfy, body: #"{"id":"sPs71M8A2T","time":1643733211,"expires":1643776411,"event":"message","topic":"campus","message":"EVACUATION"}"#, id: "sPs71M8A2T"),
        // Services that give no id, and answers without one.
        Answer(type: .slack, body: "ok", id: nil),
        Answer(type: .webhook, body: #"{"id":"not-ours-to-read"}"#, id: nil),
        Answer(type: .twilioSMS, body: "", id: nil),
        Answer(type: .x, body: #"{"data":{"text":"no id"}}"#, id: nil),
        Answer(type: .telegram, body: #"{"ok":true,"result":true}"#, id: nil),
    ]

    @Test(arguments: answers)
    func theIdOfEachServicesAnswer(_ answer: Answer) {
        #expect(ProviderReceipt.id(fromAnswer: Array(answer.body.utf8), of: answer.type) == answer.id)
    }

    @Test(arguments: [
        // Postfix (short and long queue ids), and the many relays that copy its wording (SendGrid, Mailgun).
        ("250 2.0.0 Ok: queued as 4F2A1C2B3D", "4F2A1C2B3D"),
        ("250 2.0.0 Ok: queued as 4Nc7vX2kLdz1Sb", "4Nc7vX2kLdz1Sb"),
        ("250 Ok: queued as kQ3x8pGzTJ2mN1vA0oWcYg", "kQ3x8pGzTJ2mN1vA0oWcYg"),
        // Exim.
        ("250 OK id=1pAbCd-000123-Ab", "1pAbCd-000123-Ab"),
        // Sendmail.
        ("250 2.0.0 2B5Jx1aB012345 Message accepted for delivery", "2B5Jx1aB012345"),
        // Microsoft Exchange / Microsoft 365.
        ("250 2.6.0 <DM6PR11MB1234.namprd11.prod.outlook.com@DM6PR11MB1234> [InternalId=1234567890, Hostname=DM6PR11MB1234] Queued mail for delivery",
         "DM6PR11MB1234.namprd11.prod.outlook.com@DM6PR11MB1234"),
        // Gmail.
        ("250 2.0.0 OK  1732234567 d9443c01a7336-21f2a3b4c5d6esi123456ad.123 - gsmtp", "d9443c01a7336-21f2a3b4c5d6esi123456ad.123"),
        // Amazon SES.
        ("250 Ok 0100018b2f3c4d5e-6f7a8b9c-1d2e-3f4a-5b6c-7d8e9f0a1b2c-000000", "0100018b2f3c4d5e-6f7a8b9c-1d2e-3f4a-5b6c-7d8e9f0a1b2c-000000"),
        // A multi-line reply: the id is on its last line.
        ("250-Accepted\n250 2.0.0 Ok: queued as 7C0FFEE123", "7C0FFEE123"),
    ])
    func theQueueIdOfEachMailServersReply(_ reply: String, _ id: String) {
        #expect(ProviderReceipt.queueID(fromSMTPReply: reply) == id)
    }

    @Test(arguments: ["250 OK", "250 2.0.0 OK", "250 Message accepted for delivery", "250 Accepted", "550 5.1.1 queued as NOTOURS1", ""])
    func aReplyWithoutAQueueIdGivesNone(_ reply: String) {
        #expect(ProviderReceipt.queueID(fromSMTPReply: reply) == nil)
    }

    /// A hostile or broken service cannot put text, markup, control characters or bulk into the audit log through
    /// its "id": anything but a short id is dropped whole, never cut.
    @Test(arguments: [
        #"{"sid":"SM\#(String(repeating: "a", count: 5_000))"}"#,
        #"{"sid":"SM0123 Authorization: Bearer xyz"}"#,
        #"{"sid":"SM0123\n{\"kind\":\"forged\"}"}"#,
        #"{"sid":"<script>alert(1)</script>"}"#,
        #"{"sid":"SM0123\u0000"}"#,
        #"{"sid":"SMé0123"}"#,
        #"{"sid":""}"#,
        #"{"sid":true}"#,
        #"{"sid":1.5}"#,
        #"{"sid":{"nested":"SM0123"}}"#,
        #"{"sid":["SM0123"]}"#,
    ])
    func anythingButAShortIdIsDropped(_ body: String) {
        #expect(ProviderReceipt.id(fromAnswer: Array(body.utf8), of: .twilioSMS) == nil)
    }

    @Test func theLongestIdKeptIsAHundredCharacters() {
        let longest = String(repeating: "7", count: ProviderReceipt.maxLength)
        #expect(ProviderReceipt.id(fromAnswer: Array(#"{"id":"\#(longest)"}"#.utf8), of: .facebookPage) == longest)
        #expect(ProviderReceipt.id(fromAnswer: Array(#"{"id":"\#(longest)7"}"#.utf8), of: .facebookPage) == nil)
        let huge = "250 2.0.0 Ok: queued as " + String(repeating: "A", count: 400)
        #expect(ProviderReceipt.queueID(fromSMTPReply: huge) == nil)
    }

    @Test func servicesThatOnlyQueueSayAcceptedNeverDelivered() {
        #expect(ProviderReceipt.acceptance(of: .twilioSMS, id: "SM29f4f980778e4621b72df75ac82f5000") == "accepted by Twilio (SM29f4f980778e4621b72df75ac82f5000)")
        #expect(ProviderReceipt.acceptance(of: .twilioSMS, id: nil) == "accepted by Twilio (no message SID returned)")
        #expect(ProviderReceipt.acceptance(of: .email, id: "4F2A1C2B3D") == "accepted by the mail server (queue id 4F2A1C2B3D)")
        #expect(ProviderReceipt.acceptance(of: .email, id: nil) == "accepted by the mail server (no queue id given)")
        #expect(ProviderReceipt.acceptance(of: .x, id: "1346889436626259968") == "posted on X (post 1346889436626259968)")
        #expect(ProviderReceipt.acceptance(of: .telegram, id: "42") == "posted to Telegram (message 42)")
        #expect(ProviderReceipt.acceptance(of: .webhook, id: nil) == nil)
        #expect(ProviderReceipt.acceptance(of: .slack, id: nil) == nil)
    }

    /// Through the adapters: the endpoint reads its own service's id (the protocol's default), and an e-mail
    /// endpoint reads the reply the transport kept.
    @Test func endpointsReadTheirServicesReceipt() throws {
        let twilio = try TwilioSMSEndpointTests.endpoint()
        let answer = HTTPResponse(status: 201, body: Array(#"{"sid":"SM0123456789abcdef0123456789abcdef","status":"queued"}"#.utf8))
        #expect(twilio.receipt(answer) == "SM0123456789abcdef0123456789abcdef")

        let email = try EmailEndpoint(EmailEndpointTests.definition(), timeout: .seconds(10))
        #expect(email.receipt(mail: MailResponse(code: 250, latency: .zero, reply: "250 2.0.0 Ok: queued as 4F2A1C2B3D")) == "4F2A1C2B3D")
        #expect(email.receipt(mail: MailResponse(code: 250, latency: .zero, reply: nil)) == nil)
    }
}
