import ArgumentParser
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Reload: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reload",
            abstract: tr(
                "Recharger la configuration et les modèles ; à la moindre erreur, la configuration en cours est gardée.",
                "Load the config and templates again; on any error the running configuration is kept."
            ),
            discussion: tr(
                "Les envois en cours ne sont pas interrompus. Un modèle dont le texte a changé doit être approuvé de nouveau.",
                "Deliveries in progress are not interrupted. A template whose text changed needs approval again."
            )
        )

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runReporting(json: global.json) {
                let result = try global.connect().call(.reload, EmptyParams(), as: ReloadResult.self)
                if global.json { Console.json(result); return }
                print(result.changed
                    ? tr("Configuration rechargée (empreinte \(result.fingerprint.prefix(12))).", "Configuration reloaded (fingerprint \(result.fingerprint.prefix(12))).")
                    : tr("Configuration rechargée : rien n'a changé.", "Configuration reloaded: nothing changed."))
                // The daemon's warnings are its own English words (config paths and keys): only the lead is translated.
                for warning in result.warnings { print(tr("  avertissement : \(warning)", "  warning: \(warning)")) }
                if !result.needApproval.isEmpty {
                    print(tr(
                        "Modèles modifiés, à approuver de nouveau avant un envoi réel : \(result.needApproval.joined(separator: ", "))",
                        "Templates changed, to be approved again before a live send: \(result.needApproval.joined(separator: ", "))"
                    ))
                }
                if !result.credentialsChanged.isEmpty {
                    print(tr(
                        "Secrets ou listes de destinataires relus pour : \(result.credentialsChanged.joined(separator: ", "))",
                        "Credentials or recipient lists re-read for: \(result.credentialsChanged.joined(separator: ", "))"
                    ))
                }
            }
        }
    }
}
