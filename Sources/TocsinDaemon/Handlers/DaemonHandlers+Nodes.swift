import Foundation
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinText

/// The nodes on this node's database, for `status` and `health` (DESIGN.md "Several machines").
extension DaemonHandlers {
    /// Every node the database records, by name, this one marked; on SQLite (no node rows) this process alone.
    func nodeStatuses(now: Date = Date()) async throws(StoreError) -> [NodeStatus] {
        let config = configuration.current.configuration
        let silentAfter = 3 * config.cluster.lease.milliseconds
        guard case .postgresql = config.storage else {
            return [NodeStatus(
                name: config.cluster.node, host: Configuration.Cluster.hostName, pid: Int64(getpid()), startedAt: Timestamp.iso(startedAt),
                lastSeen: Timestamp.iso(now), configFingerprint: config.fingerprint, thisNode: true, silent: false
            )]
        }
        let nowMillis = now.millisecondsSince1970
        return try await store.nodes().sorted { $0.name < $1.name }.map { node in
            let mine = node.name == config.cluster.node && node.host == Configuration.Cluster.hostName
            return NodeStatus(
                name: node.name, host: node.host, pid: node.pid, startedAt: Timestamp.iso(millis: node.startedAt),
                lastSeen: Timestamp.iso(millis: node.lastSeen),
                // This node's own: the configuration running now (a reload changes it; the row keeps the start's).
                configFingerprint: mine ? config.fingerprint : node.fingerprint, thisNode: mine,
                silent: !mine && nowMillis - node.lastSeen > silentAfter
            )
        }
    }

    /// `health`'s `nodes` check, with several nodes on PostgreSQL only: WARNING for a node silent for 3 leases
    /// (its deliveries are taken over, but the cluster has lost a machine) and for config fingerprints that differ
    /// (nodes would send differently); nil on SQLite, where there is one node.
    func nodesCheck(now: Date) async -> HealthReport.Check? {
        let config = configuration.current.configuration
        guard case .postgresql = config.storage else { return nil }
        let nodes: [NodeStatus]
        do { nodes = try await nodeStatuses(now: now) } catch {
            return .init(name: "nodes", state: .warning, message: "cannot read the nodes: \(error)", said: [Said(.healthNodesUnreadable, ["error": "\(error)"])])
        }
        var problems: [String] = []
        var said: [Said] = []
        let lease = config.cluster.lease
        for node in nodes where node.silent {
            problems.append("node '\(node.name)' (pid \(node.pid) on \(node.host)) silent since \(node.lastSeen), more than 3 leases (\((lease * 3).humanReadable)): its deliveries are taken over once its leases lapse; bring it back or see runbooks/losing-a-node.md")
            said.append(Said(.healthNodeSilent, ["node": node.name, "pid": "\(node.pid)", "host": node.host, "since": node.lastSeen,
                                                 "leases": "\((lease * 3).milliseconds)"]))
        }
        let fingerprints = Dictionary(grouping: nodes, by: \.configFingerprint)
        if fingerprints.count > 1 {
            let named = fingerprints.sorted { $0.key < $1.key }.map { fingerprint, nodes in
                "\(nodes.map(\.name).sorted().joined(separator: ", ")) \(fingerprint.prefix(12))"
            }
            problems.append("config fingerprints differ (\(named.joined(separator: "; "))): the nodes would not send the same way; give every node the same config and templates, then reload each (runbooks/two-node-deployment.md)")
            said.append(Said(.healthNodesDiffer, lists: ["groups": named]))
        }
        guard problems.isEmpty else { return .init(name: "nodes", state: .warning, message: problems.joined(separator: "; "), said: said) }
        let names = nodes.map { $0.thisNode ? "\($0.name) (this node)" : $0.name }
        var arguments = ["count": "\(nodes.count)", "fingerprint": String(config.fingerprint.prefix(12))]
        arguments["this"] = nodes.first(where: \.thisNode)?.name
        return .init(name: "nodes", state: .ok, message: "\(Plural.en(nodes.count, "node", "nodes")) seen within 3 leases, same config (\(config.fingerprint.prefix(12))): \(names.joined(separator: ", "))",
                     said: [Said(.healthNodesFine, arguments, lists: ["nodes": nodes.map(\.name)])])
    }
}
