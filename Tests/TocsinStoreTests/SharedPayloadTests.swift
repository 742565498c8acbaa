import Foundation
import Testing
import TocsinCore
import TocsinStore
import TocsinTestSupport

/// Schema v3: one payload row per distinct body of an incident, and databases of earlier releases keep every payload.
struct SharedPayloadTests {

    /// The database of release 98aadc0 (schema v1: one payload row per channel) through v2 and v3: every delivery
    /// keeps its channel's exact bytes, nothing is merged or dropped, the foreign keys hold and the chain verifies.
    @Test func aPreviousReleaseDatabaseKeepsEveryPayload() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let fixture = PackagePaths.root.appendingPathComponent("Tests/Fixtures/release-98aadc0/tocsin.db").path
        try FileManager.default.copyItem(atPath: fixture, toPath: folder.database)
        let payloadsBefore = try await folder.sqlite("SELECT incidentID || '|' || channel || '|' || contentType || '|' || hex(body) FROM payload ORDER BY 1")
        let deliveriesBefore = try await folder.sqlite("SELECT id, incidentID, channel, recipient, state, attempts, updatedAt FROM delivery ORDER BY id")
        #expect(!payloadsBefore.isEmpty)

        let store = try SQLiteStore(path: folder.database)
        #expect(store.migrationsAppliedAtOpen == [
            StoreMigrations.headsRecord, StoreMigrations.sharedPayloads, StoreMigrations.providerReceipts, StoreMigrations.leaseGenerations,
            StoreMigrations.auditNodes, StoreMigrations.webUsers, StoreMigrations.sendRequests,
        ])

        var keys: Set<PayloadKey> = []
        var expected: [PayloadKey: PayloadRecord] = [:]
        for line in payloadsBefore.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let key = PayloadKey(incidentID: fields[0], channel: fields[1])
            keys.insert(key)
            expected[key] = PayloadRecord(incidentID: fields[0], channel: fields[1], contentType: fields[2], body: try #require(HexText.data(fields[3])))
        }
        #expect(try await store.payloads(for: keys) == expected)
        #expect(try await folder.sqlite("SELECT id, incidentID, channel, recipient, state, attempts, updatedAt FROM delivery ORDER BY id") == deliveriesBefore)
        #expect(try await folder.sqlite("PRAGMA foreign_key_check").isEmpty)
        #expect(try await folder.sqlite("PRAGMA integrity_check") == "ok")
        #expect(try await store.verifyAudit().problem == nil)
    }
}

private enum HexText {
    static func data(_ hex: String) -> Data? {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return Data(bytes)
    }
}
