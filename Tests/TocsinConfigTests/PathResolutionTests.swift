import Foundation
import Testing
import TocsinConfig
import TocsinCore

/// Configured paths are normalised lexically and never resolved through symbolic links: a link planted at the
/// admin socket path must reach the daemon as the link itself, for it to refuse (AccessFaultTests).
struct PathResolutionTests {
    @Test func aSymbolicLinkAtTheSocketPathIsKeptAsWritten() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try FileManager.default.createDirectory(atPath: folder.file("run"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: folder.file("run/admin.sock"), withDestinationPath: folder.file("elsewhere"))
        try FileManager.default.createSymbolicLink(atPath: folder.file("linked-state"), withDestinationPath: folder.file("state"))
        let config = Samples.config.replacingOccurrences(of: "state: state", with: "state: ./linked-state/../linked-state/")
        let (configuration, diagnostics) = try folder.load(config: config)
        let loaded = try #require(configuration, "\(diagnostics.listing)")
        #expect(loaded.paths.socket == folder.file("run/admin.sock"), "not the link's target")
        #expect(loaded.paths.state == folder.file("linked-state"), "'.', '..' and the trailing slash folded, the link kept")
    }
}
