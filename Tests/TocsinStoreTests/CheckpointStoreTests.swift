import Foundation
import Testing
import TocsinAudit
import TocsinCore
import TocsinStore
import TocsinTestSupport

struct CheckpointStoreTests {
    /// A fresh Ed25519 key made by openssl, as an operator would make one.
    static func signer(in folder: StoreFolder) async throws -> AuditSigner {
        let path = (folder.path as NSString).appendingPathComponent("audit-signing.pem")
        _ = try await runCommand("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", path])
        return try AuditSigner(pem: try String(contentsOfFile: path, encoding: .utf8))
    }

    @Test func rewrittenRowsUnderACheckpointFailItsSignature() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        let signer = try await Self.signer(in: folder)
        try await Records.auditOnly(store, count: 3)
        try await store.commit(StoreWrite(checkpoint: CheckpointRequest(timeMillis: Records.baseTime + 10, reason: "test", signer: signer, verified: try await store.auditHead())))
        #expect(try await store.verifyAudit(trusting: [signer.publicKey]).problem == nil)

        // Rewrite entry 2 and recompute every hash after it with the documented layout, as someone with write
        // access to the file could.
        let rows = try await store.auditEntries(afterSeq: 0, limit: 10, subject: nil, newest: false)
        var previous = rows[0].hash
        for row in rows.dropFirst() {
            let entry = AuditEntry(
                seq: row.seq, timeMillis: row.timeMillis, kind: row.kind, actorUID: row.actorUID, actorPID: row.actorPID,
                subject: row.subject, node: row.node, detail: row.seq == 2 ? #"{"rewritten":true}"# : row.detail, prevHash: previous
            )
            let detail = entry.detail.replacingOccurrences(of: "'", with: "''")
            try await folder.sqlite("UPDATE audit SET detail = '\(detail)', prevHash = '\(entry.prevHash)', hash = '\(entry.hash)' WHERE seq = \(entry.seq)")
            previous = entry.hash
        }
        let reopened = try SQLiteStore(path: folder.database)
        #expect(try await reopened.verifyAudit().problem == nil)
        let verification = try await reopened.verifyAudit(trusting: [signer.publicKey])
        guard case .badCheckpoint(let seq, _)? = verification.problem else {
            Issue.record("expected the checkpoint to fail, got \(String(describing: verification.problem))")
            return
        }
        #expect(seq == 4)
    }

    @Test func aNewDatabaseReportsTheMigrationsItGotAndAReopenedOneNone() throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let first = try SQLiteStore(path: folder.database)
        #expect(first.migrationsAppliedAtOpen.contains(StoreMigrations.headsRecord))
        let again = try SQLiteStore(path: folder.database)
        #expect(again.migrationsAppliedAtOpen.isEmpty)
    }
}
