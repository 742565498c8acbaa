public import TocsinCore

/// How a service counts the length it limits.
public enum TextMeasure: Sendable, Hashable {
    /// Unicode code points (Discord, Slack, Mattermost, Google Chat, Facebook).
    case scalars
    /// UTF-8 bytes (ntfy's 4,096-byte message, payload size limits).
    case utf8Bytes
    /// What Telegram counts after parsing HTML entities: UTF-16 code units of the visible text, tags left out and
    /// each `&…;` entity one unit. Exact for text this module produced (every literal `<` and `&` escaped).
    case telegramVisible
    /// X's weighted length, approximated: most Latin, Greek, Cyrillic and general punctuation 1, everything else
    /// (CJK, emoji) 2, and every `http://` or `https://` word 23 (its t.co length). Emoji sequences count per
    /// code point, so they may be over-counted; never under-counted.
    case xWeighted
    /// SMS units in the given encoding: GSM-7 septets (extension characters 2) or UCS-2 code units.
    case sms(SMSEncoding)

    public func count(_ text: String) -> Int {
        switch self {
        case .scalars: text.unicodeScalars.count
        case .utf8Bytes: text.utf8.count
        case .telegramVisible: Self.telegramLength(text)
        case .xWeighted: Self.xLength(text)
        case .sms(let encoding): encoding.units(text)
        }
    }

    /// The unit's name in audit notes.
    public var unit: String {
        switch self {
        case .scalars, .telegramVisible: "characters"
        case .utf8Bytes: "bytes"
        case .xWeighted: "weighted characters"
        case .sms(.gsm7): "GSM-7 septets"
        case .sms(.ucs2): "UCS-2 characters"
        }
    }

    private static func telegramLength(_ text: String) -> Int {
        var count = 0
        var inTag = false, inEntity = false
        for unit in text.utf16 {
            switch unit {
            case _ where inTag: if unit == 0x3E { inTag = false }  // >
            case _ where inEntity: if unit == 0x3B { inEntity = false }  // ;
            case 0x3C: inTag = true  // <
            case 0x26: inEntity = true; count += 1  // &
            default: count += 1
            }
        }
        return count
    }

    /// twitter-text's v3 configuration: weight 1 (of 2) for these code point ranges, 2 for the rest.
    private static func xWeight(_ scalar: Unicode.Scalar) -> Int {
        switch scalar.value {
        case 0...4351, 8192...8205, 8208...8223, 8242...8247: 1
        default: 2
        }
    }

    /// X's weighted length: a link counts 23 (t.co), whatever its length; other characters by ``xWeight(_:)``.
    ///
    /// Like twitter-text, a link is a word (less trailing punctuation) whose host ends in a top-level domain X
    /// knows, with or without `https://`: `cegep.qc.ca/urgence` is a link, `https://cegep.example/x` is not (a
    /// reserved name), so it counts whole. Only the TLDs in ``xKnownTLDs`` are recognised: a link under another
    /// real TLD counts at full length, which can only make Tocsin shorten earlier than X would, never let X refuse
    /// a post as too long. LengthReferenceTests compares with twitter-text itself.
    private static func xLength(_ text: String) -> Int {
        var total = 0
        var word = ""
        func flush() {
            total += xWordLength(word)
            word.removeAll()
        }
        for character in text {
            if character.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
                flush()
                total += character.unicodeScalars.reduce(0) { $0 + xWeight($1) }
            } else {
                word.append(character)
            }
        }
        flush()
        return total
    }

    private static func xWordLength(_ word: String) -> Int {
        var core = Substring(word)
        while let last = core.last, ".,;:!?)]}»\"'…".contains(last) { core.removeLast() }
        while let first = core.first, "([{«\"'".contains(first) { core.removeFirst() }
        let weight: (Substring) -> Int = { $0.unicodeScalars.reduce(0) { $0 + xWeight($1) } }
        guard isXLink(core) else { return weight(Substring(word)) }
        // What precedes a link in the word (an opening bracket or quote) and what follows it count as text.
        return weight(Substring(word)[..<core.startIndex]) + 23 + weight(Substring(word)[core.endIndex...])
    }

    private static func isXLink(_ word: Substring) -> Bool {
        var rest = word.lowercased()[...]
        var hasScheme = false
        for scheme in ["https://", "http://"] where rest.hasPrefix(scheme) {
            rest = rest.dropFirst(scheme.count)
            hasScheme = true
        }
        let host = rest.prefix { !"/?#:".contains($0) }
        if hasScheme, host == "localhost" { return true }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }),
            let tld = labels.last
        else { return false }
        return xKnownTLDs.contains(String(tld))
    }

    /// Top-level domains twitter-text recognises (checked against it), the ones an organisation here links to.
    static let xKnownTLDs: Set<String> = [
        "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "mobi", "app", "dev", "io", "co",
        "ai", "ly", "me", "tv", "cc", "gg", "news", "online", "site", "ovh", "paris", "quebec", "ca", "us", "uk", "fr",
        "be", "ch", "de", "es", "it", "nl", "eu", "lu", "mx", "br", "au", "nz", "jp", "cn", "in",
    ]
}

/// A service's length limit.
public struct TextLimit: Sendable, Hashable {
    public var maximum: Int
    public var measure: TextMeasure

    public init(_ maximum: Int, _ measure: TextMeasure) {
        self.maximum = maximum
        self.measure = measure
    }
}

/// A channel's text fitted into its service's limit.
public struct FittedText: Sendable, Hashable {
    /// The sections as sent: unchanged, shortened, or fewer when one could not fit at all.
    public var sections: [TextSection]
    public var text: String
    public var originalLength: Int
    public var length: Int
    public var measure: TextMeasure
    public var maximum: Int

    public var isShortened: Bool { length < originalLength }

    /// The text as a preview shows it, with its measure against the limit.
    public var shown: ShownText { ShownText(text: text, length: length, limit: maximum, unit: measure.unit) }

    /// The audit note when the text was shortened, e.g. "text shortened from 3120 to 1998 characters for discord".
    public func note(for type: ChannelType) -> String? {
        isShortened ? "text shortened from \(originalLength) to \(length) \(measure.unit) for \(type.rawValue)" : nil
    }
}

/// Shortens text to a service's limit without cutting inside a word: whole words are dropped from the end and the
/// cut is marked with an ellipsis. A value that is one word is never cut in half; a value of several words may
/// lose its last words (the rendered text does not say where a value starts and ends).
///
/// With several languages, each gets a fair share of the room, so the English text is not dropped to keep the
/// French whole: shares go to the shortest texts first and what they leave goes to the others.
public enum TextFitter {
    public static func fit(_ sections: [TextSection], layout: TextLayout, limit: TextLimit) -> FittedText {
        let full = layout.render(sections)
        let original = limit.measure.count(full)
        guard original > limit.maximum else {
            return FittedText(sections: sections, text: full, originalLength: original, length: original, measure: limit.measure, maximum: limit.maximum)
        }
        let costs = sections.map { limit.measure.count(layout.render($0)) }
        // What joins the sections (separators) and is not shortened.
        let overhead = max(0, original - costs.reduce(0, +))
        var budget = limit.maximum - overhead
        var fitted: [TextSection] = []
        var text = ""
        // Lengths add up over whole words for every measure here, so the first pass fits; the loop is a guard.
        for _ in 0..<4 {
            let shares = waterFill(costs, total: budget)
            fitted = sections.indices.compactMap { index in
                costs[index] <= shares[index]
                    ? sections[index]
                    : shorten(sections[index], toFit: shares[index], measure: limit.measure, ellipsis: layout.ellipsis, render: layout.render)
            }
            text = layout.render(fitted)
            let length = limit.measure.count(text)
            if length <= limit.maximum {
                return FittedText(sections: fitted, text: text, originalLength: original, length: length, measure: limit.measure, maximum: limit.maximum)
            }
            budget -= length - limit.maximum
        }
        return FittedText(sections: [], text: "", originalLength: original, length: 0, measure: limit.measure, maximum: limit.maximum)
    }

    /// One section shortened until `render(section)` measures at most `budget`: whole words are dropped from the
    /// end of the instruction, then the body, then the title. Nil when not even one word fits.
    public static func shorten(
        _ section: TextSection, toFit budget: Int, measure: TextMeasure, ellipsis: String,
        render: (TextSection) -> String
    ) -> TextSection? {
        let cutter = WordCutter([section.title, section.body, section.instruction ?? ""], protected: section.protected)
        let kept = cutter.longestPrefix(ellipsis: ellipsis) { fields in
            let candidate = TextSection(language: section.language, title: fields[0], body: fields[1], instruction: fields[2], protected: section.protected)
            return measure.count(render(candidate)) <= budget
        }
        guard let kept else { return nil }
        return TextSection(language: section.language, title: kept[0], body: kept[1], instruction: kept[2].isEmpty ? nil : kept[2], protected: section.protected)
    }

    /// One text shortened (whole words, ellipsis) until `measure.count(escape(text))` is at most `budget`.
    public static func shorten(_ text: String, toFit budget: Int, measure: TextMeasure, ellipsis: String, escape: (String) -> String) -> String {
        guard measure.count(escape(text)) > budget else { return text }
        return WordCutter([text]).longestPrefix(ellipsis: ellipsis) { measure.count(escape($0[0])) <= budget }?[0] ?? ""
    }

    /// Shares of `total` for items of the given costs: no item gets more than it needs, the rest is split evenly.
    static func waterFill(_ costs: [Int], total: Int) -> [Int] {
        var shares = [Int](repeating: 0, count: costs.count)
        var remaining = max(0, total)
        let order = costs.indices.sorted { costs[$0] < costs[$1] }
        for (position, index) in order.enumerated() {
            let share = remaining / (order.count - position)
            shares[index] = min(costs[index], share)
            remaining -= shares[index]
        }
        return shares
    }
}

/// Whole-word prefixes of a list of fields read in order.
struct WordCutter {
    /// A word with the whitespace before it, and the field it belongs to.
    private struct Token {
        var field: Int
        var text: Substring
        var isPunctuationOnly: Bool
    }

    private let fieldCount: Int
    private let tokens: [Token]

    /// - Parameter protected: phrases (variable values) kept as one token, so no cut falls inside them.
    init(_ fields: [String], protected: [String] = []) {
        fieldCount = fields.count
        let phrases = protected.filter { $0.contains(where: \.isWhitespace) }.sorted { $0.count > $1.count }
        var tokens: [Token] = []
        for (field, text) in fields.enumerated() {
            var start = text.startIndex
            var index = text.startIndex
            // Skip leading whitespace into the first token, then cut before each whitespace run that follows a word.
            while index < text.endIndex {
                while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
                if let phrase = phrases.first(where: { text[index...].hasPrefix($0) }) {
                    index = text.index(index, offsetBy: phrase.count)
                }
                while index < text.endIndex, !text[index].isWhitespace { index = text.index(after: index) }
                let piece = text[start..<index]
                let word = piece.drop { $0.isWhitespace }
                if !word.isEmpty {
                    tokens.append(Token(field: field, text: piece, isPunctuationOnly: word.allSatisfy { $0.isPunctuation || $0.isSymbol }))
                }
                start = index
            }
        }
        self.tokens = tokens
    }

    /// The fields keeping their first `count` words, with `ellipsis` after the last word kept (a dangling
    /// punctuation mark such as the French " :" is dropped first).
    func prefix(_ count: Int, ellipsis: String) -> [String] {
        var fields = [String](repeating: "", count: fieldCount)
        var end = min(count, tokens.count)
        guard end < tokens.count else {
            for token in tokens { fields[token.field] += token.text }
            return fields
        }
        while end > 1, tokens[end - 1].isPunctuationOnly { end -= 1 }
        for token in tokens[..<end] { fields[token.field] += token.text }
        if end > 0 {
            let last = tokens[end - 1].field
            fields[last] += ellipsis
        }
        return fields
    }

    /// The longest prefix that `fits`, or nil when not even the first word does.
    func longestPrefix(ellipsis: String, fits: ([String]) -> Bool) -> [String]? {
        guard !tokens.isEmpty else { return nil }
        var low = 1, high = tokens.count - 1
        var best: [String]?
        while low <= high {
            let middle = (low + high) / 2
            let candidate = prefix(middle, ellipsis: ellipsis)
            if fits(candidate) {
                best = candidate
                low = middle + 1
            } else {
                high = middle - 1
            }
        }
        return best
    }
}
