import Foundation
import TocsinCore
import TocsinText

/// Times as the admin protocol and the audit show them: ISO 8601, UTC, milliseconds.
/// Written by `UTCTime`, not a Foundation format style: that one would load ICU for the machine's time zone.
enum Timestamp {
    static func iso(_ date: Date) -> String { iso(millis: date.millisecondsSince1970) }

    static func iso(millis: Int64) -> String { UTCTime.iso8601(millis: millis) }
}

extension Date {
    var millisecondsSince1970: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }

    init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
