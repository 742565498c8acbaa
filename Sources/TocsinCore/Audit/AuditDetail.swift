import Foundation

/// Builds the compact JSON `detail` of an audit entry from string and number fields, in a stable key order.
public struct AuditDetail: Sendable {
    private var fields: [(String, Value)] = []

    public enum Value: Sendable {
        case string(String), int(Int64), bool(Bool), raw(String)
    }

    public init() {}

    public init(_ pairs: KeyValuePairs<String, String?>) {
        for (key, value) in pairs { if let value { fields.append((key, .string(value))) } }
    }

    public mutating func set(_ key: String, _ value: String?) { if let value { fields.append((key, .string(value))) } }
    public mutating func set(_ key: String, _ value: Int?) { if let value { fields.append((key, .int(Int64(value)))) } }
    public mutating func set(_ key: String, _ value: Bool) { fields.append((key, .bool(value))) }
    /// Inserts already-encoded JSON (an object or array built elsewhere).
    public mutating func setJSON(_ key: String, _ json: String) { fields.append((key, .raw(json))) }

    public var json: String {
        var out = "{"
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out += "," }
            out += JSONText.quote(key) + ":"
            switch value {
            case .string(let text): out += JSONText.quote(text)
            case .int(let number): out += String(number)
            case .bool(let flag): out += flag ? "true" : "false"
            case .raw(let json): out += json
            }
        }
        return out + "}"
    }
}

/// JSON string quoting for hand-built JSON on hot paths (audit details), per RFC 8259.
public enum JSONText {
    /// Works on UTF-8 bytes: most values (ids, channel names) need no escape and are copied whole, where a scalar-by-
    /// scalar append cost ~35,000 instructions per audit detail (callgrind). Bytes of multi-byte characters are all
    /// ≥ 0x80 and pass through, so the output is the same as escaping scalar by scalar.
    public static func quote(_ text: String) -> String {
        let needsEscape = text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsEscape else { return "\"" + text + "\"" }
        var out: [UInt8] = [UInt8(ascii: "\"")]
        out.reserveCapacity(text.utf8.count + 16)
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case UInt8(ascii: "\n"): out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case UInt8(ascii: "\r"): out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case UInt8(ascii: "\t"): out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case ..<0x20: out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return String(decoding: out, as: UTF8.self)
    }
}
