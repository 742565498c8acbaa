import Foundation

extension TestConfig {
    /// This config on `database` of `server` as the node `name` (a lease of `lease` when given).
    public func onPostgres(_ server: PostgresServer, _ database: String, node name: String, lease: String? = nil) -> TestConfig {
        var config = self
        config.storage = PostgresStorage(server: server, database: database)
        config.storage?.node = name
        config.storage?.lease = lease
        return config
    }
}

/// Another `tocsind` node of a test's cluster, in a folder of its own (the test bed is the first node).
public struct PeerNode: Sendable {
    public let daemon: DaemonProcess
    public let folder: TemporaryDirectory

    /// Writes `config` into a new folder and starts a node on it.
    public static func start(_ config: TestConfig) async throws -> PeerNode {
        let folder = try TemporaryDirectory()
        let daemon = DaemonProcess(directory: folder, configPath: try config.write(to: folder))
        do {
            try await daemon.start()
        } catch {
            daemon.signal(SIGKILL)
            daemon.whenExited { folder.remove() }
            throw error
        }
        return PeerNode(daemon: daemon, folder: folder)
    }

    /// Kills the node (SIGKILL) and removes its folder once it has exited.
    public func remove() {
        daemon.signal(SIGKILL)
        daemon.whenExited { [folder] in folder.remove() }
    }
}
