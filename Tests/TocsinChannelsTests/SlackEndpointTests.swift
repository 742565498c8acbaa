import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct SlackEndpointTests {
    static let url = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"

    static func endpoint(_ languages: [String]) throws -> SlackEndpoint {
        try SlackEndpoint(Fixtures.definition(.slack, languages: languages, secrets: ["url": url]), timeout: .seconds(10))
    }

    static let frenchText = "ÉVACUATION — Pavillon A\nQuittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\nNe prenez pas les ascenseurs."
    static let englishText = "EVACUATION — Pavillon A\nLeave Pavillon A now. Assembly point: Stationnement P1."
    static var frenchBlocks: [[String: Any]] {
        [
            ["type": "header", "text": ["type": "plain_text", "text": "ÉVACUATION — Pavillon A"]],
            ["type": "section", "text": ["type": "plain_text", "text": "Quittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\n\nNe prenez pas les ascenseurs."]],
        ]
    }

    static var englishBlocks: [[String: Any]] {
        [
            ["type": "header", "text": ["type": "plain_text", "text": "EVACUATION — Pavillon A"]],
            ["type": "section", "text": ["type": "plain_text", "text": "Leave Pavillon A now. Assembly point: Stationnement P1."]],
        ]
    }

    static func expected(_ languages: [String]) -> (text: String, blocks: [[String: Any]]) {
        switch languages {
        case Fixtures.french: (frenchText, frenchBlocks)
        case Fixtures.english: (englishText, englishBlocks)
        default: (frenchText + "\n\n———\n\n" + englishText, frenchBlocks + [["type": "divider"]] + englishBlocks)
        }
    }

    @Test(arguments: [Fixtures.french, Fixtures.english, Fixtures.bilingual])
    func sendsTheIncomingWebhookRequest(languages: [String]) throws {
        let (text, blocks) = Self.expected(languages)
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == Self.url)
        #expect(request.headers == [HTTPHeader("Content-Type", "application/json")])
        #expect(request.body == payload.body)
        #expect(request.basicAuth == nil)
        let body = try Fixtures.json(request.body)
        #expect(Set(body.keys) == ["text", "blocks"])
        #expect(body["text"] as? String == text)
        #expect(try Fixtures.canonical(body["blocks"] as Any) == Fixtures.canonical(blocks))
        #expect(payload.notes.isEmpty)
    }

    @Test func variableValuesCannotFormMentionsOrLinks() throws {
        let message = Fixtures.message(building: "<!channel> <@U024BE7LH> <http://evil.example|ici> & *bold*")
        let body = try Fixtures.json(try Fixtures.send(Self.endpoint(Fixtures.bilingual), message).request.body)
        let text = try #require(body["text"] as? String)
        #expect(!text.contains("<") && !text.contains(">"))
        #expect(text.contains("&lt;!channel&gt; &lt;@U024BE7LH&gt; &lt;http://evil.example|ici&gt; &amp; *bold*"))
        // Blocks are plain_text, which Slack never parses: the value shows exactly as typed.
        let blocks = try #require(body["blocks"] as? [[String: Any]])
        let texts = blocks.compactMap { $0["text"] as? [String: Any] }
        #expect(texts.allSatisfy { $0["type"] as? String == "plain_text" })
        #expect(texts.first?["text"] as? String == "ÉVACUATION — <!channel> <@U024BE7LH> <http://evil.example|ici> & *bold*")
    }

    @Test func longTextIsShortenedPerBlockWithANote() throws {
        let long = Array(repeating: "Consignes détaillées pour le personnel.", count: 100).joined(separator: " ")
        let payload = try Self.endpoint(Fixtures.french).encode(Fixtures.message(frenchBody: long))
        let blocks = try #require(try Fixtures.json(payload.body)["blocks"] as? [[String: Any]])
        let section = try #require((blocks[1]["text"] as? [String: Any])?["text"] as? String)
        #expect(section.unicodeScalars.count <= 3_000)
        #expect(section.hasSuffix("…"))
        #expect(long.hasPrefix(String(section.dropLast())), "whole words, cut at the end")
        #expect(payload.notes.contains { $0.contains("fr text shortened from") && $0.contains("slack section block") })
    }

    @Test func successIsTheOkAnswer() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        #expect(endpoint.interpret(Fixtures.response(200, "ok"), at: Fixtures.attemptTime) == .delivered)
        // A 200 that is not Slack's "ok" (a captive portal, a wrong URL) is not a delivery.
        let odd = endpoint.interpret(Fixtures.response(200, "<html>login</html>"), at: Fixtures.attemptTime)
        #expect(odd.isMisconfiguration)
    }

    @Test func failureAnswersAreMapped() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        #expect(endpoint.interpret(Fixtures.response(400, "invalid_blocks"), at: Fixtures.attemptTime).isMisconfiguration)
        #expect(endpoint.interpret(Fixtures.response(404, "no_service"), at: Fixtures.attemptTime).isMisconfiguration)
        let limited = endpoint.interpret(
            Fixtures.response(429, "rate_limited", headers: [HTTPHeader("retry-after", "30")]), at: Fixtures.attemptTime
        )
        #expect(limited == .retryable(reason: "HTTP 429", retryAfter: .seconds(30)))
    }

    @Test func aMissingURLNamesTheKeyOnly() {
        #expect(throws: ChannelError.self) { try SlackEndpoint(Fixtures.definition(.slack), timeout: .seconds(1)) }
    }
}
