#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FoundationEssentials
public import TocsinProtocol

/// A blocking connection to a Unix stream socket, reading and writing newline-delimited lines.
///
/// The CLI sends a handful of requests and waits for answers; blocking I/O keeps its start-up small
/// (no event loop to spin up), which matters when the whole send is timed from the CLI's start.
public final class UnixSocketConnection {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var readOffset = 0

    /// Connects to `path`.
    /// - Throws: `ClientError.unreachable` with the reason (no such socket, permission denied, refused).
    public init(path: String) throws(ClientError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { throw .unreachable(path: path, reason: "the socket path is too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw .unreachable(path: path, reason: String(cString: strerror(errno))) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(fd)
            if code == EACCES || code == EPERM { throw .permissionDenied(path: path) }
            throw .unreachable(path: path, reason: Self.describeConnectError(code))
        }
        descriptor = fd
    }

    deinit { close(descriptor) }

    public func writeLine(_ bytes: [UInt8]) throws(ClientError) {
        var data = bytes
        data.append(UInt8(ascii: "\n"))
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { raw in
                send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw .connectionLost(String(cString: strerror(errno)))
            }
            offset += written
        }
    }

    /// The next line, without its newline; nil when the daemon closed the connection.
    /// - Parameter deadline: when to stop waiting (``ClientError/noAnswer(seconds:)``, `limit` said in it); nil waits
    ///   as long as it takes.
    public func readLine(until deadline: ContinuousClock.Instant? = nil, limit: Duration = .zero) throws(ClientError) -> [UInt8]? {
        while true {
            if let newline = buffer[readOffset...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[readOffset..<newline])
                readOffset = newline + 1
                if readOffset > 65_536 {
                    buffer.removeFirst(readOffset)
                    readOffset = 0
                }
                return line
            }
            if let deadline {
                var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let left = ContinuousClock.now.duration(to: deadline)
                let millis = max(0, left.components.seconds * 1_000 + left.components.attoseconds / 1_000_000_000_000_000)
                let ready = poll(&entry, 1, Int32(clamping: millis))
                if ready < 0 {
                    if errno == EINTR { continue }
                    throw .connectionLost(String(cString: strerror(errno)))
                }
                if ready == 0 { throw .noAnswer(seconds: Int(limit.components.seconds)) }
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .connectionLost(String(cString: strerror(errno)))
            }
            if count == 0 { return nil }
            buffer.append(contentsOf: chunk[0..<count])
        }
    }

    /// Why connecting failed, in English (`description`, `--json`); public so that a client can tell which it is
    /// and say it in the operator's language.
    public static func describeConnectError(_ code: Int32) -> String {
        switch code {
        case ENOENT: "no socket there; is tocsind running? (systemctl status tocsind)"
        case ECONNREFUSED: "connection refused; tocsind is not running or is restarting"
        case EACCES, EPERM: "permission denied; you are not in the group allowed to use the admin socket"
        default: String(cString: strerror(code))
        }
    }
}

/// Why the CLI could not talk to the daemon, or what the daemon refused.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    case unreachable(path: String, reason: String)
    /// The socket is there but its permissions keep this user out: a refusal, not an outage.
    case permissionDenied(path: String)
    case connectionLost(String)
    /// Connected, asked, and no answer within the limit (``AdminClient/answerLimit``): a stuck or overloaded daemon.
    case noAnswer(seconds: Int)
    case badAnswer(String)
    case refused(RPCError)

    public var description: String {
        switch self {
        case .unreachable(let path, let reason): "cannot reach tocsind at \(path): \(reason)"
        case .permissionDenied(let path):
            "permission denied on \(path): you are not in the group allowed to use tocsind's admin socket (ask an administrator)"
        case .connectionLost(let reason): "the connection to tocsind was lost: \(reason)"
        case .noAnswer(let seconds):
            "tocsind did not answer within \(seconds) s: it may be stuck or overloaded (journalctl -u tocsind). Whether the request took effect is not known: after a send, check with `tocsinctl status` before sending again"
        case .badAnswer(let reason): "tocsind sent an answer this tocsinctl does not understand: \(reason)"
        case .refused(let error): error.description
        }
    }
}
