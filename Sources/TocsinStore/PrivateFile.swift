import Foundation

/// A new database file that holds every message and the whole audit log: created 0600 before SQLite opens it
/// (SQLite keeps an existing file's mode), written beside its final name, and renamed into place once whole, so the
/// final name is never half-written. What both kinds of backup (SQLite's online copy, the PostgreSQL export) write.
enum PrivateFile {
    /// The temporary name beside `path`, created empty and 0600.
    /// - Throws: `StoreError(.io)` when `path` exists (backups never overwrite) or the file cannot be created.
    static func createTemporary(for path: String) throws(StoreError) -> String {
        let temporary = path + ".partial-\(getpid())"
        guard !FileManager.default.fileExists(atPath: path) else {
            throw StoreError(.io, "\(path) already exists; name a new file (backups never overwrite)")
        }
        try? FileManager.default.removeItem(atPath: temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw StoreError(.io, "cannot create the backup file \(temporary): \(String(cString: strerror(errno)))")
        }
        fchmod(fd, 0o600)
        close(fd)
        return temporary
    }

    /// Moves the finished temporary file to `path`.
    static func moveIntoPlace(_ temporary: String, _ path: String) throws(StoreError) {
        guard rename(temporary, path) == 0 else {
            throw StoreError(.io, "cannot move the backup into place at \(path): \(String(cString: strerror(errno)))")
        }
    }
}
