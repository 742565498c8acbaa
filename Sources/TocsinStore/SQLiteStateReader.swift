import Foundation
import GRDB
public import TocsinAudit
import TocsinCore

/// A batch of rows of every table, as stored: what a backup on PostgreSQL exports and an import copies.
public typealias StateRows = SQLiteExport.Rows

/// An existing SQLite state file, opened read-only and read table by table, rows as stored: what
/// `tocsind --import-sqlite` moves into PostgreSQL. Nothing here writes to the file, nor migrates it.
public final class SQLiteStateReader: Sendable {
    /// How many rows of each table the file holds.
    public struct Counts: Sendable, Hashable, CustomStringConvertible {
        public var incidents = 0
        public var deliveries = 0
        public var attempts = 0
        public var approvals = 0
        public var webUsers = 0
        public var auditEntries = 0

        public init() {}

        public var description: String {
            "\(incidents) incidents, \(deliveries) deliveries, \(attempts) attempts, \(approvals) approvals, \(webUsers) web users, \(auditEntries) audit entries"
        }
    }

    public let path: String
    private let queue: DatabaseQueue

    /// Opens `path` read-only after SQLite's own integrity check.
    ///
    /// - Throws: `StoreError(.corrupt)` for a damaged file; `StoreError(.open)` for a file that is not at this
    ///   release's schema (older: start this release's `tocsind` on it once, which migrates it; newer: use that release).
    public init(path: String) throws(StoreError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.open, "there is no SQLite state at \(path)")
        }
        do {
            var configuration = GRDB.Configuration()
            configuration.readonly = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
            let (integrity, current, superseded) = try queue.read { db in
                let migrator = Schema.migrator
                return (
                    try String.fetchOne(db, sql: "PRAGMA quick_check"),
                    try migrator.hasCompletedMigrations(db),
                    try migrator.hasBeenSuperseded(db)
                )
            }
            guard integrity == "ok" else {
                throw StoreError(.corrupt, "the SQLite state \(path) is damaged (\(integrity ?? "no answer")); import a backup of it instead")
            }
            guard !superseded else {
                throw StoreError(.open, "the SQLite state \(path) was written by a newer release of tocsind; import it with that release")
            }
            guard current else {
                throw StoreError(.open, "the SQLite state \(path) was written by an older release of tocsind: start this release's tocsind on it once (it brings the file up to date), stop it, then import it")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.wrap(error, doing: "open the SQLite state \(path)")
        }
    }

    public func counts() async throws(StoreError) -> Counts {
        do {
            return try await queue.read { db in
                var counts = Counts()
                counts.incidents = try Int.fetchOne(db, sql: "SELECT count(*) FROM incident") ?? 0
                counts.deliveries = try Int.fetchOne(db, sql: "SELECT count(*) FROM delivery") ?? 0
                counts.attempts = try Int.fetchOne(db, sql: "SELECT count(*) FROM attempt") ?? 0
                counts.approvals = try Int.fetchOne(db, sql: "SELECT count(*) FROM approval") ?? 0
                counts.webUsers = try Int.fetchOne(db, sql: "SELECT count(*) FROM web_user") ?? 0
                counts.auditEntries = try Int.fetchOne(db, sql: "SELECT count(*) FROM audit") ?? 0
                return counts
            }
        } catch {
            throw StoreError.wrap(error, doing: "count the rows of \(path)")
        }
    }

    /// Checks the whole audit chain (and, with `keys`, every signed checkpoint): the first entry that was altered,
    /// deleted or unlinked, if any.
    public func verifyAudit(trusting keys: [AuditPublicKey]) async throws(StoreError) -> AuditVerification {
        do {
            return try await queue.read { db in
                var verifier = AuditVerifier(trusting: keys)
                let rows = try AuditEntry.fetchCursor(db, sql: "SELECT * FROM audit ORDER BY seq")
                while let entry = try rows.next() {
                    if let problem = verifier.check(entry) { return AuditVerification(verifier, problem: problem) }
                }
                return AuditVerification(verifier, problem: verifier.finish())
            }
        } catch {
            throw StoreError.wrap(error, doing: "verify the audit chain of \(path)")
        }
    }

    /// Calls `body` with every row of the file, in batches of at most `size` rows of one table, in an order a
    /// database with foreign keys accepts: incidents (those that follow up another after all the others), payloads,
    /// deliveries, attempts, approvals and web users in the order they were written, then the audit chain by seq.
    public func forEachBatch(size: Int, _ body: (StateRows) async throws -> Void) async throws {
        for table in Table.allCases {
            var after: Int64 = 0
            while true {
                let (rows, last) = try await page(table, after: after, limit: max(1, size))
                guard let last else { break }
                try await body(rows)
                after = last
            }
        }
    }

    private enum Table: CaseIterable { case alerts, followUps, payloads, deliveries, attempts, approvals, webUsers, audit }

    /// Rows of `table` after rowid (or seq) `after`; the last one's rowid, nil when there are none.
    private func page(_ table: Table, after: Int64, limit: Int) async throws -> (StateRows, Int64?) {
        try await queue.read { db in
            var rows = StateRows()
            var last: Int64?
            switch table {
            case .alerts, .followUps:
                // Follow-ups reference an incident that has none itself (Update and Cancel name the first alert).
                let filter = table == .alerts ? "\"references\" IS NULL" : "\"references\" IS NOT NULL"
                let cursor = try Row.fetchCursor(db, sql: "SELECT rowid AS _rowid, * FROM incident WHERE \(filter) AND rowid > ? ORDER BY rowid LIMIT ?", arguments: [after, limit])
                while let row = try cursor.next() {
                    rows.incidents.append(try IncidentRecord(row: row))
                    last = row["_rowid"]
                }
            case .payloads:
                let cursor = try Row.fetchCursor(db, sql: "SELECT rowid, incidentID, number, contentType, body FROM payload WHERE rowid > ? ORDER BY rowid LIMIT ?", arguments: [after, limit])
                while let row = try cursor.next() {
                    let number: Int = row[2], contentType: String = row[3], body: Data = row[4]
                    rows.payloads.append((incidentID: row[1], number: number, contentType: contentType, body: body))
                    last = row[0]
                }
            case .deliveries:
                let cursor = try Row.fetchCursor(db, sql: "SELECT rowid AS _rowid, * FROM delivery WHERE rowid > ? ORDER BY rowid LIMIT ?", arguments: [after, limit])
                while let row = try cursor.next() {
                    rows.deliveries.append((try DeliveryRecord(row: row), row["payload"]))
                    last = row["_rowid"]
                }
            case .attempts:
                let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM attempt WHERE rowid > ? ORDER BY rowid LIMIT ?", arguments: [after, limit])
                while let row = try cursor.next() {
                    rows.attempts.append(try AttemptRecord(row: row))
                    last = row["rowid"]
                }
            case .approvals:
                let cursor = try Row.fetchCursor(db, sql: "SELECT * FROM approval WHERE rowid > ? ORDER BY rowid LIMIT ?", arguments: [after, limit])
                while let row = try cursor.next() {
                    rows.approvals.append(try ApprovalRecord(row: row))
                    last = row["rowid"]
                }
            case .webUsers:
                let cursor = try Row.fetchCursor(db, sql: "SELECT rowid AS _rowid, * FROM web_user WHERE rowid > ? ORDER BY rowid LIMIT ?", arguments: [after, limit])
                while let row = try cursor.next() {
                    rows.webUsers.append(try WebUserRecord(row: row))
                    last = row["_rowid"]
                }
            case .audit:
                let cursor = try AuditEntry.fetchCursor(db, sql: "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", arguments: [after, limit])
                while let entry = try cursor.next() {
                    rows.audit.append(entry)
                    last = entry.seq
                }
            }
            return (rows, last)
        }
    }
}
