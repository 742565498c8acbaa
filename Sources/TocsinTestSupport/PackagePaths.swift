import Foundation

/// Where the package's files and built executables are, for tests that run the real binaries.
public enum PackagePaths {
    /// The package root, found from this file's location (Sources/TocsinTestSupport/…).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding `tocsind` and `tocsinctl`: `$TOCSIN_BIN_DIR`, else `.build/debug`.
    public static var binaries: URL {
        if let dir = ProcessInfo.processInfo.environment["TOCSIN_BIN_DIR"] { return URL(fileURLWithPath: dir) }
        return root.appendingPathComponent(".build/debug")
    }

    public static var tocsind: String { binaries.appendingPathComponent("tocsind").path }
    public static var tocsinctl: String { binaries.appendingPathComponent("tocsinctl").path }
    public static var tocsinWeb: String { binaries.appendingPathComponent("tocsin-web").path }
    public static var receiverScript: String { root.appendingPathComponent("scripts/receiver.py").path }
    public static var verifyScript: String { root.appendingPathComponent("scripts/verify_webhooks.py").path }
}
