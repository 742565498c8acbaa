import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on the state folder, held for the daemon's lifetime.
///
/// A second `tocsind` on the same database would resend every unfinished delivery and take over the admin
/// socket; the kernel releases the lock when the process dies, even by SIGKILL, so a crash never leaves it stale.
struct StateLock: ~Copyable {
    private let descriptor: Int32

    init(folder: String) throws(StateLockError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw StateLockError("cannot create the state folder \(folder): \(error.localizedDescription)")
        }
        let path = (folder as NSString).appendingPathComponent("tocsind.lock")
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw StateLockError("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var holder = ""
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = read(fd, &buffer, buffer.count)
            if count > 0 { holder = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            close(fd)
            throw StateLockError(
                "another tocsind is already running on \(folder)\(holder.isEmpty ? "" : " (pid \(holder))"); stop it first (systemctl stop tocsind)"
            )
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        descriptor = fd
    }

    deinit { close(descriptor) }
}

struct StateLockError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Raises the soft limit on open files to the hard limit: each connection to a channel is a descriptor.
func raiseOpenFileLimit() {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}
