import Foundation
import Logging
import PostgresNIO
import TocsinCore
import TocsinStore

/// Each table's INSERT — columns, their types and how a record binds to them — written once, for the writer's
/// commits and for `--import-sqlite`, so the two cannot drift apart when a column is added.
///
/// Rows go in multi-row statements (`VALUES ($1, …), ($17, …)`) of at most ``PostgresWriter/maxRowsPerStatement``
/// rows: one round trip per table per commit rather than per row.
struct PostgresInsert<Row>: Sendable {
    let target: String
    let types: [String]
    let bind: @Sendable (Row, inout PostgresBindings) throws -> Void

    func run(_ rows: some Collection<Row>, on connection: PostgresConnection, logger: Logger) async throws {
        for chunk in Array(rows).chunked(PostgresWriter.maxRowsPerStatement) {
            var binds = PostgresBindings(capacity: chunk.count * types.count)
            for row in chunk { try bind(row, &binds) }
            let sql = "INSERT INTO \(target) VALUES \(PostgresWriter.placeholders(rows: chunk.count, types: types))"
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        }
    }
}

/// A delivery with the number of its payload row, and the lease it is born with (nil: unheld, as imported rows).
struct DeliveryInsertRow {
    var record: DeliveryRecord
    var payload: Int
    var lease: NewDeliveryLease?
}

enum PostgresInserts {
    static let incident = PostgresInsert<IncidentRecord>(
        target: "incident (id, template_id, template_hash, approved, status, msg_type, references_id, route, variables, messages, content_hash, sent, created_at, actor_uid, actor_pid, actor_name)",
        types: ["text", "text", "text", "boolean", "text", "text", "text", "text", "text", "text", "text", "text", "bigint", "bigint", "bigint", "text"]
    ) { incident, binds in
        binds.append(incident.id); binds.append(incident.templateID); binds.append(incident.templateHash)
        binds.append(incident.approved); binds.append(incident.status); binds.append(incident.msgType)
        binds.append(incident.references); binds.append(incident.route); binds.append(incident.variables)
        binds.append(incident.messages); binds.append(incident.contentHash); binds.append(incident.sent)
        binds.append(incident.createdAt); binds.append(incident.actorUID); binds.append(incident.actorPID)
        binds.append(incident.actorName)
    }

    /// One distinct body of an incident under its number.
    static let payload = PostgresInsert<(incidentID: String, number: Int, contentType: String, body: Data)>(
        target: "payload (incident_id, number, content_type, body)", types: ["text", "integer", "text", "bytea"]
    ) { payload, binds in
        binds.append(payload.incidentID); binds.append(payload.number); binds.append(payload.contentType); try binds.append(payload.body)
    }

    static let delivery = PostgresInsert<DeliveryInsertRow>(
        target: "delivery (id, incident_id, channel, recipient, state, attempts, created_at, deadline_at, next_attempt_at, last_status, last_error, misconfiguration, delivered_at, updated_at, payload, receipt, lease_node, lease_expires_at)",
        types: ["text", "text", "text", "text", "text", "integer", "bigint", "bigint", "bigint", "integer", "text", "boolean", "bigint", "bigint", "integer", "text", "text", "bigint"]
    ) { row, binds in
        let delivery = row.record
        binds.append(delivery.id); binds.append(delivery.incidentID); binds.append(delivery.channel)
        binds.append(delivery.recipient); binds.append(delivery.state); binds.append(delivery.attempts)
        binds.append(delivery.createdAt); binds.append(delivery.deadlineAt); binds.append(delivery.nextAttemptAt)
        binds.append(delivery.lastStatus); binds.append(delivery.lastError); binds.append(delivery.misconfiguration)
        binds.append(delivery.deliveredAt); binds.append(delivery.updatedAt); binds.append(row.payload)
        binds.append(delivery.receipt)
        binds.append(row.lease?.node); binds.append(row.lease.map { delivery.updatedAt + $0.millis })
    }

    static let attempt = PostgresInsert<AttemptRecord>(
        target: "attempt (delivery_id, number, started_at, latency_millis, http_status, error, outcome, receipt, generation, late)",
        types: ["text", "integer", "bigint", "bigint", "integer", "text", "text", "text", "bigint", "boolean"]
    ) { attempt, binds in
        binds.append(attempt.deliveryID); binds.append(attempt.number); binds.append(attempt.startedAt)
        binds.append(attempt.latencyMillis); binds.append(attempt.httpStatus); binds.append(attempt.error)
        binds.append(attempt.outcome); binds.append(attempt.receipt); binds.append(attempt.generation); binds.append(attempt.late)
    }

    static let approval = PostgresInsert<ApprovalRecord>(
        target: "approval (template_id, content_hash, approver_uid, approver_name, approved_at)",
        types: ["text", "text", "bigint", "text", "bigint"]
    ) { approval, binds in
        binds.append(approval.templateID); binds.append(approval.contentHash); binds.append(approval.approverUID)
        binds.append(approval.approverName); binds.append(approval.approvedAt)
    }

    static let audit = PostgresInsert<AuditEntry>(
        target: "audit (seq, time_millis, kind, actor_uid, actor_pid, subject, node, detail, prev_hash, hash)",
        types: ["bigint", "bigint", "text", "bigint", "bigint", "text", "text", "text", "text", "text"]
    ) { entry, binds in
        binds.append(entry.seq); binds.append(entry.timeMillis); binds.append(entry.kind); binds.append(entry.actorUID)
        binds.append(entry.actorPID); binds.append(entry.subject); binds.append(entry.node); binds.append(entry.detail)
        binds.append(entry.prevHash); binds.append(entry.hash)
    }
}
