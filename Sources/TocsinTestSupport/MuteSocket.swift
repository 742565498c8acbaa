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
