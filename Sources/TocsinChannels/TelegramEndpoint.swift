public import Foundation
public import TocsinCore
public import TocsinRequests

/// A Telegram bot posting to a chat, group or channel.
///
/// Source: Telegram Bot API (https://core.telegram.org/bots/api): "Making requests", "sendMessage",
/// "Formatting options — HTML style" and "ResponseParameters".
///
/// `POST {api_base|https://api.telegram.org}/bot<token>/sendMessage` with JSON `{"chat_id", "text", "parse_mode":
/// "HTML"}`. The text is HTML with `&`, `<`, `>` as entities (the only ones a value needs), titles in `<b>`, at most
/// 4,096 characters after entity parsing. Every answer is `{"ok": true, "result": …}` or `{"ok": false,
/// "error_code", "description", "parameters": {"retry_after", "migrate_to_chat_id"}}`, whatever the HTTP status.
/// The token is part of the URL: the URL is never put in errors or notes.
public struct TelegramEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let chatID: ChatID
    private let timeout: Duration

    static let layout = TextLayout(
        markup: .telegramHTML, titleWrap: ("<b>", "</b>"), afterTitle: "\n", paragraph: "\n\n", separator: "\n\n———\n\n"
    )
    static let limit = TextLimit(4_096, .telegramVisible)

    /// A numeric chat id is sent as a number, a `@channelusername` as a string.
    enum ChatID: Encodable {
        case number(Int64)
        case name(String)

        init(_ text: String) {
            self = Int64(text).map(ChatID.number) ?? .name(text)
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let value): try container.encode(value)
            case .name(let value): try container.encode(value)
            }
        }
    }

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        let token = try EndpointSupport.required("bot_token", of: definition)
        chatID = ChatID(try EndpointSupport.required("chat_id", of: definition))
        url = EndpointSupport.apiBase(of: definition, default: "https://api.telegram.org") + "/bot\(token)/sendMessage"
        self.timeout = timeout
    }

    struct Payload: Encodable {
        var chatID: ChatID
        var text: String
        var parseMode = "HTML"

        enum CodingKeys: String, CodingKey {
            case chatID = "chat_id"
            case text
            case parseMode = "parse_mode"
        }
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let fitted = TextFitter.fit(TextSection.sections(of: message, for: definition), layout: Self.layout, limit: Self.limit)
        let body = try EndpointSupport.json(Payload(chatID: chatID, text: fitted.text), channel: definition.name)
        return EncodedPayload(contentType: "application/json", body: body, notes: fitted.note(for: definition.type).map { [$0] } ?? [], shown: fitted.shown)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        .http(HTTPRequest(method: "POST", url: url, headers: EndpointSupport.jsonHeaders(payload), body: payload.body, timeout: timeout))
    }

    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        guard let answer = EndpointSupport.jsonObject(response.body), let ok = answer["ok"] as? Bool else {
            if (200..<300).contains(response.status) {
                return .permanent(
                    reason: "HTTP \(response.status) without the Bot API's JSON answer; check the channel's api_base",
                    misconfiguration: true
                )
            }
            return AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
        }
        if ok { return .delivered }
        let code = EndpointSupport.int(answer["error_code"]) ?? response.status
        let description = EndpointSupport.snippet(answer["description"]) ?? "no description"
        let parameters = answer["parameters"] as? [String: Any]
        if let retryAfter = EndpointSupport.seconds(parameters?["retry_after"]) {
            return .retryable(reason: "Telegram \(code): \(description)", retryAfter: retryAfter)
        }
        if let newChat = EndpointSupport.int(parameters?["migrate_to_chat_id"]) {
            return .permanent(
                reason: "Telegram \(code): the group became a supergroup; set the channel's chat_id to \(newChat)",
                misconfiguration: true
            )
        }
        switch code {
        case 429, 500..<600:
            return .retryable(reason: "Telegram \(code): \(description)", retryAfter: nil)
        case 401, 404:
            return .permanent(reason: "Telegram \(code): \(description); check the channel's bot_token", misconfiguration: true)
        case 403:
            return .permanent(reason: "Telegram \(code): \(description); add the bot to the chat (with the right to post)", misconfiguration: true)
        default:
            return .permanent(reason: "Telegram \(code): \(description); check the channel's chat_id", misconfiguration: true)
        }
    }
}
