public import Foundation
public import TocsinCore
public import TocsinRequests

/// A configured channel made ready to send: secrets parsed, URLs built, once per config load.
///
/// Shaping is split on purpose: `encode` runs once per incident and channel (the body is stored with the
/// deliveries, so a restart re-sends the same bytes); `request` runs per attempt and only adds what must be
/// fresh (timestamps, signatures, the recipient).
public protocol ChannelEndpoint: Sendable {
    var definition: ChannelDefinition { get }

    /// The body for this channel, from the incident's rendered messages.
    func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload

    /// Channels with the same key get byte-identical bodies for the same message, so a fan-out to a thousand
    /// webhooks encodes once. Nil (the default) when the body depends on the channel itself.
    var payloadKey: String? { get }

    /// What one attempt of one delivery sends.
    func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest

    /// What the service's HTTP answer means; the default follows HTTP status codes.
    func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome

    /// What the SMTP server's answer means; the default: 2xx delivered, 4xx retry, 5xx permanent.
    func interpret(mail response: MailResponse, at time: Date) -> AttemptOutcome

    /// The service's own id for the message an accepted answer created (``ProviderReceipt``), cleaned; nil if none.
    func receipt(_ response: HTTPResponse) -> String?

    /// The SMTP server's queue id from its reply to the message, cleaned; nil if it named none.
    func receipt(mail response: MailResponse) -> String?
}

extension ChannelEndpoint {
    public var payloadKey: String? { nil }

    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
    }

    public func receipt(_ response: HTTPResponse) -> String? {
        ProviderReceipt.id(fromAnswer: response.body, of: definition.type)
    }

    public func receipt(mail response: MailResponse) -> String? {
        response.reply.flatMap(ProviderReceipt.queueID(fromSMTPReply:))
    }

    public func interpret(mail response: MailResponse, at time: Date) -> AttemptOutcome {
        switch response.code {
        case 200..<400: .delivered
        case 400..<500: .retryable(reason: "SMTP \(response.code)", retryAfter: nil)
        default: .permanent(reason: "SMTP \(response.code): the server refused the message", misconfiguration: true)
        }
    }
}

/// A channel's encoded body and its media type.
public struct EncodedPayload: Sendable, Hashable {
    public var contentType: String
    public var body: [UInt8]
    /// What shaping changed and the audit should say (e.g. "text shortened to 280 characters for x").
    public var notes: [String]
    /// The text a person reads, as this channel sends it and measured against its limit: what a preview shows.
    /// Not stored (the body is); nil for channels whose payload is not one text (a webhook's JSON, CAP XML).
    public var shown: ShownText?

    public init(contentType: String, body: [UInt8], notes: [String] = [], shown: ShownText? = nil) {
        self.contentType = contentType
        self.body = body
        self.notes = notes
        self.shown = shown
    }
}

/// One channel's text as it will be read, with its length against the service's limit.
public struct ShownText: Sendable, Hashable {
    public var text: String
    public var length: Int
    public var limit: Int
    /// What `length` counts: `characters`, `bytes`, `weighted characters`, `GSM-7 septets`, `UCS-2 characters`.
    public var unit: String
    /// For SMS: the encoding the message goes in and how many segments it takes (what the carrier bills).
    public var smsEncoding: SMSEncoding?
    public var segments: Int?

    public init(text: String, length: Int, limit: Int, unit: String, smsEncoding: SMSEncoding? = nil, segments: Int? = nil) {
        self.text = text
        self.length = length
        self.limit = limit
        self.unit = unit
        self.smsEncoding = smsEncoding
        self.segments = segments
    }
}

/// Why a channel cannot be prepared or a message cannot be shaped for it. Never carries a secret.
public struct ChannelError: Error, Sendable, CustomStringConvertible {
    public var channel: String
    public var message: String

    public init(channel: String, _ message: String) {
        self.channel = channel
        self.message = message
    }

    public var description: String { "channel '\(channel)': \(message)" }
}
