import Foundation
import Testing
import TocsinChannels
import TocsinConfig
import TocsinCore
import TocsinTestSupport

/// Tocsin's built-in all-clear (issue 16, item 10) is in the fit check like any template: it repeats the followed
/// message's title, so every template's longest titles are what it must carry whole.
struct BuiltInAllClearFitTests {
    private static func sms() throws -> TwilioSMSEndpoint {
        try TwilioSMSEndpoint(
            Fixtures.definition(.twilioSMS, settings: ["account_sid": "AC0", "from": "+15145550000"], secrets: ["auth_token": "t"], recipients: ["+15145551234"]),
            timeout: .seconds(5)
        )
    }

    /// The example config without its all-clear template: the built-in one reaches SMS, X and ntfy whole after any
    /// of the others, live and as a drill, and an SMS of it stays in GSM-7 within two segments.
    @Test func afterTheExampleTemplatesItFitsSMSXAndNtfy() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let loaded = ConfigLoader.load(path: try Fixtures.exampleTemplatesConfig(in: directory))
        let configuration = try #require(loaded.configuration, "\(loaded.diagnostics.map(\.message))")
        let templates = configuration.templates.values.filter { $0.id != BuiltInAllClear.id }
        #expect(templates.count == 3)
        let sms = try Self.sms()
        let x = try XEndpointTests.endpoint(Fixtures.bilingual)
        let ntfy = try NtfyEndpoint(Fixtures.definition(.ntfy, settings: ["url": "https://ntfy.sh/campus"]), timeout: .seconds(5))
        let cuts = FitCheck.builtInAllClearCuts(after: Array(templates), on: [("sms", sms), ("x", x), ("ntfy", ntfy)], organization: configuration.organization)
        #expect(cuts.isEmpty, "\(cuts.map(\.description))")
        let allClear = BuiltInAllClear.template(languages: ["fr", "en"])
        for template in templates {
            for values in FitCheck.worstCaseValues(of: template) {
                let followed = TemplateRenderer.render(template, values: values, languages: ["fr", "en"])
                let messages = TemplateRenderer.render(allClear, values: BuiltInAllClear.values(following: followed, languages: ["fr", "en"]), languages: ["fr", "en"])
                let text = String(decoding: try sms.encode(Self.message(messages)).body, as: UTF8.self)
                #expect(SMSEncoding.of(text) == .gsm7, "\(template.id) \(values): \(text)")
                #expect(SMSEncoding.gsm7.segments(text) <= 2, "\(template.id) \(values): \(text)")
            }
        }
    }

    /// After a template whose title is too long for one X post, the built-in all-clear is named as cut, with the
    /// template it follows and its values.
    @Test func aTitleTooLongForXIsNamedAsACutOfTheBuiltInAllClear() throws {
        let long = String(repeating: "W", count: 150)
        let template = try MessageTemplate(content: MessageTemplate.Content(
            id: "long-title", category: .fire, severity: .extreme, urgency: .immediate, certainty: .observed, route: "campus",
            event: ["fr": "Évacuation", "en": "Evacuation"], title: ["fr": "ÉVACUATION \(long)", "en": "EVACUATION \(long)"],
            body: ["fr": "Sortez.", "en": "Get out."], short: ["fr": "Sortez.", "en": "Get out."]
        ))
        let organization = Configuration.Organization(name: "Cégep", sender: "alertes@cegep.example", languages: ["fr", "en"])
        let x = try XEndpointTests.endpoint(Fixtures.bilingual)
        let cuts = FitCheck.builtInAllClearCuts(after: [template], on: [("x", x)], organization: organization)
        #expect(cuts.count == 1)
        #expect(cuts.first?.description.hasPrefix("template 'all-clear' does not fit channel 'x' (all-clear after long-title") == true, "\(cuts)")
        #expect(FitCheck.cuts(of: template, on: [("x", x)], organization: organization).isEmpty, "the template itself fits: its short text is short")
    }

    /// The followed title without Tocsin's words in front, in either order; a language the followed message lacks
    /// takes the first it has.
    @Test func theFollowedTitleLosesTheDrillAndUpdateWords() {
        let followed = [
            RenderedMessage(language: "fr", event: "Évacuation", title: "EXERCICE — MISE À JOUR — ÉVACUATION — Pavillon B", body: ""),
        ]
        let values = BuiltInAllClear.values(following: followed, languages: ["fr", "en"])
        #expect(values == [
            "event_fr": "Évacuation", "title_fr": "ÉVACUATION — Pavillon B",
            "event_en": "Évacuation", "title_en": "ÉVACUATION — Pavillon B",
        ])
        let messages = TemplateRenderer.render(BuiltInAllClear.template(languages: ["fr", "en"]), values: values, languages: ["fr", "en"])
        #expect(messages.map(\.title) == ["FIN DE L'ALERTE — ÉVACUATION — Pavillon B", "ALL CLEAR — ÉVACUATION — Pavillon B"])
        #expect(messages.allSatisfy { $0.instruction == nil }, "no instruction")
        // A title typed with Mustache in it is a value, never parsed.
        let typed = BuiltInAllClear.values(following: [RenderedMessage(language: "en", event: "E", title: "{{title_en}} {{#x}}", body: "")], languages: ["en"])
        #expect(TemplateRenderer.render(BuiltInAllClear.template(languages: ["en"]), values: typed, languages: ["en"]).first?.title == "ALL CLEAR — {{title_en}} {{#x}}")
    }

    private static func message(_ messages: [RenderedMessage]) -> OutgoingMessage {
        OutgoingMessage(
            incidentID: "20261204-K7QF2A", status: .actual, msgType: .cancel, references: [], templateID: "all-clear",
            approved: true, organization: "Cégep de l'Exemple", sender: "alertes@cegep.example",
            sent: "2026-12-04T09:26:15-05:00", category: .safety, severity: .minor, urgency: .past, certainty: .observed,
            response: .allClear, messages: messages
        )
    }
}
