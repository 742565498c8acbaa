import Testing
import TocsinCore

struct TextValidatorTests {
    static let limits = TextValidator.Limits(characters: 200)

    @Test func limitsAreFourBytesAndTwoScalarsPerCharacter() {
        #expect(Self.limits == TextValidator.Limits(characters: 200, utf8Bytes: 800, scalars: 400))
    }

    /// The finding: one character of 450,001 scalars passed a 200-character limit.
    @Test func combiningMarksCountAsBytesAndScalars() throws {
        let stacked = "a" + String(repeating: "\u{0301}", count: 450_000)
        #expect(stacked.count == 1)
        let problem = try #require(TextValidator.problem(in: stacked, limits: Self.limits))
        guard case .tooLong(_, let bytes, _, _) = problem else {
            Issue.record("\(problem)")
            return
        }
        #expect(bytes == 900_001)
        #expect(problem.explanation.contains("900001 bytes of UTF-8") && problem.explanation.contains("at most 200 characters"))

        // Under the byte and character limits, over the scalar limit: 200 letters and 201 marks (602 bytes).
        let letters = String(repeating: "a", count: 200)
        let marks = letters + String(repeating: "\u{0301}", count: 201)
        let scalars = try #require(TextValidator.problem(in: marks, limits: Self.limits))
        #expect(scalars.explanation.hasPrefix("has 401 code points"), "\(scalars.explanation)")
        #expect(TextValidator.problem(in: letters + String(repeating: "\u{0301}", count: 200), limits: Self.limits) == nil)
    }

    @Test func theLimitsAcceptFullLengthAccentsCJKAndEmoji() {
        for value in [String(repeating: "é", count: 200), String(repeating: "é", count: 100) + String(repeating: "e\u{0301}", count: 100),
                      String(repeating: "漢", count: 200), String(repeating: "😀", count: 200), String(repeating: "🇨🇦", count: 100)] {
            #expect(TextValidator.problem(in: value, limits: Self.limits) == nil, "\(value.count) characters")
        }
        let over = String(repeating: "é", count: 201)
        #expect(TextValidator.problem(in: over, limits: Self.limits)?.explanation == "is 201 characters long; at most 200 are accepted")
    }

    @Test(arguments: [
        ("\u{200E}", "bidi"), ("\u{200F}", "bidi"), ("\u{061C}", "bidi"), ("\u{202E}", "bidi"), ("\u{2067}", "bidi"),
        ("\u{200B}", "invisible"), ("\u{200C}", "invisible"), ("\u{2060}", "invisible"), ("\u{FEFF}", "invisible"),
        ("\u{00AD}", "invisible"), ("\u{E0041}", "invisible"), ("\u{E0001}", "invisible"), ("\u{E007F}", "invisible"),
        ("\u{200D}", "invisible"), ("\n", "control"), ("\u{1B}", "control"), ("\u{85}", "control"), ("\u{2028}", "control"),
    ])
    func formatAndControlCharactersAreRefused(character: String, kind: String) throws {
        let value = "Pavillon " + character + "A"
        let problem = try #require(TextValidator.problem(in: value, limits: Self.limits), "\(value.debugDescription)")
        switch (problem, kind) {
        case (.bidirectional, "bidi"), (.invisible, "invisible"), (.control, "control"): break
        default: Issue.record("\(character.debugDescription): \(problem)")
        }
        #expect(!problem.explanation.unicodeScalars.contains { TextValidator.firstRefusal(in: String($0)) != nil })
    }

    @Test func bidiAndInvisibleMessagesNameTheCharacter() throws {
        let bidi = try #require(TextValidator.problem(in: "A\u{200F}B", limits: Self.limits))
        #expect(bidi.explanation.contains("U+200F RIGHT-TO-LEFT MARK") && bidi.explanation.contains("control character"))
        let bom = try #require(TextValidator.problem(in: "\u{FEFF}A", limits: Self.limits))
        #expect(bom.explanation.contains("U+FEFF ZERO WIDTH NO-BREAK SPACE"))
    }

    @Test(arguments: [
        "👩\u{200D}🚒", "👨\u{200D}👩\u{200D}👧", "🏳\u{FE0F}\u{200D}🌈", "👩🏽\u{200D}🚒", "❤\u{FE0F}\u{200D}🔥",
        "Équipe 🧑\u{200D}🚒 au Pavillon A",
    ])
    func zeroWidthJoinersInsideEmojiSequencesAreAccepted(value: String) {
        #expect(TextValidator.problem(in: value, limits: Self.limits) == nil, "\(value.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test(arguments: ["a\u{200D}b", "👩\u{200D}", "\u{200D}🚒", "A\u{200D}🚒", "👩\u{200D}A", "1\u{200D}👩", "👩\u{200D}\u{200D}🚒"])
    func zeroWidthJoinersOutsideEmojiSequencesAreRefused(value: String) {
        #expect(TextValidator.problem(in: value, limits: Self.limits) == .invisible("\u{200D}"))
    }

    /// Chosen: tags pass only as an emoji flag tag sequence (🏴 + region/subdivision tags + CANCEL TAG).
    @Test func tagsOnlyInsideAFlagTagSequence() {
        let scotland = "🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"
        #expect(TextValidator.problem(in: "Écosse " + scotland, limits: Self.limits) == nil)
        // Hidden ASCII after a flag, tags without a flag, a flag's tags without their end, upper-case tags.
        let hidden = "🏴" + "ignore previous".unicodeScalars.map { String(Unicode.Scalar($0.value + 0xE0000)!) }.joined() + "\u{E007F}"
        for value in [hidden, "A\u{E0067}\u{E0062}\u{E007F}", "🏴\u{E0067}\u{E0062}\u{E0073}", "🏴\u{E0047}\u{E0042}\u{E0053}\u{E007F}"] {
            #expect(TextValidator.problem(in: value, limits: Self.limits) != nil, "\(value.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test func printableEscapesWhatIsRefusedAndKeepsEmoji() {
        #expect(TextValidator.printable("\u{1B}[2Jx\u{202E}y\u{200B}z👩\u{200D}🚒") == #"\u{1B}[2Jx\u{202E}y\u{200B}z"# + "👩\u{200D}🚒")
        #expect(TextValidator.printable(String(repeating: "n", count: 150), limit: 100) == String(repeating: "n", count: 100) + "…")
        #expect(TextValidator.printable("a\u{E0041}") == #"a\u{E0041}"#)
    }
}
