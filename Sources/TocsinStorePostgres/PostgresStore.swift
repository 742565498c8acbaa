import Foundation
public import Logging
public import PostgresNIO
import Synchronization
import TocsinAudit
import TocsinCore
public import TocsinStore

/// The `Store` on PostgreSQL, for several `tocsind` nodes sharing one database (DESIGN.md "Several machines").
///
/// Runs on the client of a ``PostgresPrimary``, which the caller runs: the daemon through
/// ``withStore(primary:logger:_:)``, which follows a failover to the server that accepts writes; elsewhere
/// ``withStore(configuration:logger:_:)`` runs one fixed client for a scope. Every statement is bound (`$1`…): SQL
/// text holds only constant names and placeholders.
///
/// Durable before acknowledged: `commit` returns once PostgreSQL answered COMMIT, which with `synchronous_commit`
/// `on` (the default) means flushed to the primary's WAL, and with a synchronous standby also on the standby's.
/// A commit whose server went away is retried on the primary found next (``PostgresPrimary``); one whose answer
/// was lost with its connection is looked up there before it is answered either way (``CommitWitness``).
///
/// Writes are group-committed as SQLite's are: concurrent `commit` calls queue their batches, and one transaction
/// at a time carries every batch queued so far, with the audit entries appended after the head row is locked
/// (`FOR UPDATE`): other nodes' appends wait for it, so the chain stays contiguous across the cluster.
public final class PostgresStore: Store {
    let primary: PostgresPrimary
    let logger: Logger
    private let queue = Mutex(PendingWrites())
    private let writer = AsyncLock()
    private let headMoves = Mutex(AuditHeadMoves())
    private let onHeadMoved = Mutex<(@Sendable (String) -> Void)?>(nil)
    private let newDeliveryLease = Mutex<NewDeliveryLease?>(nil)
    /// The node named in the entries this store appends (``nameAuditEntries(by:)``).
    private let auditNode = Mutex(Configuration.Cluster.hostName)
    public let migrationsAppliedAtOpen: [String]

    struct PendingWrites {
        var nextTicket = 0
        var batches: [(ticket: Int, write: StoreWrite)] = []
        /// Results of batches committed by another caller's transaction.
        var outcomes: [Int: Result<Void, StoreError>] = [:]
    }

    /// The client statements go through now: the primary's, replaced when it fails over.
    var client: PostgresClient { primary.client }

    /// Opens the store on a running `client`: creates and migrates the schema (one node at a time).
    ///
    /// The client's `run()` must be running (or start soon): until then this waits for a connection.
    public convenience init(client: PostgresClient, logger: Logger) async throws(StoreError) {
        try await self.init(primary: PostgresPrimary(client: client, logger: logger), logger: logger)
    }

    /// Opens the store on `primary`, whose ``PostgresPrimary/run()`` must be running (or start soon).
    public init(primary: PostgresPrimary, logger: Logger) async throws(StoreError) {
        self.primary = primary
        self.logger = logger
        await primary.runs()
        do {
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            migrationsAppliedAtOpen = try await PostgresSchema.migrate(primary.client, logger: logger, at: now)
        } catch {
            throw StoreError.wrap(postgres: error, doing: "create or migrate the PostgreSQL schema")
        }
    }

    /// Runs `body` on the current client, and once more on the next one when the primary was replaced while it
    /// waited (its pool shut down): a read made during a failover is answered by the new primary rather than fail.
    /// Not for commits, which have their own rules (``commitTransaction(_:)``).
    func onPrimary<T>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        let generation = primary.generation
        do {
            return try await body(client)
        } catch {
            guard StoreError.wrap(postgres: error, doing: "").code == .open else { throw error }
            primary.suspect()
            guard primary.generation != generation else { throw error }
            return try await body(client)
        }
    }

    /// Runs `primary` (its client, and its failover), opens the store on it, runs `body`, then stops the client.
    public static func withStore<T: Sendable>(
        primary: PostgresPrimary, logger: Logger, _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await primary.run() }
            defer { group.cancelAll() }
            let store = try await PostgresStore(primary: primary, logger: logger)
            return try await body(store)
        }
    }

    /// Runs a client for `configuration`, opens the store on it, runs `body`, then closes the client.
    public static func withStore<T: Sendable>(
        configuration: PostgresClient.Configuration, logger: Logger, _ body: (PostgresStore) async throws -> T
    ) async throws -> T {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            let store = try await PostgresStore(client: client, logger: logger)
            return try await body(store)
        }
    }

    /// From now on, deliveries this store writes (and failed ones a resend reopens) are born leased to `node` for
    /// `millis` from their `updatedAt`, at generation 0: `node` sends new ones under that lease (renewing it) with
    /// no claim, and no other node takes them over unless it lapses. A reopened one is claimed
    /// (``claimDeliveries(_:node:now:leaseMillis:)``), its generation being whatever it was. Without it they are
    /// written unheld.
    public func leaseNewDeliveries(to node: String, for millis: Int64) {
        newDeliveryLease.withLock { $0 = NewDeliveryLease(node: node, millis: millis) }
    }

    // MARK: Commit

    public func commit(_ write: StoreWrite) async throws(StoreError) {
        let ticket = queue.withLock { pending in
            pending.nextTicket += 1
            pending.batches.append((pending.nextTicket, write))
            return pending.nextTicket
        }
        // Detached from the caller's cancellation on purpose, as SQLite's: a cancelled lease or query would roll
        // back every batch grouped with this one.
        let flush = Task { () -> Result<Void, StoreError> in
            await self.writer.lock()
            defer { self.writer.unlock() }
            return await self.flush(ticket: ticket)
        }
        try await flush.value.get()
    }

    /// Under the writer lock: commits every queued batch in one transaction; if that fails, each batch alone, so
    /// one bad batch cannot sink the others. Each caller learns its own batch's result.
    private func flush(ticket: Int) async -> Result<Void, StoreError> {
        if let outcome = queue.withLock({ $0.outcomes.removeValue(forKey: ticket) }) { return outcome }
        let taken = queue.withLock { pending in
            defer { pending.batches.removeAll(keepingCapacity: true) }
            return pending.batches
        }
        var results: [Int: Result<Void, StoreError>] = [:]
        switch await commitTransaction(taken.map(\.write)) {
        case .success:
            for (id, _) in taken { results[id] = .success(()) }
        case .failure(let failure):
            // Alone, each would wait for the server as long again: the batches share a server that is gone.
            if taken.count == 1 || failure.code == .open {
                for (id, _) in taken { results[id] = .failure(failure) }
            } else {
                for (id, batch) in taken { results[id] = await commitTransaction([batch]) }
            }
        }
        queue.withLock { pending in
            for (id, result) in results where id != ticket { pending.outcomes[id] = result }
        }
        return results[ticket] ?? .success(())
    }

    /// One transaction, carried through a failover: made again while the server is gone or read-only (nothing was
    /// stored), for up to ``failoverPatience``; and when the answer to COMMIT was lost with the connection, looked up
    /// on the primary found next (``CommitWitness``) before it is answered: committed, or made again there — never
    /// twice, and never acknowledged unless stored.
    private func commitTransaction(_ batches: [StoreWrite]) async -> Result<Void, StoreError> {
        let started = ContinuousClock.now
        var delay = Duration.milliseconds(100)
        var contended = 0
        while true {
            let failure: StoreError
            switch await attemptTransaction(batches) {
            case .committed:
                return .success(())
            case .notCommitted(let error) where error.code == .busy && contended < Self.contendedRetries:
                // Rolled back as a deadlock's victim or a serialization failure (SQLSTATE class 40), or a lock
                // not available (55): nothing stored, and made again at once succeeds once the other is through.
                contended += 1
                logger.notice("commit rolled back by PostgreSQL under contention; making it again", metadata: ["store.error": "\(error)"])
                continue
            case .notCommitted(let error):
                guard error.code == .open, ContinuousClock.now - started < Self.failoverPatience else { return .failure(error) }
                failure = error
            case .answerLost(let error, let witness):
                logger.warning("the answer to a commit was lost with its connection; looking it up on the primary", metadata: [
                    "store.error": "\(error)", "commit.witness": "\(witness.map { "\($0)" } ?? "none")",
                ])
                guard let witness else {
                    return .failure(StoreError(.open, "the PostgreSQL server went away while committing, and whether it was saved cannot be looked up (\(error.message)); check with `tocsinctl status` before trying again"))
                }
                switch await lookUp(witness, since: started) {
                case true?:
                    logger.notice("a commit whose answer was lost is stored", metadata: ["commit.witness": "\(witness)"])
                    return .success(())
                case false?:
                    // Not on the primary now: never stored, so made again, once.
                    logger.notice("a commit whose answer was lost is not stored; making it again", metadata: ["commit.witness": "\(witness)"])
                    failure = error
                case nil:
                    return .failure(StoreError(.open, "the PostgreSQL server went away while committing and no primary answered since (\(error.message)); whether it was saved is not known: check with `tocsinctl status` before trying again"))
                }
            }
            primary.suspect()
            logger.warning("commit not made: the PostgreSQL server is gone or read-only; trying again on the primary", metadata: [
                "store.error": "\(failure)", "retry.in": "\(delay)",
            ])
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
        }
    }

    /// How many times a commit rolled back under contention is made again before its error is returned.
    static let contendedRetries = 3
    /// How long a commit is made again while no server accepts writes before it is refused (a failover takes
    /// seconds; a send waits that long rather than be refused during it).
    static let failoverPatience = Duration.seconds(30)
    /// How long a commit whose answer was lost waits for a primary to look it up on.
    static let lookUpPatience = Duration.seconds(300)

    /// What one commit left behind, to tell whether it is stored once its answer was lost: an incident it wrote, or
    /// else the last audit entry it chained (its hash covers the previous one, so no other commit has it).
    enum CommitWitness: CustomStringConvertible {
        case incident(String)
        case auditEntry(AuditHead)

        var description: String {
            switch self {
            case .incident(let id): "incident \(id)"
            case .auditEntry(let head): "audit entry \(head.seq)"
            }
        }
    }

    enum TransactionOutcome {
        case committed
        /// Rolled back or never begun: nothing of it is stored.
        case notCommitted(StoreError)
        /// COMMIT was sent and its answer lost with the connection: stored or not.
        case answerLost(StoreError, CommitWitness?)
    }

    /// Whether `witness` is on the primary, asked until one answers or ``lookUpPatience`` has passed (nil).
    private func lookUp(_ witness: CommitWitness, since started: ContinuousClock.Instant) async -> Bool? {
        let query: PostgresQuery = switch witness {
        case .incident(let id): "SELECT EXISTS (SELECT 1 FROM incident WHERE id = \(id))"
        case .auditEntry(let head): "SELECT EXISTS (SELECT 1 FROM audit WHERE seq = \(head.seq) AND hash = \(head.hash))"
        }
        var delay = Duration.milliseconds(100)
        while ContinuousClock.now - started < Self.lookUpPatience {
            primary.suspect()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(2))
            do {
                return try await rows("look up a commit whose answer was lost", query) { try $0.decode(Bool.self) }.first ?? false
            } catch {
                logger.warning("cannot look up a commit whose answer was lost yet", metadata: ["store.error": "\(error)"])
            }
        }
        return nil
    }

    /// One transaction. The chain continues from its last entry as read inside the transaction, after the head
    /// row is locked, so it can never fork from a stale memory of it nor interleave with another node's append.
    private func attemptTransaction(_ batches: [StoreWrite]) async -> TransactionOutcome {
        var witness = batches.lazy.flatMap(\.incidents).first.map { CommitWitness.incident($0.id) }
        do {
            try await client.withTransaction(logger: logger) { connection in
                var writer = PostgresWriter(connection: connection, logger: logger)
                writer.newDeliveryLease = newDeliveryLease.withLock { $0 }
                writer.auditNode = auditNode.withLock { $0 }
                var head = AuditHead.empty
                let appends = batches.contains { !$0.audit.isEmpty || $0.checkpoint != nil || $0.cancelElsewhere != nil }
                var recorded = AuditHead.empty
                if appends {
                    recorded = try await writer.lockedHead()
                    head = try await writer.lastEntry()
                    // The head row and the last entry are written together by every append: apart, something other
                    // than tocsind changed the audit table. Recorded, never refused: alerting must not stop over it.
                    if head != recorded { noteMove(found: head, recorded: recorded) }
                    // Tainted until an approver accepts: a checkpoint never signs a chain that another writer touched.
                    if batches.contains(where: { $0.checkpoint != nil }), let found = headMoves.withLock({ $0.unaccepted }) {
                        throw StoreError(.tampered, found)
                    }
                }
                let generations = try await writer.lockDeliveries(of: batches)
                for batch in batches { try await writer.apply(batch, generations: generations, head: &head) }
                if appends, head != recorded {
                    try await writer.setHead(head)
                    if witness == nil { witness = .auditEntry(head) }
                }
            }
            return .committed
        } catch {
            let failure = StoreError.wrap(postgres: error, doing: "save to the state database")
            // A COMMIT the server answered with an error was rolled back; one whose connection failed may be stored.
            if let transaction = error as? PostgresTransactionError, let commitError = transaction.commitError,
               (commitError as? PSQLError)?.code != .server {
                return .answerLost(failure, witness)
            }
            return .notCommitted(failure)
        }
    }

    // MARK: Audit head moves

    public func nameAuditEntries(by node: String) { auditNode.withLock { $0 = node } }

    public var auditHeadMoves: AuditHeadMoves { headMoves.withLock { $0 } }

    public func acceptAuditHeadMoves() { headMoves.withLock { $0.accepted = $0.count } }

    public func onAuditHeadMoved(_ handler: @escaping @Sendable (String) -> Void) { onHeadMoved.withLock { $0 = handler } }

    public func checkAuditHead() async throws(StoreError) {
        do {
            let (recorded, last) = try await client.withConnection { connection in
                let reader = PostgresWriter(connection: connection, logger: logger)
                return (try await reader.recordedHead(), try await reader.lastEntry())
            }
            if last != recorded { noteMove(found: last, recorded: recorded) }
        } catch {
            throw StoreError.wrap(postgres: error, doing: "read the audit head")
        }
    }

    private func noteMove(found current: AuditHead, recorded: AuditHead) {
        let found = "the audit log's last entry is \(current.seq) (\(current.hash.prefix(12))…) but tocsind last recorded entry \(recorded.seq) (\(recorded.hash.prefix(12))…): the audit table was changed by something other than tocsind"
        headMoves.withLock { $0.count += 1; $0.last = found }
        onHeadMoved.withLock { $0 }?(found)
        logger.warning("audit head moved", metadata: ["audit.found": "\(current.seq)", "audit.recorded": "\(recorded.seq)"])
    }
}
