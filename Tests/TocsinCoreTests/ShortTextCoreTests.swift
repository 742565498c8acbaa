import Testing
import TocsinCore

/// Short texts and `max_length` in the domain (issue 15, item 1).
struct ShortTextCoreTests {
    static func template() throws -> MessageTemplate {
        try SampleTemplate.template {
            $0.short = ["fr": "ÉVACUATION {{building}} : rassemblement {{assembly_point}}", "en": "EVACUATE {{building}}: assembly {{assembly_point}}"]
            $0.variables[1].maxLength = 20
        }
    }

    @Test func theShortTextIsRenderedOnceWithTheSameValues() throws {
        let messages = TemplateRenderer.render(try Self.template(), values: ["building": "Pavillon A", "assembly_point": "Stationnement P3"], languages: ["fr", "en"])
        #expect(messages.map(\.short) == ["ÉVACUATION Pavillon A : rassemblement Stationnement P3", "EVACUATE Pavillon A: assembly Stationnement P3"])
    }

    /// A drill's SMS says it is a drill first, like its title; so does an update's.
    @Test(arguments: [(TemplateRenderer.Marking.exercise, "EXERCICE — ", "EXERCISE — "), (.update, "MISE À JOUR — ", "UPDATE — "), (.test, "TEST — ", "TEST — ")])
    func markingsLeadTheShortText(marking: TemplateRenderer.Marking, french: String, english: String) throws {
        let messages = TemplateRenderer.render(try Self.template(), values: ["building": "Pavillon A", "assembly_point": "P3"], languages: ["fr", "en"], marking: marking)
        #expect(messages[0].short == french + "ÉVACUATION Pavillon A : rassemblement P3")
        #expect(messages[1].short == english + "EVACUATE Pavillon A: assembly P3")
    }

    @Test func aTemplateWithoutShortTextRendersNone() throws {
        let messages = TemplateRenderer.render(try SampleTemplate.template(), values: ["building": "Pavillon A"], languages: ["fr"])
        #expect(messages.first?.short == nil)
    }

    @Test func aValueLongerThanItsMaxLengthIsRefusedBeforeAnythingIsStored() throws {
        #expect(throws: TemplateInputError.self) {
            try VariableResolver.resolve(["building": "Pavillon A", "assembly_point": "Stationnement du pavillon P3"], for: try Self.template())
        }
        do {
            _ = try VariableResolver.resolve(["building": "Pavillon A", "assembly_point": "Stationnement du pavillon P3"], for: try Self.template())
        } catch let error as TemplateInputError {
            #expect(error.problems == ["the value of 'assembly_point' has 28 characters; this template allows at most 20 (max_length), so that its texts fit every channel: shorten it"])
        }
        #expect(try VariableResolver.resolve(["building": "Pavillon A", "assembly_point": String(repeating: "é", count: 20)], for: try Self.template())["assembly_point"]?.count == 20)
    }
}
