import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// `tocsind --import-sqlite PATH` (DESIGN.md "Several machines", issue 17 item 7): a SQLite state made by a real
/// daemon (approvals, a live send, a drill, signed checkpoints) moved into a real PostgreSQL database, and a node
/// started on the result.
@Suite(
    .serialized, .integration, .timeLimit(.minutes(5)),
    .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)")
)
struct PostgresImportTests {
    /// An Ed25519 signing key for the audit checkpoints, made with openssl as the runbook says.
    private func signingKey(in directory: TemporaryDirectory) async throws -> String {
        let path = directory.file("audit-signing.pem")
        let made = try await runCommand("/usr/bin/openssl", ["genpkey", "-algorithm", "ed25519", "-out", path])
        #expect(made.status == 0, "\(made)")
        chmod(path, 0o600)
        return path
    }

    private func config(_ receiver: LoopbackReceiver, key: String, storage: TestConfig.PostgresStorage? = nil) -> TestConfig {
        var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("hall", url: receiver.url("/hall"))])
        config.extraYAML = "audit:\n  signing_key_file: \(key)\n"
        config.storage = storage
        return config
    }

    private func decodeReport(_ result: CommandResult) throws -> IncidentReport {
        try JSONDecoder().decode(IncidentReport.self, from: Data(result.stdout.utf8))
    }

    private func sqliteHashes(_ database: String) async throws -> String {
        let dump = try await runCommand("/usr/bin/sqlite3", [database, "SELECT group_concat(seq || ':' || hash, ',') FROM (SELECT seq, hash FROM audit ORDER BY seq)"])
        #expect(dump.status == 0, "\(dump)")
        return dump.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aSQLiteStateMovesIntoPostgreSQLWithItsHistoryApprovalsAndAVerifyingChain() async throws {
        try await PostgresServer.withServer { server in
            let database = try await server.createDatabase("tocsin_import")
            let keys = try TemporaryDirectory()
            defer { keys.remove() }
            let key = try await signingKey(in: keys)
            let bed = try await TestBed { receiver in config(receiver, key: key) }
            defer { bed.tearDown() }

            // The state of one machine: an approval, a live send, a drill, all delivered.
            #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
            let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
            let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
            _ = try await bed.daemon.waitForFinish(incident)
            let drill = try await bed.daemon.ctl(arguments: ["drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--json"])
            let drilled = try #require(drill.jsonLines.first?["incident"] as? String, "\(drill)")
            _ = try await bed.daemon.waitForFinish(drilled)
            let before = try decodeReport(try await bed.daemon.ctl("report", incident, "--json"))
            let drillBefore = try decodeReport(try await bed.daemon.ctl("report", drilled, "--json"))
            await bed.daemon.stop()
            #expect(bed.daemon.exitStatus == 0, "\(bed.daemon.log())")
            // A web user enrolled then (as `web-users add` stores one: a bcrypt hash, a sealed seed).
            _ = try await runCommand("/usr/bin/sqlite3", [bed.daemon.databasePath, """
                INSERT INTO web_user (name, passwordHash, sealedSeed, seedKeyID, createdAt, updatedAt, failures, lastFailureAt)
                VALUES ('marie', '$2b$12$abcdefghijklmnopqrstuuOq6hF5ZQ8x1v8yG0mPqv1Wn7mJx3s2e', x'00ff1020', '0a1b2c3d', 1, 2, 1, 3)
                """])
            let copiedHashes = try await sqliteHashes(bed.daemon.databasePath)
            let copiedEntries = copiedHashes.split(separator: ",").count
            #expect(copiedEntries > 10)

            // The same config, now on PostgreSQL: import the state file the SQLite daemon left.
            let storage = TestConfig.PostgresStorage(server: server, database: database)
            try config(bed.receiver, key: key, storage: storage).write(to: bed.directory)
            let imported = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--import-sqlite", bed.daemon.databasePath])
            #expect(imported.status == 0, "\(imported)")
            #expect(imported.stdout.contains("2 incidents, 4 deliveries"), "\(imported.stdout)")
            #expect(imported.stdout.contains("1 web users"), "\(imported.stdout)")
            #expect(try await server.psql("SELECT name || ' ' || encode(sealed_seed, 'hex') || ' ' || failures || ' ' || substr(password_hash, 1, 7) FROM web_user", database: database)
                == "marie 00ff1020 1 $2b$12$", "the web users moved with their secrets as stored")
            #expect(imported.stdout.contains("audit chain copied up to entry \(copiedEntries) "), "\(imported.stdout)")
            #expect(imported.stdout.contains("audit chain in PostgreSQL verified: \(copiedEntries + 1) entries intact, signed up to entry"), "\(imported.stdout)")

            // Entry for entry, hash for hash; then the import's own entry, chained after them.
            let stored = try await server.psql("SELECT string_agg(seq || ':' || hash, ',' ORDER BY seq) FROM audit WHERE seq <= \(copiedEntries)", database: database)
            #expect(stored == copiedHashes)
            #expect(try await server.psql("SELECT kind FROM audit WHERE seq = \(copiedEntries + 1)", database: database) == "state.import")
            #expect(try await server.psql("SELECT seq FROM audit_head", database: database) == "\(copiedEntries + 1)")

            // A node on the result: the chain verifies (signatures too), the heads file agrees, history is there.
            try await bed.daemon.start()
            let verify = try await bed.daemon.ctl("audit", "verify", "--json")
            #expect(verify.status == 0, "\(verify)\n\(bed.daemon.log())")
            let verified = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any], "\(verify)")
            #expect(verified["intact"] as? Bool == true, "\(verified)")
            #expect((verified["checked"] as? Int ?? 0) > copiedEntries + 1, "the node's start follows the import: \(verified)")
            let checkpoints = try #require(verified["checkpoints"] as? [String: Any], "\(verified)")
            #expect((checkpoints["verified"] as? Int ?? 0) >= 2, "checkpoints of the SQLite daemon and of this node: \(checkpoints)")

            let status = try await bed.daemon.ctl("status", "--json")
            #expect(status.status == 0, "\(status)")
            let daemon = try JSONDecoder().decode(DaemonStatus.self, from: Data(status.stdout.utf8))
            #expect(daemon.auditProblem == nil, "the heads file kept in the state folder agrees with the imported chain")
            #expect(Set(daemon.recentIncidents.map(\.incident)).isSuperset(of: [incident, drilled]))

            // The reports of the old incidents are what they were (the chain's check aside, which now covers more;
            // the incident's audit entries are those of before, then the report requests made since).
            for (old, id) in [(before, incident), (drillBefore, drilled)] {
                var after = try decodeReport(try await bed.daemon.ctl("report", id, "--json"))
                #expect(after.chain.intact)
                #expect(Array(after.audit.prefix(old.audit.count)) == old.audit)
                after.chain = old.chain
                after.audit = old.audit
                #expect(after == old, "report of \(id)")
            }

            // Approvals hold (content hashes unchanged): a live send needs no new approval.
            let list = try await bed.daemon.ctl("templates", "list", "--json")
            #expect(list.stdout.contains("\"approval\" : \"approved\""), "\(list.stdout)")
            let again = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json"])
            #expect(again.status == 0, "\(again)")
            let second = try #require(again.jsonLines.first?["incident"] as? String, "\(again)")
            #expect(try await bed.daemon.waitForFinish(second).allDelivered)
            #expect(bed.receiver.requests(path: "/ops").count == 3, "the send, the drill, the send after the move: nothing sent twice")
        }
    }

    /// A database that holds anything is refused, and left as it was; so is a file whose chain does not verify,
    /// before the database is touched.
    @Test func anImportIntoADatabaseThatIsNotEmptyOrOfABrokenChainIsRefusedAndChangesNothing() async throws {
        try await PostgresServer.withServer { server in
            let keys = try TemporaryDirectory()
            defer { keys.remove() }
            let key = try await signingKey(in: keys)
            let bed = try await TestBed { receiver in config(receiver, key: key) }
            defer { bed.tearDown() }
            #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
            await bed.daemon.stop()
            let state = bed.daemon.databasePath

            // A database a node has already run on: not empty.
            let used = try await server.createDatabase("tocsin_used")
            let other = try TemporaryDirectory()
            defer { other.remove() }
            var node = TestConfig(channels: [.init("ops", url: bed.receiver.url("/ops"))])
            node.storage = TestConfig.PostgresStorage(server: server, database: used)
            let nodeConfig = try node.write(to: other)
            let daemon = DaemonProcess(directory: other, configPath: nodeConfig)
            try await daemon.start()
            await daemon.stop()
            let entries = try await server.psql("SELECT count(*) || ' ' || max(seq) || ' ' || (SELECT hash FROM audit_head) FROM audit", database: used)

            try config(bed.receiver, key: key, storage: TestConfig.PostgresStorage(server: server, database: used)).write(to: bed.directory)
            let refused = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--import-sqlite", state])
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("database '\(used)' on 127.0.0.1:\(server.port) is not empty ("), "\(refused.stderr)")
            #expect(refused.stderr.contains("audit entries): --import-sqlite only fills an empty database, and changed nothing"), "\(refused.stderr)")
            #expect(try await server.psql("SELECT count(*) || ' ' || max(seq) || ' ' || (SELECT hash FROM audit_head) FROM audit", database: used) == entries)
            #expect(try await server.psql("SELECT count(*) FROM approval", database: used) == "0")

            // A file whose chain was edited: refused naming the entry, and the empty database is not even given tables.
            let fresh = try await server.createDatabase("tocsin_fresh")
            let edit = try await runCommand("/usr/bin/sqlite3", [state, "UPDATE audit SET detail = replace(detail, 'evacuation', 'evacuatioN') WHERE seq = (SELECT min(seq) FROM audit WHERE kind = 'template.approve')"])
            #expect(edit.status == 0, "\(edit)")
            let edited = try await runCommand("/usr/bin/sqlite3", [state, "SELECT min(seq) FROM audit WHERE kind = 'template.approve'"])
            let seq = edited.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            try config(bed.receiver, key: key, storage: TestConfig.PostgresStorage(server: server, database: fresh)).write(to: bed.directory)
            let broken = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--import-sqlite", state])
            #expect(broken.status == 1, "\(broken)")
            #expect(broken.stderr.contains("the audit chain of \(state) does not verify at entry \(seq): entry \(seq) was altered"), "\(broken.stderr)")
            #expect(broken.stderr.contains("nothing was imported"), "\(broken.stderr)")
            #expect(try await server.psql("SELECT to_regclass('audit') IS NULL", database: fresh) == "t")

            // The config must name a PostgreSQL database to import into.
            try config(bed.receiver, key: key).write(to: bed.directory)
            let sqlite = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--import-sqlite", state])
            #expect(sqlite.status == 1)
            #expect(sqlite.stderr.contains("this config has none: add storage.postgresql"), "\(sqlite.stderr)")
        }
    }
}
