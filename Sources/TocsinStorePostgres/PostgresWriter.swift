import Foundation
import Logging
import PostgresNIO
import TocsinAudit
import TocsinCore
import TocsinStore

/// The statements of one commit, on the connection of its transaction.
///
/// Rows go in multi-row statements, one array per column (``PostgresInsert``), of at most ``maxRowsPerStatement``
/// rows: one round trip per table per commit rather than per row, which a 10,000-recipient send would pay 10,000
/// times.
struct PostgresWriter {
    let connection: PostgresConnection
    let logger: Logger
    /// The lease a delivery is born with (and a reopened one takes): the node that wrote it, for this long. Nil
    /// writes deliveries unheld, for any node to claim.
    var newDeliveryLease: NewDeliveryLease? = nil
    /// The node named in the audit entries this commit appends.
    var auditNode = Configuration.Cluster.hostName

    /// Bounds one statement's message (a 10,000-recipient send goes in a few).
    static let maxRowsPerStatement = 5_000

    // MARK: The audit head

    /// The head row, locked until the transaction ends: other nodes' appends wait here.
    func lockedHead() async throws -> AuditHead {
        try await head("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
    }

    func recordedHead() async throws -> AuditHead {
        try await head("SELECT seq, hash FROM audit_head WHERE id = 1")
    }

    func lastEntry() async throws -> AuditHead {
        try await head("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1")
    }

    private func head(_ query: PostgresQuery) async throws -> AuditHead {
        for try await (seq, hash) in try await connection.query(query, logger: logger).decode((Int64, String).self) {
            return AuditHead(seq: seq, hash: hash)
        }
        return .empty
    }

    func setHead(_ head: AuditHead) async throws {
        try await connection.query("UPDATE audit_head SET seq = \(head.seq), hash = \(head.hash) WHERE id = 1", logger: logger)
    }

    // MARK: One batch

    /// Locks every delivery row the batches of one transaction update or reopen, in one statement and in id order,
    /// and returns their lease generations. A renewal locks in the same order (``PostgresStore/renewLeases(_:until:)``),
    /// so the two never deadlock: locking batch by batch, a group commit of a high-id batch then a low-id one
    /// deadlocked with a renewal taking them in the other order, and a failed renewal lets leases lapse under
    /// attempts in flight. `FOR NO KEY UPDATE`: the lock the updates take anyway, which attempt inserts' foreign-key
    /// checks (`FOR KEY SHARE`) do not wait for.
    func lockDeliveries(of batches: [StoreWrite]) async throws -> [String: Int64] {
        var ids = Set<String>()
        for batch in batches {
            for update in batch.updates { ids.insert(update.id) }
            for reopening in batch.reopened { ids.insert(reopening.id) }
        }
        guard !ids.isEmpty else { return [:] }
        var generations: [String: Int64] = Dictionary(minimumCapacity: ids.count)
        let rows = try await connection.query(
            "SELECT id, lease_generation FROM delivery WHERE id = ANY(\(Array(ids))) ORDER BY id FOR NO KEY UPDATE", logger: logger
        )
        for try await (id, generation) in rows.decode((String, Int64).self) { generations[id] = generation }
        return generations
    }

    /// One batch; `generations` are the rows ``lockDeliveries(of:)`` locked for the whole transaction.
    func apply(_ write: StoreWrite, generations: [String: Int64] = [:], head: inout AuditHead) async throws {
        try await PostgresInserts.incident.run(write.incidents, on: connection, logger: logger)
        let numbers = try await insertPayloads(write.payloads, newIncidents: Set(write.incidents.map(\.id)))
        var deliveries: [(DeliveryRecord, Int)] = []
        deliveries.reserveCapacity(write.deliveries.count)
        for delivery in write.deliveries {
            let key = PayloadKey(incidentID: delivery.incidentID, channel: delivery.channel)
            var number = numbers[key]
            if number == nil { number = try await storedPayloadNumber(key) }
            guard let number else {
                throw StoreError(.constraint, "delivery \(delivery.id) has no payload for channel '\(delivery.channel)' of incident \(delivery.incidentID)")
            }
            deliveries.append((delivery, number))
        }
        // Born leased to the node that wrote them (generation 0, which that node sends under, renewing it): another
        // node's take-over skips them, so the writer sends its own deliveries unless it dies first.
        let lease = newDeliveryLease
        try await PostgresInserts.delivery.run(deliveries.map { DeliveryInsertRow(record: $0.0, payload: $0.1, lease: lease) }, on: connection, logger: logger)
        let refused = Self.refusedFences(write.updates, generations: generations)
        try await PostgresInserts.attempt.run(write.attempts.map { attempt in
            var attempt = attempt
            attempt.late = attempt.late || refused.contains(attempt.deliveryID)
            return attempt
        }, on: connection, logger: logger)
        try await update(write.updates.filter { $0.generation == nil || !refused.contains($0.id) })
        for reopening in write.reopened {
            // Only from `failed` (DeliveryState.isReopenable); the last error stays in the attempt log.
            let rows = try await connection.query("""
                UPDATE delivery SET state = 'pending', deadline_at = \(reopening.deadlineAt), next_attempt_at = NULL,
                last_error = NULL, misconfiguration = FALSE, updated_at = \(reopening.updatedAt),
                lease_node = \(lease?.node), lease_expires_at = \(lease.map { reopening.updatedAt + $0.millis })
                WHERE id = \(reopening.id) AND state = 'failed' RETURNING id
                """, logger: logger)
            var changed = 0
            for try await _ in rows { changed += 1 }
            guard changed == 1 else {
                throw StoreError(.constraint, "delivery \(reopening.id) is no longer failed: it was reopened or changed meanwhile")
            }
        }
        try await PostgresInserts.approval.run(write.approvals, on: connection, logger: logger)
        for change in write.webUsers { try await apply(change) }
        try await PostgresInserts.sendRequest.run(write.sendRequests, on: connection, logger: logger)
        let cancelledElsewhere = try await cancelElsewhere(write.cancelElsewhere)
        var entries: [AuditEntry] = []
        entries.reserveCapacity(write.audit.count + cancelledElsewhere.count + 1)
        for var event in write.audit + cancelledElsewhere {
            // The outcome of a node whose lease was taken over: on record, named late, changing nothing.
            if let fence = event.fence, refused.contains(fence) { event.kind = AuditEvent.lateKind(event.kind) }
            entries.append(chain(event, after: &head))
        }
        try await insertAudit(entries)
        if let checkpoint = write.checkpoint {
            try await verifyIncrement(from: checkpoint.verified, to: head)
            let detail = try checkpoint.signer.checkpointDetail(head: head, timeMillis: checkpoint.timeMillis, reason: checkpoint.reason)
            let event = AuditEvent(timeMillis: checkpoint.timeMillis, kind: AuditCheckpoint.kind, subject: "audit", detail: detail)
            try await insertAudit([chain(event, after: &head)])
        }
    }

    private func apply(_ change: WebUserChange) async throws {
        let query: PostgresQuery = switch change {
        case .add(let user):
            try """
            INSERT INTO web_user (name, password_hash, sealed_seed, seed_key_id, created_at, updated_at)
            VALUES (\(user.name), \(user.passwordHash), \(user.sealedSeed), \(user.seedKeyID), \(user.createdAt), \(user.updatedAt))
            ON CONFLICT (name) DO NOTHING RETURNING name
            """
        case .reset(let user):
            try """
            UPDATE web_user SET password_hash = \(user.passwordHash), sealed_seed = \(user.sealedSeed), seed_key_id = \(user.seedKeyID),
            updated_at = \(user.updatedAt), failures = 0, last_failure_at = 0, last_totp_step = NULL WHERE name = \(user.name) RETURNING name
            """
        case .remove(let name):
            "DELETE FROM web_user WHERE name = \(name) RETURNING name"
        case .unlock(let name, let at):
            "UPDATE web_user SET failures = 0, last_failure_at = 0, updated_at = \(at) WHERE name = \(name) RETURNING name"
        case .signInFailed(let name, let at, let forgetBefore):
            """
            UPDATE web_user SET failures = CASE WHEN last_failure_at <= \(forgetBefore) THEN 1 ELSE failures + 1 END,
            last_failure_at = \(at) WHERE name = \(name) RETURNING name
            """
        case .codeAccepted(let name, let step, let clearsFailures):
            """
            UPDATE web_user SET failures = CASE WHEN \(clearsFailures) THEN 0 ELSE failures END,
            last_failure_at = CASE WHEN \(clearsFailures) THEN 0 ELSE last_failure_at END, last_totp_step = \(step)
            WHERE name = \(name) AND (last_totp_step IS NULL OR last_totp_step < \(step)) RETURNING name
            """
        }
        var changed = 0
        for try await _ in try await connection.query(query, logger: logger) { changed += 1 }
        guard changed == 1 else { throw change.conflict }
    }

    /// ``CancelElsewhere``: the deliveries cancelled (rows locked in id order), their holders fenced by a new
    /// generation and woken at commit (NOTIFY is sent then); returns their audit entries.
    private func cancelElsewhere(_ cancel: CancelElsewhere?) async throws -> [AuditEvent] {
        guard let cancel else { return [] }
        let rows = try await connection.query("""
            UPDATE delivery AS d SET state = 'cancelled', next_attempt_at = NULL, updated_at = \(cancel.at),
            lease_generation = d.lease_generation + 1, lease_node = NULL, lease_expires_at = NULL
            WHERE d.id IN (
                SELECT id FROM delivery
                WHERE incident_id = \(cancel.incident) AND state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled'
                AND NOT (id = ANY(\(cancel.except)))
                ORDER BY id FOR UPDATE
            )
            RETURNING d.id, d.incident_id, d.channel, d.recipient, d.attempts, d.misconfiguration, d.last_error, d.lease_generation
            """, logger: logger)
        var cancelled: [CancelledElsewhere] = []
        for try await (id, incident, channel, recipient, attempts, misconfiguration, lastError, generation)
            in rows.decode((String, String, String, String?, Int, Bool, String?, Int64).self) {
            cancelled.append(CancelledElsewhere(
                id: id, incidentID: incident, channel: channel, recipient: recipient, attempts: attempts,
                misconfiguration: misconfiguration, lastError: lastError, generation: generation
            ))
        }
        cancelled.sort { $0.id < $1.id }
        cancel.outcome.set(cancelled)
        guard !cancelled.isEmpty else { return [] }
        try await connection.query("SELECT pg_notify(\(PostgresSchema.wakeChannel), \(cancel.incident))", logger: logger)
        return cancelled.map(cancel.final)
    }

    private func chain(_ event: AuditEvent, after head: inout AuditHead) -> AuditEntry {
        let entry = AuditEntry(
            seq: head.seq + 1, timeMillis: event.timeMillis, kind: event.kind, actorUID: event.actorUID,
            actorPID: event.actorPID, subject: event.subject, node: auditNode, detail: event.detail, prevHash: head.hash
        )
        head = AuditHead(seq: entry.seq, hash: entry.hash)
        return entry
    }

    private func insertAudit(_ entries: [AuditEntry]) async throws {
        try await PostgresInserts.audit.run(entries, on: connection, logger: logger)
    }

    /// Writes one row per distinct body of each incident and returns the number each channel's payload got.
    private func insertPayloads(_ payloads: [PayloadRecord], newIncidents: Set<String>) async throws -> [PayloadKey: Int] {
        guard !payloads.isEmpty else { return [:] }
        struct Content: Hashable {
            var incidentID: String
            var contentType: String
            var body: Data
        }
        var numbers: [PayloadKey: Int] = Dictionary(minimumCapacity: payloads.count)
        var distinct: [Content: Int] = [:]
        var last: [String: Int] = [:]
        var rows: [(PayloadRecord, Int)] = []
        for payload in payloads {
            let content = Content(incidentID: payload.incidentID, contentType: payload.contentType, body: payload.body)
            let number: Int
            if let shared = distinct[content] {
                number = shared
            } else {
                // An incident written in this batch has no payload yet; a later addition continues the numbering.
                var previous = last[payload.incidentID] ?? 0
                if last[payload.incidentID] == nil, !newIncidents.contains(payload.incidentID) {
                    let query: PostgresQuery = "SELECT COALESCE(MAX(number), 0) FROM payload WHERE incident_id = \(payload.incidentID)"
                    for try await stored in try await connection.query(query, logger: logger).decode(Int.self) { previous = stored }
                }
                number = previous + 1
                last[payload.incidentID] = number
                distinct[content] = number
                rows.append((payload, number))
            }
            numbers[PayloadKey(incidentID: payload.incidentID, channel: payload.channel)] = number
        }
        try await PostgresInserts.payload.run(rows.map { (payload, number) in (payload.incidentID, number, payload.contentType, payload.body) }, on: connection, logger: logger)
        return numbers
    }

    /// The payload an earlier delivery of the same channel and incident uses (a delivery added after its send).
    func storedPayloadNumber(_ key: PayloadKey) async throws -> Int? {
        let query: PostgresQuery = "SELECT payload FROM delivery WHERE incident_id = \(key.incidentID) AND channel = \(key.channel) LIMIT 1"
        for try await number in try await connection.query(query, logger: logger).decode(Int.self) { return number }
        return nil
    }

    /// The deliveries whose fenced update names a generation their lease has left (another node took them over).
    /// Their rows stay locked until the commit (``lockDeliveries(of:)``), so no claim moves the generation between
    /// this check and the update.
    private static func refusedFences(_ updates: [DeliveryUpdate], generations: [String: Int64]) -> Set<String> {
        var refused = Set<String>()
        for update in updates {
            // A row missing from the lock is one an earlier batch of this transaction wrote: this node's, held.
            if let expected = update.generation, let current = generations[update.id], current != expected {
                refused.insert(update.id)
            }
        }
        return refused
    }

    /// Updates in one statement per chunk, joined on the columns' arrays. A delivery updated twice in one batch
    /// keeps the last update, and the receipt an earlier one brought (as applying them in turn would).
    private func update(_ updates: [DeliveryUpdate]) async throws {
        guard !updates.isEmpty else { return }
        var order: [String] = []
        var latest: [String: DeliveryUpdate] = [:]
        for update in updates {
            if let earlier = latest[update.id] {
                var update = update
                update.receipt = update.receipt ?? earlier.receipt
                latest[update.id] = update
            } else {
                order.append(update.id)
                latest[update.id] = update
            }
        }
        let rows = order.compactMap { latest[$0] }
        for chunk in rows.chunked(Self.maxRowsPerStatement) {
            try await connection.query(PostgresQuery(unsafeSQL: Self.updateSQL, binds: PostgresColumn.bindings(Self.updateColumns, chunk)), logger: logger)
        }
    }

    private static let updateColumns: [PostgresColumn<DeliveryUpdate>] = [
        .text("id") { $0.id }, .text("state") { $0.state.rawValue }, .bigint("attempts") { Int64($0.attempts) },
        .bigint("next_attempt_at") { $0.nextAttemptAt }, .bigint("last_status") { $0.lastStatus.map(Int64.init) },
        .text("last_error") { $0.lastError }, .boolean("misconfiguration") { $0.misconfiguration },
        .bigint("delivered_at") { $0.deliveredAt }, .bigint("updated_at") { $0.updatedAt }, .text("receipt") { $0.receipt },
    ]

    /// Joined on the columns' arrays (``PostgresColumn``): a final state gives the lease up.
    private static let updateSQL = """
        UPDATE delivery AS d SET state = u.state, attempts = u.attempts, next_attempt_at = u.next_attempt_at,
        last_status = u.last_status, last_error = u.last_error, misconfiguration = u.misconfiguration,
        delivered_at = u.delivered_at, updated_at = u.updated_at, receipt = COALESCE(u.receipt, d.receipt),
        lease_node = CASE WHEN u.state IN ('delivered', 'failed', 'cancelled') THEN NULL ELSE d.lease_node END,
        lease_expires_at = CASE WHEN u.state IN ('delivered', 'failed', 'cancelled') THEN NULL ELSE d.lease_expires_at END
        FROM \(PostgresColumn.unnest(updateColumns)) AS u (\(updateColumns.map(\.name).joined(separator: ", ")))
        WHERE d.id = u.id
        """

    // MARK: Checkpoints

    /// Inside the checkpoint's transaction: the entries from `verified` (checked by the caller) to `head` must still
    /// link, so what is signed is what was checked plus entries this transaction chained on.
    private func verifyIncrement(from verified: AuditHead, to head: AuditHead) async throws {
        guard head.seq >= verified.seq else {
            throw StoreError(.tampered, "the audit log now ends at entry \(head.seq), before entry \(verified.seq) that was just verified: entries were deleted")
        }
        var verifier = AuditVerifier(afterSeq: verified.seq, head: verified.hash)
        if verified.seq > 0 {
            var hash: String?
            let query: PostgresQuery = "SELECT hash FROM audit WHERE seq = \(verified.seq)"
            for try await stored in try await connection.query(query, logger: logger).decode(String.self) { hash = stored }
            guard hash == verified.hash else {
                throw StoreError(.tampered, "entry \(verified.seq) changed since it was verified: the audit log was rewritten")
            }
        }
        let rows = try await connection.query(PostgresReader.auditColumns(after: verified.seq), logger: logger)
        for try await row in rows {
            if let problem = verifier.check(try PostgresReader.entry(row)) { throw StoreError(.tampered, problem.description) }
        }
    }
}

/// The lease a node gives the deliveries it writes.
struct NewDeliveryLease: Sendable {
    var node: String
    var millis: Int64
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
