import ArgumentParser
import FoundationEssentials
import TocsinAudit
import TocsinClient
import TocsinDisplay
import TocsinProtocol
import TocsinText

extension Tocsinctl.Audit {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: tr("Écrire les entrées d'audit sur la sortie standard avec toutes les colonnes d'empreinte, vérifiables hors ligne par « audit verify --file ».", "Stream audit entries to standard output with every hash column, verifiable offline with 'audit verify --file'.")
        )

        enum Format: String, ExpressibleByArgument, CaseIterable { case jsonl, csv }

        @Option(name: .long, help: ArgumentHelp(tr("jsonl (un objet JSON par ligne) ou csv (RFC 4180, avec une ligne d'en-tête).", "jsonl (one JSON object a line) or csv (RFC 4180, with a header line)."))) var format: Format = .jsonl
        @Option(name: .long, help: ArgumentHelp(tr("Seulement les entrées à partir de cette heure (ISO 8601 avec décalage, p. ex. 2026-03-01T08:00:00-05:00 ; une heure comme l'affiche audit log ; ou des millisecondes depuis 1970).", "Only entries at or after this time (ISO 8601 with an offset, e.g. 2026-03-01T08:00:00-05:00; a time as audit log shows it; or milliseconds since 1970).")))
        var since: String?
        @Option(name: .long, help: ArgumentHelp(tr("Seulement les entrées jusqu'à cette heure.", "Only entries at or before this time."))) var until: String?
        @Option(name: .long, help: ArgumentHelp(tr("Seulement les entrées de cet incident.", "Only the entries of this incident.")), completion: .incidentIDs) var incident: String?
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let sinceMillis = try since.map { try AuditTime.millis($0, option: "--since") }
            let untilMillis = try until.map { try AuditTime.millis($0, option: "--until") }
            try runReporting(json: global.json) {
                let client = try global.connect()
                if format == .csv { Console.write(AuditExportFormat.csvHeader + "\n") }
                var afterSeq: Int64 = 0
                var since = sinceMillis
                while true {
                    let page = try client.call(
                        .auditExport,
                        AuditExportParams(afterSeq: afterSeq, limit: 1000, subject: incident, sinceMillis: since, untilMillis: untilMillis),
                        as: AuditExportPage.self
                    )
                    var chunk = ""
                    for entry in page.entries {
                        chunk += (format == .csv ? AuditExportFormat.csvLine(entry) : AuditExportFormat.jsonLine(entry)) + "\n"
                    }
                    Console.write(chunk)
                    if !page.entries.isEmpty { since = nil }
                    if page.done || page.nextAfterSeq <= afterSeq { break }
                    afterSeq = page.nextAfterSeq
                }
            }
        }
    }
}

/// `--since` / `--until` values.
enum AuditTime {
    static func millis(_ text: String, option: String) throws -> Int64 {
        if let millis = Int64(text) { return millis }
        // RFC 3339 with any offset, or a time as the screens show it (copied from `audit log`).
        if let date = TimeDisplay.parse(text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        throw ValidationError("\(option) takes an ISO 8601 time (2026-03-01T08:00:00-05:00, 2026-03-01T13:00:00Z, or as shown: \"2026-03-01 08:00:00 -05:00\") or milliseconds since 1970 (got '\(text)')")
    }
}

/// The export's two encodings, and reading them back.
enum AuditExportFormat {
    static let columns = ["seq", "time", "timeMillis", "kind", "uid", "pid", "subject", "node", "detail", "prevHash", "hash"]
    /// The header of exports made before entries named their node: still read, every entry without one.
    static let columnsWithoutNode = columns.filter { $0 != "node" }
    static var csvHeader: String { columns.joined(separator: ",") }

    static func jsonLine(_ entry: AuditRecordDTO) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return (try? encoder.encode(entry)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func csvLine(_ entry: AuditRecordDTO) -> String {
        let timeMillis: String = entry.timeMillis.map { String($0) } ?? ""
        let uid: String = entry.uid.map { String($0) } ?? ""
        let pid: String = entry.pid.map { String($0) } ?? ""
        let fields: [String] = [
            String(entry.seq), entry.time, timeMillis, entry.kind, uid, pid, entry.subject, entry.node ?? "", entry.detail,
            entry.prevHash, entry.hash,
        ]
        return fields.map(csvField).joined(separator: ",")
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacing(ascii: UInt8(ascii: "\""), with: "\"\"") + "\""
    }

    /// Reads an export (jsonl or csv, told apart by its first character) into chain entries carrying the file's hashes.
    static func read(_ text: String) throws(ExportError) -> [AuditEntry] {
        let trimmed = text.drop { $0.isWhitespace }
        return trimmed.first == "{" ? try readJSONLines(text) : try readCSV(text)
    }

    private static func readJSONLines(_ text: String) throws(ExportError) -> [AuditEntry] {
        var entries: [AuditEntry] = []
        let decoder = JSONDecoder()
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard let record = try? decoder.decode(AuditRecordDTO.self, from: Data(line.utf8)) else {
                throw ExportError(line: index + 1, message: "not an audit entry (expected a JSON object with seq, timeMillis, kind, subject, detail, prevHash, hash)")
            }
            guard let timeMillis = record.timeMillis else { throw ExportError(line: index + 1, message: "no timeMillis: export with 'tocsinctl audit export'") }
            entries.append(entry(seq: record.seq, timeMillis: timeMillis, kind: record.kind, uid: record.uid, pid: record.pid,
                                 subject: record.subject, node: record.node, detail: record.detail, prevHash: record.prevHash,
                                 hash: record.hash))
        }
        return entries
    }

    private static func readCSV(_ text: String) throws(ExportError) -> [AuditEntry] {
        let rows = parseCSV(text)
        guard let header = rows.first, header == columns || header == columnsWithoutNode else {
            throw ExportError(line: 1, message: "the header must be \(csvHeader)")
        }
        // An empty node is an entry without one: the node is a name, never empty when written.
        let node = header == columns ? 7 : nil
        let rest = node == nil ? 7 : 8
        var entries: [AuditEntry] = []
        for (index, row) in rows.dropFirst().enumerated() {
            if row == [""] { continue }
            guard row.count == header.count, let seq = Int64(row[0]), let timeMillis = Int64(row[2]) else {
                throw ExportError(line: index + 2, message: "expected \(header.count) columns with a numeric seq and timeMillis")
            }
            entries.append(entry(seq: seq, timeMillis: timeMillis, kind: row[3], uid: Int64(row[4]), pid: Int64(row[5]),
                                 subject: row[6], node: node.flatMap { row[$0].isEmpty ? nil : row[$0] }, detail: row[rest],
                                 prevHash: row[rest + 1], hash: row[rest + 2]))
        }
        return entries
    }

    private static func entry(
        seq: Int64, timeMillis: Int64, kind: String, uid: Int64?, pid: Int64?, subject: String, node: String?, detail: String,
        prevHash: String, hash: String
    ) -> AuditEntry {
        AuditEntry(
            stored: seq, timeMillis: timeMillis, kind: kind, actorUID: uid, actorPID: pid, subject: subject, node: node,
            detail: detail, prevHash: prevHash, hash: hash
        )
    }

    /// RFC 4180: quoted fields may hold commas, doubled quotes and line breaks.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar?
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\r": continue
            case "\n": row.append(field); rows.append(row); row = []; field = ""
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

struct ExportError: Error, CustomStringConvertible {
    var line: Int
    var message: String
    var description: String { "line \(line): \(message)" }
}

/// `audit verify --file`: the chain of an export, checked without the daemon.
enum OfflineVerifier {
    struct Result: Encodable {
        var file: String
        var intact: Bool
        var checked: Int64
        var firstSeq: Int64?
        var lastSeq: Int64?
        var headHash: String?
        var brokenSeq: Int64?
        var problem: String?
        var checkpoints: CheckpointSummary?
        /// With heads: how many recorded heads the export contains, and how many gaps an approver accepted.
        var headsMatched: Int?
        var acceptedGaps = 0
    }

    /// An export of a window starts mid-chain: it is checked from its first entry's `prevHash`, which the entry
    /// before the window (not in the file) must have had. With `partial` (an export filtered by incident, whose
    /// entries are not consecutive), each entry's own hash is checked and links only between consecutive entries.
    /// With `keys`, signed checkpoints in the export are checked too, and an export without one fails.
    ///
    /// With `heads` (the daemon's heads file or the witness's log; one per node of a cluster), every signed head
    /// each recorded since its last accepted gap must be in the export with the same hash: a chain cut or rewritten
    /// together with its checkpoints verifies on its own, but not against what left the machine.
    static func verify(
        _ entries: [AuditEntry], file: String, partial: Bool, keys: [AuditPublicKey] = [],
        heads: [(records: [AuditHeadRecord], source: String)] = []
    ) -> Result {
        var result = Result(file: file, intact: true, checked: 0, firstSeq: entries.first?.seq, lastSeq: entries.last?.seq)
        guard let first = entries.first else { return result }
        var verifier = AuditVerifier(afterSeq: first.seq - 1, head: first.prevHash, trusting: keys)
        var previous: AuditEntry?
        func fail(_ problem: AuditVerifier.Problem) {
            result.intact = false
            result.brokenSeq = problem.seq
            result.problem = problem.description
        }
        for entry in entries {
            if partial, let previous, entry.seq > previous.seq + 1 {
                verifier.restart(afterSeq: entry.seq - 1, head: entry.prevHash)
            }
            if let problem = verifier.check(entry) {
                fail(problem)
                break
            }
            result.checked += 1
            result.headHash = entry.hash
            previous = entry
        }
        if result.intact, let problem = verifier.finish() { fail(problem) }
        for record in heads where result.intact {
            check(entries, against: record.records, source: record.source, keys: keys, into: &result)
        }
        if !keys.isEmpty {
            let last = verifier.checkpoints.last
            result.checkpoints = CheckpointSummary(
                verified: verifier.checkpoints.verified, lastSeq: last?.seq, lastSignedSeq: last?.signedSeq,
                lastTime: last.map { UTCTime.iso8601(millis: $0.timeMillis, milliseconds: false) },
                lastKey: last?.key, unsignedEntries: (previous?.seq ?? 0) - (last?.seq ?? (first.seq - 1))
            )
        }
        return result
    }

    private static func check(_ entries: [AuditEntry], against records: [AuditHeadRecord], source: String, keys: [AuditPublicKey], into result: inout Result) {
        let binding = AuditHeads.binding(records)
        result.acceptedGaps += records.filter { $0.type == .accept }.count
        let first = entries.first?.seq ?? 1
        let end = entries.last?.seq ?? 0
        let hashes = Dictionary(entries.map { ($0.seq, $0.hash) }, uniquingKeysWith: { _, last in last })
        var matched = 0
        for record in binding.checkpoints + [binding.lastAccept].compactMap({ $0 }) where record.seq >= first {
            let problem = AuditHeads.contradiction(record, chainEnd: end, hash: hashes[record.seq], source: source)
                ?? (keys.isEmpty ? nil : AuditHeads.signatureProblem(record, keys: keys, source: source))
            if let problem {
                result.intact = false
                result.brokenSeq = min(record.seq, end + 1)
                result.problem = problem
                return
            }
            matched += 1
        }
        if let open = binding.openProblem {
            result.intact = false
            result.brokenSeq = open.seq
            result.problem = "\(source) records a problem not yet accepted: \(open.problem ?? "?")"
            return
        }
        result.headsMatched = (result.headsMatched ?? 0) + matched
    }
}
