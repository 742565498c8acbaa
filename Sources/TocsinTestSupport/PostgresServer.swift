import Foundation

/// A throwaway PostgreSQL server for a test: `initdb` into a temp folder, `postgres` on a free loopback port (and a
/// Unix socket in the folder), `fsync=on`, stopped and removed by ``stop()``.
///
/// Root: `initdb` and `postgres` refuse to run as root, and the tests run as root in CI. They are run as the
/// `postgres` user (Debian's package makes it; `nobody` otherwise) through `setpriv --reuid --regid --init-groups`,
/// which execs the server in place: the child's pid is the postmaster's own, so a signal reaches it directly.
/// (`runuser` forks and stays the parent, relaying SIGTERM and killing the server two seconds later.) The folder is
/// chowned to that user, who must be able to reach it: the system temp folder and a 0755 folder inside it.
/// Checked here on Debian 12 with postgresql 15.
///
/// A test process that dies without ``stop()`` leaves the postmaster running only until it notices its
/// `postmaster.pid` is gone (PostgreSQL checks the lock file once a minute): ``stop()`` and the removal of the
/// folder are enough.
public final class PostgresServer: Sendable {
    public let host = "127.0.0.1"
    public let port: Int
    /// The superuser, trusted on loopback (`initdb -A trust`): the only credential these servers know.
    public let user = "postgres"
    public let folder: TemporaryDirectory
    private let exit: ProcessExit
    private let bin: String

    /// The folder holding the server binaries: `$TOCSIN_PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
    public static var binaries: String? {
        if let dir = ProcessInfo.processInfo.environment["TOCSIN_PG_BIN"] { return dir }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        return versions.reversed().map { "\(root)/\($0)/bin" }.first {
            FileManager.default.isExecutableFile(atPath: "\($0)/initdb")
        }
    }

    /// Whether a server can be started here: use as `.enabled(if: required(PostgresServer.available), …)`.
    public static var available: Bool { binaries != nil }

    private init(port: Int, folder: TemporaryDirectory, exit: ProcessExit, bin: String) {
        self.port = port
        self.folder = folder
        self.exit = exit
        self.bin = bin
    }

    /// Creates a cluster and starts it; returns once it accepts connections.
    /// - Parameter tls: a certificate and its key (PEM files): the server then also accepts TLS (`ssl=on`).
    public static func start(tls: (certificate: String, key: String)? = nil) async throws -> PostgresServer {
        guard let bin = binaries else {
            throw PostgresServerError("no PostgreSQL server binaries (install Debian's postgresql: scripts/install-deps.sh)")
        }
        let folder = try TemporaryDirectory(prefix: "tocsin-pg")
        do {
            let owner = try Self.unprivilegedOwner()
            let data = folder.file("data"), sockets = folder.file("sockets")
            try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
            if let owner {
                for path in [folder.path, sockets] { guard chown(path, owner.uid, owner.gid) == 0 else { throw PostgresServerError("cannot chown \(path)") } }
            }
            // --no-sync: initdb's own files need not survive a power cut (a throwaway cluster); the server runs with
            // fsync=on, so what the tests commit is flushed as in production.
            let initdb = try await runCommand(
                "/usr/bin/setpriv", Self.asOwner(owner) + ["\(bin)/initdb", "-D", data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]
            )
            guard initdb.status == 0 else { throw PostgresServerError("initdb failed: \(initdb)") }
            if let tls {
                // In the data folder, owned by the server's user, the key 0600: PostgreSQL refuses a key others can read.
                var settings = "ssl = on\n"
                for (source, name) in [(tls.certificate, "server.crt"), (tls.key, "server.key")] {
                    let target = "\(data)/\(name)"
                    try FileManager.default.copyItem(atPath: source, toPath: target)
                    guard chmod(target, 0o600) == 0, owner.map({ chown(target, $0.uid, $0.gid) == 0 }) ?? true else {
                        throw PostgresServerError("cannot give \(target) to the server's user")
                    }
                    settings += "ssl_\(name == "server.crt" ? "cert" : "key")_file = '\(target)'\n"
                }
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: "\(data)/postgresql.conf"))
                handle.seekToEndOfFile()
                handle.write(Data(settings.utf8))
                try handle.close()
            }
            return try await launch(bin: bin, owner: owner, folder: folder)
        } catch {
            folder.remove()
            throw error
        }
    }

    /// Starts a postmaster on `folder`'s data on a free port; returns once it accepts connections.
    private static func launch(bin: String, owner: (uid: uid_t, gid: gid_t)?, folder: TemporaryDirectory) async throws -> PostgresServer {
        // A free port can be taken between its probe and the server's bind: try a few.
        var lastLog = ""
        for _ in 0..<5 {
            let port = try LoopbackPort.unused()
            let exit = try startPostmaster(
                bin: bin, owner: owner, data: folder.file("data"), sockets: folder.file("sockets"), port: port, log: folder.file("postgres.log")
            )
            let server = PostgresServer(port: port, folder: folder, exit: exit, bin: bin)
            if try await server.waitReady(bin: bin) { return server }
            _ = await exit.wait()
            lastLog = (try? String(contentsOfFile: folder.file("postgres.log"), encoding: .utf8)) ?? ""
            if !lastLog.contains("could not bind") && !lastLog.contains("Address already in use") { break }
        }
        throw PostgresServerError("postgres did not start; its log:\n\(lastLog)")
    }

    /// A streaming standby of this server (`pg_basebackup -R -X stream`, initdb's `replication` trust line on
    /// loopback), on its own folder and port: read-only, `pg_is_in_recovery()` true. `--checkpoint=fast`: the default
    /// spread checkpoint made the copy wait up to minutes.
    public func startStandby() async throws -> PostgresServer {
        let folder = try TemporaryDirectory(prefix: "tocsin-pg-standby")
        do {
            let owner = try Self.unprivilegedOwner()
            let sockets = folder.file("sockets")
            try FileManager.default.createDirectory(atPath: sockets, withIntermediateDirectories: true)
            if let owner {
                for path in [folder.path, sockets] { guard chown(path, owner.uid, owner.gid) == 0 else { throw PostgresServerError("cannot chown \(path)") } }
            }
            let copy = try await runCommand("/usr/bin/setpriv", Self.asOwner(owner) + [
                "\(bin)/pg_basebackup", "-h", host, "-p", "\(port)", "-U", user, "-D", folder.file("data"), "-R", "-X", "stream", "--no-sync", "--checkpoint=fast",
            ])
            guard copy.status == 0 else { throw PostgresServerError("pg_basebackup failed: \(copy)") }
            return try await Self.launch(bin: bin, owner: owner, folder: folder)
        } catch {
            folder.remove()
            throw error
        }
    }

    /// Makes the standby streaming from this server synchronous (`synchronous_standby_names = '*'`, set once it runs:
    /// before, every commit would wait for ever) and returns once it is: a commit is then answered only when the
    /// standby has flushed it, so it survives the standby's promotion. Only this server's setting: the standby,
    /// promoted, commits alone.
    public func makeStandbySynchronous() async throws {
        try await psql("ALTER SYSTEM SET synchronous_standby_names = '*'")
        try await psql("SELECT pg_reload_conf()")
        let synchronous = try await waitUntil(timeout: .seconds(60), interval: .milliseconds(50)) {
            (try? await psql("SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'")) == "1"
        }
        guard synchronous else { throw PostgresServerError("the standby did not become synchronous; the primary's log:\n\(log)") }
    }

    /// Promotes this standby (`pg_promote()`, as `pg_ctl promote -w`): returns once it accepts writes.
    public func promote() async throws {
        guard try await psql("SELECT pg_promote(wait => true, wait_seconds => 60)") == "t" else {
            throw PostgresServerError("the standby was not promoted; its log:\n\(log)")
        }
    }

    /// Runs `body` with a fresh primary and its synchronous standby, the empty database `name` made before the copy;
    /// stops both afterwards, whether `body` throws or not (the failover tests).
    public static func withSynchronousStandby<T>(
        _ name: String, _ body: (_ primary: PostgresServer, _ standby: PostgresServer, _ database: String) async throws -> T
    ) async throws -> T {
        let primary = try await start()
        var standby: PostgresServer?
        do {
            let database = try await primary.createDatabase(name)
            let copy = try await primary.startStandby()
            standby = copy
            try await primary.makeStandbySynchronous()
            let result = try await body(primary, copy, database)
            await copy.stop()
            await primary.stop()
            return result
        } catch {
            await standby?.stop()
            await primary.stop()
            throw error
        }
    }

    /// Runs `body` with a fresh server; stops and removes the server afterwards, whether `body` throws or not.
    public static func withServer<T>(_ body: (PostgresServer) async throws -> T) async throws -> T {
        let server = try await start()
        do {
            let result = try await body(server)
            await server.stop()
            return result
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Runs `body` with a fresh server and an empty database `name` on it (see ``createDatabase(_:)``); stops and
    /// removes the server afterwards, whether `body` throws or not.
    public static func withDatabase<T>(_ name: String, _ body: (PostgresServer, String) async throws -> T) async throws -> T {
        try await withServer { server in try await body(server, try await server.createDatabase(name)) }
    }

    /// Fast shutdown (SIGINT: sessions rolled back, a checkpoint written), awaited; then the folder is removed.
    public func stop() async {
        if !exit.hasExited { kill(exit.pid, SIGINT) }
        await exit.wait()
        folder.remove()
    }

    /// Immediate shutdown (SIGQUIT, as `pg_ctl -m immediate`): no checkpoint; the next start replays the WAL.
    public func crash() async {
        if !exit.hasExited { kill(exit.pid, SIGQUIT) }
        await exit.wait()
    }

    /// Starts the server again on the same folder and port once it has stopped (after ``crash()``: recovery from the
    /// WAL); returns the new handle, which ``stop()`` then stops and removes.
    public func restart() async throws -> PostgresServer {
        await crash()
        let exit = try Self.startPostmaster(
            bin: bin, owner: try Self.unprivilegedOwner(), data: folder.file("data"), sockets: folder.file("sockets"),
            port: port, log: folder.file("postgres.log")
        )
        let server = PostgresServer(port: port, folder: folder, exit: exit, bin: bin)
        guard try await server.waitReady(bin: bin) else {
            throw PostgresServerError("postgres did not start again; its log:\n\(server.log)")
        }
        return server
    }

    /// Creates an empty database named `name` (letters, digits, underscores) and returns the name.
    @discardableResult
    public func createDatabase(_ name: String) async throws -> String {
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw PostgresServerError("database name \(name) is not a plain identifier")
        }
        try await psql("CREATE DATABASE \(name)")
        return name
    }

    /// Creates a login role that must give `password` (SCRAM) on loopback, owning `database`: the way a
    /// deployment's `tocsind` user connects, where the superuser is trusted.
    public func createRole(_ name: String, password: String, owning database: String) async throws {
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }), !password.contains("'") else {
            throw PostgresServerError("role \(name) or its password is not plain")
        }
        try await psql("CREATE ROLE \(name) LOGIN PASSWORD '\(password)'")
        try await psql("ALTER DATABASE \(database) OWNER TO \(name)")
        // First match wins: this line before initdb's `trust` ones.
        let hba = folder.file("data/pg_hba.conf")
        let rules = try String(contentsOfFile: hba, encoding: .utf8)
        try ("host all \(name) 127.0.0.1/32 scram-sha-256\n" + rules).write(toFile: hba, atomically: false, encoding: .utf8)
        try await psql("SELECT pg_reload_conf()")
    }

    /// Runs SQL through `psql` (a second client, as an operator or a tamperer would use) and returns its unaligned output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        let result = try await runCommand("/usr/bin/psql", [
            "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", "\(port)", "-U", user, "-d", database, "-c", sql,
        ])
        guard result.status == 0 else { throw PostgresServerError("psql failed: \(result)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The server's log so far (for a failing test's message).
    public var log: String { (try? String(contentsOfFile: folder.file("postgres.log"), encoding: .utf8)) ?? "" }

    private func waitReady(bin: String) async throws -> Bool {
        try await waitUntil(timeout: .seconds(60), interval: .milliseconds(50)) {
            if exit.hasExited { return true }
            return try await runCommand("\(bin)/pg_isready", ["-q", "-h", host, "-p", "\(port)"]).status == 0
        } && !exit.hasExited
    }

    private static func startPostmaster(
        bin: String, owner: (uid: uid_t, gid: gid_t)?, data: String, sockets: String, port: Int, log: String
    ) throws -> ProcessExit {
        let arguments = asOwner(owner) + [
            "\(bin)/postgres", "-D", data, "-c", "listen_addresses=127.0.0.1", "-c", "port=\(port)",
            "-c", "unix_socket_directories=\(sockets)", "-c", "fsync=on", "-c", "synchronous_commit=on",
            "-c", "max_connections=200", "-c", "logging_collector=off",
        ]
        return try ChildProcess.spawn("/usr/bin/setpriv", arguments, standardInput: .null, logTo: log)
    }

    /// `setpriv` arguments that drop to `owner` (nothing to drop when not root: it then runs the program as is).
    private static func asOwner(_ owner: (uid: uid_t, gid: gid_t)?) -> [String] {
        guard let owner else { return [] }
        return ["--reuid=\(owner.uid)", "--regid=\(owner.gid)", "--init-groups", "--"]
    }

    /// When running as root, the user the server runs as: `postgres`, else `nobody`.
    private static func unprivilegedOwner() throws -> (uid: uid_t, gid: gid_t)? {
        guard geteuid() == 0 else { return nil }
        for name in ["postgres", "nobody"] {
            if let entry = getpwnam(name) { return (entry.pointee.pw_uid, entry.pointee.pw_gid) }
        }
        throw PostgresServerError("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as")
    }
}

public struct PostgresServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
