import FoundationEssentials

/// What kind of failure a delivery's last error is, language-neutral (`errorKind` in the JSON), so that each client
/// says it in its operator's language ("pas de réponse après 5 s", "connection refused") instead of showing the
/// daemon's English detail (issue 16, item 2).
public enum ErrorKind: String, Codable, Sendable, CaseIterable {
    /// No answer within the timeout.
    case timeout
    /// The receiver's host refused the connection (nothing listens on that port).
    case connectionRefused = "connection-refused"
    /// No connection could be made (unreachable, or refused without the system saying so).
    case connectionFailed = "connection-failed"
    /// The host name did not resolve.
    case dns
    /// The TLS handshake or the certificate's verification failed.
    case tls
    /// The connection broke while sending or receiving, or the answer was garbled.
    case connectionBroken = "connection-broken"
    /// The service answered with a status code that is not a success (`lastStatus`, `httpStatus` give it).
    case httpStatus = "http-status"
    /// The delivery's deadline passed before its next attempt.
    case deadline
    /// Anything else (a file that could not be written, an invalid request).
    case other

    /// The leading words of TocsinTransport's `TransportError.description` for each of its kinds ("timeout after
    /// 5.0 s (curl 28: …)"); DaemonTests checks that every transport kind is read back here.
    public static let transportPhrases: [(String, ErrorKind)] = [
        ("timeout", .timeout), ("connection failed", .connectionFailed), ("DNS lookup failed", .dns),
        ("TLS failure", .tls), ("send/receive failure", .connectionBroken), ("transport error", .other),
    ]

    /// What the transport appends to a connect failure when the system said ECONNREFUSED (curl 7.88 does not).
    public static let refusedMark = "connection refused"

    /// The kind of a delivery's recorded error: the daemon classifies the reason it wrote itself (the transport's
    /// description, "HTTP 500", the deadline's sentence), so the stored rows need no new column. Nil without an error.
    public static func of(error: String?, status: Int?) -> ErrorKind? {
        guard let error else { return nil }
        if status != nil || self.status(in: error) != nil { return .httpStatus }
        var reason = Substring(error)
        // A transport error the channel's configuration causes: "the request cannot be sent: <description>; …".
        if reason.hasPrefix(configurationLead) { reason = reason.dropFirst(configurationLead.count) }
        if reason.hasPrefix(deadlineLead) { return .deadline }
        for (phrase, kind) in transportPhrases where reason.hasPrefix(phrase + " after ") {
            if kind == .connectionFailed, reason.contains(refusedMark) { return .connectionRefused }
            return kind
        }
        return .other
    }

    /// The code of "HTTP 404: …" (AttemptOutcome's words), for a list that keeps the error without its status.
    public static func status(in error: String?) -> Int? {
        guard let error, error.hasPrefix("HTTP ") else { return nil }
        let digits = error.dropFirst(5).prefix { $0.isNumber }
        return digits.count == 3 ? Int(digits) : nil
    }

    /// The whole seconds a timeout waited, from "timeout after 5.0 s": nil when the error does not say.
    public static func seconds(in error: String?) -> Int? {
        guard let error, let after = error.firstRange(of: " after ") else { return nil }
        let number = error[after.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(number).map { Int($0.rounded()) }
    }

    /// "; gave up after 3 attempts: the delivery deadline has passed", which RetryPolicy appends: the number of
    /// attempts, when the error ends a delivery that way.
    public static func gaveUpAttempts(in error: String?) -> Int? {
        guard let error, let range = error.firstRange(of: "; gave up after "), error.contains("the delivery deadline has passed") else {
            return nil
        }
        return Int(error[range.upperBound...].prefix { $0.isNumber })
    }

    /// The error without that ending: what failed, alone, for a client that says the ending in its own words.
    public static func cause(in error: String) -> String {
        guard gaveUpAttempts(in: error) != nil, let range = error.firstRange(of: "; gave up after ") else { return error }
        return String(error[..<range.lowerBound])
    }

    static let configurationLead = "the request cannot be sent: "
    static let deadlineLead = "the delivery deadline passed"
}
