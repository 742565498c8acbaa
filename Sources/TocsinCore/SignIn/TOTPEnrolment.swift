import ExtrasBase64
import Foundation

/// A web user's second factor as an authenticator app takes it (RFC 6238 TOTP: HMAC-SHA1, 6 digits, 30 s — the
/// defaults every app reads the same way): a fresh 160-bit seed (RFC 4226 §4 recommends 160 bits) and the
/// `otpauth://` URI that carries it (Google Authenticator's Key Uri Format, which the others follow).
public struct TOTPEnrolment: Sendable {
    public let seed: [UInt8]

    /// A new seed from the system's secure generator (getrandom on Linux).
    public init() {
        var generator = SystemRandomNumberGenerator()
        seed = (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    public init(seed: [UInt8]) { self.seed = seed }

    /// `otpauth://totp/ISSUER:USER?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`: the app shows the
    /// organisation and the user's name, so a director with several accounts picks the right code.
    public func uri(issuer: String, user: String) -> String {
        let secret = String(base32Encoding: seed, options: .omitPaddingCharacter)
        let label = Self.escaped(issuer) + ":" + Self.escaped(user)
        return "otpauth://totp/\(label)?secret=\(secret)&issuer=\(Self.escaped(issuer))&algorithm=SHA1&digits=6&period=30"
    }

    /// Percent-encoding of everything but RFC 3986's unreserved characters (a space is `%20`, never `+`, which
    /// some apps show as is).
    static func escaped(_ text: String) -> String {
        var unreserved = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        unreserved.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }
}
