import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing
import TocsinCore
import TocsinStore
import TocsinStorePostgres
import TocsinTestSupport

/// `storage.postgresql.hosts` tried in order: a standby (in recovery) is passed over for the server that accepts
/// writes, whatever the order; and followed (issue 17, item 6): when the primary dies and a standby is promoted, the
/// store moves to it, and a commit whose answer was lost with its connection is looked up before it is answered.
@Suite(.serialized, .timeLimit(.minutes(3)), .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)"))
struct PostgresFailoverTests {
    static let logger = Logger(label: "tocsin.test.failover", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test func theHostThatAcceptsWritesIsChosenAndAStandbyPassedOver() async throws {
        let primary = try await PostgresServer.start()
        do {
            let database = try await primary.createDatabase("hosts_order")
            let standby = try await primary.startStandby()
            do {
                #expect(try await standby.psql("SELECT pg_is_in_recovery()") == "t")
                func settings(_ servers: [PostgresServer]) -> Configuration.PostgreSQL {
                    Configuration.PostgreSQL(
                        hosts: servers.map { .init(host: $0.host, port: $0.port) }, database: database, user: primary.user, tls: .disable
                    )
                }
                let chosen = try await PostgresConnector.primary(settings([standby, primary]), node: "order-a", logger: Self.logger)
                #expect(chosen.port == primary.port, "the standby listed first is passed over")
                try await PostgresStore.withStore(configuration: chosen, logger: Self.logger) { store in
                    try await store.commit(Records.send("20261205-ORDER1"))
                }
                // Written on the primary, replicated to the standby (which answers reads).
                #expect(try await waitUntil(timeout: .seconds(30)) {
                    (try? await standby.psql("SELECT count(*) FROM incident", database: database)) == "1"
                })

                await #expect {
                    _ = try await PostgresConnector.primary(settings([standby]), node: "order-b", logger: Self.logger)
                } throws: { error in
                    (error as? StoreError)?.message == "no PostgreSQL server of 'storage.postgresql.hosts' accepts writes: 127.0.0.1:\(standby.port): a standby (in recovery), which does not accept writes"
                }
            } catch {
                await standby.stop()
                throw error
            }
            await standby.stop()
        } catch {
            await primary.stop()
            throw error
        }
        await primary.stop()
    }
    private static func settings(_ servers: [PostgresServer], database: String) -> Configuration.PostgreSQL {
        Configuration.PostgreSQL(hosts: servers.map { .init(host: $0.host, port: $0.port) }, database: database, user: "postgres", tls: .disable)
    }

    /// Hosts [primary, standby]: the primary crashes (`-m immediate`), a commit made in the gap waits, the standby
    /// is promoted, and that commit and the next are stored there, once each, on one chain.
    @Test func aCommitWorksAgainOnThePromotedStandbyAfterThePrimaryCrashes() async throws {
        try await PostgresServer.withSynchronousStandby("failover_commit") { primary, standby, database in
            let log = RecordingLog()
            let nodePrimary = try await PostgresPrimary(Self.settings([primary, standby], database: database), node: "fo-a", logger: log.logger)
            #expect(nodePrimary.host?.port == primary.port)
            try await PostgresStore.withStore(primary: nodePrimary, logger: log.logger) { store in
                try await store.commit(Records.send("20261206-FO0001"))
                await primary.crash()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    // Made while no server accepts writes: it waits for the promotion rather than fail.
                    group.addTask { try await store.commit(Records.send("20261206-FO0002")) }
                    #expect(try await waitUntil { log.contains("commit not made") || log.contains("no PostgreSQL server accepts writes") })
                    try await standby.promote()
                    try await group.waitForAll()
                }
                try await store.commit(Records.send("20261206-FO0003"))
                #expect(nodePrimary.host?.port == standby.port, "the store moved to the promoted standby")
                #expect(try await store.verifyAudit().problem == nil)
            }
            #expect(log.contains("PostgreSQL primary changed"))
            #expect(try await standby.psql("SELECT string_agg(id, ',' ORDER BY id) FROM incident", database: database)
                == "20261206-FO0001,20261206-FO0002,20261206-FO0003")
            #expect(try await standby.psql("SELECT count(*) FROM audit", database: database) == "3")
        }
    }

    /// The server in use turns read-only (`default_transaction_read_only`, so a write gets 25006) while another host
    /// accepts writes: the store moves there, and the commit refused meanwhile is made there. A read-only server alone
    /// is refused at start, saying so.
    @Test func aServerThatTurnsReadOnlyIsLeftForTheHostThatAcceptsWrites() async throws {
        let first = try await PostgresServer.start()
        var second: PostgresServer?
        do {
            let database = try await first.createDatabase("failover_read_only")
            // Not synchronous: once promoted it goes its own way, a second server that accepts writes.
            second = try await first.startStandby()
            let other = try #require(second)
            let log = RecordingLog()
            let nodePrimary = try await PostgresPrimary(Self.settings([first, other], database: database), node: "fo-d", logger: log.logger)
            try await PostgresStore.withStore(primary: nodePrimary, logger: log.logger) { store in
                try await store.commit(Records.send("20261206-RO0001"))
                #expect(try await waitUntil { (try? await other.psql("SELECT count(*) FROM incident", database: database)) == "1" })
                try await other.promote()
                try await first.psql("ALTER SYSTEM SET default_transaction_read_only = on")
                try await first.psql("SELECT pg_reload_conf()")
                // The reload is asynchronous, and an idle pooled session applies it only after its next command: wait
                // until a fresh session is read-only, then end the old ones, so the next write meets a read-only server.
                #expect(try await waitUntil { (try? await first.psql("SHOW default_transaction_read_only")) == "on" })
                try await first.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()")
                try await store.commit(Records.send("20261206-RO0002"))
                #expect(nodePrimary.host?.port == other.port, "moved to the host that accepts writes")
            }
            #expect(log.contains("PostgreSQL primary changed"))
            #expect(try await other.psql("SELECT string_agg(id, ',' ORDER BY id) FROM incident", database: database) == "20261206-RO0001,20261206-RO0002")
            #expect(try await first.psql("SELECT count(*) FROM incident", database: database) == "1", "nothing written on the read-only server")

            await #expect {
                _ = try await PostgresConnector.primary(Self.settings([first], database: database), node: "fo-e", logger: Self.logger)
            } throws: { error in
                (error as? StoreError)?.message == "no PostgreSQL server of 'storage.postgresql.hosts' accepts writes: 127.0.0.1:\(first.port): read-only (default_transaction_read_only is on), which does not accept writes"
            }
        } catch {
            await second?.stop()
            await first.stop()
            throw error
        }
        await second?.stop()
        await first.stop()
    }

    /// A commit waiting for its synchronous standby (stopped) when the primary crashes: its answer is lost. The
    /// primary comes back with the commit in its WAL: the store looks the incident up, finds it, and answers that it
    /// is stored, without writing it twice.
    @Test func aCommitWhoseAnswerIsLostIsLookedUpAndFoundStored() async throws {
        try await PostgresServer.withSynchronousStandby("failover_lost_stored") { primary, standby, database in
            let log = RecordingLog()
            let nodePrimary = try await PostgresPrimary(Self.settings([primary], database: database), node: "fo-b", logger: log.logger)
            var restarted: PostgresServer?
            try await PostgresStore.withStore(primary: nodePrimary, logger: log.logger) { store in
                try await store.commit(Records.send("20261206-LOST01"))
                await standby.crash()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await store.commit(Records.send("20261206-LOST02")) }
                    // Flushed on the primary, waiting for the standby's flush that never comes.
                    #expect(try await waitUntil {
                        (try? await primary.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")) == "1"
                    })
                    let server = try await primary.restart()
                    restarted = server
                    // Its standby is gone for good: a commit made again here (the wrong path) would wait for it
                    // forever. Without a synchronous standby it completes, and the checks below say it was made twice.
                    try await server.psql("ALTER SYSTEM SET synchronous_standby_names = ''")
                    try await server.psql("SELECT pg_reload_conf()")
                    try await group.waitForAll()
                }
            }
            #expect(log.contains("the answer to a commit was lost"), "the lost answer was the path taken")
            #expect(log.contains("a commit whose answer was lost is stored"))
            let server = try #require(restarted)
            #expect(try await server.psql("SELECT count(*) FROM incident WHERE id = '20261206-LOST02'", database: database) == "1")
            #expect(try await server.psql("SELECT count(*) FROM audit", database: database) == "2")
            await server.stop()
        }
    }

    /// A commit waiting for its synchronous standby (cut off) when the primary crashes: its answer is lost. The
    /// standby, which never received it, is promoted: the store looks the incident up there, does not find it, and
    /// commits it again there, once.
    @Test func aCommitWhoseAnswerIsLostAndNotOnThePromotedStandbyIsMadeAgainOnce() async throws {
        try await PostgresServer.withSynchronousStandby("failover_lost_redo") { primary, standby, database in
            let log = RecordingLog()
            let nodePrimary = try await PostgresPrimary(Self.settings([primary, standby], database: database), node: "fo-c", logger: log.logger)
            var promoted: PostgresServer?
            try await PostgresStore.withStore(primary: nodePrimary, logger: log.logger) { store in
                try await store.commit(Records.send("20261206-REDO01"))
                #expect(try await waitUntil {
                    (try? await standby.psql("SELECT count(*) FROM incident", database: database)) == "1"
                })
                await standby.crash()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await store.commit(Records.send("20261206-REDO02")) }
                    #expect(try await waitUntil {
                        (try? await primary.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'")) == "1"
                    })
                    await primary.crash()
                    // The standby comes back (its primary is gone, so it never gets the commit) and is promoted.
                    let standbyAgain = try await standby.restart()
                    promoted = standbyAgain
                    try await standbyAgain.promote()
                    try await group.waitForAll()
                }
                try await store.commit(Records.send("20261206-REDO03"))
                #expect(try await store.verifyAudit().problem == nil)
            }
            #expect(log.contains("the answer to a commit was lost"), "the lost answer was the path taken")
            #expect(log.contains("a commit whose answer was lost is not stored; making it again"))
            let server = try #require(promoted)
            #expect(try await server.psql("SELECT string_agg(id, ',' ORDER BY id) FROM incident", database: database)
                == "20261206-REDO01,20261206-REDO02,20261206-REDO03")
            #expect(try await server.psql("SELECT count(*) FROM audit", database: database) == "3")
            await server.stop()
        }
    }
}

/// Log messages kept in memory, to tell which path a test took (never for a timed assertion).
final class RecordingLog: Sendable {
    private let lines = Mutex<[String]>([])

    var logger: Logger {
        Logger(label: "tocsin.test.failover") { _ in Handler(recording: self) }
    }

    func contains(_ text: String) -> Bool { lines.withLock { $0.contains { $0.contains(text) } } }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    private struct Handler: LogHandler {
        let recording: RecordingLog
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recording.append("\(event.level) \(event.message) \(event.metadata ?? [:])")
        }
    }
}
