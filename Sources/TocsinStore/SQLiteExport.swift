public import Foundation
import GRDB
public import TocsinAudit
import TocsinCore

/// A new SQLite database in ``SQLiteStore``'s schema, filled from another backend's consistent read: what `backup`
/// writes on PostgreSQL. The result is a state file like any other: `tocsind` opens it (SQLite), `sqlite3` reads
/// it, and `audit verify` checks the same chain, entry for entry and hash for hash.
///
/// Written to a temporary file beside `path`, 0600 from its creation, and renamed into place by ``finish()``, so
/// `path` is never half-written; ``abandon()`` removes it.
public final class SQLiteExport: Sendable {
    /// A batch of rows, each table in the order its rows should keep (attempts and approvals by their id).
    public struct Rows: Sendable {
        public var incidents: [IncidentRecord] = []
        /// Each distinct body of an incident under its number, as the deliveries name it.
        public var payloads: [(incidentID: String, number: Int, contentType: String, body: Data)] = []
        public var deliveries: [(record: DeliveryRecord, payload: Int)] = []
        public var attempts: [AttemptRecord] = []
        public var approvals: [ApprovalRecord] = []
        /// The web console's users, their hash and sealed seed as stored (the seed key opens them as before).
        public var webUsers: [WebUserRecord] = []
        /// Copied as stored (seq, hashes and all): never chained again.
        public var audit: [AuditEntry] = []

        public init() {}

        public var count: Int { incidents.count + payloads.count + deliveries.count + attempts.count + approvals.count + webUsers.count + audit.count }
    }

    public let path: String
    private let temporary: String
    private let queue: DatabaseQueue

    /// Creates the temporary file with the whole schema (every migration of ``SQLiteStore``).
    public init(path: String) throws(StoreError) {
        self.path = path
        temporary = try PrivateFile.createTemporary(for: path)
        do {
            var configuration = GRDB.Configuration()
            // Rows arrive table by table, an incident possibly before the one it follows up: the source database
            // already enforced its keys.
            configuration.foreignKeysEnabled = false
            queue = try DatabaseQueue(path: temporary, configuration: configuration)
            try Schema.migrator.migrate(queue)
        } catch let error as StoreError {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw StoreError.wrap(error, doing: "create the backup file \(temporary)")
        }
    }

    /// Writes a batch in one transaction.
    public func write(_ rows: Rows) async throws(StoreError) {
        do {
            try await queue.write { db in
                for incident in rows.incidents { try incident.insert(db) }
                let payload = try db.cachedStatement(sql: SQLiteStore.insertPayload)
                for row in rows.payloads {
                    try payload.execute(arguments: [row.incidentID, row.number, row.contentType, row.body])
                }
                let delivery = try db.cachedStatement(sql: SQLiteStore.insertDelivery)
                for (record, number) in rows.deliveries {
                    try delivery.execute(arguments: [
                        record.id, record.incidentID, record.channel, record.recipient, record.state, record.attempts, record.createdAt,
                        record.deadlineAt, record.nextAttemptAt, record.lastStatus, record.lastError, record.misconfiguration,
                        record.deliveredAt, record.updatedAt, number, record.receipt,
                    ])
                }
                for attempt in rows.attempts { try attempt.insert(db) }
                for approval in rows.approvals { try approval.insert(db) }
                for user in rows.webUsers { try user.insert(db) }
                let audit = try db.cachedStatement(sql: SQLiteStore.insertAudit)
                for entry in rows.audit {
                    try audit.execute(arguments: [
                        entry.seq, entry.timeMillis, entry.kind, entry.actorUID, entry.actorPID, entry.subject, entry.node,
                        entry.detail, entry.prevHash, entry.hash,
                    ])
                }
            }
        } catch {
            throw StoreError.wrap(error, doing: "write the backup file \(temporary)")
        }
    }

    /// Checks the copy's integrity, closes it and moves it into place; returns the audit head it holds.
    public func finish() async throws(StoreError) -> AuditHead {
        do {
            let (check, head) = try await queue.read { db in
                let check = try String.fetchOne(db, sql: "PRAGMA foreign_key_check") == nil ? "ok" : "a row names a missing row"
                return (check, try SQLiteStore.readHead(db))
            }
            guard check == "ok" else { throw StoreError(.constraint, "the backup is not consistent (\(check)); it was not kept") }
            try queue.close()
            try PrivateFile.moveIntoPlace(temporary, path)
            return head
        } catch let error as StoreError {
            abandon()
            throw error
        } catch {
            abandon()
            throw StoreError.wrap(error, doing: "finish the backup file \(path)")
        }
    }

    /// Closes and removes the temporary file (a failed export leaves nothing behind).
    public func abandon() {
        try? queue.close()
        try? FileManager.default.removeItem(atPath: temporary)
    }
}
