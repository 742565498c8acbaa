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

extension HTTPHeader {
    /// Whether `name` is an HTTP token (RFC 9110 `tchar`s only).
    ///
    /// Checked before handing headers to curl, which would otherwise send them raw:
    /// a CR/LF in a caller-supplied field would inject extra headers.
    var isValidForRequest: Bool {
        guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else { return false }
        return !value.utf8.contains { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
