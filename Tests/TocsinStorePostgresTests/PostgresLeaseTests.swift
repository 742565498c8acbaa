import Foundation
import Testing
import TocsinCore
import TocsinStore
import TocsinStorePostgres
import TocsinTestSupport

/// Leases and nodes across several stores (nodes) on one PostgreSQL database: exclusive claims, take-over once a
/// lease lapses, fencing by generation, one running node at a time.
@Suite(PostgresScope(), .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)"))
struct PostgresLeaseTests {
    static let lease: Int64 = 10_000
    static let now = Records.baseTime + 100

    /// Two nodes claiming together get disjoint deliveries that cover all of them.
    @Test func twoNodesClaimingTogetherNeverClaimTheSameDelivery() async throws {
        let database = try await Backend.postgres.database()
        try await database.withStore { store async throws in
            for index in 0..<60 {
                try await store.commit(Records.send("20261205-C\(index)", delivery: "msg_c\(index)", at: Records.baseTime + Int64(index)))
            }
        }
        let claims = try await withThrowingTaskGroup(of: [DeliveryLease].self) { group in
            for node in ["campus-a", "campus-b"] {
                group.addTask {
                    try await database.withStore { store async throws in
                        var mine: [DeliveryLease] = []
                        while true {
                            let batch = try await store.claimDeliveries(node: node, now: Self.now, leaseMillis: Self.lease, limit: 7)
                            if batch.isEmpty { return mine }
                            mine += batch
                        }
                    }
                }
            }
            return try await group.reduce(into: [[DeliveryLease]]()) { $0.append($1) }
        }
        let ids = claims.flatMap { $0.map(\.deliveryID) }
        #expect(ids.count == 60, "every delivery claimed once")
        #expect(Set(ids).count == 60, "no delivery claimed by both")
        #expect(claims.allSatisfy { Set($0.map(\.node)).count <= 1 })
        await database.remove()
    }

    /// A lease that lapsed is taken over at the next generation; the old holder can neither renew nor release it.
    @Test func aLapsedLeaseIsTakenOverAndTheOldHolderIsFenced() async throws {
        let database = try await Backend.postgres.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261205-TAKE01", delivery: "msg_t1", at: Records.baseTime))
            let held = try #require(try await store.claimDeliveries(node: "campus-a", now: Self.now, leaseMillis: Self.lease, limit: 10).first)
            #expect(held.generation == 1)
            // Still held: another node gets nothing before it lapses.
            #expect(try await store.claimDeliveries(node: "campus-b", now: Self.now + Self.lease - 1, leaseMillis: Self.lease, limit: 10).isEmpty)
            let taken = try #require(try await store.claimDeliveries(node: "campus-b", now: Self.now + Self.lease, leaseMillis: Self.lease, limit: 10).first)
            #expect(taken.deliveryID == "msg_t1")
            #expect(taken.generation == 2)
            #expect(taken.node == "campus-b")
            // The late holder: its renewal and release change nothing.
            #expect(try await store.renewLeases([held], until: Self.now + 5 * Self.lease).isEmpty)
            try await store.releaseLeases([held])
            #expect(try await database.sql("SELECT lease_node || ' ' || lease_generation || ' ' || lease_expires_at FROM delivery WHERE id = 'msg_t1'")
                == "campus-b 2 \(Self.now + 2 * Self.lease)")
            #expect(try await store.renewLeases([taken], until: Self.now + 3 * Self.lease).map(\.expiresAt) == [Self.now + 3 * Self.lease])
        }
        await database.remove()
    }

    static func node(_ name: String, at time: Int64) -> ClusterNode {
        ClusterNode(name: name, host: "host-\(name)", pid: 4242, fingerprint: String(repeating: "ab", count: 32), startedAt: time, lastSeen: time)
    }

    /// Until the dispatcher uses leases, a second node is refused while the first one's heartbeat is fresh.
    @Test func aSecondNodeIsRefusedWhileTheFirstIsAliveAndAcceptedOnceItIsSilent() async throws {
        let database = try await Backend.postgres.database()
        let window = 3 * Self.lease
        try await database.withStore { store async throws in
            try await store.startNode(Self.node("campus-a", at: Self.now), refusingOthersSeenWithin: window)
            try await store.nodeHeartbeat(name: "campus-a", at: Self.now + 1_000)
            await #expect {
                try await store.startNode(Self.node("campus-b", at: Self.now + 2_000), refusingOthersSeenWithin: window)
            } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.code == .busy && error.message.contains("another tocsind node, 'campus-a' (pid 4242 on host-campus-a), ran on this database 1 s ago")
            }
            // The same node restarted is not a second node.
            try await store.startNode(Self.node("campus-a", at: Self.now + 3_000), refusingOthersSeenWithin: window)
            #expect(try await store.nodes().map(\.name) == ["campus-a"])
            // Silent for 3 leases (killed): forgotten.
            try await store.startNode(Self.node("campus-b", at: Self.now + 3_000 + window + 1), refusingOthersSeenWithin: window)
            #expect(try await store.nodes().map(\.name) == ["campus-a", "campus-b"])
            try await store.stopNode(name: "campus-b")
            try await store.stopNode(name: "campus-a")
            #expect(try await store.nodes().isEmpty)
            // Stopped cleanly: another node starts at once.
            try await store.startNode(Self.node("campus-c", at: Self.now + 3_500), refusingOthersSeenWithin: window)
        }
        await database.remove()
    }

    /// Two nodes starting at the same moment: exactly one runs (the start is serialised by an advisory lock).
    @Test func twoNodesStartingTogetherOneIsRefused() async throws {
        let database = try await Backend.postgres.database()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for name in ["campus-a", "campus-b"] {
                group.addTask {
                    try await database.withStore { store async throws in
                        do {
                            try await store.startNode(Self.node(name, at: Self.now), refusingOthersSeenWithin: 3 * Self.lease)
                            return true
                        } catch let error as StoreError where error.code == .busy {
                            return false
                        }
                    }
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.filter { $0 }.count == 1, "\(results)")
        await database.remove()
    }
}
