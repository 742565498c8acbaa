import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A private `NOTIFY_SOCKET` for a test: records every sd_notify datagram a daemon sends, as systemd would.
public final class NotifyListener: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [String] = []

    public init(in directory: TemporaryDirectory) throws {
        path = directory.file("notify.sock")
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestSupportError("socket: \(String(cString: strerror(errno)))") }
        try bindUnixSocket(descriptor, to: path)
        let thread = Thread { [self] in receiveLoop() }
        thread.start()
    }

    private func receiveLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 { if errno == EINTR { continue } else { return } }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            lock.lock()
            received.append(text)
            lock.unlock()
        }
    }

    /// Every message so far, each a newline-separated set of assignments.
    public var messages: [String] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Assignments (`READY=1`, `STATUS=…`) in the order received.
    public var assignments: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }

    public func waitFor(_ assignment: String, timeout: Duration = .seconds(30)) async throws -> Bool {
        try await waitUntil(timeout: timeout) { assignments.contains(assignment) }
    }

    public func close() { shutdown(descriptor, Int32(SHUT_RDWR)); Glibc.close(descriptor) }
}
