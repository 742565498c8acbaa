import Foundation
import Prometheus
import TocsinCore

/// The daemon's metrics, rendered in the Prometheus text format: swift-prometheus's registry, then the per-channel
/// event series of `ChannelMetrics`. Events (attempts, deliveries, reloads) are counted where they happen; levels
/// (queue depth, audit, heartbeat, expiry) are set by `MetricsService` just before each rendering.
///
/// Every family is written with its HELP text (swift-metrics' bridge registers families without one,
/// which `promtool check metrics` refuses). Names follow Prometheus conventions: `_total` on counters only, base
/// units (`_seconds`), `_timestamp_seconds` for times. Labels are bounded: `channel` (the configured channels) and
/// fixed sets of outcomes, never an incident or a delivery.
enum DaemonMetrics {
    /// One metric family: its name and its HELP line.
    struct Family: Sendable {
        let name: String
        let help: String

        /// The whole name is given as `metricName`: the unit is already in it.
        var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }
    }

    static let deliveries = Family(name: "tocsin_deliveries_total", help: "Deliveries that reached a final state, by channel and outcome (delivered, failed, cancelled).")
    static let attempts = Family(name: "tocsin_attempts_total", help: "Delivery attempts, by channel and result (delivered, retry, failed, cancelled).")
    static let retries = Family(name: "tocsin_retries_total", help: "Attempts after a delivery's first one, by channel.")
    static let deliveryDuration = Family(name: "tocsin_delivery_duration_seconds", help: "Time from the trigger to the receiver's success answer, by channel.")
    static let lastDelivery = Family(name: "tocsin_last_delivery_timestamp_seconds", help: "When the channel last delivered (Unix time); absent before its first delivery since the start.")
    static let reloads = Family(name: "tocsin_config_reloads_total", help: "Configuration reloads, by result (applied, refused).")
    static let pending = Family(name: "tocsin_deliveries_pending", help: "Deliveries not yet final (waiting, sending or retrying).")
    static let oldestPending = Family(name: "tocsin_oldest_pending_delivery_seconds", help: "Age of the oldest delivery not yet final; 0 when none is.")
    static let retrying = Family(name: "tocsin_channel_retrying_deliveries", help: "Deliveries of the channel whose last attempt failed and that will be retried.")
    static let auditEntries = Family(name: "tocsin_audit_entries", help: "Entries in the audit chain.")
    static let auditIntact = Family(name: "tocsin_audit_chain_intact", help: "1 when the audit chain and its signed checkpoints verify and agree with the heads record, 0 when not (as the health check's audit line).")
    static let credentialExpiry = Family(name: "tocsin_credential_expiry_timestamp_seconds", help: "When the channel's credential expires (Unix time), from its expires: key.")
    static let certificateExpiry = Family(name: "tocsin_certificate_expiry_timestamp_seconds", help: "When the TLS certificate the channel's receiver last presented expires (Unix time).")
    static let heartbeatOK = Family(name: "tocsin_heartbeat_ok", help: "1 when the heartbeat is getting through (the last one did not fail and one was delivered within its period and grace), 0 when not.")
    static let heartbeatSuccess = Family(name: "tocsin_heartbeat_last_success_timestamp_seconds", help: "When a heartbeat was last delivered (Unix time); 0 before the first.")
    static let rendered = Family(name: "tocsin_metrics_rendered_timestamp_seconds", help: "When tocsind rendered these metrics (Unix time): an old value in the textfile means tocsind is down or stuck.")

    /// Every family the daemon may write, for the docs and the tests.
    static let families = [
        deliveries, attempts, retries, deliveryDuration, lastDelivery, reloads, pending, oldestPending, retrying, auditEntries,
        auditIntact, credentialExpiry, certificateExpiry, heartbeatOK, heartbeatSuccess, rendered,
    ]

    /// The process's registry: counters live as long as the process, so one registry for all.
    static let registry = PrometheusCollectorRegistry()

    /// Declares the process-wide series at zero; returns the registry to render.
    static func bootstrap() -> PrometheusCollectorRegistry {
        for result in ["applied", "refused"] { _ = counter(reloads, [("result", result)]) }
        return registry
    }

    static func counter(_ family: Family, _ labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(descriptor: family.descriptor, labels: labels)
    }

    static func gauge(_ family: Family, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: family.descriptor, labels: labels)
    }

    // Time to deliver runs from the trigger to the receiver's 2xx: seconds to minutes, not milliseconds.
    static let durationBuckets: [Duration] = [
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(5),
        .seconds(10), .seconds(30), .seconds(60), .seconds(120), .seconds(300), .seconds(600),
    ]

    /// The per-channel event series, kept outside the registry (see `ChannelMetrics` for why).
    static let channels = ChannelMetrics()

    /// Creates every per-channel series at zero, so a channel that never failed still shows `…{outcome="failed"} 0`.
    static func declare(channels names: [String]) {
        channels.declare(names)
    }

    /// One attempt and, when it ended the delivery, the delivery's outcome.
    static func attempt(channel: String, state: DeliveryState, number: Int, createdAt: Date, finishedAt: Date) {
        let elapsed = Duration.nanoseconds(Int64(max(0, finishedAt.timeIntervalSince(createdAt)) * 1e9))
        channels.attempt(channel: channel, state: state, number: number, timeToDeliver: elapsed, at: finishedAt.timeIntervalSince1970)
    }

    /// A delivery that reached a final state (after an attempt, or cancelled or expired without one).
    static func delivery(channel: String, state: DeliveryState) {
        channels.delivery(channel: channel, state: state)
    }

    static func reload(accepted: Bool) {
        counter(reloads, [("result", accepted ? "applied" : "refused")]).increment()
    }
}
