import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A Unix socket in front of tocsind that loses the answer to the first `incident.send`: the request reaches the
/// daemon (which stores and sends the alert), then the client's connection is closed before the answer gets back,
/// as when a connection breaks or the daemon restarts at the worst moment. Every other connection is relayed as it
/// is, both ways; after the loss, `refuseAfterLoss` closes the socket instead (tocsind stays out of reach).
///
/// Each connection is relayed by two threads of its own, never the cooperative pool's.
public final class AnswerLosingProxy: @unchecked Sendable {
    public let path: String
    private let target: String
    private let listener: Int32
    private let refuseAfterLoss: Bool
    private let state = Mutex(State())

    private struct State {
        var lost = false
        var closed = false
    }

    public init(in directory: TemporaryDirectory, target: String, refuseAfterLoss: Bool = false, name: String = "losing.sock") throws {
        path = directory.file(name)
        self.target = target
        self.refuseAfterLoss = refuseAfterLoss
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        try bindUnixSocket(listener, to: path)
        guard listen(listener, 16) == 0 else { throw TestSupportError("listen \(path): \(String(cString: strerror(errno)))") }
        Thread { [self] in acceptLoop() }.start()
    }

    /// Whether an answer to `incident.send` was lost so far.
    public var lostAnAnswer: Bool { state.withLock { $0.lost } }

    /// Stops taking connections. The accepting thread closes the socket as it leaves, so `accept` never runs on a
    /// descriptor number already given to something else.
    public func close() {
        state.withLock { $0.closed = true }
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR, !state.withLock({ $0.closed }) { continue }
                Glibc.close(listener)
                return
            }
            let refuse = state.withLock { $0.closed || ($0.lost && refuseAfterLoss) }
            guard !refuse, let upstream = try? connectUnixSocket(to: target) else {
                Glibc.close(client)
                continue
            }
            let connection = Connection(client: client, upstream: upstream)
            Thread { [self] in relayRequests(connection) }.start()
            Thread { [self] in relayAnswers(connection) }.start()
        }
    }

    /// One relayed connection; `losing` is set before the request whose answer is to be lost goes upstream.
    private final class Connection: @unchecked Sendable {
        let client: Int32
        let upstream: Int32
        let losing = Mutex(false)
        private let ended = Mutex(0)

        init(client: Int32, upstream: Int32) {
            self.client = client
            self.upstream = upstream
        }

        /// Each relaying thread's last step: wakes the other one, and the last of the two closes the descriptors
        /// (never while the other may still read one, which could by then be another connection's).
        func end() {
            shutdown(client, Int32(SHUT_RDWR))
            shutdown(upstream, Int32(SHUT_RDWR))
            let last = ended.withLock { count in
                count += 1
                return count == 2
            }
            if last {
                Glibc.close(client)
                Glibc.close(upstream)
            }
        }
    }

    private func relayRequests(_ connection: Connection) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        // The end of the previous read, so a method name split across two reads is still seen.
        var tail: [UInt8] = []
        while true {
            let count = read(connection.client, &buffer, buffer.count)
            guard count > 0 else { break }
            let bytes = Array(buffer[0..<count])
            if String(decoding: tail + bytes, as: UTF8.self).contains(#""incident.send""#) {
                let first = state.withLock { state in
                    defer { state.lost = true }
                    return !state.lost
                }
                if first { connection.losing.withLock { $0 = true } }
            }
            tail = Array((tail + bytes).suffix(16))
            guard Self.writeAll(connection.upstream, bytes) else { break }
        }
        connection.end()
    }

    private func relayAnswers(_ connection: Connection) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = read(connection.upstream, &buffer, buffer.count)
            guard count > 0 else { break }
            // The answer to the send: dropped, and the client's connection closed under it.
            if connection.losing.withLock({ $0 }) { break }
            guard Self.writeAll(connection.client, Array(buffer[0..<count])) else { break }
        }
        connection.end()
    }

    private static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}
