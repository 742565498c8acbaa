/// Credentials for HTTP Basic authentication.
///
/// Kept out of the URL so curl never echoes them; `description` hides the password.
public struct HTTPBasicAuth: Sendable, Hashable, CustomStringConvertible {
    /// The user name.
    public var user: String
    /// The password; never logged or put into errors.
    public var password: String

    /// Creates Basic credentials.
    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// A form safe to log: the password is redacted.
    public var description: String { "HTTPBasicAuth(user: \(user), password: <redacted>)" }
}

/// One HTTP request to hand to an ``HTTPTransport``.
public struct HTTPRequest: Sendable {
    /// The request method: mostly `POST`; `GET`, `PUT` and others are allowed.
    public var method: String
    /// The absolute `http` or `https` URL.
    ///
    /// It may carry secrets (a bot token in the path, a key in the query), so transports must never
    /// log it or put it into errors.
    public var url: String
    /// Header fields in the order to send them.
    public var headers: [HTTPHeader]
    /// The request body; sent for `POST` and for any other method when non-empty.
    public var body: [UInt8]
    /// Limit for the whole transfer: connect, send and receive.
    public var timeout: Duration
    /// Optional Basic credentials.
    public var basicAuth: HTTPBasicAuth?
    /// Path of a PEM file of CA certificates to trust (`CURLOPT_CAINFO`), for a receiver behind a private CA.
    public var caBundle: String?

    /// Creates a request.
    /// - Parameters:
    ///   - method: The method, `POST` by default.
    ///   - url: The absolute URL; may contain secrets.
    ///   - headers: Header fields in sending order.
    ///   - body: The body bytes.
    ///   - timeout: The whole-transfer timeout, 10 s by default.
    ///   - basicAuth: Optional Basic credentials.
    public init(
        method: String = "POST",
        url: String,
        headers: [HTTPHeader] = [],
        body: [UInt8] = [],
        timeout: Duration = .seconds(10),
        basicAuth: HTTPBasicAuth? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.basicAuth = basicAuth
    }
}
