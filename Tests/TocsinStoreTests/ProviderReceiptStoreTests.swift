import Foundation
import Testing
import TocsinCore
import TocsinStore
import TocsinTestSupport

/// Schema v4: the service's own id (provider receipt) on each accepted attempt and on its delivery, and databases of
/// the release before it (schema v3) keep every row.
struct ProviderReceiptStoreTests {
    @Test func anAttemptAndItsDeliveryKeepTheReceiptAndLaterUpdatesNeverClearIt() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await store.commit(Records.send("20261123-RCPT01", delivery: "msg_sms1"))
        let at = Records.baseTime + 400
        try await store.commit(StoreWrite(
            attempts: [AttemptRecord(
                deliveryID: "msg_sms1", number: 1, startedAt: at, latencyMillis: 85, httpStatus: 201, error: nil,
                outcome: "delivered", receipt: "SM29f4f980778e4621b72df75ac82f5000"
            )],
            updates: [DeliveryUpdate(
                id: "msg_sms1", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 201, lastError: nil,
                misconfiguration: false, deliveredAt: at, updatedAt: at, receipt: "SM29f4f980778e4621b72df75ac82f5000"
            )],
            audit: [Records.event("20261123-RCPT01", kind: "delivery.attempt", at: at)]
        ))
        #expect(try await store.attempts(ofIncident: "20261123-RCPT01").map(\.receipt) == ["SM29f4f980778e4621b72df75ac82f5000"])
        #expect(try await store.deliveries(ofIncident: "20261123-RCPT01").map(\.receipt) == ["SM29f4f980778e4621b72df75ac82f5000"])

        // An update without a receipt (a later close, a reopen's bookkeeping) leaves the recorded one alone.
        try await store.commit(StoreWrite(updates: [DeliveryUpdate(
            id: "msg_sms1", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 201, lastError: nil,
            misconfiguration: false, deliveredAt: at, updatedAt: at + 1
        )]))
        #expect(try await store.deliveries(ofIncident: "20261123-RCPT01").first?.receipt == "SM29f4f980778e4621b72df75ac82f5000")
    }

    /// The database of release b3b7778 (schema v3, Tests/Fixtures/release-b3b7778) gets v4 alone: every incident,
    /// delivery, attempt, approval and audit entry is still there, unchanged, with no receipt; the audit chain
    /// verifies; and the migrated database records receipts.
    @Test func aSchemaV3DatabaseMigratesAndKeepsItsRows() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let fixture = PackagePaths.root.appendingPathComponent("Tests/Fixtures/release-b3b7778/tocsin.db").path
        try FileManager.default.copyItem(atPath: fixture, toPath: folder.database)
        let tables = ["incident", "payload", "delivery", "attempt", "approval", "audit"]
        var before: [String: String] = [:]
        for table in tables { before[table] = try await folder.sqlite("SELECT * FROM \(table) ORDER BY rowid") }
        #expect(before["attempt"]?.isEmpty == false)
        #expect(before["delivery"]?.isEmpty == false)

        let store = try SQLiteStore(path: folder.database)
        #expect(store.migrationsAppliedAtOpen.first == StoreMigrations.providerReceipts, "\(store.migrationsAppliedAtOpen)")

        for table in ["incident", "payload", "approval", "audit"] {
            #expect(try await folder.sqlite("SELECT * FROM \(table) ORDER BY rowid") == before[table], "\(table)")
        }
        // The old columns of each row, unchanged; the new one empty.
        for table in ["delivery", "attempt"] {
            let columns = try await folder.sqlite("SELECT group_concat(name, ', ') FROM pragma_table_info('\(table)') WHERE name <> 'receipt'")
            let old = try await folder.sqlite("SELECT \(columns) FROM \(table) ORDER BY rowid")
            #expect(old == before[table], "\(table)")
            #expect(try await folder.sqlite("SELECT count(*) FROM \(table) WHERE receipt IS NOT NULL") == "0")
        }
        #expect(try await folder.sqlite("PRAGMA foreign_key_check").isEmpty)
        #expect(try await folder.sqlite("PRAGMA integrity_check") == "ok")
        #expect(try await store.verifyAudit().problem == nil)

        let delivery = try #require(try await folder.sqlite("SELECT id FROM delivery ORDER BY rowid LIMIT 1").split(separator: "\n").first.map(String.init))
        try await store.commit(StoreWrite(attempts: [AttemptRecord(
            deliveryID: delivery, number: 9, startedAt: Records.baseTime, latencyMillis: 1, httpStatus: 201, error: nil,
            outcome: "delivered", receipt: "1346889436626259968"
        )]))
        #expect(try await folder.sqlite("SELECT receipt FROM attempt WHERE number = 9") == "1346889436626259968")
    }
}
