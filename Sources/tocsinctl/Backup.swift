import ArgumentParser
import Foundation
import TocsinClient
import TocsinProtocol

extension Tocsinctl {
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Take a consistent copy of the state database while tocsind runs.",
            discussion: """
                The daemon writes the copy (SQLite's online backup API) into its backups folder (paths.backups, by \
                default 'backups' in the state folder), names it, and makes it readable by its own user only (0600); \
                the command prints the file's path. Operators may ask for one; auditors only where the config says \
                'access.auditors_may_backup: true'. Restore: see runbooks/restore-from-backup.md.
                """
        )

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runReporting(json: global.json) {
                let result = try global.connect().call(.backup, BackupParams(), as: BackupResult.self)
                if global.json { Console.json(result); return }
                print("Backup written to \(result.path) (\(result.bytes) bytes; audit log up to entry \(result.auditHeadSeq), head \(result.auditHeadHash.prefix(16))…).")
            }
        }
    }
}
