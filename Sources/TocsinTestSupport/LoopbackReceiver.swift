import Foundation

/// The loopback HTTP receiver (`scripts/receiver.py`) as a child process: 127.0.0.1 only, one JSON line per request.
public final class LoopbackReceiver: @unchecked Sendable {
    /// One recorded request.
    public struct Request: Sendable {
        public var time: Double
        public var method: String
        public var path: String
        public var headers: [String: String]
        public var body: String

        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    public let port: Int
    public let recordPath: String
    private let child: ListeningChild

    /// Whether the receiver speaks HTTPS (with the certificate it was given) rather than plain HTTP.
    public let isTLS: Bool

    /// Starts the receiver with answers per path (see the script's doc), e.g. `["/flaky": [["status": 500], ["status": 200]]]`.
    /// - Parameters:
    ///   - port: a fixed port (e.g. one a channel was already pointed at while nothing listened); 0 picks a free one.
    ///   - tls: serve HTTPS only, presenting this certificate; failed handshakes are recorded (``tlsErrors()``).
    public init(
        in directory: TemporaryDirectory, plan: [String: [[String: Any]]] = [:], name: String = "receiver",
        port: Int = 0, tls: TLSIdentity? = nil
    ) throws {
        let planPath = directory.file("\(name)-plan.json")
        try JSONSerialization.data(withJSONObject: plan).write(to: URL(fileURLWithPath: planPath))
        recordPath = directory.file("\(name)-requests.jsonl")
        _ = FileManager.default.createFile(atPath: recordPath, contents: nil)
        var arguments = [PackagePaths.receiverScript, "--port", "\(port)", "--plan", planPath, "--record", recordPath, "--exit-on-stdin-eof"]
        if let tls { arguments += ["--tls-cert", tls.certificatePath, "--tls-key", tls.keyPath] }
        isTLS = tls != nil
        child = try ListeningChild(python: arguments, what: "the loopback receiver")
        self.port = child.port
    }

    public func url(_ path: String) -> String { "\(isTLS ? "https" : "http")://127.0.0.1:\(port)\(path)" }

    /// The reasons of every failed TLS handshake so far (an HTTPS receiver only), e.g. "… alert unknown ca …".
    public func tlsErrors() -> [String] {
        guard let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                object["event"] as? String == "tls-error" else { return nil }
            return object["error"] as? String ?? ""
        }
    }

    public func requests(path: String? = nil) -> [Request] {
        guard let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            // Lines with an "event" (a failed TLS handshake) are not requests.
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                object["event"] == nil else { return nil }
            let request = Request(
                time: object["t"] as? Double ?? 0, method: object["method"] as? String ?? "",
                path: object["path"] as? String ?? "", headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? ""
            )
            return path == nil || request.path == path ? request : nil
        }
    }

    /// Waits until at least `count` requests (to `path`, if given) arrived.
    @discardableResult
    public func waitForRequests(_ count: Int, path: String? = nil, timeout: Duration = .seconds(30)) async throws -> [Request] {
        _ = try await waitUntil(timeout: timeout) { requests(path: path).count >= count }
        return requests(path: path)
    }

    /// Stops the child without waiting for its end (callable from a `defer`).
    public func stop() { child.stop() }

    /// Calls `body` once the child has ended.
    func whenExited(_ body: @escaping @Sendable () -> Void) { child.exit.whenExited(body) }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
