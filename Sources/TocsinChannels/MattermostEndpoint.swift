public import Foundation
public import TocsinCore
import TocsinRequests

/// A Mattermost incoming webhook.
///
/// Source: Mattermost developer documentation, "Incoming webhooks"
/// (https://developers.mattermost.com/integrate/webhooks/incoming/), and "Message formatting"
/// (https://docs.mattermost.com/collaborate/format-messages.html) for the Markdown it renders.
///
/// Body: `{"text": …}` in Markdown, at most 16,383 characters (a post's limit). Every formatting character of the
/// message is backslash-escaped, `@` mentions are defused, and `<` is escaped too: Mattermost turns a Slack-style
/// `<!channel>` from a webhook into `@channel`. Success is 200 `ok`; errors are 4xx JSON with `message`.
public struct MattermostEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let timeout: Duration

    static let layout = TextLayout(
        markup: .mattermostMarkdown, titleWrap: ("**", "**"), afterTitle: "\n", paragraph: "\n\n", separator: "\n\n---\n\n"
    )
    static let limit = TextLimit(16_383, .scalars)

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        url = try EndpointSupport.required("url", of: definition)
        self.timeout = timeout
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        try EndpointSupport.textJSON(message, for: definition, layout: Self.layout, limit: Self.limit)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        .http(HTTPRequest(method: "POST", url: url, headers: EndpointSupport.jsonHeaders(payload), body: payload.body, timeout: timeout))
    }
}
