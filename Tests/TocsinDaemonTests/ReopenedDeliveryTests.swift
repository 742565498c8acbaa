import Foundation
import Testing
import TocsinCore
import TocsinTestSupport

@testable import TocsinDaemon

/// A delivery reopened by `resend` comes back to the scheduler like one recovered from disk: `pending`, its attempt
/// count kept, a fresh deadline; the scheduler itself never leaves a final state.
struct ReopenedDeliveryTests {
    typealias H = SchedulerHarness

    @Test func aFailedDeliveryReopenedWithAFreshDeadlineIsAttemptedAgainAndCountsOn() throws {
        var h = H(retry: RetryPolicy(initial: .seconds(2), maximum: .seconds(2), deadline: .seconds(5)), seed: 3)
        _ = h.accept([H.job("d1", deadline: .seconds(5))])
        var last: [Scheduler.Action] = []
        while true {
            last = h.finish("d1", .retryable(reason: "HTTP 500", retryAfter: nil))
            guard let due = last.wake else { break }
            _ = h.advance(to: due)
        }
        let failed = try #require(last.outcomes.first?.job)
        #expect(failed.state == .failed)
        #expect(last.ended == ["inc"])
        #expect(h.machine.jobs.isEmpty, "a failed delivery is forgotten: only a resend brings it back")

        // What `resend` hands over after its durable failed → pending: the same id, its attempts, a new deadline.
        #expect(failed.state.isReopenable)
        let reopened = H.job("d1", attempts: failed.attempts, deadline: .seconds(60))
        #expect(reopened.deadlineAt > failed.deadlineAt)
        let started = h.accept([reopened]).attempts
        #expect(started.map(\.job.id) == ["d1"], "sent again at once")
        #expect(started.first?.number == failed.attempts + 1, "the attempt log goes on")
        let delivered = h.finish("d1", .delivered)
        #expect(delivered.outcomes.first?.job.state == .delivered)
        #expect(delivered.ended == ["inc"], "the incident ends again once the reopened delivery is final")
    }

    @Test func aFinalDeliveryHandedToTheSchedulerIsNotTakenBack() {
        var h = H()
        let actions = h.accept([H.job("f1", state: .failed), H.job("d1", state: .delivered), H.job("c1", state: .cancelled)])
        #expect(actions.started.isEmpty, "reopening is the resend's, recorded first; the scheduler only takes unfinished deliveries")
        #expect(h.machine.jobs.isEmpty)
    }
}
