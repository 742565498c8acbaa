import Foundation
public import TocsinProtocol

/// Durations as people read them: 850 ms, 2.4 s (2,4 s in French), 3 min 05 s.
public enum Elapsed {
    public static func text(_ millis: Int64?, in language: OperatorLanguage) -> String {
        guard let millis else { return "—" }
        if millis < 1000 { return "\(millis) ms" }
        if millis < 60_000 {
            let seconds = String(format: "%.1f s", Double(millis) / 1000)
            // French writes a decimal comma: "3,9 s".
            return language == .fr ? seconds.replacingOccurrences(of: ".", with: ",") : seconds
        }
        return String(format: "%d min %02d s", millis / 60_000, (millis % 60_000) / 1000)
    }
}
