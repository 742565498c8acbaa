public import Foundation
import TocsinText

/// CAP 1.2 date-times: `2026-11-23T16:40:42-05:00`. CAP forbids the `Z` designator, so UTC is written `+00:00`.
///
/// Written with ``UTCTime``'s integer arithmetic from the zone's offset at that instant, whole seconds (truncated),
/// as `ISO8601DateFormatter`'s internet date-time wrote it: building that formatter opened an ICU date format at
/// every send, ~13 % of planning one (perf, BENCHMARKS.md "a send's critical path").
public enum CAPDate {
    public static func format(_ date: Date, timeZone: TimeZone = .current) -> String {
        let millis = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
        // ISO 8601 writes whole minutes of offset; the few historical zones with seconds in theirs lose them.
        let offsetMinutes = timeZone.secondsFromGMT(for: date) / 60
        return UTCTime.internetDateTime(millis: millis, offsetMinutes: offsetMinutes)
    }
}
