@_spi(_Unicode) import Swift

/// The word an operator types to confirm a verb that changes state (DESIGN.md: the word names the verb).
///
/// Both languages' words are accepted whatever the operator's language, so a piped script does not depend on `LANG`;
/// in any case, with or without accents, blanks around it ignored. A template or incident id is never a word here:
/// what confirms a live send (`ENVOYER`) can never confirm a drill (`EXERCICE`), and the other way round. Here rather
/// than in the CLI so that every client (the web console too) asks for the same words.
public enum ConfirmationWord: String, CaseIterable, Sendable {
    case send, drill, update, allClear = "all-clear", cancel, approve, resend
    /// `audit accept`: a gap between the audit chain and its signed record is accepted, and signing resumes.
    case accept

    /// The French word, as shown.
    public var french: String {
        switch self {
        case .send: "ENVOYER"
        case .drill: "EXERCICE"
        case .update: "MISE À JOUR"
        case .allClear: "FIN"
        case .cancel: "ANNULER"
        case .approve: "APPROUVER"
        case .resend: "RENVOYER"
        case .accept: "ACCEPTER"
        }
    }

    /// The English word, as shown.
    public var english: String {
        switch self {
        case .send: "SEND"
        case .drill: "DRILL"
        case .update: "UPDATE"
        case .allClear: "ALL CLEAR"
        case .cancel: "CANCEL"
        case .approve: "APPROVE"
        case .resend: "RESEND"
        case .accept: "ACCEPT"
        }
    }

    /// Whether `answer` is this verb's word in either language.
    public func accepts(_ answer: String) -> Bool {
        let folded = Self.fold(answer)
        return !folded.isEmpty && (folded == Self.fold(french) || folded == Self.fold(english))
    }

    /// The verb whose word `answer` is, if any: a drill confirmed with `ENVOYER` is told it typed the live word.
    public static func verb(of answer: String) -> ConfirmationWord? {
        allCases.first { $0.accepts(answer) }
    }

    /// Lower case, accents dropped (`MISE À JOUR` → `mise a jour`), blanks trimmed and runs of blanks made one space.
    /// Hyphens are kept: `all-clear`, the template id, is not the word `ALL CLEAR`.
    public static func fold(_ text: String) -> String {
        // The standard library's own canonical decomposition, through its `_Unicode` SPI: the public one,
        // `decomposedStringWithCanonicalMapping`, is Foundation proper's, which tocsinctl does not link (see
        // EssentialText.swift in TocsinText). ConfirmationWordsTests pins the folding, precomposed and decomposed.
        let decomposed = text._nfd.filter {
            $0.properties.generalCategory != .nonspacingMark
        }
        let plain = String(String.UnicodeScalarView(decomposed)).lowercased()
        return plain.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
