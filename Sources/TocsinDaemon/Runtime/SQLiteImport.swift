import Foundation
public import Logging
import PostgresNIO
import TocsinAudit
public import TocsinCore
import TocsinStore
import TocsinStorePostgres

/// `tocsind --import-sqlite PATH`: moves a SQLite state (one machine) into the empty PostgreSQL database of
/// `storage.postgresql` (several machines), with its history and a still-verifying audit chain, then exits.
///
/// Refused, with nothing changed, when the config has no `storage.postgresql`, when a `tocsind` still runs on the
/// file (what it accepts after the copy would be left behind), when the file is damaged or of another release,
/// when its audit chain does not verify (the first bad entry named), or when the database is not empty.
public enum SQLiteImport {
    /// Runs the import; returns what to tell the operator, one line each.
    public static func run(configuration: Configuration, path given: String, logger: Logger) async throws -> [String] {
        guard case .postgresql(let settings) = configuration.storage else {
            throw SQLiteImportError("--import-sqlite copies a SQLite state into the PostgreSQL database of storage.postgresql, and this config has none: add storage.postgresql to it (docs/configuration.md), then import")
        }
        let path = URL(fileURLWithPath: given).standardizedFileURL.path
        // The daemon's own lock on the file's folder, when it has one: held while copying, so no tocsind starts on
        // the file meanwhile, and refused while one runs.
        let lockPath = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("tocsind.lock")
        // Taken without creating anything: a file no daemon ran beside has no lock to respect.
        let lock = open(lockPath, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
        defer { if lock >= 0 { close(lock) } }
        if lock >= 0, flock(lock, LOCK_EX | LOCK_NB) != 0 {
            throw SQLiteImportError("another tocsind is already running on \((path as NSString).deletingLastPathComponent); stop it first (systemctl stop tocsind): the sends it accepts after the copy would be left behind; nothing was imported")
        }
        let reader = try SQLiteStateReader(path: path)
        let keys = configuration.audit.verificationKeys
        // Checked before the database is touched: a chain that does not verify is not moved anywhere.
        let verified = try await reader.verifyAudit(trusting: keys)
        if let problem = verified.problem, !problem.isUnsigned {
            throw SQLiteImportError("the audit chain of \(path) does not verify at entry \(problem.seq): \(problem); nothing was imported. Investigate it first (tocsinctl audit verify on a daemon of that state; runbooks/moving-to-postgresql.md)")
        }
        let client = try await PostgresConnector.primary(settings, node: configuration.cluster.node, logger: logger)
        let target = "database '\(settings.database)' on \(client.host ?? "?"):\(client.port ?? 0)"
        let uid = Int64(getuid()), pid = Int64(getpid())
        let result = try await PostgresStore.importSQLite(
            reader, configuration: client, target: target, keys: keys, node: configuration.cluster.node, logger: logger
        ) { counts, head in
            var detail = AuditDetail()
            detail.set("source", path)
            detail.set("source_head_seq", Int(head.seq))
            detail.set("source_head_hash", head.hash)
            detail.set("incidents", counts.incidents)
            detail.set("deliveries", counts.deliveries)
            detail.set("attempts", counts.attempts)
            detail.set("approvals", counts.approvals)
            detail.set("web_users", counts.webUsers)
            detail.set("audit_entries", counts.auditEntries)
            detail.set("database", settings.database)
            return AuditEvent(
                timeMillis: Date().millisecondsSince1970, kind: "state.import", actorUID: uid, actorPID: pid, subject: "daemon", detail: detail.json
            )
        }
        var lines = [
            "imported \(path) into the PostgreSQL \(target): \(result.counts)",
            "audit chain copied up to entry \(result.copiedHead.seq) (\(result.copiedHead.hash.prefix(16))…), then the import's own entry",
        ]
        let verification = result.verification
        if let problem = verification.problem, !problem.isUnsigned {
            // Not expected (the chain was checked on the way in): said, and the exit says it too.
            throw SQLiteImportError("the import was committed but the chain in PostgreSQL does not verify at entry \(problem.seq): \(problem)")
        }
        let signed = verification.lastCheckpoint.map { ", signed up to entry \($0.signedSeq)" } ?? ""
        lines.append("audit chain in PostgreSQL verified: \(verification.checked) entries intact\(signed)")
        lines.append("next: start tocsind on this config; keep the audit heads file (\(configuration.auditHeadsFile)) with it, since it records the heads of this chain")
        return lines
    }
}

public struct SQLiteImportError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
