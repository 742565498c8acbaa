import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinAudit

/// Who acts, and what they may do: one type for every actor the daemon serves or records.
///
/// A principal is a process on the admin socket, named by the kernel (SO_PEERCRED, SO_PEERGROUPS), the daemon
/// itself (a heartbeat, a signed checkpoint), or a web user vouched for by a listed gateway (`onBehalfOf`). Roles are
/// resolved once, when the principal is made; `authorise(_:)` is the one place they are checked, and `event(_:…)`
/// the one way an action is written to the audit log, so every handler records its actor alike.
struct Principal: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// A process connected to the admin socket.
        case unixProcess
        /// tocsind acting on its own (heartbeats, checkpoints).
        case daemon
        /// A web console user, named by a gateway process listed under `access.web_gateways` (uid, pid and user
        /// name are the gateway's).
        case webUser(WebActor)
    }

    /// Who acts through a web gateway, as the gateway says and the daemon checked.
    struct WebActor: Sendable, Hashable {
        let name: String
        /// The client's address as the gateway saw it.
        let client: String?
        /// The fresh TOTP code the request carried, not yet checked: a live send checks (and spends) it once it is
        /// planned, so a send refused for another reason leaves the code unspent.
        let stepUp: StepUp?
    }

    /// A code to check when a live send needs it, and how.
    struct StepUp: Sendable, Hashable {
        let code: String
        let check: @Sendable () async throws -> Void

        static func == (a: StepUp, b: StepUp) -> Bool { a.code == b.code }
        func hash(into hasher: inout Hasher) { hasher.combine(code) }
    }

    let kind: Kind
    let uid: UInt32
    let gid: UInt32
    let pid: Int32
    let userName: String?
    let roles: Set<AccessPolicy.Role>
    /// A process whose user is listed under `access.web_gateways`: it may check web users' sign-ins and act for
    /// them, and holds no role of its own (whatever groups it is in), so a console taken over can do only what
    /// its users may. Its connections are budgeted with the operators' (a phone's send comes through it). Never
    /// true of a web user itself.
    let isWebGateway: Bool

    var webActor: WebActor? {
        if case .webUser(let actor) = kind { return actor }
        return nil
    }

    /// The name an approval or an incident records as its actor: the web user's (`web:marie`), else the Unix user's.
    var actorName: String? { webActor.map { "web:" + $0.name } ?? userName }

    /// Who asked, for telling a repeated request from another one (`SendRequest`): the web user, else the Unix
    /// user. Not the pid, which changes when a client retries from a new process.
    var requester: String { webActor.map { "web:" + $0.name } ?? "uid \(uid)" }

    var displayName: String {
        let unix = userName.map { "\($0) (uid \(uid))" } ?? "uid \(uid)"
        guard let actor = webActor else { return unix }
        return "web:\(actor.name) (through \(unix))"
    }

    /// Neither an operator nor an approver (nor root), nor a web gateway: the callers whose connections and buffered
    /// bytes are budgeted, so they cannot take what a live send needs.
    var isLowPrivilege: Bool { !roles.contains(.operator_) && !roles.contains(.approver) && !isWebGateway }

    /// In no role at all: its refusals are counted, one audit entry per uid per minute (RefusalAggregator), instead
    /// of one entry each. Root has every role, so it is never aggregated; nor is a gateway or a web user, whose
    /// refusals name the person.
    var hasNoRole: Bool { roles.isEmpty && !isWebGateway && webActor == nil }

    /// Whether any one of the method's roles is held (and, for a web user, whether the console serves the method at
    /// all); the one check of every admin call.
    func may(_ method: AdminMethod) -> Bool {
        if webActor != nil, !method.servesWebUsers { return false }
        return roles.contains { method.roles.contains($0.rawValue) } || (isWebGateway && method.roles.contains(AdminMethod.webGatewayRole))
    }

    /// A live send (or re-send) from the web console needs a fresh code, checked here (after the send is planned, so
    /// a refused send spends none): a phone left signed in, or a console taken over, cannot send for real on a
    /// session alone.
    func requireStepUp(forLive live: Bool) async throws(DaemonError) {
        guard live, let actor = webActor else { return }
        guard let stepUp = actor.stepUp else {
            throw DaemonError.refused(
                "a live send from the web console needs a fresh code from the authenticator app; nothing was sent"
            ).said(.webStepUpNeeded)
        }
        // check() throws only DaemonError; `.store` passes one through unchanged.
        do { try await stepUp.check() } catch { throw DaemonError.store(error) }
    }

    /// Throws the refusal an operator reads when `method` is not allowed.
    func authorise(_ method: AdminMethod) throws(DaemonError) {
        guard !may(method) else { return }
        if let actor = webActor, !method.servesWebUsers {
            throw DaemonError.notAuthorised(
                "web:\(actor.name) may not call \(method.rawValue) through the web console: it is done with tocsinctl on the server"
            ).said(.webNotServed, ["method": method.rawValue])
        }
        let roles = method.roles.sorted().joined(separator: " or ")
        let fix = webActor == nil
            ? "An administrator can add you under 'access' in tocsin.yaml."
            : "An administrator can add web:\(webActor?.name ?? "") under 'access' in tocsin.yaml."
        throw DaemonError.notAuthorised(
            "\(displayName) may not call \(method.rawValue): it needs the \(roles) role. \(fix)"
        ).said(.notAuthorised, ["caller": displayName, "method": method.rawValue, "roles": method.roles.sorted().joined(separator: " ou ")])
    }

    /// An audit entry of this principal's action: every handler records its actor through here. A web user's
    /// entries name the user and the client's address besides the gateway's uid and pid.
    func event(_ kind: String, subject: String, detail: AuditDetail, at millis: Int64 = Date().millisecondsSince1970) -> AuditEvent {
        var detail = detail
        if let actor = webActor {
            detail.set("web_user", actor.name)
            detail.set("client", actor.client.map { String($0.prefix(100)) })
        }
        return AuditEvent(
            timeMillis: millis, kind: kind, actorUID: Int64(uid), actorPID: Int64(pid), subject: subject, detail: detail.json
        )
    }

    /// The web user `actor` acting through this gateway: the user's own `web:` roles under `policy`, nothing of the
    /// gateway's.
    func acting(for actor: WebActor, policy: AccessPolicy) -> Principal {
        Principal(kind: .webUser(actor), uid: uid, gid: gid, pid: pid, userName: userName, roles: policy.roles(webUser: actor.name), isWebGateway: false)
    }

    private init(kind: Kind, uid: UInt32, gid: UInt32, pid: Int32, userName: String?, roles: Set<AccessPolicy.Role>, isWebGateway: Bool) {
        self.kind = kind
        self.uid = uid
        self.gid = gid
        self.pid = pid
        self.userName = userName
        self.roles = roles
        self.isWebGateway = isWebGateway
    }

    /// Resolves the caller's name and group names through NSS, then its roles under `policy`.
    /// - Parameters:
    ///   - gid: the primary group (SO_PEERCRED).
    ///   - groups: the supplementary groups the connecting process holds (SO_PEERGROUPS), not those NSS lists for
    ///     the user: a process that dropped its groups does not keep their roles.
    init(uid: UInt32, gid: UInt32, pid: Int32, groups: [UInt32], policy: AccessPolicy, kind: Kind = .unixProcess) {
        self.kind = kind
        self.uid = uid
        self.gid = gid
        self.pid = pid
        userName = Self.userName(uid)
        var names = Set<String>()
        for id in Set(groups + [gid]) {
            if let name = Self.groupName(id) { names.insert(name) }
        }
        isWebGateway = kind == .unixProcess && policy.isWebGateway(uid: uid, userName: userName)
        roles = isWebGateway ? [] : policy.roles(uid: uid, userName: userName, groups: names)
    }

    /// The daemon itself (a heartbeat, a signed checkpoint), with this process's own credentials and groups.
    static func daemon(policy: AccessPolicy) -> Principal {
        var groups = [gid_t](repeating: 0, count: Int(max(getgroups(0, nil), 0)))
        let count = groups.isEmpty ? 0 : getgroups(Int32(groups.count), &groups)
        return Principal(
            uid: getuid(), gid: getgid(), pid: getpid(), groups: Array(groups.prefix(Int(max(count, 0)))), policy: policy,
            kind: .daemon
        )
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
}
