import TocsinRequests

/// What libcurl may put on the wire: a header that could split the request is refused before it is sent.
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
