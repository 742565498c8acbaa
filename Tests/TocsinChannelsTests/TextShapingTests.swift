import Foundation
import Testing
import TocsinChannels
import TocsinCore

struct MarkupTests {
    @Test(arguments: Fixtures.injections)
    func slackValuesCannotFormControlSequences(value: String) {
        let escaped = Markup.slackMrkdwn.escape(value)
        #expect(!escaped.contains("<") && !escaped.contains(">"))
        #expect(escaped.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&") == value, "entities decode back to the value")
    }

    @Test(arguments: Fixtures.injections)
    func telegramAndCardHTMLValuesCannotFormTags(value: String) {
        for markup in [Markup.telegramHTML, .cardHTML] {
            let escaped = markup.escape(value)
            #expect(!escaped.contains("<") && !escaped.contains(">"), "\(markup)")
            #expect(!escaped.replacingOccurrences(of: "&amp;", with: "").replacingOccurrences(of: "&lt;", with: "")
                .replacingOccurrences(of: "&gt;", with: "").replacingOccurrences(of: "&quot;", with: "").contains("&"))
        }
    }

    @Test(arguments: Fixtures.injections)
    func markdownValuesHaveEveryDelimiterEscaped(value: String) {
        for markup in [Markup.discordMarkdown, .mattermostMarkdown] {
            let escaped = markup.escape(value)
            // Every special character is preceded by a backslash.
            let characters = Array(escaped)
            for (index, character) in characters.enumerated() where "*_~`|><#[]".contains(character) {
                #expect(index > 0 && characters[index - 1] == "\\", "'\(character)' in \(escaped)")
            }
            #expect(!escaped.contains("<!channel>"))
            #expect(!escaped.contains("@everyone") && !escaped.contains("@here"))
        }
    }

    @Test func eachMarkupEscapesAsDocumented() {
        let value = "<!channel> @everyone *bold* [x](http://evil) </script> & \"q\" {{DATE(x)}} @[123]"
        let z = Fixtures.zwsp
        #expect(Markup.plain.escape(value) == value)
        #expect(Markup.slackMrkdwn.escape(value) == "&lt;!channel&gt; @everyone *bold* [x](http://evil) &lt;/script&gt; &amp; \"q\" {{DATE(x)}} @[123]")
        #expect(Markup.discordMarkdown.escape(value)
            == "\\<!channel\\> @\(z)everyone \\*bold\\* \\[x\\](http://evil) \\</script\\> & \"q\" {{DATE(x)}} @\(z)\\[123\\]")
        #expect(Markup.mattermostMarkdown.escape(value) == Markup.discordMarkdown.escape(value))
        #expect(Markup.telegramHTML.escape(value)
            == "&lt;!channel&gt; @\(z)everyone *bold* [x](http://evil) &lt;/script&gt; &amp; \"q\" {{DATE(x)}} @\(z)[123]")
        #expect(Markup.cardHTML.escape(value + "\nfin")
            == "&lt;!channel&gt; @everyone *bold* [x](http://evil) &lt;/script&gt; &amp; &quot;q&quot; {{DATE(x)}} @[123]<br>fin")
        #expect(Markup.adaptiveCardTextRun.escape(value) == "<!channel> @everyone *bold* [x](http://evil) </script> & \"q\" {\(z){DATE(x)}} @[123]")
        #expect(Markup.plainWithMentions.escape(value) == "<!channel> @\(z)everyone *bold* [x](http://evil) </script> & \"q\" {{DATE(x)}} @\(z)[123]")
        #expect(Markup.facebook.escape(value) == "<!channel> @everyone *bold* [x](http://evil) </script> & \"q\" {{DATE(x)}} @\(z)[123]")
    }
}

struct TextLayoutTests {
    static let french = TextSection(language: "fr", title: "ÉVACUATION", body: "Quittez.", instruction: "Sortez.")
    static let english = TextSection(language: "en", title: "EVACUATION", body: "Leave.")

    @Test func oneLanguageOrBothWithFrenchFirst() {
        let layout = TextLayout(markup: .plain, titleWrap: ("[", "]"), afterTitle: "\n", paragraph: "\n\n", separator: "\n~~\n")
        #expect(layout.render([Self.french]) == "[ÉVACUATION]\nQuittez.\n\nSortez.")
        #expect(layout.render([Self.english]) == "[EVACUATION]\nLeave.")
        #expect(layout.render([Self.french, Self.english]) == "[ÉVACUATION]\nQuittez.\n\nSortez.\n~~\n[EVACUATION]\nLeave.")
    }

    @Test func theOrganisationsOrderWinsOverTheChannels() throws {
        // A channel listing [en, fr] still gets French first: the organisation's order is kept.
        let endpoint = try SlackEndpoint(Fixtures.definition(.slack, languages: ["en", "fr"], secrets: ["url": "https://h/x"]), timeout: .seconds(1))
        let text = try #require(try Fixtures.json(try endpoint.encode(Fixtures.message()).body)["text"] as? String)
        #expect(text.hasPrefix("ÉVACUATION"))
    }
}

struct TextFitterTests {
    static let layout = TextLayout(markup: .plain, separator: "\n\n")

    @Test func shortTextIsUntouched() {
        let sections = [TextSection(language: "fr", title: "Titre", body: "Corps court.")]
        let fitted = TextFitter.fit(sections, layout: Self.layout, limit: TextLimit(100, .scalars))
        #expect(fitted.text == "Titre\nCorps court.")
        #expect(!fitted.isShortened && fitted.note(for: .discord) == nil)
    }

    @Test func cutsWholeWordsAndSaysSo() {
        let sections = [TextSection(language: "en", title: "EVACUATION", body: "Leave Pavillon des sciences now and walk to Stationnement P1.")]
        let fitted = TextFitter.fit(sections, layout: Self.layout, limit: TextLimit(40, .scalars))
        #expect(fitted.text == "EVACUATION\nLeave Pavillon des sciences…")
        #expect(fitted.length == 39 && fitted.originalLength == 72)
        #expect(fitted.note(for: .discord) == "text shortened from 72 to 39 characters for discord")
    }

    @Test func aDanglingPunctuationMarkGoesWithTheCut() {
        let sections = [TextSection(language: "fr", title: "", body: "Point de rassemblement : Stationnement P1 derrière le pavillon.")]
        let fitted = TextFitter.fit(sections, layout: Self.layout, limit: TextLimit(28, .scalars))
        #expect(fitted.text == "Point de rassemblement…")
    }

    @Test func aValueLongerThanTheRoomIsDroppedWholeNeverHalved() {
        let value = "https://cegep.example/urgences/pavillon-des-sciences"
        let sections = [TextSection(language: "fr", title: "", body: "Consignes : \(value) maintenant")]
        let fitted = TextFitter.fit(sections, layout: Self.layout, limit: TextLimit(40, .scalars))
        #expect(fitted.text == "Consignes…")
        #expect(!fitted.text.contains("https"))
    }

    @Test func languagesShareTheRoomFairly() {
        let long = Array(repeating: "mot", count: 100).joined(separator: " ")
        let sections = [
            TextSection(language: "fr", title: "FR", body: long),
            TextSection(language: "en", title: "EN", body: "Short."),
        ]
        let fitted = TextFitter.fit(sections, layout: Self.layout, limit: TextLimit(120, .scalars))
        #expect(fitted.length <= 120)
        #expect(fitted.text.hasSuffix("\n\nEN\nShort."), "the short language keeps its whole text")
        #expect(fitted.text.hasPrefix("FR\nmot mot"))
        #expect(fitted.length > 110, "the French text takes the room English leaves")
    }

    @Test func titlesAreCutLast() {
        let section = TextSection(language: "en", title: "EVACUATION OF BUILDING A", body: "Leave now.", instruction: "Do not run.")
        let shortened = TextFitter.shorten(section, toFit: 31, measure: .scalars, ellipsis: "…", render: Self.layout.render)
        #expect(shortened == TextSection(language: "en", title: "EVACUATION OF BUILDING A", body: "Leave…"))
        let titleOnly = TextFitter.shorten(section, toFit: 16, measure: .scalars, ellipsis: "…", render: Self.layout.render)
        #expect(titleOnly == TextSection(language: "en", title: "EVACUATION OF…", body: ""))
    }

    @Test(arguments: [TextMeasure.scalars, .utf8Bytes, .telegramVisible, .xWeighted, .sms(.ucs2)])
    func everyMeasureIsRespected(measure: TextMeasure) {
        let body = Array(repeating: "Évacuez le bâtiment & gardez votre calme", count: 40).joined(separator: " ")
        let sections = [TextSection(language: "fr", title: "ÉVACUATION", body: body), TextSection(language: "en", title: "EVACUATION", body: body)]
        let layout = TextLayout(markup: .telegramHTML, titleWrap: ("<b>", "</b>"), separator: "\n\n")
        let fitted = TextFitter.fit(sections, layout: layout, limit: TextLimit(500, measure))
        #expect(measure.count(fitted.text) <= 500)
        #expect(measure.count(fitted.text) > 400)
        #expect(fitted.sections.count == 2)
    }
}

/// Shortening never cuts inside a variable's value: "Pavillon des sciences" stays whole or goes whole.
struct ProtectedValueTests {
    @Test(arguments: 20...60)
    func aMultiWordValueIsNeverCut(limit: Int) {
        let value = "Pavillon des sciences"
        let section = TextSection(
            language: "fr", title: "ÉVACUATION", body: "Quittez le \(value) immédiatement par la sortie la plus proche.",
            protected: [value]
        )
        let layout = TextLayout(markup: .plain, separator: "\n--\n", ellipsis: "...")
        let fitted = TextFitter.fit([section], layout: layout, limit: TextLimit(limit, .scalars))
        #expect(fitted.text.count <= limit)
        let keepsWhole = fitted.text.contains(value)
        let dropsWhole = !fitted.text.contains("Pavillon")
        #expect(keepsWhole || dropsWhole, "cut inside the value: \(fitted.text)")
    }
}
