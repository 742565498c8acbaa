import Foundation
import Logging
import PostgresNIO
import Testing
import TocsinCore
import TocsinStore
import TocsinStorePostgres
import TocsinTestSupport

/// `storage.postgresql.hosts` tried in order: a standby (in recovery) is passed over for the server that accepts
/// writes, whatever the order.
@Suite(.serialized, .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)"))
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
}
