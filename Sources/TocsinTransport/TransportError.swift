/// Why a request produced no HTTP response.
///
/// `message` comes from libcurl's error text with the URL's path and query, header values and
/// credentials removed, so the error is safe to log and to store in the audit trail.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// The failure class; retry policies decide on this rather than on curl codes.
    public enum Kind: Sendable, Hashable {
        /// The whole-transfer or connect timeout expired.
        case timeout
        /// No TCP connection could be made (refused, unreachable).
        case connect
        /// The host name did not resolve.
        case dns
        /// TLS handshake or certificate verification failed.
        case tls
        /// The connection broke while sending or receiving, or the peer sent a malformed response.
        case sendOrReceive
        /// The calling task was cancelled or the transport was shut down.
        case cancelled
        /// Anything else: an invalid request, an unsupported protocol, out of memory.
        case other
    }

    /// The failure class.
    public var kind: Kind
    /// The libcurl `CURLcode` (0 when the failure did not come from curl, e.g. cancellation).
    public var curlCode: Int32
    /// A human-readable reason, free of secrets.
    public var message: String
    /// Time from hand-off to the transport until the failure.
    public var latency: Duration

    /// Creates an error; transports fill it in, and tests use it for fakes.
    public init(kind: Kind, curlCode: Int32 = 0, message: String, latency: Duration = .zero) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = message
        self.latency = latency
    }

    /// For example `timeout after 10.0 s (curl 28: Operation timed out after 10000 milliseconds …)`.
    public var description: String {
        let head = "\(kind.phrase) after \(Self.seconds(latency)) s"
        return curlCode == 0 ? "\(head) (\(message))" : "\(head) (curl \(curlCode): \(message))"
    }

    /// Formats a duration as seconds with one decimal, without Foundation.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let tenths = seconds * 10 + (attoseconds + 50_000_000_000_000_000) / 100_000_000_000_000_000
        return "\(tenths / 10).\(abs(tenths % 10))"
    }
}

extension TransportError.Kind {
    /// The leading words of ``TransportError/description``.
    var phrase: String {
        switch self {
        case .timeout: "timeout"
        case .connect: "connection failed"
        case .dns: "DNS lookup failed"
        case .tls: "TLS failure"
        case .sendOrReceive: "send/receive failure"
        case .cancelled: "cancelled"
        case .other: "transport error"
        }
    }
}
