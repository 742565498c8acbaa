import Foundation
import Testing
import TocsinChannels
import TocsinCore
import TocsinTestSupport

/// Every body `WebhookEndpoint` can produce validates against `docs/webhook-payload.schema.json` (Draft 2020-12,
/// Python `jsonschema`), and the schema's code lists are CAP's as the code spells them.
///
/// A failure names the variant and what the schema says about it: either the payload changed (update the schema,
/// and bump `data.version` if the change is incompatible) or the schema is wrong.
struct WebhookSchemaTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let reference = "alertes@cegep.example,20261123-K7QF2A,2026-11-23T11:40:42-05:00"

    /// A message as the daemon builds one: alerts, drills, updates, all-clears, channel tests and heartbeats.
    static func message(
        status: CAP.Status, msgType: CAP.MessageType, template: String = "evacuation", approved: Bool = true,
        category: CAP.Category = .fire, severity: CAP.Severity = .extreme, urgency: CAP.Urgency = .immediate,
        certainty: CAP.Certainty = .observed, response: CAP.ResponseType? = .evacuate, instruction: Bool = true,
        title: String = "ÉVACUATION — Pavillon A", sent: String = "2026-11-23T11:40:42-05:00"
    ) -> OutgoingMessage {
        OutgoingMessage(
            incidentID: "20261123-M3XR9B", status: status, msgType: msgType,
            references: msgType == .alert ? [] : [reference], templateID: template, approved: approved,
            organization: "Cégep de l'Exemple", sender: "alertes@cegep.example", sent: sent, category: category,
            severity: severity, urgency: urgency, certainty: certainty, response: response,
            messages: [
                RenderedMessage(
                    language: "fr", event: "Évacuation", title: title, body: "Quittez Pavillon A immédiatement.",
                    instruction: instruction ? "Ne prenez pas les ascenseurs." : nil
                ),
                RenderedMessage(language: "en", event: "Evacuation", title: "EVACUATION — Pavillon A", body: "Leave Pavillon A now."),
            ]
        )
    }

    /// Encodes through the real endpoint, as a channel with `languages` (and a secret: signing must not touch the body).
    static func body(_ message: OutgoingMessage, languages: [String] = ["fr", "en"]) throws -> [UInt8] {
        let definition = ChannelDefinition(
            name: "ops-webhook", type: .webhook, languages: languages, settings: ["url": "https://hooks.example.org/tocsin"],
            secrets: ["secret": Secret(secret)]
        )
        return try WebhookEndpoint(definition, timeout: .seconds(10)).encode(message).body
    }

    /// Every combination of what shapes the body, plus one body per value of each CAP code list.
    static func variants() throws -> [String: [UInt8]] {
        var bodies: [String: [UInt8]] = [:]
        let kinds: [(String, CAP.Status, CAP.MessageType, Bool)] = [
            ("alert", .actual, .alert, true), ("drill", .exercise, .alert, false), ("drill-approved", .exercise, .alert, true),
            ("update", .actual, .update, true), ("all-clear", .actual, .cancel, true), ("drill-update", .exercise, .update, false),
            ("drill-all-clear", .exercise, .cancel, false), ("channel-test", .test, .alert, true), ("heartbeat", .system, .alert, true),
        ]
        let languageSets = [["fr"], ["en"], ["fr", "en"], ["en", "fr"]]
        for (kind, status, msgType, approved) in kinds {
            for languages in languageSets {
                for response in [CAP.ResponseType.evacuate, nil] {
                    for instruction in [true, false] {
                        let name = "\(kind)-\(languages.joined(separator: "+"))-\(response == nil ? "noresponse" : "response")-\(instruction ? "instruction" : "noinstruction").json"
                        let message = message(status: status, msgType: msgType, approved: approved, response: response, instruction: instruction)
                        bodies[name] = try body(message, languages: languages)
                    }
                }
            }
        }
        // The channel test's own fixed template (IncidentService.ChannelTestTemplate).
        bodies["channel-test-template.json"] = try body(
            message(status: .test, msgType: .alert, template: "channel-test", category: .other, severity: .minor,
                    urgency: .unknown, certainty: .unknown, response: CAP.ResponseType.none, instruction: false)
        )
        for value in CAP.Category.allCases { bodies["category-\(value.rawValue).json"] = try body(message(status: .actual, msgType: .alert, category: value)) }
        for value in CAP.Severity.allCases { bodies["severity-\(value.rawValue).json"] = try body(message(status: .actual, msgType: .alert, severity: value)) }
        for value in CAP.Urgency.allCases { bodies["urgency-\(value.rawValue).json"] = try body(message(status: .actual, msgType: .alert, urgency: value)) }
        for value in CAP.Certainty.allCases { bodies["certainty-\(value.rawValue).json"] = try body(message(status: .actual, msgType: .alert, certainty: value)) }
        for value in CAP.ResponseType.allCases { bodies["response-\(value.rawValue).json"] = try body(message(status: .actual, msgType: .alert, response: value)) }
        for value in CAP.Status.allCases { bodies["status-\(value.rawValue).json"] = try body(message(status: value, msgType: .alert)) }
        // Awkward text and a UTC time (CAP writes +00:00, never Z).
        bodies["awkward.json"] = try body(message(status: .actual, msgType: .alert, title: "Il a dit \"sortez\" \\ </script>\n\u{0}\u{2028} 🚒"))
        bodies["utc.json"] = try body(message(status: .actual, msgType: .alert, sent: CAPDate.format(Date(timeIntervalSince1970: 1_795_452_042), timeZone: TimeZone(identifier: "UTC")!)))
        return bodies
    }

    @Test func everyGeneratedPayloadValidatesAgainstTheSchema() async throws {
        let bodies = try Self.variants()
        #expect(bodies.count > 150)
        let problems = try await PayloadSchema.problems(of: bodies)
        #expect(Set(problems.keys) == Set(bodies.keys), "every body was checked")
        for (name, list) in problems.sorted(by: { $0.key < $1.key }) {
            #expect(list.isEmpty, "\(name) does not validate against docs/webhook-payload.schema.json: \(list)\n\(String(decoding: bodies[name] ?? [], as: UTF8.self))")
        }
    }

    /// The schema can fail: a body missing a required field, with a wrong value or an undocumented field is refused.
    @Test func bodiesThatBreakTheContractAreRefused() async throws {
        let valid = try JSONSerialization.jsonObject(with: Data(Self.body(Self.message(status: .actual, msgType: .alert)))) as? [String: Any]
        let good = try #require(valid)
        func edited(_ change: (inout [String: Any], inout [String: Any]) -> Void) throws -> [UInt8] {
            var top = good
            var data = try #require(top["data"] as? [String: Any])
            change(&top, &data)
            top["data"] = data
            return Array(try JSONSerialization.data(withJSONObject: top))
        }
        let broken: [String: [UInt8]] = [
            "missing-incident.json": try edited { _, data in data["incident"] = nil },
            "missing-timestamp.json": try edited { top, _ in top["timestamp"] = nil },
            "missing-message-title.json": try edited { _, data in
                var messages = data["messages"] as? [[String: Any]] ?? []
                messages[0]["title"] = nil
                data["messages"] = messages
            },
            "version-2.json": try edited { _, data in data["version"] = 2 },
            "status-unknown.json": try edited { _, data in data["status"] = "Live" },
            "update-without-reference.json": try edited { _, data in data["msgType"] = "Update" },
            "alert-with-reference.json": try edited { _, data in data["references"] = [Self.reference] },
            "zulu-time.json": try edited { _, data in data["sent"] = "2026-11-23T16:40:42Z" },
            "null-response.json": try edited { _, data in data["response"] = NSNull() },
            "undocumented-field.json": try edited { _, data in data["priority"] = "high" },
        ]
        let problems = try await PayloadSchema.problems(of: broken)
        for name in broken.keys.sorted() {
            #expect(problems[name]?.isEmpty == false, "\(name) should not validate")
        }
        #expect(problems["missing-incident.json"]?.contains { $0.contains("'incident' is a required property") } == true, "\(problems)")
    }

    /// The schema's code lists are exactly the CAP values the payload can carry.
    @Test func schemaCodeListsAreCAPs() throws {
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: PayloadSchema.path))) as? [String: Any])
        let defs = try #require(schema["$defs"] as? [String: Any])
        let data = try #require(defs["data"] as? [String: Any])
        let properties = try #require(data["properties"] as? [String: [String: Any]])
        func values(_ name: String) -> [String] { properties[name]?["enum"] as? [String] ?? [] }
        #expect(values("status") == CAP.Status.allCases.map(\.rawValue))
        #expect(values("category") == CAP.Category.allCases.map(\.rawValue))
        #expect(values("severity") == CAP.Severity.allCases.map(\.rawValue))
        #expect(values("urgency") == CAP.Urgency.allCases.map(\.rawValue))
        #expect(values("certainty") == CAP.Certainty.allCases.map(\.rawValue))
        #expect(values("response") == CAP.ResponseType.allCases.map(\.rawValue))
        // The daemon sends Alert, Update and Cancel only (IncidentService.messageType).
        #expect(values("msgType") == [CAP.MessageType.alert, .update, .cancel].map(\.rawValue))
        #expect(Set(data["required"] as? [String] ?? []) == Set(properties.keys).subtracting(["response"]), "only `response` is optional in data")
    }
}
