import Testing
import TocsinCore

struct TemplateTextTests {
    @Test func discoversEveryPlaceholder() throws {
        let text = try TemplateText("Quittez {{building}} par {{ exit }}. Rassemblement : {{assembly_point}} ({{building}}).")
        #expect(text.placeholders == ["building", "exit", "assembly_point"])
    }

    @Test func plainTextHasNoPlaceholders() throws {
        let text = try TemplateText("Fin de l'alerte. Vous pouvez retourner dans les bâtiments.")
        #expect(text.placeholders.isEmpty)
        #expect(text.render([:]) == "Fin de l'alerte. Vous pouvez retourner dans les bâtiments.")
    }

    @Test func placeholderInsideASectionIsDiscovered() throws {
        let text = try TemplateText("{{#floor}}Étage {{floor_name}}{{/floor}}")
        #expect(text.placeholders == ["floor", "floor_name"])
    }

    @Test func placeholderInsideAnInvertedSectionIsDiscovered() throws {
        // A name used only where a value is missing must still reach the linter, or an undeclared one
        // (a typo) renders empty on the day instead of being refused at load.
        let text = try TemplateText("{{^floor}}Point de rassemblement : {{assembly_pont}}{{/floor}}")
        #expect(text.placeholders == ["floor", "assembly_pont"])
    }

    @Test(arguments: ["{{value}}", "{{{value}}}", "{{&value}}"])
    func valuesAreInsertedWithoutHTMLEscaping(source: String) throws {
        let text = try TemplateText(source)
        let value = #"<b>Pavillon & "Sciences"</b> l'annexe"#
        #expect(text.render(["value": value]) == value)
    }

    @Test func rendersValuesAndLeavesMissingOnesEmpty() throws {
        let text = try TemplateText("Leave {{building}} now.{{missing}}")
        #expect(text.render(["building": "Pavillon A"]) == "Leave Pavillon A now.")
    }

    @Test func keepsItsSource() throws {
        #expect(try TemplateText("Hello {{name}}").source == "Hello {{name}}")
    }

    @Test(arguments: [
        ("first line\nsecond line\nthird {{#open}} never closed {{/other}}", 3),
        ("first line\n{{name", 2),
        ("{{/close}} without open", 1),
    ])
    func syntaxErrorReportsItsLine(source: String, line: Int) {
        #expect {
            _ = try TemplateText(source)
        } throws: { error in
            guard let error = error as? TemplateTextError else { return false }
            return error.line == line && error.description.contains("line \(line)")
        }
    }
}
