import Foundation
import Testing
import TocsinAudit
import TocsinCore
import TocsinStore
import TocsinStorePostgres
import TocsinTestSupport

/// What only the PostgreSQL store does: several nodes (stores with their own pools) on one database.
@Suite(PostgresScope(), .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)"))
struct PostgresStoreTests {
    /// Nodes starting together on an empty database: the advisory lock lets one create the schema while the others
    /// wait, then find it applied. Without the lock, concurrent CREATE TABLEs fail with duplicate-key errors.
    @Test func fourStoresMigratingOneEmptyDatabaseTogetherEndWithOneSchemaAndNoError() async throws {
        let database = try await Backend.postgres.database()
        let applied = try await withThrowingTaskGroup(of: [String].self) { group in
            for _ in 0..<4 {
                group.addTask { try await database.withStore { store async throws in store.migrationsAppliedAtOpen } }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(applied.filter { !$0.isEmpty }.count == 1, "one node applied the migrations: \(applied)")
        #expect(applied.filter(\.isEmpty).count == 3)
        #expect(try await database.sql("SELECT count(*) FROM tocsin_migration") == "\(applied.flatMap { $0 }.count)")
        let tables = try await database.sql("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'")
        #expect(tables == "approval,attempt,audit,audit_head,delivery,health_probe,incident,node,payload,send_request,tocsin_migration,web_user")
        #expect(try await database.sql("SELECT seq || ' ' || hash FROM audit_head") == "0 " + AuditEntry.genesisHash)
        await database.remove()
    }

    /// Four nodes appending at once: every entry in one contiguous chain, each append after the others' under the
    /// locked head row, and no node takes another's appends for tampering. (Without `FOR UPDATE` two transactions
    /// read the same last entry and one fails on the audit table's primary key.)
    @Test func fourNodesCommittingTogetherMakeOneContiguousChain() async throws {
        let database = try await Backend.postgres.database()
        let nodes = ["a", "b", "c", "d"]
        let perNode = 75
        let moves = try await withThrowingTaskGroup(of: Int.self) { group in
            for node in nodes {
                group.addTask {
                    try await database.withStore { store async throws in
                        try await withThrowingTaskGroup(of: Void.self) { commits in
                            for index in 0..<perNode {
                                commits.addTask {
                                    try await store.commit(Records.send("20261205-\(node.uppercased())\(index)", at: Records.baseTime + Int64(index)))
                                }
                            }
                            try await commits.waitForAll()
                        }
                        return store.auditHeadMoves.count
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(moves == 0, "another node's appends are not a move of the head")
        try await database.withStore { store async throws in
            let head = try await store.auditHead()
            #expect(head.seq == Int64(nodes.count * perNode))
            let entries = try await store.auditEntries(afterSeq: 0, limit: 1000, subject: nil, newest: false)
            #expect(entries.map(\.seq) == Array(1...Int64(nodes.count * perNode)))
            #expect(Set(entries.map(\.subject)).count == nodes.count * perNode)
            let verification = try await store.verifyAudit()
            #expect(verification.problem == nil)
            #expect(verification.head == head)
            #expect(try await store.unfinishedDeliveries().count == nodes.count * perNode)
            try await store.checkAuditHead()
            #expect(store.auditHeadMoves.count == 0)
        }
        await database.remove()
    }

    /// A commit that returned is on disk: the server killed without a checkpoint (SIGQUIT, as `pg_ctl -m immediate`)
    /// and restarted from its WAL still has every acknowledged send.
    @Test func whatACommitAcknowledgedSurvivesAnImmediateShutdown() async throws {
        let first = try await PostgresServer.start()
        var running = first
        do {
            try await first.createDatabase("acked")
            let database = TestDatabase(backend: .postgres, sqlitePath: "", folder: nil, server: first, name: "acked")
            let acknowledged = try await database.withStore { store async throws in
                var acknowledged: [String] = []
                for index in 0..<50 {
                    let id = "20261205-ACK\(index)"
                    try await store.commit(Records.send(id))
                    acknowledged.append(id)
                }
                return acknowledged
            }
            await first.crash()
            running = try await first.restart()
            #expect(running.log.contains("database system was interrupted"), "recovered from the WAL, not a clean shutdown")
            let reopened = TestDatabase(backend: .postgres, sqlitePath: "", folder: nil, server: running, name: "acked")
            try await reopened.withStore { store async throws in
                for id in acknowledged { #expect(try await store.incident(id) != nil, "\(id)") }
                #expect(try await store.auditHead().seq == Int64(acknowledged.count))
                #expect(try await store.verifyAudit().problem == nil)
            }
        } catch {
            await running.stop()
            throw error
        }
        await running.stop()
    }

    /// The export reads one snapshot while other nodes keep committing: its chain is contiguous and verifies, and
    /// everything it holds was committed before the snapshot (nothing half of a commit).
    @Test func aBackupTakenWhileOtherNodesCommitIsOneConsistentSnapshot() async throws {
        let database = try await Backend.postgres.database()
        let folder = try TemporaryDirectory(prefix: "tocsin-backup")
        defer { folder.remove() }
        let path = folder.file("snapshot.db")
        let head = try await withThrowingTaskGroup(of: AuditHead?.self) { group in
            group.addTask {
                try await database.withStore { store async throws in
                    for index in 0..<200 {
                        try await store.commit(Records.send("20261205-W\(index)", at: Records.baseTime + Int64(index)))
                    }
                }
                return nil
            }
            group.addTask {
                try await database.withStore { store async throws in
                    // Once some commits landed, so the snapshot falls in the middle of the writes.
                    _ = try await waitUntil(timeout: .seconds(60)) { try await store.auditHead().seq >= 20 }
                    return try await store.backup(to: path)
                }
            }
            var head: AuditHead?
            for try await result in group { if let result { head = result } }
            return head
        }
        let snapshot = try #require(head)
        let copy = try SQLiteStore(path: path)
        let verified = try await copy.verifyAudit()
        #expect(verified.problem == nil)
        #expect(verified.head == snapshot)
        #expect(snapshot.seq >= 20)
        // Each send is one incident, one delivery and one audit entry, committed together: the snapshot holds as
        // many of each.
        let incidents = try await copy.recentIncidents(limit: 1_000)
        #expect(Int64(incidents.count) == snapshot.seq)
        for incident in incidents { #expect(try await copy.deliveries(ofIncident: incident.id).count == 1) }
        await database.remove()
    }
}
