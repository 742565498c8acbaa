import Foundation
import Logging
import PostgresNIO
import Testing
import TocsinStore
import TocsinStorePostgres
import TocsinTestSupport

/// The store backends the conformance suite runs on.
enum Backend: String, Sendable, CaseIterable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }

    /// Both, or only SQLite where no PostgreSQL is installed; with CI=true always both, so a missing server fails.
    static var all: [Backend] { required(PostgresServer.available) ? [.sqlite, .postgres] : [.sqlite] }

    /// A fresh, empty database of this backend (a temp SQLite file, or a new database on the suite's server).
    func database() async throws -> TestDatabase {
        switch self {
        case .sqlite:
            let folder = try TemporaryDirectory(prefix: "tocsin-store")
            return TestDatabase(backend: self, sqlitePath: folder.file("tocsin.db"), folder: folder, server: nil, name: "")
        case .postgres:
            let server = try await SharedPostgres.server()
            let name = try await server.createDatabase("t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "_"))
            return TestDatabase(backend: self, sqlitePath: "", folder: nil, server: server, name: name)
        }
    }
}

/// One test's database, opened as a store as many times as the test needs (a reopen is a restart).
struct TestDatabase: Sendable {
    let backend: Backend
    let sqlitePath: String
    let folder: TemporaryDirectory?
    let server: PostgresServer?
    let name: String

    static let logger = Logger(label: "tocsin.test.store", factory: { _ in SwiftLogNoOpLogHandler() })

    var postgresConfiguration: PostgresClient.Configuration? {
        guard let server else { return nil }
        return PostgresClient.Configuration(host: server.host, port: server.port, username: server.user, password: nil, database: name, tls: .disable)
    }

    /// Opens the store, runs `body` with it, and closes it (for PostgreSQL, its client's pool).
    @discardableResult
    func withStore<T: Sendable>(_ body: (any Store) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            return try await body(try SQLiteStore(path: sqlitePath))
        case .postgres:
            return try await PostgresStore.withStore(configuration: postgresConfiguration!, logger: Self.logger) { store in try await body(store) }
        }
    }

    /// Runs SQL on the database from a second client, as a tamperer would (`sqlite3` or `psql`); `postgres` when
    /// the statement differs there (column names are snake_case on PostgreSQL).
    @discardableResult
    func sql(_ sqlite: String, postgres: String? = nil) async throws -> String {
        switch backend {
        case .sqlite:
            let result = try await runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 10000", sqlitePath, sqlite])
            guard result.status == 0 else { throw StoreTestError("sqlite3 failed (\(result.status)): \(result.stderr)") }
            return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        case .postgres:
            return try await server!.psql(postgres ?? sqlite, database: name)
        }
    }

    /// A second client on the PostgreSQL database (its own session: it holds locks and transactions as another
    /// node or a tool would), for the test to close.
    func connection() async throws -> PostgresConnection {
        guard let server else { throw StoreTestError("only a PostgreSQL database has a second client") }
        return try await PostgresConnection.connect(
            configuration: PostgresConnection.Configuration(host: server.host, port: server.port, username: server.user, password: nil, database: name, tls: .disable),
            id: 1, logger: Self.logger
        )
    }

    func remove() async {
        folder?.remove()
        if let server { _ = try? await server.psql("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
    }
}

/// One PostgreSQL server for the whole suite, started at its first use inside the suite's scope and stopped when
/// the suite ends (``PostgresScope``).
enum SharedPostgres {
    @TaskLocal static var current: LazyServer?

    static func server() async throws -> PostgresServer {
        guard let current else { throw StoreTestError("a PostgreSQL test ran outside @Suite(PostgresScope())") }
        return try await current.get()
    }
}

/// Starts the server once, however many tests ask at the same time: an actor is reentrant across the start's
/// awaits, so the start itself is shared (a first version started one server per waiting test).
actor LazyServer {
    private var starting: Task<PostgresServer, any Error>?

    func get() async throws -> PostgresServer {
        if let starting { return try await starting.value }
        let start = Task { try await PostgresServer.start() }
        starting = start
        return try await start.value
    }

    func stop() async {
        guard let starting else { return }
        self.starting = nil
        if let server = try? await starting.value { await server.stop() }
    }
}

/// Runs a suite with a lazily started PostgreSQL server, stopped and removed when the suite ends.
struct PostgresScope: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: () async throws -> Void) async throws {
        let lazy = LazyServer()
        do {
            try await SharedPostgres.$current.withValue(lazy) { try await function() }
        } catch {
            await lazy.stop()
            throw error
        }
        await lazy.stop()
    }
}

struct StoreTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
