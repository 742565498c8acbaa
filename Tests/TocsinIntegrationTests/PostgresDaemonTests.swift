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
    /// Runs `body` with a fresh server and an empty database on it; stops and removes the server afterwards.
    private func withDatabase(_ body: (PostgresServer, String) async throws -> Void) async throws {
        let server = try await PostgresServer.start()
        do {
            try await body(server, try await server.createDatabase("tocsin_it"))
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test func approveSendStatusReportAndAuditWorkOnPostgreSQLAndSurviveARestart() async throws {
        try await withDatabase { server, database in
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
