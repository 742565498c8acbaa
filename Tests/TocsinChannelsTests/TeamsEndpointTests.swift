import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct TeamsEndpointTests {
    static let url = "https://prod-12.canadacentral.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=SECRETsig"

    static func endpoint(_ languages: [String]) throws -> TeamsEndpoint {
        try TeamsEndpoint(Fixtures.definition(.teams, languages: languages, secrets: ["url": url]), timeout: .seconds(10))
    }

    static func run(_ text: String, bold: Bool = false, title: Bool = false) -> [String: Any] {
        var run: [String: Any] = ["type": "TextRun", "text": text]
        if bold || title { run["weight"] = "Bolder" }
        if title {
            run["size"] = "Large"
            run["color"] = "Attention"
        }
        return ["type": "RichTextBlock", "inlines": [run]]
    }

    static var french: [String: Any] {
        ["type": "Container", "items": [
            run("ÉVACUATION — Pavillon A", title: true),
            run("Quittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1."),
            run("Ne prenez pas les ascenseurs.", bold: true),
        ]]
    }

    static var english: [String: Any] {
        ["type": "Container", "items": [
            run("EVACUATION — Pavillon A", title: true),
            run("Leave Pavillon A now. Assembly point: Stationnement P1."),
        ]]
    }

    static func expected(_ languages: [String]) -> [String: Any] {
        var second = english
        second["separator"] = true
        second["spacing"] = "Large"
        let body: [[String: Any]] = switch languages {
        case Fixtures.french: [french]
        case Fixtures.english: [english]
        default: [french, second]
        }
        return [
            "type": "message",
            "attachments": [[
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": NSNull(),
                "content": [
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
                    "body": body,
                ],
            ]],
        ]
    }

    @Test(arguments: [Fixtures.french, Fixtures.english, Fixtures.bilingual])
    func postsAnAdaptiveCardMessage(languages: [String]) throws {
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == Self.url)
        #expect(request.headers == [HTTPHeader("Content-Type", "application/json")])
        #expect(request.body == payload.body)
        #expect(try Fixtures.canonical(Fixtures.json(request.body)) == Fixtures.canonical(Self.expected(languages)))
    }

    @Test func valuesStayPlainTextRuns() throws {
        let value = "**gras** [clic](http://evil.example) <at>Everyone</at> {{DATE(2026-11-23T10:00:00Z, SHORT)}}"
        let body = try Fixtures.json(try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value, severity: .minor)).request.body)
        let card = try #require(((body["attachments"] as? [[String: Any]])?.first?["content"]) as? [String: Any])
        let items = try #require(((card["body"] as? [[String: Any]])?.first?["items"]) as? [[String: Any]])
        let runs = items.compactMap { ($0["inlines"] as? [[String: Any]])?.first }
        // TextRun does not read Markdown: the value is carried as typed (only the date function is broken up).
        #expect(runs.allSatisfy { $0["type"] as? String == "TextRun" })
        #expect(items.allSatisfy { $0["type"] as? String == "RichTextBlock" })
        let defused = "**gras** [clic](http://evil.example) <at>Everyone</at> {\(Fixtures.zwsp){DATE(2026-11-23T10:00:00Z, SHORT)}}"
        #expect(runs.first?["text"] as? String == "EVACUATION — \(defused)")
        #expect(runs.first?["color"] == nil, "a Minor alert is not painted as Attention")
        // Teams mentions need `msteams.entities`, which are never sent: `<at>Everyone</at>` stays text.
        #expect(!String(decoding: try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value)).payload.body, as: UTF8.self).contains("msteams"))
    }

    @Test func tripleBracesCannotFormAFunctionEither() throws {
        // "{{{DATE(…)}}}": replacing "{{" once left "{\u{200B}{{DATE(…", a live function (fault suite, HostileValueTests).
        let value = "{{{DATE(2026-11-23T10:00:00Z)}}} {{{{TIME(2026-11-23T10:00:00Z)}}}}"
        let body = String(decoding: try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value)).request.body, as: UTF8.self)
        #expect(!body.contains("{{"), "\(body)")
        #expect(body.contains("DATE(2026-11-23T10:00:00Z)"), "the text is still there, only defused")
    }

    @Test func answersFollowHTTPStatus() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        #expect(endpoint.interpret(Fixtures.response(202), at: Fixtures.attemptTime) == .delivered)
        let bad = #"{"error":{"code":"TriggerInputSchemaMismatch","message":"The input body for trigger 'manual' of type 'Request' did not match its schema definition."}}"#
        #expect(endpoint.interpret(Fixtures.response(400, bad), at: Fixtures.attemptTime).isMisconfiguration)
        #expect(endpoint.interpret(Fixtures.response(429, "", headers: [HTTPHeader("retry-after", "5")]), at: Fixtures.attemptTime).retryAfter == .seconds(5))
    }
}
