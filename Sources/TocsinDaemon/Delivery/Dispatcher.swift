import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TocsinChannels
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinTransport

/// Sends every unfinished delivery, retries on schedule, and records each attempt durably.
///
/// The scheduling and every state change are ``DeliveryScheduler``'s, a value on the continuous clock; this service
/// only does what it asks — attempts through the transport, commits to the store, events, metrics — and reports
/// back. One lane per channel keeps a slow or dead channel from delaying the others.
final class Dispatcher: Service, Sendable {
    typealias Scheduler = DeliveryScheduler<ContinuousClock>

    /// Attempts in flight across all channels (see ``DeliveryScheduler/Limits``); the transport is sized by it.
    static let maximumInFlight = 256
    /// Outcomes waiting for their commit: far more than one group commit takes, so it never limits a healthy store.
    static let maximumCommitting = 4096
    /// The loop turns at least this often even when idle, so a stuck loop shows.
    static let idleTurn = Duration.seconds(1)
    /// Deliveries a node holds at most (claimed, not final): a take-over shares a dead node's backlog between the
    /// live nodes in batches rather than giving it all to the first that polls.
    static let maximumHeld = 4 * maximumInFlight

    /// How this node shares deliveries with others on one PostgreSQL database (DESIGN.md "Several machines").
    struct Leasing: Sendable {
        var node: String
        var lease: Duration
        var leaseMillis: Int64 { lease.milliseconds }
        /// Renewed when a third of the lease has passed: two more tries before it lapses.
        var renewAhead: Duration { lease * 2 / 3 }
        /// How often lapsed and unheld deliveries are looked for: a take-over comes at most this long after a lease
        /// lapses.
        var poll: Duration { min(lease / 4, .seconds(1)) }
        /// Each node writes the channels it is busy on at every poll; another node's write older than this no
        /// longer counts when the channels' limits are shared (``DeliveryScheduler/ClusterShares``): several polls,
        /// so one failed write changes nothing, and no longer than a lease, after which a node cut off from the
        /// database has stopped starting attempts anyway.
        var busyLifetime: Duration { min(lease, .seconds(5)) }
    }

    struct State {
        var machine: Scheduler
        /// Attempts the machine started, for the loop to run (only it owns the task group).
        var starts: [Scheduler.Attempt] = []
        /// Work asked for by an event reported where nothing may wait (``enqueue(_:)``): the loop runs it.
        var deferred: [Scheduler.Action] = []
        /// When the machine wants its next tick.
        var wakeAt: ContinuousClock.Instant?
        /// The configuration the machine's limits come from.
        var fingerprint: String
    }

    let state: Mutex<State>
    /// Attempt outcomes waiting for their commit, and whether a task is committing them (``record(_:)``).
    private let recording = Mutex((queued: [Scheduler.Record](), committing: false))
    private let wake = WakeSignal()
    let stopping = Atomic(false)
    /// When the loop last turned, in nanoseconds since `origin`: the watchdog's evidence that it is alive.
    private let lastTurn = Atomic<Int64>(0)
    private let origin = ContinuousClock.now
    let configuration: ConfigurationHolder
    let store: any Store
    private let transport: any Transport
    private let events: DeliveryEvents
    let logger: Logger
    /// Told when an incident's last delivery becomes final, after that is durable.
    let ends: IncidentEnds
    /// Nil for one node on SQLite, which owns every delivery for good.
    let leasing: Leasing?

    init(
        configuration: ConfigurationHolder, store: any Store, transport: any Transport, events: DeliveryEvents, logger: Logger,
        ends: IncidentEnds = IncidentEnds()
    ) {
        self.configuration = configuration
        self.store = store
        self.transport = transport
        self.events = events
        self.logger = logger
        self.ends = ends
        let active = configuration.current
        if case .postgresql = active.configuration.storage {
            leasing = Leasing(node: active.configuration.cluster.node, lease: active.configuration.cluster.lease)
        } else {
            leasing = nil
        }
        let machine = Scheduler(
            clock: ContinuousClock(),
            limits: .init(maximumInFlight: Self.maximumInFlight, maximumCommitting: Self.maximumCommitting),
            channels: Self.limits(of: active), retryPolicy: active.retryPolicy, wall: Date(),
            seed: UInt64.random(in: .min ... .max), leaseRenewal: leasing?.renewAhead, sharedLimits: leasing != nil
        )
        state = Mutex(State(machine: machine, fingerprint: active.configuration.fingerprint))
    }

    private static func limits(of active: ActiveConfiguration) -> [String: Scheduler.ChannelLimits] {
        let timeout = active.configuration.delivery.timeout
        return active.configuration.channels.mapValues {
            .init(maxConcurrency: $0.maxConcurrency, rateLimit: $0.rateLimit, attemptTimeout: $0.timeout ?? timeout)
        }
    }

    /// How long ago the scheduling loop last turned.
    var timeSinceLastTurn: Duration {
        (ContinuousClock.now - origin) - .nanoseconds(lastTurn.load(ordering: .relaxed))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Deliveries not yet final, held in memory.
    var pendingCount: Int { state.withLock { $0.machine.jobs.count } }

    /// Whether deliveries come by lease from the shared database (several nodes), not all at start.
    var holdsLeases: Bool { leasing != nil }

    /// The TLS certificate expiry each HTTPS channel's receiver showed at its last handshake (health, metrics).
    let certificates = Mutex<[String: Date]>([:])

    /// What monitoring reads: the queue, its oldest delivery, and the channels whose deliveries are being retried.
    struct Snapshot {
        struct Retrying {
            var since: Date
            var deliveries: Int
            var lastError: String?
        }

        var pending = 0
        var oldestCreatedAt: Date?
        var retrying: [String: Retrying] = [:]
    }

    /// One pass over the unfinished deliveries (thousands at most), for the metrics interval and health checks.
    func snapshot() -> Snapshot {
        state.withLock { state in
            var snapshot = Snapshot(pending: state.machine.jobs.count)
            for job in state.machine.jobs.values {
                snapshot.oldestCreatedAt = min(snapshot.oldestCreatedAt ?? job.createdAt, job.createdAt)
                guard job.attempts > 0, job.lastError != nil else { continue }
                let since = job.failingSince ?? job.createdAt
                var entry = snapshot.retrying[job.channel] ?? .init(since: since, deliveries: 0, lastError: job.lastError)
                entry.deliveries += 1
                if since <= entry.since {
                    entry.since = since
                    entry.lastError = job.lastError
                }
                snapshot.retrying[job.channel] = entry
            }
            return snapshot
        }
    }

    /// Takes deliveries that are already durable (just committed, or recovered at start).
    /// - Parameter bornAt: for deliveries this node has just written, an instant no later than the time their birth
    ///   lease was counted from (``PostgresStore/leaseNewDeliveries(to:for:)``). Several nodes: while their commit
    ///   took less than a third of the lease (before a renewal is due), they are held under that lease at once
    ///   (generation 0), with no claim, which would rewrite each row a moment after its insert; after a slow commit
    ///   they are claimed, for a fresh lease, rather than renewed in a hurry at the end of the birth lease.
    func enqueue(_ jobs: [DeliveryJob], bornAt: ContinuousClock.Instant? = nil) {
        guard !jobs.isEmpty else { return }
        let asked = handle { $0.accepted(jobs) }
        var later: [Scheduler.Action] = []
        for action in asked {
            guard case .claim(let ids) = action else {
                later.append(action)
                continue
            }
            guard let leasing else {
                // One node on SQLite: every claim simply succeeds.
                later += handle { $0.claimed(ids) }
                continue
            }
            if let bornAt, ContinuousClock.now < bornAt + (leasing.lease - leasing.renewAhead) {
                let births = Dictionary(uniqueKeysWithValues: ids.map { ($0, Int64(0)) })
                later += handle { $0.claimed(ids, generations: births, leaseUntil: bornAt + leasing.lease) }
            } else {
                // Recovered at start, reopened by a resend, or born too long ago: claimed in the database.
                later.append(action)
            }
        }
        guard !later.isEmpty else { return }
        state.withLock { $0.deferred += later }
        wake.signal()
    }

    /// Cancels every unfinished delivery of an incident. Queued and waiting ones are cancelled at once; one
    /// in flight keeps its attempt and is cancelled when that attempt ends undelivered.
    /// - Returns: the deliveries cancelled now and the number still in flight.
    func cancel(incidentID: String, caller: Principal?) async -> (cancelled: [DeliveryJob], inFlight: Int) {
        var cancellation = Scheduler.Cancellation()
        let actions = handle { machine in
            cancellation = machine.cancelled(incidentID: incidentID, actor: caller)
            return cancellation.actions
        }
        await perform(actions)
        return (cancellation.cancelled, cancellation.inFlight)
    }

    func run() async throws {
        // Several nodes: another node's wake-up (a cancel seized deliveries held here, a node gave its leases up)
        // is acted on at once. Owned here: cancelled and awaited once the loop ends.
        let wakeUps = leasing.map { _ in
            Task { await store.followWakeUps { [weak self] in await self?.wokenByAnotherNode() } }
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                if let leasing {
                    group.addTask { await self.pollForDeliveries(every: leasing.poll) }
                }
                while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                    let now = ContinuousClock.now
                    lastTurn.store(Self.nanoseconds(now - origin), ordering: .relaxed)
                    var work = reloadIfChanged()
                    work += handle { machine in
                        machine.anchor(wall: Date(), at: now)
                        return machine.tick(now: now)
                    }
                    let (starts, deferred, wakeAt) = state.withLock { state in
                        defer {
                            state.starts = []
                            state.deferred = []
                        }
                        return (state.starts, state.deferred, state.wakeAt)
                    }
                    for attempt in starts {
                        group.addTask { await self.attempt(attempt) }
                    }
                    work += deferred
                    // A renewal retries while the store fails: apart, so it never holds up records.
                    if work.contains(where: { if case .renew = $0 { true } else { false } }) {
                        work.removeAll { if case .renew = $0 { true } else { false } }
                        group.addTask { await self.renewLeases() }
                    }
                    if !work.isEmpty {
                        group.addTask { await self.perform(work) }
                    }
                    let untilDue = wakeAt.map { max(.milliseconds(1), $0 - ContinuousClock.now) } ?? Self.idleTurn
                    await wake.wait(timeout: min(untilDue, Self.idleTurn))
                }
                // Attempts in flight finish (each is bounded by its timeout); unstarted ones stay durable for the next start.
            }
            wakeUps?.cancel()
            await wakeUps?.value
            // Several nodes: what this node held is given up, so another node takes it at once, not a lease later.
            await releaseHeldLeases()
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wake.signal()
        }
    }

    /// Hands the machine new limits after a reload (checked once a turn: a fingerprint comparison).
    private func reloadIfChanged() -> [Scheduler.Action] {
        let active = configuration.current
        let fingerprint = active.configuration.fingerprint
        let changed = state.withLock { state in
            defer { state.fingerprint = fingerprint }
            return state.fingerprint != fingerprint
        }
        guard changed else { return [] }
        return handle { $0.configChanged(channels: Self.limits(of: active), retryPolicy: active.retryPolicy) }
    }

    /// Runs one event on the machine under the lock; keeps the starts and the wake time for the loop and returns
    /// the rest, to be carried out (outside the lock) by the caller.
    func handle(_ event: (inout Scheduler) -> [Scheduler.Action]) -> [Scheduler.Action] {
        let (rest, signal) = state.withLock { state -> ([Scheduler.Action], Bool) in
            let actions = event(&state.machine)
            var rest: [Scheduler.Action] = []
            var started = false
            var wakeAt: ContinuousClock.Instant?
            for action in actions {
                switch action {
                case .start(let attempt):
                    state.starts.append(attempt)
                    started = true
                case .wake(let at):
                    wakeAt = at
                default:
                    rest.append(action)
                }
            }
            // Each event ends with a scheduling pass, so its wake time replaces the last one.
            let sooner = wakeAt.map { at in state.wakeAt.map { at < $0 } ?? true } ?? false
            state.wakeAt = wakeAt
            return (rest, started || sooner)
        }
        if signal { wake.signal() }
        return rest
    }

    private func attempt(_ attempt: Scheduler.Attempt) async {
        let job = attempt.job
        let active = configuration.current
        let result: AttemptResult?
        if let endpoint = active.endpoints[job.channel] ?? job.endpoint {
            let outbound = endpoint.request(deliveryID: job.id, recipient: job.recipient, payload: job.payload, at: attempt.startedAt)
            // nil when shutting down: the delivery stays as it is on disk and is sent again at the next start.
            result = await AttemptRunner(transport: transport).perform(outbound, endpoint: endpoint)
        } else {
            let reason = active.unavailable[job.channel] ?? "channel '\(job.channel)' is no longer in the configuration"
            result = AttemptResult(outcome: .permanent(reason: reason, misconfiguration: true))
        }
        if let expiry = result?.certificateExpiry { certificates.withLock { $0[job.channel] = expiry } }
        var rest: [Scheduler.Action] = []
        for action in handle({ $0.attemptFinished(job.id, generation: job.generation, result: result) }) {
            if case .record(let record) = action { await self.record(record) } else { rest.append(action) }
        }
        await perform(rest)
    }

    /// Commits an attempt's outcome together with the others that finish meanwhile: the first caller commits
    /// whatever is queued, again and again until nothing is; the others only queue theirs and return (nothing waits
    /// on an attempt's record, and the delivery stays `sending` until it is durable). One commit call per batch
    /// rather than per delivery: each call was a task, a hop to the store's writer queue and a group-commit
    /// hand-over, ~14 % of a 100-channel send's instructions (callgrind).
    private func record(_ record: Scheduler.Record) async {
        let leads = recording.withLock { recording in
            recording.queued.append(record)
            defer { recording.committing = true }
            return !recording.committing
        }
        guard leads else { return }
        while true {
            let batch = recording.withLock { recording in
                defer { recording.queued.removeAll(keepingCapacity: true) }
                if recording.queued.isEmpty { recording.committing = false }
                return recording.queued
            }
            guard !batch.isEmpty else { return }
            let ids = batch.flatMap(\.deliveryIDs)
            let what = batch.count == 1 ? Self.what(batch[0]) : "\(batch.count) delivery attempts"
            if await commitDurably(StoreWrite(batch), what: what, delivery: ids.count == 1 ? ids[0] : nil) {
                for record in batch { published(record) }
                await perform(handle { $0.committed(ids) })
            } else {
                await perform(handle { $0.notRecorded(ids) })
            }
        }
    }

    /// Carries out what the machine asked, in order (a record is durable before what follows it).
    func perform(_ actions: [Scheduler.Action]) async {
        for action in actions {
            switch action {
            case .record(let record):
                let ids = record.deliveryIDs
                if await commitDurably(StoreWrite(record), what: Self.what(record), delivery: ids.count == 1 ? ids[0] : nil) {
                    published(record)
                    await perform(handle { $0.committed(ids) })
                } else {
                    await perform(handle { $0.notRecorded(ids) })
                }
            case .ended(let incidentID):
                ends.announce(incidentID)
            case .claim(let ids):
                if leasing == nil {
                    await perform(handle { $0.claimed(ids) })
                } else {
                    await claim(ids)
                }
            case .renew:
                await renewLeases()
            case .fail(let ids, let reason):
                logger.warning("lease lost: attempts in flight finish as late, no new attempt starts", metadata: [
                    "deliveries": "\(ids.count)", "reason": "\(reason)", "delivery.id": "\(ids.first ?? "-")",
                ])
            case .illegalMove(let move):
                logger.error("illegal delivery state change refused by the transition table", metadata: ["move": "\(move)"])
            case .start, .wake:
                // Kept by `handle` for the loop.
                break
            }
        }
    }

    private static func what(_ record: Scheduler.Record) -> String {
        switch record {
        case .attempt: "a delivery attempt"
        case .closed(_, let state, _, _, _): "\(state.rawValue) deliveries"
        }
    }

    /// Once a record is durable: watchers, metrics and the journal hear of it.
    private func published(_ record: Scheduler.Record) {
        switch record {
        case .attempt(let outcome) where outcome.late:
            // The store fenced it: recorded for the history, the delivery is whoever holds it now's.
            logger.notice("late outcome recorded after the lease was lost", metadata: [
                "incident.id": "\(outcome.job.incidentID)", "delivery.id": "\(outcome.job.id)",
                "lease.generation": "\(outcome.job.generation ?? 0)", "delivery.state": "\(outcome.job.state.rawValue)",
            ])
        case .attempt(let outcome):
            let job = outcome.job
            if events.hasSubscribers { events.publish([(job.incidentID, DeliveryStatusMapper.status(of: job))]) }
            DaemonMetrics.attempt(
                channel: job.channel, state: job.state, number: outcome.number, createdAt: job.createdAt, finishedAt: outcome.finishedAt
            )
            if job.state.isFinal {
                // Delivered is the normal case and is in the audit log already: debug, so a 10,000-recipient send does
                // not write 10,000 journal lines; a failure is worth a warning.
                logger.log(level: job.state == .delivered ? .debug : .warning, "delivery final", metadata: [
                    "incident.id": "\(job.incidentID)", "delivery.id": "\(job.id)", "channel": "\(job.channel)",
                    "delivery.state": "\(job.state.rawValue)", "delivery.attempts": "\(outcome.number)",
                ])
            } else {
                logger.notice("delivery will be retried", metadata: [
                    "incident.id": "\(job.incidentID)", "delivery.id": "\(job.id)", "channel": "\(job.channel)",
                    "attempt": "\(outcome.number)", "reason": "\(outcome.reason ?? "")",
                ])
            }
        case .closed(let jobs, let state, _, _, _):
            if events.hasSubscribers { events.publish(jobs.map { ($0.incidentID, DeliveryStatusMapper.status(of: $0)) }) }
            for job in jobs { DaemonMetrics.delivery(channel: job.channel, state: state) }
        }
    }

    /// Commits, retrying with backoff while the store fails (disk full, locked): an outcome is published only
    /// once it is durable. Gives up only when the daemon is stopping.
    private func commitDurably(_ write: StoreWrite, what: String, delivery: String?) async -> Bool {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                try await store.commit(write)
                return true
            } catch {
                logger.error("cannot record \(what); retrying", metadata: ["delivery.id": "\(delivery ?? "-")", "store.error": "\(error)"])
                if stopping.load(ordering: .relaxed) { return false }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
