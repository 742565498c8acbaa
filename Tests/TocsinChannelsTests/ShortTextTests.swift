import Foundation
import Testing
import TocsinChannels
import TocsinConfig
import TocsinCore
import TocsinTestSupport

/// Short texts (issue 15, item 1): a template's approved text for channels with a small limit, used whole where
/// the full text would be cut.
struct ShortTextTests {
    static func message(_ rendered: [RenderedMessage]) -> OutgoingMessage {
        var message = Fixtures.message()
        message.messages = rendered
        return message
    }

    static let withShort = [
        RenderedMessage(language: "fr", event: "Évacuation", title: "ÉVACUATION — Pavillon B", body: String(repeating: "Texte complet. ", count: 40), short: "ÉVACUATION Pavillon B : rassemblement au Stationnement P3."),
        RenderedMessage(language: "en", event: "Evacuation", title: "EVACUATION — Pavillon B", body: String(repeating: "Full text. ", count: 40), short: "EVACUATE Pavillon B. Assembly point: Stationnement P3."),
    ]

    @Test func smsAndXSendTheShortTextWhole() throws {
        let sms = try TwilioSMSEndpoint.init(
            Fixtures.definition(.twilioSMS, settings: ["account_sid": "AC0", "from": "+15145550000"], secrets: ["auth_token": "t"], recipients: ["+15145551234"]),
            timeout: .seconds(5)
        )
        let payload = try sms.encode(Self.message(Self.withShort))
        #expect(String(decoding: payload.body, as: UTF8.self) == "ÉVACUATION Pavillon B : rassemblement au Stationnement P3.\n--\nEVACUATE Pavillon B. Assembly point: Stationnement P3.")
        #expect(payload.notes.isEmpty, "nothing shortened: \(payload.notes)")

        let x = try XEndpointTests.endpoint(Fixtures.bilingual)
        let post = try Fixtures.json(try x.encode(Self.message(Self.withShort)).body)
        #expect((post["text"] as? String)?.contains("Stationnement P3") == true)
        #expect((post["text"] as? String)?.contains("Texte complet") == false)
    }

    @Test func channelsWithRoomSendTheFullText() throws {
        let slack = try SlackEndpoint(Fixtures.definition(.slack, settings: ["url": "https://hooks.slack.com/services/T/B/X"]), timeout: .seconds(5))
        let text = String(decoding: try slack.encode(Self.message(Self.withShort)).body, as: UTF8.self)
        #expect(text.contains("Texte complet"))
        #expect(!text.contains("rassemblement au Stationnement"))
    }

    /// The example config's templates, rendered with their longest values (every allowed value, every default,
    /// each free variable at its declared `max_length`), live and as a drill or an update: each short text goes
    /// out whole, as at most two GSM-7 segments (with the look-alikes), on SMS and on X.
    @Test func exampleShortTextsFitTwoGSMSegmentsWithTheirLongestValues() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try Fixtures.exampleTemplatesConfig(in: directory)
        let loaded = ConfigLoader.load(path: path)
        let configuration = try #require(loaded.configuration, "\(loaded.diagnostics.map(\.message))")
        let sms = try TwilioSMSEndpoint(
            Fixtures.definition(.twilioSMS, settings: ["account_sid": "AC0", "from": "+15145550000"], secrets: ["auth_token": "t"], recipients: ["+15145551234"]),
            timeout: .seconds(5)
        )
        let x = try XEndpointTests.endpoint(Fixtures.bilingual)
        let ntfy = try NtfyEndpoint(Fixtures.definition(.ntfy, settings: ["url": "https://ntfy.sh/campus"]), timeout: .seconds(5))
        #expect(configuration.templates.count == 4)
        for template in configuration.templates.values {
            #expect(template.content.short != nil, "\(template.id) has a short text")
            for spec in template.content.variables where spec.allowed == nil {
                #expect(spec.maxLength != nil, "\(template.id).\(spec.name) declares a max_length")
            }
            let cuts = FitCheck.cuts(of: template, on: [("sms", sms), ("x", x), ("ntfy", ntfy)], organization: configuration.organization)
            #expect(cuts.isEmpty, "\(cuts.map(\.description))")
            for rendering in FitCheck.renderings(of: template, languages: ["fr", "en"]) {
                let text = String(decoding: try sms.encode(Self.message(rendering.messages)).body, as: UTF8.self)
                let context = "\(template.id) \(rendering.kind) \(rendering.values): \(text)"
                #expect(SMSEncoding.of(text) == .gsm7, "\(context)")
                #expect(SMSEncoding.gsm7.segments(text) <= 2, "\(context)")
            }
        }
    }

    /// A template whose body is too long for an SMS, a Twilio channel and a bilingual organisation.
    static func tooLongForSMS() throws -> (MessageTemplate, ChannelDefinition, Configuration.Organization) {
        let template = try MessageTemplate(content: MessageTemplate.Content(
            id: "long", category: .fire, severity: .extreme, urgency: .immediate, certainty: .observed, route: "campus",
            variables: [VariableSpec(name: "building", allowed: ["Pavillon A", "Pavillon des sciences"])],
            event: ["fr": "É", "en": "E"], title: ["fr": "ÉVACUATION {{building}}", "en": "EVACUATION {{building}}"],
            body: ["fr": String(repeating: "Quittez le bâtiment. ", count: 30), "en": String(repeating: "Leave the building. ", count: 30)]
        ))
        let definition = Fixtures.definition(.twilioSMS, settings: ["account_sid": "AC0", "from": "+15145550000"], secrets: ["auth_token": "t"], recipients: ["+15145551234"])
        return (template, definition, Configuration.Organization(name: "Cégep", sender: "alertes@cegep.example", languages: ["fr", "en"]))
    }

    /// A template too long for SMS is named with the channel, the case and the measure; a channel that allows
    /// shortening is not flagged.
    @Test func aTemplateThatWouldBeCutIsNamed() throws {
        let (template, definition, organization) = try Self.tooLongForSMS()
        let cuts = FitCheck.cuts(of: template, on: [("sms-campus", try TwilioSMSEndpoint(definition, timeout: .seconds(5)))], organization: organization)
        #expect(cuts.count == 1)
        #expect(cuts.first?.description.hasPrefix("template 'long' does not fit channel 'sms-campus' (live, building=Pavillon des sciences): text shortened from") == true, "\(cuts)")
        var allowing = definition
        allowing.allowShortening = true
        #expect(FitCheck.cuts(of: template, on: [("sms-campus", try TwilioSMSEndpoint(allowing, timeout: .seconds(5)))], organization: organization).isEmpty)
    }

    @Test func aTypedLetterOutsideTheSMSAlphabetIsNamedWithItsCost() {
        #expect(SMSEncoding.nonGSMCharacters(in: "Stade (côté — ô)") == ["ô"], "the dash has a look-alike; é is GSM-7; ô counted once")
        #expect(SMSEncoding.nonGSMCharacters(in: "Pavillon à l'est").isEmpty)
        let problem = FitCheck.sendCut(
            channel: "sms-campus", type: .twilioSMS, note: "text shortened from 3 to 2 SMS segments",
            values: ["building": "Pavillon A", "assembly_point": "Forêt, côté ç"]
        )
        #expect(problem.contains("'sms-campus'") && problem.contains("3 to 2 SMS segments"))
        #expect(problem.contains("assembly_point holds 'ê', 'ô', 'ç'") && problem.contains("UCS-2") && !problem.contains("building holds"))
        let x = FitCheck.sendCut(channel: "x", type: .x, note: "text shortened from 300 to 280", values: ["a": "ô"])
        #expect(x.contains("shorten the values") && !x.contains("UCS-2"))
    }
}
