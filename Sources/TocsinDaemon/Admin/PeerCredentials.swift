import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who connected, as the kernel recorded it at connect time: `struct ucred` (SO_PEERCRED) and the supplementary
/// groups (SO_PEERGROUPS) of the connecting process.
///
/// The groups are the process's own, not the user's groups in /etc/group: a process that dropped its supplementary
/// groups (`setpriv --clear-groups`, a service's `SupplementaryGroups=`) holds none of their roles. /proc could tell
/// the same, but the unit's `ProtectProc=invisible` hides other users' processes from the daemon.
struct PeerCredentials: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
    /// Supplementary groups, ascending (the kernel keeps them sorted); the primary group is `gid`.
    var groups: [UInt32]

    /// The connected peer's credentials, or nil when the kernel cannot tell (not a Unix socket).
    static func of(_ channel: any Channel) async -> PeerCredentials? {
        guard let provider = channel as? any SocketOptionProvider,
            let credentials: UCred = try? await provider.unsafeGetSocketOption(
                level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
            ).get()
        else { return nil }
        // No groups when they cannot be read: fail closed (roles from groups are lost, never gained).
        let groups = await supplementaryGroups(provider) ?? []
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: groups)
    }

    /// `struct ucred` from <sys/socket.h>: Glibc hides it from Swift behind _GNU_SOURCE, so it is mirrored here.
    private struct UCred {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// SO_PEERGROUPS (Linux 4.13+; <asm-generic/socket.h>), not exported by Glibc's Swift module.
    private static let peerGroupsOption: Int32 = 59

    /// The peer's supplementary groups through SO_PEERGROUPS.
    ///
    /// NIO reads a socket option into a fixed-size value and does not return the length the kernel wrote, so the
    /// groups are read in steps: a 1-byte probe succeeds only when there are none (the kernel answers ERANGE when
    /// the buffer is shorter than the list), then 64, 1,024 and 8,192 slots. NIO zeroes the buffer
    /// and the kernel writes the list sorted, so the list ends where the values stop rising: a 0 can only be first.
    private static func supplementaryGroups(_ provider: any SocketOptionProvider) async -> [UInt32]? {
        let name = SocketOptionName(peerGroupsOption), level = SocketOptionLevel(SOL_SOCKET)
        switch await attempt(provider.unsafeGetSocketOption(level: level, name: name) as EventLoopFuture<UInt8>) {
        case .value: return []
        case .tooSmall: break
        case .failed: return nil
        }
        if case .value(let slots) = await attempt(provider.unsafeGetSocketOption(level: level, name: name) as EventLoopFuture<GroupSlots64>) {
            return sortedPrefix(slots)
        }
        if case .value(let slots) = await attempt(provider.unsafeGetSocketOption(level: level, name: name) as EventLoopFuture<GroupSlots1024>) {
            return sortedPrefix(slots)
        }
        if case .value(let slots) = await attempt(provider.unsafeGetSocketOption(level: level, name: name) as EventLoopFuture<GroupSlots8192>) {
            return sortedPrefix(slots)
        }
        // More than 8,192 groups: none are counted (fail closed) rather than copying a 256 kB buffer per connection.
        return nil
    }

    private enum Attempt<Value: Sendable> { case value(Value), tooSmall, failed }

    private static func attempt<Value: Sendable>(_ future: EventLoopFuture<Value>) async -> Attempt<Value> {
        do {
            return .value(try await future.get())
        } catch let error as IOError where error.errnoCode == ERANGE {
            return .tooSmall
        } catch {
            return .failed
        }
    }

    /// The groups the kernel wrote into zeroed `slots`: the ascending run from the start (at least one entry, as the
    /// 1-byte probe showed the list is not empty).
    private static func sortedPrefix<Slots>(_ slots: Slots) -> [UInt32] {
        withUnsafeBytes(of: slots) { raw in
            let all = raw.bindMemory(to: UInt32.self)
            var groups = [all[0]]
            for gid in all.dropFirst() {
                guard gid != 0, gid >= groups[groups.count - 1] else { break }
                groups.append(gid)
            }
            return groups
        }
    }
}

// Fixed-size buffers for SO_PEERGROUPS (see `supplementaryGroups`): contiguous, no padding. InlineArray rather than
// nested tuples: the compiler lowers a tuple element by element, and the 8,192-slot one took it ~13 minutes of every
// clean build of this module.
private typealias GroupSlots64 = InlineArray<64, UInt32>
private typealias GroupSlots1024 = InlineArray<1024, UInt32>
private typealias GroupSlots8192 = InlineArray<8192, UInt32>
