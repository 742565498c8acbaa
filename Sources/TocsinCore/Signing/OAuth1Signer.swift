import Crypto
import Foundation

/// OAuth 1.0a request signing with HMAC-SHA1 (RFC 5849 §3), as X's API v2 takes for user-context requests.
///
/// Pure: the nonce and the timestamp are arguments, so a signature can be checked against published examples.
/// Only form-encoded bodies are signed parameters (RFC 5849 §3.4.1.3.1); a JSON body is not, so callers pass just
/// the query parameters for JSON requests (the URL's own query is read from `url` anyway).
public struct OAuth1Signer: Sendable {
    private let consumerKey: String
    private let consumerSecret: Secret
    private let token: String
    private let tokenSecret: Secret

    /// - Parameters:
    ///   - consumerKey: The app's API key (public).
    ///   - consumerSecret: The app's API key secret.
    ///   - token: The user's access token (treated as a secret by callers: it names the account).
    ///   - tokenSecret: The user's access token secret.
    public init(consumerKey: String, consumerSecret: Secret, token: Secret, tokenSecret: Secret) {
        self.consumerKey = consumerKey
        self.consumerSecret = consumerSecret
        self.token = token.reveal()
        self.tokenSecret = tokenSecret
    }

    /// The `Authorization` header value for one request.
    /// - Parameters:
    ///   - method: The HTTP method, e.g. `POST`.
    ///   - url: The request URL; its query parameters are signed.
    ///   - parameters: Form-encoded body parameters (none for a JSON body).
    ///   - nonce: A value unique to this request (see ``randomNonce()``).
    ///   - timestamp: Unix seconds of the request.
    ///   - includeVersion: Sends `oauth_version="1.0"` (optional in RFC 5849; X's examples send it).
    /// - Returns: `OAuth oauth_consumer_key="…", …, oauth_signature="…", …`, parameters sorted by name.
    public func authorization(
        method: String, url: String, parameters: [(String, String)] = [], nonce: String, timestamp: Int64,
        includeVersion: Bool = true
    ) -> String {
        var oauth = [
            ("oauth_consumer_key", consumerKey),
            ("oauth_nonce", nonce),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", String(timestamp)),
            ("oauth_token", token),
        ]
        if includeVersion { oauth.append(("oauth_version", "1.0")) }
        let signature = sign(method: method, url: url, parameters: parameters + oauth)
        oauth.append(("oauth_signature", signature))
        let fields = oauth.sorted { $0.0 < $1.0 }.map { "\(Self.percentEncode($0.0))=\"\(Self.percentEncode($0.1))\"" }
        return "OAuth " + fields.joined(separator: ", ")
    }

    /// The base64 HMAC-SHA1 signature over the signature base string (RFC 5849 §3.4.2), not yet percent-encoded.
    /// - Parameter parameters: The body and `oauth_*` parameters; the URL's query is added here.
    public func sign(method: String, url: String, parameters: [(String, String)]) -> String {
        let key = Self.percentEncode(consumerSecret.reveal()) + "&" + Self.percentEncode(tokenSecret.reveal())
        let base = Self.signatureBaseString(method: method, url: url, parameters: parameters)
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(base.utf8), using: SymmetricKey(data: Data(key.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// RFC 5849 §3.4.1: `METHOD&encoded(base URI)&encoded(normalized parameters)`.
    /// - Parameters:
    ///   - url: The request URL; its query parameters join `parameters`, and its scheme, host and port are
    ///     normalised (lower case, default port left out).
    ///   - parameters: Decoded name/value pairs (body and `oauth_*`), without `oauth_signature`.
    public static func signatureBaseString(method: String, url: String, parameters: [(String, String)]) -> String {
        var all = parameters
        var baseURI = url
        if let components = URLComponents(string: url) {
            all += (components.queryItems ?? []).map { ($0.name, $0.value ?? "") }
            let scheme = (components.scheme ?? "").lowercased()
            let host = (components.host ?? "").lowercased()
            var authority = host
            if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
                authority += ":\(port)"
            }
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            baseURI = "\(scheme)://\(authority)\(path)"
        }
        // §3.4.1.3.2: encode each name and value, sort by name then value (byte order), join with = and &.
        let encoded: [(name: String, value: String)] = all.map { (percentEncode($0.0), percentEncode($0.1)) }
        let sorted = encoded.sorted { (a: (name: String, value: String), b: (name: String, value: String)) -> Bool in
            a.name == b.name ? a.value < b.value : a.name < b.name
        }
        let normalized: String = sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
        return method.uppercased() + "&" + percentEncode(baseURI) + "&" + percentEncode(normalized)
    }

    /// RFC 5849 §3.6 / RFC 3986 percent-encoding: everything but `A–Z a–z 0–9 - . _ ~` as `%XX` of UTF-8 bytes.
    public static func percentEncode(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                result.unicodeScalars.append("%")
                result.unicodeScalars.append(hex[Int(byte >> 4)])
                result.unicodeScalars.append(hex[Int(byte & 0x0F)])
            }
        }
        return result
    }

    /// 32 random alphanumeric characters, as X's documentation suggests for `oauth_nonce`.
    public static func randomNonce() -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        var generator = SystemRandomNumberGenerator()
        return String((0..<32).map { _ in alphabet[Int(generator.next(upperBound: UInt(alphabet.count)))] })
    }
}
