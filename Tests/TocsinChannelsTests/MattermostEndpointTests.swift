import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct MattermostEndpointTests {
    static let url = "https://chat.cegep.example/hooks/xxxsecretgeneratedkeyxxx"

    static func endpoint(_ languages: [String]) throws -> MattermostEndpoint {
        try MattermostEndpoint(Fixtures.definition(.mattermost, languages: languages, secrets: ["url": url]), timeout: .seconds(10))
    }

    static let french = "**ÉVACUATION — Pavillon A**\nQuittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\n\nNe prenez pas les ascenseurs."
    static let english = "**EVACUATION — Pavillon A**\nLeave Pavillon A now. Assembly point: Stationnement P1."

    @Test(arguments: [
        (Fixtures.french, french), (Fixtures.english, english), (Fixtures.bilingual, french + "\n\n---\n\n" + english),
    ])
    func sendsTheIncomingWebhookRequest(languages: [String], text: String) throws {
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == Self.url)
        #expect(request.headers == [HTTPHeader("Content-Type", "application/json")])
        #expect(request.body == payload.body)
        #expect(try Fixtures.canonical(Fixtures.json(request.body)) == Fixtures.canonical(["text": text]))
    }

    @Test func slackStyleAnnouncementsAndMentionsAreInert() throws {
        // Mattermost's incoming webhooks turn a literal "<!channel>" into "@channel": the escape must break it.
        let value = "<!channel> <!all> @channel @all ~town-square **gras** [clic](http://evil.example) ![img](http://evil/x.png)"
        let body = try Fixtures.json(try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value)).request.body)
        let text = try #require(body["text"] as? String)
        for literal in ["<!channel>", "<!all>", "@channel", "@all", "[clic](", "[img](", "**gras**"] {
            #expect(!text.contains(literal), "'\(literal)' must not survive")
        }
        #expect(text.contains("\\<!channel\\> \\<!all\\> @\(Fixtures.zwsp)channel @\(Fixtures.zwsp)all \\~town-square \\*\\*gras\\*\\*"))
        #expect(text.contains("!\\[img\\](http://evil/x.png)"))
    }

    @Test func answersFollowHTTPStatus() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        #expect(endpoint.interpret(Fixtures.response(200, "ok"), at: Fixtures.attemptTime) == .delivered)
        let invalid = #"{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook.","status_code":400}"#
        #expect(endpoint.interpret(Fixtures.response(400, invalid), at: Fixtures.attemptTime).isMisconfiguration)
        #expect(endpoint.interpret(Fixtures.response(503), at: Fixtures.attemptTime).isRetryable)
    }
}
