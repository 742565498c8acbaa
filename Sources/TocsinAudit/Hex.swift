public import Crypto
import FoundationEssentials

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal, the form hashes take in the audit log and in approvals.
    public var hexString: String {
        Array(self).withUnsafeBytes(Hex.string)
    }
}

extension Crypto.Digest {
    /// The same, read from the digest's own bytes: through its `Sequence` conformance (an iterator over a copy) and a
    /// byte array then copied again, a hash's hex cost ~1,250 instructions, two per audit entry (callgrind).
    public var hexString: String {
        self.withUnsafeBytes { Hex.string($0) }
    }
}

enum Hex {
    /// Two digits a byte, written straight into the string's storage.
    static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            for (index, byte) in bytes.enumerated() {
                out[2 * index] = digit(byte >> 4)
                out[2 * index + 1] = digit(byte & 0x0F)
            }
            return bytes.count * 2
        }
    }

    @inline(__always)
    private static func digit(_ value: UInt8) -> UInt8 { value < 10 ? 0x30 + value : 0x57 + value }
}
