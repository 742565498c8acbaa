import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// `struct ucred` from <sys/socket.h>: Glibc hides it from Swift behind _GNU_SOURCE, so it is mirrored here.
struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0

    /// The connected peer's credentials as the kernel recorded them at connect time.
    static func of(_ channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider else { return nil }
        return try? await provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
        ).get()
    }
}
