import Foundation
import Testing
import TocsinConfig
import TocsinCore

/// `storage:` and `cluster:` (DESIGN.md "Several machines"): SQLite unless `storage.postgresql` is set.
struct StorageConfigTests {
    /// The line the first line of `extra` lands on when appended to the sample config.
    static let firstExtraLine = Samples.config.filter { $0 == "\n" }.count + 1

    func load(_ extra: String, folder: ConfigFolder) throws -> (configuration: Configuration?, diagnostics: [Diagnostic]) {
        try folder.load(config: Samples.config + extra)
    }

    @Test func withoutStorageTheStoreIsSQLiteInTheStateFolder() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let loaded = try #require(try load("", folder: folder).configuration)
        #expect(loaded.storage == .sqlite)
        #expect(loaded.cluster.lease == .seconds(10))
        #expect(loaded.cluster.node == Configuration.Cluster.hostName)
        #expect(loaded.storage.summary(paths: loaded.paths, cluster: loaded.cluster) == "SQLite at \(folder.file("state/tocsin.db"))")
    }

    @Test func theDesignExampleLoadsWithItsPasswordReadFromTheFileAndNeverShown() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let passwordFile = try folder.write("pg-password", "s3cret-pg-pass\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile)
        try folder.write("pg-ca.pem", "-----BEGIN CERTIFICATE-----\n")
        let (configuration, diagnostics) = try load("""
            storage:
              postgresql:
                hosts: ["db1.example:5432", "db2.example:5433", "[2001:db8::5]:5432"]
                database: tocsin
                user: tocsind
                password_file: pg-password
                tls: verify-full
                ca_file: pg-ca.pem
            cluster:
              node: campus-a
              lease: 15s

            """, folder: folder)
        let loaded = try #require(configuration, "\(diagnostics.listing)")
        #expect(diagnostics.isEmpty, "\(diagnostics.listing)")
        guard case .postgresql(let settings) = loaded.storage else {
            Issue.record("storage is \(loaded.storage)")
            return
        }
        #expect(settings.hosts == [.init(host: "db1.example", port: 5432), .init(host: "db2.example", port: 5433), .init(host: "2001:db8::5", port: 5432)])
        #expect(settings.database == "tocsin")
        #expect(settings.user == "tocsind")
        #expect(settings.password?.reveal() == "s3cret-pg-pass")
        #expect(settings.tls == .verifyFull)
        #expect(settings.caFile == folder.file("pg-ca.pem"))
        #expect(loaded.cluster == Configuration.Cluster(node: "campus-a", lease: .seconds(15)))
        let summary = loaded.storage.summary(paths: loaded.paths, cluster: loaded.cluster)
        #expect(summary == "PostgreSQL database 'tocsin' as user 'tocsind' on db1.example:5432, db2.example:5433, [2001:db8::5]:5432, tls verify-full (CA \(folder.file("pg-ca.pem"))), password from \(passwordFile); node 'campus-a', lease 15.0 s")
        #expect(!summary.contains("s3cret") && !"\(loaded.storage)".contains("s3cret") && !"\(settings)".contains("s3cret"))
    }

    @Test func tlsDefaultsToVerifyFullAndDisableIsAcceptedOnLoopbackOnly() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let defaulted = try #require(try load("storage: { postgresql: { hosts: [\"db1.example:5432\"], database: tocsin, user: tocsind } }\n", folder: folder).configuration)
        #expect(defaulted.storage == .postgresql(.init(hosts: [.init(host: "db1.example", port: 5432)], database: "tocsin", user: "tocsind", tls: .verifyFull)))
        let loopback = try load("storage: { postgresql: { hosts: [\"127.0.0.1:5432\", \"localhost:5433\", \"[::1]:5434\"], database: t, user: u, tls: disable } }\n", folder: folder)
        #expect(loopback.configuration != nil, "\(loopback.diagnostics.listing)")
        let remote = try load("""
            storage:
              postgresql:
                hosts: ["127.0.0.1:5432", "db2.example:5432"]
                database: tocsin
                user: tocsind
                tls: disable

            """, folder: folder)
        #expect(remote.configuration == nil)
        #expect(remote.diagnostics.errors.count == 1, "\(remote.diagnostics.listing)")
        let problem = try #require(remote.diagnostics.errors.first)
        #expect(problem.message.contains("'storage.postgresql.tls: disable' is refused: db2.example:5432 is not a loopback address"))
        #expect(problem.line == Self.firstExtraLine + 5)
    }

    /// Each bad value is one error, on its own line, saying what to write instead.
    @Test(arguments: [
        ("hosts: [db1.example]", "'storage.postgresql.hosts' entry 'db1.example' must be host:port, e.g. db1.example:5432"),
        ("hosts: [\"db1.example:99999\"]", "'storage.postgresql.hosts' entry 'db1.example:99999' must be host:port"),
        ("hosts: [\"db1:5432\", \"db1:5432\"]", "'storage.postgresql.hosts' lists db1:5432 twice"),
        ("hosts: []", "'storage.postgresql.hosts' must list at least one server"),
        ("tls: verify-ca", "'storage.postgresql.tls' is 'verify-ca'; it must be one of: verify-full, require, disable"),
        ("ca_file: missing.pem", "cannot read 'storage.postgresql.ca_file': "),
        ("password_file: missing-password", "cannot read 'storage.postgresql.password_file': "),
        ("port: 5432", "unknown key 'port' in 'storage.postgresql'"),
    ])
    func aBadPostgreSQLValueIsOneErrorOnItsLine(line: String, message: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        // The line under test replaces the hosts line, or follows a valid one.
        let hosts = line.hasPrefix("hosts:") ? "" : "    hosts: [\"db1.example:5432\"]\n"
        let (configuration, diagnostics) = try load(
            "storage:\n  postgresql:\n" + hosts + "    database: tocsin\n    user: tocsind\n    \(line)\n", folder: folder
        )
        #expect(configuration == nil)
        #expect(diagnostics.errors.count == 1, "\(diagnostics.listing)")
        let problem = try #require(diagnostics.errors.first)
        #expect(problem.message.contains(message), "\(problem.message)")
        #expect(problem.line == Self.firstExtraLine + (hosts.isEmpty ? 4 : 5), "\(diagnostics.listing)")
    }

    @Test func databaseAndUserAreRequired() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try load("storage:\n  postgresql:\n    hosts: [\"db1.example:5432\"]\n", folder: folder)
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message) == ["'storage.postgresql.database' is required", "'storage.postgresql.user' is required"])
        #expect(diagnostics.errors.allSatisfy { $0.line == Self.firstExtraLine + 2 }, "\(diagnostics.listing)")
    }

    @Test func aPasswordFileOthersCanChangeIsRefusedAndItsValueNeverShown() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let file = try folder.write("pg-password", "hunter2-pg\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: file)
        let (configuration, diagnostics) = try load("""
            storage:
              postgresql: { hosts: ["db1.example:5432"], database: tocsin, user: tocsind, password_file: pg-password }

            """, folder: folder)
        #expect(configuration == nil)
        #expect(diagnostics.errors.contains { $0.message.contains("'storage.postgresql.password_file': \(file) can be changed by users other than its owner") })
        #expect(!diagnostics.listing.contains("hunter2"))
    }

    @Test(arguments: [
        ("node: \"campus a\"", "'cluster.node' must be 1 to 63 letters, digits"),
        ("node: \"\"", "'cluster.node' must not be empty"),
        ("lease: 500ms", "'cluster.lease' must be from 1s to 10m"),
        ("lease: ten", "'cluster.lease' is not a duration: 'ten'"),
        ("leases: 10s", "unknown key 'leases' in 'cluster' (did you mean 'lease'?)"),
    ])
    func aBadClusterValueIsOneErrorOnItsLine(line: String, message: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try load("""
            storage: { postgresql: { hosts: ["db1.example:5432"], database: tocsin, user: tocsind } }
            cluster:
              \(line)

            """, folder: folder)
        #expect(configuration == nil)
        #expect(diagnostics.errors.count == 1, "\(diagnostics.listing)")
        #expect(diagnostics.errors.first?.message.contains(message) == true, "\(diagnostics.listing)")
        #expect(diagnostics.errors.first?.line == Self.firstExtraLine + 2)
    }

    @Test func clusterWithoutPostgreSQLIsAWarning() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try load("cluster: { node: campus-a }\n", folder: folder)
        #expect(configuration?.storage == .sqlite)
        #expect(diagnostics.map(\.message) == ["'cluster' has no effect without 'storage.postgresql': with SQLite, tocsind runs on one machine"])
    }
}
