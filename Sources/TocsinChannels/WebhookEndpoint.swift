public import Foundation
public import TocsinCore
import TocsinRequests

/// A generic JSON webhook, signed per Standard Webhooks (https://www.standardwebhooks.com, spec v1).
///
/// Body: `{"type": "tocsin.alert", "timestamp": sent, "data": {...}}` as the spec's payload structure recommends.
/// Headers: `webhook-id` (the delivery id: stable across retries and restarts), `webhook-timestamp` (the attempt's
/// Unix seconds) and, with a secret, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
public struct WebhookEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let signer: WebhookSigner?
    private let timeout: Duration
    private let fixedHeaders: [HTTPHeader]
    /// `ca_file`: the CA of a receiver behind a private (campus) certificate authority.
    private let caBundle: String?

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        guard let url = definition.value("url") else { throw ChannelError(channel: definition.name, "no 'url'") }
        self.definition = definition
        self.url = url
        self.timeout = timeout
        caBundle = definition.settings["ca_file"]
        do {
            signer = try definition.secrets["secret"].map { (secret) throws(WebhookSignerError) in try WebhookSigner(secret: secret) }
        } catch {
            throw ChannelError(channel: definition.name, error.description)
        }
        fixedHeaders = definition.headers.map { HTTPHeader($0.name, $0.value.reveal()) }
    }

    /// The body depends only on the message and the languages; signing, per attempt, uses the channel's secret.
    public var payloadKey: String? { "webhook|" + definition.languages.joined(separator: ",") }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let payload = WebhookPayload(message, languages: definition.languages)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return EncodedPayload(contentType: "application/json", body: Array(try encoder.encode(payload)))
        } catch {
            throw ChannelError(channel: definition.name, "cannot encode the JSON payload: \(error)")
        }
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        let timestamp = Int64(time.timeIntervalSince1970)
        var headers = [
            HTTPHeader("content-type", payload.contentType),
            HTTPHeader("webhook-id", deliveryID),
            HTTPHeader("webhook-timestamp", String(timestamp)),
        ]
        if let signer {
            headers.append(HTTPHeader("webhook-signature", signer.signature(id: deliveryID, timestamp: timestamp, body: payload.body)))
        }
        headers += fixedHeaders
        var request = HTTPRequest(method: "POST", url: url, headers: headers, body: payload.body, timeout: timeout)
        request.caBundle = caBundle
        return .http(request)
    }
}

/// The versioned webhook body (documented for integrators; `version` changes only with incompatible changes).
struct WebhookPayload: Encodable {
    struct Message: Encodable {
        var language: String
        var event: String
        var title: String
        var body: String
        var instruction: String?
    }

    struct Data: Encodable {
        var version = 1
        var incident: String
        var status: String
        var msgType: String
        var references: [String]
        var template: String
        var approved: Bool
        var organization: String
        var sender: String
        var sent: String
        var category: String
        var severity: String
        var urgency: String
        var certainty: String
        var response: String?
        var messages: [Message]
    }

    var type: String
    var timestamp: String
    var data: Data

    init(_ message: OutgoingMessage, languages: [String]) {
        type = "tocsin.alert"
        timestamp = message.sent
        data = Data(
            incident: message.incidentID, status: message.status.rawValue, msgType: message.msgType.rawValue,
            references: message.references, template: message.templateID, approved: message.approved,
            organization: message.organization, sender: message.sender, sent: message.sent,
            category: message.category.rawValue, severity: message.severity.rawValue, urgency: message.urgency.rawValue,
            certainty: message.certainty.rawValue, response: message.response?.rawValue,
            messages: message.messages(for: languages).map {
                Message(
                    language: LanguageTag.capLanguage($0.language), event: $0.event, title: $0.title, body: $0.body,
                    instruction: $0.instruction
                )
            }
        )
    }
}
