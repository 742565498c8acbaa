import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// Keeps the state folder and the database files away from other users, whatever the umask, also when tocsind runs
/// by hand: the folder 0750 and the database 0640, as the unit's `StateDirectoryMode=0750` does under systemd.
///
/// The database holds every message and the whole audit log; a 0644 file in a 0755 folder let any local user copy
/// it. SQLite creates `-wal` and `-shm` with the database file's own mode, so creating that file first is enough.
enum StatePermissions {
    /// Applies the modes; returns what it had to tighten, for the journal.
    static func secure(folder: String, database: String) -> [String] {
        var tightened: [String] = []
        if chmodIfOpen(folder, to: 0o750) { tightened.append(folder) }
        if access(database, F_OK) != 0 {
            let fd = open(database, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o640)
            if fd >= 0 {
                _ = fchmod(fd, 0o640)
                close(fd)
            }
        }
        for file in [database, database + "-wal", database + "-shm"] where chmodIfOpen(file, to: 0o640) {
            tightened.append(file)
        }
        return tightened
    }

    /// Removes every permission for other users from `path` (never through a symbolic link); true when it changed.
    private static func chmodIfOpen(_ path: String, to mode: mode_t) -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFLNK else { return false }
        let current = info.st_mode & 0o7777
        guard current & 0o007 != 0 else { return false }
        return chmod(path, current & mode) == 0
    }
}

extension StatePermissions {
    static func secure(folder: String, database: String, logger: Logger) {
        for path in secure(folder: folder, database: database) {
            logger.notice("state file was open to every user; permissions for others removed", metadata: ["path": "\(path)"])
        }
    }
}
