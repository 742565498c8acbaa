/// The channel types of DESIGN.md, with the keys each takes.
public enum ChannelType: String, Sendable, Hashable, CaseIterable {
    case webhook, slack, teams, discord, mattermost, googleChat = "google-chat", telegram, ntfy
    case twilioSMS = "twilio-sms", facebookPage = "facebook-page", x, email, cap

    /// Keys every channel takes, whatever its type.
    public static let commonKeys: Set<String> = ["type", "languages", "timeout", "rate_limit", "max_concurrency", "expires", "allow_shortening"]

    /// Groups of keys of which one must be present (`[["to", "recipients_file"]]`: either).
    public var requiredKeys: [[String]] {
        switch self {
        case .webhook, .slack, .teams, .discord, .mattermost, .googleChat, .ntfy: [["url"]]
        case .telegram: [["bot_token"], ["chat_id"]]
        case .twilioSMS: [["account_sid"], ["auth_token"], ["from", "messaging_service_sid"], ["to", "recipients_file"]]
        case .facebookPage: [["page_id"], ["access_token"]]
        case .x: [["consumer_key"], ["consumer_secret"], ["access_token"], ["access_token_secret"]]
        case .email: [["smtp_url"], ["from"], ["to", "recipients_file"]]
        case .cap: [["url", "feed_dir"]]
        }
    }

    public var optionalKeys: Set<String> {
        switch self {
        // `ca_file`: a PEM file of CA certificates to trust for the receiver (a private CA), relative to the config.
        case .webhook: ["secret", "headers", "ca_file"]
        case .ntfy: ["token"]
        case .telegram, .facebookPage, .x: ["api_base"]
        // `max_segments`: the most SMS segments one message may take (default 4); longer text is shortened.
        case .twilioSMS: ["api_base", "max_segments"]
        // `ca_file`: a PEM file of CA certificates to trust for the SMTP server (a private CA), relative to the config.
        case .email: ["username", "password", "ca_file"]
        default: []
        }
    }

    /// Keys whose values must never be shown: tokens, passwords, and chat webhook URLs (the URL is the credential).
    public var secretKeys: Set<String> {
        switch self {
        case .webhook: ["secret"]
        case .slack, .teams, .discord, .mattermost, .googleChat: ["url"]
        case .telegram: ["bot_token"]
        case .ntfy: ["token"]
        case .twilioSMS: ["auth_token"]
        case .facebookPage: ["access_token"]
        case .x: ["consumer_secret", "access_token", "access_token_secret"]
        case .email: ["password"]
        case .cap: []
        }
    }

    /// Where the public sees what this type posts, in French and English: a test message there is a public post,
    /// so the daemon sends one only once the caller confirms it. `nil` for types that reach a closed audience.
    public var publicAudience: (fr: String, en: String)? {
        switch self {
        case .facebookPage: ("publié sur la page Facebook", "posted on the Facebook page")
        case .x: ("publié sur le compte X", "posted on the X account")
        case .cap: ("publié dans le flux CAP que lisent les afficheurs et les agrégateurs", "published in the CAP feed that signage and aggregators read")
        case .ntfy: ("vu par tous les abonnés du sujet ntfy, public s'il n'est pas protégé", "seen by every subscriber of the ntfy topic, public unless it is protected")
        default: nil
        }
    }

    /// Keys that may be read from a file (`KEY_file:`): every secret, and the addresses that often embed one.
    public var fileKeys: Set<String> {
        secretKeys.union(allKeys.intersection(["url", "api_base", "smtp_url", "username", "account_sid"]))
    }

    public var allKeys: Set<String> {
        Set(requiredKeys.flatMap { $0 }).union(optionalKeys)
    }

    /// Whether each recipient is its own delivery. A `cap` channel's recipients are its targets (``CAPTarget``).
    public var isPerRecipient: Bool { self == .twilioSMS || self == .email || self == .cap }

    /// The synthetic recipients of a `cap` channel, set by the config parser: `post` when it has a `url`, `feed`
    /// when it has a `feed_dir`. Each is its own delivery, so a dead endpoint never holds back the feed.
    public enum CAPTarget: String, Sendable, CaseIterable {
        case post, feed
    }
}
