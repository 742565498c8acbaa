import Foundation
public import Logging
public import PostgresNIO
import Synchronization
public import TocsinCore
public import TocsinStore

/// The client of the PostgreSQL server that accepts writes, followed across a failover (issue 17, item 6).
///
/// At start, `hosts` are probed in order (``PostgresConnector``). While ``run()`` runs, the server in use is asked
/// whether it accepts writes (not in recovery, not read-only) through the pool every second, and at once when a
/// statement failed for want of it (``suspect()``). When it does not answer, or no longer accepts writes (a standby,
/// or read-only), `hosts` are probed again — one probe at a time, with backoff — and the first that accepts writes
/// gets a new client, swapped in for every later statement; the old one is shut down, so what still waited on it
/// fails and its caller retries on the new one. A primary that comes back on the same host keeps its client: its pool reconnects by itself.
public final class PostgresPrimary: Sendable {
    let logger: Logger
    private let failover: Failover?
    private let state: Mutex<State>
    private let checks: AsyncStream<Void>
    private let check: AsyncStream<Void>.Continuation
    /// Finished once the first client runs (at once for a client given as is).
    private let running: (stream: AsyncStream<Never>, continuation: AsyncStream<Never>.Continuation) = AsyncStream.makeStream()

    /// How often the server in use is asked whether it still accepts writes, and how long it has to answer.
    static let checkEvery = Duration.seconds(1)
    static let answerWithin = Duration.seconds(3)

    private struct Failover: Sendable {
        var settings: Configuration.PostgreSQL
        var tls: TLSConfiguration?
        var node: String
    }

    private struct State {
        var client: PostgresClient
        var host: Configuration.PostgreSQL.Host?
        /// Raised at each swap: a statement that failed on one generation is retried on the next.
        var generation = 0
        /// Finishing it ends the current client's run (once it is replaced).
        var retire: AsyncStream<Never>.Continuation?
    }

    /// Finds the first of `hosts` that accepts writes; ``run()`` then runs its client and follows a failover.
    ///
    /// - Throws: `StoreError(.open)` naming each host and why it was passed over (never the password).
    public init(_ settings: Configuration.PostgreSQL, node: String, logger: Logger) async throws(StoreError) {
        let tls = try PostgresConnector.tlsConfiguration(for: settings)
        let host = try await PostgresConnector.writableHost(settings, tls: tls, logger: logger)
        logger.notice("PostgreSQL primary found", metadata: ["postgres.host": "\(host)", "postgres.database": "\(settings.database)"])
        let client = PostgresClient(
            configuration: PostgresConnector.clientConfiguration(host, settings: settings, tls: tls, node: node), backgroundLogger: logger
        )
        self.logger = logger
        failover = Failover(settings: settings, tls: tls, node: node)
        state = Mutex(State(client: client, host: host))
        (checks, check) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// One client, never replaced, that the caller runs (tests, the import).
    public init(client: PostgresClient, logger: Logger) {
        self.logger = logger
        failover = nil
        state = Mutex(State(client: client, host: nil))
        (checks, check) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
        running.continuation.finish()
    }

    /// Returns once ``run()`` runs the first client (for its one caller: the store's opening).
    func runs() async {
        for await _ in running.stream {}
    }

    /// The client every statement goes through now.
    public var client: PostgresClient { state.withLock { $0.client } }

    /// The host in use (nil for a client given as is).
    public var host: Configuration.PostgreSQL.Host? { state.withLock { $0.host } }

    var generation: Int { state.withLock { $0.generation } }

    /// A statement failed for want of the server (gone, closed, read-only): check it now rather than at the next tick.
    func suspect() { check.yield() }

    /// Runs the current client, checks it, and swaps in another when it stops accepting writes; until cancelled.
    /// Given a client as is, does nothing (its owner runs it).
    public func run() async {
        guard let failover else { return }
        await withDiscardingTaskGroup { group in
            let retire = await start(client, in: &group)
            state.withLock { $0.retire = retire }
            running.continuation.finish()
            group.addTask { [check] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: Self.checkEvery)
                    check.yield()
                }
            }
            // One check at a time, and checks asked for meanwhile coalesce into one: never two probes at once.
            for await _ in checks {
                if await acceptsWrites(client) { continue }
                await findPrimary(failover, in: &group)
            }
            group.cancelAll()
        }
    }

    /// Runs `client` until the returned continuation is finished (or the group is cancelled); returns once its run
    /// has begun, so no statement reaches its pool before (postgres-nio warns of that).
    private func start(_ client: PostgresClient, in group: inout DiscardingTaskGroup) async -> AsyncStream<Never>.Continuation {
        let (retired, retire) = AsyncStream<Never>.makeStream()
        let (began, begin) = AsyncStream<Never>.makeStream()
        group.addTask {
            await withDiscardingTaskGroup { running in
                running.addTask {
                    begin.finish()
                    await client.run()
                }
                for await _ in retired {}
                running.cancelAll()
            }
        }
        for await _ in began {}
        return retire
    }

    /// Whether the server behind `client` answers, within ``answerWithin``, that it accepts writes.
    ///
    /// The query is not awaited past the time allowed: in a task group, the check would wait for it to end, and a
    /// query stuck on a dead server's connection (or in a pool reconnecting) held every later check, so the failover
    /// never began. It is cancelled and left to end on its own.
    private func acceptsWrites(_ client: PostgresClient) async -> Bool {
        let logger = logger
        let answer = OneAnswer()
        // A stop does not wait for the timer either.
        return await withTaskCancellationHandler {
            await ask(client, logger: logger, answer: answer)
        } onCancel: {
            answer.give(false)
        }
    }

    private func ask(_ client: PostgresClient, logger: Logger, answer: OneAnswer) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            answer.set(continuation)
            let query = Task {
                do {
                    for try await row in try await client.query(PostgresConnector.writesQuery, logger: logger) {
                        answer.give(try PostgresConnector.writes(row) == .writable)
                        return
                    }
                    answer.give(false)
                } catch {
                    answer.give(false)
                }
            }
            let waiting = Task {
                // A pool whose server is gone waits for a connection rather than failing: no answer in time is one.
                guard (try? await Task.sleep(for: Self.answerWithin)) != nil else { return }
                answer.give(false)
            }
            answer.hold(query, waiting)
        }
    }

    /// The first of several answers, given once to whoever waits; it cancels the query and the timer, so checks
    /// every second leave neither behind.
    private final class OneAnswer: Sendable {
        private struct State {
            var waiting: CheckedContinuation<Bool, Never>?
            var tasks: [Task<Void, Never>] = []
            var answered = false
        }

        private let state = Mutex(State())

        /// Answered already (cancelled before it began): resumed at once.
        func set(_ continuation: CheckedContinuation<Bool, Never>) {
            let answered = state.withLock { state in
                if !state.answered { state.waiting = continuation }
                return state.answered
            }
            if answered { continuation.resume(returning: false) }
        }

        func hold(_ tasks: Task<Void, Never>...) {
            let answered = state.withLock { state in
                state.tasks = tasks
                return state.answered
            }
            if answered { for task in tasks { task.cancel() } }
        }

        func give(_ value: Bool) {
            let (waiting, tasks) = state.withLock { state in
                defer {
                    state.waiting = nil
                    state.tasks = []
                    state.answered = true
                }
                return (state.waiting, state.tasks)
            }
            for task in tasks { task.cancel() }
            waiting?.resume(returning: value)
        }
    }

    /// Probes `hosts` until one accepts writes, with backoff; swaps its client in unless it is the one in use.
    private func findPrimary(_ failover: Failover, in group: inout DiscardingTaskGroup) async {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                let host = try await PostgresConnector.writableHost(failover.settings, tls: failover.tls, logger: logger)
                if host != self.host { await swap(to: host, failover, in: &group) }
                return
            } catch {
                // The message names each host and why it was passed over; it never holds the password.
                logger.warning("no PostgreSQL server accepts writes; probing the hosts again", metadata: [
                    "store.error": "\(error.message)", "retry.in": "\(delay)",
                ])
            }
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }

    /// Starts a client for `host`, makes it the current one, and shuts the old one down.
    private func swap(to host: Configuration.PostgreSQL.Host, _ failover: Failover, in group: inout DiscardingTaskGroup) async {
        let client = PostgresClient(
            configuration: PostgresConnector.clientConfiguration(host, settings: failover.settings, tls: failover.tls, node: failover.node),
            backgroundLogger: logger
        )
        let retire = await start(client, in: &group)
        let (old, previous) = state.withLock { state in
            defer {
                state.client = client
                state.host = host
                state.generation += 1
                state.retire = retire
            }
            return (state.retire, state.host)
        }
        old?.finish()
        logger.notice("PostgreSQL primary changed: statements now go to the new one", metadata: [
            "postgres.host": "\(host)", "postgres.previous": "\(previous.map { "\($0)" } ?? "?")",
            "postgres.database": "\(failover.settings.database)",
        ])
    }
}
