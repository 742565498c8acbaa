import Foundation
import TocsinCore
import TocsinRequests

/// Small pieces every service adapter uses: building URLs from settings, encoding bodies, reading answers.
enum EndpointSupport {
    private struct TextPayload: Encodable {
        var text: String
    }

    /// `{"text": …}` with the message fitted to the service's limit (Mattermost, X), and the fitting's note.
    static func textJSON(
        _ message: OutgoingMessage, for definition: ChannelDefinition, layout: TextLayout, limit: TextLimit, short: Bool = false
    ) throws(ChannelError) -> EncodedPayload {
        let fitted = TextFitter.fit(TextSection.sections(of: message, for: definition, short: short), layout: layout, limit: limit)
        let body = try json(TextPayload(text: fitted.text), channel: definition.name)
        return EncodedPayload(contentType: "application/json", body: body, notes: fitted.note(for: definition.type).map { [$0] } ?? [], shown: fitted.shown)
    }

    /// A required setting (plain or secret); the error names the key, never a value.
    static func required(_ key: String, of definition: ChannelDefinition) throws(ChannelError) -> String {
        guard let value = definition.value(key), !value.isEmpty else {
            throw ChannelError(channel: definition.name, "no '\(key)'")
        }
        return value
    }

    /// `api_base` without a trailing slash, or the service's own host.
    static func apiBase(of definition: ChannelDefinition, default host: String) -> String {
        var base = definition.value("api_base") ?? host
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// Compact JSON, keys sorted, slashes unescaped: the same message always gives the same bytes.
    static func json(_ value: some Encodable, channel: String) throws(ChannelError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw ChannelError(channel: channel, "cannot encode the JSON payload: \(error)")
        }
    }

    /// `application/x-www-form-urlencoded` as the WHATWG URL standard serialises it (spaces as `+`).
    static func form(_ fields: [(String, String)]) -> [UInt8] {
        Array(fields.map { formEncode($0.0) + "=" + formEncode($0.1) }.joined(separator: "&").utf8)
    }

    private static func formEncode(_ text: String) -> String {
        var result = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                result += "+"
            default:
                result += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return result
    }

    /// The answer's JSON object, if it is one.
    static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// A short, single-line piece of a service's own error text for a reason.
    static func snippet(_ value: Any?) -> String? {
        guard let text = value as? String, !text.isEmpty else { return nil }
        let line = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return line.count > 160 ? String(line.prefix(160)) + "…" : line
    }

    /// An integer from a JSON number or numeric string.
    static func int(_ value: Any?) -> Int? {
        if let number = value as? NSNumber { return number.intValue }
        if let text = value as? String { return Int(text) }
        return nil
    }

    /// Seconds (possibly fractional) from a JSON number, as a duration.
    static func seconds(_ value: Any?) -> Duration? {
        guard let number = value as? NSNumber else { return nil }
        let seconds = number.doubleValue
        guard seconds.isFinite, seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    /// The JSON request headers every JSON service takes.
    static func jsonHeaders(_ payload: EncodedPayload) -> [HTTPHeader] {
        [HTTPHeader("Content-Type", payload.contentType)]
    }
}

extension AttemptOutcome {
    /// The same outcome with what the service said appended to its reason, e.g. "… — Twilio 21602: Message body
    /// is required".
    func adding(detail: String) -> AttemptOutcome {
        guard !detail.isEmpty else { return self }
        switch self {
        case .delivered: return .delivered
        case .retryable(let reason, let retryAfter): return .retryable(reason: "\(reason) — \(detail)", retryAfter: retryAfter)
        case .permanent(let reason, let misconfiguration): return .permanent(reason: "\(reason) — \(detail)", misconfiguration: misconfiguration)
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
