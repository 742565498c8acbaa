import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests
import TocsinTestSupport

struct NtfyEndpointTests {
    static let url = "https://ntfy.sh/cegep-exemple-alertes-7Hq2"
    static let token = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"

    static func endpoint(_ languages: [String], token: String? = NtfyEndpointTests.token) throws -> NtfyEndpoint {
        try NtfyEndpoint(
            Fixtures.definition(.ntfy, languages: languages, settings: ["url": url], secrets: token.map { ["token": $0] } ?? [:]),
            timeout: .seconds(10)
        )
    }

    /// Decodes RFC 2047 `B` encoded-words (what ntfy does with a header that carries them).
    static func decode(_ header: String) throws -> String {
        guard header.hasPrefix("=?") else { return header }
        var bytes = Data()
        for word in header.split(separator: " ") {
            #expect(word.count <= 75, "RFC 2047 caps an encoded-word at 75 characters")
            #expect(word.hasPrefix("=?UTF-8?B?") && word.hasSuffix("?="))
            bytes += try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
        }
        return try #require(String(data: bytes, encoding: .utf8))
    }

    static let french = "Quittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.\n\nNe prenez pas les ascenseurs."
    static let english = "Leave Pavillon A now. Assembly point: Stationnement P1."

    @Test(arguments: [
        (Fixtures.french, "ÉVACUATION — Pavillon A", french),
        (Fixtures.english, "EVACUATION — Pavillon A", english),
        (Fixtures.bilingual, "ÉVACUATION — Pavillon A / EVACUATION — Pavillon A", french + "\n\n—\n\n" + english),
    ])
    func publishesToTheTopic(languages: [String], title: String, body: String) throws {
        let request = try Fixtures.send(Self.endpoint(languages), Fixtures.message()).request
        #expect(request.method == "POST")
        #expect(request.url == Self.url)
        #expect(String(decoding: request.body, as: UTF8.self) == body)
        #expect(request.headers.map(\.name) == ["Content-Type", "Title", "Priority", "Tags", "Authorization"])
        let headers = Fixtures.headers(request)
        #expect(headers["content-type"] == "text/plain; charset=utf-8")
        #expect(try Self.decode(try #require(headers["title"])) == title)
        #expect(headers["title"]?.utf8.allSatisfy { (0x20..<0x7F).contains($0) } == true, "header values are ASCII")
        #expect(headers["priority"] == "urgent")
        #expect(headers["tags"] == "rotating_light,fire")
        #expect(headers["authorization"] == "Bearer \(Self.token)")
    }

    @Test func asciiTitlesTravelAsIsAndLongOnesSplitIntoWords() throws {
        var message = Fixtures.message()
        message.messages[1].title = "FIRE - Pavillon A"
        let plain = try Fixtures.send(Self.endpoint(Fixtures.english), message).request
        #expect(Fixtures.headers(plain)["title"] == "FIRE - Pavillon A")

        message.messages[0].title = String(repeating: "Évacuation immédiate du pavillon des sciences — ", count: 4)
        let long = try Fixtures.send(Self.endpoint(Fixtures.french), message).request
        let header = try #require(Fixtures.headers(long)["title"])
        #expect(header.split(separator: " ").count > 1)
        #expect(try Self.decode(header) == message.messages[0].title)
    }

    @Test(arguments: [
        (CAP.Severity.extreme, CAP.Urgency.expected, CAP.Status.actual, "urgent", "rotating_light,fire"),
        (.moderate, .immediate, .actual, "urgent", "warning,fire"),
        (.severe, .future, .actual, "high", "rotating_light,fire"),
        (.moderate, .expected, .exercise, "high", "warning,fire,exercise"),
        (.minor, .future, .test, "default", "warning,fire,test"),
    ])
    func priorityAndTagsFollowTheAlert(severity: CAP.Severity, urgency: CAP.Urgency, status: CAP.Status, priority: String, tags: String) throws {
        let request = try Fixtures.send(Self.endpoint(Fixtures.french), Fixtures.message(status: status, severity: severity, urgency: urgency)).request
        #expect(Fixtures.headers(request)["priority"] == priority)
        #expect(Fixtures.headers(request)["tags"] == tags)
    }

    @Test func noTokenNoAuthorization() throws {
        let request = try Fixtures.send(Self.endpoint(Fixtures.french, token: nil), Fixtures.message()).request
        #expect(Fixtures.headers(request)["authorization"] == nil)
    }

    @Test func bodyStaysUnder4096BytesAndNewlinesCannotReachHeaders() throws {
        let long = Array(repeating: "Évacuez immédiatement vers le stationnement.", count: 120).joined(separator: " ")
        let endpoint = try Self.endpoint(Fixtures.french)
        var message = Fixtures.message(building: "A\r\nPriority: min", frenchBody: long)
        message.messages[0].instruction = nil
        let (payload, request) = try Fixtures.send(endpoint, message)
        #expect(request.body.count <= 4_096)
        #expect(String(decoding: request.body, as: UTF8.self).hasSuffix("…"))
        #expect(payload.notes.contains { $0.hasPrefix("text shortened from") && $0.hasSuffix("bytes for ntfy") })
        #expect(request.headers.allSatisfy { !$0.value.contains("\n") && !$0.value.contains("\r") })
        #expect(Fixtures.headers(request)["priority"] == "urgent")
    }

    /// Fault finding 6: an all-ASCII encoded-word typed as a value reached `Title:` raw, and ntfy decoded it (here
    /// into a right-to-left override, which the value rules refuse). As sent, one decoding pass (Python's RFC 2047
    /// decoder, as ntfy's Go `mime.WordDecoder` does) must give back exactly the text typed.
    @Test(arguments: [
        "=?UTF-8?B?" + Data("\u{202E}A nollivaP".utf8).base64EncodedString() + "?=",
        "Salle =?UTF-8?Q?=E2=80=AE?= B", "=?iso-8859-1?q?=E9vacuation?=", "a =? b ?= c",
    ])
    func typedEncodedWordsReachTheTitleAsTheirLiteralText(typed: String) async throws {
        var message = Fixtures.message()
        message.messages[1].title = typed
        let request = try Fixtures.send(Self.endpoint(Fixtures.english), message).request
        let header = try #require(Fixtures.headers(request)["title"])
        let decoded = try await ExternalTools.run(
            ["python3", "-c", "import sys, email.header as h; sys.stdout.write(str(h.make_header(h.decode_header(sys.stdin.read()))))"],
            input: Array(header.utf8)
        )
        #expect(decoded.status == 0, "\(decoded.stderr)")
        #expect(decoded.stdout == typed, "sent \(header.debugDescription)")
    }

    @Test func answersFollowHTTPStatus() throws {
        let endpoint = try Self.endpoint(Fixtures.french)
        let at = Fixtures.attemptTime
        #expect(endpoint.interpret(Fixtures.response(200, #"{"id":"sPs71M8A2T","time":1795452043,"event":"message","topic":"x","message":"y"}"#), at: at) == .delivered)
        #expect(endpoint.interpret(Fixtures.response(401, #"{"code":40101,"http":401,"error":"unauthorized"}"#), at: at).isMisconfiguration)
        #expect(endpoint.interpret(Fixtures.response(429, #"{"code":42901,"http":429,"error":"limit reached: too many requests"}"#), at: at).isRetryable)
    }
}
