public import Foundation
public import TocsinCore
public import TocsinRequests

/// A post on a Facebook page through the Graph API.
///
/// Source: Meta for Developers, "Pages API — Posts" (https://developers.facebook.com/docs/pages-api/posts),
/// Graph API reference "Page Feed" (https://developers.facebook.com/docs/graph-api/reference/page/feed),
/// "Handling Errors" (https://developers.facebook.com/docs/graph-api/guides/error-handling) and "Rate Limiting"
/// (https://developers.facebook.com/docs/graph-api/overview/rate-limiting).
///
/// `POST {api_base|https://graph.facebook.com}/v19.0/{page_id}/feed`, form-encoded `message` and
/// `access_token` (the page access token goes in the body, never the URL, so no log of URLs can hold it). Plain
/// text; `@[page-id]` tags in a value are defused. Success is `{"id": "<page>_<post>"}`; failure is
/// `{"error": {"message", "type", "code", "error_subcode", "is_transient", "fbtrace_id"}}`, with HTTP 200 in some
/// cases, so the body decides. Codes 4, 17, 32, 613 and 80001–80014 are throttling; 1, 2 and `is_transient` are
/// temporary; 190 and 102 are tokens; 10 and 200–299 permissions.
public struct FacebookPageEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let accessToken: String
    private let timeout: Duration

    static let graphVersion = "v19.0"
    static let layout = TextLayout(markup: .facebook, afterTitle: "\n\n", paragraph: "\n\n", separator: "\n\n———\n\n")
    static let limit = TextLimit(63_206, .scalars)

    public init(_ definition: ChannelDefinition, timeout: Duration) throws(ChannelError) {
        self.definition = definition
        let pageID = try EndpointSupport.required("page_id", of: definition)
        accessToken = try EndpointSupport.required("access_token", of: definition)
        let base = EndpointSupport.apiBase(of: definition, default: "https://graph.facebook.com")
        url = "\(base)/\(Self.graphVersion)/\(OAuth1Signer.percentEncode(pageID))/feed"
        self.timeout = timeout
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        let fitted = TextFitter.fit(TextSection.sections(of: message, for: definition), layout: Self.layout, limit: Self.limit)
        // Stored without the token; `request` adds it to each attempt's form.
        return EncodedPayload(
            contentType: "text/plain; charset=utf-8", body: Array(fitted.text.utf8), notes: fitted.note(for: definition.type).map { [$0] } ?? [],
            shown: fitted.shown
        )
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        let form = EndpointSupport.form([("message", String(decoding: payload.body, as: UTF8.self)), ("access_token", accessToken)])
        let headers = [HTTPHeader("Content-Type", "application/x-www-form-urlencoded")]
        return .http(HTTPRequest(method: "POST", url: url, headers: headers, body: form, timeout: timeout))
    }

    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        let answer = EndpointSupport.jsonObject(response.body)
        guard let error = answer?["error"] as? [String: Any] else {
            if (200..<300).contains(response.status), answer?["id"] == nil {
                return .permanent(
                    reason: "HTTP \(response.status) without a post id: not a Graph API answer; check the channel's api_base",
                    misconfiguration: true
                )
            }
            return AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
        }
        let code = EndpointSupport.int(error["code"]) ?? 0
        let subcode = EndpointSupport.int(error["error_subcode"])
        let text = EndpointSupport.snippet(error["message"]) ?? "no message"
        let label = "Graph API error \(code)" + (subcode.map { "/\($0)" } ?? "") + ": \(text)"
        switch code {
        case 4, 17, 32, 613, 80001...80014:
            return .retryable(reason: "\(label) (rate limit)", retryAfter: Self.regainAccess(response))
        case 1, 2:
            return .retryable(reason: label, retryAfter: nil)
        case 190, 102:
            return .permanent(reason: "\(label); renew the channel's access_token (a page access token)", misconfiguration: true)
        case 10, 200...299:
            return .permanent(reason: "\(label); the token lacks a permission (pages_manage_posts) for this page", misconfiguration: true)
        default:
            if (error["is_transient"] as? Bool) == true { return .retryable(reason: label, retryAfter: nil) }
            return .permanent(reason: label, misconfiguration: (400..<500).contains(response.status))
        }
    }

    /// The wait Meta announces in `X-Business-Use-Case-Usage` (`estimated_time_to_regain_access`, minutes), if any.
    static func regainAccess(_ response: HTTPResponse) -> Duration? {
        guard let header = response.header("x-business-use-case-usage"),
            let usage = EndpointSupport.jsonObject(Array(header.utf8))
        else { return nil }
        let minutes = usage.values.compactMap { $0 as? [[String: Any]] }.joined()
            .compactMap { EndpointSupport.int($0["estimated_time_to_regain_access"]) }.max()
        return minutes.flatMap { $0 > 0 ? .seconds($0 * 60) : nil }
    }
}
