public import TocsinRequests
/// Removes secrets from text a service or libcurl produced, in every form a service may echo them.
///
/// A service (or a proxy, or a debugging page) may answer with what it was sent: a 401 page quoting the
/// `Authorization` header puts `Basic <base64 of user:secret>` into the answer, a JSON error quotes a form field
/// percent-encoded or with `/` escaped as `\/`, a log line lowercases it, a message cuts it short. For each secret
/// this builds the forms such an echo takes (raw, percent-encoded, JSON- and HTML-escaped, base64 and base64url at
/// each of the three byte alignments, so the secret is found inside any base64 blob such as `user:secret` whatever
/// the user), and replaces every run of text covered by eight or more consecutive characters of any form, in any
/// ASCII letter case, with ``placeholder``. A secret shorter than eight bytes (but at least four) is matched whole.
///
/// A secret URL (a chat webhook, where the URL is the credential) keeps its scheme and host readable: only its
/// user-info and its part from the path on are secret, so a connection error still says where it went.
///
/// Cost: building takes time linear in the total length of the forms (one set of 8-byte windows); redacting is
/// one pass over the text's UTF-8 bytes with a set lookup per byte. It runs only on failures.
public struct SecretRedactor: Sendable {
    public static let placeholder = "<redacted>"

    /// How many consecutive characters of a form count as a leak.
    static let window = 8
    /// Values shorter than this (`"1"`, `"on"`) would shred ordinary words without protecting anything.
    static let minimumLength = 4

    /// Every `window`-byte run of every long form, ASCII-lowercased, packed big-endian into a `UInt64`.
    private let windows: Set<UInt64>
    /// Forms of short secrets (4 to 7 bytes), ASCII-lowercased, matched whole.
    private let shortForms: [[UInt8]]

    /// A redactor for `secrets` (values of any length; those under four bytes are ignored).
    public init(secrets: [String]) {
        var long: [[UInt8]] = []
        var shortForms: Set<[UInt8]> = []
        for secret in Set(secrets) {
            for source in Self.sources(of: secret) where source.count >= Self.minimumLength {
                let isShort = source.count < Self.window
                for form in Self.forms(of: source) where form.count >= Self.minimumLength {
                    if isShort || form.count < Self.window { shortForms.insert(form.map(Self.fold)) } else { long.append(form) }
                }
            }
        }
        // Sized once: growing the set while inserting would rehash it several times (the cost that dominates).
        var windows = Set<UInt64>(minimumCapacity: long.reduce(0) { $0 + $1.count })
        for form in long {
            var key: UInt64 = 0
            for (index, byte) in form.enumerated() {
                key = key << 8 | UInt64(Self.fold(byte))
                if index >= Self.window - 1 { windows.insert(key) }
            }
        }
        self.windows = windows
        self.shortForms = shortForms.sorted { $0.count > $1.count }
    }

    /// Whether there is nothing to mask.
    public var isEmpty: Bool { windows.isEmpty && shortForms.isEmpty }

    /// `text` with every run covered by a secret's form replaced by ``placeholder``; `text` itself when none is.
    public func redact(_ text: String) -> String {
        guard !isEmpty else { return text }
        let bytes = Array(text.utf8)
        var covered: [Bool] = []
        func cover(_ range: Range<Int>) {
            if covered.isEmpty { covered = [Bool](repeating: false, count: bytes.count) }
            for index in range { covered[index] = true }
        }
        if bytes.count >= Self.window, !windows.isEmpty {
            var key: UInt64 = 0
            for index in bytes.indices {
                key = key << 8 | UInt64(Self.fold(bytes[index]))
                if index >= Self.window - 1, windows.contains(key) { cover(index + 1 - Self.window..<index + 1) }
            }
        }
        for form in shortForms where form.count <= bytes.count {
            var start = 0
            while start + form.count <= bytes.count {
                if Self.fold(bytes[start]) == form[0], form.indices.allSatisfy({ Self.fold(bytes[start + $0]) == form[$0] }) {
                    cover(start..<start + form.count)
                    start += form.count
                } else {
                    start += 1
                }
            }
        }
        guard !covered.isEmpty else { return text }
        return String(decoding: Self.replacingCovered(bytes, covered), as: UTF8.self)
    }

    /// The bytes with each covered run, widened to whole characters (a match may start or end inside a multi-byte
    /// UTF-8 sequence), replaced by one placeholder.
    private static func replacingCovered(_ bytes: [UInt8], _ covered: [Bool]) -> [UInt8] {
        var covered = covered
        func isContinuation(_ index: Int) -> Bool { index < bytes.count && bytes[index] & 0xC0 == 0x80 }
        for index in bytes.indices where covered[index] {
            var start = index
            while start > 0, isContinuation(start), !covered[start - 1] { start -= 1; covered[start] = true }
            var end = index + 1
            while isContinuation(end), !covered[end] { covered[end] = true; end += 1 }
        }
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if covered[index] {
                result += placeholder.utf8
                while index < bytes.count, covered[index] { index += 1 }
            } else {
                result.append(bytes[index])
                index += 1
            }
        }
        return result
    }

    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }

    // MARK: - Forms

    /// The secret parts of a value: for a URL its user-info and its part from the path on; otherwise the value.
    static func sources(of secret: String) -> [[UInt8]] {
        guard let scheme = secret.firstRange(of: "://") else { return [Array(secret.utf8)] }
        let afterScheme = secret[scheme.upperBound...]
        let authorityEnd = afterScheme.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? afterScheme.endIndex
        let authority = afterScheme[..<authorityEnd]
        var sources = [Array(afterScheme[authorityEnd...].utf8)]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            sources.append(Array(userInfo.utf8))
            if let colon = userInfo.firstIndex(of: ":") { sources.append(Array(userInfo[userInfo.index(after: colon)...].utf8)) }
        }
        return sources
    }

    /// The ways a service may write `secret` back: raw, escaped for URLs, JSON and HTML, and base64 (standard and
    /// URL-safe, each also percent- and JSON-escaped) at the three byte alignments.
    static func forms(of secret: [UInt8]) -> Set<[UInt8]> {
        var forms: Set<[UInt8]> = [secret, percentEncoded(secret), percentEncoded(secret, spaceAsPlus: true)]
        forms.insert(jsonEscaped(secret, slash: true, nonASCII: true))
        forms.insert(jsonEscaped(secret, slash: false, nonASCII: true))
        forms.insert(jsonEscaped(secret, slash: true, nonASCII: false))
        forms.insert(htmlEscaped(secret))
        for alphabet in [base64Alphabet, base64URLAlphabet] {
            for filler in 0..<3 {
                let encoded = base64Core(secret, filler: filler, alphabet: alphabet)
                forms.insert(encoded)
                forms.insert(percentEncoded(encoded))
                forms.insert(jsonEscaped(encoded, slash: true, nonASCII: false))
            }
        }
        return forms
    }

    static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let base64URLAlphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// The base64 characters that depend on `bytes` alone when they sit `filler` bytes past a multiple of three in
    /// a larger blob: the characters mixing in the bytes before (the filler) or after (or the padding) are left out.
    static func base64Core(_ bytes: [UInt8], filler: Int, alphabet: [UInt8]) -> [UInt8] {
        let data = [UInt8](repeating: 0, count: filler) + bytes
        let first = (8 * filler + 5) / 6
        let end = data.count * 8 / 6
        guard first < end else { return [] }
        var result: [UInt8] = []
        result.reserveCapacity(end - first)
        for index in first..<end {
            let bit = 6 * index
            let byte = bit / 8
            let pair = UInt16(data[byte]) << 8 | UInt16(byte + 1 < data.count ? data[byte + 1] : 0)
            result.append(alphabet[Int(pair >> (10 - UInt16(bit % 8)) & 0x3F)])
        }
        return result
    }

    /// Every byte but RFC 3986's unreserved ones as `%XX` (the strictest encoder; lenient ones leave more raw, and
    /// the raw form's runs cover those stretches). With `spaceAsPlus`, a space is `+` (HTML forms).
    static func percentEncoded(_ bytes: [UInt8], spaceAsPlus: Bool = false) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                result.append(byte)
            case UInt8(ascii: " ") where spaceAsPlus:
                result.append(UInt8(ascii: "+"))
            default:
                result += "%".utf8
                result += hex(byte, digits: 2)
            }
        }
        return result
    }

    /// As inside a JSON string: `"` and `\` escaped, control characters as `\u00XX`; `/` as `\/` (PHP's habit) when
    /// `slash`, non-ASCII as UTF-16 `\uXXXX` (Python's) when `nonASCII`.
    static func jsonEscaped(_ bytes: [UInt8], slash: Bool, nonASCII: Bool) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        func escape(_ unit: UInt16) {
            result += "\\u".utf8
            result += hex(unit, digits: 4)
        }
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""): result += "\\\"".utf8
            case UInt8(ascii: "\\"): result += "\\\\".utf8
            case UInt8(ascii: "/") where slash: result += "\\/".utf8
            case ..<0x20: escape(UInt16(byte))
            case 0x80... where nonASCII:
                // One whole UTF-8 sequence (its length from the lead byte), as UTF-16 code units.
                let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
                let sequence = bytes[index..<min(index + length, bytes.count)]
                for unit in String(decoding: sequence, as: UTF8.self).utf16 { escape(unit) }
                index += sequence.count
                continue
            default: result.append(byte)
            }
            index += 1
        }
        return result
    }

    /// As inside HTML text or an attribute.
    static func htmlEscaped(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "&"): result += "&amp;".utf8
            case UInt8(ascii: "<"): result += "&lt;".utf8
            case UInt8(ascii: ">"): result += "&gt;".utf8
            case UInt8(ascii: "\""): result += "&quot;".utf8
            case UInt8(ascii: "'"): result += "&#39;".utf8
            default: result.append(byte)
            }
        }
        return result
    }

    private static func hex(_ value: some BinaryInteger, digits: Int) -> [UInt8] {
        let text = String(value, radix: 16, uppercase: true)
        return Array((String(repeating: "0", count: max(digits - text.count, 0)) + text).utf8)
    }
}

// MARK: - Requests

extension SecretRedactor {
    /// Header names whose values are never credentials: the redactor leaves them alone, so an answer that says
    /// "expected application/json" stays readable.
    static let publicHeaders: Set<String> = [
        "accept", "content-type", "content-length", "user-agent", "host", "webhook-id", "webhook-timestamp",
        "title", "priority", "tags",
    ]

    init(request: HTTPRequest) { self.init(secrets: request.secretValues) }

    /// An SMTP submission's secrets: the URL (it may carry user info) and the AUTH password.
    init(mail: MailRequest) { self.init(secrets: mail.secretValues) }
}

extension HTTPRequest {
    /// What in this request may be a credential, for ``SecretRedactor``: the URL (its path and query, where tokens
    /// live), every header value but the ``SecretRedactor/publicHeaders``, and the Basic password.
    public var secretValues: [String] {
        var values = [url]
        for header in headers where !SecretRedactor.publicHeaders.contains(header.name.lowercased()) {
            values.append(header.value)
            // `Authorization: Basic …` set by hand: its decoded password too.
            if header.value.lowercased().hasPrefix("basic "), let decoded = Self.base64Decoded(header.value.dropFirst(6)),
                let colon = decoded.firstIndex(of: ":")
            {
                values.append(String(decoded[decoded.index(after: colon)...]))
            }
        }
        if let basicAuth { values.append(basicAuth.password) }
        return values
    }

    private static func base64Decoded(_ text: Substring) -> String? {
        var bits = 0, value: UInt32 = 0
        var bytes: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") && byte != UInt8(ascii: " ") {
            guard let digit = SecretRedactor.base64Alphabet.firstIndex(of: byte) else { return nil }
            value = value << 6 | UInt32(digit)
            bits += 6
            if bits >= 8 {
                bits -= 8
                bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(bits)))
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `text` with this request's credentials masked in every form a service may echo them (see ``SecretRedactor``).
    public func redacting(_ text: String) -> String {
        SecretRedactor(request: self).redact(text)
    }
}

extension MailRequest {
    /// What in this submission may be a credential: the URL's user-info and the AUTH password.
    public var secretValues: [String] {
        [url] + (credentials.map { [$0.password] } ?? [])
    }
}
