import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Helpers of the receiver-fault and hostile-input tests (part A of the fault suite): a raw admin-socket client
/// with timeouts, process memory and descriptor figures from /proc, a seeded random source, and small shortcuts.
enum HostileKit {
    /// A raw client of the admin socket: arbitrary bytes out, lines in, every read bounded by a timeout.
    final class RawSocket: @unchecked Sendable {
        enum Read: Equatable {
            case line([UInt8])
            case closed
            case timedOut
        }

        private let descriptor: Int32
        private var buffer: [UInt8] = []

        /// - Parameter readTimeout: how long one `recv` may block (a generous ceiling, not a measurement).
        init(path: String, readTimeout: Double = 30) throws {
            let fd = try connectUnixSocket(to: path)
            var timeout = timeval(tv_sec: Int(readTimeout), tv_usec: Int((readTimeout - readTimeout.rounded(.down)) * 1e6))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            descriptor = fd
        }

        deinit { close(descriptor) }

        /// Writes `bytes`; false when the daemon already closed the connection (or the write timed out).
        @discardableResult
        func send(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { raw in
                    Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += written
            }
            return true
        }

        @discardableResult
        func send(_ text: String) -> Bool { send(Array(text.utf8)) }

        /// Ends the writing half, as a client that has said all it will say.
        func shutdownWrite() { shutdown(descriptor, Int32(SHUT_WR)) }

        /// The next line from the daemon, a clean close (EOF or reset), or the read timeout; read on a thread of its
        /// own, so a wait of up to the read timeout holds none of the test pool's threads.
        func readLine() async -> Read {
            (try? await offPool { self.readLineBlocking() }) ?? .timedOut
        }

        /// ``readLine()`` on the calling thread: only from a thread of one's own (``offPool(_:)``).
        func readLineBlocking() -> Read {
            while true {
                if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = Array(buffer[..<newline])
                    buffer.removeFirst(newline + 1)
                    return .line(line)
                }
                var chunk = [UInt8](repeating: 0, count: 65_536)
                let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0 {
                    if errno == EINTR { continue }
                    if errno == EAGAIN || errno == EWOULDBLOCK { return .timedOut }
                    return .closed  // ECONNRESET: the daemon dropped the connection
                }
                if count == 0 { return .closed }
                buffer.append(contentsOf: chunk[0..<count])
            }
        }
    }

    /// A parsed answer line: the JSON-RPC error code, if any, and whether it had a result.
    struct Answer {
        var errorCode: Int?
        var message: String
        var hasResult: Bool

        init?(_ line: [UInt8]) {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any],
                object["jsonrpc"] as? String == "2.0" else { return nil }
            let error = object["error"] as? [String: Any]
            errorCode = error?["code"] as? Int
            message = error?["message"] as? String ?? ""
            hasResult = object["result"] != nil
            guard hasResult || errorCode != nil else { return nil }
        }
    }

    /// VmRSS of `pid` in kilobytes, from /proc/PID/status.
    static func residentKilobytes(of pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") })
        else { return -1 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
    }

    /// Open sockets of `pid` (descriptors linking to `socket:[…]` in /proc/PID/fd): the admin connections and the
    /// listener. Other descriptors (SQLite readers opened on demand by the pool) are not a per-client leak.
    static func openSockets(of pid: Int32) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { return -1 }
        return names.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)"))?.hasPrefix("socket:") == true }.count
    }

    /// The status of one incident, straight from the admin socket.
    static func status(_ bed: TestBed, _ incident: String) async -> IncidentStatus? {
        try? await bed.daemon.withClient { try $0.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self) }
    }

    /// The incident's report (every attempt of every delivery).
    static func report(_ bed: TestBed, _ incident: String) async throws -> IncidentReport {
        try await bed.daemon.withClient { try $0.call(.incidentReport, IncidentParams(incident: incident), as: IncidentReport.self) }
    }

    /// Approves the evacuation template and sends it without waiting; returns the incident id.
    static func sendNoWait(_ bed: TestBed, route: String? = nil, building: String = "Pavillon A") async throws -> String {
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        var arguments = ["send", "evacuation", "--set", "building=\(building)", "--yes", "--no-wait", "--json"]
        if let route { arguments += ["--route", route] }
        let send = try await bed.daemon.ctl(arguments: arguments)
        guard send.status == 0, let incident = send.jsonLines.first?["incident"] as? String else {
            throw TestSupportError("send failed: \(send)")
        }
        return incident
    }

    /// A channel of any type for `TestConfig` (its keys in `extra`, indented four spaces).
    static func channel(_ name: String, type: String, url: String = "", timeout: String? = nil, _ extra: String = "") -> TestConfig.Channel {
        var channel = TestConfig.Channel(name, url: url, timeout: timeout, extra: extra)
        channel.type = type
        return channel
    }
}
