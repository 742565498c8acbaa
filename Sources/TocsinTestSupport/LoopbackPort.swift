import Foundation
import Synchronization

/// A TCP socket bound to 127.0.0.1 on a port the kernel chose, held until ``close()``.
///
/// Held and not listening, the port refuses connections (the kernel answers a SYN with RST) and nobody else can bind
/// it: "nothing listens here" for as long as the test holds it. Held and listening without ever accepting, a client's
/// connect succeeds (the backlog takes it) and then waits forever for a first byte. ``unused()`` releases the socket
/// at once: its port is only free right now, and something else may take it before the test uses it.
///
/// No `deinit` closes the socket: Swift may end an object's life after its last use, before the end of its scope,
/// and a port released early is no longer held. Hold it with `defer { held.close() }`.
///
/// Every call is a system call that does not block: safe on the cooperative pool.
public final class LoopbackPort: Sendable {
    /// The port the kernel chose.
    public let port: Int
    private let descriptor: Mutex<Int32?>

    /// Binds a socket to 127.0.0.1 on a port the kernel chooses.
    /// - Parameter listening: also listen (backlog 1), never accepting.
    /// - Throws: ``TestSupportError`` with the failing call and its errno.
    public init(listening: Bool = false) throws {
        // Close-on-exec: a daemon or server a test starts meanwhile must not inherit the socket and keep the port
        // bound (or listening) after ``close()``.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let failed: String? = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                if bind(fd, raw, length) != 0 { return "bind" }
                if listening && listen(fd, 1) != 0 { return "listen" }
                if getsockname(fd, raw, &length) != 0 { return "getsockname" }
                return nil
            }
        }
        if let failed {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw TestSupportError("\(failed) on 127.0.0.1: \(reason)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptor = Mutex(fd)
    }

    /// Releases the socket, and with it the port; a second call does nothing.
    public func close() {
        descriptor.withLock { fd in
            if let open = fd { Glibc.close(open) }
            fd = nil
        }
    }

    /// A port on 127.0.0.1 that nothing listens on right now: bound, read, released. Nothing holds it afterwards;
    /// where the test needs it refused for its whole length, hold a ``LoopbackPort`` instead.
    public static func unused() throws -> Int {
        let probe = try LoopbackPort()
        probe.close()
        return probe.port
    }
}
