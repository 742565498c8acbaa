import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TocsinCore

/// Who is on the other end of an admin connection, from the kernel (SO_PEERCRED, SO_PEERGROUPS), and what they may do.
struct Caller: Sendable, Hashable {
    let uid: UInt32
    let gid: UInt32
    let pid: Int32
    let userName: String?
    let roles: Set<AccessPolicy.Role>

    var displayName: String { userName.map { "\($0) (uid \(uid))" } ?? "uid \(uid)" }

    /// Neither an operator nor an approver (nor root): the callers whose connections and buffered bytes are budgeted,
    /// so they cannot take what a live send needs.
    var isLowPrivilege: Bool { !roles.contains(.operator_) && !roles.contains(.approver) }

    /// Resolves the caller's name and group names through NSS, then its roles under `policy`.
    /// - Parameters:
    ///   - gid: the primary group (SO_PEERCRED).
    ///   - groups: the supplementary groups the connecting process holds (SO_PEERGROUPS), not those NSS lists for
    ///     the user: a process that dropped its groups does not keep their roles.
    init(uid: UInt32, gid: UInt32, pid: Int32, groups: [UInt32], policy: AccessPolicy) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        userName = Self.userName(uid)
        var names = Set<String>()
        for id in Set(groups + [gid]) {
            if let name = Self.groupName(id) { names.insert(name) }
        }
        roles = policy.roles(uid: uid, userName: userName, groups: names)
    }

    /// The daemon itself (a heartbeat, a signed checkpoint), with this process's own groups.
    init(uid: UInt32, gid: UInt32, pid: Int32, policy: AccessPolicy) {
        var groups = [gid_t](repeating: 0, count: Int(max(getgroups(0, nil), 0)))
        let count = groups.isEmpty ? 0 : getgroups(Int32(groups.count), &groups)
        self.init(uid: uid, gid: gid, pid: pid, groups: Array(groups.prefix(Int(max(count, 0)))), policy: policy)
    }

    /// Names from NSS, cached for a minute: with LDAP or sssd a lookup can take long, and a burst of CLI calls
    /// (a send, its watch, a status) should not pay it each time. A minute is short enough for renames.
    private static let userNames = Mutex<[UInt32: (expires: ContinuousClock.Instant, name: String?)]>([:])
    private static let groupNames = Mutex<[UInt32: (expires: ContinuousClock.Instant, name: String?)]>([:])
    /// Entries kept at most per cache, so a caller with thousands of groups cannot grow it without bound.
    private static let cacheLimit = 4096

    private static func userName(_ uid: UInt32) -> String? {
        cached(uid, in: userNames) {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: 4096)
            guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
                return nil
            }
            return String(cString: name)
        }
    }

    private static func groupName(_ gid: UInt32) -> String? {
        cached(gid, in: groupNames) {
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            var buffer = [CChar](repeating: 0, count: 8192)
            guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name else {
                return nil
            }
            return String(cString: name)
        }
    }

    private static func cached(
        _ id: UInt32, in cache: borrowing Mutex<[UInt32: (expires: ContinuousClock.Instant, name: String?)]>, lookup: () -> String?
    ) -> String? {
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[id] }), hit.expires > now { return hit.name }
        let name = lookup()
        cache.withLock { entries in
            if entries.count >= cacheLimit { entries.removeAll(keepingCapacity: true) }
            entries[id] = (now + .seconds(60), name)
        }
        return name
    }

    func has(anyOf names: Set<String>) -> Bool {
        roles.contains { names.contains($0.rawValue) }
    }
}
