import Foundation
import TocsinChannels
import TocsinCore
import TocsinTestSupport

@testable import TocsinDaemon

typealias Scheduler = DeliveryScheduler<ManualClock>

/// A scheduler on a manual clock, with the helpers its tests share.
struct SchedulerHarness {
    static let wall = Date(timeIntervalSince1970: 1_800_000_000)
    let clock = ManualClock()
    var machine: Scheduler

    init(
        channels: [String: Scheduler.ChannelLimits] = ["ops": .init(maxConcurrency: 8, rateLimit: nil)],
        retry: RetryPolicy = RetryPolicy(initial: .seconds(1), maximum: .seconds(8), deadline: .seconds(60)),
        limits: Scheduler.Limits = .init(), seed: UInt64 = 42, leaseRenewal: Duration? = nil, sharedLimits: Bool = false
    ) {
        machine = Scheduler(
            clock: clock, limits: limits, channels: channels, retryPolicy: retry, wall: Self.wall, seed: seed,
            leaseRenewal: leaseRenewal, sharedLimits: sharedLimits
        )
    }

    static func job(
        _ id: String, incident: String = "inc", channel: String = "ops", cost: Int = 1,
        state: DeliveryState = .pending, attempts: Int = 0, nextAttemptAt: Date? = nil, deadline: Duration = .seconds(60)
    ) -> DeliveryJob {
        var job = DeliveryJob(
            id: id, incidentID: incident, channel: channel, recipient: nil,
            payload: EncodedPayload(contentType: "application/json", body: Array("{}".utf8)), endpoint: nil,
            createdAt: wall, deadlineAt: wall.addingTimeInterval(Double(deadline.components.seconds)), state: state,
            attempts: attempts, nextAttemptAt: nextAttemptAt
        )
        job.cost = cost
        return job
    }

    /// Accepts jobs and answers their claim the way one SQLite node does: at once.
    mutating func accept(_ jobs: [DeliveryJob], leaseUntil: ManualClock.Instant? = nil) -> [Scheduler.Action] {
        var actions = machine.accepted(jobs)
        for case .claim(let ids) in actions {
            actions += machine.claimed(ids, leaseUntil: leaseUntil)
        }
        return actions
    }

    /// Moves the clock and ticks.
    mutating func advance(by duration: Duration) -> [Scheduler.Action] {
        clock.advance(by: duration)
        return machine.tick(now: clock.now)
    }

    mutating func advance(to instant: ManualClock.Instant) -> [Scheduler.Action] {
        clock.advance(to: instant)
        return machine.tick(now: clock.now)
    }

    /// Ends an attempt and commits its record at once; returns every action of both steps.
    mutating func finish(_ id: String, _ outcome: AttemptOutcome, status: Int? = nil) -> [Scheduler.Action] {
        let actions = machine.attemptFinished(id, result: AttemptResult(outcome: outcome, status: status))
        return actions + machine.committed(actions.recorded)
    }

    var t: Duration { ManualClock.zero.duration(to: clock.now) }
}

extension [Scheduler.Action] {
    /// The deliveries started, in order.
    var started: [String] { compactMap { if case .start(let attempt) = $0 { attempt.job.id } else { nil } } }
    var attempts: [Scheduler.Attempt] { compactMap { if case .start(let attempt) = $0 { attempt } else { nil } } }
    var records: [Scheduler.Record] { compactMap { if case .record(let record) = $0 { record } else { nil } } }
    var recorded: [String] { records.flatMap(\.deliveryIDs) }
    var outcomes: [Scheduler.Outcome] {
        records.compactMap { if case .attempt(let outcome) = $0 { outcome } else { nil } }
    }
    var wake: ManualClock.Instant? { compactMap { if case .wake(let at) = $0 { at } else { nil } }.last }
    var ended: [String] { compactMap { if case .ended(let id) = $0 { id } else { nil } } }
    var renews: Int { filter { if case .renew = $0 { true } else { false } }.count }
    var failed: [String] { flatMap { action -> [String] in if case .fail(let ids, _) = action { ids } else { [] } } }
    var illegal: [String] { compactMap { if case .illegalMove(let move) = $0 { move } else { nil } } }
}

/// Time since the manual clock's zero, for readable expectations.
func at(_ duration: Duration) -> ManualClock.Instant { ManualClock.zero.advanced(by: duration) }
