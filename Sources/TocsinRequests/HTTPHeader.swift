/// One HTTP header field as sent or received.
///
/// Names compare case-sensitively here; use ``HTTPResponse/header(_:)`` for case-insensitive lookup.
/// Values may be secrets (tokens, signatures): this module never logs them or puts them in errors.
public struct HTTPHeader: Sendable, Hashable {
    /// The field name, e.g. `Content-Type`. Response header names are lowercased.
    public var name: String
    /// The field value without surrounding whitespace.
    public var value: String

    /// Creates a header field.
    /// - Parameters:
    ///   - name: The field name (an HTTP token: no spaces, colons or control characters).
    ///   - value: The field value (no CR or LF).
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
