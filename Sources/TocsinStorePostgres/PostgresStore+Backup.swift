import Foundation
import PostgresNIO
public import TocsinAudit
import TocsinCore
public import TocsinStore

extension PostgresStore {
    /// Rows per SQLite transaction of the export: large enough to amortise its fsync, small enough to bound memory.
    static let exportBatch = 2_000

    /// A consistent export of the whole database into a new SQLite file in SQLiteStore's schema.
    ///
    /// Every table is read in one `REPEATABLE READ, READ ONLY` transaction: one snapshot, however many nodes
    /// write meanwhile (PostgreSQL's MVCC: nobody waits for the export, and the export sees no half of a commit).
    /// The result is a working state file: `tocsind` opens it with SQLite, and its audit chain is the cluster's,
    /// entry for entry. Returns the head of the chain it holds.
    public func backup(to path: String) async throws(StoreError) -> AuditHead {
        let export = try SQLiteExport(path: path)
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                try await copy(connection, into: export)
            }
        } catch {
            export.abandon()
            throw StoreError.wrap(postgres: error, doing: "export the PostgreSQL database to \(path)")
        }
        return try await export.finish()
    }

    public func sizeInBytes() async throws(StoreError) -> Int64 {
        try await rows("read the database's size", "SELECT pg_database_size(current_database())") { try $0.decode(Int64.self) }.first ?? 0
    }

    private func copy(_ connection: PostgresConnection, into export: SQLiteExport) async throws {
        var rows = SQLiteExport.Rows()
        func flushIfFull() async throws {
            guard rows.count >= Self.exportBatch else { return }
            try await export.write(rows)
            rows = SQLiteExport.Rows()
        }
        // Referenced incidents first (follow-ups are created after what they follow), then each table in id order.
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: PostgresReader.incidentColumns + #" ORDER BY created_at, id COLLATE "C""#), logger: logger) {
            rows.incidents.append(try PostgresReader.incident(row))
            try await flushIfFull()
        }
        let payloads = "SELECT incident_id, number, content_type, body FROM payload ORDER BY incident_id, number"
        for try await (incidentID, number, contentType, body) in try await connection.query(PostgresQuery(unsafeSQL: payloads), logger: logger)
            .decode((String, Int, String, Data).self)
        {
            rows.payloads.append((incidentID, number, contentType, body))
            try await flushIfFull()
        }
        // The delivery columns, then the payload number the export needs and the reads do not.
        let deliveries = PostgresReader.deliveryColumns.replacingOccurrences(of: " FROM delivery", with: ", payload FROM delivery") + " ORDER BY created_at, id"
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: deliveries), logger: logger) {
            let (id, incidentID, channel, recipient, state, attempts, createdAt, deadlineAt, nextAttemptAt, lastStatus, lastError,
                 misconfiguration, deliveredAt, updatedAt, receipt, payload) = try row.decode(
                (String, String, String, String?, String, Int, Int64, Int64, Int64?, Int?, String?, Bool, Int64?, Int64, String?, Int).self
            )
            let record = DeliveryRecord(
                id: id, incidentID: incidentID, channel: channel, recipient: recipient, state: state, attempts: attempts,
                createdAt: createdAt, deadlineAt: deadlineAt, nextAttemptAt: nextAttemptAt, lastStatus: lastStatus,
                lastError: lastError, misconfiguration: misconfiguration, deliveredAt: deliveredAt, updatedAt: updatedAt, receipt: receipt
            )
            rows.deliveries.append((record, payload))
            try await flushIfFull()
        }
        let attempts = "SELECT delivery_id, number, started_at, latency_millis, http_status, error, outcome, receipt, generation, late FROM attempt ORDER BY id"
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: attempts), logger: logger) {
            rows.attempts.append(try PostgresReader.attempt(row))
            try await flushIfFull()
        }
        let approvals = "SELECT template_id, content_hash, approver_uid, approver_name, approved_at FROM approval ORDER BY id"
        for try await (templateID, contentHash, uid, name, at) in try await connection.query(PostgresQuery(unsafeSQL: approvals), logger: logger)
            .decode((String, String, Int64, String?, Int64).self)
        {
            rows.approvals.append(ApprovalRecord(templateID: templateID, contentHash: contentHash, approverUID: uid, approverName: name, approvedAt: at))
            try await flushIfFull()
        }
        for try await row in try await connection.query(PostgresReader.webUserColumns, logger: logger) {
            rows.webUsers.append(try PostgresReader.webUser(row))
            try await flushIfFull()
        }
        for try await row in try await connection.query(PostgresReader.auditColumns(after: 0), logger: logger) {
            rows.audit.append(try PostgresReader.entry(row))
            try await flushIfFull()
        }
        if rows.count > 0 { try await export.write(rows) }
    }
}
