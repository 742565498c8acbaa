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
