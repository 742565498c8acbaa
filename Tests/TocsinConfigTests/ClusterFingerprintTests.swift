import Foundation
import Testing
@testable import TocsinConfig
import TocsinCore

/// Two nodes of a cluster have the same config but for `cluster.node` (runbooks/two-node-deployment.md): their
/// fingerprints must agree, or `health` warns "config fingerprints differ" for a correct deployment (issue 17, item 5).
struct ClusterFingerprintTests {
    static func config(node: String, lease: String = "10s", channel url: String = "https://hooks.example.org/tocsin") -> String {
        Samples.header.replacingOccurrences(of: "paths:", with: "cluster:\n  node: \(node)\n  lease: \(lease)\n# the nodes' own part ends here\npaths:")
            + Samples.channelsAndRoutes.replacingOccurrences(of: "https://hooks.example.org/tocsin", with: url)
    }

    @Test func nodesThatDifferOnlyInTheirClusterSectionHaveOneFingerprint() throws {
        let a = try load(Self.config(node: "campus-a"))
        let b = try load(Self.config(node: "campus-b", lease: "20s"))
        #expect(a.cluster.node == "campus-a" && b.cluster.node == "campus-b", "the section is still read")
        #expect(a.fingerprint == b.fingerprint)
        // Anything else that differs still shows.
        let other = try load(Self.config(node: "campus-a", channel: "https://hooks.example.org/other"))
        #expect(other.fingerprint != a.fingerprint)
        // A flow-style section too.
        let flow = try load(Samples.config.replacingOccurrences(of: "paths:", with: "cluster: { node: campus-c }\npaths:"))
        #expect(flow.cluster.node == "campus-c")
        #expect(flow.fingerprint == (try load(Samples.config)).fingerprint)
    }

    @Test func onlyTheTopLevelSectionIsLeftOut() {
        let text = "a: 1\ncluster:\n  node: x\n\n  # note\n  lease: 5s\nb:\n  cluster: kept\n"
        #expect(ConfigLoader.withoutClusterSection(text) == "a: 1\nb:\n  cluster: kept\n")
    }

    private func load(_ text: String) throws -> TocsinCore.Configuration {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: text)
        return try #require(configuration, "\(diagnostics.listing)")
    }
}
