import Foundation
public import TocsinCore

/// The service's own id for a message it accepted (a Twilio SID, a post id, an SMTP queue id), read from its answer,
/// and what that acceptance means in words.
///
/// Sources, per type (the answer to the request each adapter makes):
/// - `twilio-sms`: Twilio "Messages resource", create → `201` with the Message, `"sid": "SM…"` (34 characters) and
///   `"status": "queued"`: Twilio has queued the SMS, the phone is not reached yet.
/// - `facebook-page`: Graph API "Page Feed", publish → `{"id": "{page-id}_{post-id}"}`.
/// - `x`: X API v2 `POST /2/tweets` → `201` with `{"data": {"id": "1346889436626259968", "text": …}}`.
/// - `telegram`: Bot API `sendMessage` → `{"ok": true, "result": {"message_id": 42, …}}` (an integer).
/// - `discord`: "Execute Webhook" with `?wait=true` (what ``DiscordEndpoint`` sends) → the Message object, `"id"`
///   a snowflake string.
/// - `google-chat`: a space webhook → the Message, `"name": "spaces/…/messages/…"`.
/// - `ntfy`: "Publishing" → the message JSON, `"id": "sPs71M8A2T"`.
/// - `email`: the SMTP server's reply to the end of DATA: Postfix and most relays `250 2.0.0 Ok: queued as 4F2A1…`,
///   Exim `250 OK id=1pAbCd-000123-Ab`, Sendmail `250 2.0.0 2B5Jx1aB012345 Message accepted for delivery`,
///   Exchange `250 2.6.0 <id@host> [InternalId=…] Queued mail for delivery`, Gmail `250 2.0.0 OK  1700000000 id - gsmtp`,
///   Amazon SES `250 Ok 0100018b…-000000`. A server that names no id (`250 OK`) gives none.
///
/// An id is kept only as what it is: ASCII letters, digits and `._:@=+/-`, at most ``maxLength`` characters.
/// Anything else (spaces, quotes, control or non-ASCII characters, a longer value) is not an id and is dropped
/// whole, never cut: a hostile or broken service cannot write text or bulk into the audit log through it.
public enum ProviderReceipt {
    /// The longest id kept: Twilio SIDs are 34 characters, an Exchange message id about 80.
    public static let maxLength = 100

    /// The id in a service's HTTP answer to an accepted message, cleaned; nil when the type gives none or the
    /// answer has none.
    public static func id(fromAnswer body: [UInt8], of type: ChannelType) -> String? {
        // Types without an id never parse the answer: a 1,000-webhook fan-out pays nothing for receipts.
        let path: [String]
        switch type {
        case .twilioSMS: path = ["sid"]
        case .facebookPage, .discord, .ntfy: path = ["id"]
        case .x: path = ["data", "id"]
        case .telegram: path = ["result", "message_id"]
        case .googleChat: path = ["name"]
        case .webhook, .slack, .teams, .mattermost, .email, .cap: return nil
        }
        guard var value: Any = EndpointSupport.jsonObject(body) else { return nil }
        for key in path {
            guard let object = value as? [String: Any], let next = object[key] else { return nil }
            value = next
        }
        return clean(value)
    }

    /// The queue id in an SMTP server's reply to the end of DATA (the whole reply; continuation lines allowed).
    public static func queueID(fromSMTPReply reply: String) -> String? {
        // The last line of a multi-line reply carries the verdict; the id is on it in every form above.
        guard let line = reply.split(whereSeparator: \.isNewline).last else { return nil }
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let code = words.first?.prefix(3), code.hasPrefix("2") else { return nil }
        words.removeFirst()
        // RFC 3463 enhanced status code (`2.0.0`).
        if let first = words.first, first.split(separator: ".").count == 3, first.allSatisfy({ $0.isNumber || $0 == "." }) {
            words.removeFirst()
        }
        let lower = words.map { $0.lowercased() }
        if let queued = lower.firstIndex(of: "as"), queued > 0, lower[queued - 1] == "queued", queued + 1 < words.count {
            return clean(words[queued + 1])
        }
        if let exim = words.first(where: { $0.lowercased().hasPrefix("id=") }) { return clean(String(exim.dropFirst(3))) }
        if let bracketed = words.first(where: { $0.hasPrefix("<") && $0.hasSuffix(">") && $0.count > 2 }) {
            return clean(String(bracketed.dropFirst().dropLast()))
        }
        if lower.last == "gsmtp", lower.count >= 3, lower[lower.count - 2] == "-" { return clean(words[words.count - 3]) }
        // Otherwise the first word that looks like an id: at least 6 characters with a digit (never a plain word
        // such as `OK`, `Message` or `accepted`).
        return words.lazy.compactMap { word -> String? in
            guard word.count >= 6, word.contains(where: \.isNumber) else { return nil }
            return clean(word)
        }.first
    }

    /// What the acceptance means, for status and reports: "accepted by Twilio (SM…)" where the service only
    /// queued the message, "posted on X (…)" where it published it, "delivered (id …)" otherwise. The phrase
    /// starts with its verb. Nil for a service that gives no id and does not merely queue.
    public static func acceptance(of type: ChannelType, id: String?) -> String? {
        switch type {
        case .twilioSMS: return "accepted by Twilio (\(id ?? "no message SID returned"))"
        case .email: return "accepted by the mail server (\(id.map { "queue id \($0)" } ?? "no queue id given"))"
        default: break
        }
        guard let id else { return nil }
        switch type {
        case .facebookPage: return "posted on the Facebook page (post \(id))"
        case .x: return "posted on X (post \(id))"
        case .telegram: return "posted to Telegram (message \(id))"
        case .discord: return "posted to Discord (message \(id))"
        case .googleChat: return "posted to Google Chat (\(id))"
        case .ntfy: return "published on ntfy (message \(id))"
        default: return "delivered (id \(id))"
        }
    }

    /// `value` as an id: a string or an integer, only ``allowed`` characters, 1 to ``maxLength`` of them.
    static func clean(_ value: Any?) -> String? {
        let text: String
        switch value {
        case let string as String: text = string
        // JSONSerialization gives numbers as NSNumber: only an integer is an id (a Bool is an NSNumber of type `c`,
        // a fraction one of type `d`).
        case let number as NSNumber where "qQiIlLsS".utf8.contains(UInt8(bitPattern: number.objCType.pointee)):
            text = number.stringValue
        default: return nil
        }
        guard !text.isEmpty, text.utf8.count <= maxLength, text.utf8.allSatisfy(isAllowed) else { return nil }
        return text
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "="), UInt8(ascii: "+"),
            UInt8(ascii: "/"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }
}
