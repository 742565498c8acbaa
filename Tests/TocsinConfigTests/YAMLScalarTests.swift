import Foundation
import Testing
import TocsinConfig
import TocsinCore

/// How YAML scalars are read now that Yams no longer tags them (`YAMLReader.compose` uses the basic resolver).
struct YAMLScalarTests {
    private func required(_ value: String) throws -> (Bool?, [Diagnostic]) {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let text = Samples.template.replacingOccurrences(of: "{ required: true,", with: "{ required: \(value),")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": text])
        return (configuration?.templates["evacuation"]?.content.variables.first { $0.name == "building" }?.required, diagnostics)
    }

    @Test(arguments: [("true", true), ("True", true), ("TRUE", true), ("yes", true), ("on", true), ("On", true),
                      ("false", false), ("No", false), ("OFF", false)])
    func yamlBooleansAreReadAsBefore(word: String, value: Bool) throws {
        let (read, diagnostics) = try required(word)
        #expect(read == value, "\(word): \(diagnostics.listing)")
    }

    @Test func aWordTaggedBoolIsABooleanEvenQuoted() throws {
        #expect(try required("!!bool \"yes\"").0 == true)
        #expect(try required("!!bool false").0 == false)
    }

    /// `yes:` and `'yes':` are one key once every scalar is text: still an error that names the line.
    @Test func keysThatDifferOnlyByQuotingAreOneKeyGivenTwice() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let text = Samples.template.replacingOccurrences(of: "event: { fr: Évacuation, en: Evacuation }", with: "event: { fr: Évacuation, en: Evacuation, yes: a, 'yes': b }")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": text])
        #expect(configuration == nil)
        let error = try #require(diagnostics.errors.first { $0.message.contains("twice") }, "\(diagnostics.listing)")
        #expect(error.line == 10, "\(error)")
    }

    @Test(arguments: ["\"yes\"", "'true'", "tRUE", "1", "y", "~"])
    func aQuotedOrOtherWordIsNoBoolean(word: String) throws {
        let (read, diagnostics) = try required(word)
        #expect(read == nil)
        #expect(diagnostics.errors.map(\.message).contains("'variables.building.required' must be true or false"),
                "\(word): \(diagnostics.listing)")
    }

    /// What looks like a number, a date or null to YAML is kept as typed: what is approved is the text.
    @Test func numbersDatesAndNullStayTheTextTyped() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let text = Samples.template.replacingOccurrences(
            of: "allowed: [Pavillon A, Pavillon des sciences]", with: "allowed: [010, 1.50, 2026-12-07, ~, 0x1F, .inf]")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": text])
        let building = try #require(configuration?.templates["evacuation"]?.content.variables.first { $0.name == "building" },
                                    "\(diagnostics.listing)")
        #expect(building.allowed == ["010", "1.50", "2026-12-07", "~", "0x1F", ".inf"])
    }
}
