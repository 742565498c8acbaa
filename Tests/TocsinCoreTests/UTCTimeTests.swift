import Foundation
import Testing
import TocsinCore
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

/// CAP's `sent`, written without Foundation's formatter: the same text `ISO8601DateFormatter` writes, with `+00:00`
/// for UTC, in zones west and east of Greenwich, with half- and quarter-hour offsets, across DST changes.
struct CAPDateTests {
    @Test(arguments: ["UTC", "America/Toronto", "America/St_Johns", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham", "Europe/Paris", "America/Anchorage"])
    func agreesWithISO8601DateFormatter(zone: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        var mismatches: [String] = []
        // Every ~37 hours from 1995 to 2045, with a fraction of a second that moves: DST changes both ways included.
        var seconds = 788_918_400.0
        while seconds < 2_366_841_600 {
            let date = Date(timeIntervalSince1970: seconds + Double(Int(seconds) % 1000) / 1000)
            let expected = formatter.string(from: date).replacingOccurrences(of: "Z", with: "+00:00")
            let text = CAPDate.format(date, timeZone: timeZone)
            if text != expected { mismatches.append("\(date.timeIntervalSince1970): \(text) vs \(expected)") }
            seconds += 133_337
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    @Test func knownMoments() throws {
        // 2026-11-23T16:40:42Z, 0.999 s past: whole seconds, truncated.
        let date = Date(timeIntervalSince1970: 1_795_452_042.999)
        #expect(CAPDate.format(date, timeZone: try #require(TimeZone(identifier: "UTC"))) == "2026-11-23T16:40:42+00:00")
        #expect(CAPDate.format(date, timeZone: try #require(TimeZone(identifier: "America/Toronto"))) == "2026-11-23T11:40:42-05:00")
        #expect(CAPDate.format(date, timeZone: try #require(TimeZone(identifier: "Asia/Kolkata"))) == "2026-11-23T22:10:42+05:30")
        #expect(UTCTime.internetDateTime(millis: -1, offsetMinutes: 0) == "1969-12-31T23:59:59+00:00")
    }
}

struct BatchedSystemRandomTests {
    /// Draws across several batches are not repeated (a refill that reused its buffer would repeat 64 at a time),
    /// and every bit takes both values.
    @Test func drawsDifferAcrossBatchesAndUseEveryBit() {
        var random = BatchedSystemRandom()
        let draws = (0..<1_000).map { _ in random.next() }
        #expect(Set(draws).count == draws.count)
        #expect(draws.reduce(0, |) == .max)
        #expect(draws.reduce(.max, &) == 0)
    }

    @Test func twoGeneratorsDrawDifferentNumbers() {
        var one = BatchedSystemRandom(), two = BatchedSystemRandom()
        #expect((0..<8).map { _ in one.next() } != (0..<8).map { _ in two.next() })
    }
}
