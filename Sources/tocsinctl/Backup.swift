import ArgumentParser
import FoundationEssentials
import TocsinClient
import TocsinProtocol
import TocsinText

extension Tocsinctl {
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: tr("Prendre une copie cohérente de la base d'état pendant que tocsind tourne.", "Take a consistent copy of the state database while tocsind runs."),
            discussion: tr(
                """
                Le démon écrit la copie (API de sauvegarde en ligne de SQLite) dans son dossier de sauvegardes \
                (paths.backups, par défaut « backups » dans le dossier d'état), la nomme et la rend lisible par son seul \
                utilisateur (0600) ; la commande affiche le chemin du fichier. Les opérateurs peuvent en demander une ; \
                les auditeurs seulement si la configuration dit « access.auditors_may_backup: true ». Restauration : \
                voir runbooks/restore-from-backup.md.
                """,
                """
                The daemon writes the copy (SQLite's online backup API) into its backups folder (paths.backups, by \
                default 'backups' in the state folder), names it, and makes it readable by its own user only (0600); \
                the command prints the file's path. Operators may ask for one; auditors only where the config says \
                'access.auditors_may_backup: true'. Restore: see runbooks/restore-from-backup.md.
                """
            )
        )

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runReporting(json: global.json) {
                let result = try global.connect().call(.backup, BackupParams(), as: BackupResult.self)
                if global.json { Console.json(result); return }
                print(tr(
                    "Sauvegarde écrite dans \(result.path) (\(Plural.fr(Int(result.bytes), "octet", "octets")) ; journal d'audit jusqu'à l'entrée \(result.auditHeadSeq), tête \(result.auditHeadHash.prefix(16))…).",
                    "Backup written to \(result.path) (\(result.bytes) bytes; audit log up to entry \(result.auditHeadSeq), head \(result.auditHeadHash.prefix(16))…)."
                ))
            }
        }
    }
}
