/// The two SMS alphabets (3GPP TS 23.038) and what they cost in segments.
///
/// GSM-7 fits 160 characters in one segment, 153 in each part of a longer message (the rest carries the
/// concatenation header); an extension-table character (`€`, `[`, `{`, …) takes two septets. Any character outside
/// GSM-7 makes the whole message UCS-2: 70 code units in one segment, 67 per part. French shows both sides:
/// `é è ù ì ò à É Ç` are in GSM-7's basic set, but `â ê î ô û ë ï ç` (and the typographic `— ’ « » …`) are not.
public enum SMSEncoding: String, Sendable, Hashable {
    case gsm7 = "GSM-7"
    case ucs2 = "UCS-2"

    /// The encoding a phone network will use for `text`.
    public static func of(_ text: String) -> SMSEncoding {
        text.unicodeScalars.allSatisfy { basic.contains($0) || extended.contains($0) } ? .gsm7 : .ucs2
    }

    /// The first character of `text` that forces UCS-2, if any (for the audit note).
    public static func firstNonGSM(in text: String) -> Character? {
        text.first { character in character.unicodeScalars.contains { !basic.contains($0) && !extended.contains($0) } }
    }

    /// The characters of `text` that force UCS-2 even after look-alikes (`ô`, `ç`, an emoji), each once, in order.
    public static func nonGSMCharacters(in text: String) -> [Character] {
        var seen: [Character] = []
        for character in text where lookalikes[character] == nil
            && character.unicodeScalars.contains(where: { !basic.contains($0) && !extended.contains($0) }) && !seen.contains(character) {
            seen.append(character)
        }
        return seen
    }

    /// Septets (GSM-7) or UTF-16 code units (UCS-2) that `text` takes in this encoding.
    public func units(_ text: String) -> Int {
        switch self {
        case .gsm7: text.unicodeScalars.reduce(0) { $0 + (Self.extended.contains($1) ? 2 : 1) }
        case .ucs2: text.utf16.count
        }
    }

    /// Segments `text` takes in this encoding (0 for an empty text).
    public func segments(_ text: String) -> Int {
        let count = units(text)
        if count == 0 { return 0 }
        if count <= single { return 1 }
        return (count + multipart - 1) / multipart
    }

    /// The most units that fit in `segments` segments.
    public func capacity(segments: Int) -> Int {
        segments <= 1 ? single : segments * multipart
    }

    private var single: Int { self == .gsm7 ? 160 : 70 }
    private var multipart: Int { self == .gsm7 ? 153 : 67 }

    /// GSM 03.38 default alphabet (ESC excluded). `Ç` is the capital at 0x09, as the standard defines it.
    static let basic: Set<Unicode.Scalar> = Set(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
            .unicodeScalars
    )

    /// The extension table: each costs an escape septet plus its own.
    static let extended: Set<Unicode.Scalar> = Set("\u{0C}^{}\\[~]|€".unicodeScalars)

    /// Typographic characters with a GSM-7 look-alike, as carriers' "smart encoding" replaces them.
    static let lookalikes: [Character: String] = [
        "—": "-", "–": "-", "‑": "-", "’": "'", "‘": "'", "‚": "'", "“": "\"", "”": "\"", "„": "\"",
        "«": "\"", "»": "\"", "…": "...", "\u{00A0}": " ", "\u{202F}": " ", "\u{2009}": " ", "\t": " ",
        // GSM-7 has à but not À: French capitals commonly drop the accent ("MISE A JOUR"), which keeps the SMS in
        // GSM-7 (160 characters a segment) instead of UCS-2 (70).
        "À": "A",
    ]

    /// `text` with typographic characters replaced by GSM-7 look-alikes, if that is what keeps it in GSM-7.
    ///
    /// A message already UCS-2 for another reason (`ê`, `ç`) keeps its typography: replacing it would save nothing.
    /// - Returns: The replacement, or nil when it would not make the message GSM-7.
    public static func gsmLookalike(_ text: String) -> String? {
        guard of(text) == .ucs2 else { return nil }
        var result = ""
        for character in text { result += lookalikes[character] ?? String(character) }
        return of(result) == .gsm7 ? result : nil
    }
}
