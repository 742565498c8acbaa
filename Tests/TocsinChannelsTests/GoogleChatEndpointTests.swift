import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct GoogleChatEndpointTests {
    static let url = "https://chat.googleapis.com/v1/spaces/AAAA/messages?key=AIzaSECRET&token=SECRETtoken"

    static func endpoint(_ languages: [String]) throws -> GoogleChatEndpoint {
        try GoogleChatEndpoint(Fixtures.definition(.googleChat, languages: languages, secrets: ["url": url]), timeout: .seconds(10))
    }

    static let french = "<b>ÉVACUATION — Pavillon A</b><br>Quittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.<br><br>Ne prenez pas les ascenseurs."
    static let english = "<b>EVACUATION — Pavillon A</b><br>Leave Pavillon A now. Assembly point: Stationnement P1."

    static func expected(fallback: String, paragraphs: [String]) -> [String: Any] {
        let sections = paragraphs.map { ["widgets": [["textParagraph": ["text": $0]]]] }
        return ["fallbackText": fallback, "cardsV2": [["cardId": "alert", "card": ["sections": sections]]]]
    }

    @Test(arguments: [
        (Fixtures.french, "ÉVACUATION — Pavillon A", [french]),
        (Fixtures.english, "EVACUATION — Pavillon A", [english]),
        (Fixtures.bilingual, "ÉVACUATION — Pavillon A / EVACUATION — Pavillon A", [french, english]),
    ])
    func postsACardMessage(languages: [String], fallback: String, paragraphs: [String]) throws {
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == Self.url)
        #expect(request.headers == [HTTPHeader("Content-Type", "application/json; charset=UTF-8")])
        #expect(request.body == payload.body)
        let expected = Self.expected(fallback: fallback, paragraphs: paragraphs)
        #expect(try Fixtures.canonical(Fixtures.json(request.body)) == Fixtures.canonical(expected))
    }

    @Test func mentionsAndHTMLInValuesAreInert() throws {
        let value = "<users/all> <b>gras</b> <a href=\"http://evil\">x</a> </script> *bold*"
        let body = try Fixtures.json(try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value)).request.body)
        let card = try #require((body["cardsV2"] as? [[String: Any]])?.first?["card"] as? [String: Any])
        let paragraph = try #require(
            (((card["sections"] as? [[String: Any]])?.first?["widgets"] as? [[String: Any]])?.first?["textParagraph"] as? [String: Any])?["text"] as? String
        )
        let escaped = "&lt;users/all&gt; &lt;b&gt;gras&lt;/b&gt; &lt;a href=&quot;http://evil&quot;&gt;x&lt;/a&gt; &lt;/script&gt; *bold*"
        #expect(paragraph == "<b>EVACUATION — \(escaped)</b><br>Leave \(escaped) now. Assembly point: Stationnement P1.")
        #expect(body["text"] == nil, "no message text, where <users/all> would mention everyone")
    }

    @Test func answersFollowHTTPStatus() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        #expect(endpoint.interpret(Fixtures.response(200, #"{"name":"spaces/AAAA/messages/x.y"}"#), at: Fixtures.attemptTime) == .delivered)
        let invalid = #"{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}"#
        #expect(endpoint.interpret(Fixtures.response(400, invalid), at: Fixtures.attemptTime).isMisconfiguration)
        let exhausted = #"{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}"#
        #expect(endpoint.interpret(Fixtures.response(429, exhausted), at: Fixtures.attemptTime).isRetryable)
    }
}
