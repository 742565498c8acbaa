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
        headers.first { Self.sameName($0.name, name) }?.value
    }

    /// Field names are ASCII tokens: compared byte by byte with ASCII letters folded, without lowercasing copies of
    /// both (each lookup lowercased every header name: ~6 lookups a response, on every delivery).
    private static func sameName(_ left: String, _ right: String) -> Bool {
        guard left.utf8.count == right.utf8.count else { return false }
        return zip(left.utf8, right.utf8).allSatisfy { pair in
            pair.0 == pair.1 || (pair.0 | 0x20 == pair.1 | 0x20 && (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(pair.0 | 0x20))
        }
    }
}
