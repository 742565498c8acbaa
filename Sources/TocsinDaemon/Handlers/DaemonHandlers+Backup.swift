import Foundation
import Logging
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

extension DaemonHandlers {
    /// `daemon.backup`: a consistent copy of the database, written only into `paths.backups` under a name the
    /// daemon chooses, mode 0600, after checking there is room. The request is audited before the copy is made:
    /// a backup that cannot be audited is not made.
    func backup(_ params: BackupParams, caller: Principal, requestAudit: AuditEvent) async throws(DaemonError) -> BackupResult {
        let config = configuration.current.configuration
        let folder = config.paths.backups
        if params.path != nil {
            throw DaemonError.validation("tocsind names backups itself and writes them only into \(folder) (paths.backups): run `tocsinctl backup` without a path, then copy the file it names")
                .said(.backupPath, ["folder": folder])
        }
        if !caller.roles.contains(.operator_), !config.access.auditorsMayBackup {
            throw DaemonError.notAuthorised("\(caller.displayName) may not ask for a backup: it needs the operator role, or the auditor role with 'access.auditors_may_backup: true' in tocsin.yaml")
                .said(.backupNotAuthorised, ["caller": caller.displayName])
        }
        try BackupFolder.prepare(folder)
        // The store says: on PostgreSQL there is no file in the state folder to measure.
        let needed = (try? await store.sizeInBytes()) ?? BackupFolder.databaseBytes(config.paths.database)
        let free = BackupFolder.freeBytes(folder)
        // Room for the copy and 64 MB to spare: a backup must never be what fills the disk the database is on.
        if let free, free < needed + 64 * 1_048_576 {
            throw DaemonError.unavailable("not enough free space in \(folder) for a backup: \(free / 1_048_576) MB free, the database needs \(needed / 1_048_576) MB and 64 MB are kept spare; free space or set paths.backups to a larger disk")
                .said(.backupNoRoom, ["folder": folder, "free": String(free / 1_048_576), "needed": String(needed / 1_048_576)])
        }
        var request = requestAudit
        request.subject = "daemon"
        do { try await store.commit(StoreWrite(audit: [request])) } catch {
            throw .unavailable("the backup was not made: its request cannot be recorded in the audit log (\(error))")
        }
        let path = (folder as NSString).appendingPathComponent(BackupFolder.fileName(at: Date()))
        let head: AuditHead
        do { head = try await store.backup(to: path) } catch { throw .store(error, doing: "the backup failed") }
        let bytes = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0
        var detail = AuditDetail()
        detail.set("path", path)
        detail.set("bytes", Int(bytes))
        detail.set("audit_head_seq", Int(head.seq))
        detail.set("audit_head_hash", head.hash)
        detail.set("by", caller.displayName)
        do { try await store.commit(StoreWrite(audit: [caller.event("daemon.backup", subject: "daemon", detail: detail)])) } catch {
            logger.error("backup written but its completion could not be audited", metadata: ["backup.path": "\(path)", "store.error": "\(error)"])
        }
        return BackupResult(path: path, bytes: bytes, auditHeadSeq: head.seq, auditHeadHash: head.hash)
    }
}

/// The backups folder: created 0750 by the daemon, never through a symbolic link.
enum BackupFolder {
    static func prepare(_ folder: String) throws(DaemonError) {
        var info = stat()
        if lstat(folder, &info) != 0 {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o750])
            } catch {
                throw .unavailable("cannot create the backups folder \(folder): \(error.localizedDescription)")
            }
            return
        }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw DaemonError.unavailable("\(folder) (paths.backups) is not a folder (a symbolic link or a file is never followed); remove it or set paths.backups")
                .said(.backupFolderNotFolder, ["folder": folder])
        }
    }

    /// `tocsin-20261204T162301Z-3f9a.db`: sortable, in UTC, never the name of an existing file.
    static func fileName(at date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .gmt
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "tocsin-\(formatter.string(from: date))-\(String(UInt16.random(in: 0...UInt16.max), radix: 16)).db"
    }

    static func databaseBytes(_ database: String) -> Int64 {
        [database, database + "-wal"].reduce(0) { total, path in
            total + (((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int64) ?? 0)
        }
    }

    static func freeBytes(_ folder: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(folder, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}
