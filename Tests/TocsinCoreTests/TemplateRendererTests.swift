import Testing
import TocsinCore

struct TemplateRendererTests {
    static let values = ["building": "Pavillon A", "assembly_point": "Stationnement P1"]

    @Test(arguments: [["fr", "en"], ["en", "fr"]])
    func languageOrderFollowsTheGivenList(languages: [String]) throws {
        let messages = TemplateRenderer.render(try SampleTemplate.template(), values: Self.values, languages: languages)
        #expect(messages.map(\.language) == languages)
    }

    @Test func languagesTheTemplateLacksAreSkipped() throws {
        let messages = TemplateRenderer.render(
            try SampleTemplate.template(), values: Self.values, languages: ["de", "fr", "es", "en"]
        )
        #expect(messages.map(\.language) == ["fr", "en"])
    }

    @Test func rendersEveryTextOfALanguage() throws {
        let messages = TemplateRenderer.render(try SampleTemplate.template(), values: Self.values, languages: ["fr", "en"])
        #expect(messages == [
            RenderedMessage(
                language: "fr", event: "Évacuation", title: "ÉVACUATION — Pavillon A",
                body: "Quittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.",
                instruction: "Ne revenez pas."
            ),
            RenderedMessage(
                language: "en", event: "Evacuation", title: "EVACUATION — Pavillon A",
                body: "Leave Pavillon A now. Assembly point: Stationnement P1.", instruction: "Do not come back."
            ),
        ])
    }

    @Test func valuesAreNotEscaped() throws {
        let messages = TemplateRenderer.render(
            try SampleTemplate.template(), values: ["building": #"<b>A&B "C" 'D'</b>"#, "assembly_point": "P1"],
            languages: ["en"]
        )
        #expect(messages.first?.title == #"EVACUATION — <b>A&B "C" 'D'</b>"#)
    }

    @Test func drillMarkingInFrenchAndEnglish() throws {
        let messages = TemplateRenderer.render(
            try SampleTemplate.template(), values: Self.values, languages: ["fr", "en"], marking: .exercise
        )
        let french = try #require(messages.first { $0.language == "fr" })
        let english = try #require(messages.first { $0.language == "en" })
        #expect(french.title == "EXERCICE — ÉVACUATION — Pavillon A")
        #expect(french.body == "Ceci est un exercice. Quittez Pavillon A immédiatement. Point de rassemblement : Stationnement P1.")
        #expect(english.title == "EXERCISE — EVACUATION — Pavillon A")
        #expect(english.body == "This is a drill. Leave Pavillon A now. Assembly point: Stationnement P1.")
        // The marking goes on title and body only.
        #expect(french.event == "Évacuation")
        #expect(english.instruction == "Do not come back.")
    }

    @Test func testMarkingInFrenchAndEnglish() throws {
        let messages = TemplateRenderer.render(
            try SampleTemplate.template(), values: Self.values, languages: ["fr", "en"], marking: .test
        )
        #expect(messages.map(\.title) == ["TEST — ÉVACUATION — Pavillon A", "TEST — EVACUATION — Pavillon A"])
        #expect(messages[0].body.hasPrefix("Ceci est un test technique. "))
        #expect(messages[1].body.hasPrefix("This is a technical test. "))
    }

    @Test func regionalFrenchTagGetsTheFrenchMarking() throws {
        let template = try SampleTemplate.template {
            $0.event = ["fr-CA": "Évacuation"]
            $0.title = ["fr-CA": "ÉVACUATION"]
            $0.body = ["fr-CA": "Quittez."]
            $0.instruction = nil
        }
        let messages = TemplateRenderer.render(template, values: [:], languages: ["fr-CA"], marking: .exercise)
        #expect(messages.map(\.title) == ["EXERCICE — ÉVACUATION"])
    }

    @Test func noMarkingLeavesTheTextsAlone() throws {
        let messages = TemplateRenderer.render(try SampleTemplate.template(), values: Self.values, languages: ["en"])
        #expect(messages.first?.title == "EVACUATION — Pavillon A")
    }
}
