import Foundation
public import Logging
public import PostgresNIO
public import TocsinAudit
import TocsinCore
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
        ("incident", "incidents"), ("delivery", "deliveries"), ("attempt", "attempts"), ("approval", "approvals"), ("web_user", "web users"),
        ("audit", "audit entries"),
    ]

    /// Copies `reader`'s state into the database `configuration` connects to, which must hold no Tocsin state.
    ///
    /// - Parameters:
    ///   - target: the database in words, for messages (`database 'tocsin' on db1:5432`).
    ///   - keys: the audit's trusted public keys: signed checkpoints are checked on the way in.
    ///   - node: the node named in the import's own entry (`cluster.node`).
    ///   - record: the import's own audit entry, given what was copied and the copied head.
    /// - Throws: `StoreError(.constraint)` when the database is not empty, `StoreError(.tampered)` when the chain
    ///   does not verify (naming the first bad entry); either way nothing was written.
    public static func importSQLite(
        _ reader: SQLiteStateReader, configuration: PostgresClient.Configuration, target: String, keys: [AuditPublicKey],
        node: String, logger: Logger, record: @escaping @Sendable (SQLiteStateReader.Counts, AuditHead) -> AuditEvent
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
                    var writer = PostgresWriter(connection: connection, logger: logger)
                    writer.auditNode = node
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
        let expected = [counts.incidents, counts.deliveries, counts.attempts, counts.approvals, counts.webUsers, counts.auditEntries]
        for ((table, plural), wanted) in zip(stateTables, expected) {
            for try await count in try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), logger: logger).decode(Int.self)
            where count != wanted {
                throw StoreError(.constraint, "\(count) \(plural) were copied but the file counted \(wanted): it changed during the import (is a tocsind running on it?)")
            }
        }
    }

    /// One batch, rows as stored: payload numbers as the deliveries name them, attempts, approvals and web users in the
    /// order given (their ids are the database's), audit entries with their own seq and hashes.
    private static func copy(_ rows: StateRows, on connection: PostgresConnection, logger: Logger) async throws {
        try await PostgresInserts.incident.run(rows.incidents, on: connection, logger: logger)
        try await PostgresInserts.payload.run(rows.payloads, on: connection, logger: logger)
        // Unheld: any node claims the unfinished ones once it runs.
        try await PostgresInserts.delivery.run(rows.deliveries.map { DeliveryInsertRow(record: $0.record, payload: $0.payload, lease: nil) }, on: connection, logger: logger)
        try await PostgresInserts.attempt.run(rows.attempts, on: connection, logger: logger)
        try await PostgresInserts.approval.run(rows.approvals, on: connection, logger: logger)
        // Their hashes and seals as stored: the seed key that sealed them opens them here too (it binds the name).
        for user in rows.webUsers {
            try await connection.query("""
                INSERT INTO web_user (name, password_hash, sealed_seed, seed_key_id, created_at, updated_at, failures, last_failure_at, last_totp_step)
                VALUES (\(user.name), \(user.passwordHash), \(user.sealedSeed), \(user.seedKeyID), \(user.createdAt), \(user.updatedAt),
                \(user.failures), \(user.lastFailureAt), \(user.lastTOTPStep))
                """, logger: logger)
        }
        try await PostgresInserts.audit.run(rows.audit, on: connection, logger: logger)
    }
}
