import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests

struct TelegramEndpointTests {
    static let token = "123456789:AAH-secret_TOKEN"

    static func endpoint(_ languages: [String], chatID: String = "-1001234567890", apiBase: String? = nil) throws -> TelegramEndpoint {
        var settings = ["chat_id": chatID]
        if let apiBase { settings["api_base"] = apiBase }
        return try TelegramEndpoint(
            Fixtures.definition(.telegram, languages: languages, settings: settings, secrets: ["bot_token": token]), timeout: .seconds(10)
        )
    }

    static let french = "<b>ÉVACUATION — Pavillon A</b>\nQuittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\n\nNe prenez pas les ascenseurs."
    static let english = "<b>EVACUATION — Pavillon A</b>\nLeave Pavillon A now. Assembly point: Stationnement P1."

    @Test(arguments: [
        (Fixtures.french, french), (Fixtures.english, english), (Fixtures.bilingual, french + "\n\n———\n\n" + english),
    ])
    func sendsSendMessage(languages: [String], text: String) throws {
        let (payload, request) = try Fixtures.send(Self.endpoint(languages), Fixtures.message())
        #expect(request.method == "POST")
        #expect(request.url == "https://api.telegram.org/bot\(Self.token)/sendMessage")
        #expect(request.headers == [HTTPHeader("Content-Type", "application/json")])
        #expect(request.body == payload.body)
        let body = try Fixtures.json(request.body)
        #expect(try Fixtures.canonical(body) == Fixtures.canonical(["chat_id": -1_001_234_567_890, "text": text, "parse_mode": "HTML"]))
    }

    @Test func apiBaseAndChannelUsernames() throws {
        let endpoint = try Self.endpoint(Fixtures.french, chatID: "@cegep_alertes", apiBase: "http://127.0.0.1:8081/tg/")
        let request = try Fixtures.send(endpoint, Fixtures.message()).request
        #expect(request.url == "http://127.0.0.1:8081/tg/bot\(Self.token)/sendMessage")
        #expect(try Fixtures.json(request.body)["chat_id"] as? String == "@cegep_alertes")
    }

    @Test func htmlAndMentionsInValuesAreInert() throws {
        let value = "<b>gras</b> <a href=\"http://evil\">x</a> </script> & @admin"
        let body = try Fixtures.json(try Fixtures.send(Self.endpoint(Fixtures.english), Fixtures.message(building: value)).request.body)
        let escaped = "&lt;b&gt;gras&lt;/b&gt; &lt;a href=\"http://evil\"&gt;x&lt;/a&gt; &lt;/script&gt; &amp; @\(Fixtures.zwsp)admin"
        #expect(body["text"] as? String == "<b>EVACUATION — \(escaped)</b>\nLeave \(escaped) now. Assembly point: Stationnement P1.")
    }

    @Test func textIsKeptWithin4096VisibleCharacters() throws {
        // Entities count as one character for Telegram: "&amp;" is 1, so 1,000 of them are not 5,000.
        let ampersands = Array(repeating: "&", count: 1_000).joined(separator: " ")
        let short = try Self.endpoint(Fixtures.french).encode(Fixtures.message(frenchBody: ampersands))
        #expect(short.notes.isEmpty)

        let long = Array(repeating: "Évacuez calmement par l'escalier le plus proche.", count: 100).joined(separator: " ")
        let payload = try Self.endpoint(Fixtures.french).encode(Fixtures.message(frenchBody: long))
        let text = try #require(try Fixtures.json(payload.body)["text"] as? String)
        #expect(text.utf16.count - "<b></b>".count <= 4_096)
        #expect(text.hasSuffix("…"))
        #expect(payload.notes.first?.hasSuffix("characters for telegram") == true)
    }

    @Test func successIsOkTrue() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        let ok = #"{"ok":true,"result":{"message_id":42,"chat":{"id":-1001234567890,"type":"channel"},"date":1795452043,"text":"x"}}"#
        #expect(endpoint.interpret(Fixtures.response(200, ok), at: Fixtures.attemptTime) == .delivered)
    }

    @Test func failuresAreMapped() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        let at = Fixtures.attemptTime
        // 200 whose body says the call failed.
        let notFound = endpoint.interpret(Fixtures.response(200, #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#), at: at)
        #expect(notFound.isMisconfiguration && notFound.reason.contains("chat not found"))
        let limited = endpoint.interpret(
            Fixtures.response(429, #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#),
            at: at
        )
        #expect(limited.retryAfter == .seconds(7))
        let unauthorized = endpoint.interpret(Fixtures.response(401, #"{"ok":false,"error_code":401,"description":"Unauthorized"}"#), at: at)
        #expect(unauthorized.isMisconfiguration && unauthorized.reason.contains("bot_token") && !unauthorized.reason.contains(Self.token))
        let migrated = endpoint.interpret(
            Fixtures.response(400, #"{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1009876543210}}"#),
            at: at
        )
        #expect(migrated.isMisconfiguration && migrated.reason.contains("-1009876543210"))
        #expect(endpoint.interpret(Fixtures.response(200, "<html></html>"), at: at).isMisconfiguration)
        #expect(endpoint.interpret(Fixtures.response(502, "Bad Gateway"), at: at).isRetryable)
    }

    @Test func errorsNeverCarryTheToken() {
        let definition = Fixtures.definition(.telegram, secrets: ["bot_token": Self.token])
        #expect {
            _ = try TelegramEndpoint(definition, timeout: .seconds(1))
        } throws: { error in
            "\(error)".contains("chat_id") && !"\(error)".contains("secret_TOKEN")
        }
    }
}
