import DequeModule
import Foundation
import HeapModule
import TocsinCore
import TocsinProtocol

/// The delivery scheduler and state machine, as a value: no I/O, no locks, time from a `Clock`.
///
/// Each `mutating` event handler returns the ``Action``s its driver (``Dispatcher``) carries out — start an
/// attempt, record a write durably, renew the lease, wake at a time — and the driver reports back with the next
/// event. Every change of a delivery's state goes through ``DeliveryState/canMove(to:)``.
///
/// One lane per channel keeps a slow or dead channel from delaying the others: a lane starts at most its channel's
/// `max_concurrency` attempts and spends its `rate_limit` by each attempt's cost. Scheduling is monotonic (the
/// clock); deadlines and the times written to disk are wall-clock dates, mapped through an anchor the driver keeps
/// fresh (``anchor(wall:at:)``).
struct DeliveryScheduler<C: Clock<Duration>> {
    struct Limits: Sendable {
        /// Attempts in flight across all channels: at most what the transport runs at once, so requests wait here
        /// (where no timeout runs) rather than in libcurl's queue (where their timeout would already be running).
        var maximumInFlight = 256
        /// Outcomes waiting for their commit: capped too, so a failing store (disk full) stops new sends instead of
        /// letting every delivery go out unrecorded.
        var maximumCommitting = 4096
    }

    /// A channel's limits, as configured.
    struct ChannelLimits: Sendable, Hashable {
        var maxConcurrency: Int
        /// Cost units (attempts, for most channels) per second; nil for no limit.
        var rateLimit: Double?
        /// How long one attempt may run at most (the channel's `timeout`, or `delivery.timeout`): with several nodes
        /// taking turns on a channel, how long before its turn ends a node stops starting attempts.
        var attemptTimeout: Duration = .seconds(10)

        /// For a channel no longer in the configuration (its deliveries still end, one at a time).
        static var unknown: ChannelLimits { ChannelLimits(maxConcurrency: 1, rateLimit: nil) }
    }

    private struct Lane {
        var ready = Deque<String>()
        var inFlight = 0
        /// The earliest time the rate limit lets the next attempt start.
        var nextStart: C.Instant?
    }

    private struct Timer: Comparable {
        var due: C.Instant
        var id: String
        static func < (lhs: Timer, rhs: Timer) -> Bool { lhs.due < rhs.due }
        static func == (lhs: Timer, rhs: Timer) -> Bool { lhs.due == rhs.due && lhs.id == rhs.id }
    }

    /// The earliest end of the leases taken while a renewal runs (``leaseRenewed(until:lost:)``).
    private var takenWhileRenewing: C.Instant?

    private enum Lease {
        /// One node on SQLite: it owns every delivery for good.
        case sole
        case held(until: C.Instant, renewing: Bool)
        case lost
    }

    let clock: C
    let limits: Limits
    private var channels: [String: ChannelLimits]
    private var retryPolicy: RetryPolicy
    private var wall: (instant: C.Instant, date: Date)
    private var jitter: JitterSource
    /// How long before the lease ends its renewal is asked for; nil for a sole node.
    private let renewAhead: Duration?
    private var lease: Lease
    /// With several nodes: this node's part of each channel's limits (nil: the whole limits, one node).
    private var shares: ClusterShares?

    /// Deliveries not yet final, held in memory (in flight and committing ones are `sending`).
    private(set) var jobs: [String: DeliveryJob] = [:]
    private var lanes: [String: Lane] = [:]
    /// Lanes with queued deliveries: the only ones a pass looks at.
    private var readyLanes = Set<String>()
    /// Deliveries in a lane's queue (a lane may keep ids of cancelled ones; they are skipped).
    private var queued = Set<String>()
    private var timers = Heap<Timer>()
    /// Accepted, not yet claimed: held, not scheduled.
    private var unclaimed = Set<String>()
    /// Attempts in flight, with their start.
    private var flying: [String: Date] = [:]
    /// Attempts still in flight under a lease this node lost: their outcome is recorded with that lease's
    /// generation (the store fences it) and changes nothing here; each keeps its lane's slot until it ends.
    private var lateFlying: [String: (job: DeliveryJob, started: Date)] = [:]
    /// Decided outcomes waiting for their commit: the delivery's next state.
    private var decided: [String: DeliveryJob] = [:]
    /// Deliveries whose incident was cancelled while an attempt was in flight: cancelled when it ends undelivered.
    private var cancelRequested = Set<String>()
    /// Unfinished deliveries per incident: when one reaches zero the incident has ended.
    private var openPerIncident: [String: Int] = [:]
    private var illegalMoves: [String] = []

    /// - Parameters:
    ///   - wall: the wall-clock date at `clock.now`.
    ///   - seed: the jitter's seed (random in production, fixed in tests).
    ///   - leaseRenewal: for a node holding leases, how long before a lease ends to renew it; nil for a sole node.
    ///   - sharedLimits: with several nodes: each channel's limits are shared with the other nodes busy on it
    ///     (``nodesBusy(_:me:)``). False: the whole limits.
    init(
        clock: C, limits: Limits = Limits(), channels: [String: ChannelLimits], retryPolicy: RetryPolicy,
        wall: Date, seed: UInt64, leaseRenewal: Duration? = nil, sharedLimits: Bool = false
    ) {
        self.clock = clock
        self.limits = limits
        self.channels = channels
        self.retryPolicy = retryPolicy
        self.wall = (clock.now, wall)
        jitter = JitterSource(seed: seed)
        renewAhead = leaseRenewal
        lease = leaseRenewal == nil ? .sole : .lost
        shares = sharedLimits ? ClusterShares() : nil
    }

    // MARK: Events

    /// Deliveries already durable (just committed, or found unfinished at start): held until claimed.
    mutating func accepted(_ newJobs: [DeliveryJob]) -> [Action] {
        var claim: [String] = []
        for job in newJobs where !job.state.isFinal && jobs[job.id] == nil {
            jobs[job.id] = job
            openPerIncident[job.incidentID, default: 0] += 1
            unclaimed.insert(job.id)
            claim.append(job.id)
        }
        return finish(claim.isEmpty ? [] : [.claim(claim)], now: clock.now)
    }

    /// This node now owns these deliveries (until `leaseUntil` when it holds leases, at the generations given).
    mutating func claimed(_ ids: [String], generations: [String: Int64] = [:], leaseUntil: C.Instant? = nil) -> [Action] {
        if let leaseUntil { extendLease(to: leaseUntil) }
        let nowDate = date(clock.now)
        var expired: [DeliveryJob] = []
        for id in ids {
            guard var job = jobs[id] else { continue }
            if let generation = generations[id] {
                job.generation = generation
                jobs[id] = job
            }
            guard unclaimed.remove(id) != nil else { continue }
            if nowDate >= job.deadlineAt {
                // Taken over (or resumed) after its deadline: never an attempt past it.
                move(&job, to: .failed)
                job.nextAttemptAt = nil
                expired.append(job)
            } else if let due = job.nextAttemptAt, due > nowDate {
                timers.insert(Timer(due: instant(due), id: id))
            } else {
                makeReady(job)
            }
        }
        return finish(close(expired: expired, at: nowDate), now: clock.now)
    }

    /// Deliveries taken over (or left) by this node's poll: durable, held by this node at the generations given.
    mutating func adopted(_ newJobs: [DeliveryJob], generations: [String: Int64], leaseUntil: C.Instant) -> [Action] {
        var actions = accepted(newJobs).filter { if case .claim = $0 { false } else { true } }
        actions += claimed(newJobs.map(\.id), generations: generations, leaseUntil: leaseUntil)
        return actions
    }

    /// Another node holds these deliveries (it claimed them first): forget them, record nothing.
    mutating func notClaimed(_ ids: [String]) -> [Action] {
        for id in ids where unclaimed.contains(id) { _ = forget(id) }
        return finish([], now: clock.now)
    }

    /// When this node's lease ends, while it holds one.
    var leaseUntil: C.Instant? {
        if case .held(let until, _) = lease { until } else { nil }
    }

    /// The leases this node holds, to renew (or give up on stop): every claimed delivery not yet final.
    var heldLeases: [(id: String, generation: Int64)] {
        jobs.compactMap { id, job in
            guard let generation = job.generation, !unclaimed.contains(id) else { return nil }
            return (id, generation)
        }
    }

    /// An attempt ended; `result` is nil when it was abandoned (shutdown) and nothing needs recording.
    /// `generation` is the lease the attempt was started under (the attempt's job says).
    mutating func attemptFinished(_ id: String, generation: Int64? = nil, result: AttemptResult?) -> [Action] {
        let now = clock.now
        if let late = lateFlying[id], late.job.generation == generation || flying[id] == nil {
            // Started under a lease this node lost: on record with that lease's generation, which the store fences
            // (a node that took the delivery over keeps its state); nothing changes here.
            lateFlying.removeValue(forKey: id)
            lanes[late.job.channel]?.inFlight -= 1
            guard let result else { return finish([], now: now) }
            var (_, outcome) = decide(late.job, result: result, started: late.started, at: now)
            outcome.late = true
            return finish([.record(.attempt(outcome))], now: now)
        }
        guard let started = flying.removeValue(forKey: id), var job = jobs[id] else { return finish([], now: now) }
        lanes[job.channel]?.inFlight -= 1
        guard let result else {
            // The delivery stays as it is on disk and is sent again (here, or at the next start).
            move(&job, to: .pending)
            jobs[id] = job
            makeReady(job)
            return finish([], now: now)
        }
        var (next, outcome) = decide(job, result: result, started: started, at: now)
        if next.state == .retrying, cancelRequested.remove(id) != nil {
            move(&next, to: .cancelled)
            next.nextAttemptAt = nil
            outcome.job = next
        }
        // The delivery stays `sending` until its outcome is durable, so a cancel still waits for it.
        decided[id] = next
        return finish([.record(.attempt(outcome))], now: now)
    }

    /// What the retry policy makes of an attempt's result: the delivery's next state and the outcome to record.
    private mutating func decide(_ job: DeliveryJob, result: AttemptResult, started: Date, at now: C.Instant) -> (DeliveryJob, Outcome) {
        let finished = date(now)
        let number = job.attempts + 1
        let decision = retryPolicy.decide(
            result.outcome, attempt: number, now: finished, deadlineAt: job.deadlineAt, jitter: jitter.next()
        )
        var next = job
        next.attempts = number
        next.lastStatus = result.status
        next.lastLatencyMillis = result.latency.milliseconds
        next.nextAttemptAt = nil
        var reason: String?
        switch decision {
        case .delivered:
            move(&next, to: .delivered)
            next.deliveredAt = finished
            next.lastError = nil
            next.failingSince = nil
            next.receipt = result.receipt
            next.acceptance = result.acceptance
        case .retry(let at):
            move(&next, to: .retrying)
            next.nextAttemptAt = at
            next.failingSince = job.failingSince ?? finished
            if case .retryable(let why, _) = result.outcome { reason = why }
            next.lastError = reason
        case .fail(let why, let misconfiguration):
            move(&next, to: .failed)
            next.misconfiguration = misconfiguration
            reason = why
            next.lastError = why
        }
        if let answer = result.answer, let text = next.lastError { next.lastError = text + ServiceAnswer.answeredSeparator + answer }
        let outcome = Outcome(
            job: next, number: number, startedAt: started, finishedAt: finished, latency: result.latency,
            status: result.status, reason: reason
        )
        return (next, outcome)
    }

    /// These deliveries' records are durable.
    mutating func committed(_ ids: [String]) -> [Action] {
        var actions: [Action] = []
        var ended: [String] = []
        for id in ids {
            guard var next = decided.removeValue(forKey: id) else { continue }
            if next.state.isFinal {
                cancelRequested.remove(id)
                if let incident = forget(id) { ended.append(incident) }
            } else if cancelRequested.remove(id) != nil {
                // The incident was cancelled after this attempt's outcome was decided: cancel its retry now.
                move(&next, to: .cancelled)
                next.nextAttemptAt = nil
                if let incident = forget(id) { ended.append(incident) }
                actions.append(.record(.closed([next], as: .cancelled, error: nil, actor: nil, at: date(clock.now))))
            } else if let due = next.nextAttemptAt {
                jobs[id] = next
                timers.insert(Timer(due: instant(due), id: id))
            } else {
                jobs[id] = next
                makeReady(next)
            }
        }
        actions += ended.map { .ended(incidentID: $0) }
        return finish(actions, now: clock.now)
    }

    /// These deliveries' records could not be made (the daemon is stopping with the store failing): they stay
    /// unfinished on disk and are sent again (at-least-once) rather than reported as done.
    mutating func notRecorded(_ ids: [String]) -> [Action] {
        for id in ids {
            guard decided.removeValue(forKey: id) != nil, var job = jobs[id] else { continue }
            move(&job, to: .pending)
            jobs[id] = job
            makeReady(job)
        }
        return finish([], now: clock.now)
    }

    /// Cancels every unfinished delivery of an incident. Queued and waiting ones are cancelled at once; one in
    /// flight keeps its attempt and is cancelled when that attempt ends undelivered.
    mutating func cancelled(incidentID: String, actor: Principal?) -> Cancellation {
        var result = Cancellation()
        var ended: String?
        for (id, job) in jobs where job.incidentID == incidentID {
            if job.state == .sending {
                cancelRequested.insert(id)
                result.inFlight += 1
            } else {
                var done = job
                move(&done, to: .cancelled)
                done.nextAttemptAt = nil
                ended = forget(id) ?? ended
                result.cancelled.append(done)
            }
        }
        if !result.cancelled.isEmpty {
            result.actions.append(.record(.closed(result.cancelled, as: .cancelled, error: nil, actor: actor, at: date(clock.now))))
        }
        if let ended { result.actions.append(.ended(incidentID: ended)) }
        result.actions = finish(result.actions, now: clock.now)
        return result
    }

    /// The renewal held until `until`, except for `lost`: leases another node took over meanwhile. Leases taken
    /// while it ran (a node's new deliveries under their birth lease, a take-over) were not in it: the lease held
    /// ends no later than theirs.
    mutating func leaseRenewed(until: C.Instant, lost: [String] = []) -> [Action] {
        lease = .held(until: min(until, takenWhileRenewing ?? until), renewing: false)
        takenWhileRenewing = nil
        return leasesLost(lost)
    }

    /// Another node took these deliveries over: forget them; attempts in flight finish as late (their outcome is
    /// recorded, fenced, and changes nothing here), and no new attempt starts under the lost lease.
    mutating func leasesLost(_ ids: [String]) -> [Action] {
        var abandoned: [String] = []
        for id in ids {
            guard let job = jobs.removeValue(forKey: id) else { continue }
            if let started = flying.removeValue(forKey: id) {
                lateFlying[id] = (job, started)
                abandoned.append(id)
            }
            queued.remove(id)
            unclaimed.remove(id)
            decided.removeValue(forKey: id)
            cancelRequested.remove(id)
            let left = (openPerIncident[job.incidentID] ?? 1) - 1
            if left > 0 { openPerIncident[job.incidentID] = left } else { openPerIncident.removeValue(forKey: job.incidentID) }
        }
        return finish(abandoned.isEmpty ? [] : [.fail(abandoned.sorted(), because: .leaseLost)], now: clock.now)
    }

    /// This node's lease ran out unrenewed (or another node owns its deliveries now): forget them all, record
    /// nothing new; attempts in flight finish as late.
    mutating func leaseLost() -> [Action] {
        let abandoned = Array(flying.keys)
        lease = .lost
        for (id, started) in flying {
            if let job = jobs[id] { lateFlying[id] = (job, started) }
        }
        jobs = [:]
        // Lanes keep the slots late attempts hold, and nothing else.
        lanes = lanes.compactMapValues { lane in lane.inFlight > 0 ? Lane(inFlight: lane.inFlight, nextStart: lane.nextStart) : nil }
        readyLanes = []
        queued = []
        timers = Heap()
        unclaimed = []
        flying = [:]
        decided = [:]
        cancelRequested = []
        openPerIncident = [:]
        return finish(abandoned.isEmpty ? [] : [.fail(abandoned.sorted(), because: .leaseLost)], now: clock.now)
    }

    /// Time passed: due retries join their lanes, the lease is renewed when due, and every attempt the limits allow
    /// starts.
    mutating func tick(now: C.Instant) -> [Action] {
        var actions: [Action] = []
        if case .held(let until, let renewing) = lease, let renewAhead {
            if now >= until {
                return leaseLost()
            }
            if !renewing, now >= until.advanced(by: .zero - renewAhead) {
                lease = .held(until: until, renewing: true)
                actions.append(.renew)
            }
        }
        var expired: [DeliveryJob] = []
        let nowDate = date(now)
        while let first = timers.min, first.due <= now {
            _ = timers.removeMin()
            guard var job = jobs[first.id], job.state == .retrying || job.state == .pending,
                !queued.contains(first.id), !unclaimed.contains(first.id)
            else { continue }
            if nowDate >= job.deadlineAt {
                // Never an attempt past the deadline (a delivery recovered with a late retry time, a clock step).
                move(&job, to: .failed)
                job.nextAttemptAt = nil
                expired.append(job)
                continue
            }
            makeReady(job)
        }
        actions += close(expired: expired, at: nowDate)
        return finish(actions, now: now)
    }

    static var deadlineReason: String { "the delivery deadline passed before its next attempt" }

    /// Why a delivery whose deadline passed while it waited failed: its last attempt's error first when it had one
    /// (as when the retry policy gives up), so "TLS failure …" is not lost to the deadline.
    static func expiredReason(of job: DeliveryJob) -> String {
        guard job.attempts > 0, let last = job.lastError else { return deadlineReason }
        return RetryPolicy.gaveUp(last, after: job.attempts)
    }

    /// Records deliveries whose deadline passed as failed, and the incidents that ends: one record per reason.
    private mutating func close(expired: [DeliveryJob], at nowDate: Date) -> [Action] {
        guard !expired.isEmpty else { return [] }
        var byReason: [(reason: String, jobs: [DeliveryJob])] = []
        var index: [String: Int] = [:]
        var ended: [String] = []
        for var job in expired {
            let reason = Self.expiredReason(of: job)
            job.lastError = reason
            if let at = index[reason] {
                byReason[at].jobs.append(job)
            } else {
                index[reason] = byReason.count
                byReason.append((reason, [job]))
            }
            if let incident = forget(job.id) { ended.append(incident) }
        }
        return byReason.map { .record(.closed($0.jobs, as: .failed, error: $0.reason, actor: nil, at: nowDate)) }
            + ended.map { .ended(incidentID: $0) }
    }

    /// A reload changed the channels' limits or the retry policy: they apply from the next start (a lane over its
    /// new `max_concurrency` lets its attempts in flight end).
    mutating func configChanged(channels: [String: ChannelLimits], retryPolicy: RetryPolicy) -> [Action] {
        self.channels = channels
        self.retryPolicy = retryPolicy
        return finish([], now: clock.now)
    }

    /// The other live nodes busy now (by name, with the channels each has work on), as the last read saw them: this
    /// node's part of each channel's limits follows at once, up or down.
    mutating func nodesBusy(_ busy: [String: Set<String>], me: String) -> [Action] {
        guard shares != nil else { return [] }
        shares?.seen(busy, me: me)
        return finish([], now: clock.now)
    }

    /// The channels this node has work on: deliveries it holds unfinished, attempts in flight.
    var busyChannels: Set<String> { Set(jobs.values.map(\.channel)) }

    /// This node's part of a channel's limits now (the whole limits on one node).
    func share(of channel: String) -> ChannelLimits {
        var limit = channels[channel] ?? .unknown
        if let shares {
            let share = shares.share(of: limit, channel: channel, at: clock.now, wall: wall)
            limit.maxConcurrency = share.concurrency
            limit.rateLimit = share.rate
        }
        return limit
    }

    /// Re-reads the wall clock's date at `instant`, so the dates written to disk follow a stepped wall clock.
    mutating func anchor(wall date: Date, at instant: C.Instant) {
        wall = (instant, date)
    }

    // MARK: Scheduling

    /// Starts every attempt the limits allow now, then says when to look again.
    private mutating func finish(_ actions: [Action], now: C.Instant) -> [Action] {
        var actions = actions
        var nextDue = timers.min?.due
        switch lease {
        case .sole:
            startReady(now: now, nextDue: &nextDue, into: &actions)
        case .held(let until, let renewing):
            if now < until { startReady(now: now, nextDue: &nextDue, into: &actions) }
            let check = renewing ? until : until.advanced(by: .zero - (renewAhead ?? .zero))
            nextDue = min(nextDue ?? check, check)
        case .lost:
            break
        }
        if !illegalMoves.isEmpty {
            actions += illegalMoves.map(Action.illegalMove)
            illegalMoves = []
        }
        if let nextDue { actions.append(.wake(at: nextDue)) }
        return actions
    }

    /// Room for one more attempt across all channels: in flight below the transport's limit, and outcomes waiting
    /// for their commit below theirs.
    private var hasRoom: Bool {
        flying.count + lateFlying.count < limits.maximumInFlight && decided.count < limits.maximumCommitting
    }

    /// Cost is proportional to the lanes with queued work and the attempts started, not to all channels or all
    /// deliveries: lanes are mutated in place (a copied lane would copy its whole queue). With no room left, no lane
    /// is looked at: a 1,000-channel send has ~750 lanes waiting while 256 attempts fly, and looking at each of them
    /// after every outcome made the send's cost grow with the square of its channels. The next outcome or commit
    /// makes room and comes back here.
    private mutating func startReady(now: C.Instant, nextDue: inout C.Instant?, into actions: inout [Action]) {
        guard !readyLanes.isEmpty, hasRoom else { return }
        let nowDate = date(now)
        // Walked in place, emptied lanes removed after: a copy of the set per pass would cost every waiting lane.
        var emptied: [String] = []
        defer { readyLanes.subtract(emptied) }
        for name in readyLanes {
            guard hasRoom else { break }
            // Taken out of the table and put back once: a look-up per field read (`lanes[name]?.inFlight`) copied the
            // lane each time, ~9 hashed look-ups per attempt started (callgrind). Moved, not copied: no queue copy.
            guard var lane = lanes.removeValue(forKey: name) else {
                emptied.append(name)
                continue
            }
            defer {
                if lane.ready.isEmpty { emptied.append(name) }
                lanes[name] = lane
            }
            var limit = channels[name] ?? .unknown
            if let shares {
                // Several nodes: this node's part of the channel's limits; a lane waiting for its turn wakes when
                // the turn begins rather than polling.
                let share = shares.share(of: limit, channel: name, at: now, wall: wall)
                limit.maxConcurrency = share.concurrency
                limit.rateLimit = share.rate
                if let changes = share.changesAt { nextDue = min(nextDue ?? changes, changes) }
                guard share.concurrency > 0 else { continue }
            }
            let interval = limit.rateLimit.map { Duration.seconds(1.0 / $0) }
            while hasRoom, lane.inFlight < limit.maxConcurrency, let id = lane.ready.first {
                // Cancelled deliveries leave their id behind in the queue; skip it.
                guard queued.contains(id), let index = jobs.index(forKey: id) else {
                    lane.ready.removeFirst()
                    continue
                }
                if let interval {
                    // Idle time earns no burst: the next start is never earlier than now.
                    let start = max(lane.nextStart ?? now, now)
                    if start > now {
                        nextDue = min(nextDue ?? start, start)
                        break
                    }
                    lane.nextStart = start.advanced(by: interval * max(jobs.values[index].cost, 1))
                }
                lane.ready.removeFirst()
                queued.remove(id)
                if let illegal = Self.move(&jobs.values[index], to: .sending) { illegalMoves.append(illegal) }
                lane.inFlight += 1
                flying[id] = nowDate
                let job = jobs.values[index]
                actions.append(.start(Attempt(job: job, number: job.attempts + 1, startedAt: nowDate)))
            }
        }
    }

    private mutating func makeReady(_ job: DeliveryJob) {
        guard queued.insert(job.id).inserted else { return }
        lanes[job.channel, default: Lane()].ready.append(job.id)
        readyLanes.insert(job.channel)
    }

    /// Forgets a delivery that is final; returns its incident's id when it was the incident's last.
    private mutating func forget(_ id: String) -> String? {
        queued.remove(id)
        unclaimed.remove(id)
        guard let job = jobs.removeValue(forKey: id) else { return nil }
        let left = (openPerIncident[job.incidentID] ?? 1) - 1
        if left > 0 {
            openPerIncident[job.incidentID] = left
            return nil
        }
        openPerIncident.removeValue(forKey: job.incidentID)
        return job.incidentID
    }

    /// The one place a delivery's state changes: an illegal move is a programming error, caught in debug builds
    /// and reported (``Action/illegalMove(_:)``) in release ones.
    private mutating func move(_ job: inout DeliveryJob, to next: DeliveryState) {
        if let illegal = Self.move(&job, to: next) { illegalMoves.append(illegal) }
    }

    /// The transition itself, for a job changed in place in ``jobs`` (no copy out and back); returns the illegal
    /// move to report, if it was one.
    private static func move(_ job: inout DeliveryJob, to next: DeliveryState) -> String? {
        // Leaving a final state is a resend's, audited, outside the scheduler (DeliveryState.isReopenable).
        var illegal: String?
        if !job.state.canMove(to: next) || job.state.isFinal {
            let move = "delivery \(job.id): \(job.state.rawValue) → \(next.rawValue)"
            assertionFailure("illegal delivery state change: \(move)")
            illegal = move
        }
        job.state = next
        return illegal
    }

    private mutating func extendLease(to until: C.Instant) {
        switch lease {
        case .sole: break
        case .lost: lease = .held(until: until, renewing: false)
        // The earliest end of any lease held: a later claim must not push the renewal past older leases' end.
        case .held(let current, let renewing):
            lease = .held(until: min(current, until), renewing: renewing)
            if renewing { takenWhileRenewing = min(takenWhileRenewing ?? until, until) }
        }
    }

    // MARK: Time

    /// The wall-clock date at `instant`.
    func date(_ instant: C.Instant) -> Date {
        let offset = wall.instant.duration(to: instant)
        let (seconds, attoseconds) = offset.components
        return wall.date.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// The clock's instant at wall-clock `date`.
    func instant(_ date: Date) -> C.Instant {
        wall.instant.advanced(by: .milliseconds(Int64((date.timeIntervalSince(wall.date) * 1000).rounded())))
    }
}
