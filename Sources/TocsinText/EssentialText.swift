// Text operations that Foundation offers only in Foundation proper (`trimmingCharacters`, `replacingOccurrences`,
// `String(format:)`), written here on the standard library so that `tocsinctl` and the modules it links need
// FoundationEssentials alone. Foundation proper's ~1,800 conformance records were scanned at every start of the CLI
// (BENCHMARKS.md, "tocsinctl without Foundation"); HelpTests fails if one of its symbols comes back.

extension StringProtocol {
    /// Without the characters at either end for which `isTrimmed` holds.
    public func trimming(while isTrimmed: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !isTrimmed($0) }) else { return "" }
        let last = lastIndex(where: { !isTrimmed($0) })!
        return String(self[first...last])
    }

    /// Without the white space (spaces, tabs, line ends) at either end.
    public func trimmingWhitespace() -> String { trimming(while: \.isWhitespace) }

    /// Every `byte` (an ASCII character) replaced with `replacement`, byte by byte. The standard library's
    /// `replacing(_:with:)` compares characters, so it leaves the `\n` of a `\r\n` (which Foundation's
    /// `replacingOccurrences` replaced); neither replaces a `"` followed by a combining mark, one character, which a
    /// CSV reader or a shell reading bytes would still take for a quote.
    ///
    /// Inlinable so that callers get it specialized for `String`: across the module boundary, the generic body
    /// walked `utf8` through protocol witnesses, ~5,000 instructions for a 20-byte word; every audit entry makes
    /// three calls (BENCHMARKS.md, 7 December night).
    @inlinable
    public func replacing(ascii byte: UInt8, with replacement: String) -> String {
        precondition(byte < 0x80, "an ASCII byte, which never occurs inside another character's UTF-8")
        // A string's or substring's bytes are searched in place; the view is walked only for a form without
        // contiguous UTF-8 (none on Linux today; the generic signature allows one).
        let found = utf8.withContiguousStorageIfAvailable { $0.contains(byte) } ?? utf8.contains(byte)
        guard found else { return String(self) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count + replacement.utf8.count)
        for next in utf8 {
            if next == byte { bytes += replacement.utf8 } else { bytes.append(next) }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Numbers written as `String(format:)` wrote them with `%0Nd` and `%.1f`.
public enum Digits {
    /// `value` with leading zeros to `width` digits (`padded(5, 2)` is "05"); a negative value keeps its sign first.
    public static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value.magnitude)
        return (value < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// A count of tenths with one decimal: `tenths(24)` is "2.4", `tenths(24, separator: ",")` "2,4".
    public static func tenths(_ tenths: Int, separator: String = ".") -> String {
        (tenths < 0 ? "-" : "") + "\(tenths.magnitude / 10)\(separator)\(tenths.magnitude % 10)"
    }
}
