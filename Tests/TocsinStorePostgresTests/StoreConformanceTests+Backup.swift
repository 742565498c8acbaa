import Foundation
import Testing
import TocsinAudit
import TocsinCore
import TocsinStore
import TocsinTestSupport

/// `backup` on both backends: SQLite's online backup, PostgreSQL's consistent export. Either way the file is a
/// SQLite state that `SQLiteStore` opens with the same history and the same audit chain, hash for hash.
extension StoreConformanceTests {
    /// An incident with a follow-up, shared and distinct payloads, attempts, a delivery with a receipt, an approval,
    /// a web user, and a signed checkpoint.
    static func history(_ store: any Store, signer: AuditSigner) async throws {
        let alert = Records.incident("20261205-BKUP01")
        let update = Records.incident("20261205-BKUP02", at: Records.baseTime + 5_000, references: alert.id)
        try await store.commit(StoreWrite(
            incidents: [alert],
            payloads: [Records.payload(alert.id, channel: "ops"), Records.payload(alert.id, channel: "hall"),
                       PayloadRecord(incidentID: alert.id, channel: "sms", contentType: "text/plain", body: Data("ÉVACUATION".utf8))],
            deliveries: [Records.delivery("msg_b1", incident: alert.id, channel: "ops"), Records.delivery("msg_b2", incident: alert.id, channel: "hall"),
                         Records.delivery("msg_b3", incident: alert.id, channel: "sms", recipient: "+15145551234")],
            approvals: [ApprovalRecord(templateID: "evacuation", contentHash: String(repeating: "cd", count: 32), approverUID: 1000, approverName: "mtremblay", approvedAt: Records.baseTime - 60_000)],
            audit: [Records.event(alert.id)]
        ))
        try await store.commit(StoreWrite(
            attempts: [AttemptRecord(deliveryID: "msg_b1", number: 1, startedAt: Records.baseTime + 10, latencyMillis: 42, httpStatus: 503, error: "HTTP 503", outcome: "retrying", receipt: nil),
                       AttemptRecord(deliveryID: "msg_b1", number: 2, startedAt: Records.baseTime + 900, latencyMillis: 40, httpStatus: 200, error: nil, outcome: "delivered", receipt: "SM123")],
            updates: [DeliveryUpdate(id: "msg_b1", state: .delivered, attempts: 2, nextAttemptAt: nil, lastStatus: 200, lastError: nil, misconfiguration: false, deliveredAt: Records.baseTime + 940, updatedAt: Records.baseTime + 940, receipt: "SM123")],
            audit: [Records.event("msg_b1", kind: "delivery.final", at: Records.baseTime + 940)]
        ))
        try await store.commit(StoreWrite(
            incidents: [update], payloads: [Records.payload(update.id)], deliveries: [Records.delivery("msg_b4", incident: update.id, at: update.createdAt)],
            audit: [Records.event(update.id, at: update.createdAt)]
        ))
        var enrolment = StoreWrite()
        enrolment.webUsers = [.add(Self.webUser("marie"))]
        try await store.commit(enrolment)
        let head = try await store.auditHead()
        try await store.commit(StoreWrite(checkpoint: CheckpointRequest(timeMillis: Records.baseTime + 6_000, reason: "test", signer: signer, verified: head)))
    }

    @Test(arguments: Backend.all)
    func aBackupIsASQLiteStateWithTheSameHistoryAndChain(backend: Backend) async throws {
        let database = try await backend.database()
        let folder = try TemporaryDirectory(prefix: "tocsin-backup")
        defer { folder.remove() }
        let signer = try await Records.signer()
        let path = folder.file("tocsin-backup.db")
        try await database.withStore { store async throws in
            try await Self.history(store, signer: signer)
            let head = try await store.backup(to: path)
            #expect(head == (try await store.auditHead()))
            #expect(head.seq == 4)
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600, "a backup holds every message: the daemon's user alone reads it")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["tocsin-backup.db"], "no partial file left")
            // Written after the backup: not in it.
            try await store.commit(Records.send("20261205-AFTER1", at: Records.baseTime + 9_000))
            await #expect {
                _ = try await store.backup(to: path)
            } throws: { error in
                (error as? StoreError)?.message.contains("already exists; name a new file (backups never overwrite)") == true
            }

            let copy = try SQLiteStore(path: path)
            for id in ["20261205-BKUP01", "20261205-BKUP02"] {
                #expect(try await copy.incident(id) == (try await store.incident(id)))
                #expect(try await copy.deliveries(ofIncident: id) == (try await store.deliveries(ofIncident: id)))
                #expect(try await copy.attempts(ofIncident: id) == (try await store.attempts(ofIncident: id)))
            }
            #expect(try await copy.incident("20261205-AFTER1") == nil)
            #expect(try await copy.followUps(of: "20261205-BKUP01").map(\.id) == ["20261205-BKUP02"])
            #expect(try await copy.approvals(ofTemplate: "evacuation") == (try await store.approvals(ofTemplate: "evacuation")))
            #expect(try await copy.webUsers() == [Self.webUser("marie")], "the web users, their hashes and seals as stored")
            let keys: Set = ["ops", "hall", "sms"].map { PayloadKey(incidentID: "20261205-BKUP01", channel: $0) }.reduce(into: []) { $0.insert($1) }
            #expect(try await copy.payloads(for: keys) == (try await store.payloads(for: keys)))
            #expect(try await copy.auditEntries(afterSeq: 0, limit: 100, subject: nil, newest: false)
                == (try await store.auditEntries(afterSeq: 0, limit: 4, subject: nil, newest: false)))
            let verified = try await copy.verifyAudit(trusting: [signer.publicKey])
            #expect(verified.problem == nil)
            #expect(verified.head == head)
            #expect(verified.checkpoints == 1)
            // A working state: the copy takes new writes and its chain goes on.
            try await copy.commit(Records.send("20261205-RESTOR", at: Records.baseTime + 10_000))
            #expect(try await copy.verifyAudit().problem == nil)
            #expect(try await copy.auditHead().seq == 5)
        }
        await database.remove()
    }

    /// What the backup's room check measures: more than nothing once something is stored, on either backend.
    @Test(arguments: Backend.all)
    func theSizeABackupNeedsIsKnown(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261205-SIZE01"))
            #expect(try await store.sizeInBytes() > 4_096)
        }
        await database.remove()
    }
}
