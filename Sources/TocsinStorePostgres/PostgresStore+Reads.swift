import Foundation
import PostgresNIO
public import TocsinAudit
import TocsinCore
public import TocsinStore

/// Column lists and row decoding shared by reads and the checkpoint's check.
enum PostgresReader {
    static let incidentColumns = """
        SELECT id, template_id, template_hash, approved, status, msg_type, references_id, route, variables, messages,
        content_hash, sent, created_at, actor_uid, actor_pid, actor_name FROM incident
        """

    static let deliveryColumns = """
        SELECT id, incident_id, channel, recipient, state, attempts, created_at, deadline_at, next_attempt_at, last_status,
        last_error, misconfiguration, delivered_at, updated_at, receipt FROM delivery
        """

    static func auditColumns(after seq: Int64) -> PostgresQuery {
        "SELECT seq, time_millis, kind, actor_uid, actor_pid, subject, node, detail, prev_hash, hash FROM audit WHERE seq > \(seq) ORDER BY seq"
    }

    static func incident(_ row: PostgresRow) throws -> IncidentRecord {
        let (id, templateID, templateHash, approved, status, msgType, references, route, variables, messages, contentHash, sent,
             createdAt, actorUID, actorPID, actorName) = try row.decode(
            (String, String, String, Bool, String, String, String?, String, String, String, String, String, Int64, Int64?, Int64?, String?).self
        )
        return IncidentRecord(
            id: id, templateID: templateID, templateHash: templateHash, approved: approved, status: status, msgType: msgType,
            references: references, route: route, variables: variables, messages: messages, contentHash: contentHash, sent: sent,
            createdAt: createdAt, actorUID: actorUID, actorPID: actorPID, actorName: actorName
        )
    }

    static func delivery(_ row: PostgresRow) throws -> DeliveryRecord {
        let (id, incidentID, channel, recipient, state, attempts, createdAt, deadlineAt, nextAttemptAt, lastStatus, lastError,
             misconfiguration, deliveredAt, updatedAt, receipt) = try row.decode(
            (String, String, String, String?, String, Int, Int64, Int64, Int64?, Int?, String?, Bool, Int64?, Int64, String?).self
        )
        return DeliveryRecord(
            id: id, incidentID: incidentID, channel: channel, recipient: recipient, state: state, attempts: attempts,
            createdAt: createdAt, deadlineAt: deadlineAt, nextAttemptAt: nextAttemptAt, lastStatus: lastStatus,
            lastError: lastError, misconfiguration: misconfiguration, deliveredAt: deliveredAt, updatedAt: updatedAt, receipt: receipt
        )
    }

    /// A row of `attempt` selected as `delivery_id, number, started_at, latency_millis, http_status, error, outcome,
    /// receipt, generation, late`.
    static func attempt(_ row: PostgresRow) throws -> AttemptRecord {
        let (deliveryID, number, startedAt, latency, status, error, outcome, receipt, generation, late) = try row.decode(
            (String, Int, Int64, Int64, Int?, String?, String, String?, Int64, Bool).self
        )
        return AttemptRecord(
            deliveryID: deliveryID, number: number, startedAt: startedAt, latencyMillis: latency, httpStatus: status,
            error: error, outcome: outcome, receipt: receipt, generation: generation, late: late
        )
    }

    /// Every web user, by name (`webUser` decodes a row).
    static let webUserSelect = """
        SELECT name, password_hash, sealed_seed, seed_key_id, created_at, updated_at, failures, last_failure_at, last_totp_step
        FROM web_user
        """
    static let webUserColumns = PostgresQuery(unsafeSQL: webUserSelect + #" ORDER BY name COLLATE "C""#)

    static func webUser(_ row: PostgresRow) throws -> WebUserRecord {
        let (name, hash, seed, keyID, created, updated, failures, lastFailure, step)
            = try row.decode((String, String, Data, String, Int64, Int64, Int, Int64, Int64?).self)
        return WebUserRecord(
            name: name, passwordHash: hash, sealedSeed: seed, seedKeyID: keyID, createdAt: created, updatedAt: updated,
            failures: failures, lastFailureAt: lastFailure, lastTOTPStep: step
        )
    }

    static func entry(_ row: PostgresRow) throws -> AuditEntry {
        let (seq, timeMillis, kind, actorUID, actorPID, subject, node, detail, prevHash, hash) = try row.decode(
            (Int64, Int64, String, Int64?, Int64?, String, String?, String, String, String).self
        )
        return AuditEntry(
            stored: seq, timeMillis: timeMillis, kind: kind, actorUID: actorUID, actorPID: actorPID, subject: subject,
            node: node, detail: detail, prevHash: prevHash, hash: hash
        )
    }
}

extension PostgresStore {
    /// Runs `query` and decodes every row with `decode`.
    func rows<T>(_ what: String, _ query: PostgresQuery, _ decode: (PostgresRow) throws -> T) async throws(StoreError) -> [T] {
        do {
            var result: [T] = []
            for try await row in try await onPrimary({ try await $0.query(query, logger: logger) }) { result.append(try decode(row)) }
            return result
        } catch {
            throw StoreError.wrap(postgres: error, doing: what)
        }
    }

    public func unfinishedDeliveries() async throws(StoreError) -> [DeliveryRecord] {
        try await rows("read unfinished deliveries", PostgresQuery(unsafeSQL: PostgresReader.deliveryColumns + """
             WHERE state <> 'delivered' AND state <> 'failed' AND state <> 'cancelled' ORDER BY created_at, id COLLATE "C"
            """), PostgresReader.delivery)
    }

    public func payloads(for keys: Set<PayloadKey>) async throws(StoreError) -> [PayloadKey: PayloadRecord] {
        let incidents = Array(Set(keys.map(\.incidentID)))
        guard !incidents.isEmpty else { return [:] }
        // Each channel's payload number (from any of its deliveries), then each distinct body once: channels that
        // share a body share one `Data` here too.
        let numbers = try await rows("read payloads", """
            SELECT DISTINCT incident_id, channel, payload FROM delivery WHERE incident_id = ANY(\(incidents))
            """) { row in try row.decode((String, String, Int).self) }
        let bodies = try await rows("read payloads", """
            SELECT incident_id, number, content_type, body FROM payload WHERE incident_id = ANY(\(incidents))
            """) { row in try row.decode((String, Int, String, Data).self) }
        var stored: [String: [Int: (contentType: String, body: Data)]] = [:]
        for (incidentID, number, contentType, body) in bodies { stored[incidentID, default: [:]][number] = (contentType, body) }
        var result: [PayloadKey: PayloadRecord] = [:]
        for (incidentID, channel, number) in numbers {
            let key = PayloadKey(incidentID: incidentID, channel: channel)
            guard keys.contains(key), result[key] == nil, let payload = stored[incidentID]?[number] else { continue }
            result[key] = PayloadRecord(incidentID: incidentID, channel: channel, contentType: payload.contentType, body: payload.body)
        }
        return result
    }

    public func incident(_ id: String) async throws(StoreError) -> IncidentRecord? {
        try await rows("read incident", PostgresQuery(unsafeSQL: PostgresReader.incidentColumns + " WHERE id = $1", binds: Self.binds(id)), PostgresReader.incident).first
    }

    public func recentIncidents(limit: Int) async throws(StoreError) -> [IncidentRecord] {
        // Heartbeats (CAP status System) are the daemon's own checks, not incidents anyone handled.
        try await rows("read incidents", PostgresQuery(
            unsafeSQL: PostgresReader.incidentColumns + " WHERE status <> 'System' ORDER BY created_at DESC LIMIT $1", binds: Self.binds(limit)
        ), PostgresReader.incident)
    }

    public func lastHeartbeat() async throws(StoreError) -> IncidentRecord? {
        try await rows("read the last heartbeat", PostgresQuery(
            unsafeSQL: PostgresReader.incidentColumns + " WHERE status = 'System' ORDER BY created_at DESC LIMIT 1"
        ), PostgresReader.incident).first
    }

    public func followUps(of id: String) async throws(StoreError) -> [IncidentRecord] {
        try await rows("read follow-ups", PostgresQuery(
            unsafeSQL: PostgresReader.incidentColumns + " WHERE references_id = $1 ORDER BY created_at", binds: Self.binds(id)
        ), PostgresReader.incident)
    }

    public func deliveries(ofIncident id: String) async throws(StoreError) -> [DeliveryRecord] {
        // Byte order and NULLs first, as SQLite sorts: the same list on either backend whatever the database's collation.
        try await rows("read deliveries", PostgresQuery(
            unsafeSQL: PostgresReader.deliveryColumns + #" WHERE incident_id = $1 ORDER BY channel COLLATE "C", recipient COLLATE "C" NULLS FIRST"#,
            binds: Self.binds(id)
        ), PostgresReader.delivery)
    }

    public func attempts(ofIncident id: String) async throws(StoreError) -> [AttemptRecord] {
        try await rows("read attempts", """
            SELECT a.delivery_id, a.number, a.started_at, a.latency_millis, a.http_status, a.error, a.outcome, a.receipt,
            a.generation, a.late
            FROM attempt a JOIN delivery d ON d.id = a.delivery_id WHERE d.incident_id = \(id) ORDER BY a.started_at, a.id
            """, PostgresReader.attempt)
    }

    public func approvals(ofTemplate id: String) async throws(StoreError) -> [ApprovalRecord] {
        try await rows("read approvals", """
            SELECT template_id, content_hash, approver_uid, approver_name, approved_at FROM approval
            WHERE template_id = \(id) ORDER BY approved_at DESC, id DESC
            """) { row in
            let (templateID, contentHash, uid, name, at) = try row.decode((String, String, Int64, String?, Int64).self)
            return ApprovalRecord(templateID: templateID, contentHash: contentHash, approverUID: uid, approverName: name, approvedAt: at)
        }
    }

    public func sendRequest(key: String) async throws(StoreError) -> SendRequestRecord? {
        try await rows("read a send request key", """
            SELECT key, digest, incident_id, created_at FROM send_request WHERE key = \(key)
            """) { row in
            let (key, digest, incidentID, createdAt) = try row.decode((String, String, String, Int64).self)
            return SendRequestRecord(key: key, digest: digest, incidentID: incidentID, createdAt: createdAt)
        }.first
    }

    public func webUsers() async throws(StoreError) -> [WebUserRecord] {
        try await rows("read web users", PostgresReader.webUserColumns, PostgresReader.webUser)
    }

    public func webUser(named name: String) async throws(StoreError) -> WebUserRecord? {
        var binds = PostgresBindings()
        binds.append(name)
        return try await rows(
            "read a web user", PostgresQuery(unsafeSQL: PostgresReader.webUserSelect + " WHERE name = $1", binds: binds), PostgresReader.webUser
        ).first
    }

    public func channelActivity() async throws(StoreError) -> [String: ChannelActivity] {
        var activity: [String: ChannelActivity] = [:]
        for (channel, at) in try await rows("read channel activity", """
            SELECT channel, MAX(delivered_at) FROM delivery WHERE state = 'delivered' GROUP BY channel
            """, { try $0.decode((String, Int64?).self) }) {
            activity[channel, default: ChannelActivity()].lastDeliveredAt = at
        }
        for (channel, at, error) in try await rows("read channel activity", """
            SELECT DISTINCT ON (d.channel) d.channel, a.started_at, a.error FROM attempt a JOIN delivery d ON d.id = a.delivery_id
            WHERE a.error IS NOT NULL ORDER BY d.channel, a.id DESC
            """, { try $0.decode((String, Int64, String?).self) }) {
            activity[channel, default: ChannelActivity()].lastErrorAt = at
            activity[channel, default: ChannelActivity()].lastError = error
        }
        for (channel, state) in try await rows("read channel activity", """
            SELECT DISTINCT ON (channel) channel, state FROM delivery WHERE state IN ('delivered', 'failed')
            ORDER BY channel, updated_at DESC
            """, { try $0.decode((String, String).self) }) {
            activity[channel, default: ChannelActivity()].lastFinalFailed = state == "failed"
        }
        return activity
    }

    public func recentFailures(limit: Int) async throws(StoreError) -> [DeliveryRecord] {
        try await rows("read recent failures", PostgresQuery(
            unsafeSQL: PostgresReader.deliveryColumns + " WHERE state = 'failed' ORDER BY updated_at DESC LIMIT $1", binds: Self.binds(limit)
        ), PostgresReader.delivery)
    }

    public func probeWrite(at timeMillis: Int64) async throws(StoreError) {
        // 64 KiB that do not compress (PostgreSQL would shrink a run of zeros to nothing before writing it).
        var generator = SystemRandomNumberGenerator()
        let filler = Data((0..<65_536).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
        do {
            try await client.query("""
                INSERT INTO health_probe (id, at, filler) VALUES (1, \(timeMillis), \(filler))
                ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at, filler = EXCLUDED.filler
                """, logger: logger)
        } catch {
            throw StoreError.wrap(postgres: error, doing: "write the health probe")
        }
    }

    // MARK: Audit

    public func auditHead() async throws(StoreError) -> AuditHead {
        do {
            return try await client.withConnection { connection in try await PostgresWriter(connection: connection, logger: logger).lastEntry() }
        } catch {
            throw StoreError.wrap(postgres: error, doing: "read the audit head")
        }
    }

    public func auditEntries(afterSeq: Int64, limit: Int, subject: String?, newest: Bool) async throws(StoreError) -> [AuditEntry] {
        let columns = "SELECT seq, time_millis, kind, actor_uid, actor_pid, subject, node, detail, prev_hash, hash FROM audit WHERE seq > $1"
        let filter = subject == nil ? "" : " AND subject = $3"
        let order = newest ? " ORDER BY seq DESC LIMIT $2" : " ORDER BY seq LIMIT $2"
        var binds = PostgresBindings()
        binds.append(afterSeq)
        binds.append(limit)
        if let subject { binds.append(subject) }
        let entries = try await rows("read the audit log", PostgresQuery(unsafeSQL: columns + filter + order, binds: binds), PostgresReader.entry)
        return newest ? entries.reversed() : entries
    }

    public func verifyAudit(trusting keys: [AuditPublicKey]) async throws(StoreError) -> AuditVerification {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                // One snapshot for the head row and the whole chain, however many nodes append meanwhile.
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                let known = try await PostgresWriter(connection: connection, logger: logger).recordedHead()
                var verifier = AuditVerifier(trusting: keys)
                var knownHash: String?
                for try await row in try await connection.query(PostgresReader.auditColumns(after: 0), logger: logger) {
                    let entry = try PostgresReader.entry(row)
                    if let problem = verifier.check(entry) { return Self.verification(verifier, problem: problem) }
                    if entry.seq == known.seq { knownHash = entry.hash }
                }
                // The head row is written with every append: a chain that ends before it lost entries.
                if known.seq > verifier.checked {
                    return Self.verification(verifier, problem: .truncated(lastSeq: verifier.checked, expected: known.seq))
                }
                if known.seq > 0, knownHash != known.hash {
                    return Self.verification(verifier, problem: .replaced(seq: known.seq))
                }
                return Self.verification(verifier, problem: verifier.finish())
            }
        } catch {
            throw StoreError.wrap(postgres: error, doing: "verify the audit log")
        }
    }

    public func verifyAudit(from anchor: AuditHead, trusting keys: [AuditPublicKey]) async throws(StoreError) -> AuditVerification {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
                var verifier = AuditVerifier(afterSeq: anchor.seq, head: anchor.hash, trusting: keys)
                if anchor.seq > 0 {
                    var hash: String?
                    for try await stored in try await connection.query("SELECT hash FROM audit WHERE seq = \(anchor.seq)", logger: logger).decode(String.self) {
                        hash = stored
                    }
                    guard hash == anchor.hash else {
                        let end = try await PostgresWriter(connection: connection, logger: logger).lastEntry().seq
                        let problem: AuditVerifier.Problem = hash == nil
                            ? .truncated(lastSeq: min(end, anchor.seq - 1), expected: anchor.seq) : .unlinked(seq: anchor.seq)
                        return AuditVerification(checked: 0, head: AuditHead(seq: end, hash: ""), problem: problem)
                    }
                }
                for try await row in try await connection.query(PostgresReader.auditColumns(after: anchor.seq), logger: logger) {
                    if let problem = verifier.check(try PostgresReader.entry(row)) {
                        return Self.verification(verifier, problem: problem, base: anchor.seq)
                    }
                }
                return Self.verification(verifier, problem: nil, base: anchor.seq)
            }
        } catch {
            throw StoreError.wrap(postgres: error, doing: "verify the audit log")
        }
    }

    /// What SQLite's store builds with `AuditVerification`'s internal initialiser: `base` is the seq checked after.
    private static func verification(_ verifier: AuditVerifier, problem: AuditVerifier.Problem?, base: Int64 = 0) -> AuditVerification {
        AuditVerification(
            checked: verifier.checked, head: AuditHead(seq: base + verifier.checked, hash: verifier.head), problem: problem,
            checkpoints: verifier.checkpoints.verified, lastCheckpoint: verifier.checkpoints.last
        )
    }

    private static func binds(_ value: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }

    private static func binds(_ value: Int) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(value)
        return binds
    }
}
