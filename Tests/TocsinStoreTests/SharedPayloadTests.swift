import Foundation
import Testing
import TocsinCore
import TocsinStore
import TocsinTestSupport

/// Schema v3: one payload row per distinct body of an incident, and databases of earlier releases keep every payload.
struct SharedPayloadTests {
    @Test func channelsWithTheSameBodyShareOneRowAndEachReadsItsOwn() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        let incident = Records.incident("20261123-SHARED")
        let other = PayloadRecord(incidentID: incident.id, channel: "sms", contentType: "application/x-www-form-urlencoded", body: Data("Body=EVACUATE".utf8))
        let payloads = (1...100).map { Records.payload(incident.id, channel: "c\($0)") } + [other]
        let deliveries = (1...100).map { Records.delivery("msg_\($0)", incident: incident.id, channel: "c\($0)") }
            + [Records.delivery("msg_sms1", incident: incident.id, channel: "sms", recipient: "+15145550001"),
               Records.delivery("msg_sms2", incident: incident.id, channel: "sms", recipient: "+15145550002")]
        try await store.commit(StoreWrite(incidents: [incident], payloads: payloads, deliveries: deliveries, audit: [Records.event(incident.id)]))

        #expect(try await folder.sqlite("SELECT count(*) FROM payload") == "2", "100 identical webhook bodies and one SMS form")
        let keys = Set(payloads.map { PayloadKey(incidentID: $0.incidentID, channel: $0.channel) })
        let stored = try await store.payloads(for: keys)
        #expect(stored.count == 101)
        for payload in payloads {
            #expect(stored[PayloadKey(incidentID: incident.id, channel: payload.channel)] == payload)
        }
        #expect(Set(try await store.deliveries(ofIncident: incident.id)) == Set(deliveries))
        #expect(try await folder.sqlite("PRAGMA foreign_key_check").isEmpty)
    }

    @Test func aDeliveryWithoutAPayloadIsRefusedAndNothingOfItsBatchIsStored() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        let incident = Records.incident("20261123-NOBODY")
        let write = StoreWrite(
            incidents: [incident], payloads: [Records.payload(incident.id, channel: "ops")],
            deliveries: [Records.delivery("msg_ops", incident: incident.id), Records.delivery("msg_x", incident: incident.id, channel: "x")],
            audit: [Records.event(incident.id)]
        )
        await #expect(throws: StoreError.self) { try await store.commit(write) }
        #expect(try await store.incident(incident.id) == nil)
        #expect(try await store.auditHead() == .empty)
    }

    @Test func aLaterDeliveryOfAChannelUsesTheChannelsStoredPayload() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await store.commit(Records.send("20261123-LATER1", delivery: "msg_first"))
        try await store.commit(StoreWrite(deliveries: [Records.delivery("msg_again", incident: "20261123-LATER1")]))
        let stored = try await store.payloads(for: [PayloadKey(incidentID: "20261123-LATER1", channel: "ops")])
        #expect(stored.first?.value == Records.payload("20261123-LATER1"))
        #expect(try await folder.sqlite("SELECT group_concat(payload) FROM delivery") == "1,1")
    }

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
        #expect(store.migrationsAppliedAtOpen == [StoreMigrations.headsRecord, StoreMigrations.sharedPayloads, StoreMigrations.providerReceipts])

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
