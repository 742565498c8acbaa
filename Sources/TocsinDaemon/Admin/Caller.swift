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
        let user = Self.lookupUser(uid)
        userName = user?.name
        let groups = Self.groupNames(user: user?.name, primaryGID: gid)
        roles = policy.roles(uid: uid, userName: user?.name, groups: groups)
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
