/// Failed sign-ins slow down, per web user (kept in the store, so every node of a cluster counts the same) and per
/// client address (kept by whoever sees the address): the first few failures cost nothing (a mistyped password
/// under stress), then each one doubles the wait before the next try, up to a lock-out of `longest`. A success,
/// or an approver's `tocsinctl web-users unlock`, clears a user's record, so an attacker who keeps failing cannot
/// keep the director out for longer than it takes an approver to type one command. Pure: times are given.
public struct SignInThrottle: Sendable, Hashable {
    /// Failures that cost no wait.
    public var freeFailures: Int
    /// The wait after the first failure beyond the free ones; each further failure doubles it.
    public var firstDelayMillis: Int64
    /// The longest wait: reaching it is the lock-out.
    public var longestMillis: Int64
    /// A record whose last failure is this old is forgotten.
    public var forgetAfterMillis: Int64

    public init(freeFailures: Int = 3, firstDelayMillis: Int64 = 1_000, longestMillis: Int64 = 15 * 60_000, forgetAfterMillis: Int64 = 24 * 3_600_000) {
        precondition(freeFailures >= 0 && firstDelayMillis > 0 && longestMillis >= firstDelayMillis && forgetAfterMillis > 0)
        self.freeFailures = freeFailures
        self.firstDelayMillis = firstDelayMillis
        self.longestMillis = longestMillis
        self.forgetAfterMillis = forgetAfterMillis
    }

    /// Consecutive failures of one user or one address, and when the last was.
    public struct Record: Sendable, Hashable, Codable {
        public var failures: Int
        public var lastFailureMillis: Int64

        public init(failures: Int = 0, lastFailureMillis: Int64 = 0) {
            self.failures = failures
            self.lastFailureMillis = lastFailureMillis
        }

        public static let clean = Record()
    }

    /// The wait that `failures` consecutive failures impose before the next try.
    public func delayMillis(afterFailures failures: Int) -> Int64 {
        let beyond = failures - freeFailures
        guard beyond > 0 else { return 0 }
        // Doubling stops at the longest wait; shifting past it would overflow.
        var delay = firstDelayMillis
        for _ in 1..<beyond {
            delay *= 2
            if delay >= longestMillis { return longestMillis }
        }
        return min(delay, longestMillis)
    }

    /// The record as it stands at `now`: forgotten once its last failure is old enough.
    public func current(_ record: Record, now: Int64) -> Record {
        record.failures > 0 && now - record.lastFailureMillis >= forgetAfterMillis ? .clean : record
    }

    /// When the next try is allowed, or nil when it is allowed now.
    public func nextTryMillis(_ record: Record, now: Int64) -> Int64? {
        let record = current(record, now: now)
        let at = record.lastFailureMillis + delayMillis(afterFailures: record.failures)
        return record.failures > freeFailures && at > now ? at : nil
    }

    /// Whether the record has reached the longest wait: the user is locked out until it passes or an approver
    /// unlocks them.
    public func isLockedOut(_ record: Record, now: Int64) -> Bool {
        let record = current(record, now: now)
        return delayMillis(afterFailures: record.failures) >= longestMillis && nextTryMillis(record, now: now) != nil
    }

    /// The record after one more failure at `now`.
    public func failed(_ record: Record, now: Int64) -> Record {
        let record = current(record, now: now)
        return Record(failures: record.failures + 1, lastFailureMillis: now)
    }
}
