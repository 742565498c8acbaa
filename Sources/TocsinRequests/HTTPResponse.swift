public import Foundation

/// The final HTTP response to a request (interim `1xx` responses are dropped; redirects are not followed).
public struct HTTPResponse: Sendable {
    /// The most bytes of a response body that are kept; the rest is read and discarded.
    ///
    /// Receivers' answers matter only for diagnostics, and a misbehaving one must not balloon memory.
    public static let bodyLimit = 64 * 1024

    /// The status code, e.g. 200, 302 or 429.
    public var status: Int
    /// Header fields of the final response, names lowercased, in the order received.
    public var headers: [HTTPHeader]
    /// The first ``bodyLimit`` bytes of the body, undecoded (no `Accept-Encoding` is offered).
    public var body: [UInt8]
    /// Time from hand-off to the transport until the transfer completed.
    public var latency: Duration
    /// When the server's TLS certificate expires, if this transfer made a TLS handshake (a reused connection
    /// made none: the last known date stands).
    public var certificateExpiry: Date?

    /// Creates a response; transports fill it in, and tests use it for fakes.
    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], latency: Duration = .zero) {
        self.status = status
        self.headers = headers
        self.body = body
        self.latency = latency
    }

    /// The value of the first header named `name`, compared case-insensitively.
    /// - Parameter name: The field name in any case, e.g. `Retry-After`.
    /// - Returns: The value, or `nil` if the response has no such header.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}
