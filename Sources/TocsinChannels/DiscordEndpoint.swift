public import Foundation
public import TocsinCore
public import TocsinRequests

/// A Discord webhook.
///
/// Source: Discord Developer Documentation, "Webhook Resource — Execute Webhook"
/// (https://discord.com/developers/docs/resources/webhook#execute-webhook), "Message Resource — Allowed Mentions
/// Object" and "Topics — Rate Limits" (https://discord.com/developers/docs/topics/rate-limits).
///
/// Body: `{"content": …, "allowed_mentions": {"parse": []}}`: content is at most 2,000 characters, Markdown with
/// every formatting character of the message escaped, and the empty `parse` list means no `@everyone`, role or user
/// mention can ping anyone whatever the text says. `?wait=true` makes Discord answer 200 with the created message
/// once it exists, instead of 204 on receipt. A 429 carries `retry_after` (seconds, fractional) in its JSON.
public struct DiscordEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let timeout: Duration

    static let layout = TextLayout(
        markup: .discordMarkdown, titleWrap: ("**", "**"), afterTitle: "\n", paragraph: "\n\n", separator: "\n\n———\n\n"
    )
    static let limit = TextLimit(2_000, .scalars)

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        let base = try EndpointSupport.required("url", of: definition)
        url = base + (base.contains("?") ? "&" : "?") + "wait=true"
        self.timeout = timeout
    }

    struct Payload: Encodable {
        struct AllowedMentions: Encodable {
            var parse: [String] = []
        }

        var content: String
        var allowedMentions = AllowedMentions()

        enum CodingKeys: String, CodingKey {
            case content
            case allowedMentions = "allowed_mentions"
        }
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let fitted = TextFitter.fit(TextSection.sections(of: message, for: definition), layout: Self.layout, limit: Self.limit)
        let body = try EndpointSupport.json(Payload(content: fitted.text), channel: definition.name)
        return EncodedPayload(contentType: "application/json", body: body, notes: fitted.note(for: definition.type).map { [$0] } ?? [], shown: fitted.shown)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        .http(HTTPRequest(method: "POST", url: url, headers: EndpointSupport.jsonHeaders(payload), body: payload.body, timeout: timeout))
    }

    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        if response.status == 429 {
            let answer = EndpointSupport.jsonObject(response.body)
            let wait = EndpointSupport.seconds(answer?["retry_after"])
                ?? response.header("retry-after").flatMap { RetryAfter.parse($0, now: time) }
            let scope = (answer?["global"] as? Bool) == true ? "global rate limit" : "rate limit"
            return .retryable(reason: "HTTP 429: Discord \(scope)", retryAfter: wait)
        }
        return AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
    }
}
