import Foundation
import TocsinAudit
import TocsinCore
import TocsinStore
import TocsinTestSupport

/// The records of TocsinStoreTests' fixtures (a test target cannot import another's).
enum Records {
    static let baseTime: Int64 = 1_795_452_042_000

    static func incident(_ id: String, at time: Int64 = baseTime, references: String? = nil) -> IncidentRecord {
        IncidentRecord(
            id: id, templateID: "evacuation", templateHash: String(repeating: "ab", count: 32), approved: true,
            status: "Actual", msgType: references == nil ? "Alert" : "Update", references: references, route: "campus",
            variables: #"{"building":"Pavillon A"}"#, messages: #"[{"language":"fr","title":"ÉVACUATION"}]"#,
            contentHash: String(repeating: "cd", count: 32), sent: "2026-11-23T11:40:42-05:00", createdAt: time,
            actorUID: 1000, actorPID: 4242, actorName: "mtremblay"
        )
    }

    static func payload(_ incidentID: String, channel: String = "ops") -> PayloadRecord {
        PayloadRecord(incidentID: incidentID, channel: channel, contentType: "application/json", body: Data(Array(#"{"type":"tocsin.alert"}"#.utf8) + [0, 255]))
    }

    static func delivery(
        _ id: String, incident: String, channel: String = "ops", recipient: String? = nil, state: DeliveryState = .pending,
        at time: Int64 = baseTime
    ) -> DeliveryRecord {
        DeliveryRecord(
            id: id, incidentID: incident, channel: channel, recipient: recipient, state: state.rawValue, createdAt: time,
            deadlineAt: time + 900_000, updatedAt: time
        )
    }

    static func event(_ subject: String, kind: String = "incident.create", at time: Int64 = baseTime) -> AuditEvent {
        AuditEvent(timeMillis: time, kind: kind, actorUID: 1000, actorPID: 4242, subject: subject, detail: #"{"route":"campus"}"#)
    }

    /// One send: an incident, its payload, one delivery and its audit entry.
    static func send(_ incidentID: String, delivery: String? = nil, at time: Int64 = baseTime) -> StoreWrite {
        StoreWrite(
            incidents: [incident(incidentID, at: time)], payloads: [payload(incidentID)],
            deliveries: [self.delivery(delivery ?? "msg_\(incidentID)", incident: incidentID, at: time)],
            audit: [event(incidentID, at: time)]
        )
    }

    /// `count` commits of one audit entry each, subjects `e1`…`eN`.
    static func auditOnly(_ store: any Store, count: Int, from first: Int = 1) async throws {
        for index in first..<(first + count) {
            try await store.commit(StoreWrite(audit: [event("e\(index)", kind: "admin.request", at: baseTime + Int64(index))]))
        }
    }

    /// A fresh Ed25519 key made by openssl, as an operator would make one.
    static func signer() async throws -> AuditSigner {
        let folder = try TemporaryDirectory(prefix: "tocsin-key")
        defer { folder.remove() }
        let path = folder.file("audit-signing.pem")
        _ = try await runCommand("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", path])
        return try AuditSigner(pem: try String(contentsOfFile: path, encoding: .utf8))
    }
}
