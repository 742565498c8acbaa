/// ArgumentParser's own words in French: the headings and built-in lines of `--help`, and its usage errors
/// ("Unknown option '--jsn'. Did you mean '--json'?"). The library takes no text for them, and an officer who typed
/// `sned` or `--jsn` in a crisis reads French everywhere else in `tocsinctl`.
///
/// It rewrites the library's rendered message, line by line, phrase by phrase: only the fixed phrases of
/// swift-argument-parser 1.8 (`ErrorMessageGenerator`, `MessageInfo`, `HelpGenerator`) are matched, at the place
/// they take, so the operator's own words (a value, a template id) are never translated; a phrase a later release
/// words differently stays English, which `CommandLineWordsTests` and the help tests show.
public enum CommandLineWords {
    /// `message` with the library's phrases in French; everything else as it was.
    public static func french(_ message: String) -> String {
        message.split(separator: "\n", omittingEmptySubsequences: false)
            .map { frenchLine(String($0)) }
            .joined(separator: "\n")
    }

    /// Help headings, each a line of its own.
    private static let headings: [String: String] = [
        "ARGUMENTS:": "ARGUMENTS :", "OPTIONS:": "OPTIONS :", "SUBCOMMANDS:": "SOUS-COMMANDES :",
    ]

    /// Lines that start with the library's label.
    private static let lineStarts: [(String, String)] = [
        ("OVERVIEW: ", "APERÇU : "),
        ("USAGE: ", "UTILISATION : "),
        ("Usage: ", "Utilisation : "),
        ("Help:  ", "Aide :  "),
    ]

    /// Built-in option lines end with these abstracts, after the column of names.
    private static let lineEnds: [(String, String)] = [
        ("Show the version.", "Afficher la version."),
        ("Show help information.", "Afficher cette aide."),
        ("Show subcommand help information.", "Afficher l'aide d'une sous-commande."),
    ]

    private static func frenchLine(_ line: String) -> String {
        if line.hasPrefix("Error: ") { return "Erreur : " + frenchError(String(line.dropFirst("Error: ".count))) }
        if line.hasPrefix("   or: ") { return "     ou : " + frenchError(String(line.dropFirst("   or: ".count))) }
        if let see = seeLine(line) { return see }
        if let heading = headings[line] { return heading }
        for (english, french) in lineStarts where line.hasPrefix(english) {
            return french + line.dropFirst(english.count).replacing("<subcommand>", with: "<sous-commande>")
        }
        for (english, french) in lineEnds where line.hasSuffix(english) && line.hasPrefix(" ") {
            return String(line.dropLast(english.count)) + french
        }
        return line
            .replacing("(default: ", with: "(par défaut : ")
            .replacing("(values: ", with: "(valeurs : ")
    }

    /// "  See 'tocsinctl send --help' for more information." and "  See 'tocsinctl help <subcommand>' for detailed help."
    private static func seeLine(_ line: String) -> String? {
        let indent = String(line.prefix { $0 == " " })
        let rest = line.dropFirst(indent.count)
        guard rest.hasPrefix("See '") else { return nil }
        let body = rest.dropFirst("See '".count)
        if body.hasSuffix("' for more information.") {
            return indent + "Voir « \(body.dropLast("' for more information.".count)) » pour en savoir plus."
        }
        if body.hasSuffix("' for detailed help.") {
            let command = body.dropLast("' for detailed help.".count).replacing("<subcommand>", with: "<sous-commande>")
            return indent + "Voir « \(command) » pour l'aide détaillée."
        }
        return nil
    }

    /// One error sentence of the library's; anything else (the verbs' own errors, already French) as it was.
    static func frenchError(_ line: String) -> String {
        let text = Substring(line)
        if let rest = text.after("Unknown option '") {
            if let (option, suggestion) = rest.around("'. Did you mean '"), let name = suggestion.before("'?") {
                return "Option inconnue « \(option) ». Vouliez-vous dire « \(name) » ?"
            }
            if let option = rest.before("'") { return "Option inconnue « \(option) »" }
        }
        if let word = text.after("Unexpected argument '")?.before("'") {
            return "Argument inattendu « \(word) »"
        }
        if let (count, list) = text.around(" unexpected arguments: "), Int(count) != nil {
            return "\(count) arguments inattendus : \(frenchList(list))"
        }
        if let name = text.after("Missing expected argument '")?.before("'") {
            return "Argument obligatoire manquant : « \(name) »"
        }
        if let list = text.after("Missing one of: ") {
            return "Il manque l'un de : \(frenchList(list))"
        }
        if let rest = text.after("Missing value for '") {
            if let (name, composite) = rest.around("' in '"), let whole = composite.before("'") {
                return "Valeur manquante pour « \(name) » dans « \(whole) »"
            }
            if let name = rest.before("'") { return "Valeur manquante pour « \(name) »" }
        }
        if let rest = text.after("The value '") {
            if let (value, target) = rest.around("' is invalid for '"), let (name, end) = target.around("'") {
                return "La valeur « \(value) » ne convient pas à « \(name) »" + frenchChoices(end)
            }
            if let (value, end) = rest.around("' is invalid.") {
                return "La valeur « \(value) » ne convient pas." + frenchChoices(end)
            }
        }
        if let rest = text.after("The option '"), let (name, given) = rest.around("' does not take any value, but '"),
           let value = given.before("' was specified.") {
            return "L'option « \(name) » ne prend pas de valeur (reçu « \(value) »)."
        }
        if text == "Missing required subcommand." { return "Sous-commande manquante." }
        if let option = text.after("Invalid option: ") { return "Option non valable : \(option)" }
        return line
    }

    /// "'a', 'b'" → "« a », « b »"; left as it was if it is not such a list.
    private static func frenchList(_ list: Substring) -> String {
        guard list.count >= 2, list.hasPrefix("'"), list.hasSuffix("'") else { return String(list) }
        return list.dropFirst().dropLast().split(separator: "', '", omittingEmptySubsequences: false)
            .map { "« \($0) »" }.joined(separator: ", ")
    }

    /// What follows "is invalid for '<x>'": nothing, ". Please provide one of a, b.", the list form, or ": <reason>".
    private static func frenchChoices(_ end: Substring) -> String {
        if let list = end.after(". Please provide one of the following:") { return ". Valeurs possibles :" + list }
        if let list = end.after(". Please provide one of ")?.before(".") {
            // "'a' and 'b'", "'a', 'b' or 'c'": one of them, so "ou" in both.
            let values = list.replacing("' and '", with: "' ou '").replacing("' or '", with: "' ou '")
            let pieces = values.split(separator: "'", omittingEmptySubsequences: false)
            guard pieces.count % 2 == 1 else { return ". Valeurs possibles : " + list + "." }
            let french = pieces.enumerated().map { $0.offset % 2 == 1 ? "« \($0.element) »" : String($0.element) }.joined()
            return ". Valeurs possibles : " + french + "."
        }
        return String(end)
    }
}

extension Substring {
    /// What follows `prefix`, when the text starts with it.
    fileprivate func after(_ prefix: String) -> Substring? {
        hasPrefix(prefix) ? dropFirst(prefix.count) : nil
    }

    /// The text before `suffix`, when it is exactly that text and `suffix` (a name or value in quotes, then the rest
    /// of the sentence).
    fileprivate func before(_ suffix: String) -> Substring? {
        hasSuffix(suffix) ? dropLast(suffix.count) : nil
    }

    /// The text on either side of the first `marker`: a quoted name or value may hold a `'`, the marker (a quote and
    /// the library's next words) is what ends it.
    fileprivate func around(_ marker: String) -> (Substring, Substring)? {
        guard let range = firstRange(of: marker) else { return nil }
        return (self[..<range.lowerBound], self[range.upperBound...])
    }
}
