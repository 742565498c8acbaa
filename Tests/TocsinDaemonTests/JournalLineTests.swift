import Testing
@testable import TocsinDaemon

/// One log event, one journal line: the escaping works on bytes, so a "\r\n" (one Character in Swift) loses its
/// newline too and cannot forge a second entry.
struct JournalLineTests {
    @Test func everyNewlineIsEscapedEvenInsideCarriageReturnNewline() {
        let text = "a\r\nreboot=now\nb"
        let escaped = JournalLogHandler.replacing(UInt8(ascii: "\n"), with: "\\n", in: text)
        #expect(!escaped.utf8.contains(UInt8(ascii: "\n")))
        #expect(escaped == "a\r\\nreboot=now\\nb")
    }

    /// journald's stream also ends a line at a NUL byte.
    @Test func aNULIsEscapedToo() {
        let escaped = JournalLogHandler.replacing(0, with: "\\0", in: "a\u{0}PRIORITY=0")
        #expect(!escaped.utf8.contains(0))
        #expect(escaped == "a\\0PRIORITY=0")
    }

    @Test func quotesAreEscapedAndTextWithoutThemIsUnchanged() {
        #expect(JournalLogHandler.replacing(UInt8(ascii: "\""), with: "\\\"", in: "say \"évacuez\"") == "say \\\"évacuez\\\"")
        #expect(JournalLogHandler.replacing(UInt8(ascii: "\n"), with: "\\n", in: "Pavillon A — évacuation") == "Pavillon A — évacuation")
    }
}
