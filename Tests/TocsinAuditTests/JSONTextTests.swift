import Foundation
import Testing
import TocsinAudit

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
}
