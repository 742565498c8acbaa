/// One e-mail to hand to an SMTP server through libcurl: envelope and the complete RFC 5322 message.
public struct MailRequest: Sendable {
    /// `smtp://host:port` or `smtps://host:port` (implicit TLS).
    public var url: String
    /// Envelope sender (`MAIL FROM`).
    public var from: String
    /// Envelope recipients (`RCPT TO`); usually one, since each recipient is its own delivery.
    public var recipients: [String]
    /// The whole message, headers and body, with CRLF line ends, already encoded (RFC 2047 headers, MIME parts).
    public var message: [UInt8]
    /// AUTH credentials, if the server wants them.
    public var credentials: HTTPBasicAuth?
    /// On `smtp://`, refuse to send unless STARTTLS succeeds (never send credentials in clear).
    public var requireTLS: Bool
    /// Path of a PEM file of CA certificates to trust for this transfer (`CURLOPT_CAINFO`), for a server whose
    /// certificate comes from a private CA; nil trusts the system store. It replaces curl's default CA file only:
    /// a default CA folder built into libcurl (Debian's: `/etc/ssl/certs`) still applies. Verification of the
    /// server's certificate and name stays on either way.
    public var caBundle: String?
    public var timeout: Duration

    public init(
        url: String, from: String, recipients: [String], message: [UInt8], credentials: HTTPBasicAuth? = nil,
        requireTLS: Bool = false, caBundle: String? = nil, timeout: Duration = .seconds(30)
    ) {
        self.url = url
        self.from = from
        self.recipients = recipients
        self.message = message
        self.credentials = credentials
        self.requireTLS = requireTLS
        self.caBundle = caBundle
        self.timeout = timeout
    }
}

/// The SMTP server's final answer to a mail transfer.
public struct MailResponse: Sendable {
    /// The last SMTP reply code (250 when the message was accepted).
    public var code: Int
    public var latency: Duration
    /// The text of the server's last `250` reply (to the message, when it was accepted), e.g.
    /// `250 2.0.0 Ok: queued as 4F2A1C2B3D`: where its queue id is. Capped at ``replyLimit`` bytes.
    public var reply: String?

    /// The most bytes of a reply that are kept.
    public static let replyLimit = 512

    public init(code: Int, latency: Duration, reply: String? = nil) {
        self.code = code
        self.latency = latency
        self.reply = reply
    }
}
