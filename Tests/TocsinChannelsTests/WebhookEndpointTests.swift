import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct WebhookEndpointTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let url = "https://securite.cegep.example/hooks/tocsin"
    /// 2026-11-23T16:40:42.900Z: the header carries whole seconds.
    static let attemptTime = Date(timeIntervalSince1970: 1_795_452_042.9)

    static func definition(
        languages: [String] = ["fr", "en"], secret: String? = WebhookEndpointTests.secret,
        headers: [(name: String, value: Secret)] = [], timeout: Duration? = nil
    ) -> ChannelDefinition {
        ChannelDefinition(
            name: "ops-webhook", type: .webhook, languages: languages, timeout: timeout, settings: ["url": url],
            secrets: secret.map { ["secret": Secret($0)] } ?? [:], headers: headers
        )
    }

    static func message(title: String = "ÉVACUATION — Pavillon A", status: CAP.Status = .actual) -> OutgoingMessage {
        OutgoingMessage(
            incidentID: "20261123-K7QF2A", status: status, msgType: .alert, references: [], templateID: "evacuation",
            approved: true, organization: "Cégep de l'Exemple", sender: "alertes@cegep.example",
            sent: "2026-11-23T11:40:42-05:00", category: .fire, severity: .extreme, urgency: .immediate,
            certainty: .observed, response: .evacuate,
            messages: [
                RenderedMessage(language: "fr", event: "Évacuation", title: title, body: "Quittez Pavillon A immédiatement.", instruction: "Ne revenez pas."),
                RenderedMessage(language: "en", event: "Evacuation", title: "EVACUATION — Pavillon A", body: "Leave Pavillon A now."),
            ]
        )
    }

    static func json(_ payload: EncodedPayload) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(payload.body)) as? [String: Any])
    }

    static func header(_ request: HTTPRequest, _ name: String) -> [String] {
        request.headers.filter { $0.name.lowercased() == name }.map(\.value)
    }

    @Test func encodesTheDocumentedJSON() throws {
        let endpoint = try WebhookEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message(status: .exercise))
        #expect(payload.contentType == "application/json")

        let object = try Self.json(payload)
        #expect(object["type"] as? String == "tocsin.alert")
        #expect(object["timestamp"] as? String == "2026-11-23T11:40:42-05:00")
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["version"] as? Int == 1)
        #expect(data["incident"] as? String == "20261123-K7QF2A")
        #expect(data["status"] as? String == "Exercise")
        #expect(data["msgType"] as? String == "Alert")
        #expect(data["references"] as? [String] == [])
        #expect(data["template"] as? String == "evacuation")
        #expect(data["approved"] as? Bool == true)
        #expect(data["organization"] as? String == "Cégep de l'Exemple")
        #expect(data["sender"] as? String == "alertes@cegep.example")
        #expect(data["sent"] as? String == "2026-11-23T11:40:42-05:00")
        #expect(data["category"] as? String == "Fire")
        #expect(data["severity"] as? String == "Extreme")
        #expect(data["urgency"] as? String == "Immediate")
        #expect(data["certainty"] as? String == "Observed")
        #expect(data["response"] as? String == "Evacuate")
        let messages = try #require(data["messages"] as? [[String: Any]])
        #expect(messages.map { $0["language"] as? String } == ["fr-CA", "en-CA"])
        #expect(messages[0]["title"] as? String == "ÉVACUATION — Pavillon A")
        #expect(messages[0]["event"] as? String == "Évacuation")
        #expect(messages[0]["body"] as? String == "Quittez Pavillon A immédiatement.")
        #expect(messages[0]["instruction"] as? String == "Ne revenez pas.")
        #expect(messages[1]["title"] as? String == "EVACUATION — Pavillon A")
        #expect(messages[1]["instruction"] == nil)
    }

    @Test(arguments: [(["en"], ["en-CA"]), (["fr"], ["fr-CA"]), (["en", "fr"], ["fr-CA", "en-CA"])])
    func onlyTheChannelsLanguagesAreSent(languages: [String], tags: [String]) throws {
        let endpoint = try WebhookEndpoint(Self.definition(languages: languages), timeout: .seconds(10))
        let data = try #require(try Self.json(endpoint.encode(Self.message()))["data"] as? [String: Any])
        let messages = try #require(data["messages"] as? [[String: Any]])
        // The organisation's order is kept whatever order the channel lists.
        #expect(messages.map { $0["language"] as? String } == tags)
    }

    @Test(arguments: [
        #"Il a dit "sortez" \ maintenant"#,
        "deux\nlignes\r\net\ttabulation",
        "</script><script>alert('x')</script>",
        "contrôle \u{0}\u{1}\u{1B}\u{7F} fin",
        "ligne\u{2028}séparée 🚒",
    ])
    func awkwardValuesRoundTripAsJSON(title: String) throws {
        let endpoint = try WebhookEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message(title: title))
        let data = try #require(try Self.json(payload)["data"] as? [String: Any])
        let messages = try #require(data["messages"] as? [[String: Any]])
        #expect(messages.first?["title"] as? String == title)
        // One line of JSON: no raw control characters inside strings.
        #expect(!payload.body.contains { $0 < 0x20 })
    }

    @Test func encodingIsByteStable() throws {
        // The body is stored once and re-sent after a restart; encoding the same message twice gives the same bytes.
        let endpoint = try WebhookEndpoint(Self.definition(), timeout: .seconds(10))
        #expect(try endpoint.encode(Self.message()) == endpoint.encode(Self.message()))
    }

    @Test func requestCarriesTheStandardWebhooksHeaders() throws {
        let endpoint = try WebhookEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message())
        let request = try #require(endpoint.request(deliveryID: "msg_01jd8x", recipient: nil, payload: payload, at: Self.attemptTime).http)

        #expect(request.method == "POST")
        #expect(request.url == Self.url)
        #expect(request.body == payload.body)
        #expect(Self.header(request, "content-type") == ["application/json"])
        #expect(Self.header(request, "webhook-id") == ["msg_01jd8x"])
        #expect(Self.header(request, "webhook-timestamp") == ["1795452042"])
        let expected = try WebhookSigner(secret: Secret(Self.secret)).signature(id: "msg_01jd8x", timestamp: 1_795_452_042, body: payload.body)
        #expect(Self.header(request, "webhook-signature") == [expected])
        #expect(expected.hasPrefix("v1,"))
    }

    @Test func retryKeepsTheIDAndSignsTheNewTimestamp() throws {
        let endpoint = try WebhookEndpoint(Self.definition(), timeout: .seconds(10))
        let payload = try endpoint.encode(Self.message())
        let first = try #require(endpoint.request(deliveryID: "msg_1", recipient: nil, payload: payload, at: Self.attemptTime).http)
        let retry = try #require(endpoint.request(deliveryID: "msg_1", recipient: nil, payload: payload, at: Self.attemptTime.addingTimeInterval(30)).http)
        #expect(Self.header(retry, "webhook-id") == Self.header(first, "webhook-id"))
        #expect(Self.header(retry, "webhook-timestamp") == ["1795452072"])
        #expect(Self.header(retry, "webhook-signature") != Self.header(first, "webhook-signature"))
        let signer = try WebhookSigner(secret: Secret(Self.secret))
        #expect(Self.header(retry, "webhook-signature") == [signer.signature(id: "msg_1", timestamp: 1_795_452_072, body: payload.body)])
    }

    @Test func noSignatureWithoutASecret() throws {
        let endpoint = try WebhookEndpoint(Self.definition(secret: nil), timeout: .seconds(10))
        let request = try #require(endpoint.request(deliveryID: "msg_1", recipient: nil, payload: try endpoint.encode(Self.message()), at: Self.attemptTime).http)
        #expect(Self.header(request, "webhook-signature").isEmpty)
        #expect(Self.header(request, "webhook-id") == ["msg_1"])
        #expect(Self.header(request, "webhook-timestamp") == ["1795452042"])
    }

    @Test func customHeadersAreAppended() throws {
        let endpoint = try WebhookEndpoint(
            Self.definition(headers: [("X-Tocsin-Site", Secret("cegep-exemple")), ("Authorization", Secret("Bearer t0k3n"))]),
            timeout: .seconds(10)
        )
        let request = try #require(endpoint.request(deliveryID: "msg_1", recipient: nil, payload: try endpoint.encode(Self.message()), at: Self.attemptTime).http)
        #expect(request.headers.map(\.name) == [
            "content-type", "webhook-id", "webhook-timestamp", "webhook-signature", "X-Tocsin-Site", "Authorization",
        ])
        #expect(request.headers.suffix(2).map(\.value) == ["cegep-exemple", "Bearer t0k3n"])
    }

    @Test func timeoutComesFromTheChannelOrTheDefault() throws {
        let own = try ChannelEndpoints.make(Self.definition(timeout: .seconds(3)), defaultTimeout: .seconds(10))
        let inherited = try ChannelEndpoints.make(Self.definition(), defaultTimeout: .seconds(10))
        let payload = try own.encode(Self.message())
        #expect(own.request(deliveryID: "m", recipient: nil, payload: payload, at: Self.attemptTime).http?.timeout == .seconds(3))
        #expect(inherited.request(deliveryID: "m", recipient: nil, payload: payload, at: Self.attemptTime).http?.timeout == .seconds(10))
    }

    @Test func invalidSecretIsAChannelErrorWithoutTheSecret() {
        #expect {
            _ = try WebhookEndpoint(Self.definition(secret: "whsec_***not-base64-TOPSECRET***"), timeout: .seconds(10))
        } throws: { error in
            guard let error = error as? ChannelError else { return false }
            return error.channel == "ops-webhook" && !error.description.contains("TOPSECRET")
        }
    }

    @Test func missingURLIsAChannelError() {
        let definition = ChannelDefinition(name: "bare", type: .webhook, languages: ["fr"])
        #expect(throws: ChannelError.self) { _ = try WebhookEndpoint(definition, timeout: .seconds(10)) }
    }

    @Test func interpretFollowsHTTPStatus() throws {
        let endpoint = try WebhookEndpoint(Self.definition(), timeout: .seconds(10))
        #expect(endpoint.interpret(HTTPResponse(status: 204, headers: [], body: []), at: Self.attemptTime) == .delivered)
        let throttled = endpoint.interpret(HTTPResponse(status: 429, headers: [HTTPHeader("retry-after", "12")], body: []), at: Self.attemptTime)
        #expect(throttled == .retryable(reason: "HTTP 429", retryAfter: .seconds(12)))
    }
}

struct ChannelEndpointsTests {
    @Test func webhookChannelIsBuilt() throws {
        let definition = ChannelDefinition(name: "ops", type: .webhook, languages: ["fr"], settings: ["url": "https://a.example/x"])
        let endpoint = try ChannelEndpoints.make(definition, defaultTimeout: .seconds(10))
        #expect(endpoint is WebhookEndpoint)
        #expect(endpoint.definition.name == "ops")
    }

    /// Every type of DESIGN.md has an adapter: given its required keys, each builds.
    @Test(arguments: ChannelType.allCases)
    func everyTypeBuildsFromItsRequiredKeys(type: ChannelType) throws {
        var settings: [String: String] = [:]
        var secrets: [String: Secret] = [:]
        var recipients: [String] = []
        for group in type.requiredKeys {
            let key = group[0]
            let value: String
            switch key {
            case "url", "api_base": value = "https://hooks.example/T/B/secretpart"
            case "smtp_url": value = "smtps://mail.example:465"
            case "to": recipients = [type == .email ? "a@example.org" : "+15145550100"]; continue
            case "from": value = type == .email ? "alertes@example.org" : "+15145550199"
            case "feed_dir": value = "/tmp/feed"
            default: value = "value-\(key)"
            }
            if type.secretKeys.contains(key) { secrets[key] = Secret(value) } else { settings[key] = value }
        }
        if type == .cap { recipients = ["post"] }
        let definition = ChannelDefinition(
            name: "other", type: type, languages: ["fr"], settings: settings, secrets: secrets, recipients: recipients
        )
        let endpoint = try ChannelEndpoints.make(definition, defaultTimeout: .seconds(10))
        #expect(endpoint.definition.type == type)
    }

    /// A missing key is named, and no secret of the channel appears in the error.
    @Test(arguments: ChannelType.allCases.filter { $0 != .cap })
    func aMissingKeyIsAChannelErrorWithoutSecrets(type: ChannelType) {
        let definition = ChannelDefinition(
            name: "other", type: type, languages: ["fr"], secrets: ["token": Secret("tk_secretpart"), "password": Secret("secretpart")]
        )
        #expect {
            _ = try ChannelEndpoints.make(definition, defaultTimeout: .seconds(10))
        } throws: { error in
            guard let error = error as? ChannelError else { return false }
            return error.channel == "other" && !error.description.contains("secretpart")
        }
    }
}
