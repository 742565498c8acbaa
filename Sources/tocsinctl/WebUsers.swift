import ArgumentParser
import FoundationEssentials
import Glibc
import TocsinClient
import TocsinDisplay
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct WebUsers: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "web-users",
            abstract: tr("Gérer les utilisateurs de la console web (approbateurs ou root).", "Manage the web console's users (approvers or root)."),
            discussion: tr(
                """
                Un utilisateur web a un mot de passe et un second facteur TOTP (une application d'authentification). \
                Ce qu'il peut faire se règle sous « access » dans tocsin.yaml, par « web:NOM ». Le mot de passe est lu \
                au terminal (sans écho, deux fois) ou sur l'entrée standard (une ligne), et n'est jamais affiché.
                """,
                """
                A web user has a password and a TOTP second factor (an authenticator app). What they may do is set \
                under 'access' in tocsin.yaml, as 'web:NAME'. The password is read from the terminal (not echoed, \
                twice) or from standard input (one line), and never shown.
                """
            ),
            subcommands: [Add.self, List.self, Reset.self, Remove.self, Unlock.self]
        )

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "add",
                abstract: tr("Créer un utilisateur web et montrer son code TOTP à scanner (une seule fois).", "Create a web user and show its TOTP code to scan (once).")
            )
            @Argument(help: ArgumentHelp(tr("Le nom de l'utilisateur (minuscules, ex. marie).", "The user's name (lowercase, e.g. marie)."))) var name: String
            @OptionGroup var global: GlobalOptions

            func run() throws { try WebUsers.enrol(name, call: AdminCall.webUserAdd, global: global) }
        }

        struct Reset: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "reset",
                abstract: tr("Donner à un utilisateur web un nouveau mot de passe et un nouveau code TOTP (téléphone perdu).", "Give a web user a new password and a new TOTP code (lost phone).")
            )
            @Argument(help: ArgumentHelp(tr("Le nom de l'utilisateur.", "The user's name."))) var name: String
            @OptionGroup var global: GlobalOptions

            func run() throws { try WebUsers.enrol(name, call: AdminCall.webUserReset, global: global) }
        }

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list",
                abstract: tr("Lister les utilisateurs web, leurs rôles et leurs blocages.", "List web users, their roles and lock-outs.")
            )
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try runReporting(json: global.json) {
                    let users = try global.connect().call(AdminCall.webUserList, EmptyParams())
                    if global.json { Console.json(users); return }
                    if users.isEmpty {
                        print(tr("Aucun utilisateur web (tocsinctl web-users add NOM en crée un).", "No web users (tocsinctl web-users add NAME creates one)."))
                        return
                    }
                    var table = TextTable(header: [tr("NOM", "NAME"), tr("RÔLES", "ROLES"), tr("CRÉÉ", "CREATED"), tr("ÉCHECS", "FAILURES"), tr("ÉTAT", "STATE")])
                    for user in users {
                        table.add([
                            user.name, user.roles.isEmpty ? tr("aucun", "none") : user.roles.joined(separator: ", "),
                            TimeDisplay.format(user.createdAt, absent: "-"), "\(user.failures)",
                            user.lockedOut ? tr("BLOQUÉ (tocsinctl web-users unlock \(user.name))", "LOCKED OUT (tocsinctl web-users unlock \(user.name))") : "ok",
                        ])
                    }
                    for line in table.lines(indent: "") { print(line) }
                }
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "remove",
                abstract: tr("Supprimer un utilisateur web (il ne peut plus se connecter).", "Remove a web user (they can no longer sign in).")
            )
            @Argument(help: ArgumentHelp(tr("Le nom de l'utilisateur.", "The user's name."))) var name: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try WebUsers.change(name, call: AdminCall.webUserRemove, global: global) { name in [
                    tr("Utilisateur web « \(name) » supprimé.", "Web user '\(name)' removed."),
                    tr("Retirez aussi web:\(name) de « access » dans tocsin.yaml.", "Also take web:\(name) out of 'access' in tocsin.yaml."),
                ] }
            }
        }

        struct Unlock: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "unlock",
                abstract: tr("Lever le blocage d'un utilisateur web après des échecs de connexion.", "Lift a web user's lock-out after failed sign-ins.")
            )
            @Argument(help: ArgumentHelp(tr("Le nom de l'utilisateur.", "The user's name."))) var name: String
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try WebUsers.change(name, call: AdminCall.webUserUnlock, global: global) { name in [
                    tr("Utilisateur web « \(name) » débloqué : il peut se connecter tout de suite.", "Web user '\(name)' unlocked: they can sign in at once."),
                ] }
            }
        }

        /// `remove` and `unlock`: one call, then what it did in the operator's words.
        static func change(
            _ name: String, call: RPCMethod<WebUserParams, WebUserChangeResult>, global: GlobalOptions, said: (String) -> [String]
        ) throws {
            try runReporting(json: global.json) {
                let result = try global.connect().call(call, WebUserParams(name: name))
                if global.json { Console.json(result); return }
                for line in said(result.name) { print(line) }
            }
        }

        /// `add` and `reset`: reads the password, sends it once, shows the enrolment.
        static func enrol(_ name: String, call: RPCMethod<WebUserPasswordParams, WebUserEnrolment>, global: GlobalOptions) throws {
            try runReporting(json: global.json) {
                // Asked first: typed slowly, twice, it must not outlast the daemon's idle limit on a connection.
                let password = try readPassword(for: name)
                let client = try global.connect()
                let enrolment = try client.call(call, WebUserPasswordParams(name: name, password: password))
                if global.json { Console.json(enrolment); return }
                print(call.method == .webUserAdd
                      ? tr("Utilisateur web « \(enrolment.name) » créé.", "Web user '\(enrolment.name)' created.")
                      : tr("Utilisateur web « \(enrolment.name) » réinitialisé : l'ancien mot de passe et l'ancien code ne marchent plus.", "Web user '\(enrolment.name)' reset: the old password and code no longer work."))
                print(tr(
                    "Dans l'application d'authentification de son téléphone, scannez ce code ou entrez ce lien (montré une seule fois, ne le gardez pas) :",
                    "In the authenticator app on their phone, scan this code or enter this link (shown once only; do not keep it):"
                ))
                if let code = qrCode(enrolment.otpauthURI) { print(code) }
                print(enrolment.otpauthURI)
                if enrolment.roles.isEmpty {
                    Console.note(tr(
                        "Attention : web:\(enrolment.name) n'a aucun rôle sous « access » dans tocsin.yaml ; il pourra se connecter mais rien faire.",
                        "Warning: web:\(enrolment.name) has no role under 'access' in tocsin.yaml; they can sign in but do nothing."
                    ))
                } else {
                    print(tr("Rôles : ", "Roles: ") + enrolment.roles.joined(separator: ", "))
                }
            }
        }

        /// From a terminal: asked twice without echo. From a pipe: one line (scripts, tests).
        static func readPassword(for name: String) throws -> String {
            let prompt = tr("Mot de passe de \(name) (12 caractères ou plus) : ", "Password for \(name) (12 characters or more): ")
            guard let first = Console.askSecret(prompt) else {
                Console.error(tr("Pas de mot de passe (fin de l'entrée) ; rien n'a été fait.", "No password (end of input); nothing was done."))
                throw Exit.usage
            }
            if Console.inputIsTerminal {
                guard Console.askSecret(tr("Encore une fois : ", "Once more: ")) == first else {
                    Console.error(tr("Les deux mots de passe diffèrent ; rien n'a été fait.", "The two passwords differ; nothing was done."))
                    throw Exit.usage
                }
            }
            return first
        }

        /// The URI as a QR code in text (Debian's `qrencode`), or nil without it. The URI goes through standard
        /// input, never the command line, which every user of the machine can read in /proc.
        static func qrCode(_ uri: String) -> String? {
            let tool = "/usr/bin/qrencode"
            guard access(tool, X_OK) == 0,
                  let data = ChildProcess.output(of: tool, arguments: ["-t", "UTF8", "-o", "-"], input: Array(uri.utf8))
            else { return nil }
            // Without the line ends around it; its blanks are part of the code.
            return String(decoding: data, as: UTF8.self).trimming(while: \.isNewline)
        }
    }
}
