import Testing
import TocsinCore

struct VariableResolverTests {
    static func template() throws -> MessageTemplate {
        try SampleTemplate.template {
            $0.variables.append(VariableSpec(name: "note"))
            $0.body["en"] = "Leave {{building}}. {{assembly_point}}. {{note}}"
        }
    }

    static func problems(_ given: [String: String], template: MessageTemplate? = nil) throws -> [String] {
        let template = try template ?? Self.template()
        do {
            _ = try VariableResolver.resolve(given, for: template)
        } catch {
            return error.problems
        }
        Issue.record("the values were accepted: \(given)")
        return []
    }

    @Test func givenValuesAndDefaultsAreResolved() throws {
        let values = try VariableResolver.resolve(["building": "Pavillon A"], for: Self.template())
        #expect(values == ["building": "Pavillon A", "assembly_point": "Stationnement P1"])
    }

    @Test func givenValueReplacesTheDefault() throws {
        let values = try VariableResolver.resolve(
            ["building": "Pavillon des sciences", "assembly_point": "Terrain de soccer", "note": "Pompiers sur place"],
            for: Self.template()
        )
        #expect(values == ["building": "Pavillon des sciences", "assembly_point": "Terrain de soccer", "note": "Pompiers sur place"])
    }

    @Test func missingRequiredVariableListsTheAllowedValues() throws {
        let problems = try Self.problems([:])
        #expect(problems.count == 1)
        let problem = try #require(problems.first)
        #expect(problem.contains("missing required variable 'building'"))
        #expect(problem.contains("--set building="))
        #expect(problem.contains(#""Pavillon A""#))
        #expect(problem.contains(#""Pavillon des sciences""#))
    }

    @Test func unknownVariableListsTheKnownOnes() throws {
        let problems = try Self.problems(["building": "Pavillon A", "bulding": "Pavillon A"])
        #expect(problems == ["unknown variable 'bulding' for template 'evacuation' (it takes: assembly_point, building, note)"])
    }

    @Test func unknownVariableOfATemplateWithoutVariables() throws {
        let template = try SampleTemplate.template {
            $0.variables = []
            $0.title = ["fr": "Fin", "en": "End"]
            $0.body = ["fr": "Fin de l'alerte.", "en": "All clear."]
        }
        let problems = try Self.problems(["building": "A"], template: template)
        #expect(problems == ["unknown variable 'building' for template 'evacuation' (it takes none)"])
    }

    @Test func valueOutsideTheAllowedListIsRefused() throws {
        let problems = try Self.problems(["building": "Pavillon Z"])
        #expect(problems.count == 1)
        let problem = try #require(problems.first)
        #expect(problem.contains("'Pavillon Z' is not an allowed value of 'building'"))
        #expect(problem.contains(#"(allowed: "Pavillon A", "Pavillon des sciences")"#))
    }

    @Test func allowedValuesMatchExactly() throws {
        #expect(try Self.problems(["building": "pavillon a"]).count == 1)
        #expect(try Self.problems(["building": "Pavillon A "]).count == 1)
    }

    @Test(arguments: [
        "Pavillon\nA", "Pavillon\tA", "Pavillon\rA", "\u{1B}[31mrouge", "nul\u{0}", "del\u{7F}", "c1\u{85}",
        // Line and paragraph separators break a line too; bidirectional controls change what a reader sees.
        "ligne\u{2028}deux", "para\u{2029}graphe", "Pavillon \u{202E}A nollivaP", "isolé\u{2066}x\u{2069}",
    ])
    func controlCharactersAreRefused(value: String) throws {
        let problems = try Self.problems(["building": "Pavillon A", "note": value])
        #expect(problems.count == 1)
        #expect(problems.first?.contains("the value of 'note' contains a control character") == true)
    }

    @Test func aLongOrControlLadenValueOutsideTheAllowedListIsNotQuoted() throws {
        // The "not an allowed value" message quotes the value: only once it is known short and printable.
        let long = try Self.problems(["building": String(repeating: "x", count: 100_000)])
        #expect(long == ["the value of 'building' takes 100000 bytes of UTF-8; at most 200 characters (800 bytes of UTF-8, 400 code points) are accepted"])
        let escape = try Self.problems(["building": "\u{1B}]0;pwned\u{7}"])
        #expect(escape.count == 1 && escape.first?.contains("control character") == true && escape.first?.contains("\u{1B}") == false)
    }

    @Test func anUnknownVariableNameIsQuotedShortAndPrintable() throws {
        let problems = try Self.problems(["building": "Pavillon A", "\u{1B}[2J" + String(repeating: "n", count: 500): "x"])
        let problem = try #require(problems.first)
        #expect(!problem.contains("\u{1B}") && problem.contains(#"\u{1B}[2J"#) && problem.count < 300, "\(problem)")
    }

    @Test func emojiSequencesAndAccentsAreNotControlCharacters() throws {
        let value = "Famille 👨\u{200D}👩\u{200D}👧 — Pavillon Élan"
        #expect(try VariableResolver.resolve(["building": "Pavillon A", "note": value], for: Self.template())["note"] == value)
    }

    /// Fault finding 6: one character of 450,001 code points passed the 200-character limit (a 2.7 MB webhook body).
    @Test func aValueStackedWithCombiningMarksIsRefusedByItsBytes() throws {
        let value = "a" + String(repeating: "\u{0301}", count: 450_000)
        let problems = try Self.problems(["building": "Pavillon A", "note": value])
        #expect(problems == ["the value of 'note' takes 900001 bytes of UTF-8; at most 200 characters (800 bytes of UTF-8, 400 code points) are accepted"])
    }

    @Test(arguments: ["\u{200E}", "\u{200F}", "\u{061C}", "\u{200B}", "\u{FEFF}", "\u{E0041}", "\u{200D}"])
    func bidiMarksZeroWidthBOMAndTagCharactersAreRefused(character: String) throws {
        let problems = try Self.problems(["building": "Pavillon A", "note": "Salle" + character + "B"])
        #expect(problems.count == 1 && problems.first?.contains("character (U+") == true, "\(problems)")
    }

    @Test func valuesUpToTheMaximumLengthAreAccepted() throws {
        let value = String(repeating: "é", count: VariableResolver.maximumLength)
        let values = try VariableResolver.resolve(["building": "Pavillon A", "note": value], for: Self.template())
        #expect(values["note"] == value)
    }

    @Test func overLongValuesAreRefused() throws {
        let value = String(repeating: "x", count: VariableResolver.maximumLength + 1)
        let problems = try Self.problems(["building": "Pavillon A", "note": value])
        #expect(problems == ["the value of 'note' is 201 characters long; at most 200 are accepted"])
    }

    @Test func blankValueOfARequiredVariableIsRefused() throws {
        let template = try SampleTemplate.template { $0.variables[0] = VariableSpec(name: "building", required: true) }
        let problems = try Self.problems(["building": "   "], template: template)
        #expect(problems == ["the value of 'building' is empty"])
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let problems = try Self.problems([
            "floor": "3", "assembly_point": String(repeating: "p", count: 300), "note": "two\nlines",
        ])
        #expect(problems.count == 4)
        #expect(problems.contains { $0.contains("unknown variable 'floor'") })
        #expect(problems.contains { $0.contains("missing required variable 'building'") })
        #expect(problems.contains { $0.contains("the value of 'assembly_point' is 300 characters long") })
        #expect(problems.contains { $0.contains("the value of 'note' contains a control character") })
    }

    @Test func errorDescriptionListsOneProblemPerLine() throws {
        #expect {
            _ = try VariableResolver.resolve(["floor": "3"], for: try Self.template())
        } throws: { error in
            guard let error = error as? TemplateInputError else { return false }
            return error.problems.count == 2 && error.description == error.problems.joined(separator: "\n")
        }
    }
}
