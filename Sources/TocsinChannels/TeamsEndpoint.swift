public import Foundation
public import TocsinCore
import TocsinRequests

/// A Microsoft Teams channel or chat through a Workflows (Power Automate) webhook.
///
/// Source: Microsoft Learn, "Create incoming webhooks with Workflows for Microsoft Teams"
/// (https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook) — the
/// body is a message with one Adaptive Card attachment — and the Adaptive Cards schema explorer for `RichTextBlock`
/// and `TextRun` (https://adaptivecards.io/explorer/TextRun.html: "Markdown is not supported").
///
/// Body: `{"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
/// "contentUrl": null, "content": {AdaptiveCard 1.4}}]}`. Each language is a `Container` (the second with a
/// separator line) of `RichTextBlock`s whose `TextRun`s hold the text: unlike `TextBlock`, a `TextRun` does not read
/// Markdown, so a value such as `**x**` or `[x](http://evil)` shows as typed; `{{DATE(…)}}` functions are defused.
/// Teams caps a message at about 28 KB; the text is kept under 24,000 bytes. The flow answers 202 Accepted.
public struct TeamsEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let timeout: Duration

    static let layout = TextLayout(markup: .adaptiveCardTextRun, separator: "\n")
    static let limit = TextLimit(24_000, .utf8Bytes)

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        url = try EndpointSupport.required("url", of: definition)
        self.timeout = timeout
    }

    struct TextRun: Encodable {
        var type = "TextRun"
        var text: String
        var weight: String?
        var size: String?
        var color: String?
    }

    struct Element: Encodable {
        var type: String
        var items: [Element]?
        var inlines: [TextRun]?
        var separator: Bool?
        var spacing: String?
    }

    struct Card: Encodable {
        var schema = "http://adaptivecards.io/schemas/adaptive-card.json"
        var type = "AdaptiveCard"
        var version = "1.4"
        var body: [Element]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema"
            case type, version, body
        }
    }

    struct Attachment: Encodable {
        var contentType = "application/vnd.microsoft.card.adaptive"
        var contentURL: String?
        var content: Card

        enum CodingKeys: String, CodingKey {
            case contentType
            case contentURL = "contentUrl"
            case content
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(contentType, forKey: .contentType)
            // The documented example sends `"contentUrl": null` explicitly.
            try container.encodeNil(forKey: .contentURL)
            try container.encode(content, forKey: .content)
        }
    }

    struct Payload: Encodable {
        var type = "message"
        var attachments: [Attachment]
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let fitted = TextFitter.fit(TextSection.sections(of: message, for: definition), layout: Self.layout, limit: Self.limit)
        let urgent = message.severity == .extreme || message.severity == .severe
        let markup = Self.layout.markup
        let containers = fitted.sections.enumerated().map { index, section in
            var items: [Element] = []
            if !section.title.isEmpty {
                let run = TextRun(text: markup.escape(section.title), weight: "Bolder", size: "Large", color: urgent ? "Attention" : nil)
                items.append(Element(type: "RichTextBlock", inlines: [run]))
            }
            if !section.body.isEmpty {
                items.append(Element(type: "RichTextBlock", inlines: [TextRun(text: markup.escape(section.body))]))
            }
            if let instruction = section.instruction, !instruction.isEmpty {
                items.append(Element(type: "RichTextBlock", inlines: [TextRun(text: markup.escape(instruction), weight: "Bolder")]))
            }
            return Element(type: "Container", items: items, separator: index > 0 ? true : nil, spacing: index > 0 ? "Large" : nil)
        }
        let payload = Payload(attachments: [Attachment(content: Card(body: containers))])
        let body = try EndpointSupport.json(payload, channel: definition.name)
        return EncodedPayload(contentType: "application/json", body: body, notes: fitted.note(for: definition.type).map { [$0] } ?? [], shown: fitted.shown)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        .http(HTTPRequest(method: "POST", url: url, headers: EndpointSupport.jsonHeaders(payload), body: payload.body, timeout: timeout))
    }
}
