import Foundation

/// Durations as operators write them in YAML: `500ms`, `10s`, `15m`, `2h`, `1d`, or a bare number of seconds.
public enum DurationParser {
    /// Ten years: anything longer is a typo, and far larger numbers would overflow.
    static let maximumMilliseconds = 10.0 * 365 * 86_400 * 1000

    public static func parse(_ text: String) -> Duration? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, scale) in units where trimmed.hasSuffix(suffix) {
            let number = trimmed.dropLast(suffix.count)
            // "ms" also ends in "s": only accept what is a plain number before the unit.
            guard let value = Double(number), value >= 0, value.isFinite else { continue }
            return milliseconds(value * scale * 1000)
        }
        if let seconds = Double(trimmed), seconds >= 0, seconds.isFinite {
            return milliseconds(seconds * 1000)
        }
        return nil
    }

    private static func milliseconds(_ value: Double) -> Duration? {
        value <= maximumMilliseconds ? .milliseconds(Int64(value.rounded())) : nil
    }
}

extension Duration {
    /// Whole milliseconds, rounded down; what the store and libcurl take.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// Seconds as a floating-point number, for display and arithmetic with dates.
    public var seconds: Double { Double(milliseconds) / 1000 }

    /// A short human form: `850 ms`, `12.3 s`, `4 min 5 s`.
    public var humanReadable: String {
        let ms = milliseconds
        if ms < 1000 { return "\(ms) ms" }
        if ms < 60_000 { return String(format: "%.1f s", Double(ms) / 1000) }
        return "\(ms / 60_000) min \((ms % 60_000) / 1000) s"
    }
}
