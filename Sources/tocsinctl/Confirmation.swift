import ArgumentParser
import FoundationEssentials
import TocsinProtocol
import TocsinText

/// Asks for the word of a verb that changes state and refuses anything else (exit 2, nothing done).
///
/// The words are ``ConfirmationWord``'s (both languages always accepted); what is said around them is in the
/// operator's language.
struct Confirmation {
    let word: ConfirmationWord
    /// What is not done when the answer is not the word ("Nothing was sent.").
    var nothingDone: String = tr("Rien n'a été envoyé.", "Nothing was sent.")
    /// Ids shown on the screen (a template, an incident): typed out of an old habit, they are told apart.
    var ids: [String] = []
    /// A follow-up of a drill: its update and all-clear say so where the operator types the word.
    var drill = false
    /// The other verb's whole command (`tocsinctl drill evacuation --set …` at a live send's prompt): a live send
    /// confirmed with the drill's word, or a drill with the live word, is told what to run for what it meant.
    var otherCommand: (verb: ConfirmationWord, command: String)?

    /// What the word does, after "to": "send the LIVE alert".
    var action: String {
        switch word {
        case .send: tr("envoyer l'alerte RÉELLE", "send the LIVE alert")
        case .drill: tr("lancer l'exercice", "start the drill")
        case .update where drill: tr("envoyer la mise à jour de l'EXERCICE", "send the DRILL update")
        case .update: tr("envoyer la mise à jour", "send the update")
        case .allClear where drill: tr("envoyer la fin d'alerte de l'EXERCICE", "send the DRILL all-clear")
        case .allClear: tr("envoyer la fin d'alerte", "send the all-clear")
        case .cancel: tr("annuler les envois inachevés", "cancel the unfinished deliveries")
        case .approve: tr("approuver ce contenu", "approve this content")
        case .resend: tr("les envoyer de nouveau", "send them again")
        case .accept: tr("accepter cet écart et reprendre la signature", "accept this gap and resume signing")
        }
    }

    /// The word to type, the operator's language first: `ENVOYER (ou SEND)`, `SEND (or ENVOYER)`.
    var words: String {
        tr("\(word.french) (ou \(word.english))", "\(word.english) (or \(word.french))")
    }

    var prompt: String {
        // On the cancel verb "anything else cancels" would read as its opposite: say what anything else leaves.
        word == .cancel
            ? tr("Tapez \(words) pour \(action) ; toute autre réponse laisse les envois continuer : ",
                 "Type \(words) to \(action); anything else lets the deliveries go on: ")
            : tr("Tapez \(words) pour \(action) ; toute autre réponse annule : ", "Type \(words) to \(action); anything else cancels: ")
    }

    /// Asks on standard error, reads standard input (terminal or pipe); returns only when the word was typed.
    func ask() throws {
        let answer = Console.ask(prompt)
        if let answer, word.accepts(answer) { return }
        Console.note(refusal(answer))
        throw Exit.usage
    }

    /// Why `answer` did not confirm, and the word that would have.
    func refusal(_ answer: String?) -> String {
        guard let answer else {
            return tr("Pas de réponse (fin de l'entrée). \(nothingDone)", "No answer (end of input). \(nothingDone)")
        }
        let typed = answer.trimmingWhitespace()
        if let other = ConfirmationWord.verb(of: typed), let (verb, command) = otherCommand, other == verb {
            return other == .drill
                ? tr(
                    "Vous avez tapé \(typed.uppercased()) : pour un exercice, lancez « \(command) » ; rien n'a été envoyé.",
                    "You typed \(typed.uppercased()): nothing was sent. For a drill, run: \(command)"
                )
                : tr(
                    "Vous avez tapé \(typed.uppercased()) : pour une alerte réelle, lancez « \(command) » ; rien n'a été envoyé.",
                    "You typed \(typed.uppercased()): nothing was sent. For a live alert, run: \(command)"
                )
        }
        if let other = ConfirmationWord.verb(of: typed), other != word {
            return tr(
                "« \(other.french) » confirme un autre geste ; pour \(action), tapez \(words). \(nothingDone)",
                "'\(other.english)' confirms something else; to \(action), type \(words). \(nothingDone)"
            )
        }
        if ids.contains(typed) {
            return tr(
                "Un identifiant ne confirme pas ; pour \(action), tapez \(words). \(nothingDone)",
                "An id does not confirm; to \(action), type \(words). \(nothingDone)"
            )
        }
        return tr("Non confirmé : pour \(action), tapez \(words). \(nothingDone)", "Not confirmed: to \(action), type \(words). \(nothingDone)")
    }
}

/// Shell words for a command shown to copy: bare when safe, in single quotes otherwise (`building='Pavillon A'`).
enum ShellWords {
    static func quote(_ word: String) -> String {
        // ASCII only: a letter with an accent is quoted too, which every shell reads the same.
        let safe = { (byte: UInt8) in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || "-_=.,/:@+%".utf8.contains(byte)
        }
        if !word.isEmpty, word.utf8.allSatisfy(safe) { return word }
        return "'" + word.replacing(ascii: UInt8(ascii: "'"), with: "'\\''") + "'"
    }

    /// `tocsinctl drill evacuation --set building='Pavillon A'`: the command of `verb` with these values. Never a
    /// route: a live send's `--route` would take the drill to live channels, a drill's route is not the live one.
    static func command(_ verb: String, template: String, variables: [String: String]) -> String {
        var words = ["tocsinctl", verb, quote(template)]
        for (name, value) in variables.sorted(by: { $0.key < $1.key }) { words += ["--set", quote("\(name)=\(value)")] }
        return words.joined(separator: " ")
    }
}
