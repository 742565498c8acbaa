import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests
import TocsinTestSupport

struct EmailEndpointTests {
    static func definition(
        smtpURL: String = "smtp://mail.cegep.example:587", settings: [String: String] = [:], password: String? = nil,
        languages: [String] = ["fr", "en"]
    ) -> ChannelDefinition {
        var all = ["smtp_url": smtpURL, "from": "alertes@cegep.example"]
        all.merge(settings) { $1 }
        return ChannelDefinition(
            name: "courriel", type: .email, languages: languages, settings: all,
            secrets: password.map { ["password": Secret($0)] } ?? [:], recipients: ["a@cegep.example", "b@cegep.example"]
        )
    }

    static func message(
        title: String = "ÉVACUATION — Pavillon A", body: String = "Quittez Pavillon A immédiatement.", status: CAP.Status = .actual
    ) -> OutgoingMessage {
        OutgoingMessage(
            incidentID: "20261123-K7QF2A", status: status, msgType: .alert, references: [], templateID: "evacuation",
            approved: true, organization: "Cégep de l'Exemple", sender: "alertes@cegep.example",
            sent: "2026-11-23T11:40:42-05:00", category: .fire, severity: .extreme, urgency: .immediate,
            certainty: .observed, response: .evacuate,
            messages: [
                RenderedMessage(language: "fr", event: "Évacuation", title: title, body: body, instruction: "Ne revenez pas."),
                RenderedMessage(language: "en", event: "Evacuation", title: "EVACUATION — Pavillon A", body: "Leave Pavillon A now."),
            ]
        )
    }

    struct Parsed: Decodable {
        struct Part: Decodable {
            var type: String
            var charset: String?
            var encoding: String?
            var text: String
        }

        var subject: String
        var from: String
        var to: String
        var messageID: String
        var date: String
        var contentType: String
        var mimeVersion: String
        var defects: [String]
        var parts: [Part]
    }

    /// Parses the message with Python's `email` package (modern policy), the way a mail client would.
    /// Parts' canonical CRLF line ends come back as `\n`.
    static func parse(_ message: [UInt8]) async throws -> Parsed {
        let script = """
            import email, email.utils, json, sys
            from email import policy
            msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
            defects = [repr(d) for d in msg.defects]
            parts = []
            for part in msg.iter_parts():
                defects += [repr(d) for d in part.defects]
                parts.append({"type": part.get_content_type(), "charset": part.get_content_charset(),
                              "encoding": part["content-transfer-encoding"],
                              "text": part.get_content().replace("\\r\\n", "\\n")})
            print(json.dumps({
                "subject": str(msg["subject"]), "from": str(msg["from"]), "to": str(msg["to"]),
                "messageID": str(msg["message-id"]),
                "date": email.utils.parsedate_to_datetime(msg["date"]).isoformat(),
                "contentType": msg.get_content_type(), "mimeVersion": str(msg["mime-version"]),
                "defects": defects, "parts": parts}))
            """
        let result = try await ExternalTools.run(["python3", "-c", script], input: message)
        try #require(result.status == 0, "\(result.stderr)")
        return try JSONDecoder().decode(Parsed.self, from: Data(result.stdout.utf8))
    }

    static func mail(_ request: OutboundRequest) throws -> MailRequest {
        try #require(request.mail)
    }

    @Test func buildsABilingualMultipartMessageThatParsesBackCleanly() async throws {
        let endpoint = try EmailEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message())
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_abc123", recipient: "a@cegep.example", payload: payload, at: Date()))

        let parsed = try await Self.parse(mail.message)
        #expect(parsed.defects.isEmpty)
        #expect(parsed.subject == "ÉVACUATION — Pavillon A / EVACUATION — Pavillon A")
        #expect(parsed.from == "Cégep de l'Exemple <alertes@cegep.example>")
        #expect(parsed.to == "a@cegep.example")
        #expect(parsed.messageID == "<20261123-K7QF2A.msg_abc123@cegep.example>")
        #expect(parsed.date == "2026-11-23T11:40:42-05:00")
        #expect(parsed.mimeVersion == "1.0")
        #expect(parsed.contentType == "multipart/alternative")
        #expect(parsed.parts.map(\.type) == ["text/plain", "text/html"])
        #expect(parsed.parts.allSatisfy { $0.charset == "utf-8" && $0.encoding == "quoted-printable" })

        let plain = try #require(parsed.parts.first?.text)
        let french = try #require(plain.range(of: "Quittez Pavillon A immédiatement."))
        let english = try #require(plain.range(of: "Leave Pavillon A now."))
        #expect(french.lowerBound < english.lowerBound, "French first")
        #expect(plain[french.upperBound..<english.lowerBound].contains(String(repeating: "-", count: 40)), "a separator between the languages")
        #expect(plain.contains("Ne revenez pas."))
        let html = try #require(parsed.parts.last?.text)
        #expect(html.contains("<div lang=\"fr-CA\">\n<h1>ÉVACUATION — Pavillon A</h1>"))
        #expect(html.contains("<hr>\n<div lang=\"en-CA\">"))

        #expect(mail.from == "alertes@cegep.example")
        #expect(mail.recipients == ["a@cegep.example"])
        #expect(mail.url == "smtp://mail.cegep.example:587")
    }

    @Test func theRawMessageIsSevenBitWithShortCRLFLines() async throws {
        let endpoint = try EmailEndpoint(Self.definition(), timeout: .seconds(10))
        let long = String(repeating: "Évacuez immédiatement le pavillon des sciences, ", count: 8)
        let payload = try endpoint.encode(Self.message(title: "ÉVACUATION — " + long, body: long + "=fin "))
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_1", recipient: "a@cegep.example", payload: payload, at: Date()))

        #expect(mail.message.allSatisfy { $0 < 0x80 }, "headers encoded per RFC 2047, parts quoted-printable")
        let text = String(decoding: mail.message, as: UTF8.self)
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "CRLF line ends only")
        let lines = text.components(separatedBy: "\r\n")
        #expect(lines.allSatisfy { $0.utf8.count <= 78 }, "\(lines.filter { $0.utf8.count > 78 })")

        let parsed = try await Self.parse(mail.message)
        #expect(parsed.defects.isEmpty)
        #expect(parsed.subject == "ÉVACUATION — \(long) / EVACUATION — Pavillon A", "a long accented subject round-trips")
        #expect(parsed.parts.first?.text.contains(long + "=fin") == true)
    }

    @Test(arguments: ["Pavillon A <script>alert('x')</script>", "</h1><img src=x onerror=alert(1)>", "A & B \"quoted\""])
    func aValueNeverBecomesHTML(value: String) async throws {
        let endpoint = try EmailEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message(title: "ÉVACUATION — \(value)", body: "Quittez \(value)."))
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_1", recipient: "a@cegep.example", payload: payload, at: Date()))

        let parsed = try await Self.parse(mail.message)
        let html = try #require(parsed.parts.last?.text)
        #expect(!html.contains(value))
        #expect(!html.contains("<script>") && !html.contains("<img"))
        #expect(html.contains("Quittez \(Self.htmlEscaped(value))."))
        // The plain part and the subject show the value as it is.
        #expect(parsed.parts.first?.text.contains("Quittez \(value).") == true)
        #expect(parsed.subject.hasPrefix("ÉVACUATION — \(value)"))
    }

    /// An encoded-word typed as a value stays its literal text in `Subject:` (fault finding 6 checked it for ntfy,
    /// whose `Title:` let one through): as a mail client decodes the header, it gives back exactly what was typed.
    @Test(arguments: [
        "=?UTF-8?B?" + Data("\u{202E}A nollivaP".utf8).base64EncodedString() + "?=",
        "Salle =?UTF-8?Q?=E2=80=AE?= B", "=?iso-8859-1?q?=E9vacuation?=",
    ])
    func typedEncodedWordsReachTheSubjectAsTheirLiteralText(typed: String) async throws {
        let endpoint = try EmailEndpoint(Self.definition(languages: ["fr"]), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message(title: typed))
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_1", recipient: "a@cegep.example", payload: payload, at: Date()))
        let parsed = try await Self.parse(mail.message)
        #expect(parsed.subject == typed && parsed.defects.isEmpty, "\(parsed.subject.debugDescription)")
    }

    static func htmlEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test func aDrillSaysSoInTheSubjectItWasRenderedWith() async throws {
        let endpoint = try EmailEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message(title: "EXERCICE — ÉVACUATION — Pavillon A", status: .exercise))
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_1", recipient: "a@cegep.example", payload: payload, at: Date()))
        #expect(try await Self.parse(mail.message).subject.hasPrefix("EXERCICE — ÉVACUATION"))
    }

    @Test func oneLanguageChannelsGetOneLanguage() async throws {
        let endpoint = try EmailEndpoint(Self.definition(languages: ["en"]), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message())
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_1", recipient: "a@cegep.example", payload: payload, at: Date()))
        let parsed = try await Self.parse(mail.message)
        #expect(parsed.subject == "EVACUATION — Pavillon A")
        #expect(parsed.parts.first?.text.contains("Quittez") == false)
        #expect(parsed.parts.first?.text.contains(String(repeating: "-", count: 40)) == false)
    }

    @Test func theBodyIsEncodedOnceAndOnlyToAndMessageIDDifferPerRecipient() async throws {
        let endpoint = try EmailEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message())
        #expect(payload.contentType == "message/rfc822")
        let first = try Self.mail(endpoint.request(deliveryID: "msg_one", recipient: "a@cegep.example", payload: payload, at: Date()))
        let second = try Self.mail(endpoint.request(deliveryID: "msg_two", recipient: "b@cegep.example", payload: payload, at: Date()))
        let retry = try Self.mail(endpoint.request(deliveryID: "msg_one", recipient: "a@cegep.example", payload: payload, at: Date() + 60))

        #expect(Array(first.message.suffix(payload.body.count)) == payload.body)
        #expect(Array(second.message.suffix(payload.body.count)) == payload.body)
        #expect(first.message == retry.message, "a retry sends the same bytes, with the same Message-ID")
        #expect(try await Self.parse(first.message).messageID != Self.parse(second.message).messageID)
        #expect(try await Self.parse(second.message).to == "b@cegep.example")
        #expect(second.recipients == ["b@cegep.example"])
    }

    @Test(arguments: [
        ("smtp://mail.cegep.example:587", true),
        ("smtp://mail.cegep.example:587/cegep.example", true),
        ("smtps://mail.cegep.example:465", false),
        ("SMTPS://mail.cegep.example", false),
        ("smtp://127.0.0.1:2525", false),
        ("smtp://localhost:25", false),
        ("smtp://[::1]:25", false),
        ("smtp://127.0.0.1.evil.example:25", true),
    ])
    func tlsIsRequiredExceptForImplicitTLSAndLoopback(url: String, requireTLS: Bool) throws {
        let endpoint = try EmailEndpoint(Self.definition(smtpURL: url), timeout: .seconds(10))
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_1", recipient: "a@cegep.example", payload: endpoint.encode(Self.message()), at: Date()))
        #expect(mail.requireTLS == requireTLS)
    }

    @Test func credentialsAndTimeoutGoWithEveryRequest() throws {
        let endpoint = try EmailEndpoint(
            Self.definition(settings: ["username": "tocsin@cegep.example"], password: "hunter2-long"), timeout: .seconds(7)
        )
        let mail = try Self.mail(endpoint.request(deliveryID: "msg_1", recipient: "a@cegep.example", payload: endpoint.encode(Self.message()), at: Date()))
        #expect(mail.credentials == HTTPBasicAuth(user: "tocsin@cegep.example", password: "hunter2-long"))
        #expect(mail.timeout == .seconds(7))
        #expect(try EmailEndpoint(Self.definition(), timeout: .seconds(7)).request(
            deliveryID: "msg_1", recipient: "a@cegep.example", payload: EncodedPayload(contentType: "message/rfc822", body: []), at: Date()
        ).mail?.credentials == nil)
    }

    @Test(arguments: [
        (["smtp_url": "https://mail.cegep.example"], nil, "'smtp_url' must start with smtp:// or smtps://"),
        (["from": "Alertes <alertes@cegep.example>"], nil, "'from' must be a plain e-mail address"),
        (["from": "alertes"], nil, "'from' must be a plain e-mail address"),
        (["username": "tocsin"], nil, "SMTP AUTH needs both 'username' and 'password'"),
        ([:], "only-a-password", "SMTP AUTH needs both 'username' and 'password'"),
    ] as [([String: String], String?, String)])
    func refusesAnUnusableConfiguration(settings: [String: String], password: String?, problem: String) {
        #expect {
            try EmailEndpoint(Self.definition(settings: settings, password: password), timeout: .seconds(1))
        } throws: { error in
            let description = "\(error)"
            return description.contains(problem) && !description.contains("only-a-password")
        }
    }

    @Test(arguments: [(250, "delivered"), (251, "delivered"), (450, "retry"), (421, "retry"), (550, "permanent"), (530, "permanent")])
    func smtpCodesAreInterpreted(code: Int, expected: String) throws {
        let endpoint = try EmailEndpoint(Self.definition(), timeout: .seconds(1))
        let outcome = endpoint.interpret(mail: MailResponse(code: code, latency: .zero), at: Date())
        switch (outcome, expected) {
        case (.delivered, "delivered"), (.retryable, "retry"), (.permanent, "permanent"): break
        default: Issue.record("SMTP \(code) gave \(outcome), expected \(expected)")
        }
    }
}
