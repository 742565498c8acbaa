public import Foundation
public import TocsinCore
import TocsinRequests

/// E-mail over SMTP through libcurl: one delivery per recipient, one MIME message per incident.
///
/// Keys: `smtp_url` (`smtp://host:port`, STARTTLS required, or `smtps://host:port`, implicit TLS), `from`,
/// `to` / `recipients_file` (one delivery each), `username` + `password` for SMTP AUTH, and `ca_file` (a PEM file
/// of CA certificates to trust, for a server whose certificate comes from a private CA; the system store otherwise).
///
/// The message (RFC 5322, MIME `multipart/alternative`: `text/plain` and `text/html`, UTF-8, quoted-printable;
/// `Subject` and the sender's name as RFC 2047 encoded-words; `Date` from the CAP `sent`) is built once in
/// `encode`. Only `Message-ID` (`<incident.delivery@sender-domain>`, stable across retries and restarts, so a
/// mailbox can drop duplicates) and `To` differ per delivery: `request` puts them in front of the stored bytes.
/// Both languages go into one message, French first, then English, under a separator line.
public struct EmailEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let from: String
    private let domain: String
    private let credentials: HTTPBasicAuth?
    private let requireTLS: Bool
    private let caBundle: String?
    private let timeout: Duration

    /// The first header of every encoded message: how `request` finds the incident for `Message-ID`.
    static let incidentHeader = "X-Tocsin-Incident"

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        func fail(_ message: String) -> ChannelError { ChannelError(channel: definition.name, message) }
        guard let url = definition.value("smtp_url") else { throw fail("no 'smtp_url'") }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("smtp://") || lowered.hasPrefix("smtps://") else {
            // The URL may carry credentials: name the key, never echo it.
            throw fail("'smtp_url' must start with smtp:// or smtps://")
        }
        guard let from = definition.settings["from"] else { throw fail("no 'from'") }
        guard Self.isPlainAddress(from), let at = from.lastIndex(of: "@") else {
            throw fail("'from' must be a plain e-mail address such as alertes@example.org (the display name is the organization's)")
        }
        let username = definition.value("username"), password = definition.value("password")
        if (username == nil) != (password == nil) {
            throw fail("SMTP AUTH needs both 'username' and 'password'")
        }
        self.definition = definition
        self.url = url
        self.from = from
        domain = String(from[from.index(after: at)...])
        credentials = username.map { HTTPBasicAuth(user: $0, password: password ?? "") }
        // STARTTLS is demanded on smtp:// so that neither credentials nor the alert cross the network in clear.
        // Exceptions: smtps:// is TLS from the first byte, and a server on the loopback interface (a local relay
        // such as Postfix on 127.0.0.1, or a test server) is never reached over a network.
        requireTLS = !lowered.hasPrefix("smtps://") && !Self.isLoopback(url)
        // Already resolved against the config folder by the parser.
        caBundle = definition.value("ca_file")
        self.timeout = timeout
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let messages = message.messages(for: definition.languages)
        guard !messages.isEmpty else { throw ChannelError(channel: definition.name, "no message in the channel's languages") }
        let subject = messages.map(\.title).joined(separator: " / ")
        let date = MIME.date(fromCAP: message.sent) ?? MIME.rfc5322(Date(), offsetSeconds: 0)
        let sender = message.organization.isEmpty ? from : "\(MIME.displayName(message.organization)) <\(from)>"
        let mime = MIMEMessage(
            headers: [
                // First, always: `request` reads it back (see `incidentHeader`).
                (Self.incidentHeader, message.incidentID),
                ("Date", date),
                ("From", sender),
                ("Subject", MIME.headerValue(subject, nameLength: "Subject".count)),
                ("Content-Language", messages.map { LanguageTag.capLanguage($0.language) }.joined(separator: ", ")),
                // An alert is automatic mail: no vacation or out-of-office replies to it (RFC 3834; Exchange).
                ("Auto-Submitted", "auto-generated"),
                ("X-Auto-Response-Suppress", "All"),
            ],
            parts: [
                .init(mediaType: "text/plain", text: Self.plainText(messages, message: message)),
                .init(mediaType: "text/html", text: Self.html(messages, message: message, subject: subject)),
            ],
            boundary: "=_tocsin_\(message.incidentID)"
        )
        return EncodedPayload(contentType: "message/rfc822", body: mime.bytes())
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        // Recipients were checked by the config parser; line breaks are dropped anyway, as they would add headers.
        let to = (recipient ?? "").filter { !$0.isNewline }
        let incident = Self.incidentID(in: payload.body) ?? "incident"
        var message = Array("Message-ID: <\(incident).\(deliveryID)@\(domain)>\r\nTo: \(to)\r\n".utf8)
        message += payload.body
        return .mail(
            MailRequest(
                url: url, from: from, recipients: [to], message: message, credentials: credentials, requireTLS: requireTLS,
                caBundle: caBundle, timeout: timeout
            )
        )
    }

    // MARK: Content

    /// Each language's title, body and instruction, French first, under a separator line; then who sent it.
    static func plainText(_ messages: [RenderedMessage], message: OutgoingMessage) -> String {
        let sections = messages.map { rendered in
            ([rendered.title, rendered.body] + (rendered.instruction.map { [$0] } ?? [])).joined(separator: "\n\n")
        }
        let footer = "\(message.organization) — \(message.incidentID)"
        return sections.joined(separator: "\n\n" + String(repeating: "-", count: 40) + "\n\n") + "\n\n" + footer + "\n"
    }

    /// The same content as HTML; every value is escaped, so a variable can never add markup.
    static func html(_ messages: [RenderedMessage], message: OutgoingMessage, subject: String) -> String {
        func paragraphs(_ text: String) -> String {
            MIME.htmlEscaped(text).replacingOccurrences(of: "\n", with: "<br>\n")
        }
        let language = messages.first.map { LanguageTag.capLanguage($0.language) } ?? "fr-CA"
        var html = """
            <!DOCTYPE html>
            <html lang="\(MIME.htmlEscaped(language))">
            <head><meta charset="utf-8"><title>\(MIME.htmlEscaped(subject))</title></head>
            <body>

            """
        let sections = messages.map { rendered in
            var section = "<div lang=\"\(MIME.htmlEscaped(LanguageTag.capLanguage(rendered.language)))\">\n"
            section += "<h1>\(MIME.htmlEscaped(rendered.title))</h1>\n"
            section += "<p>\(paragraphs(rendered.body))</p>\n"
            if let instruction = rendered.instruction { section += "<p><strong>\(paragraphs(instruction))</strong></p>\n" }
            return section + "</div>\n"
        }
        html += sections.joined(separator: "<hr>\n")
        html += "<p><small>\(MIME.htmlEscaped(message.organization)) — \(MIME.htmlEscaped(message.incidentID))</small></p>\n"
        html += "</body>\n</html>\n"
        return html
    }

    // MARK: Helpers

    /// The incident id from the stored message's first header.
    static func incidentID(in body: [UInt8]) -> String? {
        let prefix = Array("\(incidentHeader): ".utf8)
        guard body.starts(with: prefix) else { return nil }
        let rest = body[prefix.count...]
        guard let end = rest.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
        return String(decoding: rest[..<end], as: UTF8.self)
    }

    /// `local@domain` in ASCII without spaces, brackets or other address syntax (no SMTPUTF8, no display name).
    static func isPlainAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        return !text.unicodeScalars.contains { $0.value <= 0x20 || $0.value >= 0x7F || "<>,;\"()[]\\".unicodeScalars.contains($0) }
    }

    /// Whether the URL's host is the loopback interface (`127.0.0.1`, any `127.x`, `[::1]`, `localhost`).
    static func isLoopback(_ url: String) -> Bool {
        guard let schemeEnd = url.range(of: "://") else { return false }
        var authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let host: Substring
        if authority.hasPrefix("[") {
            host = authority.dropFirst().prefix { $0 != "]" }
        } else {
            host = authority.prefix { $0 != ":" }
        }
        let lowered = host.lowercased()
        let octets = lowered.split(separator: ".", omittingEmptySubsequences: false)
        let isIPv4Loopback = octets.count == 4 && octets.allSatisfy { UInt8($0) != nil } && octets[0] == "127"
        return lowered == "localhost" || lowered == "::1" || isIPv4Loopback
    }
}
