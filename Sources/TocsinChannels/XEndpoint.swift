public import Foundation
public import TocsinCore
public import TocsinRequests

/// A post on X through API v2 with OAuth 1.0a user-context credentials.
///
/// Source: X Developer Platform, "POST /2/tweets" (https://docs.x.com/x-api/posts/creation-of-a-post),
/// "OAuth 1.0a — Authorizing a request" and "Creating a signature"
/// (https://docs.x.com/resources/fundamentals/authentication/oauth-1-0a/creating-a-signature), "Rate limits"
/// (the `x-rate-limit-reset` header, Unix seconds) and "Counting characters" (weighted length 280, URLs 23).
///
/// `POST {api_base|https://api.x.com}/2/tweets` with JSON `{"text": …}` and an `Authorization: OAuth …` header
/// signed per attempt (fresh nonce and timestamp) from `consumer_key`, `consumer_secret`, `access_token` and
/// `access_token_secret`; the JSON body is not part of the signature. Plain text, `@` mentions defused, at most 280
/// weighted characters (see ``TextMeasure/xWeighted`` for the approximation). Success is 201
/// `{"data": {"id", "text"}}`; errors are problem JSON (`title`, `detail`, `status`) or `{"errors": [...]}`.
public struct XEndpoint: ChannelEndpoint {
    public let definition: ChannelDefinition
    private let url: String
    private let signer: OAuth1Signer
    private let nonce: @Sendable () -> String
    private let timeout: Duration

    static let layout = TextLayout(markup: .plainWithMentions, separator: "\n\n")
    static let limit = TextLimit(280, .xWeighted)

    /// - Parameter nonce: Makes each request's `oauth_nonce`; tests pass a fixed one.
    public init(
        _ definition: ChannelDefinition, timeout: Duration, nonce: @escaping @Sendable () -> String = OAuth1Signer.randomNonce
    ) throws(ChannelError) {
        self.definition = definition
        func secret(_ key: String) throws(ChannelError) -> Secret { Secret(try EndpointSupport.required(key, of: definition)) }
        signer = OAuth1Signer(
            consumerKey: try EndpointSupport.required("consumer_key", of: definition),
            consumerSecret: try secret("consumer_secret"), token: try secret("access_token"),
            tokenSecret: try secret("access_token_secret")
        )
        url = EndpointSupport.apiBase(of: definition, default: "https://api.x.com") + "/2/tweets"
        self.nonce = nonce
        self.timeout = timeout
    }

    public func encode(_ message: OutgoingMessage) throws(ChannelError) -> EncodedPayload {
        // 280 weighted characters: the template's short text where it has one.
        try EndpointSupport.textJSON(message, for: definition, layout: Self.layout, limit: Self.limit, short: true)
    }

    public func request(deliveryID: String, recipient: String?, payload: EncodedPayload, at time: Date) -> OutboundRequest {
        let authorization = signer.authorization(method: "POST", url: url, nonce: nonce(), timestamp: Int64(time.timeIntervalSince1970))
        let headers = [HTTPHeader("Content-Type", payload.contentType), HTTPHeader("Authorization", authorization)]
        return .http(HTTPRequest(method: "POST", url: url, headers: headers, body: payload.body, timeout: timeout))
    }

    public func interpret(_ response: HTTPResponse, at time: Date) -> AttemptOutcome {
        let answer = EndpointSupport.jsonObject(response.body)
        let errors = answer?["errors"] as? [[String: Any]]
        let detail = EndpointSupport.snippet(answer?["detail"])
            ?? EndpointSupport.snippet(errors?.first?["message"] ?? errors?.first?["detail"])
            ?? EndpointSupport.snippet(answer?["title"])
        let label = "HTTP \(response.status)" + (detail.map { ": \($0)" } ?? "")
        switch response.status {
        case 200..<300:
            if answer?["data"] != nil { return .delivered }
            return .permanent(reason: "\(label) without the created post; check the channel's api_base", misconfiguration: true)
        case 429:
            return .retryable(reason: "\(label) (rate limit)", retryAfter: Self.resetWait(response, now: time))
        case 401:
            return .permanent(
                reason: "\(label); check consumer_key, consumer_secret, access_token and access_token_secret", misconfiguration: true
            )
        case 403 where detail?.lowercased().contains("duplicate") == true:
            // X refuses the same text twice in a row: after a lost answer, an earlier attempt may have posted it.
            return .permanent(reason: "\(label) (an identical post exists, possibly from an earlier attempt)", misconfiguration: false)
        case 403:
            return .permanent(reason: "\(label); the app needs Read and Write permission and user-context tokens", misconfiguration: true)
        default:
            return AttemptOutcome.classify(status: response.status, retryAfter: response.header("retry-after"), now: time)
                .adding(detail: detail ?? "")
        }
    }

    /// The wait until `x-rate-limit-reset` (Unix seconds), or `Retry-After` if that is what came.
    static func resetWait(_ response: HTTPResponse, now: Date) -> Duration? {
        if let reset = response.header("x-rate-limit-reset").flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
            return .milliseconds(Int64((max(0, reset - now.timeIntervalSince1970) * 1000).rounded()))
        }
        return response.header("retry-after").flatMap { RetryAfter.parse($0, now: now) }
    }
}
