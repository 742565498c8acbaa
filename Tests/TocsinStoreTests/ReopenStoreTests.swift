import Foundation
import Testing
import TocsinCore
import TocsinStore

/// `StoreWrite.reopened`: a resend's failed → pending, applied only to a delivery still failed, with its audit entry
/// in the same transaction.
struct ReopenStoreTests {
    private static let incident = "20261123-R3SEND"

    private static func failedAndDelivered(_ store: SQLiteStore) async throws {
        try await store.commit(StoreWrite(
            incidents: [Records.incident(incident)], payloads: [Records.payload(incident)],
            deliveries: [
                Records.delivery("msg_failed", incident: incident, state: .failed),
                Records.delivery("msg_delivered", incident: incident, state: .delivered),
            ],
            audit: [Records.event(incident)]
        ))
        try await store.commit(StoreWrite(updates: [DeliveryUpdate(
            id: "msg_failed", state: .failed, attempts: 4, nextAttemptAt: nil, lastStatus: 500,
            lastError: "gave up: the delivery deadline has passed", misconfiguration: true, deliveredAt: nil, updatedAt: Records.baseTime + 1
        )]))
    }

    @Test func aFailedDeliveryIsReopenedWithItsAttemptsAndAFreshDeadline() async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await Self.failedAndDelivered(store)
        var write = StoreWrite(audit: [Records.event(Self.incident, kind: "incident.resend")])
        write.reopened = [DeliveryReopening(id: "msg_failed", deadlineAt: Records.baseTime + 5_000_000, updatedAt: Records.baseTime + 2)]
        try await store.commit(write)

        let reopened = try #require(try await store.deliveries(ofIncident: Self.incident).first { $0.id == "msg_failed" })
        #expect(reopened.state == "pending")
        #expect(reopened.attempts == 4, "the attempt log goes on")
        #expect(reopened.deadlineAt == Records.baseTime + 5_000_000)
        #expect(reopened.lastError == nil && !reopened.misconfiguration)
        #expect(try await store.unfinishedDeliveries().map(\.id) == ["msg_failed"], "a restart would send it again")
        #expect(try await store.auditEntries(afterSeq: 0, limit: 10, subject: Self.incident, newest: false).last?.kind == "incident.resend")
        #expect(try await store.verifyAudit().problem == nil)
    }

    @Test(arguments: ["msg_delivered", "msg_failed_twice", "msg_unknown"])
    func onlyAStillFailedDeliveryIsReopenedAndOtherwiseNothingIsWritten(id: String) async throws {
        let folder = try StoreFolder()
        defer { folder.remove() }
        let store = try SQLiteStore(path: folder.database)
        try await Self.failedAndDelivered(store)
        var first = StoreWrite()
        first.reopened = [DeliveryReopening(id: "msg_failed", deadlineAt: Records.baseTime + 5_000_000, updatedAt: Records.baseTime + 2)]
        if id == "msg_failed_twice" { try await store.commit(first) }
        let head = try await store.auditHead()
        let before = try await store.deliveries(ofIncident: Self.incident)

        // A second resend of the same delivery (racing the first), a delivered one, or one that does not exist.
        var write = StoreWrite(audit: [Records.event(Self.incident, kind: "incident.resend")])
        write.reopened = [DeliveryReopening(id: id == "msg_failed_twice" ? "msg_failed" : id, deadlineAt: Records.baseTime + 9_000_000, updatedAt: Records.baseTime + 3)]
        await #expect {
            try await store.commit(write)
        } throws: { error in
            (error as? StoreError)?.code == .constraint
        }
        #expect(try await store.auditHead() == head, "nor its audit entry: one transaction")
        #expect(try await store.deliveries(ofIncident: Self.incident) == before)
    }
}
