public import FoundationEssentials
import Synchronization
import TocsinText

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Times as a person reads them: the machine's local time with its offset (issue 16, item 3).
///
/// One style everywhere, in every language (the digits do not change with `--lang`):
/// - ``Style/full``: `2026-12-04 09:26:15 -05:00` — date, time to the second, the offset from UTC.
/// - ``Style/near``: `09:27:03` when the time falls on the same local day as now, else as ``Style/full``
///   (progress lines, "next try at …").
/// - ``Style/rfc3339``: `2026-12-04T09:26:15.862-05:00` — for JSON and files a program reads; always with an offset.
///
/// The zone is the process's: `TZ` as the C library reads it (`TZ=America/Toronto`, `TZ=:Europe/Paris`,
/// `TZ=EST5EDT`, …), else the system's zone; `--utc` (``useUTC(_:)``) shows UTC instead, as `+00:00`.
/// The offset is written with an ASCII `-` so it can be copied into a command or a search.
///
/// Usage:
/// ```swift
/// TimeDisplay.format(date)                    // "2026-12-04 09:26:15 -05:00"
/// TimeDisplay.format(date, style: .near)      // "09:26:15" today, the full form otherwise
/// TimeDisplay.format("2026-12-04T14:26:15.862Z")          // what the daemon sends, shown locally
/// TimeDisplay.format(optionalText, style: .full, absent: "—")
/// ```
public enum TimeDisplay {
    public enum Style: Sendable {
        /// `2026-12-04 09:26:15 -05:00`
        case full
        /// `09:26:15` on the same local day as now, else ``full``.
        case near
        /// `2026-12-04T09:26:15.862-05:00` (milliseconds, offset): machine-readable.
        case rfc3339
    }

    /// Shows `date` in the chosen zone.
    /// - Parameters:
    ///   - date: the instant.
    ///   - style: see ``Style``; ``Style/full`` by default.
    ///   - now: what "the same day" is measured against for ``Style/near`` (tests pass a fixed instant).
    public static func format(_ date: Date, style: Style = .full, now: Date = Date()) -> String {
        let parts = Parts(date, utc: utc)
        switch style {
        case .full:
            return "\(parts.day) \(parts.clock) \(parts.offset)"
        case .near:
            return parts.sameDay(as: Parts(now, utc: utc)) ? parts.clock : "\(parts.day) \(parts.clock) \(parts.offset)"
        case .rfc3339:
            return "\(parts.day)T\(parts.clock).\(pad(parts.millis, 3))\(parts.offset)"
        }
    }

    /// Shows an RFC 3339 time as the daemon sends it (`2026-12-04T14:26:15.862Z`); text that is not one comes back
    /// unchanged, so nothing the daemon said is ever lost on screen.
    public static func format(_ rfc3339: String, style: Style = .full, now: Date = Date()) -> String {
        guard let date = parse(rfc3339) else { return rfc3339 }
        return format(date, style: style, now: now)
    }

    /// As ``format(_:style:now:)-(String,_,_)``, with `absent` for a missing time (`"—"`, `tr("jamais", "never")`).
    public static func format(_ rfc3339: String?, style: Style = .full, absent: String, now: Date = Date()) -> String {
        rfc3339.map { format($0, style: style, now: now) } ?? absent
    }

    /// `text` with every RFC 3339 time in it shown as ``Style/full`` (a health check's or an audit problem's
    /// sentence, written by the daemon in UTC); the rest unchanged.
    public static func localizing(_ text: String) -> String {
        guard text.contains("T") else { return text }
        return text.replacing(rfc3339Pattern) { match in format(String(match.output), style: .full) }
    }

    // A date, `T`, a time, optional fraction, then `Z` or an offset: what `Timestamp.iso` writes.
    nonisolated(unsafe) private static let rfc3339Pattern = #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/#

    /// Reads an RFC 3339 time, with or without fractional seconds, or a time as ``Style/full`` shows it
    /// (`2026-12-04 09:26:15 -05:00`, so a time copied from a screen can be given back, e.g. to `--since`);
    /// nil when it is neither.
    public static func parse(_ text: String) -> Date? {
        var text = text.trimmingWhitespace()
        if let shown = text.wholeMatch(of: shownPattern) { text = "\(shown.1)T\(shown.2)\(shown.3)" }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }

    // ``Style/full``: date, space, time, space, offset.
    nonisolated(unsafe) private static let shownPattern = #/(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2}:\d{2})/#

    /// Whether times are shown in UTC (`--utc`) rather than the local zone.
    public static var utc: Bool { showsUTC.withLock { $0 } }

    /// Set once at start-up from `--utc` (GlobalOptions).
    public static func useUTC(_ utc: Bool) { showsUTC.withLock { $0 = utc } }

    // A process-wide choice read by every screen; a Mutex keeps it safe under strict concurrency.
    private static let showsUTC = Mutex(false)

    /// A broken-down time from the C library, which honours every form of `TZ` exactly as `date` does.
    private struct Parts {
        let year: Int, month: Int, dayOfMonth: Int
        let day: String, clock: String, offset: String, millis: Int

        init(_ date: Date, utc: Bool) {
            // Whole milliseconds first: a Date's double would otherwise show .862 as .861.
            let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
            let seconds = totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000
            var time = time_t(seconds)
            var fields = tm()
            if utc { gmtime_r(&time, &fields) } else { tzset(); localtime_r(&time, &fields) }
            year = Int(fields.tm_year) + 1900
            month = Int(fields.tm_mon) + 1
            dayOfMonth = Int(fields.tm_mday)
            day = "\(year)-\(pad(month, 2))-\(pad(dayOfMonth, 2))"
            clock = "\(pad(Int(fields.tm_hour), 2)):\(pad(Int(fields.tm_min), 2)):\(pad(Int(fields.tm_sec), 2))"
            let east = utc ? 0 : Int(fields.tm_gmtoff)
            offset = "\(east < 0 ? "-" : "+")\(pad(abs(east) / 3600, 2)):\(pad(abs(east) % 3600 / 60, 2))"
            millis = Int(totalMillis - seconds * 1000)
        }

        func sameDay(as other: Parts) -> Bool {
            (year, month, dayOfMonth) == (other.year, other.month, other.dayOfMonth)
        }
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
