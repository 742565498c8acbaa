import Foundation
import Testing
import TocsinCore
import TocsinProtocol
import TocsinTestSupport

@testable import TocsinDaemon

/// The delivery state machine on a manual clock (issue 14, item 1): no sockets, no sleeping, no timed assertions.
struct DeliverySchedulerTests {
    typealias H = SchedulerHarness

    // MARK: Lanes and limits

    @Test func aSlowChannelDoesNotHoldBackTheOthers() {
        var h = H(channels: ["slow": .init(maxConcurrency: 1, rateLimit: nil), "fast": .init(maxConcurrency: 4, rateLimit: nil)])
        let jobs = (1...3).map { H.job("s\($0)", channel: "slow") } + (1...3).map { H.job("f\($0)", channel: "fast") }
        let started = h.accept(jobs).started
        #expect(Set(started) == ["s1", "f1", "f2", "f3"])
        // The slow channel's attempt hangs; the fast one's finish and nothing of the slow lane moves.
        for id in ["f1", "f2", "f3"] { #expect(h.finish(id, .delivered).started.isEmpty) }
        #expect(h.machine.jobs.keys.sorted() == ["s1", "s2", "s3"])
        // Its answer frees its slot before the commit: the next one starts at once.
        let next = h.machine.attemptFinished("s1", result: AttemptResult(outcome: .delivered))
        #expect(next.started == ["s2"])
        #expect(next.recorded == ["s1"])
    }

    @Test func maxConcurrencyBoundsEachLaneAndTheGlobalCapBoundsAll() {
        var h = H(
            channels: ["a": .init(maxConcurrency: 2, rateLimit: nil), "b": .init(maxConcurrency: 3, rateLimit: nil)],
            limits: .init(maximumInFlight: 4, maximumCommitting: 100)
        )
        let first = h.accept((1...6).map { H.job("a\($0)", channel: "a") } + (1...6).map { H.job("b\($0)", channel: "b") })
        #expect(first.started.count == 4, "the global cap holds across lanes")
        var flying = Set(first.started)
        var done = 0
        // Drain everything one answer at a time, checking both bounds after every event.
        while let id = flying.sorted().first {
            flying.remove(id)
            let actions = h.finish(id, .delivered)
            done += 1
            flying.formUnion(actions.started)
            #expect(flying.count <= 4)
            #expect(flying.filter { $0.hasPrefix("a") }.count <= 2)
            #expect(flying.filter { $0.hasPrefix("b") }.count <= 3)
        }
        #expect(done == 12)
        #expect(h.machine.jobs.isEmpty)
    }

    /// A 1,000-channel send: 256 attempts fly, the other lanes wait without being looked at, and each answer makes
    /// room for exactly one more, until every lane has started its delivery once.
    @Test func aThousandLanesBehindTheGlobalCapStartOneForEachAnswer() {
        let names = (1...1_000).map { "c\($0)" }
        var h = H(
            channels: Dictionary(uniqueKeysWithValues: names.map { ($0, .init(maxConcurrency: 4, rateLimit: nil)) }),
            limits: .init(maximumInFlight: 256, maximumCommitting: 4_096)
        )
        var flying = h.accept(names.map { H.job("d-\($0)", channel: $0) }).started
        #expect(flying.count == 256)
        var started = Set(flying)
        while let id = flying.popLast() {
            let next = h.finish(id, .delivered).started
            #expect(next.count == (started.count < 1_000 ? 1 : 0), "after \(id)")
            flying += next
            started.formUnion(next)
        }
        #expect(started.count == 1_000)
        #expect(h.machine.jobs.isEmpty)
    }

    @Test func outcomesWaitingForTheStoreStopNewStartsAtTheCommitCap() {
        var h = H(limits: .init(maximumInFlight: 10, maximumCommitting: 1))
        #expect(h.accept((1...3).map { H.job("d\($0)") }).started == ["d1", "d2", "d3"])
        // A fourth delivery arrives while an outcome waits for a store that does not answer.
        _ = h.machine.attemptFinished("d1", result: AttemptResult(outcome: .delivered))
        #expect(h.accept([H.job("d4")]).started.isEmpty, "no attempt goes out unrecorded behind a stuck store")
        #expect(h.machine.committed(["d1"]).started == ["d4"])
    }

    // MARK: Rate limits

    @Test func rateLimitSpendsEachAttemptsCost() {
        // 2 units a second: a 1-unit attempt spaces the next by 500 ms, a 3-segment SMS by 1.5 s.
        var h = H(channels: ["sms": .init(maxConcurrency: 8, rateLimit: 2)])
        let first = h.accept([H.job("m1", channel: "sms"), H.job("m2", channel: "sms", cost: 3), H.job("m3", channel: "sms")])
        #expect(first.started == ["m1"])
        #expect(first.wake == at(.milliseconds(500)))
        #expect(h.advance(by: .milliseconds(499)).started.isEmpty)
        let second = h.advance(by: .milliseconds(1))
        #expect(second.started == ["m2"])
        #expect(second.wake == at(.seconds(2)))
        #expect(h.advance(to: at(.milliseconds(1999))).started.isEmpty)
        #expect(h.advance(to: at(.seconds(2))).started == ["m3"])
    }

    @Test func idleTimeEarnsNoBurst() {
        var h = H(channels: ["ops": .init(maxConcurrency: 8, rateLimit: 1)])
        #expect(h.accept([H.job("d1")]).started == ["d1"])
        _ = h.advance(by: .seconds(30))
        let late = h.accept([H.job("d2"), H.job("d3")])
        #expect(late.started == ["d2"], "thirty idle seconds do not allow thirty attempts at once")
        #expect(late.wake == at(.seconds(31)))
    }

    // MARK: Retries

    @Test func backoffWithSeededJitterIsWithinItsBoundsAndReplays() throws {
        func schedule(seed: UInt64) -> [Duration] {
            var h = H(retry: RetryPolicy(initial: .seconds(1), maximum: .seconds(8), deadline: .seconds(600)), seed: seed)
            _ = h.accept([H.job("d1")])
            var delays: [Duration] = []
            for _ in 1...5 {
                let failed = h.finish("d1", .retryable(reason: "HTTP 503", retryAfter: nil), status: 503)
                guard let due = failed.wake else { return delays }
                delays.append(h.clock.now.duration(to: due))
                let retried = h.advance(to: due)
                #expect(retried.attempts.first?.number == delays.count + 1)
            }
            return delays
        }
        let delays = schedule(seed: 7)
        #expect(delays.count == 5)
        for (index, delay) in delays.enumerated() {
            let backoff = Duration.seconds(min(1 << index, 8))
            // Equal jitter: at least half the backoff, never more than all of it.
            #expect(delay >= backoff / 2 && delay <= backoff, "retry \(index + 1): \(delay) for a backoff of \(backoff)")
        }
        #expect(schedule(seed: 7) == delays, "the same seed replays the same schedule")
        #expect(schedule(seed: 8) != delays, "another seed spreads the retries differently")
    }

    @Test func aRetryIsRecordedWithItsTimeAndStartsOnlyWhenDue() throws {
        var h = H(seed: 1)
        _ = h.accept([H.job("d1")])
        let failed = h.machine.attemptFinished("d1", result: AttemptResult(outcome: .retryable(reason: "HTTP 500", retryAfter: nil), status: 500))
        let outcome = try #require(failed.outcomes.first)
        #expect(outcome.job.state == .retrying)
        #expect(outcome.job.lastError == "HTTP 500")
        let due = try #require(outcome.job.nextAttemptAt)
        #expect(h.machine.jobs["d1"]?.state == .sending, "sending until the outcome is durable")
        let committed = h.machine.committed(["d1"])
        #expect(committed.wake == h.machine.instant(due))
        #expect(h.machine.jobs["d1"]?.state == .retrying)
        #expect(h.advance(to: h.machine.instant(due).advanced(by: .milliseconds(-1))).started.isEmpty)
        #expect(h.advance(to: h.machine.instant(due)).started == ["d1"])
    }

    @Test func retryAfterWinsWhenLongerAndIsCapped() throws {
        var h = H(retry: RetryPolicy(initial: .seconds(1), maximum: .seconds(8), deadline: .seconds(3600), maximumRetryAfter: .seconds(120)))
        _ = h.accept([H.job("d1", deadline: .seconds(3600)), H.job("d2", deadline: .seconds(3600))])
        let asked = h.finish("d1", .retryable(reason: "HTTP 429", retryAfter: .seconds(20)), status: 429)
        #expect(try #require(asked.outcomes.first?.job.nextAttemptAt) == H.wall.addingTimeInterval(20))
        let hostile = h.finish("d2", .retryable(reason: "HTTP 503", retryAfter: .seconds(86_400)), status: 503)
        #expect(try #require(hostile.outcomes.first?.job.nextAttemptAt) == H.wall.addingTimeInterval(120))
        #expect(hostile.wake == at(.seconds(20)))
        #expect(h.advance(by: .seconds(20)).started == ["d1"])
    }

    // MARK: Deadlines

    @Test func theDeadlineEndsRetrying() throws {
        var h = H(retry: RetryPolicy(initial: .seconds(2), maximum: .seconds(2), deadline: .seconds(5)), seed: 3)
        _ = h.accept([H.job("d1", deadline: .seconds(5))])
        var last: [Scheduler.Action] = []
        var attempts = 0
        while attempts < 10 {
            attempts += 1
            last = h.finish("d1", .retryable(reason: "timeout", retryAfter: nil))
            guard let due = last.wake else { break }
            #expect(h.advance(to: due).started == ["d1"])
        }
        let outcome = try #require(last.outcomes.first)
        #expect(outcome.job.state == .failed)
        #expect(outcome.job.lastError?.contains("deadline has passed") == true)
        #expect(attempts >= 3 && attempts <= 5, "retries every 1–2 s until 5 s: \(attempts) attempts")
        #expect(last.ended == ["inc"])
        #expect(h.machine.jobs.isEmpty)
    }

    @Test func aRetryDueAfterItsDeadlineFailsWithoutAnAttempt() throws {
        var h = H()
        // Recovered from disk: its retry time lies past its deadline (a clock step, a restored backup).
        let job = H.job("d1", state: .retrying, attempts: 2, nextAttemptAt: H.wall.addingTimeInterval(90), deadline: .seconds(60))
        let accepted = h.accept([job])
        #expect(accepted.started.isEmpty)
        #expect(accepted.wake == at(.seconds(90)))
        let due = h.advance(by: .seconds(90))
        #expect(due.started.isEmpty)
        guard case .closed(let jobs, let state, let error, _, _) = try #require(due.records.first) else {
            Issue.record("expected a closing record")
            return
        }
        #expect(jobs.map(\.id) == ["d1"])
        #expect(state == .failed)
        #expect(error?.contains("deadline") == true)
        #expect(due.ended == ["inc"])
    }

    @Test func aDeadlinePassingBetweenAttemptsKeepsTheLastAttemptsCause() throws {
        // Under load the retry's tick comes after the deadline: the operator still reads why it failed (TLS), not
        // only that time ran out.
        var h = H(retry: RetryPolicy(initial: .seconds(2), maximum: .seconds(2), deadline: .seconds(5)), seed: 3)
        _ = h.accept([H.job("d1", deadline: .seconds(5)), H.job("d2", deadline: .seconds(5))])
        let tls = "TLS failure after 0.1 s (curl 60: SSL certificate problem: self-signed certificate)"
        #expect(h.finish("d1", .retryable(reason: tls, retryAfter: nil)).wake != nil)
        #expect(h.finish("d2", .retryable(reason: "timeout after 1.0 s (curl 28)", retryAfter: nil)).wake != nil)
        let due = h.advance(by: .seconds(30))
        #expect(due.started.isEmpty)
        var errors: [String: String] = [:]
        for record in due.records {
            guard case .closed(let jobs, .failed, let error, _, _) = record else { continue }
            for job in jobs {
                errors[job.id] = error
                #expect(job.lastError == error)
            }
        }
        #expect(errors["d1"] == "\(tls); gave up after 1 attempt: the delivery deadline has passed")
        #expect(ErrorKind.of(error: errors["d1"], status: nil) == .tls)
        #expect(ErrorKind.gaveUpAttempts(in: errors["d1"]) == 1)
        #expect(ErrorKind.of(error: errors["d2"], status: nil) == .timeout)
        #expect(due.ended == ["inc"])
    }

    // MARK: Cancellation

    @Test func cancelWhileInFlightWaitsForTheAttemptThenCancelsItsRetry() throws {
        var h = H()
        _ = h.accept([H.job("d1"), H.job("d2"), H.job("other", incident: "inc2")])
        _ = h.machine.committed(h.machine.attemptFinished("d2", result: AttemptResult(outcome: .retryable(reason: "HTTP 502", retryAfter: nil))).recorded)
        let cancel = h.machine.cancelled(incidentID: "inc", actor: nil)
        #expect(cancel.cancelled.map(\.id) == ["d2"], "the delivery waiting for its retry is cancelled now")
        #expect(cancel.inFlight == 1)
        #expect(cancel.actions.recorded == ["d2"])
        #expect(cancel.actions.ended.isEmpty, "d1 is still in flight")
        let finished = h.finish("d1", .retryable(reason: "HTTP 503", retryAfter: nil))
        #expect(finished.outcomes.first?.job.state == .cancelled)
        #expect(finished.ended == ["inc"])
        #expect(h.machine.jobs.keys.sorted() == ["other"], "another incident is untouched")
    }

    @Test func anAttemptInFlightThatDeliversStaysDelivered() {
        var h = H()
        _ = h.accept([H.job("d1")])
        #expect(h.machine.cancelled(incidentID: "inc", actor: nil).inFlight == 1)
        let finished = h.finish("d1", .delivered)
        #expect(finished.outcomes.first?.job.state == .delivered)
        #expect(finished.ended == ["inc"])
    }

    @Test func aCancelArrivingDuringTheCommitCancelsTheRetryAfterIt() throws {
        var h = H()
        _ = h.accept([H.job("d1")])
        let answered = h.machine.attemptFinished("d1", result: AttemptResult(outcome: .retryable(reason: "HTTP 500", retryAfter: nil)))
        #expect(answered.outcomes.first?.job.state == .retrying)
        #expect(h.machine.cancelled(incidentID: "inc", actor: nil).inFlight == 1)
        let committed = h.machine.committed(["d1"])
        guard case .closed(let jobs, .cancelled, _, _, _) = try #require(committed.records.first) else {
            Issue.record("expected the retry to be cancelled")
            return
        }
        #expect(jobs.map(\.id) == ["d1"])
        #expect(committed.ended == ["inc"])
        #expect(h.machine.jobs.isEmpty)
    }

    // MARK: Ownership

    @Test func aLeaseIsRenewedBeforeItEndsAndItsLossDropsEverything() {
        var h = H(leaseRenewal: .seconds(10))
        #expect(h.machine.accepted([H.job("d1")]).started.isEmpty)
        #expect(h.machine.tick(now: h.clock.now).started.isEmpty, "nothing starts before the claim")
        let claimed = h.machine.claimed(["d1"], leaseUntil: at(.seconds(30)))
        #expect(claimed.started == ["d1"])
        #expect(claimed.wake == at(.seconds(20)))
        #expect(h.advance(by: .seconds(19)).renews == 0)
        #expect(h.advance(by: .seconds(1)).renews == 1)
        #expect(h.advance(by: .seconds(1)).renews == 0, "one renewal asked at a time")
        _ = h.machine.leaseRenewed(until: at(.seconds(60)))
        _ = h.accept([H.job("d2")], leaseUntil: at(.seconds(60)))
        let lost = h.machine.leaseLost()
        #expect(lost.failed == ["d1", "d2"], "both attempts in flight are stopped")
        #expect(h.machine.jobs.isEmpty)
        // A result arriving after the loss is recorded as late (the store fences it by the lease's generation) and
        // changes nothing here.
        let late = h.machine.attemptFinished("d1", result: AttemptResult(outcome: .delivered)).records
        guard case .attempt(let outcome) = late.first, late.count == 1 else {
            Issue.record("expected one late attempt record: \(late)")
            return
        }
        #expect(outcome.late && outcome.job.state == .delivered)
        #expect(h.machine.jobs.isEmpty)
        #expect(h.machine.committed(["d1"]).records.isEmpty, "its commit ends nothing here")
        #expect(h.accept([H.job("d3")]).started.isEmpty, "no lease, no attempt")
    }

    /// Deliveries held while a renewal runs were not in it: their lease (a birth lease counted from before their
    /// commit) ends sooner than the renewal's, and the next renewal comes before it does.
    @Test func aRenewalNeverOutlastsALeaseTakenWhileItRan() {
        var h = H(leaseRenewal: .seconds(20))
        _ = h.accept([H.job("d1")], leaseUntil: at(.seconds(30)))
        #expect(h.advance(by: .seconds(10)).renews == 1)
        // Born at 8 s (their commit took 2 s), held until 38 s; the renewal started at 10 s answers "until 40 s".
        _ = h.accept([H.job("d2")], leaseUntil: at(.seconds(38)))
        _ = h.machine.leaseRenewed(until: at(.seconds(40)))
        #expect(h.advance(by: .seconds(7)).renews == 0)
        #expect(h.advance(by: .seconds(1)).renews == 1, "renewed 20 s before d2's lease ends, not the renewal's")
        _ = h.machine.leaseRenewed(until: at(.seconds(48)))
        #expect(h.advance(by: .seconds(9)).renews == 0, "d2 was in that renewal: 48 s holds")
        #expect(h.advance(by: .seconds(1)).renews == 1)
    }

    @Test func aLeaseThatRunsOutUnrenewedIsLost() {
        var h = H(leaseRenewal: .seconds(10))
        _ = h.accept([H.job("d1")], leaseUntil: at(.seconds(30)))
        #expect(h.advance(by: .seconds(20)).renews == 1)
        let expired = h.advance(by: .seconds(10))
        #expect(expired.failed == ["d1"])
        #expect(h.machine.jobs.isEmpty)
    }

    @Test func aSoleNodeNeverRenews() {
        var h = H()
        _ = h.accept([H.job("d1")])
        #expect(h.advance(by: .seconds(86_400)).renews == 0)
        #expect(h.finish("d1", .delivered).ended == ["inc"])
    }

    // MARK: Reloads

    @Test func aConfigChangeMidFanOutAppliesFromTheNextStart() {
        var h = H(channels: ["ops": .init(maxConcurrency: 2, rateLimit: nil)])
        var flying = Set(h.accept((1...10).map { H.job(String(format: "d%02d", $0)) }).started)
        #expect(flying.count == 2)
        let raised = h.machine.configChanged(channels: ["ops": .init(maxConcurrency: 5, rateLimit: nil)], retryPolicy: RetryPolicy())
        flying.formUnion(raised.started)
        #expect(flying.count == 5, "a raised limit starts more at once")
        _ = h.machine.configChanged(channels: ["ops": .init(maxConcurrency: 1, rateLimit: nil)], retryPolicy: RetryPolicy())
        // Lowered: those in flight end; nothing new starts until the lane is under its new limit.
        for id in flying.sorted().prefix(4) {
            flying.remove(id)
            #expect(h.finish(id, .delivered).started.isEmpty)
        }
        let last = flying.removeFirst()
        let next = h.finish(last, .delivered).started
        #expect(next.count == 1)
    }

    @Test func aChannelRemovedByAReloadStillEndsItsDeliveriesOneAtATime() {
        var h = H(channels: ["ops": .init(maxConcurrency: 8, rateLimit: nil)])
        _ = h.machine.configChanged(channels: [:], retryPolicy: RetryPolicy())
        let started = h.accept([H.job("d1"), H.job("d2")]).started
        #expect(started == ["d1"])
        #expect(h.finish("d1", .permanent(reason: "gone", misconfiguration: true)).started == ["d2"])
    }

    // MARK: Shutdown and the store

    @Test func anAbandonedAttemptOrAnUnrecordedOutcomeIsSentAgain() {
        var h = H(channels: ["ops": .init(maxConcurrency: 1, rateLimit: nil)])
        _ = h.accept([H.job("d1")])
        #expect(h.machine.attemptFinished("d1", result: nil).started == ["d1"], "back to pending, sent again")
        let answered = h.machine.attemptFinished("d1", result: AttemptResult(outcome: .delivered))
        #expect(answered.recorded == ["d1"])
        #expect(h.machine.notRecorded(["d1"]).started == ["d1"])
        #expect(h.machine.jobs["d1"]?.attempts == 0, "nothing durable happened to it")
    }

    /// Many deliveries, random answers, cancels and reloads: the limits hold after every event and every
    /// delivery ends (a state change the table refuses would stop the test at its `assertionFailure`).
    @Test(arguments: [1, 2, 3] as [UInt64])
    func randomTrafficKeepsTheLimitsAndEndsEveryDelivery(seed: UInt64) {
        var random = SeededGenerator(seed: seed)
        var h = H(
            channels: ["a": .init(maxConcurrency: 3, rateLimit: 5), "b": .init(maxConcurrency: 2, rateLimit: nil)],
            retry: RetryPolicy(initial: .milliseconds(200), maximum: .seconds(2), deadline: .seconds(30)),
            limits: .init(maximumInFlight: 4, maximumCommitting: 3), seed: seed
        )
        var flying = Set<String>()
        var answered: [String] = []
        let jobs = (0..<60).map { H.job("d\($0)", incident: "i\($0 % 4)", channel: $0 % 3 == 0 ? "b" : "a", cost: 1 + $0 % 2) }
        var actions = h.accept(jobs)
        for _ in 0..<5_000 {
            flying.formUnion(actions.started)
            #expect(actions.illegal.isEmpty)
            #expect(flying.count <= 4)
            // Outcomes still flying may land past the commit cap, but nothing starts while it is reached.
            if !actions.started.isEmpty { #expect(answered.count < 3) }
            if h.machine.jobs.isEmpty { break }
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5 where !flying.isEmpty:
                let id = flying.randomElement(using: &random)!
                flying.remove(id)
                let outcome: AttemptOutcome = switch Int.random(in: 0..<3, using: &random) {
                case 0: .delivered
                case 1: .retryable(reason: "HTTP 503", retryAfter: nil)
                default: .permanent(reason: "HTTP 400", misconfiguration: true)
                }
                actions = h.machine.attemptFinished(id, result: AttemptResult(outcome: outcome))
                answered += actions.recorded
            case 5..<8 where !answered.isEmpty:
                actions = h.machine.committed([answered.removeFirst()])
            case 8 where Int.random(in: 0..<20, using: &random) == 0:
                actions = h.machine.cancelled(incidentID: "i\(Int.random(in: 0..<4, using: &random))", actor: nil).actions
            case 9 where Int.random(in: 0..<20, using: &random) == 0:
                let limit = Int.random(in: 1...4, using: &random)
                actions = h.machine.configChanged(
                    channels: ["a": .init(maxConcurrency: limit, rateLimit: 5), "b": .init(maxConcurrency: 2, rateLimit: nil)],
                    retryPolicy: RetryPolicy(initial: .milliseconds(200), maximum: .seconds(2), deadline: .seconds(30))
                )
            default:
                actions = h.advance(by: .milliseconds(100))
            }
        }
        #expect(h.machine.jobs.isEmpty, "every delivery ended (seed \(seed))")
    }
}

struct ManualClockTests {
    @Test func aSleeperWakesWhenTheClockPassesItsDeadline() async throws {
        let clock = ManualClock()
        try await confirmation { woke in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await clock.sleep(until: at(.seconds(5)), tolerance: nil)
                    woke()
                }
                // Moves the clock until the sleeper has registered and been woken: no real time is measured.
                while clock.now < at(.seconds(5)) {
                    await Task.yield()
                    clock.advance(by: .seconds(1))
                }
                try await group.waitForAll()
            }
        }
    }

    @Test func aCancelledSleeperThrows() async {
        let clock = ManualClock()
        let sleeper = Task { try await clock.sleep(until: at(.seconds(60)), tolerance: nil) }
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
    }
}
