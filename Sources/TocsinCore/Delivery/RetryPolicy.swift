public import Foundation

/// When to try a delivery again, and when to stop.
///
/// Exponential backoff with "equal jitter" (half fixed, half random), so a burst of failures does not retry
/// in lockstep, yet no retry comes sooner than half its backoff. A service's `Retry-After` wins when longer,
/// capped by `maximumRetryAfter` so a hostile or broken answer cannot park a delivery for days.
public struct RetryPolicy: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    /// How long after its creation a delivery may still be tried.
    public var deadline: Duration
    public var maximumRetryAfter: Duration

    public init(
        initial: Duration = .milliseconds(500), maximum: Duration = .seconds(30),
        deadline: Duration = .seconds(15 * 60), maximumRetryAfter: Duration = .seconds(10 * 60)
    ) {
        self.initial = initial
        self.maximum = maximum
        self.deadline = deadline
        self.maximumRetryAfter = maximumRetryAfter
    }

    public enum Decision: Sendable, Hashable {
        case delivered
        case retry(at: Date)
        case fail(reason: String, misconfiguration: Bool)
    }

    /// The backoff before attempt `attempt + 1`, without jitter: initial × 2^(attempt−1), capped.
    public func backoff(afterAttempt attempt: Int) -> Duration {
        let exponent = min(max(attempt - 1, 0), 30)
        let milliseconds = min(Double(initial.milliseconds) * pow(2, Double(exponent)), Double(maximum.milliseconds))
        return .milliseconds(Int64(milliseconds))
    }

    /// Decides what follows attempt number `attempt` (1-based) that ended with `outcome` at `now`.
    /// - Parameter jitter: a number in [0, 1), from the caller's random source so tests can fix it.
    /// The last attempt's error, then why retrying ended: the cause (a TLS failure, a timeout) stays first, so the
    /// operator reads what to fix, and ErrorKind still finds it.
    public static func gaveUp(_ reason: String, after attempts: Int) -> String {
        "\(reason); gave up after \(attempts) attempt\(attempts == 1 ? "" : "s"): the delivery deadline has passed"
    }

    public func decide(
        _ outcome: AttemptOutcome, attempt: Int, now: Date, deadlineAt: Date, jitter: Double
    ) -> Decision {
        switch outcome {
        case .delivered:
            return .delivered
        case .permanent(let reason, let misconfiguration):
            return .fail(reason: reason, misconfiguration: misconfiguration)
        case .retryable(let reason, let retryAfter):
            let backoff = Double(backoff(afterAttempt: attempt).milliseconds)
            var delay = backoff / 2 + backoff / 2 * min(max(jitter, 0), 1)
            if let retryAfter {
                delay = max(delay, Double(min(retryAfter, maximumRetryAfter).milliseconds))
            }
            let next = now.addingTimeInterval(delay / 1000)
            guard next < deadlineAt else {
                return .fail(reason: Self.gaveUp(reason, after: attempt), misconfiguration: false)
            }
            return .retry(at: next)
        }
    }
}
