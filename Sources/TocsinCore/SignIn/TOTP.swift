import Foundation
import Crypto

/// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1, the variant every authenticator app
/// reads): the web console's second factor. Pure: the caller gives the time and keeps the last step used, so that
/// a code is accepted once across every node (the store's conditional update does that, not this type).
/// Written here rather than taken from hummingbird-auth's `HummingbirdOTP`, which would bring Hummingbird into
/// `tocsind`, keys its HMAC with a string rather than the seed's bytes, and has no verification window.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public let digits: Int
    public let period: Int64

    public init(secret: [UInt8], digits: Int = 6, period: Int64 = 30) {
        precondition((6...8).contains(digits) && period > 0)
        self.secret = secret
        self.digits = digits
        self.period = period
    }

    /// A new secret for an enrolment: 160 bits (RFC 4226 §4 recommends it) from the system's secure generator
    /// (getrandom on Linux).
    public static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// The time step a moment falls in (seconds since 1970 divided by the period).
    public func step(at unixSeconds: Int64) -> Int64 { unixSeconds >= 0 ? unixSeconds / period : -1 }

    public func code(atStep step: Int64) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let number = String(binary % modulus)
        return String(repeating: "0", count: digits - number.count) + number
    }

    public func code(at unixSeconds: Int64) -> String { code(atStep: step(at: unixSeconds)) }

    /// The step whose code this is, looking `window` steps either side of now for a phone's clock that drifts; nil
    /// when it matches none. Every candidate is compared in full, so the time taken says nothing of the code.
    public func matchingStep(of typed: String, at unixSeconds: Int64, window: Int64 = 1) -> Int64? {
        let typed = Array(typed.utf8.filter { $0 != UInt8(ascii: " ") })
        guard typed.count == digits else { return nil }
        let now = step(at: unixSeconds)
        var found: Int64?
        for step in (now - window)...(now + window) where step >= 0 {
            if ConstantTime.equal(Array(code(atStep: step).utf8), typed), found == nil { found = step }
        }
        return found
    }

    /// The `otpauth://totp/…` URI an authenticator app scans (as a QR code) or that a person types in.
    public func provisioningURI(account: String, issuer: String) -> String {
        let label = Self.percentEncoded(issuer) + ":" + Self.percentEncoded(account)
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(Self.percentEncoded(issuer))"
            + "&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }

    private static func percentEncoded(_ text: String) -> String {
        var output = ""
        for byte in text.utf8 {
            let unreserved = (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
            if unreserved { output.unicodeScalars.append(Unicode.Scalar(byte)) } else {
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                output += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 15)])
            }
        }
        return output
    }
}
