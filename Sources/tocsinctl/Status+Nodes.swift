import TocsinDisplay
import TocsinProtocol

/// The nodes part of `tocsinctl status` (DESIGN.md "Several machines"): one line per node, this one marked, a
/// silent node and a config that differs from this node's said in words, so an operator sees at a glance whether
/// the cluster is whole.
enum NodesText {
    static func print(_ status: DaemonStatus) {
        guard let nodes = status.nodes, !nodes.isEmpty else { return }
        Swift.print(tr("Nœuds (\(nodes.count)) :", "Nodes (\(nodes.count)):"))
        let nameWidth = nodes.map(\.name.count).max() ?? 0
        let hostWidth = nodes.map(\.host.count).max() ?? 0
        for node in nodes { Swift.print(line(node, names: nameWidth, hosts: hostWidth, fingerprint: status.configFingerprint)) }
    }

    static func line(_ node: NodeStatus, names: Int, hosts: Int, fingerprint: String) -> String {
        var text = "  \(node.thisNode ? "*" : " ") \(Console.pad(node.name, names))  \(Console.pad(node.host, hosts))  pid \(node.pid)  "
            + tr("vu", "seen") + " \(TimeDisplay.format(node.lastSeen, style: .near))  "
            + tr("empreinte", "fingerprint") + " \(node.configFingerprint.prefix(12))"
        if node.thisNode { text += tr("  (ce nœud)", "  (this node)") }
        if node.silent {
            text += tr("  SILENCIEUX depuis 3 baux (runbooks/losing-a-node.md)", "  SILENT for 3 leases (runbooks/losing-a-node.md)")
        }
        if !node.thisNode, node.configFingerprint != fingerprint {
            text += tr("  CONFIGURATION DIFFÉRENTE de ce nœud", "  CONFIG DIFFERS from this node's")
        }
        return text
    }
}
