import Testing
import TocsinRequests

/// `HTTPResponse.header(_:)` finds a field whatever the case on either side, as HTTP field names are compared, and
/// folds letters only: two names that differ in anything but a letter's case are different fields.
struct HTTPResponseHeaderTests {
    /// A transport stores names lowercased; a fake in a test may not.
    static let response = HTTPResponse(status: 429, headers: [
        HTTPHeader("retry-after", "7"),
        HTTPHeader("X-Rate-Limit-Reset", "1700000000"),
        HTTPHeader("RETRY-AFTER", "99"),
        HTTPHeader("x-a@", "at"),
        HTTPHeader("x-é", "accent"),
    ])

    @Test(arguments: ["retry-after", "Retry-After", "RETRY-AFTER", "rEtRy-AfTeR"])
    func anyCaseFindsTheFirstField(name: String) {
        #expect(Self.response.header(name) == "7")
    }

    @Test func namesStoredInAnyCaseAreFound() {
        #expect(Self.response.header("x-rate-limit-reset") == "1700000000")
        #expect(Self.response.header("X-RATE-LIMIT-RESET") == "1700000000")
    }

    /// `@` (0x40) and `` ` `` (0x60), or `[` and `{`, differ by the bit that folds letters, and are not letters.
    @Test(arguments: ["x-a`", "X-A`", "retry-after ", "retry-afte", "retry_after", "retry-aftes", "x-É", "x-e"])
    func onlyLettersAreFolded(name: String) {
        #expect(Self.response.header(name) == nil)
    }

    @Test func otherBytesMatchExactly() {
        #expect(Self.response.header("X-A@") == "at")
        #expect(Self.response.header("x-é") == "accent")
    }
}
