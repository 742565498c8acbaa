import DequeModule
import Foundation
import HeapModule
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
/// One lane per channel keeps a slow or dead channel from delaying the others: a lane starts at most its
/// channel's `max_concurrency` attempts and respects its `rate_limit`; all lanes share the one libcurl loop.
final class Dispatcher: Service, Sendable {
    /// Attempts in flight across all channels: at most what the transport runs at once, so requests wait here
    /// (where no timeout runs) rather than in libcurl's queue (where their timeout would already be running).
    static let maximumInFlight = 256
    /// Outcomes waiting for their commit: far more than one group commit takes, so it never limits a healthy store.
    static let maximumCommitting = 4096

    private struct Lane {
        var ready = Deque<String>()
        var inFlight = 0
        /// The earliest time the rate limit lets the next attempt start.
        var nextStart: ContinuousClock.Instant?
    }

    private struct Timer: Comparable {
        var due: ContinuousClock.Instant
        var id: String
        static func < (lhs: Timer, rhs: Timer) -> Bool { lhs.due < rhs.due }
    }

    private struct State {
        var jobs: [String: DeliveryJob] = [:]
        var lanes: [String: Lane] = [:]
        /// Attempts answered but not yet committed: capped too, so a failing store (disk full) stops new sends
        /// instead of letting every delivery go out unrecorded.
        var committing = 0
        /// Lanes with queued deliveries: the only ones `takeStartable` looks at.
        var readyLanes = Set<String>()
        var inFlight = 0
        // Monotonic: a wall-clock step at boot must neither park retries for hours nor fire them all at once.
        var timers = Heap<Timer>()
        /// Deliveries whose incident was cancelled while an attempt was in flight: cancelled when it ends undelivered.
        var cancelRequested = Set<String>()
        /// Unfinished deliveries per incident: when one reaches zero the incident has ended (a checkpoint is due).
        var openPerIncident: [String: Int] = [:]

        /// Forgets a delivery that is final; returns its incident's id when it was the incident's last.
        mutating func forget(_ id: String) -> String? {
            guard let job = jobs.removeValue(forKey: id) else { return nil }
            let left = (openPerIncident[job.incidentID] ?? 1) - 1
            if left > 0 {
                openPerIncident[job.incidentID] = left
                return nil
            }
            openPerIncident.removeValue(forKey: job.incidentID)
            return job.incidentID
        }

        mutating func makeReady(_ job: DeliveryJob) {
            lanes[job.channel, default: Lane()].ready.append(job.id)
            readyLanes.insert(job.channel)
        }
    }

    private let state = Mutex(State())
    private let wake = WakeSignal()
    private let stopping = Atomic(false)
    /// When the loop last turned, in nanoseconds since `origin`: the watchdog's evidence that it is alive.
    private let lastTurn = Atomic<Int64>(0)
    private let origin = ContinuousClock.now
    /// The loop turns at least this often even when idle, so a stuck loop shows.
    static let idleTurn = Duration.seconds(1)
    private let configuration: ConfigurationHolder
    private let store: any Store
    private let transport: any Transport
    private let events: DeliveryEvents
    private let logger: Logger
    /// Told when an incident's last delivery becomes final, after that is durable.
    private let incidentEnded: @Sendable (String) -> Void

    init(
        configuration: ConfigurationHolder, store: any Store, transport: any Transport, events: DeliveryEvents, logger: Logger,
        incidentEnded: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.store = store
        self.transport = transport
        self.events = events
        self.logger = logger
        self.incidentEnded = incidentEnded
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
    var pendingCount: Int { state.withLock { $0.jobs.count } }

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
            var snapshot = Snapshot(pending: state.jobs.count)
            for job in state.jobs.values {
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
    func enqueue(_ jobs: [DeliveryJob]) {
        guard !jobs.isEmpty else { return }
        let now = Date(), clock = ContinuousClock.now
        state.withLock { state in
            for job in jobs where !job.state.isFinal && state.jobs[job.id] == nil {
                state.jobs[job.id] = job
                state.openPerIncident[job.incidentID, default: 0] += 1
                if let due = job.nextAttemptAt, due > now {
                    state.timers.insert(Timer(due: clock + .milliseconds(Int64(due.timeIntervalSince(now) * 1000)), id: job.id))
                } else {
                    state.makeReady(job)
                }
            }
        }
        wake.signal()
    }

    func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                while !stopping.load(ordering: .relaxed) && !Task.isCancelled {
                    let now = ContinuousClock.now
                    lastTurn.store(Self.nanoseconds(now - origin), ordering: .relaxed)
                    let (startable, nextDue) = takeStartable(now: now)
                    for job in startable {
                        group.addTask { await self.attempt(job) }
                    }
                    let untilDue = nextDue.map { max(.milliseconds(1), $0 - ContinuousClock.now) } ?? Self.idleTurn
                    await wake.wait(timeout: min(untilDue, Self.idleTurn))
                }
                // Attempts in flight finish (each is bounded by its timeout); unstarted ones stay durable for the next start.
            }
        } onGracefulShutdown: {
            self.stopping.store(true, ordering: .relaxed)
            self.wake.signal()
        }
    }

    /// Moves due timers to their lanes and takes every attempt the limits allow now.
    ///
    /// Cost is proportional to the lanes with queued work and the attempts started, not to all channels or all
    /// deliveries: lanes are mutated in place (a copied lane would copy its whole queue).
    private func takeStartable(now: ContinuousClock.Instant) -> ([DeliveryJob], ContinuousClock.Instant?) {
        let channels = configuration.current.configuration.channels
        return state.withLock { state in
            while let first = state.timers.min, first.due <= now {
                _ = state.timers.removeMin()
                guard let job = state.jobs[first.id], job.state == .retrying || job.state == .pending else { continue }
                state.makeReady(job)
            }
            var startable: [DeliveryJob] = []
            var nextDue = state.timers.min?.due
            for name in Array(state.readyLanes) {
                let limit = channels[name]?.maxConcurrency ?? 1
                let interval = channels[name]?.rateLimit.map { Duration.milliseconds(Int64(1000 / $0)) }
                while state.inFlight < Self.maximumInFlight, state.committing < Self.maximumCommitting,
                    (state.lanes[name]?.inFlight ?? limit) < limit,
                    let id = state.lanes[name]?.ready.first
                {
                    if let interval {
                        // Idle time earns no burst: the next start is never earlier than now.
                        let start = max(state.lanes[name]?.nextStart ?? now, now)
                        if start > now {
                            nextDue = min(nextDue ?? start, start)
                            break
                        }
                        state.lanes[name]!.nextStart = start + interval
                    }
                    state.lanes[name]!.ready.removeFirst()
                    // Cancelled deliveries leave their id behind in the queue; skip it.
                    guard var job = state.jobs[id] else { continue }
                    job.state = .sending
                    state.jobs[id] = job
                    state.lanes[name]!.inFlight += 1
                    state.inFlight += 1
                    startable.append(job)
                }
                if state.lanes[name]?.ready.isEmpty ?? true { state.readyLanes.remove(name) }
            }
            return (startable, nextDue)
        }
    }

    private func attempt(_ job: DeliveryJob) async {
        let active = configuration.current
        let started = Date()
        let number = job.attempts + 1
        let result: AttemptResult
        if let endpoint = active.endpoints[job.channel] ?? job.endpoint {
            let outbound = endpoint.request(deliveryID: job.id, recipient: job.recipient, payload: job.payload, at: started)
            let performed = await AttemptRunner(transport: transport).perform(outbound, endpoint: endpoint)
            freeSlot(job.channel)
            guard let performed else {
                // Shutting down: the delivery stays as it is on disk and is sent again at the next start.
                release(job, next: nil)
                return
            }
            result = performed
        } else {
            freeSlot(job.channel)
            let reason = active.unavailable[job.channel] ?? "channel '\(job.channel)' is no longer in the configuration"
            result = AttemptResult(outcome: .permanent(reason: reason, misconfiguration: true))
        }
        let outcome = result.outcome, status = result.status, latency = result.latency, answer = result.answer
        if let expiry = result.certificateExpiry { certificates.withLock { $0[job.channel] = expiry } }

        let finished = Date()
        let decision = active.retryPolicy.decide(
            outcome, attempt: number, now: finished, deadlineAt: job.deadlineAt, jitter: Double.random(in: 0..<1)
        )
        var next = job
        next.attempts = number
        next.lastStatus = status
        next.nextAttemptAt = nil
        var reason: String?
        switch decision {
        case .delivered:
            next.state = .delivered
            next.deliveredAt = finished
            next.lastError = nil
            next.failingSince = nil
        case .retry(let at):
            next.state = .retrying
            next.nextAttemptAt = at
            next.failingSince = job.failingSince ?? finished
            if case .retryable(let why, _) = outcome { reason = why }
            next.lastError = reason
        case .fail(let why, let misconfiguration):
            next.state = .failed
            next.misconfiguration = misconfiguration
            reason = why
            next.lastError = why
        }
        if let answer, let text = next.lastError { next.lastError = "\(text) — service answered: \(answer)" }

        if next.state == .retrying, state.withLock({ $0.cancelRequested.remove(job.id) != nil }) {
            next.state = .cancelled
            next.nextAttemptAt = nil
        }
        let write = Self.record(next, attempt: number, started: started, latency: latency, status: status)
        guard await commitDurably(write, what: "a delivery attempt", delivery: job.id) else {
            // Shutting down with the store failing: the delivery stays unfinished on disk and is sent again at
            // the next start (at-least-once) rather than being reported as done.
            release(job, next: nil)
            return
        }
        events.publish([(job.incidentID, DeliveryStatusMapper.status(of: next))])
        DaemonMetrics.attempt(channel: job.channel, state: next.state, number: number, createdAt: job.createdAt, finishedAt: finished)
        if next.state.isFinal {
            // Delivered is the normal case and is in the audit log already: debug, so a 10,000-recipient send does
            // not write 10,000 journal lines; a failure is worth a warning.
            logger.log(level: next.state == .delivered ? .debug : .warning, "delivery final", metadata: [
                "incident.id": "\(job.incidentID)", "delivery.id": "\(job.id)", "channel": "\(job.channel)",
                "delivery.state": "\(next.state.rawValue)", "delivery.attempts": "\(number)",
            ])
        } else {
            logger.notice("delivery will be retried", metadata: [
                "incident.id": "\(job.incidentID)", "delivery.id": "\(job.id)", "channel": "\(job.channel)",
                "attempt": "\(number)", "reason": "\(reason ?? "")",
            ])
        }
        let (cancelNow, ended) = release(next, next: next.nextAttemptAt)
        if cancelNow {
            // The incident was cancelled after this attempt's outcome was decided: cancel its retry now.
            var cancelled = next
            cancelled.state = .cancelled
            cancelled.nextAttemptAt = nil
            await commitCancellation([cancelled], caller: nil)
        }
        if let ended { incidentEnded(ended) }
    }

    /// Cancels every unfinished delivery of an incident. Queued and waiting ones are cancelled at once; one
    /// in flight keeps its attempt and is cancelled when that attempt ends undelivered.
    /// - Returns: the deliveries cancelled now and the number still in flight.
    func cancel(incidentID: String, caller: Caller?) async -> (cancelled: [DeliveryJob], inFlight: Int) {
        let (cancelled, inFlight, ended) = state.withLock { state -> ([DeliveryJob], Int, String?) in
            var cancelled: [DeliveryJob] = []
            var inFlight = 0
            var ended: String?
            for (id, job) in state.jobs where job.incidentID == incidentID {
                if job.state == .sending {
                    state.cancelRequested.insert(id)
                    inFlight += 1
                } else {
                    // Lanes and timers skip ids that are no longer in `jobs`.
                    ended = state.forget(id) ?? ended
                    var done = job
                    done.state = .cancelled
                    done.nextAttemptAt = nil
                    cancelled.append(done)
                }
            }
            return (cancelled, inFlight, ended)
        }
        await commitCancellation(cancelled, caller: caller)
        if let ended { incidentEnded(ended) }
        return (cancelled, inFlight)
    }

    private func commitCancellation(_ jobs: [DeliveryJob], caller: Caller?) async {
        guard !jobs.isEmpty else { return }
        let now = Date().millisecondsSince1970
        var write = StoreWrite()
        for job in jobs { write.close(job, as: .cancelled, error: nil, actor: caller, at: now) }
        guard await commitDurably(write, what: "cancelled deliveries", delivery: nil) else { return }
        events.publish(jobs.map { ($0.incidentID, DeliveryStatusMapper.status(of: $0)) })
        for job in jobs { DaemonMetrics.delivery(channel: job.channel, state: .cancelled) }
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

    /// Ends an attempt's hold on its lane (`max_concurrency`) and on the global in-flight count as soon as the
    /// service has answered, before the outcome is committed: a slot held through the group commit's fsync made
    /// commit latency, not the service, set the pace of a fan-out (64 slots ÷ ~20 ms ≈ 3,200/s). The delivery itself
    /// stays `sending` until its outcome is durable, so a cancel still waits for it.
    private func freeSlot(_ channel: String) {
        state.withLock { state in
            state.lanes[channel]?.inFlight -= 1
            state.inFlight -= 1
            state.committing += 1
        }
        wake.signal()
    }

    /// Either forgets a final job or schedules its next attempt (the lane slot was freed by `freeSlot`).
    /// - Returns: whether the incident was cancelled meanwhile and the job must be recorded as cancelled, and the
    ///   incident whose last delivery this was, if it was.
    @discardableResult
    private func release(_ job: DeliveryJob, next due: Date?) -> (cancelNow: Bool, ended: String?) {
        let result = state.withLock { state -> (Bool, String?) in
            state.committing -= 1
            if job.state.isFinal {
                state.cancelRequested.remove(job.id)
                return (false, state.forget(job.id))
            } else if state.cancelRequested.remove(job.id) != nil {
                return (true, state.forget(job.id))
            } else if let due {
                state.jobs[job.id] = job
                let delay = Duration.milliseconds(max(0, Int64(due.timeIntervalSinceNow * 1000)))
                state.timers.insert(Timer(due: .now + delay, id: job.id))
            } else {
                var waiting = job
                waiting.state = .pending
                state.jobs[job.id] = waiting
                state.makeReady(waiting)
            }
            return (false, nil)
        }
        wake.signal()
        return result
    }

    /// The attempt, the delivery's new state and their audit entries: one group-committed write.
    private static func record(_ job: DeliveryJob, attempt number: Int, started: Date, latency: Duration, status: Int?) -> StoreWrite {
        let now = Date().millisecondsSince1970
        var detail = AuditDetail()
        detail.set("delivery", job.id)
        detail.set("channel", job.channel)
        detail.set("recipient", job.recipient)
        detail.set("attempt", number)
        detail.set("status", status)
        detail.set("latency_ms", Int(latency.milliseconds))
        detail.set("outcome", job.state.rawValue)
        detail.set("error", job.lastError)
        detail.set("next_attempt_at", job.nextAttemptAt.map(Timestamp.iso))
        var write = StoreWrite(
            attempts: [
                AttemptRecord(
                    deliveryID: job.id, number: number, startedAt: started.millisecondsSince1970,
                    latencyMillis: latency.milliseconds, httpStatus: status, error: job.lastError,
                    outcome: job.state.rawValue
                )
            ],
            updates: [
                DeliveryUpdate(
                    id: job.id, state: job.state, attempts: number,
                    nextAttemptAt: job.nextAttemptAt?.millisecondsSince1970, lastStatus: status,
                    lastError: job.lastError, misconfiguration: job.misconfiguration,
                    deliveredAt: job.deliveredAt?.millisecondsSince1970, updatedAt: now
                )
            ],
            audit: [AuditEvent(timeMillis: now, kind: "delivery.attempt", subject: job.incidentID, detail: detail.json)]
        )
        if job.state.isFinal {
            write.auditFinal(
                delivery: job.id, incident: job.incidentID, channel: job.channel, recipient: job.recipient, state: job.state,
                attempts: number, misconfiguration: job.misconfiguration, at: now
            )
        }
        return write
    }
}
