import CoreMetrics
import Foundation
import Metrics
import Prometheus
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
            for outcome in ["delivered", "failed", "cancelled"] {
                _ = Counter(label: "tocsin_deliveries_total", dimensions: [("channel", channel), ("outcome", outcome)])
            }
            for result in ["delivered", "retry", "failed"] {
                _ = Counter(label: "tocsin_attempts_total", dimensions: [("channel", channel), ("result", result)])
            }
            _ = Counter(label: "tocsin_retries_total", dimensions: [("channel", channel)])
        }
    }

    /// One attempt and, when it ended the delivery, the delivery's outcome.
    static func attempt(channel: String, state: DeliveryState, number: Int, createdAt: Date, finishedAt: Date) {
        let result = switch state {
        case .delivered: "delivered"
        case .failed: "failed"
        case .cancelled: "cancelled"
        default: "retry"
        }
        Counter(label: "tocsin_attempts_total", dimensions: [("channel", channel), ("result", result)]).increment()
        if number > 1 { Counter(label: "tocsin_retries_total", dimensions: [("channel", channel)]).increment() }
        if state.isFinal { delivery(channel: channel, state: state) }
        if state == .delivered {
            Metrics.Timer(label: deliveryDuration, dimensions: [("channel", channel)])
                .recordNanoseconds(Int64(max(0, finishedAt.timeIntervalSince(createdAt)) * 1e9))
            Gauge(label: "tocsin_last_delivery_timestamp_seconds", dimensions: [("channel", channel)])
                .record(finishedAt.timeIntervalSince1970)
        }
    }

    /// A delivery that reached a final state (after an attempt, or cancelled or expired without one).
    static func delivery(channel: String, state: DeliveryState) {
        Counter(label: "tocsin_deliveries_total", dimensions: [("channel", channel), ("outcome", state.rawValue)]).increment()
    }

    static func reload(accepted: Bool) {
        Counter(label: "tocsin_config_reloads_total", dimensions: [("result", accepted ? "applied" : "refused")]).increment()
    }
}
