import Foundation

/// A real `tocsin-web` process on 127.0.0.1, run as `user` (as its systemd unit runs it as its own user), speaking
/// to a test daemon's socket; HTTPS with the given certificate and key, or plain HTTP without them.
public final class WebConsoleProcess: @unchecked Sendable {
    public let port: Int
    public let logPath: String
    private let exit: ProcessExit

    public var url: String { "\(secure ? "https" : "http")://127.0.0.1:\(port)" }
    private let secure: Bool

    /// Starts it and waits until it accepts connections.
    public init(socketPath: String, user: String?, certificate: String?, key: String?, logPath: String, extra: [String] = []) async throws {
        port = try LoopbackPort.unused()
        self.logPath = logPath
        secure = certificate != nil
        var arguments = [PackagePaths.tocsinWeb, "--socket", socketPath, "--host", "127.0.0.1", "--port", String(port)]
        if let certificate, let key { arguments += ["--certificate", certificate, "--key", key] }
        arguments += extra
        if let user { arguments = ["/usr/bin/setpriv", "--reuid=\(user)", "--regid=nogroup", "--clear-groups"] + arguments }
        exit = try ChildProcess.spawn(arguments[0], Array(arguments.dropFirst()), logTo: logPath)
        let port = port, exit = exit
        let ready = try await waitUntil(timeout: .seconds(30)) {
            guard !exit.hasExited else { return true }
            return Self.accepts(port: port)
        }
        guard ready, !exit.hasExited else {
            throw TestSupportError("tocsin-web did not start:\n\(log())")
        }
    }

    public func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    public var hasExited: Bool { exit.hasExited }
    public var exitStatus: Int32? { exit.exitStatus }

    /// Stops it without waiting (for a `defer`).
    public func stop() {
        exit.signal(SIGTERM)
    }

    /// Whether something accepts a TCP connection on 127.0.0.1:`port` (one non-blocking try).
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
