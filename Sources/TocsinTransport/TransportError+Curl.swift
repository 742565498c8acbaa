import CCurl

extension TransportError.Kind {
    /// Classifies a libcurl result code; the classes are what retry policies act on.
    init(curlCode code: CURLcode) {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            self = .timeout
        case CURLE_COULDNT_CONNECT:
            self = .connect
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            self = .dns
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT, CURLE_USE_SSL_FAILED:
            self = .tls
        // A reply cut short or garbled is a broken exchange with a reachable peer, like a reset.
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_HTTP2,
            CURLE_HTTP2_STREAM, CURLE_WEIRD_SERVER_REPLY:
            self = .sendOrReceive
        default:
            self = .other
        }
    }
}

extension HTTPRequest {
    /// `text` with this request's URL parts, header values and credentials masked: for anything a service
    /// answered (which may echo the request) before it is logged, audited or shown.
    public func redacting(_ text: String) -> String {
        SecretRedactor(request: self).redact(text)
    }
}

extension TransportError {
    /// True when the request itself is wrong (bad URL, unsupported scheme, invalid header or address), the
    /// server rejected the configured credentials (SMTP AUTH, `CURLE_LOGIN_DENIED`), TLS was required but the
    /// SMTP server does not offer STARTTLS (`CURLE_USE_SSL_FAILED`), or the configured CA file cannot be read
    /// (`CURLE_SSL_CACERT_BADFILE`): retrying cannot help.
    public var isConfigurationError: Bool {
        switch kind {
        case .other: [0, 1, 3, Int32(CURLE_LOGIN_DENIED.rawValue)].contains(curlCode)
        case .tls: [Int32(CURLE_USE_SSL_FAILED.rawValue), Int32(CURLE_SSL_CACERT_BADFILE.rawValue)].contains(curlCode)
        default: false
        }
    }
}

/// Removes a request's secrets from text that libcurl produced.
///
/// curl's messages name the host and port, not the path, but that is curl's habit, not its contract,
/// and the URL path, query, header values and credentials are where tokens live.
public struct SecretRedactor: Sendable {
    public static let placeholder = "<redacted>"

    /// Longest first, so a whole URL is replaced before any of its parts.
    private let secrets: [String]

    /// Masks each of `candidates` (very short ones, such as "1" or "on", would shred ordinary words without
    /// protecting anything, so those under four bytes are left alone).
    public init(candidates: [String]) {
        secrets = Set(candidates.filter { $0.utf8.count >= 4 }).sorted { $0.utf8.count > $1.utf8.count }
    }

    init(request: HTTPRequest) {
        var candidates = [request.url]
        candidates += Self.urlParts(request.url)
        candidates += request.headers.map(\.value)
        if let auth = request.basicAuth {
            candidates += [auth.user, auth.password]
        }
        self.init(candidates: candidates)
    }

    /// An SMTP submission's secrets: the URL (it may carry user info) and the AUTH credentials.
    init(mail: MailRequest) {
        var candidates = [mail.url]
        candidates += Self.urlParts(mail.url)
        if let credentials = mail.credentials {
            candidates += [credentials.user, credentials.password]
        }
        self.init(candidates: candidates)
    }

    public func redact(_ text: String) -> String {
        var text = text
        for secret in secrets where text.contains(secret) {
            text = text.replacing(secret, with: Self.placeholder)
        }
        return text
    }

    /// The user-info, path-and-query, path, query and fragment of `url`, parsed leniently so that
    /// malformed URLs (the ones curl complains about) are covered too.
    static func urlParts(_ url: String) -> [String] {
        let afterScheme = url.firstRange(of: "://").map { url[$0.upperBound...] } ?? url[...]
        var parts: [String] = []
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            parts.append(String(authority[..<at]))
        }
        let rest = afterScheme[authorityEnd...]
        parts.append(String(rest))
        let pathEnd = rest.firstIndex { $0 == "?" || $0 == "#" } ?? rest.endIndex
        parts.append(String(rest[..<pathEnd]))
        if let question = rest.firstIndex(of: "?") {
            parts.append(String(rest[rest.index(after: question)...]))
        }
        if let hash = rest.firstIndex(of: "#") {
            parts.append(String(rest[rest.index(after: hash)...]))
        }
        // A token is often one path segment (`/bot<token>/sendMessage`).
        parts += rest[..<pathEnd].split(separator: "/").map(String.init)
        return parts
    }
}
