import Testing
import TocsinAudit

/// `AuditDetail.json` is written into one string sized up front (a hot path of every delivery); these pin its output
/// byte for byte where the sizing could go wrong: more fields than reserved, long and multi-byte values, escapes
/// next to plain text, negative and extreme numbers.
struct AuditDetailLayoutTests {
    @Test func manyFieldsPastTheReservedRoomKeepTheirOrder() {
        var detail = AuditDetail()
        var expected: [String] = []
        for index in 0..<25 {
            detail.set("k\(index)", index * 1_000)
            expected.append(#""k\#(index)":\#(index * 1_000)"#)
        }
        #expect(detail.json == "{" + expected.joined(separator: ",") + "}")
    }

    @Test func longMultiByteEscapedAndNumericValuesAreExact() {
        let long = String(repeating: "Évacuation 🚒 ", count: 200)
        var detail = AuditDetail()
        detail.set("long", long)
        detail.set("escaped", "a\"b\nc")
        detail.set("min", Int.min)
        detail.set("max", Int.max)
        detail.set("flag", false)
        detail.setJSON("raw", #"{"x":[1,2]}"#)
        let json = detail.json
        #expect(json == "{\"long\":\"\(long)\",\"escaped\":\"a\\\"b\\nc\",\"min\":\(Int.min),\"max\":\(Int.max),\"flag\":false,\"raw\":{\"x\":[1,2]}}")
        #expect(JSONText.quote(long) == "\"\(long)\"")
        #expect(AuditDetail().json == "{}")
    }

    /// Written out by hand, so the escaping itself is pinned (the other checks compare quote with append).
    @Test func controlCharactersQuotesAndBackslashesAreEscapedExactly() {
        #expect(JSONText.quote("a\u{1}b\u{1F}\t\r\n\"\\é") == #""a\u0001b\u001f\t\r\n\"\\é""#)
        var detail = AuditDetail()
        detail.set("k\"", "\u{0}")
        detail.set("n", 0)
        detail.set("neg", -7)
        #expect(detail.json == #"{"k\"":"\u0000","n":0,"neg":-7}"#)
    }

    @Test func appendQuotedMatchesQuote() {
        for text in ["", "plain", "tab\there", "quote\"", "back\\slash", "\u{1}", "déjà vu"] {
            var out = "prefix:"
            JSONText.append(quoted: text, to: &out)
            #expect(out == "prefix:" + JSONText.quote(text))
        }
    }
}
