import ArgumentParser
import Foundation
import TocsinCore
import TocsinProtocol

extension Tocsinctl {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: "Read and verify the hash-chained audit log.",
            subcommands: [Log.self, Verify.self, Export.self]
        )

        struct Log: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "log", abstract: "Show audit entries in order.")
            @Option(name: .long, help: "Only entries about this subject (an incident id, a template id, 'admin', 'daemon').") var subject: String?
            @Option(name: .long, help: "Start after this entry number.") var after: Int64?
            @Option(name: .long, help: "At most this many entries (default 100).") var limit: Int = 100
            @OptionGroup var global: GlobalOptions

            func run() throws {
                try runReporting(json: global.json) {
                    let entries = try global.connect().call(
                        .auditLog, AuditLogParams(afterSeq: after, limit: limit, subject: subject), as: [AuditRecordDTO].self
                    )
                    if global.json {
                        for entry in entries { Console.jsonLine(entry) }
                        return
                    }
                    for entry in entries {
                        let actor = entry.uid.map { " uid=\($0)" + (entry.pid.map { " pid=\($0)" } ?? "") } ?? ""
                        print("\(entry.seq)  \(entry.time)  \(Console.pad(entry.kind, 17)) \(entry.subject)\(actor)  \(entry.detail)")
                    }
                }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "verify",
                abstract: "Recompute the hash chain; exit 0 if intact, 1 if broken (naming the first bad entry)."
            )
            @Option(name: .long, help: "Verify this export (jsonl or csv from 'audit export') offline, without the daemon.")
            var file: String?
            @Flag(name: .long, help: "With --file: the export was filtered by --incident, so its entries are not consecutive.")
            var partial = false
            @Option(name: .long, help: ArgumentHelp(
                "With --file: check signed checkpoints against this Ed25519 public key (PEM); repeat for rotated keys.",
                valueName: "pem-file"
            ))
            var publicKey: [String] = []
            @OptionGroup var global: GlobalOptions

            func run() throws {
                if let file { return try verifyFile(file) }
                var broken = false
                try runReporting(json: global.json) {
                    let result = try global.connect().call(.auditVerify, EmptyParams(), as: AuditVerifyResult.self)
                    broken = !result.intact
                    if global.json { Console.json(result); return }
                    if result.intact {
                        print("Audit chain intact: \(result.checked) entries, head \(result.headHash.prefix(16))…")
                        if let checkpoints = result.checkpoints { Self.describe(checkpoints) }
                    } else {
                        print("AUDIT CHAIN BROKEN at entry \(result.brokenSeq ?? 0): \(result.problem ?? "?")")
                        print("\(result.checked) entries before it verify. Keep this database as evidence and restore from a backup.")
                    }
                }
                if broken { throw Exit.someFailed }
            }

            static func describe(_ checkpoints: CheckpointSummary, from first: Int64 = 1) {
                guard let signed = checkpoints.lastSignedSeq else { return }
                let key = checkpoints.lastKey.map { ", key \($0)" } ?? ""
                print("Signed: \(checkpoints.verified) checkpoints verify; entries \(first)–\(signed) are proven (last checkpoint \(checkpoints.lastTime ?? "?")\(key)).")
                if checkpoints.unsignedEntries > 0 {
                    print("\(checkpoints.unsignedEntries) newer entries are chained but not yet covered by a signature.")
                }
            }

            private func verifyFile(_ file: String) throws {
                if partial, !publicKey.isEmpty {
                    // An export filtered by incident leaves out the `audit` entries, checkpoints included.
                    Console.error("--public-key needs a whole window (audit export --since/--until), not a --partial export filtered by incident")
                    throw Exit.usage
                }
                var keys: [AuditPublicKey] = []
                for path in publicKey {
                    do {
                        keys.append(try AuditPublicKey(pem: try String(contentsOfFile: path, encoding: .utf8)))
                    } catch let error as AuditKeyError {
                        Console.error("\(path): \(error)")
                        throw Exit.usage
                    } catch {
                        Console.error("cannot read \(path): \(error.localizedDescription)")
                        throw Exit.usage
                    }
                }
                let entries: [AuditEntry]
                do {
                    let text = try String(contentsOfFile: file, encoding: .utf8)
                    entries = try AuditExportFormat.read(text)
                } catch let error as ExportError {
                    Console.error("\(file): \(error)")
                    throw Exit.usage
                } catch {
                    Console.error("cannot read \(file): \(error.localizedDescription)")
                    throw Exit.usage
                }
                let result = OfflineVerifier.verify(entries, file: file, partial: partial, keys: keys)
                if global.json {
                    Console.json(result)
                } else if result.intact {
                    let range = result.firstSeq.map { "entries \($0)–\(result.lastSeq ?? $0)" } ?? "no entries"
                    print("Export intact: \(result.checked) entries (\(range)), last hash \(result.headHash?.prefix(16) ?? "-")…")
                    if let checkpoints = result.checkpoints { Self.describe(checkpoints, from: result.firstSeq ?? 1) }
                } else {
                    print("EXPORT BROKEN at entry \(result.brokenSeq ?? 0): \(result.problem ?? "?")")
                    print("\(result.checked) entries before it verify.")
                }
                if !result.intact { throw Exit.someFailed }
            }
        }
    }
}
