import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct FacebookPageEndpointTests {
    static let pageID = "104857600000001"
    static let token = "EAABsbCS1iHgBAPAGEtokenSECRET"

    static func endpoint(_ languages: [String], apiBase: String? = nil) throws -> FacebookPageEndpoint {
        var settings = ["page_id": pageID]
        settings["api_base"] = apiBase
        return try FacebookPageEndpoint(
            Fixtures.definition(.facebookPage, languages: languages, settings: settings, secrets: ["access_token": token]),
            timeout: .seconds(10)
        )
    }

    static let french = "ÉVACUATION — Pavillon A\n\nQuittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\n\nNe prenez pas les ascenseurs."
    static let english = "EVACUATION — Pavillon A\n\nLeave Pavillon A now. Assembly point: Stationnement P1."

    @Test(arguments: [
        (Fixtures.french, french), (Fixtures.english, english), (Fixtures.bilingual, french + "\n\n———\n\n" + english),
    ])
    func postsToThePageFeed(languages: [String], message: String) throws {
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == "https://graph.facebook.com/v19.0/\(Self.pageID)/feed")
        #expect(!request.url.contains(Self.token), "the token travels in the body, not the URL")
        #expect(request.headers == [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")])
        let form = Fixtures.form(request.body)
        #expect(form.map(\.0) == ["message", "access_token"])
        #expect(form.map(\.1) == [message, Self.token])
        // What is stored with the deliveries holds no token.
        #expect(!String(decoding: payload.body, as: UTF8.self).contains(Self.token))
    }

    @Test func apiBaseReplacesTheHost() throws {
        let request = try Fixtures.send(Self.endpoint(Fixtures.french, apiBase: "http://127.0.0.1:9/graph/"), Fixtures.message()).request
        #expect(request.url == "http://127.0.0.1:9/graph/v19.0/\(Self.pageID)/feed")
    }

    @Test func pageTagsInValuesAreInert() throws {
        let request = try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: "@[104857600000002] <b>x</b>")).request
        let message = try #require(Fixtures.form(request.body).first?.1)
        #expect(!message.contains("@["))
        #expect(message.hasPrefix("EVACUATION — @\(Fixtures.zwsp)[104857600000002] <b>x</b>\n\n"))
    }

    @Test func answersAreMapped() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        let at = Fixtures.attemptTime
        #expect(endpoint.interpret(Fixtures.response(200, #"{"id":"104857600000001_987654321"}"#), at: at) == .delivered)
        // 200 whose body is a Graph API error.
        let expired = #"{"error":{"message":"Error validating access token: Session has expired.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"AbC"}}"#
        let token = endpoint.interpret(Fixtures.response(200, expired), at: at)
        #expect(token.isMisconfiguration && token.reason.contains("190/463") && token.reason.contains("access_token"))
        for code in [4, 17, 32, 613] {
            let throttled = #"{"error":{"message":"Application request limit reached","type":"OAuthException","code":\#(code),"fbtrace_id":"x"}}"#
            #expect(endpoint.interpret(Fixtures.response(400, throttled), at: at).isRetryable, "code \(code)")
        }
        let usage = HTTPHeader("x-business-use-case-usage", #"{"104857600000001":[{"type":"pages","call_count":100,"total_cputime":30,"total_time":40,"estimated_time_to_regain_access":3}]}"#)
        let throttled = #"{"error":{"message":"User request limit reached","type":"OAuthException","code":32}}"#
        #expect(endpoint.interpret(Fixtures.response(400, throttled, headers: [usage]), at: at).retryAfter == .seconds(180))
        let permission = #"{"error":{"message":"(#200) The permission(s) pages_manage_posts are not available.","type":"OAuthException","code":200}}"#
        #expect(endpoint.interpret(Fixtures.response(403, permission), at: at).isMisconfiguration)
        let transient = #"{"error":{"message":"An unexpected error has occurred.","type":"OAuthException","code":1,"is_transient":true}}"#
        #expect(endpoint.interpret(Fixtures.response(500, transient), at: at).isRetryable)
        #expect(endpoint.interpret(Fixtures.response(200, "{}"), at: at).isMisconfiguration)
    }
}
