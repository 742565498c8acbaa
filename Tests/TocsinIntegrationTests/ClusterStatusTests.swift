import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// `status` and `health` about nodes (DESIGN.md "Several machines", issue 17 item 5): every node on the database
/// with its host, last heartbeat and config fingerprint, this one marked; `health` warns on a node silent for 3
/// leases and on fingerprints that differ. On SQLite, the one node.
@Suite(.serialized, .integration, .timeLimit(.minutes(4)))
struct ClusterStatusTests {
    private func daemonStatus(_ daemon: DaemonProcess) async throws -> DaemonStatus {
        let status = try await daemon.ctl("status", "--json")
        #expect(status.status == 0, "\(status)")
        return try JSONDecoder().decode(DaemonStatus.self, from: Data(status.stdout.utf8))
    }

    /// The lines of `status` about nodes: the heading and the node lines under it.
    private func nodeLines(_ text: String) -> [String] {
        let lines = text.split(separator: "\n").map(String.init)
        guard let heading = lines.firstIndex(where: { $0.hasPrefix("Nodes (") }) else { return [] }
        return Array(lines[heading...].prefix { $0 == lines[heading] || $0.hasPrefix("  ") })
    }

    @Test func onSQLiteStatusShowsTheOneNodeAndHealthHasNoNodesCheck() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let status = try await daemonStatus(bed.daemon)
        let nodes = try #require(status.nodes)
        #expect(nodes.count == 1)
        let node = try #require(nodes.first)
        #expect(node.thisNode && !node.silent)
        #expect(node.pid == Int64(bed.daemon.pid ?? 0))
        #expect(node.configFingerprint == status.configFingerprint)
        #expect(!node.name.isEmpty && node.name == node.host, "cluster.node defaults to the host name")

        let text = try await bed.daemon.ctl("status")
        let lines = nodeLines(text.stdout)
        #expect(lines.first == "Nodes (1):", "\(text.stdout)")
        #expect(lines.count == 2 && lines[1].hasPrefix("  * \(node.name)") && lines[1].hasSuffix("(this node)"), "\(lines)")
        #expect(lines[1].contains("pid \(node.pid)") && lines[1].contains("fingerprint \(status.configFingerprint.prefix(12))"), "\(lines)")
        let french = try await runCommand(PackagePaths.tocsinctl, ["status", "--lang", "fr"], environment: bed.daemon.ctlEnvironment)
        #expect(french.stdout.contains("Nœuds (1) :") && french.stdout.contains("(ce nœud)"), "\(french.stdout)")

        let health = try await bed.daemon.ctl("health", "--json")
        let report = try JSONDecoder().decode(HealthReport.self, from: Data(health.stdout.utf8))
        #expect(!report.checks.contains { $0.name == "nodes" }, "one machine: nothing to say about nodes")
    }

    @Test(.enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)"))
    func onPostgreSQLStatusListsEveryNodeAndHealthWarnsOnASilentNodeAndOnDifferentConfigs() async throws {
        let server = try await PostgresServer.start()
        do {
            let database = try await server.createDatabase("tocsin_nodes")
            let bed = try await TestBed { receiver in
                var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
                config.storage = TestConfig.PostgresStorage(server: server, database: database)
                config.storage?.node = "campus-a"
                return config
            }
            defer { bed.tearDown() }
            func psql(_ sql: String) async throws -> String { try await server.psql(sql, database: database) }

            let alone = try await daemonStatus(bed.daemon)
            #expect(alone.nodes?.map(\.name) == ["campus-a"])
            #expect(alone.nodes?.first?.thisNode == true)
            #expect(alone.nodes?.first?.configFingerprint == alone.configFingerprint)
            let healthy = try await bed.daemon.ctl("health")
            #expect(healthy.stdout.contains("OK: nodes: 1 node seen within 3 leases, same config (\(alone.configFingerprint.prefix(12))): campus-a (this node)"), "\(healthy.stdout)")

            // A second node on another machine, with another config: its row, as its start writes it.
            let now = "(extract(epoch from clock_timestamp()) * 1000)::bigint"
            _ = try await psql("INSERT INTO node (name, host, pid, fingerprint, started_at, last_seen) VALUES ('campus-b', 'tocsin-b.example', 4242, 'ffffeeeeddddccccbbbbaaaa', \(now), \(now))")
            let two = try await daemonStatus(bed.daemon)
            #expect(two.nodes?.map(\.name) == ["campus-a", "campus-b"])
            let other = try #require(two.nodes?.last)
            #expect(!other.thisNode && !other.silent && other.host == "tocsin-b.example" && other.pid == 4242)
            #expect(other.configFingerprint == "ffffeeeeddddccccbbbbaaaa")
            let text = try await bed.daemon.ctl("status")
            let lines = nodeLines(text.stdout)
            #expect(lines.first == "Nodes (2):", "\(text.stdout)")
            #expect(lines.count == 3, "\(lines)")
            #expect(lines.dropFirst().first?.hasPrefix("  * campus-a") == true && lines.dropFirst().first?.hasSuffix("(this node)") == true, "\(lines)")
            #expect(lines.last?.hasPrefix("    campus-b  tocsin-b.example  pid 4242  seen ") == true, "\(lines)")
            #expect(lines.last?.hasSuffix("fingerprint ffffeeeedddd  CONFIG DIFFERS from this node's") == true, "\(lines)")
            // Shown in local time (the daemon sends UTC): no ISO time with its Z in the lines.
            #expect(!lines.joined().contains("Z "), "\(lines)")
            let differ = try await bed.daemon.ctl("health")
            #expect(differ.status == 1, "WARNING: \(differ)")
            #expect(differ.stdout.contains("WARNING: nodes: config fingerprints differ (campus-a \(two.configFingerprint.prefix(12)); campus-b ffffeeeedddd)"), "\(differ.stdout)")

            // The same config, but not seen for more than 3 leases (10 s each by default).
            _ = try await psql("UPDATE node SET fingerprint = '\(two.configFingerprint)', last_seen = \(now) - 31000 WHERE name = 'campus-b'")
            let silent = try await daemonStatus(bed.daemon)
            #expect(silent.nodes?.last?.silent == true)
            #expect(silent.nodes?.first?.silent == false, "this node is never silent to itself")
            let silentText = try await bed.daemon.ctl("status")
            #expect(nodeLines(silentText.stdout).last?.hasSuffix("SILENT for 3 leases (runbooks/losing-a-node.md)") == true, "\(silentText.stdout)")
            let lost = try await bed.daemon.ctl("health")
            #expect(lost.status == 1, "WARNING: \(lost)")
            #expect(lost.stdout.contains("WARNING: nodes: node 'campus-b' (pid 4242 on tocsin-b.example) silent since "), "\(lost.stdout)")
            #expect(lost.stdout.contains("more than 3 leases (30.0 s): its deliveries are taken over once its leases lapse"), "\(lost.stdout)")
            #expect(!lost.stdout.contains("fingerprints differ"), "\(lost.stdout)")

            // Back: seen again, same config.
            _ = try await psql("UPDATE node SET last_seen = \(now) WHERE name = 'campus-b'")
            let back = try await bed.daemon.ctl("health")
            #expect(back.stdout.contains("OK: nodes: 2 nodes seen within 3 leases, same config (\(two.configFingerprint.prefix(12))): campus-a (this node), campus-b"), "\(back.stdout)")
            #expect(!nodeLines(try await bed.daemon.ctl("status").stdout).joined().contains("SILENT"))

            // A reload with another config: this node's row names the config it runs now, so health compares
            // what the nodes run, not what they started with.
            let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "deadline: 2m", with: "deadline: 3m").write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
            let reload = try await bed.daemon.ctl("reload", "--json")
            #expect(reload.status == 0, "\(reload)")
            let reloaded = try await daemonStatus(bed.daemon)
            #expect(reloaded.configFingerprint != two.configFingerprint)
            #expect(try await psql("SELECT fingerprint FROM node WHERE name = 'campus-a'") == reloaded.configFingerprint)
            let differsNow = try await bed.daemon.ctl("health")
            #expect(differsNow.stdout.contains("WARNING: nodes: config fingerprints differ (") && differsNow.stdout.contains("campus-a \(reloaded.configFingerprint.prefix(12))"), "\(differsNow.stdout)")
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}
