import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct DiscordEndpointTests {
    static let url = "https://discord.com/api/webhooks/1234567890/secretTOKENpart"

    static func endpoint(_ languages: [String]) throws -> DiscordEndpoint {
        try DiscordEndpoint(Fixtures.definition(.discord, languages: languages, secrets: ["url": url]), timeout: .seconds(10))
    }

    static let french = "**ÉVACUATION — Pavillon A**\nQuittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\n\nNe prenez pas les ascenseurs."
    static let english = "**EVACUATION — Pavillon A**\nLeave Pavillon A now. Assembly point: Stationnement P1."

    @Test(arguments: [
        (Fixtures.french, french), (Fixtures.english, english), (Fixtures.bilingual, french + "\n\n———\n\n" + english),
    ])
    func sendsTheExecuteWebhookRequest(languages: [String], content: String) throws {
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == Self.url + "?wait=true")
        #expect(request.headers == [HTTPHeader("Content-Type", "application/json")])
        #expect(request.body == payload.body)
        let body = try Fixtures.json(request.body)
        #expect(Set(body.keys) == ["content", "allowed_mentions"])
        #expect(body["content"] as? String == content)
        #expect(try Fixtures.canonical(body["allowed_mentions"] as Any) == #"{"parse":[]}"#)
    }

    @Test func aURLWithAQueryKeepsIt() throws {
        let definition = Fixtures.definition(.discord, secrets: ["url": Self.url + "?thread_id=42"])
        let request = try Fixtures.send(try DiscordEndpoint(definition, timeout: .seconds(1)), Fixtures.message()).request
        #expect(request.url == Self.url + "?thread_id=42&wait=true")
    }

    @Test func markdownAndMentionsInValuesAreInert() throws {
        let value = "@everyone @here <@&123> *bold* __souligné__ [clic](http://evil.example) ](http://evil) </script> ||spoiler||"
        let body = try Fixtures.json(try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value)).request.body)
        let content = try #require(body["content"] as? String)
        let escaped = "@\(Fixtures.zwsp)everyone @\(Fixtures.zwsp)here \\<@\(Fixtures.zwsp)&123\\> \\*bold\\* \\_\\_souligné\\_\\_ "
            + "\\[clic\\](http://evil.example) \\](http://evil) \\</script\\> \\|\\|spoiler\\|\\|"
        #expect(content == "**EVACUATION — \(escaped)**\nLeave \(escaped) now. Assembly point: Stationnement P1.")
        #expect(try Fixtures.canonical(body["allowed_mentions"] as Any) == #"{"parse":[]}"#)
    }

    @Test func textOver2000CharactersIsShortenedInBothLanguages() throws {
        let long = Array(repeating: "Restez calmes et suivez les consignes du personnel.", count: 60).joined(separator: " ")
        let payload = try Self.endpoint(Fixtures.bilingual).encode(Fixtures.message(frenchBody: long, englishBody: long))
        let content = try #require(try Fixtures.json(payload.body)["content"] as? String)
        #expect(content.unicodeScalars.count <= 2_000)
        #expect(content.unicodeScalars.count > 1_900, "the room is used")
        #expect(content.contains("**ÉVACUATION — Pavillon A**") && content.contains("**EVACUATION — Pavillon A**"))
        #expect(content.components(separatedBy: "…").count == 3, "each language marks its cut")
        let note = try #require(payload.notes.first)
        #expect(note.hasPrefix("text shortened from 6") && note.hasSuffix("characters for discord"))
    }

    @Test func answersAreMapped() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        #expect(endpoint.interpret(Fixtures.response(200, #"{"id":"1","content":"x"}"#), at: Fixtures.attemptTime) == .delivered)
        #expect(endpoint.interpret(Fixtures.response(204), at: Fixtures.attemptTime) == .delivered)
        let limited = endpoint.interpret(
            Fixtures.response(429, #"{"message":"You are being rate limited.","retry_after":0.25,"global":false}"#,
                headers: [HTTPHeader("retry-after", "1")]),
            at: Fixtures.attemptTime
        )
        #expect(limited == .retryable(reason: "HTTP 429: Discord rate limit", retryAfter: .milliseconds(250)))
        #expect(endpoint.interpret(Fixtures.response(404, #"{"message":"Unknown Webhook","code":10015}"#), at: Fixtures.attemptTime).isMisconfiguration)
        #expect(endpoint.interpret(Fixtures.response(502), at: Fixtures.attemptTime).isRetryable)
    }
}
