import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinRequests
import TocsinTestSupport

/// The evacuation notice of DESIGN.md, rendered, with the building as a variable to try awkward values in.
enum Fixtures {
    static let attemptTime = Date(timeIntervalSince1970: 1_795_452_042.9)

    static let french = ["fr"], english = ["en"], bilingual = ["fr", "en"]

    /// A config holding the example templates of `config/templates` (and one webhook), written to `directory`.
    static func exampleTemplatesConfig(in directory: TemporaryDirectory) throws -> String {
        var config = TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")])
        let folder = PackagePaths.root.appendingPathComponent("config/templates")
        config.templates = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".yaml") {
            config.templates[String(name.dropLast(5))] = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        }
        return try config.write(to: directory)
    }

    static func message(
        building: String = "Pavillon A", status: CAP.Status = .actual, severity: CAP.Severity = .extreme,
        urgency: CAP.Urgency = .immediate, frenchBody: String? = nil, englishBody: String? = nil
    ) -> OutgoingMessage {
        OutgoingMessage(
            incidentID: "20261123-K7QF2A", status: status, msgType: .alert, references: [], templateID: "evacuation",
            approved: true, organization: "Cégep de l'Exemple", sender: "alertes@cegep.example",
            sent: "2026-11-23T11:40:42-05:00", category: .fire, severity: severity, urgency: urgency,
            certainty: .observed, response: .evacuate,
            messages: [
                RenderedMessage(
                    language: "fr", event: "Évacuation", title: "ÉVACUATION — \(building)",
                    body: frenchBody ?? "Quittez \(building) immédiatement. Point de rassemblement : Stationnement P1.",
                    instruction: "Ne prenez pas les ascenseurs."
                ),
                RenderedMessage(
                    language: "en", event: "Evacuation", title: "EVACUATION — \(building)",
                    body: englishBody ?? "Leave \(building) now. Assembly point: Stationnement P1."
                ),
            ]
        )
    }

    static func definition(
        _ type: ChannelType, name: String? = nil, languages: [String] = bilingual, settings: [String: String] = [:],
        secrets: [String: String] = [:], recipients: [String] = []
    ) -> ChannelDefinition {
        ChannelDefinition(
            name: name ?? type.rawValue, type: type, languages: languages, settings: settings,
            secrets: secrets.mapValues(Secret.init), recipients: recipients
        )
    }

    /// Encodes and builds the request of one attempt.
    static func send(
        _ endpoint: any ChannelEndpoint, _ message: OutgoingMessage, recipient: String? = nil
    ) throws -> (payload: EncodedPayload, request: HTTPRequest) {
        let payload = try endpoint.encode(message)
        let request = try #require(
            endpoint.request(deliveryID: "msg_01jd8x", recipient: recipient, payload: payload, at: attemptTime).http
        )
        return (payload, request)
    }

    static func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    /// An `application/x-www-form-urlencoded` body as ordered pairs, decoded.
    static func form(_ bytes: [UInt8]) -> [(String, String)] {
        String(decoding: bytes, as: UTF8.self).split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                ($0.replacingOccurrences(of: "+", with: " ")).removingPercentEncoding ?? ""
            }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    /// JSON text with sorted keys, to compare a parsed body with an expected literal.
    static func canonical(_ value: Any) throws -> String {
        String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]), as: UTF8.self)
    }

    static func headers(_ request: HTTPRequest) -> [String: String] {
        Dictionary(request.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    static func response(_ status: Int, _ body: String = "", headers: [HTTPHeader] = []) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: Array(body.utf8))
    }

    static let zwsp = "\u{200B}"

    /// Values a malicious or careless operator could type into a variable, one per markup kind.
    static let injections = [
        "<!channel>", "@everyone", "<b>gras</b>", "*bold*", "[clic](http://evil.example)", "](http://evil)", "</script>",
        "<users/all>", "@[123456]", "_italique_ ~barré~ `code` ||spoiler||", "> citation", "# Titre", "{{DATE(2026-11-23T10:00:00Z, SHORT)}}",
    ]
}

extension AttemptOutcome {
    var isRetryable: Bool { if case .retryable = self { true } else { false } }
    var retryAfter: Duration? { if case .retryable(_, let wait) = self { wait } else { nil } }
    var isMisconfiguration: Bool { if case .permanent(_, true) = self { true } else { false } }
    var isPermanent: Bool { if case .permanent = self { true } else { false } }
    var reason: String {
        switch self {
        case .delivered: ""
        case .retryable(let reason, _), .permanent(let reason, _): reason
        }
    }
}
