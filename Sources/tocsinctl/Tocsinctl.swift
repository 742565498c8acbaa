import ArgumentParser
import FoundationEssentials
import Glibc
import TocsinDisplay
import TocsinProtocol

/// `tocsinctl`: the operator's command line for `tocsind`.
@main
struct Tocsinctl: ParsableCommand {
    /// Runs the verb; usage errors exit 2 as DESIGN.md says (ArgumentParser's own default is 64).
    static func main() {
        atexit { Console.closeStandardOutput() }
        do {
            var command = try parseAsRoot(GlobalOptions.afterTheVerb(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                Console.note(inOperatorLanguage(fullMessage(for: error)))
                Glibc.exit(Exit.usage.rawValue)
            }
            if code == .success {
                // `--help`, `help <verb>`, `--version`: what the library would print, its own words translated. A
                // completion script (it starts with `#`) is a program, not a screen: left as generated.
                let text = fullMessage(for: error)
                if !text.isEmpty { print(text.hasPrefix("#") ? text : inOperatorLanguage(text)) }
                Glibc.exit(0)
            }
            exit(withError: error)
        }
    }

    /// ArgumentParser writes its headings, built-in lines and usage errors in English; a French operator reads them
    /// in French, as everything else here.
    private static func inOperatorLanguage(_ message: String) -> String {
        OperatorLanguage.current == .fr ? CommandLineWords.french(message) : message
    }

    static let configuration = CommandConfiguration(
        commandName: "tocsinctl",
        abstract: tr("Envoyer, exercer et suivre des avis urgents par tocsind, et relire son journal d'audit.", "Send, drill and follow urgent notices through tocsind, and review its audit log."),
        discussion: tr(
            """
            Codes de sortie : 0 tout livré (ou fait) · 1 des livraisons ont échoué (ou la chaîne d'audit est rompue) · \
            2 erreur d'usage ou de validation, rien envoyé · 3 tocsind injoignable · 4 refusé (non autorisé, modèle non approuvé).
            """,
            """
            Exit codes: 0 all delivered (or done) · 1 some deliveries failed (or the audit chain is broken) · \
            2 usage or validation error, nothing sent · 3 tocsind unreachable · 4 refused (not authorised, template not approved).
            """
        ),
        version: TocsinVersion.string,
        subcommands: [Send.self, Drill.self, Update.self, AllClear.self, Cancel.self, Resend.self, Status.self, Report.self, Preview.self, Templates.self, Audit.self, Channels.self, Reload.self, Backup.self, Health.self, WebUsers.self]
    )
}
