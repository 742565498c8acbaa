import Foundation
import Logging
import NIOCore
import PostgresNIO
import TocsinAudit
import TocsinCore
import TocsinStore

/// Each table's INSERT — columns, their types and how a record gives them — written once, for the writer's commits
/// and for `--import-sqlite`, so the two cannot drift apart when a column is added.
///
/// Rows go column by column, one array per column: `INSERT … SELECT * FROM unnest($1::text[], $2::bigint[], …)`.
/// One round trip per table per commit, and one short statement whatever the number of rows: a multi-row
/// `VALUES ($1::text, …), …` list made PostgreSQL parse and type every placeholder of every row at each commit,
/// a tenth of its time in a fan-out.
struct PostgresInsert<Row>: Sendable {
    let columns: [PostgresColumn<Row>]
    let sql: String

    init(into table: String, _ columns: [PostgresColumn<Row>]) {
        self.columns = columns
        sql = "INSERT INTO \(table) (\(columns.map(\.name).joined(separator: ", "))) SELECT * FROM "
            + PostgresColumn.unnest(columns)
    }

    func run(_ rows: some Collection<Row>, on connection: PostgresConnection, logger: Logger) async throws {
        for chunk in Array(rows).chunked(PostgresWriter.maxRowsPerStatement) {
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: PostgresColumn.bindings(columns, chunk)), logger: logger)
        }
    }
}

/// One column of a multi-row statement: its name, the SQL type of its array, and how a row gives its value.
struct PostgresColumn<Row>: Sendable {
    let name: String
    let type: String
    let bind: @Sendable (ArraySlice<Row>, inout PostgresBindings) -> Void

    /// `unnest($1::text[], $2::bigint[], …)`: the columns' arrays as rows.
    static func unnest(_ columns: [Self]) -> String {
        "unnest(" + columns.enumerated().map { "$\($0.offset + 1)::\($0.element.type)[]" }.joined(separator: ", ") + ")"
    }

    /// One array per column, in order.
    static func bindings(_ columns: [Self], _ rows: ArraySlice<Row>) -> PostgresBindings {
        var binds = PostgresBindings(capacity: columns.count)
        for column in columns { column.bind(rows, &binds) }
        return binds
    }

    static func text(_ name: String, _ value: @escaping @Sendable (Row) -> String?) -> Self {
        Self(name: name, type: "text") { rows, binds in binds.append(NullableArray(rows.map(value))) }
    }

    /// Integer columns too: the `bigint` is assigned to an `integer` column as PostgreSQL assigns any value.
    static func bigint(_ name: String, _ value: @escaping @Sendable (Row) -> Int64?) -> Self {
        Self(name: name, type: "bigint") { rows, binds in binds.append(NullableArray(rows.map(value))) }
    }

    static func boolean(_ name: String, _ value: @escaping @Sendable (Row) -> Bool) -> Self {
        Self(name: name, type: "boolean") { rows, binds in binds.append(NullableArray(rows.map(value))) }
    }

    static func bytea(_ name: String, _ value: @escaping @Sendable (Row) -> Data) -> Self {
        Self(name: name, type: "bytea") { rows, binds in binds.append(NullableArray(rows.map { ByteBuffer(bytes: value($0)) })) }
    }
}

/// A one-dimensional PostgreSQL array whose elements may be NULL, in the binary format `array_recv` reads:
/// postgres-nio encodes arrays of non-optional values only.
struct NullableArray<Element: PostgresArrayEncodable & PostgresNonThrowingEncodable>: PostgresNonThrowingEncodable {
    var elements: [Element?]

    init(_ elements: [Element?]) {
        self.elements = elements
    }

    static var psqlType: PostgresDataType { Element.psqlArrayType }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<JSONEncoder>) {
        buffer.writeInteger(elements.isEmpty ? 0 : 1, as: Int32.self)  // dimensions
        buffer.writeInteger(elements.contains { $0 == nil } ? 1 : 0, as: Int32.self)  // has NULLs
        buffer.writeInteger(Element.psqlType.rawValue)
        guard !elements.isEmpty else { return }
        buffer.writeInteger(Int32(elements.count))
        buffer.writeInteger(1, as: Int32.self)  // lower bound
        for element in elements {
            guard let element else {
                buffer.writeInteger(-1, as: Int32.self)
                continue
            }
            let lengthIndex = buffer.writerIndex
            buffer.writeInteger(0, as: Int32.self)
            let start = buffer.writerIndex
            element.encode(into: &buffer, context: context)
            buffer.setInteger(Int32(buffer.writerIndex - start), at: lengthIndex)
        }
    }
}

/// A delivery with the number of its payload row, and the lease it is born with (nil: unheld, as imported rows).
struct DeliveryInsertRow {
    var record: DeliveryRecord
    var payload: Int
    var lease: NewDeliveryLease?

    /// A delivery written final (a channel that cannot send fails at once) is nobody's to send: no lease.
    var birthLease: NewDeliveryLease? {
        DeliveryState(rawValue: record.state)?.isFinal == true ? nil : lease
    }
}

enum PostgresInserts {
    static let incident = PostgresInsert<IncidentRecord>(into: "incident", [
        .text("id") { $0.id }, .text("template_id") { $0.templateID }, .text("template_hash") { $0.templateHash },
        .boolean("approved") { $0.approved }, .text("status") { $0.status }, .text("msg_type") { $0.msgType },
        .text("references_id") { $0.references }, .text("route") { $0.route }, .text("variables") { $0.variables },
        .text("messages") { $0.messages }, .text("content_hash") { $0.contentHash }, .text("sent") { $0.sent },
        .bigint("created_at") { $0.createdAt }, .bigint("actor_uid") { $0.actorUID }, .bigint("actor_pid") { $0.actorPID },
        .text("actor_name") { $0.actorName },
    ])

    /// One distinct body of an incident under its number.
    static let payload = PostgresInsert<(incidentID: String, number: Int, contentType: String, body: Data)>(into: "payload", [
        .text("incident_id") { $0.incidentID }, .bigint("number") { Int64($0.number) },
        .text("content_type") { $0.contentType }, .bytea("body") { $0.body },
    ])

    static let delivery = PostgresInsert<DeliveryInsertRow>(into: "delivery", [
        .text("id") { $0.record.id }, .text("incident_id") { $0.record.incidentID }, .text("channel") { $0.record.channel },
        .text("recipient") { $0.record.recipient }, .text("state") { $0.record.state },
        .bigint("attempts") { Int64($0.record.attempts) }, .bigint("created_at") { $0.record.createdAt },
        .bigint("deadline_at") { $0.record.deadlineAt }, .bigint("next_attempt_at") { $0.record.nextAttemptAt },
        .bigint("last_status") { $0.record.lastStatus.map(Int64.init) }, .text("last_error") { $0.record.lastError },
        .boolean("misconfiguration") { $0.record.misconfiguration }, .bigint("delivered_at") { $0.record.deliveredAt },
        .bigint("updated_at") { $0.record.updatedAt }, .bigint("payload") { Int64($0.payload) },
        .text("receipt") { $0.record.receipt }, .text("lease_node") { $0.birthLease?.node },
        .bigint("lease_expires_at") { row in row.birthLease.map { row.record.updatedAt + $0.millis } },
    ])

    static let attempt = PostgresInsert<AttemptRecord>(into: "attempt", [
        .text("delivery_id") { $0.deliveryID }, .bigint("number") { Int64($0.number) }, .bigint("started_at") { $0.startedAt },
        .bigint("latency_millis") { $0.latencyMillis }, .bigint("http_status") { $0.httpStatus.map(Int64.init) },
        .text("error") { $0.error }, .text("outcome") { $0.outcome }, .text("receipt") { $0.receipt },
        .bigint("generation") { $0.generation }, .boolean("late") { $0.late },
    ])

    static let approval = PostgresInsert<ApprovalRecord>(into: "approval", [
        .text("template_id") { $0.templateID }, .text("content_hash") { $0.contentHash },
        .bigint("approver_uid") { $0.approverUID }, .text("approver_name") { $0.approverName },
        .bigint("approved_at") { $0.approvedAt },
    ])

    static let sendRequest = PostgresInsert<SendRequestRecord>(into: "send_request", [
        .text("key") { $0.key }, .text("digest") { $0.digest }, .text("incident_id") { $0.incidentID },
        .bigint("created_at") { $0.createdAt },
    ])

    static let audit = PostgresInsert<AuditEntry>(into: "audit", [
        .bigint("seq") { $0.seq }, .bigint("time_millis") { $0.timeMillis }, .text("kind") { $0.kind },
        .bigint("actor_uid") { $0.actorUID }, .bigint("actor_pid") { $0.actorPID }, .text("subject") { $0.subject },
        .text("node") { $0.node }, .text("detail") { $0.detail }, .text("prev_hash") { $0.prevHash }, .text("hash") { $0.hash },
    ])
}
