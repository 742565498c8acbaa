import Foundation
import Testing
import TocsinText

struct UTCTimeTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00.000Z"),
        (1_796_622_907_123, "2026-12-07T05:55:07.123Z"),
        (951_782_400_000, "2000-02-29T00:00:00.000Z"),  // a leap day of a year divisible by 400
        (4_107_542_400_000, "2100-03-01T00:00:00.000Z"),  // 2100 is no leap year
        (1_767_225_599_999, "2025-12-31T23:59:59.999Z"),
        (-1, "1969-12-31T23:59:59.999Z"),
    ])
    func isoTextOfKnownMoments(millis: Int64, text: String) {
        #expect(UTCTime.iso8601(millis: millis) == text)
    }

    @Test func secondsOnlyAndDayStamp() {
        #expect(UTCTime.iso8601(millis: 1_796_622_907_123, milliseconds: false) == "2026-12-07T05:55:07Z")
        #expect(UTCTime.dayStamp(millis: 1_796_622_907_123) == "20261207")
    }

    /// Every day from 1900 to 2200 (and a time of day that moves), against Foundation's Gregorian calendar in UTC.
    @Test func agreesWithFoundationsCalendarOverThreeCenturies() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var mismatches: [String] = []
        for day in Int64(-25_567)...Int64(84_006) {
            let millis = day * 86_400_000 + (day * 7_919_993) % 86_400_000
            let expected = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second],
                                                   from: Date(timeIntervalSince1970: Double(millis) / 1000))
            let fields = UTCTime.fields(millis: millis)
            if [fields.year, fields.month, fields.day, fields.hour, fields.minute, fields.second]
                != [expected.year, expected.month, expected.day, expected.hour, expected.minute, expected.second] {
                mismatches.append("\(millis): \(fields) vs \(expected)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }
}
