public import Foundation
public import TocsinCore
import TocsinRequests

/// OASIS CAP 1.2: the alert POSTed as `application/cap+xml` to `url`, and/or published in the Atom feed folder
/// `feed_dir` (see ``CAPFeed``).
///
/// With both keys, both must happen, and neither may hold the other back. So `cap` fans out like a per-recipient
/// channel: the config parser gives it the synthetic recipients `post` (when `url` is set) and `feed` (when
/// `feed_dir` is set), each its own delivery with its own retries, and `request` picks the target from the
/// recipient. A dead endpoint then never delays the feed, and the delivery list says which target failed.
///
/// With `cap.signing_key_file` (a `signer`), the alert is signed here, once per incident: the signed bytes are the
/// stored payload, so the POST, the feed file and every retry carry the same signature.
public struct CAPEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String?
    private let feedFolder: String?
    private let timeout: Duration
    private let signer: (any CAPAlertSigner)?

    public init(_ definition: ChannelDefinition, timeout: Duration, signer: (any CAPAlertSigner)? = nil) throws(ChannelError) {
        let url = definition.value("url"), feedFolder = definition.settings["feed_dir"]
        guard url != nil || feedFolder != nil else { throw ChannelError(channel: definition.name, "no 'url' and no 'feed_dir'") }
        if let feedFolder, feedFolder.isEmpty { throw ChannelError(channel: definition.name, "'feed_dir' is empty") }
        self.definition = definition
        self.url = url
        self.feedFolder = feedFolder
        self.timeout = timeout
        self.signer = signer
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        guard !message.messages(for: definition.languages).isEmpty else {
            throw ChannelError(channel: definition.name, "no message in the channel's languages")
        }
        let alert = Array(CAPAlert.xml(message, languages: definition.languages, indented: signer == nil).utf8)
        guard let signer else { return EncodedPayload(contentType: "application/cap+xml", body: alert) }
        // Never sent unsigned instead: receivers that require signatures would drop it, and silently.
        do { return EncodedPayload(contentType: "application/cap+xml", body: try signer.sign(alert)) } catch {
            throw ChannelError(channel: definition.name, "\(error)")
        }
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        let target = recipient.flatMap(ChannelType.CAPTarget.init(rawValue:)) ?? (url != nil ? .post : .feed)
        switch (target, url, feedFolder) {
        case (.post, let url?, _):
            return .http(
                HTTPRequest(method: "POST", url: url, headers: [HTTPHeader("content-type", payload.contentType)], body: payload.body, timeout: timeout)
            )
        case (.feed, _, let folder?):
            return .file(CAPFeed.drop(folder: folder, alert: payload.body))
        default:
            // A target the channel no longer has (a reload removed its key while the delivery waited): curl refuses
            // the empty URL as a configuration error, so the delivery fails at once and is flagged as misconfigured.
            return .http(HTTPRequest(method: "POST", url: "", body: payload.body, timeout: timeout))
        }
    }
}
