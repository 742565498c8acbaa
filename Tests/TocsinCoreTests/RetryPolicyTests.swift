import Foundation
import Testing
import TocsinCore

struct RetryPolicyTests {
    static let policy = RetryPolicy(
        initial: .milliseconds(500), maximum: .seconds(30), deadline: .seconds(15 * 60), maximumRetryAfter: .seconds(600)
    )
    static let now = Date(timeIntervalSince1970: 1_795_452_042)
    static let farDeadline = now.addingTimeInterval(3600)

    /// The delay a `.retry` decision asks for, in milliseconds.
    static func delayMillis(_ decision: RetryPolicy.Decision) -> Double {
        guard case .retry(let at) = decision else {
            Issue.record("expected a retry, got \(decision)")
            return -1
        }
        return (at.timeIntervalSince(now) * 1000).rounded()
    }

    static func retryable(after: Duration? = nil) -> AttemptOutcome {
        .retryable(reason: "HTTP 503", retryAfter: after)
    }

    @Test(arguments: [
        (0, 500), (1, 500), (2, 1000), (3, 2000), (4, 4000), (5, 8000), (6, 16_000), (7, 30_000), (8, 30_000),
        (40, 30_000), (1000, 30_000),
    ])
    func backoffDoublesUpToTheMaximum(attempt: Int, milliseconds: Int64) {
        #expect(Self.policy.backoff(afterAttempt: attempt) == .milliseconds(milliseconds))
    }

    @Test func defaultsMatchTheDesign() {
        let policy = RetryPolicy()
        #expect(policy.initial == .milliseconds(500))
        #expect(policy.maximum == .seconds(30))
        #expect(policy.deadline == .seconds(900))
    }

    @Test(arguments: [(0.0, 1000.0), (0.5, 1500.0), (0.999, 1999.0), (1.0, 2000.0), (-3.0, 1000.0), (7.0, 2000.0)])
    func jitterKeepsTheDelayBetweenHalfTheBackoffAndTheBackoff(jitter: Double, expectedMillis: Double) throws {
        // Attempt 3: backoff 2 s, so the delay lies in [1 s, 2 s].
        let decision = Self.policy.decide(Self.retryable(), attempt: 3, now: Self.now, deadlineAt: Self.farDeadline, jitter: jitter)
        let delay = Self.delayMillis(decision)
        #expect(delay == expectedMillis)
        #expect((1000...2000).contains(delay))
    }

    @Test(arguments: 1...12)
    func everyAttemptStaysWithinItsJitterBounds(attempt: Int) throws {
        let backoff = Double(Self.policy.backoff(afterAttempt: attempt).milliseconds)
        for jitter in stride(from: 0.0, to: 1.0, by: 0.125) {
            let decision = Self.policy.decide(Self.retryable(), attempt: attempt, now: Self.now, deadlineAt: Self.farDeadline, jitter: jitter)
            let delay = Self.delayMillis(decision)
            #expect(delay >= backoff / 2 && delay <= backoff)
        }
    }

    @Test func longerRetryAfterWins() throws {
        let decision = Self.policy.decide(
            Self.retryable(after: .seconds(20)), attempt: 1, now: Self.now, deadlineAt: Self.farDeadline, jitter: 1
        )
        #expect(Self.delayMillis(decision) == 20_000)
    }

    @Test func shorterRetryAfterLeavesTheBackoff() throws {
        let decision = Self.policy.decide(
            Self.retryable(after: .zero), attempt: 4, now: Self.now, deadlineAt: Self.farDeadline, jitter: 0
        )
        #expect(Self.delayMillis(decision) == 2000)
    }

    @Test func retryAfterIsCappedAtItsMaximum() throws {
        let decision = Self.policy.decide(
            Self.retryable(after: .seconds(3 * 86_400)), attempt: 1, now: Self.now,
            deadlineAt: Self.now.addingTimeInterval(86_400), jitter: 0
        )
        #expect(Self.delayMillis(decision) == 600_000)
    }

    @Test func retryPastTheDeadlineFails() {
        let decision = Self.policy.decide(
            Self.retryable(after: .seconds(120)), attempt: 5, now: Self.now, deadlineAt: Self.now.addingTimeInterval(60), jitter: 0
        )
        guard case .fail(let reason, let misconfiguration) = decision else {
            Issue.record("expected a failure, got \(decision)")
            return
        }
        #expect(!misconfiguration)
        #expect(reason.contains("HTTP 503"))
        #expect(reason.contains("5 attempts"))
        #expect(reason.contains("deadline"))
    }

    @Test func retryLandingExactlyOnTheDeadlineFails() {
        let decision = Self.policy.decide(
            Self.retryable(), attempt: 1, now: Self.now, deadlineAt: Self.now.addingTimeInterval(0.5), jitter: 1
        )
        guard case .fail = decision else {
            Issue.record("expected a failure, got \(decision)")
            return
        }
    }

    @Test func retryJustBeforeTheDeadlineIsScheduled() throws {
        let decision = Self.policy.decide(
            Self.retryable(), attempt: 1, now: Self.now, deadlineAt: Self.now.addingTimeInterval(0.501), jitter: 1
        )
        #expect(Self.delayMillis(decision) == 500)
    }

    @Test(arguments: [true, false])
    func permanentOutcomePassesThrough(misconfiguration: Bool) {
        let decision = Self.policy.decide(
            .permanent(reason: "HTTP 404", misconfiguration: misconfiguration), attempt: 1, now: Self.now,
            deadlineAt: Self.farDeadline, jitter: 0.5
        )
        #expect(decision == .fail(reason: "HTTP 404", misconfiguration: misconfiguration))
    }

    @Test func deliveredPassesThroughEvenPastTheDeadline() {
        let decision = Self.policy.decide(
            .delivered, attempt: 9, now: Self.now, deadlineAt: Self.now.addingTimeInterval(-60), jitter: 0.5
        )
        #expect(decision == .delivered)
    }
}
