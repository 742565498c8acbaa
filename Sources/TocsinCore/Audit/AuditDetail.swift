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
    public static func quote(_ text: String) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
