public import TocsinProtocol
import TocsinText

/// Durations as people read them: 850 ms, 2.4 s (2,4 s in French), 3 min 05 s.
public enum Elapsed {
    public static func text(_ millis: Int64?, in language: OperatorLanguage) -> String {
        guard let millis else { return "—" }
        if millis < 1000 { return "\(millis) ms" }
        // Rounded half up, to tenths under a minute, else to whole seconds (so 59,950 ms is "1 min 00 s", not "60.0 s").
        let tenths = Int((millis + 50) / 100)
        if tenths < 600 {
            // French writes a decimal comma: "3,9 s".
            return Digits.tenths(tenths, separator: language == .fr ? "," : ".") + " s"
        }
        let seconds = Int((millis + 500) / 1000)
        return "\(seconds / 60) min \(Digits.padded(seconds % 60, 2)) s"
    }
}
