import Foundation
import Testing
import TocsinConfig
import TocsinCore

/// `short:` and `variables.<name>.max_length` in template files (issue 15, item 1).
struct ShortTextConfigTests {
    static let short = """
        short:
          fr: "ÉVACUATION {{building}}"
          en: "EVACUATE {{building}}"

        """

    @Test func aShortTextPerLanguageIsReadAndApproved() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": Samples.template + Self.short])
        let template = try #require(configuration?.templates["evacuation"], "\(diagnostics.map(\.message))")
        #expect(template.content.short == ["fr": "ÉVACUATION {{building}}", "en": "EVACUATE {{building}}"])
        let (plain, _) = try folder.load(config: Samples.config)
        #expect(plain?.templates["evacuation"]?.contentHash != template.contentHash, "the short text is part of what is approved")
    }

    @Test func aShortTextMissingALanguageIsNamed() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let text = Samples.template + "short:\n  fr: \"ÉVACUATION {{building}}\"\n"
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": text])
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message).contains("'short' has no text for 'en': give one for every language of the template, or none"))
    }

    @Test func maxLengthIsReadAndCheckedAgainstTheDefault() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let declared = Samples.template.replacingOccurrences(
            of: "  building: { required: true, allowed: [Pavillon A, Pavillon des sciences] }\n",
            with: "  building: { required: true, allowed: [Pavillon A, Pavillon des sciences] }\n  point: { default: Stationnement P1, max_length: 20 }\n"
        )
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": declared])
        #expect(configuration?.templates["evacuation"]?.variable(named: "point")?.maxLength == 20, "\(diagnostics.map(\.message))")

        let tooShort = declared.replacingOccurrences(of: "max_length: 20", with: "max_length: 10")
        let (refused, problems) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": tooShort])
        #expect(refused == nil)
        #expect(problems.errors.map(\.message).contains("'Stationnement P1' of variable 'point' is longer than its max_length (16 > 10 characters)"))

        let notWhole = declared.replacingOccurrences(of: "max_length: 20", with: "max_length: 2.5")
        let (refusedAgain, more) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": notWhole])
        #expect(refusedAgain == nil)
        #expect(more.errors.map(\.message).contains("'variables.point.max_length' must be a whole number from 1 to 200"))
    }
}

/// Recipients files as people keep them (issue 15, item 8): a header in any language, `;` or `,`, errors that
/// name the file and its line.
struct RecipientsFileTests {
    static func config(_ file: String, type: String = "twilio-sms") -> String {
        let keys = type == "twilio-sms"
            ? "account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token: \"0123456789abcdef0123456789abcdef\"\n    from: \"+15145550000\""
            : "smtp_url: smtp://127.0.0.1:2525\n    from: alertes@cegep.example"
        return Samples.config.replacingOccurrences(of: "channels:\n", with: "channels:\n  list:\n    type: \(type)\n    \(keys)\n    recipients_file: \(file)\n")
    }

    @Test(arguments: [
        "numero,nom\n+15145550101,Marie\n", "Téléphone;Nom\n+1 514 555-0101;Marie\n", "\u{FEFF}\"Numéro\";\"Nom\"\r\n\"+15145550101\";\"Marie\"\r\n",
        "# liste du 4 décembre\nnumero\n+15145550101\n",
    ])
    func aHeaderInFrenchIsNotARecipient(file: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let path = try folder.write("recipients.csv", file)
        let (configuration, diagnostics) = try folder.load(config: Self.config(path))
        #expect(diagnostics.errors.isEmpty, "\(diagnostics.map(\.message))")
        #expect(configuration?.channels["list"]?.recipients == ["+15145550101"])
    }

    @Test func aBadLineIsNamedByFileAndLine() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let path = try folder.write("recipients.csv", "numero;nom\n+15145550101;Marie\n\n514-555;Paul\n")
        let (_, diagnostics) = try folder.load(config: Self.config(path))
        #expect(diagnostics.errors.map(\.message).contains("\(path), line 4: '514-555' is not a phone number in E.164 form (e.g. +15145551234) (channels.list.recipients_file)"), "\(diagnostics.map(\.message))")
    }

    @Test func anEmailListWithACourrielHeader() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let path = try folder.write("list.txt", "courriel\ntous@cegep.example\n")
        let (configuration, diagnostics) = try folder.load(config: Self.config(path, type: "email"))
        #expect(configuration?.channels["list"]?.recipients == ["tous@cegep.example"], "\(diagnostics.map(\.message))")
    }
}
