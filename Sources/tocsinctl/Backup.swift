import ArgumentParser
import Foundation
import TocsinProtocol

extension Tocsinctl {
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Take a consistent copy of the state database while tocsind runs.",
            discussion: """
                The daemon writes the copy (SQLite's online backup API), so PATH must be writable by it: under \
                systemd, a path in /var/lib/tocsin/backups/. Restore: see runbooks/restore-from-backup.md.
                """
        )

        @Argument(help: "Where to write the copy; must not exist yet.") var path: String
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
            try runReporting(json: global.json) {
                let result = try global.connect().call(.backup, BackupParams(path: absolute), as: BackupResult.self)
                if global.json { Console.json(result); return }
                print("Backup written to \(result.path) (\(result.bytes) bytes; audit log up to entry \(result.auditHeadSeq), head \(result.auditHeadHash.prefix(16))…).")
            }
        }
    }
}
