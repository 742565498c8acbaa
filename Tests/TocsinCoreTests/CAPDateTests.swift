import Foundation
import Testing
import TocsinCore
import TocsinText

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
