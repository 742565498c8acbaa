import Foundation
import TocsinCore
import TocsinText

/// An RFC 5322 message with a `multipart/alternative` MIME body (RFC 2045, 2046), built as CRLF-terminated bytes.
///
/// Header values are given as plain text: ``MIME/headerValue(_:nameLength:)`` encodes them (RFC 2047) when they
/// are not short printable ASCII. Every part is UTF-8 in quoted-printable, so the raw message stays 7-bit and
/// readable, and no line passes 76 characters.
struct MIMEMessage {
    struct Part {
        /// E.g. `text/plain`; `; charset=UTF-8` is added.
        var mediaType: String
        var text: String
    }

    /// Header fields in order, values already encoded (see ``MIME``).
    var headers: [(name: String, value: String)]
    var parts: [Part]
    /// Must not occur in any encoded part: a boundary starting with `=_` cannot, since quoted-printable never
    /// writes `=` followed by `_`.
    var boundary: String

    func bytes() -> [UInt8] {
        var out = ""
        for header in headers { out += "\(header.name): \(header.value)\r\n" }
        out += "MIME-Version: 1.0\r\n"
        out += "Content-Type: multipart/alternative; boundary=\"\(boundary)\"\r\n"
        out += "\r\n"
        // A preamble for the rare reader without MIME; clients hide it.
        out += "This is a multi-part message in MIME format.\r\n"
        for part in parts {
            out += "\r\n--\(boundary)\r\n"
            out += "Content-Type: \(part.mediaType); charset=UTF-8\r\n"
            out += "Content-Transfer-Encoding: quoted-printable\r\n"
            out += "\r\n"
            out += MIME.quotedPrintable(part.text)
        }
        out += "\r\n--\(boundary)--\r\n"
        return Array(out.utf8)
    }
}

/// Encodings that e-mail headers and bodies need.
enum MIME {
    /// Longest UTF-8 text per encoded-word: 36 bytes make 48 base64 characters, so `=?UTF-8?B?…?=` is 60
    /// characters and a folded line stays under RFC 2047's 76 even after `Subject: `.
    private static let bytesPerEncodedWord = 36

    /// A header value for unstructured text (`Subject`): as is when it is printable ASCII that fits on one line,
    /// otherwise RFC 2047 encoded-words (UTF-8, base64), folded between words. Line breaks become spaces.
    /// - Parameters:
    ///   - text: the plain value.
    ///   - nameLength: the length of the field name, to know whether `Name: value` fits in 78 characters.
    static func headerValue(_ text: String, nameLength: Int) -> String {
        let flat = String(text.map { $0.isNewline ? " " : $0 })
        let printable = flat.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) }
        if printable, !flat.contains("=?"), nameLength + 2 + flat.utf8.count <= 78 { return flat }
        return encodedWords(flat).joined(separator: "\r\n ")
    }

    /// A display name for `From:`: a quoted string when ASCII, encoded-words otherwise.
    static func displayName(_ name: String) -> String {
        let flat = String(name.map { $0.isNewline ? " " : $0 })
        if flat.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }), !flat.contains("=?"), flat.count <= 60 {
            return "\"" + flat.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return encodedWords(flat).joined(separator: "\r\n ")
    }

    /// `text` as RFC 2047 `B` encoded-words, never splitting a character's UTF-8 bytes between two words.
    static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        func flush() {
            guard !chunk.isEmpty else { return }
            words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
            chunk.removeAll()
        }
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > bytesPerEncodedWord { flush() }
            chunk += bytes
        }
        flush()
        return words.isEmpty ? ["=?UTF-8?B??="] : words
    }

    /// RFC 2045 quoted-printable of UTF-8 text, with CRLF line ends and soft breaks before 76 characters.
    ///
    /// Beyond the rules, a line's leading `.` and `From ` are encoded too, so neither SMTP's end-of-data marker
    /// nor an mbox separator can ever appear, whatever relays the message.
    static func quotedPrintable(_ text: String) -> String {
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var out: [String] = []
        for line in normalized.split(separator: "\n", omittingEmptySubsequences: false) {
            let bytes = Array(line.utf8)
            var tokens: [String] = []
            for (index, byte) in bytes.enumerated() {
                let isLast = index == bytes.count - 1
                let literal: Bool
                switch byte {
                case UInt8(ascii: "="): literal = false
                case UInt8(ascii: " "), UInt8(ascii: "\t"): literal = !isLast  // trailing blanks would be stripped
                case UInt8(ascii: "."): literal = index != 0
                case 33...126: literal = !(index == 0 && byte == UInt8(ascii: "F") && bytes.starts(with: Array("From ".utf8)))
                default: literal = false
                }
                tokens.append(literal ? String(UnicodeScalar(byte)) : String(format: "=%02X", byte))
            }
            // Soft line breaks: at most 75 characters plus the `=`, never inside an `=XX` escape.
            var current = ""
            for token in tokens {
                if current.count + token.count > 75 {
                    out.append(current + "=")
                    current = ""
                }
                current += token
            }
            out.append(current)
        }
        return out.joined(separator: "\r\n")
    }

    /// An RFC 5322 `Date:` value (`Mon, 23 Nov 2026 16:40:42 -0500`) for a CAP date-time, keeping its offset.
    static func date(fromCAP sent: String) -> String? {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime]
        guard let date = parser.date(from: sent) else { return nil }
        var offset = 0
        if let sign = sent.dropFirst(19).first(where: { $0 == "+" || $0 == "-" }) {
            let zone = sent[sent.lastIndex(of: sign)!...].dropFirst().split(separator: ":").compactMap { Int($0) }
            if zone.count == 2 { offset = (zone[0] * 3600 + zone[1] * 60) * (sign == "-" ? -1 : 1) }
        }
        return rfc5322(date, offsetSeconds: offset)
    }

    static func rfc5322(_ date: Date, offsetSeconds: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: offsetSeconds) ?? TimeZone(secondsFromGMT: 0)
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss Z"
        return formatter.string(from: date)
    }

    /// Text made safe inside HTML elements and attribute values.
    static func htmlEscaped(_ text: String) -> String { HTMLEscaping.escape(text) }
}
