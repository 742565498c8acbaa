/// ArgumentParser's own words in French: the headings and built-in lines of `--help`, and its usage errors
/// ("Unknown option '--jsn'. Did you mean '--json'?"). The library takes no text for them, and an officer who typed
/// `sned` or `--jsn` in a crisis reads French everywhere else in `tocsinctl`.
///
/// It rewrites the library's rendered message, line by line, phrase by phrase: only the fixed phrases of
/// swift-argument-parser 1.8 (`ErrorMessageGenerator`, `MessageInfo`, `HelpGenerator`) are matched, at the place
/// they take, so the operator's own words (a value, a template id) are never translated; a phrase a later release
/// words differently stays English, which `CommandLineWordsTests` and the help tests show.
///
/// Matched on UTF-8 bytes: the same work on `String` (character by character, with the standard library's generic
/// `firstRange`/`replacing`) made `tocsinctl --help` cost 8 M more instructions, for a screen of 60 lines.
public enum CommandLineWords {
    /// `message` with the library's phrases in French; everything else as it was.
    ///
    /// Only two kinds of message are touched, each by its own rules: a help screen (it starts with `OVERVIEW:` or
    /// `USAGE:`) and a usage error (it starts with `Error:`). Anything else — the version, a completion script, the
    /// candidates a completion asks for (the operator's template ids), `--experimental-dump-help`'s JSON — is a
    /// program's input or the operator's own words, and is returned as it was.
    public static func french(_ message: String) -> String {
        let bytes = ArraySlice(message.utf8)
        if bytes.starts(with: "OVERVIEW: ".utf8) || bytes.starts(with: "USAGE: ".utf8) {
            return lines(of: helpValues(bytes), frenchHelpLine)
        }
        if bytes.starts(with: "Error: ".utf8) { return lines(of: bytes, frenchErrorLine) }
        return message
    }

    private static func lines(of text: Bytes, _ translate: (Bytes) -> String) -> String {
        text.split(separator: 0x0A, omittingEmptySubsequences: false).map(translate).joined(separator: "\n")
    }

    /// Help headings, each a line of its own.
    private static let headings: [(String, String)] = [
        ("ARGUMENTS:", "ARGUMENTS :"), ("OPTIONS:", "OPTIONS :"), ("SUBCOMMANDS:", "SOUS-COMMANDES :"),
    ]

    /// Built-in option lines end with these abstracts, after the column of names (`help help` shows the last as its
    /// overview).
    private static let builtIn: [(String, String)] = [
        ("Show the version.", "Afficher la version."),
        ("Show help information.", "Afficher cette aide."),
        ("Show subcommand help information.", "Afficher l'aide d'une sous-commande."),
    ]

    private static func frenchHelpLine(_ line: Bytes) -> String {
        if let overview = line.after("OVERVIEW: ") {
            let french = builtIn.first { overview.elementsEqual($0.0.utf8) }?.1
            return "APERÇU : " + (french ?? overview.text)
        }
        if let usage = line.after("USAGE: ") { return "UTILISATION : " + usage.replacing("<subcommand>", with: "<sous-commande>").text }
        if let see = seeLine(line) { return see }
        for (english, french) in headings where line.elementsEqual(english.utf8) { return french }
        for (english, french) in builtIn where line.first == UInt8(ascii: " ") {
            if let names = line.before(english) { return names.text + french }
        }
        return line.text
    }

    /// The first line of a usage error, its "or:" line for an ambiguous option, and the lines the library adds.
    private static func frenchErrorLine(_ line: Bytes) -> String {
        if let error = line.after("Error: ") { return "Erreur : " + frenchError(error) }
        if let error = line.after("   or: ") { return "    ou : " + frenchError(error) }
        if let usage = line.after("Usage: ") { return "Utilisation : " + usage.replacing("<subcommand>", with: "<sous-commande>").text }
        if let help = line.after("Help:  ") { return "Aide :  " + help.text }
        return seeLine(line) ?? line.text
    }

    /// An option's allowed values and default, as the help writes them after its abstract: `(values: a, b)`,
    /// `(default: x)`, `(default as flag: x)`, `(values: a, b; default: x)`. The help is wrapped to the terminal
    /// first, so a line may end inside them: the words are matched across a line end and its indentation.
    private static func helpValues(_ text: Bytes) -> Bytes {
        text.replacing("(values:", with: "(valeurs :")
            .replacing(words: ["default", "as", "flag:"], after: [UInt8(ascii: "("), UInt8(ascii: ";")], with: "par défaut, option sans valeur :")
            .replacing(words: ["default:"], after: [UInt8(ascii: "("), UInt8(ascii: ";")], with: "par défaut :")
    }

    /// "  See 'tocsinctl send --help' for more information." and "  See 'tocsinctl help <subcommand>' for detailed help."
    private static func seeLine(_ line: Bytes) -> String? {
        let indent = line.prefix { $0 == UInt8(ascii: " ") }
        guard let body = line[indent.endIndex...].after("See '") else { return nil }
        if let command = body.before("' for more information.") {
            return indent.text + "Voir « \(command.text) » pour en savoir plus."
        }
        if let command = body.before("' for detailed help.") {
            return indent.text + "Voir « \(command.replacing("<subcommand>", with: "<sous-commande>").text) » pour l'aide détaillée."
        }
        return nil
    }

    /// One error sentence of the library's; anything else (the verbs' own errors, already French) as it was.
    static func frenchError(_ line: String) -> String { frenchError(ArraySlice(line.utf8)) }

    private static func frenchError(_ text: Bytes) -> String {
        if let rest = text.after("Unknown option '") {
            if let (option, suggestion) = rest.around("'. Did you mean '"), let name = suggestion.before("'?") {
                return "Option inconnue « \(option.text) ». Vouliez-vous dire « \(name.text) » ?"
            }
            if let option = rest.before("'") { return "Option inconnue « \(option.text) »" }
        }
        if let word = text.after("Unexpected argument '")?.before("'") {
            return "Argument inattendu « \(word.text) »"
        }
        if let (count, list) = text.around(" unexpected arguments: "), Int(count.text) != nil {
            return "\(count.text) arguments inattendus : \(frenchList(list))"
        }
        if let name = text.after("Missing expected argument '")?.before("'") {
            return "Argument obligatoire manquant : « \(name.text) »"
        }
        if let list = text.after("Missing one of: ") {
            return "Il manque l'un de ces arguments : \(frenchList(list))"
        }
        if let rest = text.after("Missing value for '") {
            if let (name, composite) = rest.around("' in '"), let whole = composite.before("'") {
                return "Valeur manquante pour « \(name.text) » dans « \(whole.text) »"
            }
            if let name = rest.before("'") { return "Valeur manquante pour « \(name.text) »" }
        }
        if let rest = text.after("The value '") {
            if let (value, target) = rest.around("' is invalid for '"), let (name, end) = target.around("'") {
                return "La valeur « \(value.text) » ne convient pas à « \(name.text) »" + frenchChoices(end)
            }
            if let (value, end) = rest.around("' is invalid.") {
                return "La valeur « \(value.text) » ne convient pas." + frenchChoices(end)
            }
        }
        if let rest = text.after("The option '"), let (name, given) = rest.around("' does not take any value, but '"),
           let value = given.before("' was specified.") {
            return "L'option « \(name.text) » ne prend pas de valeur (reçu « \(value.text) »)."
        }
        if text.elementsEqual("Missing required subcommand.".utf8) { return "Sous-commande manquante." }
        if let option = text.after("Invalid option: ") { return "Option non valable : \(option.text)" }
        return text.text
    }

    /// "'a', 'b'" → "« a », « b »"; left as it was if it is not such a list.
    private static func frenchList(_ list: Bytes) -> String {
        guard let inner = list.after("'")?.before("'") else { return list.text }
        return "« " + inner.replacing("', '", with: " », « ").text + " »"
    }

    /// What follows "is invalid for '<x>'": nothing, ". Please provide one of a, b.", the list form, or ": <reason>".
    private static func frenchChoices(_ end: Bytes) -> String {
        if let list = end.after(". Please provide one of the following:") { return ". Valeurs possibles :" + list.text }
        if let list = end.after(". Please provide one of ")?.before(".") {
            // "'a' and 'b'", "'a', 'b' or 'c'": one of them, so "ou" in both.
            guard let inner = list.after("'")?.before("'") else { return ". Valeurs possibles : " + list.text + "." }
            let values = inner.replacing("' and '", with: " » ou « ").replacing("' or '", with: " » ou « ")
            return ". Valeurs possibles : « " + values.replacing("', '", with: " », « ").text + " »."
        }
        // The verb's own reason, already French: French puts a space before the colon.
        if let reason = end.after(": ") { return " : " + reason.text }
        return end.text
    }
}

private typealias Bytes = ArraySlice<UInt8>

extension ArraySlice<UInt8> {
    fileprivate var text: String { String(decoding: self, as: UTF8.self) }

    /// What follows `prefix`, when the bytes start with it.
    fileprivate func after(_ prefix: String) -> Self? {
        starts(with: prefix.utf8) ? self[(startIndex + prefix.utf8.count)...] : nil
    }

    /// The bytes before `suffix`, when they end with it (a name or value in quotes, then the rest of the sentence).
    fileprivate func before(_ suffix: String) -> Self? {
        let count = suffix.utf8.count
        guard self.count >= count, self[(endIndex - count)...].elementsEqual(suffix.utf8) else { return nil }
        return self[..<(endIndex - count)]
    }

    /// The bytes on either side of the first `marker`: a quoted name or value may hold a `'`, the marker (a quote
    /// and the library's next words) is what ends it.
    fileprivate func around(_ marker: String) -> (Self, Self)? {
        guard let start = firstIndex(of: marker) else { return nil }
        return (self[..<start], self[(start + marker.utf8.count)...])
    }

    /// Every `target` replaced with `replacement`.
    fileprivate func replacing(_ target: String, with replacement: String) -> Self {
        guard var next = firstIndex(of: target) else { return self }
        var out: [UInt8] = []
        var copied = startIndex
        while true {
            out += self[copied..<next]
            out += replacement.utf8
            copied = next + target.utf8.count
            guard let found = self[copied...].firstIndex(of: target) else { break }
            next = found
        }
        out += self[copied...]
        return out[...]
    }

    /// Every run of `words` (separated by blanks, a line end and its indentation included) whose previous non-blank
    /// byte is one of `after`, replaced with `replacement`; the blanks before the first word stay.
    fileprivate func replacing(words: [String], after: [UInt8], with replacement: String) -> Self {
        var out: [UInt8] = []
        var copied = startIndex
        var index = startIndex
        while let found = self[index...].firstIndex(of: words[0]) {
            index = found + 1
            let before = self[..<found].last { $0 != UInt8(ascii: " ") && $0 != 0x0A }
            guard let before, after.contains(before), let end = self[found...].matches(words) else { continue }
            out += self[copied..<found]
            out += replacement.utf8
            copied = end
            index = end
        }
        guard copied != startIndex else { return self }
        out += self[copied...]
        return out[...]
    }

    /// Where `words` end, when the bytes start with them, separated by blanks and line ends.
    private func matches(_ words: [String]) -> Int? {
        var index = startIndex
        for (number, word) in words.enumerated() {
            if number > 0 {
                let blanks = self[index...].prefix { $0 == UInt8(ascii: " ") || $0 == 0x0A }
                guard !blanks.isEmpty else { return nil }
                index = blanks.endIndex
            }
            guard self[index...].starts(with: word.utf8) else { return nil }
            index += word.utf8.count
        }
        return index
    }

    private func firstIndex(of marker: String) -> Int? {
        let needle = Array(marker.utf8)
        guard let first = needle.first, count >= needle.count else { return nil }
        var index = startIndex
        while index <= endIndex - needle.count {
            if self[index] == first, self[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
