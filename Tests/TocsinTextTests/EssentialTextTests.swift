import Foundation
import Testing
import TocsinText

/// The text helpers that stand in for Foundation proper in tocsinctl's modules, each against what Foundation did.
struct EssentialTextTests {
    @Test(arguments: ["", "   ", "ok", "  ok  ", "\tok\n", " two words ", "\r\nline\r\n", "\u{00A0}nbsp\u{00A0}", "é "])
    func trimmingWhitespaceAsFoundationTrimmedWhitespacesAndNewlines(text: String) {
        #expect(text.trimmingWhitespace() == text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func trimmingKeepsWhatIsInside() {
        #expect("\n\n█▀ ▀█\n▀▀ ▀▀\n".trimming(while: \.isNewline) == "█▀ ▀█\n▀▀ ▀▀")
        #expect("  ".trimming(while: \.isWhitespace) == "")
    }

    @Test(arguments: [
        ("a\nb", UInt8(ascii: "\n"), " "),
        // A line end inside "\r\n", one Character, is still replaced: the standard library's `replacing` would not.
        ("a\r\nb", UInt8(ascii: "\n"), " "),
        ("say \"hi\"", UInt8(ascii: "\""), "\"\""),
        ("it's", UInt8(ascii: "'"), "'\\''"),
        ("none here", UInt8(ascii: "'"), "x"),
    ] as [(String, UInt8, String)])
    func replacingAnASCIIByteAsFoundationReplacedIt(text: String, byte: UInt8, replacement: String) {
        let target = String(decoding: [byte], as: UTF8.self)
        #expect(text.replacing(ascii: byte, with: replacement) == text.replacingOccurrences(of: target, with: replacement))
    }

    /// Every form of string this code meets gives the same text: a long string (stored out of line), a short one
    /// (inline), substrings at and off their base's start, one made from an NSString.
    @Test func everyFormOfStringGivesTheSameText() {
        let long = String(repeating: "une ligne\n", count: 40)
        let expected = String(repeating: "une ligne ", count: 40)
        #expect(long.replacing(ascii: 0x0A, with: " ") == expected)
        #expect(long[...].replacing(ascii: 0x0A, with: " ") == expected)
        #expect(long.dropFirst(4).replacing(ascii: 0x0A, with: " ") == String(expected.dropFirst(4)))
        #expect(String(NSString(string: long)).replacing(ascii: 0x0A, with: " ") == expected)
        #expect("a\nb".replacing(ascii: 0x0A, with: " ") == "a b")
        #expect("ab"[...].replacing(ascii: 0x0A, with: " ") == "ab")
    }

    /// A quote followed by a combining mark is one Character: Foundation, comparing characters, left it alone, and a
    /// CSV reader or a shell, which read scalars or bytes, then saw an unbalanced quote. Bytes are replaced here.
    @Test func aQuoteBeforeACombiningMarkIsReplacedToo() {
        // Built outside #expect, whose expansion re-reads the literal with the mark already joined to its quote.
        let text = "\"\u{301}x", doubled = "\"\"\u{301}x"
        #expect(text.replacing(ascii: UInt8(ascii: "\""), with: "\"\"") == doubled)
        #expect(text.replacingOccurrences(of: "\"", with: "\"\"") == text, "Foundation's, for the record")
    }

    @Test func digitsAsStringFormatWroteThem() {
        for value in [0, 5, 42, 999, 1000, 2026] {
            #expect(Digits.padded(value, 2) == String(format: "%02d", value))
            #expect(Digits.padded(value, 4) == String(format: "%04d", value))
        }
        #expect(Digits.padded(-5, 2) == "-05")
        #expect(Digits.tenths(0) == "0.0")
        #expect(Digits.tenths(24) == "2.4")
        #expect(Digits.tenths(24, separator: ",") == "2,4")
        #expect(Digits.tenths(-5) == "-0.5")
        #expect(Digits.tenths(6_000) == "600.0")
    }
}
