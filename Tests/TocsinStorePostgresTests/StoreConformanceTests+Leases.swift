import Foundation
import Testing
import TocsinCore
import TocsinStore
import TocsinTestSupport

/// Leases as every backend gives them to its node (SQLite: one node, every claim succeeds).
extension StoreConformanceTests {
    static let lease: Int64 = 10_000

    /// Three sends: two unfinished deliveries and a delivered one.
    static func threeDeliveries(_ store: any Store) async throws {
        try await store.commit(Records.send("20261205-LEASE1", delivery: "msg_l1", at: Records.baseTime))
        try await store.commit(Records.send("20261205-LEASE2", delivery: "msg_l2", at: Records.baseTime + 1))
        try await store.commit(Records.send("20261205-LEASE3", delivery: "msg_l3", at: Records.baseTime + 2))
        try await store.commit(StoreWrite(updates: [DeliveryUpdate(
            id: "msg_l3", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 200, lastError: nil,
            misconfiguration: false, deliveredAt: Records.baseTime + 50, updatedAt: Records.baseTime + 50
        )]))
    }

    @Test(arguments: Backend.all)
    func aNodeClaimsUnfinishedDeliveriesOldestFirstRenewsAndReleasesThem(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await Self.threeDeliveries(store)
            let now = Records.baseTime + 100
            let first = try await store.claimDeliveries(node: "campus-a", now: now, leaseMillis: Self.lease, limit: 1)
            #expect(first.map(\.deliveryID) == ["msg_l1"], "the limit holds, oldest first")
            let claimed = try await store.claimDeliveries(node: "campus-a", now: now, leaseMillis: Self.lease, limit: 10)
            #expect(Set((first + claimed).map(\.deliveryID)) == ["msg_l1", "msg_l2"], "a delivered delivery is never claimed")
            #expect((first + claimed).allSatisfy { $0.node == "campus-a" && $0.expiresAt == now + Self.lease && $0.generation >= 1 })
            let all = Array(Set(first + claimed))
            let renewed = try await store.renewLeases(all, until: now + 2 * Self.lease)
            #expect(Set(renewed.map(\.deliveryID)) == Set(all.map(\.deliveryID)))
            #expect(renewed.allSatisfy { $0.expiresAt == now + 2 * Self.lease })
            try await store.releaseLeases(renewed)
            #expect(try await store.renewLeases([], until: now).isEmpty)
            // Nothing held any more: the node claims them again.
            let again = try await store.claimDeliveries(node: "campus-a", now: now + 1, leaseMillis: Self.lease, limit: 10)
            #expect(Set(again.map(\.deliveryID)) == ["msg_l1", "msg_l2"])
        }
        await database.remove()
    }

    /// A delivery the node finished between reading what it holds and renewing it is not reported as taken over:
    /// the node would forget it before its commit's answer and never hear that its incident ended.
    @Test(arguments: Backend.all)
    func aDeliveryTheNodeFinishedIsNotReportedLostAtItsNextRenewal(backend: Backend) async throws {
        let database = try await backend.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261206-DONE1", delivery: "msg_done1", at: Records.baseTime))
            let now = Records.baseTime + 100
            let lease = try #require(try await store.claimDeliveries(node: "campus-a", now: now, leaseMillis: Self.lease, limit: 10).first)
            try await store.commit(StoreWrite(updates: [DeliveryUpdate(
                id: "msg_done1", state: .delivered, attempts: 1, nextAttemptAt: nil, lastStatus: 200, lastError: nil,
                misconfiguration: false, deliveredAt: now + 50, updatedAt: now + 50, generation: lease.generation
            )]))
            #expect(try await store.renewLeases([lease], until: now + 2 * Self.lease).map(\.deliveryID) == ["msg_done1"])
            if backend == .postgres {
                #expect(try await database.sql("SELECT COALESCE(lease_node, '-') || ' ' || COALESCE(lease_expires_at::text, '-') FROM delivery") == "- -", "and it gets no lease")
            }
        }
        await database.remove()
    }
}
