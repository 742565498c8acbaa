import NIOPosix

/// Runs blocking file work (config parsing, file drops, the metrics file, the heads file) on NIO's thread pool
/// for blocking I/O: the cooperative pool has one thread per core (two here), and a blocked one stalls every
/// task of the daemon, deliveries included.
enum BlockingIO {
    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }
}
