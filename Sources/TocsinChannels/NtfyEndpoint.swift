public import Foundation
public import TocsinCore
import TocsinRequests

/// An ntfy topic (ntfy.sh or a self-hosted server).
///
/// Source: ntfy documentation, "Publishing" (https://docs.ntfy.sh/publish/): "Message title", "Message priority",
/// "Tags & emojis", "Authentication — Access tokens" and "Limitations" (a message body up to 4,096 bytes, beyond
/// which it becomes an attachment; a title up to 1 KB). The docs note that header values may be RFC 2047 encoded
/// (`=?UTF-8?B?…?=`), which is how a French title with accents travels safely in the `Title` header.
///
/// `POST {url}` (server and topic) with the text as the body (plain text: ntfy reads no markup unless asked),
/// headers `Title`, `Priority` (`urgent` for an Extreme or Immediate alert, `high` for Severe or Expected),
/// `Tags` (an emoji name, the CAP category, `exercise` for a drill) and, with a `token`, `Authorization: Bearer`.
///
/// The stored payload is a small JSON envelope (`message`, `title`, `priority`, `tags`) encoded once per incident;
/// each attempt turns it into that body and those headers.
public struct NtfyEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let token: Secret?
    private let timeout: Duration

    static let layout = TextLayout(markup: .plain, paragraph: "\n\n", separator: "\n\n—\n\n")
    static let bodyLimit = TextLimit(4_096, .utf8Bytes)
    /// Under ntfy's 1 KB, leaving room for the separator between languages.
    static let titleLimit = 1_000

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        url = try EndpointSupport.required("url", of: definition)
        token = definition.secrets["token"]
        self.timeout = timeout
    }

    /// What `encode` stores and `request` sends.
    struct Envelope: Codable {
        var message: String
        var title: String
        var priority: String
        var tags: [String]
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let sections = TextSection.sections(of: message, for: definition)
        let texts = TextSection.sections(of: message, for: definition, short: true)
        var notes: [String] = []
        // The titles go in the Title header; the body holds each language's body and instruction.
        let titles = sections.map(\.title).filter { !$0.isEmpty }.joined(separator: " / ")
        let title = TextFitter.shorten(titles, toFit: Self.titleLimit, measure: .utf8Bytes, ellipsis: "…") { $0 }
        if title != titles { notes.append("title shortened from \(titles.utf8.count) to \(title.utf8.count) bytes for ntfy") }
        let untitled = texts.map { TextSection(language: $0.language, title: "", body: $0.body, instruction: $0.instruction, protected: $0.protected) }
        let fitted = TextFitter.fit(untitled, layout: Self.layout, limit: Self.bodyLimit)
        if let note = fitted.note(for: definition.type) { notes.append(note) }

        let envelope = Envelope(message: fitted.text, title: title, priority: Self.priority(message), tags: Self.tags(message))
        let body = try EndpointSupport.json(envelope, channel: definition.name)
        return EncodedPayload(contentType: "application/json", body: body, notes: notes, shown: fitted.shown)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        // The envelope is ours, written by `encode`; a stored payload that cannot be read is sent as plain text.
        let envelope = (try? JSONDecoder().decode(Envelope.self, from: Data(payload.body)))
            ?? Envelope(message: String(decoding: payload.body, as: UTF8.self), title: "", priority: "default", tags: [])
        var headers = [HTTPHeader("Content-Type", "text/plain; charset=utf-8")]
        if !envelope.title.isEmpty { headers.append(HTTPHeader("Title", Self.headerValue(envelope.title))) }
        headers.append(HTTPHeader("Priority", envelope.priority))
        if !envelope.tags.isEmpty { headers.append(HTTPHeader("Tags", envelope.tags.joined(separator: ","))) }
        if let token { headers.append(HTTPHeader("Authorization", "Bearer \(token.reveal())")) }
        return .http(HTTPRequest(method: "POST", url: url, headers: headers, body: Array(envelope.message.utf8), timeout: timeout))
    }

    static func priority(_ message: OutgoingMessage) -> String {
        if message.severity == .extreme || message.urgency == .immediate { return "urgent" }
        if message.severity == .severe || message.urgency == .expected { return "high" }
        return "default"
    }

    static func tags(_ message: OutgoingMessage) -> [String] {
        var tags: [String]
        if message.response == .allClear || message.msgType == .cancel {
            tags = ["white_check_mark"]
        } else if message.severity == .extreme || message.severity == .severe {
            tags = ["rotating_light"]
        } else {
            tags = ["warning"]
        }
        tags.append(message.category.rawValue.lowercased())
        if message.status == .exercise { tags.append("exercise") }
        if message.status == .test { tags.append("test") }
        return tags
    }

    /// Printable ASCII as is; anything else as RFC 2047 `B` encoded-words of UTF-8, each at most 75 characters
    /// (45 bytes of text each, never splitting a character), separated by spaces, which decoders drop.
    ///
    /// ASCII holding `=?` is encoded too: ntfy decodes encoded-words in any header, so a value typed as
    /// `=?UTF-8?B?…?=` would otherwise reach the title decoded, past the refusal of control and bidirectional
    /// characters (fault finding 6). Encoded, it comes out of the decoder as the literal text typed.
    static func headerValue(_ text: String) -> String {
        let clean = text.map { $0.isNewline ? " " : String($0) }.joined()
        if clean.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }), !clean.contains("=?") { return clean }
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in clean.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk.removeAll()
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: " ")
    }
}
