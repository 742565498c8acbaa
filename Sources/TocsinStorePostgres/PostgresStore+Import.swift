import Foundation
public import Logging
public import PostgresNIO
public import TocsinCore
public import TocsinStore

/// `tocsind --import-sqlite`: an existing SQLite state moved into an empty PostgreSQL database, rows as stored.
///
/// All or nothing: the rows go in one transaction, which also holds the migrations' advisory lock (a node starting
/// meanwhile waits, then finds the imported state) and the audit head row (nothing appends in between). The chain
/// is copied entry for entry, hashes and checkpoints untouched, and checked again on the way in; the import then
/// appends one entry of its own (`state.import`) after the copied head, through the ordinary chaining.
extension PostgresStore {
    public struct ImportResult: Sendable {
        /// What was copied.
        public var counts: SQLiteStateReader.Counts
        /// The copied chain's last entry, as it was in the SQLite file.
        public var copiedHead: AuditHead
        /// The whole chain verified in PostgreSQL after the commit, the import's own entry included.
        public var verification: AuditVerification
    }

    /// Tables whose rows make a database "not empty" (payloads belong to incidents), with their plural name.
    private static let stateTables = [
        ("incident", "incidents"), ("delivery", "deliveries"), ("attempt", "attempts"), ("approval", "approvals"), ("audit", "audit entries"),
    ]

    /// Copies `reader`'s state into the database `configuration` connects to, which must hold no Tocsin state.
    ///
    /// - Parameters:
    ///   - target: the database in words, for messages (`database 'tocsin' on db1:5432`).
    ///   - keys: the audit's trusted public keys: signed checkpoints are checked on the way in.
    ///   - record: the import's own audit entry, given what was copied and the copied head.
    /// - Throws: `StoreError(.constraint)` when the database is not empty, `StoreError(.tampered)` when the chain
    ///   does not verify (naming the first bad entry); either way nothing was written.
    public static func importSQLite(
        _ reader: SQLiteStateReader, configuration: PostgresClient.Configuration, target: String, keys: [AuditPublicKey],
        logger: Logger, record: @escaping @Sendable (SQLiteStateReader.Counts, AuditHead) -> AuditEvent
    ) async throws -> ImportResult {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            // Before the schema is created or migrated: a database that is not empty is left exactly as it was.
            let found = try await client.withConnection { try await occupied($0, logger: logger) }
            if !found.isEmpty { throw notEmpty(target, found) }
            let counts = try await reader.counts()
            let store = try await PostgresStore(client: client, logger: logger)
            var copiedHead = AuditHead.empty
            do {
                copiedHead = try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("SELECT pg_advisory_xact_lock(\(PostgresSchema.migrationLock))", logger: logger)
                    let writer = PostgresWriter(connection: connection, logger: logger)
                    _ = try await writer.lockedHead()
                    // Again under the locks: a node may have started between the first look and now.
                    let found = try await occupied(connection, logger: logger)
                    if !found.isEmpty { throw notEmpty(target, found) }
                    var verifier = AuditVerifier(trusting: keys)
                    try await reader.forEachBatch(size: exportBatch) { rows in
                        for entry in rows.audit {
                            if let problem = verifier.check(entry) { throw brokenChain(reader.path, problem) }
                        }
                        try await copy(rows, on: connection, logger: logger)
                    }
                    try await expectCopied(counts, on: connection, logger: logger)
                    let copied = AuditHead(seq: verifier.checked, hash: verifier.head)
                    var head = copied
                    try await writer.apply(StoreWrite(audit: [record(counts, copied)]), head: &head)
                    try await writer.setHead(head)
                    return copied
                }
            } catch {
                throw StoreError.wrap(postgres: error, doing: "import \(reader.path) into the PostgreSQL \(target)")
            }
            let verification = try await store.verifyAudit(trusting: keys)
            return ImportResult(counts: counts, copiedHead: copiedHead, verification: verification)
        }
    }

    /// The Tocsin tables that hold rows, as `3 incidents`; empty for a new database (with or without the schema).
    private static func occupied(_ connection: PostgresConnection, logger: Logger) async throws -> [String] {
        var found: [String] = []
        for (table, plural) in stateTables {
            var exists = false
            for try await present in try await connection.query("SELECT to_regclass(\(table)) IS NOT NULL", logger: logger).decode(Bool.self) {
                exists = present
            }
            guard exists else { continue }
            for try await count in try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger).decode(Int64.self)
            where count > 0 {
                found.append("\(count) \(plural)")
            }
        }
        return found
    }

    private static func notEmpty(_ target: String, _ found: [String]) -> StoreError {
        StoreError(.constraint, "the PostgreSQL \(target) is not empty (\(found.joined(separator: ", "))): --import-sqlite only fills an empty database, and changed nothing. Import into a new database (createdb -O tocsind tocsin), or drop this one first if nothing in it is needed")
    }

    private static func brokenChain(_ path: String, _ problem: AuditVerifier.Problem) -> StoreError {
        StoreError(.tampered, "the audit chain of \(path) does not verify at entry \(problem.seq): \(problem); nothing was imported (investigate before moving this state: runbooks/moving-to-postgresql.md)")
    }

    /// Every row counted in the file arrived: a file changed while it was read is not imported half.
    private static func expectCopied(_ counts: SQLiteStateReader.Counts, on connection: PostgresConnection, logger: Logger) async throws {
        let expected = [counts.incidents, counts.deliveries, counts.attempts, counts.approvals, counts.auditEntries]
        for ((table, plural), wanted) in zip(stateTables, expected) {
            for try await count in try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger).decode(Int.self)
            where count != wanted {
                throw StoreError(.constraint, "\(count) \(plural) were copied but the file counted \(wanted): it changed during the import (is a tocsind running on it?)")
            }
        }
    }

    /// One batch, rows as stored: payload numbers as the deliveries name them, attempts and approvals in the
    /// order given (their ids are the database's), audit entries with their own seq and hashes.
    private static func copy(_ rows: StateRows, on connection: PostgresConnection, logger: Logger) async throws {
        try await insert(
            "incident (id, template_id, template_hash, approved, status, msg_type, references_id, route, variables, messages, content_hash, sent, created_at, actor_uid, actor_pid, actor_name)",
            types: ["text", "text", "text", "boolean", "text", "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "text"],
            rows.incidents, on: connection, logger: logger
        ) { incident, binds in
            binds.append(incident.id); binds.append(incident.templateID); binds.append(incident.templateHash)
            binds.append(incident.approved); binds.append(incident.status); binds.append(incident.msgType)
            binds.append(incident.references); binds.append(incident.route); binds.append(incident.variables)
            binds.append(incident.messages); binds.append(incident.contentHash); binds.append(incident.sent)
            binds.append(incident.createdAt); binds.append(incident.actorUID); binds.append(incident.actorPID)
            binds.append(incident.actorName)
        }
        try await insert(
            "payload (incident_id, number, content_type, body)", types: ["text", "integer", "text", "bytea"], rows.payloads,
            on: connection, logger: logger
        ) { payload, binds in
            binds.append(payload.incidentID); binds.append(payload.number); binds.append(payload.contentType); try binds.append(payload.body)
        }
        try await insert(
            "delivery (id, incident_id, channel, recipient, state, attempts, created_at, deadline_at, next_attempt_at, last_status, last_error, misconfiguration, delivered_at, updated_at, payload, receipt)",
            types: ["text", "text", "text", "text", "text", "integer", "bigint", "bigint", "bigint", "integer", "text", "boolean", "bigint", "bigint", "integer", "text"],
            rows.deliveries, on: connection, logger: logger
        ) { row, binds in
            let (delivery, number) = row
            binds.append(delivery.id); binds.append(delivery.incidentID); binds.append(delivery.channel)
            binds.append(delivery.recipient); binds.append(delivery.state); binds.append(delivery.attempts)
            binds.append(delivery.createdAt); binds.append(delivery.deadlineAt); binds.append(delivery.nextAttemptAt)
            binds.append(delivery.lastStatus); binds.append(delivery.lastError); binds.append(delivery.misconfiguration)
            binds.append(delivery.deliveredAt); binds.append(delivery.updatedAt); binds.append(number)
            binds.append(delivery.receipt)
        }
        try await insert(
            "attempt (delivery_id, number, started_at, latency_millis, http_status, error, outcome, receipt, generation, late)",
            types: ["text", "integer", "bigint", "bigint", "integer", "text", "text", "text", "bigint", "boolean"],
            rows.attempts, on: connection, logger: logger
        ) { attempt, binds in
            binds.append(attempt.deliveryID); binds.append(attempt.number); binds.append(attempt.startedAt)
            binds.append(attempt.latencyMillis); binds.append(attempt.httpStatus); binds.append(attempt.error)
            binds.append(attempt.outcome); binds.append(attempt.receipt); binds.append(attempt.generation); binds.append(attempt.late)
        }
        try await insert(
            "approval (template_id, content_hash, approver_uid, approver_name, approved_at)",
            types: ["text", "text", "bigint", "text", "bigint"], rows.approvals, on: connection, logger: logger
        ) { approval, binds in
            binds.append(approval.templateID); binds.append(approval.contentHash); binds.append(approval.approverUID)
            binds.append(approval.approverName); binds.append(approval.approvedAt)
        }
        try await insert(
            "audit (seq, time_millis, kind, actor_uid, actor_pid, subject, detail, prev_hash, hash)",
            types: ["bigint", "bigint", "text", "bigint", "bigint", "text", "text", "text", "text"],
            rows.audit, on: connection, logger: logger
        ) { entry, binds in
            binds.append(entry.seq); binds.append(entry.timeMillis); binds.append(entry.kind); binds.append(entry.actorUID)
            binds.append(entry.actorPID); binds.append(entry.subject); binds.append(entry.detail); binds.append(entry.prevHash)
            binds.append(entry.hash)
        }
    }

    /// `INSERT INTO <target> VALUES (…), (…)` in statements of at most ``PostgresWriter/maxRowsPerStatement`` rows.
    private static func insert<Row>(
        _ target: String, types: [String], _ rows: [Row], on connection: PostgresConnection, logger: Logger,
        bind: (Row, inout PostgresBindings) throws -> Void
    ) async throws {
        for chunk in rows.chunked(PostgresWriter.maxRowsPerStatement) {
            var binds = PostgresBindings(capacity: chunk.count * types.count)
            for row in chunk { try bind(row, &binds) }
            let sql = "INSERT INTO \(target) VALUES \(PostgresWriter.placeholders(rows: chunk.count, types: types))"
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }
}
