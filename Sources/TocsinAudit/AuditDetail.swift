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

    /// Written as UTF-8 bytes straight into the string's own storage, sized up front: a delivery's two details per
    /// attempt were ~13,000 instructions each when built from temporary strings joined with `+`, ~19,000 for the pair
    /// when appended to a `String` piece by piece, and ~4,000 each through a byte array then copied into a string
    /// (callgrind, 100-channel send). A value that needs escaping (rare: ids and channel names never do) takes the
    /// byte array.
    public var json: String {
        var size = 2
        var plain = true
        for (key, value) in fields {
            size += key.utf8.count + 4
            plain = plain && !JSONText.needsEscape(key)
            switch value {
            case .string(let text):
                size += text.utf8.count + 2
                plain = plain && !JSONText.needsEscape(text)
            case .raw(let text): size += text.utf8.count
            case .int: size += 20
            case .bool: size += 5
            }
        }
        guard plain else { return escapedJSON(capacity: size) }
        return String(unsafeUninitializedCapacity: size) { buffer in
            var out = ByteWriter(buffer)
            out.put(UInt8(ascii: "{"))
            var first = true
            for (key, value) in fields {
                if !first { out.put(UInt8(ascii: ",")) }
                first = false
                out.putQuoted(key)
                out.put(UInt8(ascii: ":"))
                switch value {
                case .string(let text): out.putQuoted(text)
                case .int(let number): out.put(number)
                case .bool(let flag): out.put(flag ? "true" : "false")
                case .raw(let json): out.put(json)
                }
            }
            out.put(UInt8(ascii: "}"))
            return out.end
        }
    }

    /// The same JSON through a byte array, escaping where needed.
    private func escapedJSON(capacity: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(capacity + 16)
        out.append(UInt8(ascii: "{"))
        var first = true
        for (key, value) in fields {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONText.append(quoted: key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch value {
            case .string(let text): JSONText.append(quoted: text, to: &out)
            case .int(let number): Self.append(number, to: &out)
            case .bool(let flag): out.append(contentsOf: flag ? Self.trueBytes : Self.falseBytes)
            case .raw(let json): out.append(contentsOf: json.utf8)
            }
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)

    /// `number` in decimal, as `String(number)` writes it, without the temporary string.
    private static func append(_ number: Int64, to out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in  // UInt64.max has 20 digits
            var count = 0
            repeat {
                digits[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            } while magnitude > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(digits[index]) }
        }
    }
}

/// JSON string quoting for hand-built JSON on hot paths (audit details), per RFC 8259.
public enum JSONText {
    /// Works on UTF-8 bytes: most values (ids, channel names) need no escape and are copied whole, where a scalar-by-
    /// scalar append cost ~35,000 instructions per audit detail (callgrind). Bytes of multi-byte characters are all
    /// ≥ 0x80 and pass through, so the output is the same as escaping scalar by scalar.
    public static func quote(_ text: String) -> String {
        var out = ""
        append(quoted: text, to: &out)
        return out
    }

    /// `quote(text)` appended to `out` without a temporary string when nothing needs escaping (the usual case).
    public static func append(quoted text: String, to out: inout String) {
        guard needsEscape(text) else {
            out.append("\"")
            out.append(text)
            out.append("\"")
            return
        }
        out.append(escaped(text))
    }

    /// Whether JSON needs an escape in `text`: a control character, `"` or `\\`.
    static func needsEscape(_ text: String) -> Bool {
        text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
    }

    /// `quote(text)` appended to a UTF-8 byte buffer: the same bytes, escaped byte by byte where needed.
    public static func append(quoted text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if needsEscape(text) {
            appendEscaping(text, to: &out)
        } else {
            out.append(contentsOf: text.utf8)
        }
        out.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The text's bytes with `"`, `\\` and control characters escaped (no surrounding quotes).
    private static func appendEscaping(_ text: String, to out: inout [UInt8]) {
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case ..<0x20: out += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
    }

    private static func escaped(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 16)
        append(quoted: text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
