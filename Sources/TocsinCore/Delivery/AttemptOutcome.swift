public import Foundation

/// What one attempt came to, as the retry policy needs it.
public enum AttemptOutcome: Sendable, Hashable {
    /// The service accepted the message.
    case delivered
    /// Worth trying again: 408, 425, 429, 5xx, transport errors. `retryAfter` is the service's own wait, if any.
    case retryable(reason: String, retryAfter: Duration?)
    /// Trying again cannot help: other 4xx (a configuration problem on our side), 3xx (we never follow redirects).
    case permanent(reason: String, misconfiguration: Bool)

    /// Classifies an HTTP answer the way DESIGN.md's delivery semantics say.
    public static func classify(status: Int, retryAfter: String?, now: Date) -> AttemptOutcome {
        switch status {
        case 200..<300:
            return .delivered
        case 408, 425, 429, 500..<600:
            return .retryable(reason: "HTTP \(status)", retryAfter: retryAfter.flatMap { RetryAfter.parse($0, now: now) })
        case 300..<400:
            return .permanent(reason: "HTTP \(status): the endpoint redirects; configure its final URL", misconfiguration: true)
        case 401, 403:
            return .permanent(reason: "HTTP \(status): the service refused our credentials; check the channel's token or secret", misconfiguration: true)
        case 404, 410:
            return .permanent(reason: "HTTP \(status): the endpoint does not exist (any more); check the channel's URL", misconfiguration: true)
        default:
            return .permanent(reason: "HTTP \(status): the service rejected the request; check the channel's configuration", misconfiguration: true)
        }
    }
}

/// `Retry-After` as RFC 9110 allows: delay-seconds or an HTTP-date.
public enum RetryAfter {
    public static func parse(_ value: String, now: Date) -> Duration? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(trimmed), seconds >= 0 { return .seconds(seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        // RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms recipients must accept.
        let formats = ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"]
        let parsed = formats.lazy.compactMap { format -> Date? in
            formatter.dateFormat = format
            return formatter.date(from: trimmed)
        }.first
        guard let date = parsed else { return nil }
        let milliseconds = max(0, Int64(date.timeIntervalSince(now) * 1000))
        return .milliseconds(milliseconds)
    }
}
