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
