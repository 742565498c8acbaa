import Foundation

/// Times as the admin protocol and the audit show them: ISO 8601, UTC, milliseconds.
enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func iso(_ date: Date) -> String { date.formatted(style) }

    static func iso(millis: Int64) -> String { iso(Date(millis: millis)) }
}

extension Date {
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
