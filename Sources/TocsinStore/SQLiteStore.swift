import Foundation
public import GRDB
import Synchronization
public import TocsinAudit
import TocsinCore

/// The SQLite store: one `DatabasePool` (WAL) for the process, `synchronous=FULL` so a commit survives power loss.
///
/// Writes are group-committed: concurrent `commit` calls queue their batches, and the first transaction to reach
/// GRDB's serial writer takes every batch queued so far. Under load one fsync covers hundreds of attempts;
/// alone, a commit costs one transaction as usual.
public final class SQLiteStore: Store {
    private let pool: DatabasePool
    private let queue = Mutex(PendingWrites())
    /// The audit chain's head as last committed by this process: `verifyAudit` reports a chain that ends before it.
    private let head: Mutex<AuditHead>
    private let headMoves = Mutex(AuditHeadMoves())
    private let onHeadMoved = Mutex<(@Sendable (String) -> Void)?>(nil)
    /// The node named in the entries this store appends (``nameAuditEntries(by:)``).
    private let auditNode = Mutex(Configuration.Cluster.hostName)
    public let migrationsAppliedAtOpen: [String]
    /// The database file (its WAL is beside it).
    public var databasePath: String { pool.path }

    struct PendingWrites {
        var nextTicket = 0
        var batches: [(ticket: Int, write: StoreWrite)] = []
        /// Results of batches committed by another caller's transaction.
        var outcomes: [Int: Result<Void, StoreError>] = [:]
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String) throws(StoreError) {
        var configuration = GRDB.Configuration()
        configuration.prepareDatabase { db in
            // FULL: in WAL mode, NORMAL can lose the last commits on power loss; "durable before acknowledged" forbids it.
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        configuration.busyMode = .timeout(5)
        do {
            let folder = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // Checked through a read-only connection before the pool opens: GRDB's pool writes on open (a table
            // created and dropped when the WAL is empty), which a fault test caught changing a damaged file that
            // must stay byte-identical as evidence.
            if FileManager.default.fileExists(atPath: path) {
                var readOnly = GRDB.Configuration()
                readOnly.readonly = true
                let checker = try DatabaseQueue(path: path, configuration: readOnly)
                let integrity = try checker.read { db in try String.fetchOne(db, sql: "PRAGMA quick_check") }
                try checker.close()
                if integrity != "ok" {
                    throw StoreError(.corrupt, "the state database \(path) is damaged (\(integrity ?? "no answer")); restore it from a backup, the daemon will not overwrite it")
                }
            }
            pool = try DatabasePool(path: path, configuration: configuration)
            // GRDB's WAL set-up runs after prepareDatabase and sets the writer to synchronous=NORMAL (no fsync per
            // commit, seen with strace): set FULL again on the writer, the connection every commit goes through.
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            let migrator = Schema.migrator
            let before = try pool.read { db in try migrator.appliedIdentifiers(db) }
            try migrator.migrate(pool)
            let after = try pool.read { db in try migrator.appliedIdentifiers(db) }
            migrationsAppliedAtOpen = Array(after.subtracting(before)).sorted()
            head = Mutex(try pool.read(Self.readHead))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, doing: "open the state database \(path)")
        }
    }

    public func commit(_ write: StoreWrite) async throws(StoreError) {
        let ticket = queue.withLock { pending in
            pending.nextTicket += 1
            pending.batches.append((pending.nextTicket, write))
            return pending.nextTicket
        }
        // Detached from the caller's cancellation on purpose: GRDB interrupts a cancelled write, which would
        // roll back every batch grouped with it and leave this batch queued for someone else to commit.
        let write = Task { try await self.pool.writeWithoutTransaction { db in try self.flush(db, ticket: ticket) } }
        do {
            try await write.value
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, doing: "save to the state database")
        }
    }

    /// Runs on GRDB's serial writer. Commits every queued batch in one transaction; if that fails, commits each
    /// batch alone so one bad batch cannot sink the others. Each caller learns its own batch's result.
    private func flush(_ db: Database, ticket: Int) throws {
        if let outcome = queue.withLock({ $0.outcomes.removeValue(forKey: ticket) }) {
            return try outcome.get()
        }
        let taken = queue.withLock { pending in
            defer { pending.batches.removeAll(keepingCapacity: true) }
            return pending.batches
        }
        var results: [Int: Result<Void, StoreError>] = [:]
        do {
            try commitTransaction(db, taken.map(\.write))
            for (id, _) in taken { results[id] = .success(()) }
        } catch {
            let failure = StoreError.wrap(error, doing: "save to the state database")
            if taken.count == 1 {
                results[taken[0].ticket] = .failure(failure)
            } else {
                for (id, batch) in taken {
                    do {
                        try commitTransaction(db, [batch])
                        results[id] = .success(())
                    } catch {
                        results[id] = .failure(StoreError.wrap(error, doing: "save to the state database"))
                    }
                }
            }
        }
        queue.withLock { pending in
            for (id, result) in results where id != ticket { pending.outcomes[id] = result }
        }
        try (results[ticket] ?? .success(())).get()
    }

    /// One transaction; the audit chain continues from the head on disk, read inside the transaction, so the
    /// chain can never fork from a stale memory of it.
    private func commitTransaction(_ db: Database, _ batches: [StoreWrite]) throws {
        var current = AuditHead.empty
        try db.inTransaction(.immediate) {
            current = try Self.readHead(db)
            // This process is the only writer (StateLock): a head other than the one it left means someone else
            // changed the audit table. Recorded, never refused: alerting must not stop over an audit problem.
            _ = noteMove(found: current)
            // Tainted until an approver accepts: a checkpoint never signs a chain that another writer touched, not
            // even when a batch committed before it (in this transaction or the per-batch retry) adopted the head.
            if batches.contains(where: { $0.checkpoint != nil }), let found = headMoves.withLock({ $0.unaccepted }) {
                throw StoreError(.tampered, found)
            }
            let node = auditNode.withLock { $0 }
            for batch in batches { try Self.apply(batch, by: node, to: db, head: &current) }
            return .commit
        }
        head.withLock { $0 = current }
    }

    public func nameAuditEntries(by node: String) { auditNode.withLock { $0 = node } }

    public var auditHeadMoves: AuditHeadMoves { headMoves.withLock { $0 } }

    public func acceptAuditHeadMoves() { headMoves.withLock { $0.accepted = $0.count } }

    /// Called (on the writer's queue) each time a move of the head is found, so the daemon can record it at once
    /// rather than at its next checkpoint.
    public func onAuditHeadMoved(_ handler: @escaping @Sendable (String) -> Void) { onHeadMoved.withLock { $0 = handler } }

    public func checkAuditHead() async throws(StoreError) {
        // On the serial writer, so no commit of this process lands between the read and the comparison.
        do {
            try await pool.writeWithoutTransaction { db in _ = self.noteMove(found: try Self.readHead(db)) }
        } catch {
            throw StoreError.wrap(error, doing: "read the audit head")
        }
    }

    /// Records a move when `current` is not the head this process left; returns the finding in words.
    private func noteMove(found current: AuditHead) -> String? {
        let left = head.withLock { $0 }
        guard current != left else { return nil }
        let found = "the audit log's last entry is \(current.seq) (\(current.hash.prefix(12))…) but tocsind last wrote entry \(left.seq) (\(left.hash.prefix(12))…): the audit table was changed by something other than tocsind"
        headMoves.withLock { $0.count += 1; $0.last = found }
        onHeadMoved.withLock { $0 }?(found)
        return found
    }

    private static func apply(_ write: StoreWrite, by node: String, to db: Database, head: inout AuditHead) throws {
        for incident in write.incidents { try incident.insert(db) }
        // Hot rows go through cached statements with values bound directly (Statement+Row.swift): GRDB's Codable record
        // insert (a persistence container per row) was most of the commit time in the fan-out and time-to-notify profiles.
        let numbers = try insertPayloads(write.payloads, into: db)
        if !write.deliveries.isEmpty {
            let statement = try db.cachedStatement(sql: Self.insertDelivery)
            for delivery in write.deliveries {
                let key = PayloadKey(incidentID: delivery.incidentID, channel: delivery.channel)
                guard let number = try numbers[key] ?? storedPayloadNumber(key, in: db) else {
                    throw StoreError(.constraint, "delivery \(delivery.id) has no payload for channel '\(delivery.channel)' of incident \(delivery.incidentID)")
                }
                try statement.execute { row in
                    row.bind(delivery.id); row.bind(delivery.incidentID); row.bind(delivery.channel); row.bind(delivery.recipient)
                    row.bind(delivery.state); row.bind(delivery.attempts); row.bind(delivery.createdAt); row.bind(delivery.deadlineAt)
                    row.bind(delivery.nextAttemptAt); row.bind(delivery.lastStatus); row.bind(delivery.lastError)
                    row.bind(delivery.misconfiguration); row.bind(delivery.deliveredAt); row.bind(delivery.updatedAt); row.bind(number)
                    row.bind(delivery.receipt)
                }
            }
        }
        if !write.attempts.isEmpty {
            let statement = try db.cachedStatement(sql: """
                INSERT INTO attempt (deliveryID, number, startedAt, latencyMillis, httpStatus, error, outcome, receipt, generation, late)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for attempt in write.attempts {
                try statement.execute { row in
                    row.bind(attempt.deliveryID); row.bind(attempt.number); row.bind(attempt.startedAt); row.bind(attempt.latencyMillis)
                    row.bind(attempt.httpStatus); row.bind(attempt.error); row.bind(attempt.outcome); row.bind(attempt.receipt)
                    row.bind(attempt.generation); row.bind(attempt.late)
                }
            }
        }
        if !write.updates.isEmpty {
            let statement = try db.cachedStatement(sql: """
                UPDATE delivery SET state = ?, attempts = ?, nextAttemptAt = ?, lastStatus = ?, lastError = ?,
                misconfiguration = ?, deliveredAt = ?, updatedAt = ?, receipt = COALESCE(?, receipt) WHERE id = ?
                """)
            for update in write.updates {
                try statement.execute { row in
                    row.bind(update.state.rawValue); row.bind(update.attempts); row.bind(update.nextAttemptAt); row.bind(update.lastStatus)
                    row.bind(update.lastError); row.bind(update.misconfiguration); row.bind(update.deliveredAt); row.bind(update.updatedAt)
                    row.bind(update.receipt); row.bind(update.id)
                }
            }
        }
        if !write.reopened.isEmpty {
            // Only from `failed` (DeliveryState.isReopenable); the last error stays in the attempt log.
            let statement = try db.cachedStatement(sql: """
                UPDATE delivery SET state = 'pending', deadlineAt = ?, nextAttemptAt = NULL, lastError = NULL,
                misconfiguration = 0, updatedAt = ? WHERE id = ? AND state = 'failed'
                """)
            for reopening in write.reopened {
                try statement.execute(arguments: [reopening.deadlineAt, reopening.updatedAt, reopening.id])
                guard db.changesCount == 1 else {
                    throw StoreError(.constraint, "delivery \(reopening.id) is no longer failed: it was reopened or changed meanwhile")
                }
            }
        }
        for approval in write.approvals { try approval.insert(db) }
        for change in write.webUsers { try apply(change, to: db) }
        // A cached statement, as for the other rows of a send: GRDB's Codable insert would cost its first use at the
        // first alert after a start.
        for request in write.sendRequests {
            try db.cachedStatement(sql: "INSERT INTO send_request (key, digest, incidentID, createdAt) VALUES (?, ?, ?, ?)")
                .execute(arguments: [request.key, request.digest, request.incidentID, request.createdAt])
        }
        if !write.audit.isEmpty {
            let statement = try db.cachedStatement(sql: Self.insertAudit)
            for event in write.audit { try append(event, by: node, to: db, head: &head, with: statement) }
        }
        if let checkpoint = write.checkpoint {
            try verifyIncrement(db, from: checkpoint.verified, to: head)
            let detail = try checkpoint.signer.checkpointDetail(head: head, timeMillis: checkpoint.timeMillis, reason: checkpoint.reason)
            let event = AuditEvent(timeMillis: checkpoint.timeMillis, kind: AuditCheckpoint.kind, subject: "audit", detail: detail)
            try append(event, by: node, to: db, head: &head)
        }
    }

    /// Writes one row per distinct body of each incident (channels with the same bytes share it) and returns the
    /// number each channel's payload got.
    private static func insertPayloads(_ payloads: [PayloadRecord], into db: Database) throws -> [PayloadKey: Int] {
        guard !payloads.isEmpty else { return [:] }
        struct Content: Hashable {
            var incidentID: String
            var contentType: String
            var body: Data
        }
        // Sized up front: growing a dictionary instantiates its storage type by mangled name each time (~55,000
        // instructions in the profile of a 100-channel send).
        var numbers: [PayloadKey: Int] = Dictionary(minimumCapacity: payloads.count)
        var distinct: [Content: Int] = [:]
        var last: [String: Int] = [:]
        let statement = try db.cachedStatement(sql: Self.insertPayload)
        for payload in payloads {
            let content = Content(incidentID: payload.incidentID, contentType: payload.contentType, body: payload.body)
            let number: Int
            if let shared = distinct[content] {
                number = shared
            } else {
                // Payloads are written with their incident, so this is 0; a later addition continues the numbering.
                let previous = try last[payload.incidentID]
                    ?? Int.fetchOne(db, sql: "SELECT MAX(number) FROM payload WHERE incidentID = ?", arguments: [payload.incidentID]) ?? 0
                number = previous + 1
                last[payload.incidentID] = number
                distinct[content] = number
                try statement.execute(arguments: [payload.incidentID, number, payload.contentType, payload.body])
            }
            numbers[PayloadKey(incidentID: payload.incidentID, channel: payload.channel)] = number
        }
        return numbers
    }

    /// The payload an earlier delivery of the same channel and incident uses (a delivery added after its send).
    private static func storedPayloadNumber(_ key: PayloadKey, in db: Database) throws -> Int? {
        try Int.fetchOne(
            db, sql: "SELECT payload FROM delivery WHERE incidentID = ? AND channel = ? LIMIT 1",
            arguments: [key.incidentID, key.channel]
        )
    }

    /// - Parameter statement: the cached insert, looked up once per write (the cache is keyed by the SQL text).
    private static func append(
        _ event: AuditEvent, by node: String, to db: Database, head: inout AuditHead, with cached: Statement? = nil
    ) throws {
        let entry = AuditEntry(
            seq: head.seq + 1, timeMillis: event.timeMillis, kind: event.kind, actorUID: event.actorUID,
            actorPID: event.actorPID, subject: event.subject, node: node, detail: event.detail, prevHash: head.hash
        )
        let statement = try cached ?? db.cachedStatement(sql: Self.insertAudit)
        try statement.execute { row in
            row.bind(entry.seq); row.bind(entry.timeMillis); row.bind(entry.kind); row.bind(entry.actorUID); row.bind(entry.actorPID)
            row.bind(entry.subject); row.bind(entry.node); row.bind(entry.detail); row.bind(entry.prevHash); row.bind(entry.hash)
        }
        head = AuditHead(seq: entry.seq, hash: entry.hash)
    }

    /// Inside the checkpoint's transaction: the entries from `verified` (checked by the caller) to `head` must still
    /// link, so what is signed is what was checked plus entries this transaction chained on.
    private static func verifyIncrement(_ db: Database, from verified: AuditHead, to head: AuditHead) throws {
        guard head.seq >= verified.seq else {
            throw StoreError(.tampered, "the audit log now ends at entry \(head.seq), before entry \(verified.seq) that was just verified: entries were deleted")
        }
        var verifier = AuditVerifier(afterSeq: verified.seq, head: verified.hash)
        if verified.seq > 0 {
            let hash = try String.fetchOne(db, sql: "SELECT hash FROM audit WHERE seq = ?", arguments: [verified.seq])
            guard hash == verified.hash else {
                throw StoreError(.tampered, "entry \(verified.seq) changed since it was verified: the audit log was rewritten")
            }
        }
        let rows = try Row.fetchCursor(db, sql: Self.auditColumns + " WHERE seq > ? ORDER BY seq", arguments: [verified.seq])
        while let row = try rows.next() {
            if let problem = verifier.check(Self.entry(row)) { throw StoreError(.tampered, problem.description) }
        }
    }

    /// Rows as stored, also what ``SQLiteExport`` writes a backup with.
    static let insertDelivery = """
        INSERT INTO delivery (id, incidentID, channel, recipient, state, attempts, createdAt, deadlineAt, nextAttemptAt,
        lastStatus, lastError, misconfiguration, deliveredAt, updatedAt, payload, receipt)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    static let insertPayload = "INSERT INTO payload (incidentID, number, contentType, body) VALUES (?, ?, ?, ?)"
    static let insertAudit = """
        INSERT INTO audit (seq, timeMillis, kind, actorUID, actorPID, subject, node, detail, prevHash, hash)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """

    private static let auditColumns = "SELECT seq, timeMillis, kind, actorUID, actorPID, subject, node, detail, prevHash, hash FROM audit"

    private static func entry(_ row: Row) -> AuditEntry {
        AuditEntry(
            stored: row[0], timeMillis: row[1], kind: row[2], actorUID: row[3], actorPID: row[4],
            subject: row[5], node: row[6], detail: row[7], prevHash: row[8], hash: row[9]
        )
    }

    static func readHead(_ db: Database) throws -> AuditHead {
        guard let row = try Row.fetchOne(db, sql: "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1") else {
            return .empty
        }
        return AuditHead(seq: row[0], hash: row[1])
    }

    // MARK: Reads

    public func unfinishedDeliveries() async throws(StoreError) -> [DeliveryRecord] {
        try await read("read unfinished deliveries") { db in
            try DeliveryRecord.fetchAll(db, sql: """
                SELECT * FROM delivery WHERE state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled'
                ORDER BY createdAt, id
                """)
        }
    }

    public func payloads(for keys: Set<PayloadKey>) async throws(StoreError) -> [PayloadKey: PayloadRecord] {
        try await read("read payloads") { db in
            var result: [PayloadKey: PayloadRecord] = [:]
            // Channels that share a body share one `Data` here too (a recovered 1,000-channel send reads it once).
            var bodies: [String: [Int: (contentType: String, body: Data)]] = [:]
            for key in keys {
                guard let number = try Self.storedPayloadNumber(key, in: db) else { continue }
                if bodies[key.incidentID]?[number] == nil {
                    let row = try Row.fetchOne(
                        db, sql: "SELECT contentType, body FROM payload WHERE incidentID = ? AND number = ?",
                        arguments: [key.incidentID, number]
                    )
                    guard let row else { continue }
                    bodies[key.incidentID, default: [:]][number] = (row[0], row[1])
                }
                if let stored = bodies[key.incidentID]?[number] {
                    result[key] = PayloadRecord(incidentID: key.incidentID, channel: key.channel, contentType: stored.contentType, body: stored.body)
                }
            }
            return result
        }
    }

    public func incident(_ id: String) async throws(StoreError) -> IncidentRecord? {
        try await read("read incident") { db in try IncidentRecord.fetchOne(db, key: id) }
    }

    public func recentIncidents(limit: Int) async throws(StoreError) -> [IncidentRecord] {
        try await read("read incidents") { db in
            // Heartbeats (CAP status System) are the daemon's own checks, not incidents anyone handled.
            try IncidentRecord.filter(Column("status") != "System").order(Column("createdAt").desc).limit(limit).fetchAll(db)
        }
    }

    public func lastHeartbeat() async throws(StoreError) -> IncidentRecord? {
        try await read("read the last heartbeat") { db in
            try IncidentRecord.filter(Column("status") == "System").order(Column("createdAt").desc).fetchOne(db)
        }
    }

    public func followUps(of id: String) async throws(StoreError) -> [IncidentRecord] {
        try await read("read follow-ups") { db in
            try IncidentRecord.filter(Column("references") == id).order(Column("createdAt")).fetchAll(db)
        }
    }

    public func deliveries(ofIncident id: String) async throws(StoreError) -> [DeliveryRecord] {
        try await read("read deliveries") { db in
            try DeliveryRecord.filter(Column("incidentID") == id).order(Column("channel"), Column("recipient")).fetchAll(db)
        }
    }

    public func attempts(ofIncident id: String) async throws(StoreError) -> [AttemptRecord] {
        try await read("read attempts") { db in
            try AttemptRecord.fetchAll(db, sql: """
                SELECT attempt.* FROM attempt JOIN delivery ON delivery.id = attempt.deliveryID
                WHERE delivery.incidentID = ? ORDER BY attempt.startedAt, attempt.rowid
                """, arguments: [id])
        }
    }

    public func sendRequest(key: String) async throws(StoreError) -> SendRequestRecord? {
        try await read("read a send request key") { db in try SendRequestRecord.fetchOne(db, key: ["key": key]) }
    }

    public func webUsers() async throws(StoreError) -> [WebUserRecord] {
        try await read("read web users") { db in try WebUserRecord.order(Column("name")).fetchAll(db) }
    }

    public func webUser(named name: String) async throws(StoreError) -> WebUserRecord? {
        try await read("read a web user") { db in try WebUserRecord.fetchOne(db, key: ["name": name]) }
    }

    private static func apply(_ change: WebUserChange, to db: Database) throws {
        switch change {
        case .add(let user):
            // A name taken changes no row, and the commit fails below.
            try user.insert(db, onConflict: .ignore)
        case .reset(let user):
            try db.execute(sql: """
                UPDATE web_user SET passwordHash = ?, sealedSeed = ?, seedKeyID = ?, updatedAt = ?, failures = 0, lastFailureAt = 0,
                lastTOTPStep = NULL WHERE name = ?
                """, arguments: [user.passwordHash, user.sealedSeed, user.seedKeyID, user.updatedAt, user.name])
        case .remove(let name):
            try db.execute(sql: "DELETE FROM web_user WHERE name = ?", arguments: [name])
        case .unlock(let name, let at):
            try db.execute(sql: "UPDATE web_user SET failures = 0, lastFailureAt = 0, updatedAt = ? WHERE name = ?", arguments: [at, name])
        case .signInFailed(let name, let at, let forgetBefore):
            try db.execute(sql: """
                UPDATE web_user SET failures = CASE WHEN lastFailureAt <= ? THEN 1 ELSE failures + 1 END, lastFailureAt = ? WHERE name = ?
                """, arguments: [forgetBefore, at, name])
        case .codeAccepted(let name, let step, let clearsFailures):
            try db.execute(sql: """
                UPDATE web_user SET failures = CASE WHEN ? THEN 0 ELSE failures END,
                lastFailureAt = CASE WHEN ? THEN 0 ELSE lastFailureAt END, lastTOTPStep = ?
                WHERE name = ? AND (lastTOTPStep IS NULL OR lastTOTPStep < ?)
                """, arguments: [clearsFailures, clearsFailures, step, name, step])
        }
        guard db.changesCount == 1 else { throw change.conflict }
    }

    public func approvals(ofTemplate id: String) async throws(StoreError) -> [ApprovalRecord] {
        try await read("read approvals") { db in
            // A cached statement: every send reads them, and the query builder wrote and prepared the SQL each time.
            try ApprovalRecord.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM approval WHERE templateID = ? ORDER BY approvedAt DESC"), arguments: [id]
            )
        }
    }

    public func channelActivity() async throws(StoreError) -> [String: ChannelActivity] {
        try await read("read channel activity") { db in
            var activity: [String: ChannelActivity] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, MAX(deliveredAt) FROM delivery WHERE state = 'delivered' GROUP BY channel") {
                activity[row[0], default: ChannelActivity()].lastDeliveredAt = row[1]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT d.channel, a.startedAt, a.error FROM attempt a JOIN delivery d ON d.id = a.deliveryID
                WHERE a.rowid IN (
                    SELECT MAX(a2.rowid) FROM attempt a2 JOIN delivery d2 ON d2.id = a2.deliveryID
                    WHERE a2.error IS NOT NULL GROUP BY d2.channel)
                """) {
                activity[row[0], default: ChannelActivity()].lastErrorAt = row[1]
                activity[row[0], default: ChannelActivity()].lastError = row[2]
            }
            // SQLite returns the other columns of the row that holds the MAX (a documented bare-column rule).
            for row in try Row.fetchAll(db, sql: """
                SELECT channel, state, MAX(updatedAt) FROM delivery WHERE state IN ('delivered', 'failed') GROUP BY channel
                """) {
                activity[row[0], default: ChannelActivity()].lastFinalFailed = (row[1] as String) == "failed"
            }
            return activity
        }
    }

    public func backup(to path: String) async throws(StoreError) -> AuditHead {
        let temporary = try PrivateFile.createTemporary(for: path)
        do {
            let destination = try DatabaseQueue(path: temporary)
            // GRDB's async write runs on the destination's own queue: the page copy never holds a thread of the
            // cooperative pool (what `DatabasePool.backup(to:)` did, called from this async function).
            let source = pool
            try await destination.writeWithoutTransaction { destinationDB in
                try source.read { sourceDB in try sourceDB.backup(to: destinationDB) }
            }
            let head = try await destination.read(Self.readHead)
            try destination.close()
            try PrivateFile.moveIntoPlace(temporary, path)
            return head
        } catch let error as StoreError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError.wrap(error, doing: "back up the state database to \(path)")
        }
    }

    public func recentFailures(limit: Int) async throws(StoreError) -> [DeliveryRecord] {
        try await read("read recent failures") { db in
            try DeliveryRecord.filter(Column("state") == DeliveryState.failed.rawValue)
                .order(Column("updatedAt").desc).limit(limit).fetchAll(db)
        }
    }

    public func probeWrite(at timeMillis: Int64) async throws(StoreError) {
        do {
            try await pool.write { db in
                try db.execute(
                    sql: "INSERT OR REPLACE INTO healthProbe (id, at, filler) VALUES (1, ?, randomblob(65536))",
                    arguments: [timeMillis]
                )
            }
        } catch {
            throw StoreError.wrap(error, doing: "write the health probe")
        }
    }

    public func auditHead() async throws(StoreError) -> AuditHead {
        try await read("read the audit head", Self.readHead)
    }

    public func auditEntries(afterSeq: Int64, limit: Int, subject: String?, newest: Bool) async throws(StoreError) -> [AuditEntry] {
        try await read("read the audit log") { db in
            var request = AuditEntry.filter(Column("seq") > afterSeq)
            if let subject { request = request.filter(Column("subject") == subject) }
            if newest { return try request.order(Column("seq").desc).limit(limit).fetchAll(db).reversed() }
            return try request.order(Column("seq")).limit(limit).fetchAll(db)
        }
    }

    public func verifyAudit(trusting keys: [AuditPublicKey]) async throws(StoreError) -> AuditVerification {
        let known = head.withLock { $0 }
        return try await read("verify the audit log") { db in
            var verifier = AuditVerifier(trusting: keys)
            // Raw rows by column index: Codable decoding would dominate the time over a million entries.
            let rows = try Row.fetchCursor(db, sql: Self.auditColumns + " ORDER BY seq")
            var knownHash: String?
            while let row = try rows.next() {
                let entry = Self.entry(row)
                if let problem = verifier.check(entry) { return AuditVerification(verifier, problem: problem) }
                if entry.seq == known.seq { knownHash = entry.hash }
            }
            if known.seq > verifier.checked {
                return AuditVerification(verifier, problem: .truncated(lastSeq: verifier.checked, expected: known.seq))
            }
            if known.seq > 0, knownHash != known.hash {
                return AuditVerification(verifier, problem: .replaced(seq: known.seq))
            }
            return AuditVerification(verifier, problem: verifier.finish())
        }
    }

    public func verifyAudit(from anchor: AuditHead, trusting keys: [AuditPublicKey]) async throws(StoreError) -> AuditVerification {
        try await read("verify the audit log") { db in
            var verifier = AuditVerifier(afterSeq: anchor.seq, head: anchor.hash, trusting: keys)
            if anchor.seq > 0 {
                let hash = try String.fetchOne(db, sql: "SELECT hash FROM audit WHERE seq = ?", arguments: [anchor.seq])
                guard hash == anchor.hash else {
                    let end = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM audit") ?? 0
                    let problem: AuditVerifier.Problem = hash == nil
                        ? .truncated(lastSeq: min(end, anchor.seq - 1), expected: anchor.seq) : .unlinked(seq: anchor.seq)
                    return AuditVerification(checked: 0, head: AuditHead(seq: end, hash: ""), problem: problem)
                }
            }
            let rows = try Row.fetchCursor(db, sql: Self.auditColumns + " WHERE seq > ? ORDER BY seq", arguments: [anchor.seq])
            while let row = try rows.next() {
                if let problem = verifier.check(Self.entry(row)) { return AuditVerification(verifier, problem: problem, base: anchor.seq) }
            }
            return AuditVerification(verifier, problem: nil, base: anchor.seq)
        }
    }

    private func read<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async throws(StoreError) -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw StoreError.wrap(error, doing: what)
        }
    }
}

extension AuditEntry: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit"
}

extension StoreError {
    /// Maps SQLite's result codes to what an operator should do about them.
    static func wrap(_ error: any Error, doing what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else { return StoreError(.other, "cannot \(what): \(error)") }
        switch error.resultCode {
        case .SQLITE_FULL:
            return StoreError(.full, "cannot \(what): the disk holding the state database is full; free space and try again")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(.busy, "cannot \(what): the state database is locked by another process (a backup or sqlite3 shell?)")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return StoreError(.corrupt, "cannot \(what): the state database is damaged or not a database; restore it from a backup")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
            return StoreError(.open, "cannot \(what): the state database cannot be opened for writing (check the state folder's owner and permissions)")
        case .SQLITE_IOERR:
            return StoreError(.io, "cannot \(what): the disk reported an I/O error (\(error.message ?? "no detail"))")
        case .SQLITE_CONSTRAINT:
            return StoreError(.constraint, "cannot \(what): \(error.message ?? "a constraint failed")")
        default:
            return StoreError(.other, "cannot \(what): \(error.message ?? "\(error.resultCode)")")
        }
    }
}
