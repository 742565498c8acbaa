import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A daemon stuck before its first word: a Unix stream socket that takes connections (the kernel's backlog
/// completes them) and never reads nor answers.
public final class MuteSocket: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32

    public init(in directory: TemporaryDirectory, name: String = "mute.sock") throws {
        path = directory.file(name)
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        try bindUnixSocket(descriptor, to: path)
        guard listen(descriptor, 16) == 0 else { throw TestSupportError("listen \(path): \(String(cString: strerror(errno)))") }
    }

    public func close() { Glibc.close(descriptor) }
}

/// Binds `descriptor` to the socket file at `path`.
func bindUnixSocket(_ descriptor: Int32, to path: String) throws {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard bound == 0 else { throw TestSupportError("bind \(path): \(String(cString: strerror(errno)))") }
}
