public import Foundation
public import TocsinCore
import TocsinRequests

/// A Google Chat space through an incoming webhook.
///
/// Source: Google for Developers, "Build a Google Chat app as a webhook"
/// (https://developers.google.com/workspace/chat/quickstart/webhooks), "Format messages"
/// (https://developers.google.com/workspace/chat/format-messages: card text takes a subset of HTML, while
/// message `text` reads `<users/all>` as a mention and has no escape) and the `spaces.messages` reference for
/// `cardsV2` and `fallbackText`.
///
/// Body: `{"fallbackText": …, "cardsV2": [{"cardId": "alert", "card": {"sections": [one per language]}}]}`; each
/// section holds a `textParagraph` in HTML with `&`, `<`, `>`, `"` as entities and line breaks as `<br>`, so a value
/// can neither format nor mention. `fallbackText` (plain text, for notifications) carries the titles. The whole
/// message is capped at 32,000 bytes; the card text is kept under 24,000. Success is 200 with the created message.
public struct GoogleChatEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let timeout: Duration

    static let layout = TextLayout(
        markup: .cardHTML, titleWrap: ("<b>", "</b>"), afterTitle: "<br>", paragraph: "<br><br>", separator: "\n"
    )
    static let limit = TextLimit(24_000, .utf8Bytes)

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        url = try EndpointSupport.required("url", of: definition)
        self.timeout = timeout
    }

    struct TextParagraph: Encodable {
        var text: String
    }

    struct Widget: Encodable {
        var textParagraph: TextParagraph
    }

    struct Section: Encodable {
        var widgets: [Widget]
    }

    struct Card: Encodable {
        var sections: [Section]
    }

    struct CardWithID: Encodable {
        var cardId = "alert"
        var card: Card
    }

    struct Payload: Encodable {
        var fallbackText: String
        var cardsV2: [CardWithID]
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let fitted = TextFitter.fit(TextSection.sections(of: message, for: definition), layout: Self.layout, limit: Self.limit)
        let sections = fitted.sections.map { Section(widgets: [Widget(textParagraph: TextParagraph(text: Self.layout.render($0)))]) }
        let fallback = fitted.sections.map(\.title).filter { !$0.isEmpty }.joined(separator: " / ")
        let payload = Payload(fallbackText: fallback, cardsV2: [CardWithID(card: Card(sections: sections))])
        let body = try EndpointSupport.json(payload, channel: definition.name)
        return EncodedPayload(contentType: "application/json; charset=UTF-8", body: body, notes: fitted.note(for: definition.type).map { [$0] } ?? [], shown: fitted.shown)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        .http(HTTPRequest(method: "POST", url: url, headers: EndpointSupport.jsonHeaders(payload), body: payload.body, timeout: timeout))
    }
}
