import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// A database failover under a running `tocsind` (issue 17, item 6; DESIGN.md "Several machines"): the node lists
/// the primary and its synchronous standby; the primary is stopped `-m immediate` mid fan-out and the standby
/// promoted; the node moves to it and goes on without a restart.
@Suite(
    .serialized, .integration, .timeLimit(.minutes(4)),
    .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)")
)
struct PostgresFailoverDaemonTests {
    /// Every delivery of the fan-out reaches its receiver (at least once, with one `webhook-id` and one body per
    /// delivery), the outcomes of the attempts in flight are recorded on the promoted standby, a send made in the
    /// gap is either acknowledged and delivered or refused with nothing stored, and status and `audit verify` work.
    @Test func aNodeFollowsThePromotedStandbyMidFanOutAndLosesNothingAcknowledged() async throws {
        let count = 6
        // Zero loss: a commit is acknowledged only once the standby has it.
        try await PostgresServer.withSynchronousStandby("tocsin_failover") { primary, standby, database in
            try await fanOutThroughAFailover(count: count, primary: primary, standby: standby, database: database)
        }
    }

    /// Two nodes through one failover, each with a fan-out in flight: both follow the promoted standby on their own,
    /// each finishes its own deliveries (no take-over: neither node died), every outcome is recorded once on the new
    /// primary, and the one audit chain still verifies from either node. A 30 s lease: what is checked does not
    /// depend on its length, and the failover (with a busy machine's probes) stays well inside it.
    @Test func twoNodesFollowThePromotedStandbyAndEachFinishesItsFanOut() async throws {
        let count = 4
        try await PostgresServer.withSynchronousStandby("tocsin_failover_two") { primary, standby, database in
            let plan = Dictionary(uniqueKeysWithValues: (0..<count).map { ("/c\($0)", [["delay": 2]] as [[String: Any]]) })
            let storage = TestConfig.PostgresStorage(
                hosts: ["\(primary.host):\(primary.port)", "\(standby.host):\(standby.port)"], database: database, user: primary.user
            )
            var channels: [TestConfig.Channel] = []
            let bed = try await TestBed(plan: plan) { receiver in
                channels = (0..<count).map { TestConfig.Channel("c\($0)", url: receiver.url("/c\($0)")) }
                var config = TestConfig(channels: channels)
                config.storage = storage
                config.storage?.node = "campus-a"
                config.storage?.lease = "30s"
                return config
            }
            defer { bed.tearDown() }
            let (other, folder) = try await PostgresClusterTests.secondNode("campus-b", storage: storage, channels: channels, lease: "30s")
            defer {
                other.signal(SIGKILL)
                other.whenExited { folder.remove() }
            }
            let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
            #expect(approve.status == 0, "\(approve)")

            // One fan-out from each node, every attempt in flight (each answer held 2 s) when the primary goes.
            var incidents: [String] = []
            for node in [bed.daemon, other] {
                let send = try await node.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json"])
                #expect(send.status == 0, "\(send)")
                incidents.append(try #require(send.jsonLines.first?["incident"] as? String, "\(send)"))
            }
            let inFlight = try await bed.receiver.waitForRequests(2 * count)
            // Each node sends its own new deliveries under the lease they were born with: no claim rewrote them.
            #expect(try await primary.psql("SELECT count(*) FROM delivery WHERE lease_generation = 0 AND lease_node IS NOT NULL", database: database) == "\(2 * count)")
            await primary.crash()
            let answered = (inFlight.map(\.time).max() ?? 0) + 2.5
            #expect(try await waitUntil { Date().timeIntervalSince1970 > answered })
            try await standby.promote()

            for (node, incident) in zip([bed.daemon, other], incidents) {
                #expect(try await waitUntil(timeout: .seconds(60)) { node.log().contains("PostgreSQL primary changed") }, "\(node.log())")
                let finished = try await node.waitForFinish(incident)
                #expect(finished.isFinished && finished.deliveries.allSatisfy { $0.state == "delivered" }, "\(finished)\n\(node.log())")
            }
            let list = incidents.map { "'\($0)'" }.joined(separator: ",")
            #expect(try await standby.psql("SELECT count(*) FROM delivery WHERE incident_id IN (\(list)) AND state = 'delivered'", database: database) == "\(2 * count)")
            // Each outcome once, by the node that sent it: nothing taken over, nothing late.
            #expect(try await standby.psql("SELECT count(*) FROM attempt a JOIN delivery d ON d.id = a.delivery_id WHERE d.incident_id IN (\(list)) AND NOT a.late", database: database) == "\(2 * count)")
            #expect(try await standby.psql("SELECT count(*) FROM attempt WHERE late", database: database) == "0")
            #expect(!bed.daemon.log().contains("deliveries taken over") && !other.log().contains("deliveries taken over"))

            let bodies = Dictionary(grouping: bed.receiver.requests().compactMap { request in request.headers["webhook-id"].map { ($0, request.body) } }, by: \.0)
                .mapValues { $0.map(\.1) }
            let ids = try await standby.psql("SELECT string_agg(id, ',' ORDER BY id) FROM delivery WHERE incident_id IN (\(list))", database: database)
            #expect(bodies.keys.sorted().joined(separator: ",") == ids, "every delivery id received")
            #expect(bodies.values.allSatisfy { Set($0).count == 1 }, "one body per delivery across its copies")
            for node in [bed.daemon, other] {
                let verify = try await node.ctl("audit", "verify")
                #expect(verify.status == 0, "\(verify)\n\(node.log())")
            }
        }
    }

    private func fanOutThroughAFailover(count: Int, primary: PostgresServer, standby: PostgresServer, database: String) async throws {
        // Every answer held 2 s: the fan-out is in flight when the primary goes.
        let plan = Dictionary(uniqueKeysWithValues: (0..<count).map { ("/c\($0)", [["delay": 2]] as [[String: Any]]) })
        let bed = try await TestBed(plan: plan) { receiver in
            var config = TestConfig(channels: (0..<count).map { TestConfig.Channel("c\($0)", url: receiver.url("/c\($0)")) })
            config.storage = TestConfig.PostgresStorage(
                hosts: ["\(primary.host):\(primary.port)", "\(standby.host):\(standby.port)"], database: database, user: primary.user
            )
            config.storage?.node = "campus-a"
            return config
        }
        defer { bed.tearDown() }
        let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(approve.status == 0, "\(approve)")

        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json"])
        #expect(send.status == 0, "\(send)\n\(bed.daemon.log())")
        let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
        // Acknowledged, so on the standby too (synchronous).
        #expect(try await standby.psql("SELECT count(*) FROM delivery WHERE incident_id = '\(incident)'", database: database) == "\(count)")

        // Every attempt in flight: the primary stops at once (no checkpoint, connections cut).
        let inFlight = try await bed.receiver.waitForRequests(count)
        await primary.crash()
        #expect(try await waitUntil { bed.daemon.log().contains("no PostgreSQL server accepts writes") }, "\(bed.daemon.log())")

        // A send in the gap: it waits for the promotion, or is refused saying why.
        async let gapSend = bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon B", "--yes", "--no-wait", "--json", "--lang", "en"])
        // The receiver has answered every attempt while no server accepts writes: their outcomes wait for one.
        let answered = (inFlight.map(\.time).max() ?? 0) + 2.5
        #expect(try await waitUntil { Date().timeIntervalSince1970 > answered })
        try await standby.promote()
        let during = try await gapSend

        #expect(try await waitUntil(timeout: .seconds(60)) { bed.daemon.log().contains("PostgreSQL primary changed") }, "\(bed.daemon.log())")
        let finished = try await bed.daemon.waitForFinish(incident)
        #expect(finished.isFinished && finished.deliveries.allSatisfy { $0.state == "delivered" }, "\(finished)\n\(bed.daemon.log())")
        // The outcomes of the attempts in flight were recorded on the promoted standby.
        #expect(try await standby.psql("SELECT count(*) FROM delivery WHERE incident_id = '\(incident)' AND state = 'delivered'", database: database) == "\(count)")
        #expect(try await standby.psql("SELECT count(DISTINCT d.id) FROM attempt a JOIN delivery d ON d.id = a.delivery_id WHERE d.incident_id = '\(incident)' AND NOT a.late", database: database) == "\(count)")
        #expect(bed.daemon.log().contains("commit not made: the PostgreSQL server is gone or read-only; trying again on the primary"), "outcomes waited for the new primary: \(bed.daemon.log())")

        var incidents = [incident]
        if during.status == 0 {
            let second = try #require(during.jsonLines.first?["incident"] as? String, "\(during)")
            let done = try await bed.daemon.waitForFinish(second)
            #expect(done.isFinished && done.deliveries.allSatisfy { $0.state == "delivered" }, "acknowledged in the gap, then delivered: \(done)")
            incidents.append(second)
        } else {
            #expect(during.status == 1, "\(during)")
            #expect((during.stdout + during.stderr).contains("PostgreSQL"), "a refusal says the database is why: \(during)")
            #expect(try await standby.psql("SELECT count(*) FROM incident", database: database) == "1", "refused, nothing stored")
        }

        // Each delivery received at least once, one webhook-id and one body per delivery across its copies.
        let requests = bed.receiver.requests()
        let bodies = Dictionary(grouping: requests.compactMap { request in request.headers["webhook-id"].map { ($0, request.body) } }, by: \.0)
            .mapValues { $0.map(\.1) }
        let ids = try await standby.psql(
            "SELECT string_agg(id, ',' ORDER BY id) FROM delivery WHERE incident_id IN (\(incidents.map { "'\($0)'" }.joined(separator: ",")))",
            database: database
        )
        #expect(bodies.keys.sorted().joined(separator: ",") == ids, "every delivery id received")
        #expect(bodies.values.allSatisfy { Set($0).count == 1 }, "one body per delivery across its copies")

        let status = try await bed.daemon.ctl("status", "--json")
        #expect(status.status == 0, "\(status)")
        #expect(status.stdout.contains(incident), "\(status.stdout)")
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)\n\(bed.daemon.log())")
    }
}
