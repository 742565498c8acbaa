extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, the form hashes take in the audit log and in approvals.
    public var hexString: String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(64)
        for byte in self {
            bytes.append(Self.digit(byte >> 4))
            bytes.append(Self.digit(byte & 0x0F))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @inline(__always)
    private static func digit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }
}
