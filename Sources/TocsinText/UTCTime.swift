/// UTC dates and times from Unix milliseconds, computed here with integer arithmetic.
///
/// Why not Foundation's formatters: each one builds a `Calendar` whose time zone is first the machine's, which
/// swift-foundation looks up in ICU, so a log line's timestamp loaded ICU's code and tables into an idle daemon
/// (about 1 MB of its resident memory) and cost tens of thousands of instructions per line. UTC needs none of that.
public enum UTCTime {
    public struct Fields: Equatable, Sendable {
        public var year: Int, month: Int, day: Int
        public var hour: Int, minute: Int, second: Int, millisecond: Int
    }

    public static func fields(millis: Int64) -> Fields {
        let (days, inDay) = floorDivide(millis, 86_400_000)
        // Days since 1970-01-01 to a proleptic Gregorian date, in 400-year eras of 146,097 days (H. Hinnant's
        // "civil_from_days"), with years starting on 1 March so that the leap day falls last.
        let z = days + 719_468
        let era = floorDivide(z, 146_097).quotient
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return Fields(
            year: Int(year), month: Int(month), day: Int(day),
            hour: Int(inDay / 3_600_000), minute: Int(inDay / 60_000 % 60), second: Int(inDay / 1_000 % 60),
            millisecond: Int(inDay % 1_000)
        )
    }

    /// `2026-12-07T05:55:07.123Z`, or without the fraction when `milliseconds` is false.
    public static func iso8601(millis: Int64, milliseconds: Bool = true) -> String {
        let f = fields(millis: millis)
        var text = Digits.padded(f.year, 4) + "-" + Digits.padded(f.month, 2) + "-" + Digits.padded(f.day, 2)
        text += "T" + Digits.padded(f.hour, 2) + ":" + Digits.padded(f.minute, 2) + ":" + Digits.padded(f.second, 2)
        if milliseconds { text += "." + Digits.padded(f.millisecond, 3) }
        return text + "Z"
    }

    /// `2026-12-07T00:55:07-05:00`: the local time at `offsetMinutes` from UTC, whole seconds, the offset always
    /// written (`+00:00` for UTC, as CAP wants it).
    public static func internetDateTime(millis: Int64, offsetMinutes: Int) -> String {
        let f = fields(millis: floorDivide(millis, 1_000).quotient * 1_000 + Int64(offsetMinutes) * 60_000)
        var text = Digits.padded(f.year, 4) + "-" + Digits.padded(f.month, 2) + "-" + Digits.padded(f.day, 2)
        text += "T" + Digits.padded(f.hour, 2) + ":" + Digits.padded(f.minute, 2) + ":" + Digits.padded(f.second, 2)
        let magnitude = abs(offsetMinutes)
        return text + (offsetMinutes < 0 ? "-" : "+") + Digits.padded(magnitude / 60, 2) + ":" + Digits.padded(magnitude % 60, 2)
    }

    /// `20261207`: the UTC day, as incident ids begin.
    public static func dayStamp(millis: Int64) -> String {
        let f = fields(millis: millis)
        return Digits.padded(f.year, 4) + Digits.padded(f.month, 2) + Digits.padded(f.day, 2)
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = value / divisor - (value % divisor < 0 ? 1 : 0)
        return (quotient, value - quotient * divisor)
    }
}
