import Foundation
import Logging
import PostgresNIO
import TocsinCore
import TocsinStore
import TocsinStorePostgres

/// Opens the store `storage:` names, for the daemon's whole run: the one place that knows the backends.
enum StoreFactory {
    /// Runs `body` with the store open; for PostgreSQL, its client's pool runs beside `body` and closes after it,
    /// so the services' last writes (the stop checkpoint) still reach the database.
    static func withStore<T: Sendable>(
        _ configuration: Configuration, logger: Logger, _ body: (any Store) async throws -> T
    ) async throws -> T {
        switch configuration.storage {
        case .sqlite:
            StatePermissions.secure(folder: configuration.paths.state, database: configuration.paths.database, logger: logger)
            return try await body(try SQLiteStore(path: configuration.paths.database))
        case .postgresql(let settings):
            let client = try await PostgresConnector.primary(settings, node: configuration.cluster.node, logger: logger)
            logger.notice("opening the PostgreSQL store", metadata: [
                "postgres.host": "\(client.host ?? "?"):\(client.port ?? 0)", "postgres.database": "\(settings.database)",
                "cluster.node": "\(configuration.cluster.node)",
            ])
            return try await PostgresStore.withStore(configuration: client, logger: logger) { store in try await body(store) }
        }
    }
}
