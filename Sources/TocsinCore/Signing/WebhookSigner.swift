import Crypto
import Foundation

/// Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
///
/// The key is the base64 part of a `whsec_…` secret. Signed per attempt, because the timestamp is the attempt's
/// and receivers reject stale ones; the body itself is encoded once per incident and channel.
public struct WebhookSigner: Sendable {
    private let key: SymmetricKey

    /// - Throws: `WebhookSignerError` when the secret is not `whsec_` followed by base64.
    public init(secret: Secret) throws(WebhookSignerError) {
        let text = secret.reveal()
        let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst("whsec_".count)) : text
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { throw WebhookSignerError() }
        key = SymmetricKey(data: bytes)
    }

    public func signature(id: String, timestamp: Int64, body: some Sequence<UInt8>) -> String {
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Data("\(id).\(timestamp).".utf8))
        hmac.update(data: Data(body))
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }
}

public struct WebhookSignerError: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "the webhook secret is not a Standard Webhooks secret: expected 'whsec_' followed by base64 (e.g. from `openssl rand -base64 32`)"
    }
}
