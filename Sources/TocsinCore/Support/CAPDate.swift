public import Foundation

/// CAP 1.2 date-times: `2026-11-23T16:40:42-05:00`. CAP forbids the `Z` designator, so UTC is written `+00:00`.
public enum CAPDate {
    public static func format(_ date: Date, timeZone: TimeZone = .current) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        let text = formatter.string(from: date)
        return text.hasSuffix("Z") ? String(text.dropLast()) + "+00:00" : text
    }
}
