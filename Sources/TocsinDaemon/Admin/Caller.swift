import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TocsinCore

/// Who is on the other end of an admin connection, from the kernel (SO_PEERCRED), and what they may do.
struct Caller: Sendable, Hashable {
    let uid: UInt32
    let gid: UInt32
    let pid: Int32
    let userName: String?
    let roles: Set<AccessPolicy.Role>

    var displayName: String { userName.map { "\($0) (uid \(uid))" } ?? "uid \(uid)" }

    /// Resolves the caller's name and groups through NSS, then its roles under `policy`.
    init(uid: UInt32, gid: UInt32, pid: Int32, policy: AccessPolicy) {
        self.uid = uid
        self.gid = gid
        self.pid = pid
        let identity = Self.identity(uid: uid, gid: gid)
        userName = identity.name
        roles = policy.roles(uid: uid, userName: identity.name, groups: identity.groups)
    }

    /// Names from NSS, cached for a minute: with LDAP or sssd a lookup can take long, and a burst of CLI calls
    /// (a send, its watch, a status) should not pay it each time. A minute is short enough for group changes.
    private static let cache = Mutex<[UInt64: (expires: ContinuousClock.Instant, name: String?, groups: Set<String>)]>([:])

    private static func identity(uid: UInt32, gid: UInt32) -> (name: String?, groups: Set<String>) {
        let key = UInt64(uid) << 32 | UInt64(gid)
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[key] }), hit.expires > now { return (hit.name, hit.groups) }
        let user = lookupUser(uid)
        let groups = groupNames(user: user?.name, primaryGID: gid)
        cache.withLock { $0[key] = (now + .seconds(60), user?.name, groups) }
        return (user?.name, groups)
    }

    func has(anyOf names: Set<String>) -> Bool {
        roles.contains { names.contains($0.rawValue) }
    }

    private static func lookupUser(_ uid: UInt32) -> (name: String, gid: UInt32)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else {
            return nil
        }
        return (String(cString: name), entry.pw_gid)
    }

    /// The caller's primary group and, when its user name is known, every supplementary group.
    private static func groupNames(user: String?, primaryGID: UInt32) -> Set<String> {
        var ids: [gid_t] = [primaryGID]
        if let user {
            var count: Int32 = 64
            var list = [gid_t](repeating: 0, count: Int(count))
            if getgrouplist(user, primaryGID, &list, &count) == -1 {
                list = [gid_t](repeating: 0, count: Int(count))
                _ = getgrouplist(user, primaryGID, &list, &count)
            }
            ids = Array(list.prefix(Int(max(count, 0))))
        }
        var names = Set<String>()
        for id in ids {
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            var buffer = [CChar](repeating: 0, count: 8192)
            if getgrgid_r(id, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name {
                names.insert(String(cString: name))
            }
        }
        return names
    }
}
