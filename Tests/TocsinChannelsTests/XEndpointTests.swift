import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct XEndpointTests {
    // X's documented example credentials ("Creating a signature").
    static let secrets = [
        "consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
        "access_token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "access_token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    ]
    static let nonce = "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"

    static func endpoint(_ languages: [String], apiBase: String? = nil) throws -> XEndpoint {
        var settings = ["consumer_key": "xvz1evFS4wEEPTGEFPHBog"]
        settings["api_base"] = apiBase
        return try XEndpoint(
            Fixtures.definition(.x, languages: languages, settings: settings, secrets: secrets), timeout: .seconds(10),
            nonce: { XEndpointTests.nonce }
        )
    }

    /// The header for the fixed nonce and the attempt's second, computed independently (Python's hmac) for these
    /// exact inputs.
    static func authorization(signature: String) -> String {
        #"OAuth oauth_consumer_key="xvz1evFS4wEEPTGEFPHBog", oauth_nonce="kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg", "#
            + #"oauth_signature="\#(signature)", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1795452042", "#
            + #"oauth_token="370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb", oauth_version="1.0""#
    }

    static let french = "ÉVACUATION — Pavillon A\nQuittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\nNe prenez pas les ascenseurs."
    static let english = "EVACUATION — Pavillon A\nLeave Pavillon A now. Assembly point: Stationnement P1."

    @Test(arguments: [(Fixtures.french, french), (Fixtures.english, english), (Fixtures.bilingual, french + "\n\n" + english)])
    func postsASignedTweet(languages: [String], text: String) throws {
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == "https://api.x.com/2/tweets")
        #expect(request.body == payload.body)
        #expect(try Fixtures.canonical(Fixtures.json(request.body)) == Fixtures.canonical(["text": text]))
        #expect(request.headers == [
            HTTPHeader("Content-Type", "application/json"),
            HTTPHeader("Authorization", Self.authorization(signature: "yt%2BLoE42RWmfGafZYjaF96aq0vA%3D")),
        ])
        #expect(payload.notes.isEmpty)
    }

    @Test func apiBaseIsPartOfTheSignedURL() throws {
        let request = try Fixtures.send(Self.endpoint(Fixtures.french, apiBase: "http://127.0.0.1:8080/x"), Fixtures.message()).request
        #expect(request.url == "http://127.0.0.1:8080/x/2/tweets")
        #expect(Fixtures.headers(request)["authorization"] == Self.authorization(signature: "RaEeaiJlci6XEI3Fb3Mg3gsOlcA%3D"))
    }

    @Test func eachAttemptIsSignedAfresh() throws {
        let endpoint = try XEndpoint(
            Fixtures.definition(.x, settings: ["consumer_key": "ck"], secrets: Self.secrets), timeout: .seconds(1)
        )
        let payload = try endpoint.encode(Fixtures.message())
        let first = endpoint.request(deliveryID: "m", recipient: nil, payload: payload, at: Fixtures.attemptTime).http
        let second = endpoint.request(deliveryID: "m", recipient: nil, payload: payload, at: Fixtures.attemptTime.addingTimeInterval(5)).http
        #expect(first?.headers.last?.value != second?.headers.last?.value)
        #expect(second?.headers.last?.value.contains(#"oauth_timestamp="1795452047""#) == true)
    }

    @Test func mentionsAreDefusedButAddressesAndURLsKept() throws {
        let value = "@cegep_officiel .@presse alertes@cegep.example https://cegep.example/@evenements"
        let body = try Fixtures.json(try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value)).request.body)
        let defused = "@\(Fixtures.zwsp)cegep_officiel .@\(Fixtures.zwsp)presse alertes@cegep.example https://cegep.example/@evenements"
        #expect(body["text"] as? String == "EVACUATION — \(defused)\nLeave \(defused) now. Assembly point: Stationnement P1.")
    }

    @Test func weightedLengthCountsURLsAndWideCharacters() {
        #expect(TextMeasure.xWeighted.count("Évacuez — maintenant") == 20)
        #expect(TextMeasure.xWeighted.count("避難してください") == 16)
        #expect(TextMeasure.xWeighted.count("Infos : https://cegep.qc.ca/urgences/pavillon-des-sciences/consignes") == 8 + 23)
        // As twitter-text: a reserved name is no link, so it counts whole; a link's trailing period is text.
        #expect(TextMeasure.xWeighted.count("https://cegep.example/urgences") == 30)
        #expect(TextMeasure.xWeighted.count("Voir cegep.ca/urgences.") == 5 + 23 + 1)
        #expect(TextMeasure.xWeighted.count("🚒") == 2)
    }

    @Test func postIsKeptWithin280WeightedCharacters() throws {
        let long = "Quittez le pavillon par l'escalier le plus proche, sans courir, et rejoignez le point de rassemblement indiqué par le personnel. Plus d'informations : https://cegep.example/urgences/pavillon-a/consignes-detaillees"
        let payload = try Self.endpoint(Fixtures.bilingual).encode(Fixtures.message(frenchBody: long, englishBody: long))
        let text = try #require(try Fixtures.json(payload.body)["text"] as? String)
        #expect(TextMeasure.xWeighted.count(text) <= 280)
        #expect(text.hasPrefix("ÉVACUATION — Pavillon A\n") && text.contains("\n\nEVACUATION — Pavillon A\n"))
        let note = try #require(payload.notes.first)
        #expect(note.hasSuffix("weighted characters for x"))
    }

    @Test func answersAreMapped() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        let at = Fixtures.attemptTime
        #expect(endpoint.interpret(Fixtures.response(201, #"{"data":{"id":"1445880548472328192","text":"x"}}"#), at: at) == .delivered)
        let limited = endpoint.interpret(
            Fixtures.response(429, #"{"title":"Too Many Requests","detail":"Too Many Requests","type":"about:blank","status":429}"#,
                headers: [HTTPHeader("x-rate-limit-reset", "1795452102"), HTTPHeader("x-rate-limit-remaining", "0")]),
            at: at
        )
        #expect(limited.retryAfter == .milliseconds(59_100))
        let unauthorized = endpoint.interpret(Fixtures.response(401, #"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#), at: at)
        #expect(unauthorized.isMisconfiguration && !unauthorized.reason.contains(Self.secrets["access_token"]!))
        let duplicate = endpoint.interpret(
            Fixtures.response(403, #"{"detail":"You are not allowed to create a Tweet with duplicate content.","type":"about:blank","title":"Forbidden","status":403}"#), at: at
        )
        #expect(duplicate.isPermanent && !duplicate.isMisconfiguration)
        let forbidden = endpoint.interpret(
            Fixtures.response(403, #"{"title":"Unsupported Authentication","detail":"Authenticating with OAuth 2.0 Application-Only is forbidden for this endpoint.","status":403}"#), at: at
        )
        #expect(forbidden.isMisconfiguration)
        // 200 with only errors in the body is not a post.
        #expect(endpoint.interpret(Fixtures.response(200, #"{"errors":[{"message":"text is too long"}]}"#), at: at).isMisconfiguration)
        #expect(endpoint.interpret(Fixtures.response(503), at: at).isRetryable)
    }
}
