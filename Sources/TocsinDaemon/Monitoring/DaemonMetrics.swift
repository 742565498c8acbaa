import CoreMetrics
import Foundation
import Metrics
import Prometheus
import Synchronization
import TocsinCore

/// The daemon's metrics, recorded through swift-metrics and rendered in the Prometheus text format by
/// swift-prometheus. Events (attempts, deliveries, reloads) are counted where they happen; levels (queue depth,
/// audit length, heartbeat, expiry) are set by `MetricsService` just before each rendering.
///
/// Names follow Prometheus conventions: `_total` counters, `_seconds` units, `_timestamp_seconds` for times.
enum DaemonMetrics {
    static let deliveryDuration = "tocsin_delivery_duration_seconds"

    /// Installs the Prometheus backend for the whole process; returns the registry to render.
    static func bootstrap() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Time to deliver runs from the trigger to the receiver's 2xx: seconds to minutes, not milliseconds.
        factory.durationHistogramBuckets[deliveryDuration] = [
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
            .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }

    /// Creates every per-channel series at zero, so a channel that never failed still shows `…{outcome="failed"} 0`.
    static func declare(channels: [String]) {
        for channel in channels {
            for outcome in ["delivered", "failed", "cancelled"] { _ = handles.counter("tocsin_deliveries_total", channel, "outcome", outcome) }
            for result in ["delivered", "retry", "failed"] { _ = handles.counter("tocsin_attempts_total", channel, "result", result) }
            _ = handles.counter("tocsin_retries_total", channel)
        }
    }

    /// One attempt and, when it ended the delivery, the delivery's outcome.
    static func attempt(channel: String, state: DeliveryState, number: Int, createdAt: Date, finishedAt: Date) {
        let kept = handles.channel(channel)
        switch state {
        case .delivered: kept.attemptsDelivered.increment()
        case .failed: kept.attemptsFailed.increment()
        case .cancelled: handles.counter("tocsin_attempts_total", channel, "result", "cancelled").increment()
        default: kept.attemptsRetry.increment()
        }
        if number > 1 { kept.retries.increment() }
        if state.isFinal { delivery(channel: channel, state: state) }
        if state == .delivered {
            let (duration, lastDelivery) = kept.deliveredHandles()
            duration.recordNanoseconds(Int64(max(0, finishedAt.timeIntervalSince(createdAt)) * 1e9))
            lastDelivery.record(finishedAt.timeIntervalSince1970)
        }
    }

    /// A delivery that reached a final state (after an attempt, or cancelled or expired without one).
    static func delivery(channel: String, state: DeliveryState) {
        let kept = handles.channel(channel)
        switch state {
        case .delivered: kept.deliveriesDelivered.increment()
        case .failed: kept.deliveriesFailed.increment()
        case .cancelled: kept.deliveriesCancelled.increment()
        default: handles.counter("tocsin_deliveries_total", channel, "outcome", state.rawValue).increment()
        }
    }

    static func reload(accepted: Bool) {
        Counter(label: "tocsin_config_reloads_total", dimensions: [("result", accepted ? "applied" : "refused")]).increment()
    }

    /// The per-channel handles, made once each: making one asks the Prometheus factory, which validates the name and
    /// looks the series up under its lock (3 such look-ups per delivery, seen in callgrind's profile of a send).
    private static let handles = Handles()

    private final class Handles: Sendable {
        private struct Key: Hashable {
            var label: String
            var channel: String
            var dimension: String?
            var value: String?
        }

        /// A channel's handles for the per-attempt events, found with one look-up keyed by the channel's name alone:
        /// hashing a four-string key four times per delivery showed in callgrind's profile of a send.
        final class Channel: Sendable {
            let attemptsDelivered, attemptsRetry, attemptsFailed, retries: CoreMetrics.Counter
            let deliveriesDelivered, deliveriesFailed, deliveriesCancelled: CoreMetrics.Counter
            let name: String
            let handles: Handles
            /// Made at the first delivery, not before: a channel that never delivered shows no last-delivery time.
            private let delivered = Mutex<(CoreMetrics.Timer, CoreMetrics.Gauge)?>(nil)

            func deliveredHandles() -> (CoreMetrics.Timer, CoreMetrics.Gauge) {
                if let kept = delivered.withLock({ $0 }) { return kept }
                let made = (handles.timer(DaemonMetrics.deliveryDuration, name), handles.gauge("tocsin_last_delivery_timestamp_seconds", name))
                delivered.withLock { $0 = made }
                return made
            }

            init(_ name: String, _ handles: Handles) {
                self.name = name
                self.handles = handles
                attemptsDelivered = handles.counter("tocsin_attempts_total", name, "result", "delivered")
                attemptsRetry = handles.counter("tocsin_attempts_total", name, "result", "retry")
                attemptsFailed = handles.counter("tocsin_attempts_total", name, "result", "failed")
                retries = handles.counter("tocsin_retries_total", name)
                deliveriesDelivered = handles.counter("tocsin_deliveries_total", name, "outcome", "delivered")
                deliveriesFailed = handles.counter("tocsin_deliveries_total", name, "outcome", "failed")
                deliveriesCancelled = handles.counter("tocsin_deliveries_total", name, "outcome", "cancelled")
            }
        }

        private let channels = Mutex<[String: Channel]>([:])

        func channel(_ name: String) -> Channel {
            if let known = channels.withLock({ $0[name] }) { return known }
            let made = Channel(name, self)
            return Self.keep(made, at: name, in: channels)
        }

        private let counters = Mutex<[Key: CoreMetrics.Counter]>([:])
        private let timers = Mutex<[Key: CoreMetrics.Timer]>([:])
        private let gauges = Mutex<[Key: CoreMetrics.Gauge]>([:])

        /// The handle already kept for `key` (another thread may have made it first), else `made`, now kept.
        private static func keep<K: Hashable & Sendable, Handle: Sendable>(_ made: Handle, at key: K, in handles: borrowing Mutex<[K: Handle]>) -> Handle {
            handles.withLock { kept in
                if let known = kept[key] { return known }
                kept[key] = made
                return made
            }
        }

        func counter(_ label: String, _ channel: String, _ dimension: String? = nil, _ value: String? = nil) -> CoreMetrics.Counter {
            let key = Key(label: label, channel: channel, dimension: dimension, value: value)
            if let known = counters.withLock({ $0[key] }) { return known }
            var dimensions = [("channel", channel)]
            if let dimension, let value { dimensions.append((dimension, value)) }
            let made = CoreMetrics.Counter(label: label, dimensions: dimensions)
            return Self.keep(made, at: key, in: counters)
        }

        func timer(_ label: String, _ channel: String) -> CoreMetrics.Timer {
            let key = Key(label: label, channel: channel)
            if let known = timers.withLock({ $0[key] }) { return known }
            let made = CoreMetrics.Timer(label: label, dimensions: [("channel", channel)])
            return Self.keep(made, at: key, in: timers)
        }

        func gauge(_ label: String, _ channel: String) -> CoreMetrics.Gauge {
            let key = Key(label: label, channel: channel)
            if let known = gauges.withLock({ $0[key] }) { return known }
            let made = CoreMetrics.Gauge(label: label, dimensions: [("channel", channel)])
            return Self.keep(made, at: key, in: gauges)
        }
    }
}
