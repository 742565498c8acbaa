import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `body` with the address of the Unix socket at `path`, as `bind` and `connect` take it.
private func withUnixAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
}

/// Binds `descriptor` to the socket file at `path`.
public func bindUnixSocket(_ descriptor: Int32, to path: String) throws {
    guard withUnixAddress(path, { bind(descriptor, $0, $1) }) == 0 else {
        throw TestSupportError("bind \(path): \(String(cString: strerror(errno)))")
    }
}

/// A new stream socket (close-on-exec) connected to the Unix socket at `path`; the caller closes it.
public func connectUnixSocket(to path: String) throws -> Int32 {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
    guard withUnixAddress(path, { connect(descriptor, $0, $1) }) == 0 else {
        let reason = String(cString: strerror(errno))
        close(descriptor)
        throw TestSupportError("connect \(path): \(reason)")
    }
    return descriptor
}
