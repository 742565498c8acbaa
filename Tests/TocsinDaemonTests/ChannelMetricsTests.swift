import Testing
import TocsinCore

@testable import TocsinDaemon

/// The per-channel series, counted and written in the Prometheus text format by `ChannelMetrics` (the integration
/// suites read the daemon's file with prometheus_client and promtool).
struct ChannelMetricsTests {
    static func rendered(_ metrics: ChannelMetrics) -> String {
        var buffer: [UInt8] = []
        metrics.render(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    static let help = Dictionary(uniqueKeysWithValues: DaemonMetrics.families.map { ($0.name, $0.help) })

    static func header(_ name: String, _ type: String) -> String {
        "# HELP \(name) \(help[name]!)\n# TYPE \(name) \(type)\n"
    }

    @Test func anAttemptCountsItsResultItsDeliveryAndItsTime() {
        let metrics = ChannelMetrics()
        metrics.declare(["sms", "ops"])
        metrics.attempt(channel: "ops", state: .delivered, number: 1, timeToDeliver: .milliseconds(300), at: 1_700_000_000.5)
        metrics.attempt(channel: "sms", state: .retrying, number: 1, timeToDeliver: .seconds(1), at: 1_700_000_001)
        metrics.attempt(channel: "sms", state: .failed, number: 2, timeToDeliver: .seconds(9), at: 1_700_000_009)

        let buckets = ["0.1": 0, "0.25": 0, "0.5": 1, "1.0": 1, "2.0": 1, "5.0": 1, "10.0": 1, "30.0": 1, "60.0": 1, "120.0": 1, "300.0": 1, "600.0": 1]
        let order = ["0.1", "0.25", "0.5", "1.0", "2.0", "5.0", "10.0", "30.0", "60.0", "120.0", "300.0", "600.0"]
        let expected = Self.header("tocsin_attempts_total", "counter")
            + """
            tocsin_attempts_total{channel="ops",result="delivered"} 1
            tocsin_attempts_total{channel="ops",result="retry"} 0
            tocsin_attempts_total{channel="ops",result="failed"} 0
            tocsin_attempts_total{channel="ops",result="cancelled"} 0
            tocsin_attempts_total{channel="sms",result="delivered"} 0
            tocsin_attempts_total{channel="sms",result="retry"} 1
            tocsin_attempts_total{channel="sms",result="failed"} 1
            tocsin_attempts_total{channel="sms",result="cancelled"} 0

            """
            + Self.header("tocsin_deliveries_total", "counter")
            + """
            tocsin_deliveries_total{channel="ops",outcome="delivered"} 1
            tocsin_deliveries_total{channel="ops",outcome="failed"} 0
            tocsin_deliveries_total{channel="ops",outcome="cancelled"} 0
            tocsin_deliveries_total{channel="sms",outcome="delivered"} 0
            tocsin_deliveries_total{channel="sms",outcome="failed"} 1
            tocsin_deliveries_total{channel="sms",outcome="cancelled"} 0

            """
            + Self.header("tocsin_retries_total", "counter")
            + """
            tocsin_retries_total{channel="ops"} 0
            tocsin_retries_total{channel="sms"} 1

            """
            + Self.header("tocsin_delivery_duration_seconds", "histogram")
            + order.map { #"tocsin_delivery_duration_seconds_bucket{channel="ops",le="\#($0)"} \#(buckets[$0]!)"# + "\n" }.joined()
            + """
            tocsin_delivery_duration_seconds_bucket{channel="ops",le="+Inf"} 1
            tocsin_delivery_duration_seconds_sum{channel="ops"} 0.3
            tocsin_delivery_duration_seconds_count{channel="ops"} 1

            """
            + Self.header("tocsin_last_delivery_timestamp_seconds", "gauge")
            + """
            tocsin_last_delivery_timestamp_seconds{channel="ops"} 1700000000.5

            """
        #expect(Self.rendered(metrics) == expected)
    }

    /// A channel that never delivered shows its counters at zero and no time: no histogram, no last delivery.
    @Test func aChannelThatNeverDeliveredHasNoTimes() {
        let metrics = ChannelMetrics()
        metrics.declare(["quiet"])
        metrics.delivery(channel: "quiet", state: .cancelled)
        let text = Self.rendered(metrics)
        #expect(text.contains(#"tocsin_deliveries_total{channel="quiet",outcome="cancelled"} 1"#))
        #expect(text.contains(#"tocsin_attempts_total{channel="quiet",result="failed"} 0"#))
        #expect(!text.contains("tocsin_delivery_duration_seconds"))
        #expect(!text.contains("tocsin_last_delivery_timestamp_seconds"))
    }

    @Test func nothingDeclaredWritesNothing() {
        #expect(Self.rendered(ChannelMetrics()).isEmpty)
    }

    /// Buckets are cumulative; a time above every bound counts in `+Inf`, the sum and the count only.
    @Test func bucketsAreCumulative() throws {
        let metrics = ChannelMetrics()
        for time: Duration in [.milliseconds(50), .milliseconds(100), .milliseconds(200), .seconds(700)] {
            metrics.attempt(channel: "ops", state: .delivered, number: 1, timeToDeliver: time, at: 1)
        }
        let lines = Self.rendered(metrics).split(separator: "\n").map(String.init)
        func value(_ series: String) -> String? {
            lines.first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
        }
        #expect(value(#"tocsin_delivery_duration_seconds_bucket{channel="ops",le="0.1"}"#) == "2")
        #expect(value(#"tocsin_delivery_duration_seconds_bucket{channel="ops",le="0.25"}"#) == "3")
        #expect(value(#"tocsin_delivery_duration_seconds_bucket{channel="ops",le="600.0"}"#) == "3")
        #expect(value(#"tocsin_delivery_duration_seconds_bucket{channel="ops",le="+Inf"}"#) == "4")
        #expect(value(#"tocsin_delivery_duration_seconds_count{channel="ops"}"#) == "4")
        #expect(value(#"tocsin_delivery_duration_seconds_sum{channel="ops"}"#) == "700.35")
        #expect(try #require(metrics.counts(of: "ops")).attempts.delivered == 4)
    }

    /// A channel's name is the config's, so it is escaped as the text format asks: it cannot end the label or the line.
    @Test func aChannelNameCannotBreakTheFormat() {
        let metrics = ChannelMetrics()
        metrics.declare(["a\"b\\c\nd"])
        let text = Self.rendered(metrics)
        #expect(text.contains(#"tocsin_retries_total{channel="a\"b\\c\nd"} 0"# + "\n"))
        #expect(text.split(separator: "\n").allSatisfy { $0.hasPrefix("# ") || $0.hasPrefix("tocsin_") })
    }

    /// Concurrent events on one channel are all counted (one lock per channel, nothing lost).
    @Test func concurrentEventsAreAllCounted() async throws {
        let metrics = ChannelMetrics()
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<8 {
                group.addTask {
                    for _ in 0..<500 {
                        metrics.attempt(channel: task.isMultiple(of: 2) ? "a" : "b", state: .delivered, number: 1, timeToDeliver: .seconds(1), at: 1)
                    }
                }
            }
        }
        #expect(try #require(metrics.counts(of: "a")).deliveries.delivered == 2_000)
        #expect(try #require(metrics.counts(of: "b")).durations.reduce(0, +) == 2_000)
    }

    /// The retrying level is written for the channels the caller names (the configured ones), in name order, and only
    /// for them: a channel a reload removed keeps its counters but no level.
    @Test func retryingIsWrittenForTheConfiguredChannelsOnly() {
        let metrics = ChannelMetrics()
        metrics.declare(["ops", "gone", "sms"])
        var buffer: [UInt8] = []
        metrics.render(into: &buffer, retrying: ["sms": 2, "ops": 0, "new\"one": 1])
        let text = String(decoding: buffer, as: UTF8.self)
        let expected = Self.header("tocsin_channel_retrying_deliveries", "gauge") + """
            tocsin_channel_retrying_deliveries{channel="new\\"one"} 1.0
            tocsin_channel_retrying_deliveries{channel="ops"} 0.0
            tocsin_channel_retrying_deliveries{channel="sms"} 2.0

            """
        #expect(text.hasSuffix(expected), "\(text)")
        #expect(!text.contains(#"tocsin_channel_retrying_deliveries{channel="gone"}"#))
        #expect(text.contains(#"tocsin_retries_total{channel="gone"} 0"#))
        #expect(!Self.rendered(metrics).contains("tocsin_channel_retrying_deliveries"))
    }
}
