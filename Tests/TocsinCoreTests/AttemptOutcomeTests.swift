import Foundation
import Testing
import TocsinCore

struct AttemptOutcomeTests {
    static let now = Date(timeIntervalSince1970: 1_795_452_042)

    @Test(arguments: [200, 201, 202, 204])
    func successIsDelivered(status: Int) {
        #expect(AttemptOutcome.classify(status: status, retryAfter: nil, now: Self.now) == .delivered)
    }

    @Test(arguments: [408, 425, 429, 500, 502, 503, 504])
    func transientAnswersAreRetryable(status: Int) {
        let outcome = AttemptOutcome.classify(status: status, retryAfter: nil, now: Self.now)
        #expect(outcome == .retryable(reason: "HTTP \(status)", retryAfter: nil))
    }

    @Test func retryableCarriesTheServicesRetryAfter() {
        let outcome = AttemptOutcome.classify(status: 429, retryAfter: "7", now: Self.now)
        #expect(outcome == .retryable(reason: "HTTP 429", retryAfter: .seconds(7)))
    }

    @Test func unreadableRetryAfterIsIgnored() {
        let outcome = AttemptOutcome.classify(status: 503, retryAfter: "later please", now: Self.now)
        #expect(outcome == .retryable(reason: "HTTP 503", retryAfter: nil))
    }

    @Test(arguments: [400, 401, 403, 404, 410, 422, 413])
    func clientErrorsArePermanentMisconfigurations(status: Int) {
        let outcome = AttemptOutcome.classify(status: status, retryAfter: "5", now: Self.now)
        guard case .permanent(let reason, let misconfiguration) = outcome else {
            Issue.record("HTTP \(status) gave \(outcome)")
            return
        }
        #expect(misconfiguration)
        #expect(reason.hasPrefix("HTTP \(status)"))
        #expect(reason.contains("check"))
    }

    @Test(arguments: [301, 302, 307, 308])
    func redirectsArePermanent(status: Int) {
        let outcome = AttemptOutcome.classify(status: status, retryAfter: nil, now: Self.now)
        guard case .permanent(let reason, _) = outcome else {
            Issue.record("HTTP \(status) gave \(outcome)")
            return
        }
        #expect(reason.contains("redirect"))
    }
}

struct RetryAfterTests {
    /// Wed, 21 Oct 2015 07:28:00 GMT, the example of RFC 9110.
    static let now = Date(timeIntervalSince1970: 1_445_412_480)

    @Test(arguments: [("120", Duration.seconds(120)), ("0", .zero), (" 5 ", .seconds(5)), ("86400", .seconds(86_400))])
    func delaySeconds(text: String, expected: Duration) {
        #expect(RetryAfter.parse(text, now: Self.now) == expected)
    }

    @Test func httpDateIsRelativeToNow() {
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:30 GMT", now: Self.now) == .seconds(30))
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 08:28:00 GMT", now: Self.now) == .seconds(3600))
    }

    @Test(arguments: ["Wednesday, 21-Oct-15 07:28:30 GMT", "Wed Oct 21 07:28:30 2015"])
    func obsoleteHTTPDateFormatsAreAccepted(text: String) {
        // RFC 9110 §5.6.7: a recipient MUST accept all three HTTP-date formats (IMF-fixdate, RFC 850, asctime).
        #expect(RetryAfter.parse(text, now: Self.now) == .seconds(30))
    }

    @Test func httpDateInThePastMeansNow() {
        #expect(RetryAfter.parse("Tue, 20 Oct 2015 07:28:00 GMT", now: Self.now) == .zero)
    }

    @Test(arguments: ["", "soon", "-5", "1.5", "5s", "Wed 21 Oct 2015", "Wed, 32 Oct 2015 07:28:00 GMT"])
    func garbageIsNil(text: String) {
        #expect(RetryAfter.parse(text, now: Self.now) == nil)
    }
}
