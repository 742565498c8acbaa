import Foundation
public import Logging
public import PostgresNIO
public import TocsinCore
public import TocsinStore

/// Turns `storage.postgresql` into a client configuration on the server that accepts writes.
///
/// `hosts` are tried in order; each is asked `pg_is_in_recovery()` and `transaction_read_only` on a connection of its
/// own, and the first that is neither (a primary that accepts writes) is the one the pool connects to. A standby, or
/// a server read-only by default, would fail a write with "read-only transaction", so it is passed over, as libpq's
/// `target_session_attrs=read-write` does.
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
            case .success(.writable):
                // Notice at a start and at a move (the callers); a check that finds the same server again stays quiet.
                logger.debug("PostgreSQL primary found", metadata: ["postgres.host": "\(host)", "postgres.database": "\(settings.database)"])
                return host
            case .success(.inRecovery):
                passedOver.append("\(host): a standby (in recovery), which does not accept writes")
            case .success(.readOnly):
                passedOver.append("\(host): read-only (default_transaction_read_only is on), which does not accept writes")
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

    /// What a server says of writes: libpq's `target_session_attrs=read-write` asks the same two things.
    enum Writes {
        case writable, inRecovery, readOnly
    }

    /// The query that tells: in recovery (a standby), or read-only by default (what a write would get 25006 from).
    static let writesQuery: PostgresQuery = "SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'"

    static func writes(_ row: PostgresRow) throws -> Writes {
        let (inRecovery, readOnly) = try row.decode((Bool, Bool).self)
        return inRecovery ? .inRecovery : readOnly ? .readOnly : .writable
    }

    /// Whether `host` accepts writes, on a short-lived connection of its own.
    private static func probe(
        _ host: Configuration.PostgreSQL.Host, settings: Configuration.PostgreSQL, tls: TLSConfiguration?, id: Int, logger: Logger
    ) async -> Result<Writes, StoreError> {
        do {
            var configuration = PostgresConnection.Configuration(
                host: host.host, port: host.port, username: settings.user, password: settings.password?.reveal(),
                database: settings.database, tls: try tls.map { .require(try NIOSSLContext(configuration: $0)) } ?? .disable
            )
            configuration.options.connectTimeout = .seconds(5)
            let connection = try await PostgresConnection.connect(configuration: configuration, id: id, logger: logger)
            do {
                var answer = Writes.inRecovery
                for try await row in try await connection.query(writesQuery, logger: logger) { answer = try writes(row) }
                try? await connection.close()
                return .success(answer)
            } catch {
                try? await connection.close()
                throw error
            }
        } catch {
            return .failure(StoreError.wrap(postgres: error, doing: "connect"))
        }
    }
}
