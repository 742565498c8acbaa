import Foundation
import Logging
import PostgresNIO
import TocsinCore
import TocsinStore
import TocsinStorePostgres

/// Opens the store `storage:` names, for the daemon's whole run: the one place that knows the backends.
enum StoreFactory {
    /// Runs `body` with the store open; for PostgreSQL, its client's pool (and its failover) runs beside `body` and
    /// closes after it, so the services' last writes (the stop checkpoint) still reach the database.
    static func withStore<T: Sendable>(
        _ configuration: Configuration, logger: Logger, _ body: (any Store) async throws -> T
    ) async throws -> T {
        switch configuration.storage {
        case .sqlite:
            StatePermissions.secure(folder: configuration.paths.state, database: configuration.paths.database, logger: logger)
            // The daemon's first connection: nothing has initialised SQLite yet.
            if !SQLiteStore.turnOffAllocationStatistics() {
                logger.notice("SQLite's allocation statistics stay on: SQLite was already in use (slower commits, nothing else)")
            }
            return try await body(try SQLiteStore(path: configuration.paths.database))
        case .postgresql(let settings):
            // Follows a failover: when the server in use goes or turns read-only, the next that accepts writes.
            let primary = try await PostgresPrimary(settings, node: configuration.cluster.node, logger: logger)
            logger.notice("opening the PostgreSQL store", metadata: [
                "postgres.host": "\(primary.host.map { "\($0)" } ?? "?")", "postgres.database": "\(settings.database)",
                "cluster.node": "\(configuration.cluster.node)",
            ])
            return try await PostgresStore.withStore(primary: primary, logger: logger) { store in
                try await asNode(store, configuration: configuration, logger: logger) { try await body(store) }
            }
        }
    }

    /// Runs `body` as a node of the cluster, with a heartbeat every third of a lease.
    ///
    /// Deliveries are leased between nodes, so other nodes are welcome; a node whose name another live node on
    /// another host uses is refused (two nodes of one name would renew and fence as one; a killed node is forgotten
    /// after 3 leases). Its row is removed on a clean stop.
    private static func asNode<T: Sendable>(
        _ store: PostgresStore, configuration: Configuration, logger: Logger, _ body: () async throws -> T
    ) async throws -> T {
        let name = configuration.cluster.node
        let lease = configuration.cluster.lease
        let now = Date().millisecondsSince1970
        try await store.startNode(
            ClusterNode(
                name: name, host: Configuration.Cluster.hostName, pid: Int64(getpid()), fingerprint: configuration.fingerprint,
                startedAt: now, lastSeen: now
            ),
            refusingOthersSeenWithin: 3 * lease.milliseconds
        )
        // What this node writes is born leased to it (generation 0), and sent under that lease with no claim
        // (Dispatcher.enqueue): another node takes it only once the lease lapses, if this node dies.
        store.leaseNewDeliveries(to: name, for: lease.milliseconds)
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: lease / 3)
                    guard !Task.isCancelled else { return }
                    do { try await store.nodeHeartbeat(name: name, at: Date().millisecondsSince1970) } catch {
                        logger.warning("node heartbeat not recorded", metadata: ["cluster.node": "\(name)", "store.error": "\(error)"])
                    }
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
        do { try await store.stopNode(name: name) } catch {
            logger.warning("node stop not recorded", metadata: ["cluster.node": "\(name)", "store.error": "\(error)"])
        }
        return result
    }
}
