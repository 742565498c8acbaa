import Foundation
import Logging
import Testing
import TocsinCore
import TocsinStore
import TocsinStorePostgres
import TocsinTestSupport

/// `storage.postgresql.tls` against a server whose certificate comes from a CA made here with openssl.
@Suite(.serialized, .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)"))
struct PostgresTLSTests {
    static let logger = Logger(label: "tocsin.test.tls", factory: { _ in SwiftLogNoOpLogHandler() })

    /// A CA, and a certificate it signs for 127.0.0.1 and localhost; returns the folder holding `ca.crt`,
    /// `server.crt`, `server.key`, and `other-ca.crt` (a CA that signed nothing).
    static func certificates() async throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(prefix: "tocsin-pg-tls")
        func openssl(_ arguments: [String]) async throws {
            let result = try await runCommand("/usr/bin/openssl", arguments)
            guard result.status == 0 else { throw StoreTestError("openssl \(arguments.first ?? ""): \(result.stderr)") }
        }
        for name in ["ca", "other-ca"] {
            try await openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-keyout", folder.file("\(name).key"), "-out", folder.file("\(name).crt"), "-subj", "/CN=Tocsin test \(name)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        try await openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", folder.file("server.key"),
            "-out", folder.file("server.csr"), "-subj", "/CN=localhost",
        ])
        try folder.write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
        try await openssl([
            "x509", "-req", "-in", folder.file("server.csr"), "-CA", folder.file("ca.crt"), "-CAkey", folder.file("ca.key"),
            "-CAcreateserial", "-days", "2", "-out", folder.file("server.crt"), "-extfile", folder.file("server.ext"),
        ])
        return folder
    }

    func settings(_ server: PostgresServer, database: String, tls: Configuration.PostgreSQL.TLSMode, ca: String?) -> Configuration.PostgreSQL {
        Configuration.PostgreSQL(
            hosts: [.init(host: server.host, port: server.port)], database: database, user: server.user, tls: tls, caFile: ca
        )
    }

    @Test func verifyFullConnectsThroughTLSWithTheRightCAAndRefusesAnyOther() async throws {
        let certificates = try await Self.certificates()
        defer { certificates.remove() }
        let server = try await PostgresServer.start(tls: (certificates.file("server.crt"), certificates.file("server.key")))
        do {
            let database = try await server.createDatabase("tls_test")
            let verified = settings(server, database: database, tls: .verifyFull, ca: certificates.file("ca.crt"))
            let configuration = try await PostgresConnector.primary(verified, node: "tls-a", logger: Self.logger)
            try await PostgresStore.withStore(configuration: configuration, logger: Self.logger) { store in
                try await store.commit(Records.send("20261205-TLS001"))
                // The pool's connections are this node's, and encrypted.
                let encrypted = try await server.psql("""
                    SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
                    WHERE a.application_name = 'tocsind tls-a' AND s.ssl
                    """)
                #expect((Int(encrypted) ?? 0) >= 1, "an encrypted connection of node tls-a: \(encrypted)")
                #expect(try await store.incident("20261205-TLS001") != nil)
            }

            let impostor = settings(server, database: database, tls: .verifyFull, ca: certificates.file("other-ca.crt"))
            await #expect {
                _ = try await PostgresConnector.primary(impostor, node: "tls-b", logger: Self.logger)
            } throws: { error in
                guard let error = error as? StoreError else { return false }
                // The TLS library's own reason says what to fix.
                return error.code == .open && error.message.hasPrefix("no PostgreSQL server of 'storage.postgresql.hosts' accepts writes: 127.0.0.1:\(server.port): ")
                    && error.message.contains("CERTIFICATE_VERIFY_FAILED")
            }

            // `require`: encrypted, the certificate not checked (any CA, or none).
            let required = settings(server, database: database, tls: .require, ca: nil)
            let plain = try await PostgresConnector.primary(required, node: "tls-c", logger: Self.logger)
            try await PostgresStore.withStore(configuration: plain, logger: Self.logger) { store async throws in
                #expect(try await store.incident("20261205-TLS001") != nil)
            }
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
