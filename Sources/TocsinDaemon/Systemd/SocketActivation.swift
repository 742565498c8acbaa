import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The listening socket systemd passed (`tocsind.socket`), per sd_listen_fds(3): descriptors from 3, counted by
/// `$LISTEN_FDS`, meant for the process `$LISTEN_PID`.
enum SocketActivation {
    static let firstDescriptor: Int32 = 3

    /// The inherited admin socket, or nil when the daemon was started without socket activation.
    static func inheritedSocket(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int32? {
        guard let pid = environment["LISTEN_PID"].flatMap(Int32.init), pid == getpid(),
            let count = environment["LISTEN_FDS"].flatMap(Int32.init), count >= 1
        else { return nil }
        // Not for our children: a process we start must not believe the socket is its own.
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        let fd = firstDescriptor
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }
}
