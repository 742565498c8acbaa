import Foundation
import TocsinCore
import TocsinTransport

/// A configured channel made ready to send: secrets parsed, URLs built, once per config load.
///
/// Shaping is split on purpose: `encode` runs once per incident and channel (the body is stored with the
/// deliveries, so a restart re-sends the same bytes); `request` runs per attempt and only adds what must be
/// fresh (timestamps, signatures, the recipient).
public protocol ChannelEndpoint: Sendable {
    var definition: ChannelDefinition { get }

    /// The body for this channel, from the incident's rendered messages.
    func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload

    /// The HTTP request of one attempt of one delivery.
    func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> HTTPRequest

    /// What the service's answer means; the default follows HTTP status codes.
    func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome
}

extension ChannelEndpoint {
    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
    }
}

/// A channel's encoded body and its media type.
public struct EncodedPayload: Sendable, Hashable {
    public var contentType: String
    public var body: [UInt8]

    public init(contentType: String, body: [UInt8]) {
        self.contentType = contentType
        self.body = body
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
