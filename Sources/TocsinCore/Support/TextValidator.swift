/// The one set of rules for a short, one-line value a person typed (a `--set` value, a name an error quotes):
/// how long it may be, counted three ways, and which characters it may not hold.
///
/// Length is measured in characters (what a reader sees), UTF-8 bytes (what a service stores and a receiver
/// reads) and Unicode scalars (what renderers and escapers walk): `"a"` followed by 450,000 combining marks is
/// one character but 900 kB, and took 12 s through rendering, signing and storage before these limits.
///
/// Refused characters: C0 and C1 controls, the line and paragraph separators, and every format character
/// (Unicode category Cf): bidirectional controls and marks (U+202A–202E, U+2066–2069, U+200E, U+200F, U+061C),
/// zero-width characters (U+200B, U+200C, U+2060…), the byte-order mark U+FEFF, the soft hyphen and the tag
/// characters U+E0000–E007F. Two exceptions keep emoji whole: the zero-width joiner U+200D between two emoji
/// (👩‍🚒, 🏳️‍🌈) and the tags of an emoji flag tag sequence (🏴 + 3 to 7 lowercase-letter or digit tags + U+E007F,
/// e.g. the flag of Scotland). Tags elsewhere are refused: they are invisible and can carry hidden ASCII text.
public enum TextValidator {
    /// How long a value may be, counted three ways.
    public struct Limits: Sendable, Hashable {
        public var characters: Int
        public var utf8Bytes: Int
        public var scalars: Int

        /// `characters` characters, at most 4 UTF-8 bytes and 2 scalars per character on average: room for any
        /// accented text, CJK or emoji of the limit's length, none for a mark-stacked or padded one.
        public init(characters: Int) {
            self.init(characters: characters, utf8Bytes: 4 * characters, scalars: 2 * characters)
        }

        public init(characters: Int, utf8Bytes: Int, scalars: Int) {
            self.characters = characters
            self.utf8Bytes = utf8Bytes
            self.scalars = scalars
        }
    }

    /// Why a value was refused.
    public enum Problem: Sendable, Hashable {
        /// Longer than `limits` by one of the three measures; `characters`, `utf8Bytes` and `scalars` are the
        /// value's own counts (`characters` is 0 when a cheaper measure already failed and it was not counted).
        case tooLong(characters: Int, utf8Bytes: Int, scalars: Int, limits: Limits)
        /// A C0/C1 control, U+2028 or U+2029: a line break or terminal escape in most places.
        case control(Unicode.Scalar)
        /// A bidirectional control or mark: the text can read differently from what was typed.
        case bidirectional(Unicode.Scalar)
        /// Another format character: zero-width, byte-order mark, soft hyphen, tag character….
        case invisible(Unicode.Scalar)

        /// The end of a sentence that starts "the value of 'x' ": what is wrong and what to do.
        public var explanation: String {
            switch self {
            case .tooLong(let characters, let bytes, let scalars, let limits):
                let accepted = "at most \(limits.characters) characters (\(limits.utf8Bytes) bytes of UTF-8, \(limits.scalars) code points) are accepted"
                if bytes > limits.utf8Bytes { return "takes \(bytes) bytes of UTF-8; \(accepted)" }
                if scalars > limits.scalars {
                    return "has \(scalars) code points (marks stacked on letters count); \(accepted)"
                }
                // The established wording for the common case, which scripts and tests rely on.
                return "is \(characters) characters long; at most \(limits.characters) are accepted"
            case .control:
                return "contains a control character (newline, tab, escape, bidirectional override…); write it on one line"
            case .bidirectional(let scalar):
                return "contains a control character (\(TextValidator.name(scalar)), bidirectional), which can make the alert read differently from what was typed; remove it"
            case .invisible(let scalar):
                return "contains an invisible format character (\(TextValidator.name(scalar))): zero-width characters, byte-order marks and tag characters can hide text; remove it"
            }
        }
    }

    /// The first problem of `value`, or nil when it is acceptable. Lengths are checked first and cheapest first
    /// (UTF-8 bytes, scalars, then characters), so a huge value costs one pass at most.
    public static func problem(in value: String, limits: Limits) -> Problem? {
        let bytes = value.utf8.count
        if bytes > limits.utf8Bytes { return .tooLong(characters: 0, utf8Bytes: bytes, scalars: 0, limits: limits) }
        let scalars = Array(value.unicodeScalars)
        if scalars.count > limits.scalars {
            return .tooLong(characters: 0, utf8Bytes: bytes, scalars: scalars.count, limits: limits)
        }
        let characters = value.count
        if characters > limits.characters {
            return .tooLong(characters: characters, utf8Bytes: bytes, scalars: scalars.count, limits: limits)
        }
        return firstRefusal(in: scalars)
    }

    /// The first refused character of `value`, whatever its length.
    public static func firstRefusal(in value: String) -> Problem? {
        firstRefusal(in: Array(value.unicodeScalars))
    }

    /// `text` as an error may quote it: at most `limit` scalars (then `…`), every refused character written as
    /// a `\u{…}` escape, so nothing reaches the operator's terminal that could move the cursor, reorder the line
    /// or hide text.
    public static func printable(_ text: String, limit: Int = 100) -> String {
        // One scalar past the limit, so a joiner at the cut still sees what follows it.
        let scalars = Array(text.unicodeScalars.prefix(limit + 1))
        var result = ""
        for index in scalars.indices.prefix(limit) {
            let scalar = scalars[index]
            if refusal(at: index, in: scalars) != nil {
                result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return scalars.count > limit ? result + "…" : result
    }

    /// `U+200E LEFT-TO-RIGHT MARK`: the code point and, when Unicode names it, its name.
    public static func name(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        guard let name = scalar.properties.name else { return code }
        return code + " " + name
    }

    private static func firstRefusal(in scalars: [Unicode.Scalar]) -> Problem? {
        for index in scalars.indices {
            if let problem = refusal(at: index, in: scalars) { return problem }
        }
        return nil
    }

    /// Whether the scalar at `index` is refused, judged with its neighbours (a joiner between emoji, a flag's tags).
    static func refusal(at index: Int, in scalars: [Unicode.Scalar]) -> Problem? {
        let scalar = scalars[index]
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator:
            return .control(scalar)
        case .format:
            break
        default:
            // Unassigned code points of the tag block are refused with the assigned ones.
            return isTag(scalar) ? tagRefusal(at: index, in: scalars) : nil
        }
        if isBidirectionalControl(scalar) { return .bidirectional(scalar) }
        if scalar.value == 0x200D { return isEmojiJoiner(at: index, in: scalars) ? nil : .invisible(scalar) }
        if isTag(scalar) { return tagRefusal(at: index, in: scalars) }
        return .invisible(scalar)
    }

    static func isBidirectionalControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    private static func isTag(_ scalar: Unicode.Scalar) -> Bool { (0xE0000...0xE007F).contains(scalar.value) }

    /// Emoji other than the ASCII digits, `#` and `*` (which Unicode also marks as emoji, for keycaps).
    private static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value > 0x7F && scalar.properties.isEmoji
    }

    /// A zero-width joiner between two emoji; before it, a variation selector or skin tone may follow the emoji.
    private static func isEmojiJoiner(at index: Int, in scalars: [Unicode.Scalar]) -> Bool {
        guard index + 1 < scalars.count, isEmoji(scalars[index + 1]) else { return false }
        var before = index - 1
        while before >= 0, scalars[before].value == 0xFE0F || scalars[before].properties.isEmojiModifier { before -= 1 }
        return before >= 0 && isEmoji(scalars[before])
    }

    /// Tags are accepted only as the spec of an emoji flag tag sequence: U+1F3F4, 3 to 7 tags of lowercase letters
    /// or digits (a region and subdivision, `gbsct`), U+E007F CANCEL TAG.
    private static func tagRefusal(at index: Int, in scalars: [Unicode.Scalar]) -> Problem? {
        var start = index
        while start > 0, isTag(scalars[start - 1]) { start -= 1 }
        var end = index
        while end + 1 < scalars.count, isTag(scalars[end + 1]) { end += 1 }
        let spec = scalars[start..<end]
        let isFlag = start > 0 && scalars[start - 1].value == 0x1F3F4 && scalars[end].value == 0xE007F
            && (3...7).contains(spec.count)
            && spec.allSatisfy { (0xE0030...0xE0039).contains($0.value) || (0xE0061...0xE007A).contains($0.value) }
        return isFlag ? nil : .invisible(scalars[index])
    }
}
