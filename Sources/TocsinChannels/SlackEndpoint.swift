public import Foundation
public import TocsinCore
public import TocsinRequests

/// A Slack incoming webhook.
///
/// Source: Slack, "Sending messages using incoming webhooks" (https://api.slack.com/messaging/webhooks), with
/// "Formatting text for app surfaces" (https://api.slack.com/reference/surfaces/formatting#escaping) and the Block
/// Kit reference for the `header` (150 characters) and `section` (3,000 characters) blocks.
///
/// Body: `{"text": …, "blocks": [header, section, divider, header, section]}`. The blocks carry the message as
/// `plain_text`, which Slack never parses for formatting, links or mentions; `text` is the notification fallback in
/// mrkdwn with `&`, `<`, `>` escaped, so `<!channel>`-style sequences cannot form (40,000 characters at most).
/// Success is HTTP 200 with the body `ok`; errors are 4xx with a short code such as `invalid_payload`.
public struct SlackEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let timeout: Duration

    static let layout = TextLayout(markup: .slackMrkdwn, separator: "\n\n———\n\n")
    static let textLimit = TextLimit(40_000, .scalars)
    static let headerLimit = 150
    static let sectionLimit = 3_000

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        url = try EndpointSupport.required("url", of: definition)
        self.timeout = timeout
    }

    struct Payload: Encodable {
        struct Text: Encodable {
            var type = "plain_text"
            var text: String
        }

        struct Block: Encodable {
            var type: String
            var text: Text?
        }

        var text: String
        var blocks: [Block]
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let sections = TextSection.sections(of: message, for: definition)
        var notes: [String] = []
        let fallback = TextFitter.fit(sections, layout: Self.layout, limit: Self.textLimit)
        if let note = fallback.note(for: definition.type) { notes.append(note) }

        var blocks: [Payload.Block] = []
        for section in sections {
            if !blocks.isEmpty { blocks.append(Payload.Block(type: "divider")) }
            let title = TextFitter.shorten(section.title, toFit: Self.headerLimit, measure: .scalars, ellipsis: "…") { $0 }
            if title != section.title {
                notes.append("\(section.language) title shortened to \(title.unicodeScalars.count) characters for the slack header block")
            }
            if !title.isEmpty { blocks.append(Payload.Block(type: "header", text: Payload.Text(text: title))) }
            let content = section.content(paragraph: "\n\n")
            let body = TextFitter.shorten(content, toFit: Self.sectionLimit, measure: .scalars, ellipsis: "…") { $0 }
            if body != content {
                notes.append("\(section.language) text shortened from \(content.unicodeScalars.count) to \(body.unicodeScalars.count) characters for the slack section block")
            }
            if !body.isEmpty { blocks.append(Payload.Block(type: "section", text: Payload.Text(text: body))) }
        }
        let body = try EndpointSupport.json(Payload(text: fallback.text, blocks: blocks), channel: definition.name)
        // The notification text (the fallback) is what a preview shows; the blocks hold the same words.
        return EncodedPayload(contentType: "application/json", body: body, notes: notes, shown: fallback.shown)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        .http(HTTPRequest(method: "POST", url: url, headers: EndpointSupport.jsonHeaders(payload), body: payload.body, timeout: timeout))
    }

    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        guard (200..<300).contains(response.status) else {
            return AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
        }
        let answer = String(decoding: response.body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if answer == "ok" { return .delivered }
        return .permanent(
            reason: "HTTP \(response.status) without Slack's 'ok': the URL does not look like a Slack incoming webhook; check the channel's url",
            misconfiguration: true
        )
    }
}
