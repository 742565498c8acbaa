import Foundation
public import Logging
public import PostgresNIO
public import TocsinCore
public import TocsinStore

/// Turns `storage.postgresql` into a client configuration on the server that accepts writes.
///
/// `hosts` are tried in order; each is asked `SELECT pg_is_in_recovery()` on a connection of its own, and the
/// first that answers false (a primary) is the one the pool connects to. A standby answers true: writing there
/// would fail with "read-only transaction", so it is passed over, as libpq's `target_session_attrs=read-write`
/// does.
public enum PostgresConnector {
    /// The client configuration for the first host that accepts writes.
    ///
    /// - Throws: `StoreError(.open)` naming each host and why it was passed over (never the password).
    public static func primary(
        _ settings: Configuration.PostgreSQL, node: String, logger: Logger
    ) async throws(StoreError) -> PostgresClient.Configuration {
        let tls = try tlsConfiguration(for: settings)
        let host = try await writableHost(settings, tls: tls, logger: logger)
        logger.notice("PostgreSQL primary found", metadata: ["postgres.host": "\(host)", "postgres.database": "\(settings.database)"])
        return clientConfiguration(host, settings: settings, tls: tls, node: node)
    }

    /// The first of `hosts` that accepts writes, each probed on a short-lived connection of its own: at start, and
    /// again by ``PostgresPrimary`` when the server in use is gone or turned read-only.
    ///
    /// - Throws: `StoreError(.open)` naming each host and why it was passed over (never the password).
    static func writableHost(
        _ settings: Configuration.PostgreSQL, tls: TLSConfiguration?, logger: Logger
    ) async throws(StoreError) -> Configuration.PostgreSQL.Host {
        var passedOver: [String] = []
        for (index, host) in settings.hosts.enumerated() {
            switch await probe(host, settings: settings, tls: tls, id: index, logger: logger) {
            case .success(false):
                // Notice at a start and at a move (the callers); a check that finds the same server again stays quiet.
                logger.debug("PostgreSQL primary found", metadata: ["postgres.host": "\(host)", "postgres.database": "\(settings.database)"])
                return host
            case .success(true):
                passedOver.append("\(host): a standby (in recovery), which does not accept writes")
            case .failure(let error):
                passedOver.append("\(host): \(error.message)")
            }
        }
        throw StoreError(.open, "no PostgreSQL server of 'storage.postgresql.hosts' accepts writes: \(passedOver.joined(separator: "; "))")
    }

    /// ``tlsConfiguration(_:)`` with its failure said as a store error.
    static func tlsConfiguration(for settings: Configuration.PostgreSQL) throws(StoreError) -> TLSConfiguration? {
        do { return try tlsConfiguration(settings) } catch {
            throw StoreError(.open, "cannot set up TLS for PostgreSQL: \(error)")
        }
    }

    /// The client configuration for one host (tests, and once the primary is known).
    public static func clientConfiguration(
        _ host: Configuration.PostgreSQL.Host, settings: Configuration.PostgreSQL, tls: TLSConfiguration?, node: String
    ) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host.host, port: host.port, username: settings.user, password: settings.password?.reveal(),
            database: settings.database, tls: tls.map { .require($0) } ?? .disable
        )
        // Shown in pg_stat_activity: which node holds which connection.
        configuration.options.additionalStartupParameters = [("application_name", "tocsind \(node)")]
        return configuration
    }

    /// NIOSSL's configuration for the `tls` key: nil for `disable`.
    public static func tlsConfiguration(_ settings: Configuration.PostgreSQL) throws -> TLSConfiguration? {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        switch settings.tls {
        case .disable:
            return nil
        case .require:
            // libpq's `require`: encrypted, whoever answers.
            tls.certificateVerification = .none
        case .verifyFull:
            // The chain up to the CA, and the host name (or IP address) of `hosts` in the certificate.
            tls.certificateVerification = .fullVerification
            if let caFile = settings.caFile { tls.trustRoots = .file(caFile) }
        }
        return tls
    }

    /// Whether `host` is in recovery, on a short-lived connection of its own.
    private static func probe(
        _ host: Configuration.PostgreSQL.Host, settings: Configuration.PostgreSQL, tls: TLSConfiguration?, id: Int, logger: Logger
    ) async -> Result<Bool, StoreError> {
        do {
            var configuration = PostgresConnection.Configuration(
                host: host.host, port: host.port, username: settings.user, password: settings.password?.reveal(),
                database: settings.database, tls: try tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
            )
            configuration.options.connectTimeout = .seconds(5)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            do {
                var inRecovery = true
                for try await value in try await connection.query("SELECT pg_is_in_recovery()", logger: logger).decode(Bool.self) {
                    inRecovery = value
                }
                try? await connection.close()
                return .success(inRecovery)
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            return .failure(StoreError.wrap(postgres: error, doing: "connect"))
        }
    }
}
