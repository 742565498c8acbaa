import ArgumentParser
import FoundationEssentials
import TocsinDisplay
import TocsinClient
import TocsinProtocol
import TocsinAudit
import TocsinText

extension Tocsinctl {
    struct Audit: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "audit",
            abstract: tr("Lire et vérifier le journal d'audit chaîné par empreintes.", "Read and verify the hash-chained audit log."),
            subcommands: [Log.self, Verify.self, Export.self, Accept.self]
        )

        struct Log: ParsableCommand {
            static let configuration = CommandConfiguration(commandName: "log", abstract: tr("Afficher les entrées d'audit dans l'ordre.", "Show audit entries in order."))
            @Option(name: .long, help: ArgumentHelp(tr("Seulement les entrées de ce sujet (un identifiant d'incident, de modèle, « admin », « daemon »).", "Only entries about this subject (an incident id, a template id, 'admin', 'daemon')."))) var subject: String?
            @Option(name: .long, help: ArgumentHelp(tr("Commencer après ce numéro d'entrée.", "Start after this entry number."))) var after: Int64?
            @Option(name: .long, help: ArgumentHelp(tr("Au plus ce nombre d'entrées (100 par défaut).", "At most this many entries (default 100)."))) var limit: Int = 100
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
                        let actor = (entry.uid.map { " uid=\($0)" + (entry.pid.map { " pid=\($0)" } ?? "") } ?? "")
                            + (entry.node.map { " node=\($0)" } ?? "")
                        print("\(entry.seq)  \(TimeDisplay.format(entry.time))  \(Console.pad(entry.kind, 17)) \(entry.subject)\(actor)  \(TimeDisplay.localizing(entry.detail))")
                    }
                }
            }
        }

        struct Verify: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "verify",
                abstract: tr("Recalculer la chaîne d'empreintes ; sortie 0 si intacte, 1 si rompue (avec la première entrée fautive).", "Recompute the hash chain; exit 0 if intact, 1 if broken (naming the first bad entry).")
            )
            @Option(name: .long, help: ArgumentHelp(tr("Vérifier cet export (jsonl ou csv de « audit export ») hors ligne, sans le démon.", "Verify this export (jsonl or csv from 'audit export') offline, without the daemon.")))
            var file: String?
            @Flag(name: .long, help: ArgumentHelp(tr("Avec --file : l'export a été filtré par --incident, ses entrées ne se suivent donc pas.", "With --file: the export was filtered by --incident, so its entries are not consecutive.")))
            var partial = false
            @Option(name: .long, help: ArgumentHelp(
                tr("Avec --file : vérifier les points de contrôle signés avec cette clé publique Ed25519 (PEM) ; répéter pour les clés remplacées.",
                   "With --file: check signed checkpoints against this Ed25519 public key (PEM); repeat for rotated keys."),
                valueName: "pem-file"
            ))
            var publicKey: [String] = []
            @Option(name: .long, help: ArgumentHelp(
                tr("Avec --file : confronter l'export aux têtes signées consignées hors de la base : le fichier des têtes du démon, ou ce que le témoin d'audit a reçu (lignes JSON) ; répéter pour le fichier de chaque nœud.",
                   "With --file: check the export against the signed heads recorded outside the database: the daemon's heads file, or what the audit witness received (JSON lines); repeat for each node's heads file."),
                valueName: "heads-file"
            ))
            var heads: [String] = []
            @OptionGroup var global: GlobalOptions

            func run() throws {
                if let file { return try verifyFile(file) }
                var broken = false
                try runReporting(json: global.json) {
                    let result = try global.connect().call(.auditVerify, EmptyParams(), as: AuditVerifyResult.self)
                    broken = !result.intact
                    if global.json { Console.json(result); return }
                    if result.intact {
                        print(tr("Chaîne d'audit intacte : \(Plural.fr(Int(result.checked), "entrée", "entrées")), tête", "Audit chain intact: \(Plural.en(Int(result.checked), "entry", "entries")), head") + " \(result.headHash.prefix(16))…")
                        if let checkpoints = result.checkpoints { Self.describe(checkpoints) }
                    } else {
                        // The problem names the entry and what differs, as the daemon verified it (English detail).
                        print(tr("CHAÎNE D'AUDIT ROMPUE à l'entrée \(result.brokenSeq ?? 0) (détail en anglais : \(result.problem ?? "?"))",
                                 "AUDIT CHAIN BROKEN at entry \(result.brokenSeq ?? 0): \(result.problem ?? "?")"))
                        print(tr("\(result.checked) entrées se vérifient. Gardez cette base comme preuve ; voyez runbooks/audit-signing-key.md avant « tocsinctl audit accept ».",
                                 "\(result.checked) entries verify. Keep this database as evidence; see runbooks/audit-signing-key.md before 'tocsinctl audit accept'."))
                    }
                }
                if broken { throw Exit.someFailed }
            }

            static func describe(_ checkpoints: CheckpointSummary, from first: Int64 = 1) {
                guard let signed = checkpoints.lastSignedSeq else { return }
                let time = TimeDisplay.format(checkpoints.lastTime, absent: "?")
                let key = checkpoints.lastKey.map { tr(", clé \($0)", ", key \($0)") } ?? ""
                let verified = Int(checkpoints.verified)
                print(tr(
                    "Signé : \(Plural.fr(verified, "point de contrôle se vérifie", "points de contrôle se vérifient")) ; les entrées \(first) à \(signed) sont prouvées (dernier point de contrôle \(time)\(key)).",
                    "Signed: \(verified) checkpoints verify; entries \(first)–\(signed) are proven (last checkpoint \(time)\(key))."
                ))
                if checkpoints.unsignedEntries > 0 {
                    print(tr(
                        Plural.fr(Int(checkpoints.unsignedEntries), "entrée plus récente est chaînée mais pas encore couverte par une signature.", "entrées plus récentes sont chaînées mais pas encore couvertes par une signature."),
                        "\(checkpoints.unsignedEntries) newer entries are chained but not yet covered by a signature."
                    ))
                }
            }

            private func verifyFile(_ file: String) throws {
                if partial, !publicKey.isEmpty || !heads.isEmpty {
                    // An export filtered by incident leaves out the `audit` entries, checkpoints included.
                    Console.error(tr(
                        "--public-key et --heads demandent une fenêtre entière (audit export --since/--until), pas un export --partial filtré par incident",
                        "--public-key and --heads need a whole window (audit export --since/--until), not a --partial export filtered by incident"
                    ))
                    throw Exit.usage
                }
                var keys: [AuditPublicKey] = []
                for path in publicKey {
                    let pem = try Console.readText(path)
                    do {
                        keys.append(try AuditPublicKey(pem: pem))
                    } catch {
                        Console.error(tr("\(path) : clé publique refusée (détail en anglais : \(error))", "\(path): \(error)"))
                        throw Exit.usage
                    }
                }
                let text = try Console.readText(file)
                let entries: [AuditEntry]
                do {
                    entries = try AuditExportFormat.read(text)
                } catch {
                    Console.error(tr("\(file) : ligne \(error.line) illisible (détail en anglais : \(error.message))", "\(file): \(error)"))
                    throw Exit.usage
                }
                // One record per file: each node of a cluster keeps its own, and an accept in one re-bases only it.
                var records: [(records: [AuditHeadRecord], source: String)] = []
                for path in heads {
                    let parsed = AuditHeadRecord.parse(lines: try Console.readText(path))
                    if parsed.isEmpty {
                        Console.error(tr(
                            "\(path) ne contient aucune tête signée (attendu : les lignes JSON du fichier des têtes ou du témoin)",
                            "\(path) holds no signed head (expected JSON lines from the heads file or the witness)"
                        ))
                        throw Exit.usage
                    }
                    records.append((parsed, path))
                }
                let result = OfflineVerifier.verify(entries, file: file, partial: partial, keys: keys, heads: records)
                if global.json {
                    Console.json(result)
                } else if result.intact {
                    let checked = Int(result.checked), hash = result.headHash?.prefix(16) ?? "-"
                    let range = result.firstSeq.map { tr("entrées \($0) à \(result.lastSeq ?? $0)", "entries \($0)–\(result.lastSeq ?? $0)") }
                        ?? tr("aucune entrée", "no entries")
                    print(tr(
                        "Export intact : \(Plural.fr(checked, "entrée", "entrées")) (\(range)), dernière empreinte \(hash)…",
                        "Export intact: \(checked) entries (\(range)), last hash \(hash)…"
                    ))
                    if let checkpoints = result.checkpoints { Self.describe(checkpoints, from: result.firstSeq ?? 1) }
                    if let matched = result.headsMatched {
                        let files = heads.joined(separator: ", "), gaps = result.acceptedGaps
                        print(tr(
                            "Têtes : l'export contient " + (matched == 1 ? "la tête signée consignée" : "les \(matched) têtes signées consignées")
                                + " dans \(files)" + (gaps > 0 ? " (\(Plural.fr(gaps, "écart accepté", "écarts acceptés")) avant elles)." : "."),
                            "Heads: the export contains all \(matched) signed heads recorded in \(files)" + (gaps > 0 ? " (\(gaps) accepted gap(s) before them)." : ".")
                        ))
                    }
                } else {
                    print(tr(
                        "EXPORT ROMPU à l'entrée \(result.brokenSeq ?? 0) (détail en anglais : \(result.problem ?? "?"))",
                        "EXPORT BROKEN at entry \(result.brokenSeq ?? 0): \(result.problem ?? "?")"
                    ))
                    print(tr(
                        Plural.fr(Int(result.checked), "entrée se vérifie avant elle.", "entrées se vérifient avant elle."),
                        "\(result.checked) entries before it verify."
                    ))
                }
                if !result.intact { throw Exit.someFailed }
            }
        }
    }
}

extension Tocsinctl.Audit {
    struct Accept: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "accept",
            abstract: tr("Accepter un écart entre la chaîne d'audit et son relevé signé, pour que la signature reprenne (approbateurs seulement).", "Accept a gap between the audit chain and its signed record, so signing resumes (approvers only)."),
            discussion: tr(
                """
                Quand la chaîne contredit les têtes consignées hors de la base (entrées coupées, réécrites, un point \
                de contrôle manquant), tocsind continue d'envoyer mais ne signe plus rien et signale CRITICAL. Après \
                enquête (la restauration d'une sauvegarde plus ancienne est le cas légitime), un approbateur en \
                consigne la raison avec cette commande : l'acceptation est auditée, écrite dans le fichier des têtes \
                et envoyée au témoin, et la chaîne telle qu'elle est devient la nouvelle base. Une chaîne qui échoue \
                à ses propres empreintes ou signatures ne peut pas être acceptée : c'est une preuve. Voir \
                runbooks/audit-signing-key.md.
                """,
                """
                When the chain contradicts the heads recorded outside the database (entries cut, rewritten, a \
                checkpoint missing), tocsind keeps sending but signs nothing more and reports CRITICAL. After \
                investigating (a restore of an older backup is the legitimate case), an approver records why with \
                this command: the accept is audited, written to the heads file and sent to the witness, and the \
                chain as it stands becomes the new baseline. A chain that fails its own hashes or signatures cannot \
                be accepted: it is evidence. See runbooks/audit-signing-key.md.
                """
            )
        )
        @Option(name: .long, help: ArgumentHelp(tr("Pourquoi l'écart est légitime ; gardé dans le journal d'audit.", "Why the gap is legitimate; kept in the audit log."))) var reason: String
        @Flag(name: .long, help: ArgumentHelp(tr("Ne pas demander de confirmation.", "Do not ask for confirmation."))) var yes = false
        @OptionGroup var global: GlobalOptions

        func run() throws {
            try runReporting(json: global.json) {
                let client = try global.connect()
                let verify = try client.call(.auditVerify, EmptyParams(), as: AuditVerifyResult.self)
                guard let problem = verify.problem else {
                    Console.note(tr("Rien à accepter : la chaîne d'audit concorde avec son relevé.", "Nothing to accept: the audit chain verifies against its record."))
                    throw Exit.usage
                }
                if !yes {
                    Console.note(tr(
                        "La chaîne d'audit contredit son relevé (détail en anglais) :\n  \(problem)\nRaison à consigner : \(reason)",
                        "The audit chain contradicts its record:\n  \(problem)\nReason to record: \(reason)"
                    ))
                    try Confirmation(word: .accept, nothingDone: tr("Rien n'a été accepté.", "Nothing was accepted.")).ask()
                }
                let result = try client.call(.auditAccept, AuditAcceptParams(reason: reason), as: AuditAcceptResult.self)
                if global.json { Console.json(result); return }
                print(tr(
                    "Acceptation consignée dans l'entrée d'audit \(result.acceptSeq) (détail en anglais : \(result.problem))",
                    "Accepted in audit entry \(result.acceptSeq): \(result.problem)"
                ))
                print(tr(
                    "La signature reprend sur la chaîne telle qu'elle est ; le fichier des têtes et le témoin consignent l'acceptation.",
                    "Signing resumes from the chain as it stands; the heads file and the witness record the accept."
                ))
            }
        }
    }
}
