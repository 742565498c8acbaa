import Foundation

extension ChannelDefinition {
    /// Where the channel points, safe to show: scheme and host only, since paths and queries often hold tokens
    /// (chat webhook URLs are themselves credentials).
    public var maskedEndpoint: String {
        for key in ["url", "api_base", "smtp_url"] {
            guard let value = value(key) else { continue }
            return Self.mask(value)
        }
        if let folder = settings["feed_dir"] { return folder }
        switch type {
        case .telegram: return "https://api.telegram.org/bot•••"
        case .twilioSMS: return "https://api.twilio.com/•••"
        case .facebookPage: return "https://graph.facebook.com/•••"
        case .x: return "https://api.x.com/2/tweets"
        default: return "-"
        }
    }

    static func mask(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
            return "•••"
        }
        let port = components.port.map { ":\($0)" } ?? ""
        let hasMore = !(components.path.isEmpty || components.path == "/") || components.query != nil
        return "\(scheme)://\(host)\(port)" + (hasMore ? "/•••" : "")
    }
}
