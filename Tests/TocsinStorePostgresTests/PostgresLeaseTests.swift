import Foundation
import PostgresNIO
import Synchronization
import Testing
import TocsinCore
import TocsinStore
import TocsinStorePostgres
import TocsinTestSupport

/// Leases and nodes across several stores (nodes) on one PostgreSQL database: exclusive claims, take-over once a
/// lease lapses, fencing by generation, one running node per name.
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

    /// A cancel of deliveries another node holds is one commit (cancelled, fenced, audited), and that node hears
    /// it (LISTEN/NOTIFY, issue 17 items 3 and 5); leases given up are heard too, and again after its listening connection was cut (it listens again by
    /// itself, and looks once on reconnecting, since what was sent meanwhile was not heard).
    @Test func aNodeHearsWakeUpsAndListensAgainAfterItsConnectionIsCut() async throws {
        let database = try await Backend.postgres.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261205-WAKE01", delivery: "msg_w1", at: Records.baseTime))
        }
        let heard = WakeUps()
        func count() -> Int { heard.count.load(ordering: .relaxed) }
        let listeners = "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'"
        try await database.withStore { listening async throws in
            let follower = Task { [listening] in await listening.followWakeUps { heard.count.add(1, ordering: .relaxed) } }
            defer { follower.cancel() }
            #expect(try await waitUntil { count() >= 1 }, "a look once listening")
            try await database.withStore { other async throws in
                let held = try #require(try await other.claimDeliveries(node: "campus-a", now: Self.now, leaseMillis: Self.lease, limit: 10).first)
                let beforeCancel = count()
                let cancel = CancelElsewhere(incident: "20261205-WAKE01", except: [], at: Self.now + 1) { delivery in
                    AuditEvent(timeMillis: Self.now + 1, kind: "delivery.final", subject: delivery.incidentID, detail: #"{"delivery":"\#(delivery.id)","state":"cancelled"}"#)
                }
                try await other.commit(StoreWrite(cancelElsewhere: cancel))
                let cancelled = cancel.outcome.deliveries
                #expect(cancelled.map(\.id) == ["msg_w1"] && cancelled.first?.generation == held.generation + 1, "cancelled before its lease lapsed, fenced")
                #expect(try await database.sql("SELECT state || ' ' || COALESCE(lease_node, '-') FROM delivery WHERE id = 'msg_w1'") == "cancelled -")
                #expect(try await database.sql("SELECT count(*) FROM audit WHERE kind = 'delivery.final' AND subject = '20261205-WAKE01'") == "1", "with its audit entry")
                // campus-a's renewal finds the lease gone; nobody can claim the delivery again.
                #expect(try await other.renewLeases([held], until: Self.now + 5 * Self.lease).isEmpty)
                #expect(try await other.claimDeliveries(node: "campus-c", now: Self.now + 10 * Self.lease, leaseMillis: Self.lease, limit: 10).isEmpty)
                #expect(try await waitUntil { count() > beforeCancel }, "the cancel is heard")

                // The listening connection cut (a failover, a backend killed): it listens again and looks once.
                let beforeCut = count()
                #expect(try await database.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'LISTEN%'") == "1")
                #expect(try await waitUntil(timeout: .seconds(30)) { count() > beforeCut }, "a look on reconnecting")
                #expect(try await database.sql(listeners) == "1")
                let beforeRelease = count()
                try await other.commit(Records.send("20261205-WAKE02", delivery: "msg_w2", at: Records.baseTime + 1))
                let claimed = try await other.claimDeliveries(node: "campus-b", now: Self.now, leaseMillis: Self.lease, limit: 10)
                #expect(claimed.map(\.deliveryID) == ["msg_w2"])
                try await other.releaseLeases(claimed)
                #expect(try await waitUntil { count() > beforeRelease }, "the release is heard after reconnecting")
            }
            follower.cancel()
            await follower.value
        }
        #expect(try await database.sql(listeners) == "0", "no connection left listening once the follower stops")
        await database.remove()
    }

    static func node(_ name: String, at time: Int64) -> ClusterNode {
        ClusterNode(name: name, host: "host-\(name)", pid: 4242, fingerprint: String(repeating: "ab", count: 32), startedAt: time, lastSeen: time)
    }

    /// Several nodes run on one database; only a node of the same name on another host is refused while it lives
    /// (two nodes of one name would renew and fence as one).
    @Test func otherNodesStartAndANamesakeOnAnotherHostIsRefusedWhileItLives() async throws {
        let database = try await Backend.postgres.database()
        let window = 3 * Self.lease
        try await database.withStore { store async throws in
            try await store.startNode(Self.node("campus-a", at: Self.now), refusingOthersSeenWithin: window)
            try await store.nodeHeartbeat(name: "campus-a", at: Self.now + 1_000)
            try await store.startNode(Self.node("campus-b", at: Self.now + 2_000), refusingOthersSeenWithin: window)
            #expect(try await store.nodes().map(\.name) == ["campus-a", "campus-b"])
            var namesake = Self.node("campus-a", at: Self.now + 2_000)
            namesake.host = "elsewhere.example"
            await #expect {
                try await store.startNode(namesake, refusingOthersSeenWithin: window)
            } throws: { error in
                guard let error = error as? StoreError else { return false }
                return error.code == .busy
                    && error.message.contains("another tocsind node named 'campus-a' (pid 4242 on host-campus-a) ran on this database 1 s ago")
            }
            // The same node restarted on its own host replaces its row.
            try await store.startNode(Self.node("campus-a", at: Self.now + 3_000), refusingOthersSeenWithin: window)
            #expect(try await store.nodes().map(\.name) == ["campus-a", "campus-b"])
            // Silent for 3 leases (killed): its name may be taken up elsewhere.
            namesake.startedAt = Self.now + 3_000 + window + 1
            namesake.lastSeen = namesake.startedAt
            try await store.startNode(namesake, refusingOthersSeenWithin: window)
            #expect(try await store.nodes().first { $0.name == "campus-a" }?.host == "elsewhere.example")
        }
        await database.remove()
    }

    /// Two namesakes on two hosts starting at the same moment: exactly one runs (starts are serialised by an
    /// advisory lock).
    @Test func twoNamesakesStartingTogetherOneIsRefused() async throws {
        let database = try await Backend.postgres.database()
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for host in ["host-a", "host-b"] {
                group.addTask {
                    try await database.withStore { store async throws in
                        var node = Self.node("campus", at: Self.now)
                        node.host = host
                        do {
                            try await store.startNode(node, refusingOthersSeenWithin: 3 * Self.lease)
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

    /// Fencing: the outcome of a node whose lease was taken over is recorded as late, with its generation, and
    /// changes nothing of the delivery, which the new holder's outcome then finishes.
    @Test func aLateOutcomeIsRecordedAsLateAndNeverOverwritesTheNewHolder() async throws {
        let database = try await Backend.postgres.database()
        try await database.withStore { store async throws in
            try await store.commit(Records.send("20261205-FENCE1", delivery: "msg_f1", at: Records.baseTime))
            let old = try #require(try await store.claimDeliveries(node: "campus-a", now: Self.now, leaseMillis: Self.lease, limit: 10).first)
            let new = try #require(try await store.claimDeliveries(node: "campus-b", now: Self.now + Self.lease, leaseMillis: Self.lease, limit: 10).first)
            #expect(old.generation == 1 && new.generation == 2)

            // campus-b's attempt is still in flight; campus-a's late answer comes in: delivered, says it.
            let late = Self.outcome(.delivered, number: 1, generation: old.generation, at: Self.now + Self.lease + 10)
            try await store.commit(late)
            let attempts = try await store.attempts(ofIncident: "20261205-FENCE1")
            #expect(attempts.map(\.generation) == [1])
            #expect(attempts.map(\.late) == [true], "recorded, as late")
            let untouched = try #require(try await store.deliveries(ofIncident: "20261205-FENCE1").first)
            #expect(untouched.state == "pending" && untouched.attempts == 0, "the new holder's state stays")
            #expect(try await database.sql("SELECT lease_node || ' ' || lease_generation FROM delivery WHERE id = 'msg_f1'") == "campus-b 2")
            let kinds = try await database.sql("SELECT string_agg(kind, ',' ORDER BY seq) FROM audit")
            #expect(kinds == "incident.create,delivery.attempt.late,delivery.final.late", "\(kinds)")

            // The holder's own outcome applies, and frees the lease.
            try await store.commit(Self.outcome(.retrying, number: 1, generation: new.generation, at: Self.now + Self.lease + 20))
            let retrying = try #require(try await store.deliveries(ofIncident: "20261205-FENCE1").first)
            #expect(retrying.state == "retrying" && retrying.attempts == 1)
            #expect(try await store.attempts(ofIncident: "20261205-FENCE1").map(\.late) == [true, false])
            try await store.commit(Self.outcome(.delivered, number: 2, generation: new.generation, at: Self.now + Self.lease + 30))
            #expect(try await store.deliveries(ofIncident: "20261205-FENCE1").first?.state == "delivered")
            #expect(try await database.sql("SELECT coalesce(lease_node, '-') FROM delivery WHERE id = 'msg_f1'") == "-")
            #expect(try await store.verifyAudit().problem == nil)
        }
        await database.remove()
    }

    /// Renewals and recordings of the same deliveries at once, as a busy node makes them: neither is ever chosen as
    /// a deadlock's victim. Both lock the rows they change in id order, the recording for every batch of a group
    /// commit at once; a renewal that failed here would let leases lapse under attempts in flight, and another node
    /// would send them again (8,817 of 100,000 requests in the two-node benchmark before this).
    @Test func renewalsAndGroupCommittedRecordingsOfTheSameDeliveriesNeverDeadlock() async throws {
        let database = try await Backend.postgres.database()
        let count = 120
        try await database.withStore { store async throws in
            let ids = (0..<count).map { String(format: "msg_d%03d", $0) }
            try await store.commit(StoreWrite(
                incidents: [Records.incident("20261206-LOCKS")], payloads: [Records.payload("20261206-LOCKS")],
                deliveries: ids.map { Records.delivery($0, incident: "20261206-LOCKS") }, audit: [Records.event("20261206-LOCKS")]
            ))
            let leases = try await store.claimDeliveries(node: "campus-a", now: Self.now, leaseMillis: Self.lease, limit: count)
            #expect(leases.count == count)
            let generation = Dictionary(uniqueKeysWithValues: leases.map { ($0.deliveryID, $0.generation) })
            // A recording of some deliveries, their ids given from the highest: one batch of a group commit.
            func recording(_ slice: ArraySlice<String>, round: Int) -> StoreWrite {
                let time = Self.now + Int64(round)
                return StoreWrite(
                    updates: slice.reversed().map { id in
                        DeliveryUpdate(
                            id: id, state: .retrying, attempts: round, nextAttemptAt: time + 1_000, lastStatus: 503, lastError: nil,
                            misconfiguration: false, deliveredAt: nil, updatedAt: time, generation: generation[id]
                        )
                    },
                    audit: [AuditEvent(timeMillis: time, kind: "delivery.attempt", subject: "20261206-LOCKS", detail: "{}", fence: slice.first)]
                )
            }
            for round in 1...12 {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Four batches that the store groups into one transaction: high ids first, then low ones.
                    for part in 0..<4 {
                        let slice = ids[((3 - part) * count / 4)..<((4 - part) * count / 4)]
                        group.addTask { try await store.commit(recording(slice, round: round)) }
                    }
                    // The node renewing everything it holds meanwhile, lowest id first.
                    group.addTask {
                        for step in 0..<4 {
                            let renewed = try await store.renewLeases(leases, until: Self.now + Self.lease + Int64(round * 10 + step))
                            #expect(renewed.count == count, "every lease renewed")
                        }
                    }
                    try await group.waitForAll()
                }
            }
            #expect(try await database.sql("SELECT count(*) FROM delivery WHERE state = 'retrying' AND attempts = 12") == "\(count)")
            #expect(try await store.verifyAudit().problem == nil)
        }
        await database.remove()
    }

    /// A commit PostgreSQL rolls back as a deadlock's victim (here against another client that locks the same two
    /// rows the other way round, as a tool or an older node might) is made again and stored, not refused.
    @Test func aCommitChosenAsADeadlocksVictimIsMadeAgain() async throws {
        let database = try await Backend.postgres.database()
        try await database.withStore { store async throws in
            try await store.commit(StoreWrite(
                incidents: [Records.incident("20261206-VICTIM")], payloads: [Records.payload("20261206-VICTIM")],
                deliveries: ["msg_va", "msg_vb"].map { Records.delivery($0, incident: "20261206-VICTIM") }
            ))
            let other = try await database.connection()
            // The other client waits long before looking for deadlocks: the store's commit, waiting first, is the victim.
            try await other.query("SET deadlock_timeout = '60s'", logger: TestDatabase.logger)
            try await other.query("BEGIN", logger: TestDatabase.logger)
            try await other.query("SELECT id FROM delivery WHERE id = 'msg_vb' FOR UPDATE", logger: TestDatabase.logger)
            let time = Self.now
            let commit = Task {
                try await store.commit(StoreWrite(updates: ["msg_va", "msg_vb"].map { id in
                    DeliveryUpdate(
                        id: id, state: .retrying, attempts: 1, nextAttemptAt: time + 1_000, lastStatus: 503, lastError: nil,
                        misconfiguration: false, deliveredAt: nil, updatedAt: time
                    )
                }))
            }
            let waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT id, lease_generation FROM delivery%'"
            #expect(try await waitUntil { try await database.sql(waiting) == "1" }, "the commit holds msg_va and waits for msg_vb")
            // The cycle: PostgreSQL breaks it by rolling the commit back, and this client gets msg_va.
            try await other.query("SELECT id FROM delivery WHERE id = 'msg_va' FOR UPDATE", logger: TestDatabase.logger)
            try await other.query("COMMIT", logger: TestDatabase.logger)
            try await other.close()
            try await commit.value
            #expect(try await database.sql("SELECT string_agg(state || ' ' || attempts, ',' ORDER BY id) FROM delivery") == "retrying 1,retrying 1")
            #expect(try await waitUntil {
                try await database.sql("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()") != "0"
            }, "the first try was a deadlock's victim")
        }
        await database.remove()
    }

    /// A renewal renews at once every row no commit holds, then waits only for the rows a commit holds (as this
    /// node's own commits of outcomes do, one after the other): it keeps those still this node's once the commit is
    /// through and loses one another node took over, even while that claim was in progress. (In one statement
    /// waiting row by row, a renewal of thousands of rows queued behind the node's own commits for longer than the
    /// lease: 384 of 50,000 requests sent twice in the two-node benchmark.)
    @Test func aRenewalRenewsTheFreeRowsAtOnceAndWaitsOnlyForTheRowsACommitHolds() async throws {
        let database = try await Backend.postgres.database()
        try await database.withStore { store async throws in
            let ids = ["msg_s1", "msg_s2", "msg_s3"]
            try await store.commit(StoreWrite(
                incidents: [Records.incident("20261206-SKIP")], payloads: [Records.payload("20261206-SKIP")],
                deliveries: ids.map { Records.delivery($0, incident: "20261206-SKIP") }
            ))
            let leases = try await store.claimDeliveries(node: "campus-a", now: Self.now, leaseMillis: Self.lease, limit: 10)
            #expect(leases.map(\.deliveryID) == ids)
            try await database.sql("UPDATE delivery SET lease_expires_at = \(Self.now) WHERE id = 'msg_s3'")

            // Another transaction holds msg_s2 (as a commit of an outcome does) and is claiming msg_s3, lapsed, for
            // campus-b (not committed yet: msg_s3 still reads as campus-a's).
            let other = try await database.connection()
            try await other.query("BEGIN", logger: TestDatabase.logger)
            try await other.query("SELECT id FROM delivery WHERE id = 'msg_s2' FOR UPDATE", logger: TestDatabase.logger)
            try await other.query("UPDATE delivery SET lease_node = 'campus-b', lease_generation = lease_generation + 1, lease_expires_at = \(Self.now + 5 * Self.lease) WHERE id = 'msg_s3'", logger: TestDatabase.logger)
            let until = Self.now + 3 * Self.lease
            let renewal = Task { try await store.renewLeases(leases, until: until) }
            // The free row is renewed (committed) while the others are still held.
            #expect(try await waitUntil { try await database.sql("SELECT lease_expires_at FROM delivery WHERE id = 'msg_s1'") == "\(until)" })
            #expect(try await database.sql("SELECT lease_expires_at FROM delivery WHERE id = 'msg_s2'") == "\(Self.now + Self.lease)")
            try await other.query("COMMIT", logger: TestDatabase.logger)
            try await other.close()
            let renewed = try await renewal.value
            #expect(renewed.map(\.deliveryID) == ["msg_s1", "msg_s2"], "the held one kept once its commit is through, the taken one lost")
            let rows = try await database.sql("SELECT string_agg(id || '=' || lease_node || '@' || lease_expires_at, ',' ORDER BY id) FROM delivery")
            #expect(rows == "msg_s1=campus-a@\(until),msg_s2=campus-a@\(until),msg_s3=campus-b@\(Self.now + 5 * Self.lease)")
        }
        await database.remove()
    }

    /// What a node writes is born leased to it (generation 0, from the delivery's creation): between its commit and
    /// its claim a moment later, another node's poll or claim passes it over; if the writer dies before claiming,
    /// the birth lease lapses and another node takes it over.
    @Test func aDeliveryIsBornLeasedToTheNodeThatWroteIt() async throws {
        let database = try await Backend.postgres.database()
        try await database.withStore { store async throws in
            try #require(store as? PostgresStore).leaseNewDeliveries(to: "campus-a", for: Self.lease)
            try await store.commit(Records.send("20261206-BORN01", delivery: "msg_born1", at: Self.now))
            try await store.commit(Records.send("20261206-BORN02", delivery: "msg_born2", at: Self.now))
            // A delivery written failed (its channel cannot send) is nobody's to send: born unheld.
            var failedAtOnce = Records.send("20261206-BORN03", delivery: "msg_born3", at: Self.now)
            failedAtOnce.deliveries[0].state = "failed"
            try await store.commit(failedAtOnce)
            #expect(try await database.sql("SELECT count(*) FROM delivery WHERE id = 'msg_born3' AND lease_node IS NULL AND lease_expires_at IS NULL") == "1")
            _ = try await database.sql("DELETE FROM delivery WHERE id = 'msg_born3'")
            #expect(try await database.sql("SELECT string_agg(lease_node || ' ' || lease_generation || ' ' || lease_expires_at, ',') FROM delivery")
                == "campus-a 0 \(Self.now + Self.lease),campus-a 0 \(Self.now + Self.lease)")
            #expect(try await store.claimDeliveries(node: "campus-b", now: Self.now + 1, leaseMillis: Self.lease, limit: 10).isEmpty, "another node's poll passes them over")
            #expect(try await store.claimDeliveries(["msg_born1"], node: "campus-b", now: Self.now + 1, leaseMillis: Self.lease).isEmpty)
            let mine = try await store.claimDeliveries(["msg_born1"], node: "campus-a", now: Self.now + 2, leaseMillis: Self.lease)
            #expect(mine.map(\.generation) == [1], "its writer claims it")
            // msg_born2's writer died before its claim: taken over once the birth lease lapses.
            let taken = try await store.claimDeliveries(node: "campus-b", now: Self.now + Self.lease, leaseMillis: Self.lease, limit: 10)
            #expect(taken.map(\.deliveryID) == ["msg_born2"] && taken.map(\.generation) == [1])
        }
        await database.remove()
    }

    /// An attempt's outcome as the dispatcher writes it under a lease: the attempt row, the fenced update, its
    /// audit entries.
    static func outcome(_ state: DeliveryState, number: Int, generation: Int64, at time: Int64) -> StoreWrite {
        var write = StoreWrite(
            attempts: [AttemptRecord(
                deliveryID: "msg_f1", number: number, startedAt: time - 5, latencyMillis: 5, httpStatus: state == .delivered ? 200 : 503,
                error: nil, outcome: state.rawValue, generation: generation
            )],
            updates: [DeliveryUpdate(
                id: "msg_f1", state: state, attempts: number, nextAttemptAt: state == .retrying ? time + 1_000 : nil,
                lastStatus: state == .delivered ? 200 : 503, lastError: nil, misconfiguration: false,
                deliveredAt: state == .delivered ? time : nil, updatedAt: time, generation: generation
            )],
            audit: [AuditEvent(timeMillis: time, kind: "delivery.attempt", subject: "20261205-FENCE1", detail: "{}", fence: "msg_f1")]
        )
        if state.isFinal {
            write.audit.append(AuditEvent(timeMillis: time, kind: "delivery.final", subject: "20261205-FENCE1", detail: "{}", fence: "msg_f1"))
        }
        return write
    }
}

/// How many wake-ups a follower heard.
private final class WakeUps: Sendable {
    let count = Atomic(0)
}
