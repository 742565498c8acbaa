import Foundation
import TocsinCore

extension DeliveryScheduler {
    /// What the scheduler asks its driver to do; the driver does the I/O and reports back with an event.
    enum Action: Sendable {
        /// Take ownership of these deliveries, then report ``DeliveryScheduler/claimed(_:leaseUntil:)``. With one
        /// node on SQLite every claim simply succeeds.
        case claim([String])
        /// Send one attempt, then report ``DeliveryScheduler/attemptFinished(_:result:)``.
        case start(Attempt)
        /// Commit this durably (retrying while the store fails), then report ``DeliveryScheduler/committed(_:)``,
        /// or ``DeliveryScheduler/notRecorded(_:)`` when the daemon stops before it could.
        case record(Record)
        /// The node's lease on its deliveries is due for renewal: report ``DeliveryScheduler/leaseRenewed(until:)``
        /// or ``DeliveryScheduler/leaseLost()``.
        case renew
        /// Call ``DeliveryScheduler/tick(now:)`` at this time (the next retry, rate-limit slot or lease renewal).
        case wake(at: C.Instant)
        /// These deliveries are no longer this node's: stop their attempts in flight and record nothing of them.
        case fail([String], because: Failure)
        /// The incident's last delivery is final and durable (a checkpoint is due).
        case ended(incidentID: String)
        /// A state change the transition table refuses: a programming error, reported rather than hidden.
        case illegalMove(String)
    }

    enum Failure: Sendable, Hashable {
        /// The lease ran out or another node took it over.
        case leaseLost
    }

    /// One attempt to send.
    struct Attempt: Sendable {
        var job: DeliveryJob
        /// 1-based.
        var number: Int
        var startedAt: Date
    }

    /// A durable write the scheduler needs before it goes on with the deliveries it names.
    enum Record: Sendable {
        /// An attempt, its outcome and the delivery's new state.
        case attempt(Outcome)
        /// Deliveries ending without a further attempt (cancelled; failed when their deadline passed while waiting).
        case closed([DeliveryJob], as: DeliveryState, error: String?, actor: Principal?, at: Date)

        var deliveryIDs: [String] {
            switch self {
            case .attempt(let outcome): [outcome.job.id]
            case .closed(let jobs, _, _, _, _): jobs.map(\.id)
            }
        }
    }

    /// An attempt's result as decided by the retry policy; `job` holds the delivery's new state.
    struct Outcome: Sendable {
        var job: DeliveryJob
        var number: Int
        var startedAt: Date
        var finishedAt: Date
        var latency: Duration
        var status: Int?
        /// Why it did not deliver, without the service's answer (for the journal).
        var reason: String?
        /// Started under a lease this node has lost since: recorded (fenced by `job.generation`), nothing more.
        var late = false
    }

    /// What ``DeliveryScheduler/cancelled(incidentID:actor:)`` did.
    struct Cancellation: Sendable {
        /// Deliveries cancelled now (queued or waiting for a retry).
        var cancelled: [DeliveryJob] = []
        /// Deliveries with an attempt in flight: cancelled when that attempt ends undelivered.
        var inFlight = 0
        var actions: [Action] = []
    }
}

/// SplitMix64: the scheduler's jitter source, seeded so a test can replay a schedule.
struct JitterSource: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A number in [0, 1).
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
