import Foundation
import Testing
import TocsinCore
import TocsinStore

/// Send request keys as every backend keeps them: written with their incident in one transaction, read back by key,
/// and a key taken fails the whole commit, so two requests racing with one key (two connections, two nodes) make one
/// incident.
extension StoreConformanceTests {
    @Test(arguments: Backend.all)
    func aRequestKeyIsStoredWithItsIncidentAndATakenKeyFailsTheWholeCommit(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            let first = Records.incident("20261208-FIRST1")
            let key = "5C2B3F0E-7A4D-4C1B-9E8F-0123456789AB"
            var write = StoreWrite(
                incidents: [first], payloads: [Records.payload(first.id, channel: "ops")],
                deliveries: [Records.delivery("msg_first", incident: first.id, channel: "ops")], audit: [Records.event(first.id)]
            )
            write.sendRequests = [SendRequestRecord(key: key, digest: "d1", incidentID: first.id, createdAt: Records.baseTime)]
            try await store.commit(write)
            #expect(try await store.sendRequest(key: key) == SendRequestRecord(key: key, digest: "d1", incidentID: first.id, createdAt: Records.baseTime))
            #expect(try await store.sendRequest(key: key.lowercased()) == nil, "keys are compared as given")

            // The same key with a second incident: nothing of that commit is stored, its audit entry included.
            let head = try await store.auditHead()
            let second = Records.incident("20261208-SECND2")
            var again = StoreWrite(
                incidents: [second], payloads: [Records.payload(second.id, channel: "ops")],
                deliveries: [Records.delivery("msg_second", incident: second.id, channel: "ops")], audit: [Records.event(second.id)]
            )
            again.sendRequests = [SendRequestRecord(key: key, digest: "d1", incidentID: second.id, createdAt: Records.baseTime + 1)]
            await #expect {
                try await store.commit(again)
            } throws: { error in
                (error as? StoreError)?.code == .constraint
            }
            #expect(try await store.incident(second.id) == nil)
            #expect(try await store.deliveries(ofIncident: second.id).isEmpty)
            #expect(try await store.auditHead() == head)
            #expect(try await store.sendRequest(key: key)?.incidentID == first.id, "the first send keeps its key")
            #expect(try await store.verifyAudit().problem == nil)
        }
        await database.remove()
    }
}
