import Crypto
public import Foundation

/// Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
///
/// The key is the base64 part of a `whsec_…` secret. Signed per attempt, because the timestamp is the attempt's
/// and receivers reject stale ones; the body itself is encoded once per incident and channel.
public struct WebhookSigner: Sendable {
    /// Keyed once: HMAC's key set-up (two SHA-256 blocks and their buffers) ran per signature, so per delivery on
    /// the way to the first request. Each signature updates a copy (the hash states are copied on write).
    private let keyed: HMAC<SHA256>

    /// - Throws: `WebhookSignerError` when the secret is not `whsec_` followed by base64.
    public init(secret: Secret) throws(WebhookSignerError) {
        let text = secret.reveal()
        let encoded = text.hasPrefix("whsec_") ? String(text.dropFirst("whsec_".count)) : text
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else { throw WebhookSignerError() }
        keyed = HMAC<SHA256>(key: SymmetricKey(data: bytes))
    }

    public func signature(id: String, timestamp: Int64, body: some DataProtocol) -> String {
        var hmac = keyed
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }
}

public struct WebhookSignerError: Error, Sendable, CustomStringConvertible {
    public var description: String {
        "the webhook secret is not a Standard Webhooks secret: expected 'whsec_' followed by base64 (e.g. from `openssl rand -base64 32`)"
    }
}
