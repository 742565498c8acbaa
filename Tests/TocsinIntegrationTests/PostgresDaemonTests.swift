import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// `tocsind` on `storage.postgresql` (DESIGN.md "Several machines"), end to end: a real daemon process on a real
/// PostgreSQL server started by the test (a database of its own), driven through the real CLI, delivering to the
/// loopback receiver.
@Suite(
    .serialized, .integration, .timeLimit(.minutes(4)),
    .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)")
)
struct PostgresDaemonTests {
    @Test func approveSendStatusReportAndAuditWorkOnPostgreSQLAndSurviveARestart() async throws {
        try await PostgresServer.withDatabase("tocsin_it") { server, database in
            let bed = try await TestBed { receiver in
                var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("hall", url: receiver.url("/hall"))])
                config.storage = TestConfig.PostgresStorage(server: server, database: database)
                config.storage?.node = "campus-a"
                return config
            }
            defer { bed.tearDown() }
            #expect(!FileManager.default.fileExists(atPath: bed.daemon.databasePath), "no SQLite file beside a PostgreSQL store")

            let check = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--check-config"])
            #expect(check.status == 0, "\(check)")
            #expect(check.stdout.contains("storage: PostgreSQL database '\(database)' as user 'postgres' on 127.0.0.1:\(server.port), tls disable"), "\(check.stdout)")
            #expect(check.stdout.contains("node 'campus-a', lease 10.0 s"), "\(check.stdout)")

            let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
            #expect(approve.status == 0, "\(approve)")
            let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
            #expect(send.status == 0, "\(send)\n\(bed.daemon.log())")
            let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
            #expect(send.jsonLines.last?["delivered"] as? Int == 2, "\(send)")
            let finished = try await bed.daemon.waitForFinish(incident)
            #expect(finished.isFinished)

            // Every delivery reached the receiver once, each with its own webhook-id.
            for path in ["/ops", "/hall"] {
                let requests = bed.receiver.requests(path: path)
                #expect(requests.count == 1, "\(path): \(requests.count) requests")
                #expect(requests.first?.json?["type"] as? String == "tocsin.alert")
            }
            let ids = Set((bed.receiver.requests(path: "/ops") + bed.receiver.requests(path: "/hall")).compactMap { $0.headers["webhook-id"] })
            #expect(ids.count == 2)

            // What the daemon stored is in PostgreSQL: the incident, its two delivered deliveries, the approval.
            #expect(try await server.psql("SELECT count(*) FROM delivery WHERE incident_id = '\(incident)' AND state = 'delivered'", database: database) == "2")
            #expect(try await server.psql("SELECT count(*) FROM approval WHERE template_id = 'evacuation'", database: database) == "1")

            let status = try await bed.daemon.ctl("status", "--json")
            #expect(status.status == 0, "\(status)")
            #expect(status.stdout.contains(incident), "\(status.stdout)")
            let report = try await bed.daemon.ctl("report", incident, "--json")
            #expect(report.status == 0, "\(report)")
            let decoded = try JSONDecoder().decode(IncidentReport.self, from: Data(report.stdout.utf8))
            #expect(decoded.totals.deliveries == 2)
            #expect(decoded.totals.delivered == 2)
            let verify = try await bed.daemon.ctl("audit", "verify")
            #expect(verify.status == 0, "\(verify)")
            #expect(verify.stdout.contains("Audit chain intact"), "\(verify.stdout)")

            // A restart on the same database: the chain goes on from where it was, the incident is still listed.
            let entries = try await server.psql("SELECT max(seq) FROM audit", database: database)
            await bed.daemon.stop()
            #expect(bed.daemon.exitStatus == 0, "\(bed.daemon.log())")
            try await bed.daemon.start()
            let again = try await bed.daemon.ctl("audit", "verify")
            #expect(again.status == 0, "\(again)")
            #expect(again.stdout.contains("Audit chain intact"), "\(again.stdout)")
            #expect(Int(try await server.psql("SELECT max(seq) FROM audit", database: database)) ?? 0 > Int(entries) ?? .max, "the restart's entries follow")
            let listed = try await bed.daemon.ctl("status", "--json")
            #expect(listed.stdout.contains(incident), "\(listed.stdout)")
            #expect(try await bed.daemon.ctl("report", incident, "--json").status == 0)
            #expect(bed.receiver.requests().count == 2, "nothing was sent again after the restart")

            // Another node name cannot be taken up live: the reload keeps the store and says so.
            let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "node: campus-a", with: "node: campus-b")
                .write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
            let reload = try await bed.daemon.ctl("reload")
            #expect(reload.status == 0, "\(reload)")
            #expect(reload.stdout.contains("storage / cluster changed: they apply at the next restart"), "\(reload)")
            #expect(try await server.psql("SELECT name FROM node", database: database) == "campus-a")
        }
    }

    /// `tocsinctl backup` on a PostgreSQL node exports one snapshot into a SQLite file, which is a working state: a
    /// daemon on SQLite started on it lists the incident and verifies the same chain, up to the entry the backup named.
    @Test func aBackupOnPostgreSQLIsASQLiteStateAnotherDaemonRunsOn() async throws {
        try await PostgresServer.withDatabase("tocsin_it") { server, database in
            let bed = try await TestBed { receiver in
                var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
                config.storage = TestConfig.PostgresStorage(server: server, database: database)
                return config
            }
            defer { bed.tearDown() }
            #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
            let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json"])
            let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
            _ = try await bed.daemon.waitForFinish(incident)

            let backup = try await bed.daemon.ctl("backup", "--json")
            #expect(backup.status == 0, "\(backup)\n\(bed.daemon.log())")
            let answer = try #require(try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any], "\(backup)")
            let path = try #require(answer["path"] as? String)
            let seq = try #require(answer["auditHeadSeq"] as? Int)
            #expect(path.hasPrefix(bed.directory.file("state/backups/")) && path.hasSuffix(".db"), "\(path)")
            let mode = (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600)
            let audited = try await server.psql("SELECT count(*) FROM audit WHERE kind = 'daemon.backup'", database: database)
            #expect(audited == "1", "the backup is in the cluster's audit log")

            // The export's chain is the cluster's, hash for hash, up to the entry the backup named.
            let exported = try await runCommand("/usr/bin/sqlite3", [path, "SELECT hash FROM audit WHERE seq = \(seq)"])
            #expect(exported.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == answer["auditHeadHash"] as? String)
            #expect(try await server.psql("SELECT hash FROM audit WHERE seq = \(seq)", database: database) == answer["auditHeadHash"] as? String)

            // A second daemon, on SQLite, on a copy of the export as its state database.
            let restored = try TemporaryDirectory()
            let config = TestConfig(channels: [.init("ops", url: bed.receiver.url("/ops"))])
            let configPath = try config.write(to: restored)
            try FileManager.default.createDirectory(atPath: restored.file("state"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: path, toPath: restored.file("state/tocsin.db"))
            let daemon = DaemonProcess(directory: restored, configPath: configPath)
            try await daemon.start()
            defer {
                daemon.signal(SIGKILL)
                daemon.whenExited { restored.remove() }
            }
            let verify = try await daemon.ctl("audit", "verify", "--json")
            #expect(verify.status == 0, "\(verify)")
            let verified = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any], "\(verify)")
            #expect(verified["intact"] as? Bool == true)
            #expect((verified["checked"] as? Int ?? 0) > seq, "the export's \(seq) entries, then the restored daemon's start: \(verified)")
            let status = try await daemon.ctl("status", "--json")
            #expect(status.stdout.contains(incident), "\(status.stdout)")
            let report = try await daemon.ctl("report", incident, "--json")
            #expect(report.status == 0, "\(report)")
            #expect(bed.receiver.requests(path: "/ops").count == 1, "the restored daemon sent nothing again")
        }
    }

    /// Deliveries are leased between nodes: a second node starts while the first runs, both are listed, and a
    /// clean stop removes a node's row (PostgresClusterTests sends through both).
    @Test func aSecondNodeOnTheSameDatabaseStartsWhileTheFirstRuns() async throws {
        try await PostgresServer.withDatabase("tocsin_it") { server, database in
            let bed = try await TestBed { receiver in
                var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
                config.storage = TestConfig.PostgresStorage(server: server, database: database)
                config.storage?.node = "campus-a"
                return config
            }
            defer { bed.tearDown() }
            #expect(try await server.psql("SELECT name FROM node", database: database) == "campus-a")

            let other = try TemporaryDirectory()
            var config = TestConfig(channels: [.init("ops", url: bed.receiver.url("/ops"))])
            config.storage = TestConfig.PostgresStorage(server: server, database: database)
            config.storage?.node = "campus-b"
            let second = DaemonProcess(directory: other, configPath: try config.write(to: other))
            try await second.start()
            defer {
                second.signal(SIGKILL)
                second.whenExited { other.remove() }
            }
            #expect(try await server.psql("SELECT string_agg(name, ',' ORDER BY name) FROM node", database: database) == "campus-a,campus-b")
            #expect(try await second.ctl("audit", "verify").status == 0)
            await second.stop()
            #expect(second.exitStatus == 0, "\(second.log())")
            #expect(try await server.psql("SELECT name FROM node", database: database) == "campus-a")
        }
    }

    /// The database password is a secret: not in the journal (at debug level), `--check-config`, the audit log, or
    /// the database's own record of the connection.
    @Test func theDatabasePasswordAppearsNowhere() async throws {
        try await PostgresServer.withDatabase("tocsin_it") { server, database in
            let password = "pg-Secret-\(UInt32.random(in: 100_000...999_999))"
            let secrets = try TemporaryDirectory()
            defer { secrets.remove() }
            let file = try secrets.write("pg-password", password + "\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            try await server.createRole("tocsind_it", password: password, owning: database)
            let bed = try await TestBed { receiver in
                var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
                config.storage = TestConfig.PostgresStorage(hosts: ["\(server.host):\(server.port)"], database: database, user: "tocsind_it")
                config.storage?.passwordFile = file
                return config
            }
            defer { bed.tearDown() }
            #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
            let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
            #expect(send.status == 0, "\(send)")
            let check = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath, "--check-config"])
            #expect(check.stdout.contains("password from \(file)"), "\(check.stdout)")
            let audit = try await bed.daemon.ctl("audit", "log", "--json")
            let stored = try await server.psql("SELECT string_agg(detail, ' ') FROM audit", database: database)
            for (name, text) in [("journal", bed.daemon.log()), ("check-config", check.stdout + check.stderr), ("audit log", audit.stdout), ("audit table", stored)] {
                #expect(!text.contains(password), "the password is in the \(name)")
            }
            #expect(bed.daemon.log().contains("PostgreSQL primary found"), "the journal was read at debug level")
            // The password was needed and given: the node's connections are the role's.
            #expect(try await server.psql("SELECT count(*) > 0 FROM pg_stat_activity WHERE usename = 'tocsind_it'") == "t")
            #expect(try await server.psql("SELECT auth_method FROM pg_hba_file_rules WHERE 'tocsind_it' = ANY(user_name)") == "scram-sha-256")

            // A wrong password: the next start is refused, saying so, and the password is still not shown.
            await bed.daemon.stop()
            try "not-the-password\n".write(toFile: file, atomically: false, encoding: .utf8)
            let refused = try await runCommand(PackagePaths.tocsind, ["--config", bed.daemon.configPath])
            #expect(refused.status == 1)
            #expect(refused.stderr.contains("28P01"), "\(refused.stderr)")
            #expect(!refused.stderr.contains("not-the-password") && !refused.stderr.contains(password))
        }
    }

    @Test func aDaemonWhoseDatabaseServerDoesNotAnswerRefusesToStartAndSaysWhere() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var config = TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")])
        // Port 9 (discard) on loopback: nothing listens there in the test machine.
        config.storage = TestConfig.PostgresStorage(hosts: ["127.0.0.1:9"], database: "tocsin", user: "tocsind")
        let path = try config.write(to: directory)
        let run = try await runCommand(PackagePaths.tocsind, ["--config", path])
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("no PostgreSQL server of 'storage.postgresql.hosts' accepts writes: 127.0.0.1:9:"), "\(run.stderr)")
    }
}
