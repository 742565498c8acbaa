import Foundation
import Testing
import TocsinAudit
import TocsinTestSupport

/// One audit chain for a cluster (issue 17, item 4): every entry names the node that appended it, each node signs
/// its checkpoints with its own key, and every node's recorded heads bind the one chain.
@Suite(
    .serialized, .integration, .timeLimit(.minutes(4)),
    .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)")
)
struct PostgresClusterAuditTests {
    /// A node's own key pair and heads file; its config trusts every node's public key.
    struct Signing {
        let key: AuditSigningTests.KeyPair
        let heads: String

        func yaml(trusting everyone: [Signing]) -> String {
            """
            audit:
              signing_key_file: \(key.privatePath)
              trusted_keys: [\(everyone.map(\.key.publicPath).joined(separator: ", "))]
              heads_file: \(heads)

            """
        }
    }

    @Test func twoNodesSignWithTheirOwnKeysAndEachNodesHeadsBindTheOneChain() async throws {
        try await PostgresServer.withDatabase("tocsin_audit") { server, database in
            let keys = try TemporaryDirectory(prefix: "tocsin-cluster-keys")
            defer { keys.remove() }
            let a = Signing(key: try await AuditSigningTests.KeyPair(in: keys, name: "campus-a"), heads: keys.file("campus-a-heads.jsonl"))
            let b = Signing(key: try await AuditSigningTests.KeyPair(in: keys, name: "campus-b"), heads: keys.file("campus-b-heads.jsonl"))
            let idA = try AuditPublicKey(pem: String(contentsOfFile: a.key.publicPath, encoding: .utf8)).id
            let idB = try AuditPublicKey(pem: String(contentsOfFile: b.key.publicPath, encoding: .utf8)).id

            var channels: [TestConfig.Channel] = []
            let bed = try await TestBed { receiver in
                channels = [TestConfig.Channel("ops", url: receiver.url("/ops"))]
                var config = TestConfig(channels: channels).onPostgres(server, database, node: "campus-a")
                config.extraYAML = a.yaml(trusting: [a, b])
                return config
            }
            defer { bed.tearDown() }
            // campus-a signed the chain at its start: the second node joins with a copy of that record
            // (runbooks/two-node-deployment.md), then keeps its own.
            #expect(try await waitUntil { FileManager.default.fileExists(atPath: a.heads) })
            try FileManager.default.copyItem(atPath: a.heads, toPath: b.heads)
            var config = TestConfig(channels: channels).onPostgres(server, database, node: "campus-b")
            config.extraYAML = b.yaml(trusting: [a, b])
            let peer = try await PeerNode.start(config)
            defer { peer.remove() }
            let other = peer.daemon

            #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
            for (daemon, building) in [(bed.daemon, "Pavillon A"), (other, "Pavillon B")] {
                let drill = try await daemon.ctl("drill", "evacuation", "--set", "building=\(building)", "--yes", "--json")
                #expect(drill.status == 0, "\(drill)")
            }
            // Each node signs when an incident it sent ends.
            func checkpoints() async throws -> [[String: Any]] {
                try await bed.daemon.ctl("audit", "export").jsonLines.filter { $0["kind"] as? String == "audit.checkpoint" }
            }
            #expect(try await waitUntil { Set(try await checkpoints().compactMap { $0["node"] as? String }) == ["campus-a", "campus-b"] })
            for checkpoint in try await checkpoints() {
                let detail = try #require(try JSONSerialization.jsonObject(with: Data((checkpoint["detail"] as? String ?? "").utf8)) as? [String: Any])
                let expected = checkpoint["node"] as? String == "campus-a" ? idA : idB
                #expect(detail["key"] as? String == expected, "a checkpoint is signed by the key of the node that wrote it: \(checkpoint)")
            }

            // Every entry names its node; both nodes' entries are in the one chain, which each node verifies.
            let entries = try await bed.daemon.ctl("audit", "export").jsonLines
            #expect(entries.allSatisfy { ["campus-a", "campus-b"].contains($0["node"] as? String ?? "") }, "\(entries.map { $0["node"] ?? "none" })")
            #expect(entries.contains { $0["kind"] as? String == "incident.create" && $0["node"] as? String == "campus-b" })
            for daemon in [bed.daemon, other] {
                let verify = try await daemon.ctl("audit", "verify", "--json")
                #expect(verify.status == 0, "\(verify)")
            }

            // Offline, an export is checked against both keys and both nodes' heads files.
            let export = try await bed.daemon.ctl("audit", "export")
            let file = try bed.directory.write("cluster.jsonl", export.stdout)
            let offline = try await ExportTests.verify(file, "--public-key", a.key.publicPath, "--public-key", b.key.publicPath, "--heads", a.heads, "--heads", b.heads)
            #expect(offline.status == 0, "\(offline)")
            #expect(offline.stdout.contains("signed heads recorded in \(a.heads), \(b.heads)"), "\(offline.stdout)")

            // The insider with the database: campus-b's last checkpoint and everything after it cut, the head row
            // moved to match. The chain alone still verifies; campus-b's record of its signed head does not.
            let lastOfB = try #require(try await checkpoints().last { $0["node"] as? String == "campus-b" }?["seq"] as? Int)
            await bed.daemon.stop()
            other.signal(SIGKILL)
            _ = try await server.psql("""
                DELETE FROM audit WHERE seq >= \(lastOfB);
                UPDATE audit_head SET seq = a.seq, hash = a.hash FROM (SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1) AS a WHERE id = 1;
                """, database: database)
            // The export as it reads after the cut: the lines before campus-b's last checkpoint.
            let lines = export.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == export.jsonLines.count)
            let kept = zip(lines, export.jsonLines).filter { ($0.1["seq"] as? Int ?? 0) < lastOfB }.map(\.0)
            let cut = try bed.directory.write("cut.jsonl", kept.joined(separator: "\n") + "\n")
            let alone = try await ExportTests.verify(cut, "--public-key", a.key.publicPath, "--public-key", b.key.publicPath)
            #expect(alone.status == 0, "the cut chain verifies on its own: \(alone)")
            let withHeads = try await ExportTests.verify(cut, "--public-key", a.key.publicPath, "--public-key", b.key.publicPath, "--heads", a.heads, "--heads", b.heads)
            #expect(withHeads.status == 1, "\(withHeads)")
            #expect(withHeads.stdout.contains("were deleted"), "\(withHeads.stdout)")
            // campus-b's own record is enough, even if campus-a's were lost with its machine.
            let withB = try await ExportTests.verify(cut, "--public-key", a.key.publicPath, "--public-key", b.key.publicPath, "--heads", b.heads)
            #expect(withB.status == 1, "\(withB)")
            #expect(withB.stdout.contains("signed head at entry \(lastOfB)") && withB.stdout.contains(b.heads), "\(withB.stdout)")
        }
    }

    /// 20 sends at once, 10 from each node, 3 channels each: every append of both nodes goes through the one head row, so the chain
    /// stays one contiguous line (no fork, no gap, no seq twice) and both nodes verify it.
    @Test func twentyConcurrentSendsAcrossTwoNodesMakeOneContiguousChain() async throws {
        try await PostgresServer.withDatabase("tocsin_chain") { server, database in
            var channels: [TestConfig.Channel] = []
            let bed = try await TestBed { receiver in
                channels = (0..<3).map { TestConfig.Channel("c\($0)", url: receiver.url("/c\($0)")) }
                return TestConfig(channels: channels).onPostgres(server, database, node: "campus-a")
            }
            defer { bed.tearDown() }
            let other = try await PeerNode.start(TestConfig(channels: channels).onPostgres(server, database, node: "campus-b"))
            defer { other.remove() }
            #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)

            let results = try await withThrowingTaskGroup(of: CommandResult.self) { group in
                for index in 0..<20 {
                    let daemon = index.isMultiple(of: 2) ? bed.daemon : other.daemon
                    group.addTask { try await daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json"]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0.status == 0 }, "\(results.filter { $0.status != 0 }.map { "\($0.status): \($0.stderr) \($0.stdout)" })")
            let incidents = Set(results.compactMap { $0.jsonLines.first?["incident"] as? String })
            #expect(incidents.count == 20)
            #expect(try await waitUntil(timeout: .seconds(90)) { bed.receiver.requests().count >= 60 }, "\(bed.receiver.requests().count) of 60 requests")
            #expect(Set(bed.receiver.requests().compactMap { $0.headers["webhook-id"] }).count == 60)
            // Every outcome recorded before the chain is read whole.
            #expect(try await waitUntil(timeout: .seconds(60)) {
                try await server.psql("SELECT count(*) FROM delivery WHERE state = 'delivered'", database: database) == "60"
            })

            let entries = try await bed.daemon.ctl("audit", "export").jsonLines
            let seqs = entries.compactMap { $0["seq"] as? Int }
            #expect(seqs == Array(1...seqs.count), "one contiguous chain")
            for (previous, entry) in zip(entries, entries.dropFirst()) {
                #expect(entry["prevHash"] as? String == previous["hash"] as? String, "entry \(entry["seq"] ?? "?") follows the one before it")
            }
            let created = entries.filter { $0["kind"] as? String == "incident.create" }
            #expect(Set(created.compactMap { $0["subject"] as? String }) == incidents)
            #expect(Set(created.compactMap { $0["node"] as? String }) == ["campus-a", "campus-b"])
            let head = try await server.psql("SELECT seq || ' ' || hash FROM audit_head", database: database)
            let last = try await server.psql("SELECT seq || ' ' || hash FROM audit ORDER BY seq DESC LIMIT 1", database: database)
            #expect(head == last, "the head row is the last entry")
            for daemon in [bed.daemon, other.daemon] {
                let verify = try await daemon.ctl("audit", "verify", "--json")
                #expect(verify.status == 0, "\(verify)")
            }
        }
    }

    /// campus-b holds an incident's retries; a cancel on campus-a ends it there. campus-a's machine never held the
    /// incident, yet it must hear that it ended: its checkpoint signs the head that records the cancel.
    @Test func aCancelOfDeliveriesAnotherNodeHoldsIsSignedAsTheIncidentsEnd() async throws {
        try await PostgresServer.withDatabase("tocsin_cancel_end") { server, database in
            let keys = try TemporaryDirectory(prefix: "tocsin-cluster-keys")
            defer { keys.remove() }
            let a = Signing(key: try await AuditSigningTests.KeyPair(in: keys, name: "campus-a"), heads: keys.file("campus-a-heads.jsonl"))
            var channels: [TestConfig.Channel] = []
            let bed = try await TestBed(plan: ["/ops": [["status": 500]]]) { receiver in
                channels = [TestConfig.Channel("ops", url: receiver.url("/ops"))]
                var config = TestConfig(channels: channels).onPostgres(server, database, node: "campus-a", lease: "120s")
                config.extraYAML = a.yaml(trusting: [a])
                return config
            }
            defer { bed.tearDown() }
            let other = try await PeerNode.start(TestConfig(channels: channels).onPostgres(server, database, node: "campus-b", lease: "120s"))
            defer { other.remove() }
            #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
            let send = try await other.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json"])
            let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
            #expect(try await waitUntil { bed.receiver.requests(path: "/ops").count >= 2 }, "campus-b retries")

            let cancel = try await bed.daemon.ctl("cancel", incident, "--yes")
            #expect(cancel.status == 0, "\(cancel)")
            let signed = try await waitUntil {
                try await bed.daemon.ctl("audit", "log", "--subject", "audit", "--limit", "1000", "--json").jsonLines.contains {
                    $0["kind"] as? String == "audit.checkpoint" && $0["node"] as? String == "campus-a"
                        && ($0["detail"] as? String ?? "").contains("incident end: \(incident)")
                }
            }
            #expect(signed, "campus-a signs the end of the incident it cancelled on campus-b\n\(bed.daemon.log().suffix(2000))")
        }
    }
}
