public import TocsinProtocol

/// Durations as people read them: 850 ms, 2.4 s (2,4 s in French), 3 min 05 s.
public enum Elapsed {
    public static func text(_ millis: Int64?, in language: OperatorLanguage) -> String {
        guard let millis else { return "—" }
        if millis < 1000 { return "\(millis) ms" }
        // Integer arithmetic, rounded half up (String(format:) is in the part of Foundation tocsinctl does not link).
        let tenths = (millis + 50) / 100
        if tenths < 600 {
            // French writes a decimal comma: "3,9 s".
            return "\(tenths / 10)\(language == .fr ? "," : ".")\(tenths % 10) s"
        }
        let seconds = (millis + 500) / 1000
        return "\(seconds / 60) min \(seconds % 60 < 10 ? "0" : "")\(seconds % 60) s"
    }
}
