import Foundation
import Testing
@testable import TocsinAudit

/// `JSONText.quote` writes audit details, whose bytes are hashed into the chain: its output must not change.
struct JSONTextTests {
    @Test(arguments: [
        ("msg_p5jXN8AQM9LWM0D4loKWxJek", #""msg_p5jXN8AQM9LWM0D4loKWxJek""#),
        ("Pavillon A — École", #""Pavillon A — École""#),
        (#"say "hi" \ bye"#, #""say \"hi\" \\ bye""#),
        ("a\nb\rc\td", #""a\nb\rc\td""#),
        ("\u{0}\u{1f}\u{7f}é", "\"\\u0000\\u001f\u{7f}é\""),
        ("", #""""#),
    ])
    func quotesExactlyAsBefore(text: String, expected: String) {
        #expect(JSONText.quote(text) == expected)
    }

    @Test func whatItQuotesDecodesBackToTheSameText() throws {
        let texts = ["plain", "ÉVACUATION \"now\"\n", "\u{1}\u{2}\\/", "🚨 emoji", "line\r\nbreak"]
        for text in texts {
            let decoded = try JSONDecoder().decode(String.self, from: Data(JSONText.quote(text).utf8))
            #expect(decoded == text)
        }
    }

    /// The scan reads eight bytes at a time: every byte value, at every place of a word, among neighbours that sit
    /// just beside the values it looks for (a borrow between bytes must not hide one nor invent one).
    @Test func theWordTestFindsExactlyTheBytesToEscape() {
        func reference(_ word: UInt64) -> Bool {
            (0..<8).contains { shift in
                let byte = UInt8(truncatingIfNeeded: word >> (8 * UInt64(shift)))
                return byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
            }
        }
        var mismatches: [UInt64] = []
        for filler: UInt8 in [0x20, 0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x7F, 0x80, 0xA2, 0xC3, 0xDC, 0xFF] {
            let base = UInt64(filler) &* 0x0101_0101_0101_0101
            for place in 0..<8 {
                for value in 0...255 {
                    let shift = UInt64(8 * place)
                    let word = base & ~(0xFF << shift) | UInt64(value) << shift
                    if JSONText.needsEscape(word: word) != reference(word) { mismatches.append(word) }
                }
            }
        }
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15  // SplitMix64, seeded: the same words on every run
        for _ in 0..<100_000 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            let word = z ^ (z >> 31)
            if JSONText.needsEscape(word: word) != reference(word) { mismatches.append(word) }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5).map { String($0, radix: 16) })")
    }

    /// Whole texts, the escape at every place: inside a full word, in the tail after the last word, in texts shorter
    /// than a word, and after multi-byte characters.
    @Test func anEscapeIsFoundWhereverItSits() {
        for length in 1...25 {
            for place in 0..<length {
                for special in ["\"", "\\", "\n", "\u{1}", "\u{1f}"] {
                    var characters = Array(repeating: "a", count: length)
                    characters[0] = place == 0 ? special : "é"
                    characters[place] = special
                    let text = characters.joined()
                    #expect(JSONText.needsEscape(text), "\(text.debugDescription)")
                }
            }
            #expect(!JSONText.needsEscape(String(repeating: "é ~\u{7f}", count: length)))
        }
    }
}
