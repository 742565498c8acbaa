import Foundation
import TocsinCore
import Yams

/// `metrics_listen`, `metrics_interval`, `health:` and `heartbeat:`: how the daemon tells it works.
extension ConfigParser {
    mutating func parseMonitoring(_ top: [String: Node], routes: [String: [String]]) -> Configuration.Monitoring {
        var monitoring = Configuration.Monitoring()
        if let text = reader.string(top["metrics_listen"], "metrics_listen") {
            if let address = Self.loopbackAddress(text) {
                monitoring.metricsListen = address
            } else {
                reader.error(
                    "'metrics_listen' must be a loopback address and port such as 127.0.0.1:9464, not '\(text)': "
                        + "the metrics are for this machine's collector; publish them through a proxy if another machine needs them",
                    at: top["metrics_listen"]
                )
            }
        }
        if let interval = reader.duration(top["metrics_interval"], "metrics_interval") {
            if interval < .seconds(1) { reader.error("'metrics_interval' must be at least 1s", at: top["metrics_interval"]) }
            monitoring.metricsInterval = interval
        }
        let health = reader.mapping(top["health"], "health", allowed: ConfigKeys.allowed(under: "health"))
        if let value = reader.duration(health["channel_failing_after"], "health.channel_failing_after") {
            if value <= .zero { reader.error("'health.channel_failing_after' must be more than 0", at: health["channel_failing_after"]) }
            monitoring.channelFailingAfter = value
        }
        if let value = reader.duration(health["expiry_warning"], "health.expiry_warning") {
            monitoring.expiryWarning = value
        }
        if let node = top["heartbeat"] {
            let map = reader.mapping(node, "heartbeat", allowed: ConfigKeys.allowed(under: "heartbeat"))
            let every = reader.duration(map["every"], "heartbeat.every")
            let route = reader.string(map["route"], "heartbeat.route", required: true, parent: node)
            if map["every"] == nil { reader.error("'heartbeat.every' is required, e.g. 24h", at: node) }
            if let every, every < .seconds(1) { reader.error("'heartbeat.every' must be at least 1s", at: map["every"]) }
            if let route, routes[route] == nil {
                let hint = YAMLReader.closest(to: route, in: Set(routes.keys)).map { " (did you mean '\($0)'?)" } ?? ""
                reader.error("'heartbeat.route' names route '\(route)', which is not defined under 'routes'\(hint)", at: map["route"])
            }
            if let every, let route { monitoring.heartbeat = Configuration.Heartbeat(every: every, route: route) }
        }
        return monitoring
    }

    /// `127.0.0.1:9464`, `127.0.0.2:80` or `[::1]:9464`; nil for anything that is not loopback.
    static func loopbackAddress(_ text: String) -> (host: String, port: Int)? {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[close...].hasPrefix("]:") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host == "::1" else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            let octets = host.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
            guard octets.count == 4, octets[0] == 127 else { return nil }
        }
        guard let port = Int(portText), (1...65535).contains(port) else { return nil }
        return (String(host), port)
    }

    /// `expires: 2027-03-01` (midnight UTC) or a full ISO 8601 time: when a channel's credential stops working.
    static func expiryDate(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
        // A date alone is that day in the machine's time zone, as the administrator who wrote it meant it: read as
        // UTC it would show as the evening before anywhere west of Greenwich.
        return try? Date(text, strategy: Date.ISO8601FormatStyle(timeZone: .current).year().month().day())
    }
}
