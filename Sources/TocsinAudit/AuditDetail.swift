import FoundationEssentials

/// Builds the compact JSON `detail` of an audit entry from string and number fields, in a stable key order.
public struct AuditDetail: Sendable {
    private var fields: [(String, Value)] = []

    public enum Value: Sendable {
        case string(String), int(Int64), bool(Bool), raw(String)
    }

    /// Room for a delivery's fields up front (up to ten): growing the array 1, 2, 4, 8, 16 was four copies per detail.
    public init() { fields.reserveCapacity(10) }

    public init(_ pairs: KeyValuePairs<String, String?>) {
        for (key, value) in pairs { if let value { fields.append((key, .string(value))) } }
    }

    public mutating func set(_ key: String, _ value: String?) { if let value { fields.append((key, .string(value))) } }
    public mutating func set(_ key: String, _ value: Int?) { if let value { fields.append((key, .int(Int64(value)))) } }
    public mutating func set(_ key: String, _ value: Bool) { fields.append((key, .bool(value))) }
    /// Inserts already-encoded JSON (an object or array built elsewhere).
    public mutating func setJSON(_ key: String, _ json: String) { fields.append((key, .raw(json))) }

    /// Written as UTF-8 bytes straight into the string's own storage, sized up front (numbers at their widest): a delivery's two
    /// details per attempt were ~13,000 instructions each when built from temporary strings joined with `+`, ~19,000
    /// for the pair when appended to a `String` piece by piece, and ~4,000 each through a byte array then copied
    /// into a string (callgrind, 100-channel send).
    public var json: String {
        var size = 2
        for (key, value) in fields {
            size += JSONText.quotedLength(key) + 2  // the colon, and a comma
            switch value {
            case .string(let text): size += JSONText.quotedLength(text)
            case .raw(let text): size += text.utf8.count
            case .int: size += 20
            case .bool: size += 5
            }
        }
        return String(unsafeUninitializedCapacity: size) { buffer in
            var out = ByteWriter(buffer)
            out.put(UInt8(ascii: "{"))
            var first = true
            for (key, value) in fields {
                if !first { out.put(UInt8(ascii: ",")) }
                first = false
                JSONText.write(quoted: key, to: &out)
                out.put(UInt8(ascii: ":"))
                switch value {
                case .string(let text): JSONText.write(quoted: text, to: &out)
                case .int(let number): out.put(number)
                case .bool(let flag): out.put(flag ? "true" : "false")
                case .raw(let json): out.put(json)
                }
            }
            out.put(UInt8(ascii: "}"))
            return out.end
        }
    }
}

/// JSON string quoting for hand-built JSON on hot paths (audit details), per RFC 8259.
public enum JSONText {
    /// Works on UTF-8 bytes: most values (ids, channel names) need no escape and are copied whole, where a scalar-by-
    /// scalar append cost ~35,000 instructions per audit detail (callgrind). Bytes of multi-byte characters are all
    /// ≥ 0x80 and pass through, so the output is the same as escaping scalar by scalar.
    public static func quote(_ text: String) -> String {
        String(unsafeUninitializedCapacity: quotedLength(text)) { buffer in
            var out = ByteWriter(buffer)
            write(quoted: text, to: &out)
            return out.end
        }
    }

    /// `quote(text)` appended to `out`.
    public static func append(quoted text: String, to out: inout String) {
        out.append(quote(text))
    }

    /// The length in bytes of `quote(text)`: its quotes, and each byte as it is escaped.
    static func quotedLength(_ text: String) -> Int {
        guard needsEscape(text) else { return text.utf8.count + 2 }
        var length = 2
        for byte in text.utf8 { length += escapedLength(byte) }
        return length
    }

    /// `quote(text)` written into `out`: a text with nothing to escape (the usual case) copied whole.
    static func write(quoted text: String, to out: inout ByteWriter) {
        out.put(UInt8(ascii: "\""))
        if needsEscape(text) {
            for byte in text.utf8 { writeEscaped(byte, to: &out) }
        } else {
            out.put(text)
        }
        out.put(UInt8(ascii: "\""))
    }

    /// Over the string's contiguous bytes, eight at a time: through `utf8.contains(where:)` this scan was the detail's
    /// largest cost (~7 instructions a byte, twice per value), byte by byte over the same bytes ~5.
    static func needsEscape(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            var index = 0
            while index + 8 <= bytes.count {
                if needsEscape(word: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))) { return true }
                index += 8
            }
            return bytes[index...].contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        }
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any of the eight bytes is below 0x20, `"` or `\`. The word tests of "Bit Twiddling Hacks": `x - n·ones`
    /// sets a byte's high bit when that byte is below n (for n ≤ 0x80), masked by `~x` so bytes ≥ 0x80 do not count;
    /// a byte equal to c is a zero byte of `x ^ c·ones`. A borrow can mark the wrong byte, never a word without one.
    @inline(__always)
    static func needsEscape(word x: UInt64) -> Bool {
        func hasZero(_ v: UInt64) -> Bool { (v &- ones) & ~v & highBits != 0 }
        return (x &- 0x20 &* ones) & ~x & highBits != 0
            || hasZero(x ^ (UInt64(UInt8(ascii: "\"")) &* ones))
            || hasZero(x ^ (UInt64(UInt8(ascii: "\\")) &* ones))
    }

    private static func escapedLength(_ byte: UInt8) -> Int {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): 2
        case ..<0x20: 6
        default: 1
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// `"`, `\\` and control characters escaped, short forms where JSON has them.
    private static func writeEscaped(_ byte: UInt8, to out: inout ByteWriter) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            out.put(UInt8(ascii: "\\"))
            out.put(byte)
        case UInt8(ascii: "\n"): out.put("\\n")
        case UInt8(ascii: "\r"): out.put("\\r")
        case UInt8(ascii: "\t"): out.put("\\t")
        case ..<0x20:
            out.put("\\u00")
            out.put(hexDigits[Int(byte >> 4)])
            out.put(hexDigits[Int(byte & 0xF)])
        default: out.put(byte)
        }
    }
}
