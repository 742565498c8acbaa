import Foundation
import Testing
import TocsinChannels
import TocsinConfig
import TocsinCore
import TocsinTestSupport

/// Tocsin's SMS segment counts and X weighted lengths against independent implementations (issue 15, item 4):
/// the `gsm0338` codec from PyPI (GSM 03.38 septets; a character it cannot map means UCS-2) and X's own
/// twitter-text configuration (`twitter-text-parser`: `parse_tweet(text).weightedLength`). Over the example
/// templates as SMS and X would send them and a generated corpus of accents, « », emoji, dashes and URLs; any
/// disagreement fails. Both references are installed by scripts/install-deps.sh.
struct LengthReferenceTests {
    /// Reads JSON texts, one a line; writes `encoding septets-or-units segments weighted` for each.
    static let reference = #"""
        import json, sys, math
        import gsm0338
        from twitter_text import parse_tweet
        for line in sys.stdin:
            text = json.loads(line)
            try:
                units, encoding, single, multi = len(text.encode("gsm03.38")), "gsm7", 160, 153
            except UnicodeEncodeError:
                units, encoding, single, multi = len(text.encode("utf-16-le")) // 2, "ucs2", 70, 67
            segments = 0 if units == 0 else (1 if units <= single else math.ceil(units / multi))
            print(encoding, units, segments, parse_tweet(text).weightedLength)
        """#

    static func corpus() throws -> [String] {
        var texts = [
            "Évacuez le pavillon A par la sortie la plus proche.", "Quittez le bâtiment — maintenant !",
            "« Point de rassemblement » : Stationnement P3", "Fin d'alerte… reprenez vos activités.",
            "Détails : https://cegep.example/urgence et https://cegep.example/a/very/long/path/that/goes/on?x=1",
            "🔥 Incendie au pavillon B 🔥", "Ça va, Noël, où, ê, î, ô, û, ë, ï, ÿ, œ", "Prix: 5 € [urgent] {test} ^~|\\",
            "ÉVACUATION\nEVACUATION\n--\nEVACUATE", "Straße Ñandú Øre Åse Üben Ä Ö", "ελληνικά ΔΦΓΛΩΠΨΣΘΞ",
            "日本語のテキスト", String(repeating: "a", count: 160), String(repeating: "a", count: 161),
            String(repeating: "é", count: 306), String(repeating: "ê", count: 70), String(repeating: "ê", count: 71),
            String(repeating: "€", count: 80), "Tab\tand\u{00A0}non-breaking space", "",
            "Suivi : https://cegep.qc.ca/urgence.", "Voir cegep.ca/urgence, puis www.cegep.quebec", "(https://x.com/a)",
            "« https://college.edu/alerte »", "Lien : https://cegep.example/urgence et http://localhost:8080/x",
            "Stationnement P3. Pavillon A.B. St.Jean", "https://cegep.ca/a/very/long/path/that/goes/on?x=1&y=2#frag!",
        ]
        // The example templates, every language and case, as SMS and X would send them.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let configuration = try #require(ConfigLoader.load(path: try Fixtures.exampleTemplatesConfig(in: directory)).configuration)
        let sms = try TwilioSMSEndpoint(
            Fixtures.definition(.twilioSMS, settings: ["account_sid": "AC0", "from": "+15145550000"], secrets: ["auth_token": "t"], recipients: ["+15145551234"]),
            timeout: .seconds(5)
        )
        for template in configuration.templates.values.sorted(by: { $0.id < $1.id }) {
            for rendering in FitCheck.renderings(of: template, languages: ["fr", "en"]) {
                var message = Fixtures.message()
                message.messages = rendering.messages
                texts.append(String(decoding: try sms.encode(message).body, as: UTF8.self))
                for text in rendering.messages {
                    texts += [text.title, text.body, text.instruction ?? "", text.short ?? ""]
                }
            }
        }
        return Array(Set(texts)).sorted()
    }

    @Test func segmentsAndWeightedLengthsAgreeWithTheReferences() async throws {
        let texts = try Self.corpus()
        let input = try texts.map { String(decoding: try JSONSerialization.data(withJSONObject: $0, options: .fragmentsAllowed), as: UTF8.self) }
            .joined(separator: "\n") + "\n"
        let result = try await ExternalTools.run(["python3", "-c", Self.reference], input: Array(input.utf8))
        #expect(result.status == 0, "the references must be installed (scripts/install-deps.sh): \(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        try #require(lines.count == texts.count, "\(result.stdout) \(result.stderr)")
        for (text, fields) in zip(texts, lines) {
            let encoding = SMSEncoding.of(text)
            let shown = text.prefix(40).debugDescription
            #expect(fields[0] == (encoding == .gsm7 ? "gsm7" : "ucs2"), "encoding of \(shown)")
            #expect(Int(fields[1]) == encoding.units(text), "units of \(shown)")
            #expect(Int(fields[2]) == encoding.segments(text), "segments of \(shown)")
            #expect(Int(fields[3]) == TextMeasure.xWeighted.count(text), "X weighted length of \(shown)")
        }
    }
}
