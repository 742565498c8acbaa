import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The admin socket's path on disk, handled without ever following a link planted there.
///
/// Whoever can write to the socket's folder could plant a symbolic link at the path before tocsind starts: a
/// daemon that followed it would chmod (0660, group-writable) or unlink whatever the link names. SwiftNIO's
/// `cleanupExistingSocketFile` checks the path with `stat`, which follows links, and `chmod` follows them too;
/// so tocsind checks the path itself with `lstat` and sets the mode with `AT_SYMLINK_NOFOLLOW`.
enum AdminSocketPath {
    /// Removes a socket left behind by an earlier tocsind (killed, it could not clean up) and refuses anything
    /// else at the path — a symbolic link, a file, a folder, another user's socket — leaving it as it is.
    static func prepare(_ path: String) throws(AdminServerError) {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return }
            throw AdminServerError("cannot inspect the admin socket path \(path): \(String(cString: strerror(errno)))")
        }
        let advice = "tocsind leaves it as it is; check who put it there, remove it, and start tocsind again"
        switch info.st_mode & S_IFMT {
        case S_IFSOCK where info.st_uid == geteuid():
            guard unlink(path) == 0 || errno == ENOENT else {
                throw AdminServerError("cannot remove the stale admin socket \(path): \(String(cString: strerror(errno)))")
            }
        case S_IFSOCK:
            throw AdminServerError(
                "refusing to start: the admin socket path \(path) holds a socket owned by uid \(info.st_uid), not by tocsind (uid \(geteuid())); \(advice)"
            )
        case S_IFLNK:
            let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?"
            throw AdminServerError(
                "refusing to start: the admin socket path \(path) is a symbolic link (to \(target)), which tocsind never follows; \(advice)"
            )
        default:
            let kind = info.st_mode & S_IFMT == S_IFDIR ? "folder" : info.st_mode & S_IFMT == S_IFREG ? "regular file" : "special file"
            throw AdminServerError("refusing to start: the admin socket path \(path) is a \(kind), not a socket; \(advice)")
        }
    }

    /// Sets the socket's mode, failing rather than following a link that replaced it since `bind`.
    static func setMode(_ path: String, _ mode: UInt16) throws(AdminServerError) {
        guard fchmodat(AT_FDCWD, path, mode_t(mode), AT_SYMLINK_NOFOLLOW) == 0 else {
            throw AdminServerError("cannot set the permissions of the admin socket \(path): \(String(cString: strerror(errno)))")
        }
    }
}
