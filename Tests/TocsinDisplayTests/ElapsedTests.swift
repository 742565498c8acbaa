import Testing
import TocsinDisplay
import TocsinProtocol

/// Durations as the report and `status` show them, now written without Foundation's `String(format:)`.
@Suite struct ElapsedTests {
    @Test(arguments: [
        (nil, "—", "—"),
        (0, "0 ms", "0 ms"),
        (850, "850 ms", "850 ms"),
        (999, "999 ms", "999 ms"),
        (1_000, "1.0 s", "1,0 s"),
        (1_249, "1.2 s", "1,2 s"),
        (1_250, "1.3 s", "1,3 s"),
        (2_400, "2.4 s", "2,4 s"),
        (59_949, "59.9 s", "59,9 s"),
        // Rounding up to a whole minute changes the form instead of showing "60.0 s".
        (59_950, "1 min 00 s", "1 min 00 s"),
        (185_000, "3 min 05 s", "3 min 05 s"),
        (600_000, "10 min 00 s", "10 min 00 s"),
        (3_599_499, "59 min 59 s", "59 min 59 s"),
    ] as [(Int64?, String, String)])
    func readsAsPeopleWriteIt(millis: Int64?, english: String, french: String) {
        #expect(Elapsed.text(millis, in: .en) == english)
        #expect(Elapsed.text(millis, in: .fr) == french)
    }
}
