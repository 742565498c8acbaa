import Prometheus
import Synchronization
import TocsinCore

/// The per-channel series — attempts and deliveries by outcome, retries, the time to deliver, the last delivery and
/// the deliveries waiting to be retried — counted here and rendered in the Prometheus text format after
/// swift-prometheus' registry.
///
/// Written here rather than registered in swift-prometheus: its registry makes each labelled series by copying its
/// family's whole dictionary (`MetricFamily.adding`, 2.4.1), so N channels cost O(N²). At 1,000 channels callgrind
/// counted ~1.95 G of the 2.4 G instructions from start to READY in making the counters, and 171 M of the first
/// alert's 582 M in making each channel's histogram and gauge at its first delivery. Here a channel's series are
/// one object, found by name, with one lock per event.
final class ChannelMetrics: Sendable {
    /// Counts by the outcome label's value.
    struct Outcomes: Sendable, Equatable {
        var delivered = 0, retry = 0, failed = 0, cancelled = 0
    }

    /// One channel's series.
    struct Counts: Sendable, Equatable {
        var attempts = Outcomes()
        /// Only the final states: `retry` stays 0 and is not rendered.
        var deliveries = Outcomes()
        var retries = 0
        /// Deliveries whose attempt succeeded, by the first bucket whose bound holds the time to deliver (the last
        /// slot: above every bound); rendered cumulative, as Prometheus wants.
        var durations = [Int](repeating: 0, count: ChannelMetrics.bounds.count + 1)
        var durationSum = Duration.zero
        /// When the channel last delivered (Unix time), nil before its first delivery since the start: the histogram
        /// and the gauge are absent until then, so a channel that never delivered shows no time.
        var lastDelivery: Double?
    }

    private final class Series: Sendable {
        /// `channel="…"`, escaped once.
        let label: [UInt8]
        let counts = Mutex(Counts())

        init(_ name: String) { label = ChannelMetrics.label(name) }
    }

    /// `channel="…"` with the name escaped.
    private static func label(_ channel: String) -> [UInt8] {
        var label = Array(#"channel=""#.utf8)
        appendEscaped(channel, quote: true, to: &label)
        label.append(UInt8(ascii: "\""))
        return label
    }

    static let bounds = DaemonMetrics.durationBuckets
    /// The bounds as the `le` label writes them: swift-prometheus' own representation, as before.
    private static let boundLabels = bounds.map { Array(#",le=""#.utf8) + Array($0.bucketRepresentation.utf8) + [UInt8(ascii: "\"")] }

    private let series = Mutex<[String: Series]>([:])

    /// Makes the series of these channels at zero, so a channel that never failed still shows
    /// `…{outcome="failed"} 0`. Series of channels a reload removed stay until the process ends, as counters do.
    func declare(_ channels: some Sequence<String>) {
        series.withLock { series in
            for channel in channels where series[channel] == nil { series[channel] = Series(channel) }
        }
    }

    /// One attempt and, when it ended the delivery, the delivery's outcome.
    func attempt(channel: String, state: DeliveryState, number: Int, timeToDeliver: Duration, at finished: Double) {
        update(channel) { counts in
            counts.attempts.count(state)
            if number > 1 { counts.retries += 1 }
            if state.isFinal { counts.deliveries.count(state) }
            if state == .delivered {
                let slot = Self.bounds.firstIndex { timeToDeliver <= $0 } ?? Self.bounds.count
                counts.durations[slot] += 1
                counts.durationSum += timeToDeliver
                counts.lastDelivery = finished
            }
        }
    }

    /// A delivery that reached a final state without an attempt ending it (cancelled, expired, failed at once).
    func delivery(channel: String, state: DeliveryState) {
        guard state.isFinal else { return }
        update(channel) { $0.deliveries.count(state) }
    }

    /// A copy of one channel's counts, for tests.
    func counts(of channel: String) -> Counts? {
        series.withLock { $0[channel] }?.counts.withLock { $0 }
    }

    private func update(_ channel: String, _ change: (inout Counts) -> Void) {
        let kept = series.withLock { series in
            if let known = series[channel] { return known }
            let made = Series(channel)
            series[channel] = made
            return made
        }
        kept.counts.withLock { change(&$0) }
    }

    /// Appends the five event families, channels in name order, then the retrying level of each configured channel
    /// (`retrying`, read by the caller just before); a family with no series yet is left out whole.
    func render(into buffer: inout [UInt8], retrying: [String: Int] = [:]) {
        let kept = series.withLock { $0 }
        let rows = kept.sorted { $0.key < $1.key }.map { ($0.value.label, $0.value.counts.withLock { $0 }) }
        let delivered = rows.filter { $0.1.lastDelivery != nil }

        func header(_ family: DaemonMetrics.Family, _ type: String) {
            buffer += "# HELP \(family.name) ".utf8
            Self.appendEscaped(family.help, quote: false, to: &buffer)
            buffer += "\n# TYPE \(family.name) \(type)\n".utf8
        }
        func sample(_ name: String, _ label: [UInt8], labels extra: String = "", _ value: String) {
            buffer += name.utf8
            buffer.append(UInt8(ascii: "{"))
            buffer += label
            buffer += extra.utf8
            buffer += "} \(value)\n".utf8
        }
        func outcomes(_ family: DaemonMetrics.Family, _ key: String, _ pick: (Counts) -> Outcomes, retry: Bool) {
            guard !rows.isEmpty else { return }
            header(family, "counter")
            for (label, counts) in rows {
                let outcomes = pick(counts)
                sample(family.name, label, labels: #",\#(key)="delivered""#, String(outcomes.delivered))
                if retry { sample(family.name, label, labels: #",\#(key)="retry""#, String(outcomes.retry)) }
                sample(family.name, label, labels: #",\#(key)="failed""#, String(outcomes.failed))
                sample(family.name, label, labels: #",\#(key)="cancelled""#, String(outcomes.cancelled))
            }
        }

        /// One value per channel; the family is left out when there is none.
        func gauge(_ family: DaemonMetrics.Family, _ values: [([UInt8], String)]) {
            guard !values.isEmpty else { return }
            header(family, "gauge")
            for (label, value) in values { sample(family.name, label, value) }
        }

        outcomes(DaemonMetrics.attempts, "result", \.attempts, retry: true)
        outcomes(DaemonMetrics.deliveries, "outcome", \.deliveries, retry: false)
        if !rows.isEmpty {
            header(DaemonMetrics.retries, "counter")
            for (label, counts) in rows { sample(DaemonMetrics.retries.name, label, String(counts.retries)) }
        }
        if !delivered.isEmpty {
            let histogram = DaemonMetrics.deliveryDuration.name
            header(DaemonMetrics.deliveryDuration, "histogram")
            for (label, counts) in delivered {
                var below = 0
                for (slot, bound) in Self.boundLabels.enumerated() {
                    below += counts.durations[slot]
                    buffer += histogram.utf8
                    buffer += "_bucket{".utf8
                    buffer += label
                    buffer += bound
                    buffer += "} \(below)\n".utf8
                }
                let count = below + counts.durations[Self.bounds.count]
                sample(histogram + "_bucket", label, labels: #",le="+Inf""#, String(count))
                sample(histogram + "_sum", label, counts.durationSum.bucketRepresentation)
                sample(histogram + "_count", label, String(count))
            }
        }
        gauge(DaemonMetrics.lastDelivery, delivered.map { ($0.0, "\($0.1.lastDelivery ?? 0)") })
        // Written as a Double ("2.0"), as the registry's gauge wrote it.
        gauge(DaemonMetrics.retrying, retrying.sorted { $0.key < $1.key }.map { (kept[$0.key]?.label ?? Self.label($0.key), "\(Double($0.value))") })
    }
}

extension ChannelMetrics {
    /// The text exposition format's escapes: backslash and line feed in HELP text, and the double quote too in a
    /// label value.
    static func appendEscaped(_ value: String, quote: Bool, to buffer: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer += #"\\"#.utf8
            case UInt8(ascii: "\n"): buffer += #"\n"#.utf8
            case UInt8(ascii: "\"") where quote: buffer += #"\""#.utf8
            default: buffer.append(byte)
            }
        }
    }
}

extension ChannelMetrics.Outcomes {
    /// Counts one more under the label value of `state` (delivered, failed, cancelled; any other state is a retry).
    mutating func count(_ state: DeliveryState) {
        switch state {
        case .delivered: delivered += 1
        case .failed: failed += 1
        case .cancelled: cancelled += 1
        default: retry += 1
        }
    }
}
