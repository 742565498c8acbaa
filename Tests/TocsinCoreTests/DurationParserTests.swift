import Testing
import TocsinCore

struct DurationParserTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)),
        ("10s", .seconds(10)),
        ("15m", .seconds(15 * 60)),
        ("1h", .seconds(3600)),
        ("2h", .seconds(7200)),
        ("1d", .seconds(86_400)),
        ("1.5s", .milliseconds(1500)),
        ("0s", .zero),
        ("30", .seconds(30)),
        ("0.25", .milliseconds(250)),
        (" 10s ", .seconds(10)),
    ])
    func parsesOperatorDurations(text: String, expected: Duration) {
        #expect(DurationParser.parse(text) == expected)
    }

    @Test(arguments: [
        "", "   ", "abc", "ten seconds", "10x", "10 s", "s", "ms", "m", "h", "1w", "10S",
        "-5s", "-1", "-500ms", "1e400", "inf", "nan", "5sec",
    ])
    func refusesGarbageAndNegativeDurations(text: String) {
        #expect(DurationParser.parse(text) == nil)
    }

    @Test(arguments: ["1e16", "200000000000d", "9999999999999999h", "1e300ms"])
    func hugeDurationsAreRefusedInsteadOfCrashing(text: String) {
        // `deadline: 1e16` in tocsin.yaml must become a diagnostic, not a crash of `tocsind --check-config`.
        #expect(DurationParser.parse(text) == nil)
    }

    @Test func millisecondsAndSecondsOfADuration() {
        #expect(Duration.milliseconds(1500).milliseconds == 1500)
        #expect(Duration.seconds(2).seconds == 2.0)
        #expect(Duration.milliseconds(850).humanReadable == "850 ms")
        #expect(Duration.seconds(245).humanReadable == "4 min 5 s")
    }
}
