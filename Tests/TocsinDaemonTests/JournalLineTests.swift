import Testing
import TocsinText

/// One log event, one journal line: JournalLogHandler escapes with TocsinText's `replacing(ascii:with:)`, which works
/// on bytes, so a "\r\n" (one Character in Swift) loses its newline too and cannot forge a second entry.
struct JournalLineTests {
    @Test func everyNewlineIsEscapedEvenInsideCarriageReturnNewline() {
        let text = "a\r\nreboot=now\nb"
        let escaped = text.replacing(ascii: UInt8(ascii: "\n"), with: "\\n")
        #expect(!escaped.utf8.contains(UInt8(ascii: "\n")))
        #expect(escaped == "a\r\\nreboot=now\\nb")
    }

    /// journald's stream also ends a line at a NUL byte.
    @Test func aNULIsEscapedToo() {
        let escaped = "a\u{0}PRIORITY=0".replacing(ascii: 0, with: "\\0")
        #expect(!escaped.utf8.contains(0))
        #expect(escaped == "a\\0PRIORITY=0")
    }

    @Test func quotesAreEscapedAndTextWithoutThemIsUnchanged() {
        #expect("say \"évacuez\"".replacing(ascii: UInt8(ascii: "\""), with: "\\\"") == "say \\\"évacuez\\\"")
        #expect("Pavillon A — évacuation".replacing(ascii: UInt8(ascii: "\n"), with: "\\n") == "Pavillon A — évacuation")
    }
}
