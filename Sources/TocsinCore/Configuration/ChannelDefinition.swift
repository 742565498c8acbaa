public import Foundation

/// A configured destination: its type, where it points, its secrets and its limits.
public struct ChannelDefinition: Sendable {
    public var name: String
    public var type: ChannelType
    /// The languages this channel gets, in the organisation's order; all of them when the config says nothing.
    public var languages: [String]
    public var timeout: Duration?
    /// Messages per second at most; nil for no limit.
    public var rateLimit: Double?
    public var maxConcurrency: Int
    /// Plain settings by key (`chat_id`, `from`, …).
    public var settings: [String: String]
    /// Secret settings by key (`url` of a chat webhook, `secret`, `bot_token`, …), from the config or `*_file`.
    public var secrets: [String: Secret]
    /// Extra HTTP headers (`webhook`): values are treated as secrets, since they often carry tokens.
    public var headers: [(name: String, value: Secret)]
    /// Individual recipients for per-recipient channels (SMS numbers, e-mail addresses).
    public var recipients: [String]
    /// When the channel's credential stops working (`expires:`, e.g. a Facebook page token), when known.
    public var expires: Date?
    /// `allow_shortening: true`: the organisation accepts that this channel gets an approved text shortened (at
    /// word boundaries) when it does not fit, so the fit check does not flag it.
    public var allowShortening = false

    public init(
        name: String, type: ChannelType, languages: [String], timeout: Duration? = nil, rateLimit: Double? = nil,
        maxConcurrency: Int = 8, settings: [String: String] = [:], secrets: [String: Secret] = [:],
        headers: [(name: String, value: Secret)] = [], recipients: [String] = []
    ) {
        self.name = name
        self.type = type
        self.languages = languages
        self.timeout = timeout
        self.rateLimit = rateLimit
        self.maxConcurrency = maxConcurrency
        self.settings = settings
        self.secrets = secrets
        self.headers = headers
        self.recipients = recipients
    }

    /// A setting, plain or secret; callers that show values must use `settings` only.
    public func value(_ key: String) -> String? {
        settings[key] ?? secrets[key]?.reveal()
    }
}
