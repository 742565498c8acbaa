import Foundation
import HummingbirdBcrypt
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// `web-user.*`: the web console's users, managed by approvers (issue 18, item 2). A password arrives once and is
/// kept as a bcrypt hash; a TOTP seed is made here, sealed with the configured key before it is stored, and shown
/// once, as the enrolment's `otpauth://` URI. Neither is ever logged or audited.
struct WebUserHandlers: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    /// How lock-outs are judged for `list` (the same rule the console applies at sign-in).
    let throttle = SignInThrottle()

    /// bcrypt's work factor: about a quarter of a second here, paid at each sign-in and never on the send path.
    static let bcryptCost: UInt8 = 12

    func register(in table: inout MethodTable) {
        table.on(AdminCall.webUserList) { _ async throws(DaemonError) in try await list() }
        table.on(AdminCall.webUserAdd, auditsRequest: true) { params, context async throws(DaemonError) in
            try await enrol(params, resetting: false, context)
        }
        table.on(AdminCall.webUserReset, auditsRequest: true) { params, context async throws(DaemonError) in
            try await enrol(params, resetting: true, context)
        }
        table.on(AdminCall.webUserRemove, auditsRequest: true) { params, context async throws(DaemonError) in
            try await change(.remove(name: params.name), result: "removed", context)
        }
        table.on(AdminCall.webUserUnlock, auditsRequest: true) { params, context async throws(DaemonError) in
            try await change(.unlock(name: params.name, at: Date().millisecondsSince1970), result: "unlocked", context)
        }
    }

    func list() async throws(DaemonError) -> [WebUserSummary] {
        let users: [WebUserRecord]
        do { users = try await store.webUsers() } catch { throw .store(error, doing: "cannot read the web users") }
        let policy = configuration.current.configuration.access
        let now = Date().millisecondsSince1970
        return users.map { user in
            let record = SignInThrottle.Record(failures: user.failures, lastFailureMillis: user.lastFailureAt)
            return WebUserSummary(
                name: user.name, roles: Self.roles(of: user.name, in: policy), createdAt: Timestamp.iso(millis: user.createdAt),
                updatedAt: Timestamp.iso(millis: user.updatedAt), failures: throttle.current(record, now: now).failures,
                lockedOut: throttle.isLockedOut(record, now: now)
            )
        }
    }

    /// `add` (a new user) or `reset` (an existing one: lost phone, forgotten password): a new password and a new seed.
    func enrol(_ params: WebUserPasswordParams, resetting: Bool, _ context: RequestContext) async throws(DaemonError) -> WebUserEnrolment {
        try Self.check(name: params.name)
        try Self.check(password: params.password, of: params.name)
        let active = configuration.current.configuration
        guard let web = active.web else {
            throw DaemonError.refused(
                "tocsind has no key to seal web users' TOTP codes with, so nothing was done",
                hint: "Make one (openssl rand -base64 32 > /etc/tocsin/web-seed-key; chmod 600 /etc/tocsin/web-seed-key), give it to tocsind (web.seed_key_file, or LoadCredential=web-seed-key:/etc/tocsin/web-seed-key), then tocsinctl reload."
            ).said(.webSeedKeyMissing)
        }
        let password = params.password
        let hash: String
        do {
            // bcrypt is CPU work on purpose: off the two cooperative threads that deliveries run on.
            hash = try await BlockingIO.run { Bcrypt.hash(password, cost: Self.bcryptCost) }
        } catch {
            throw .unavailable("tocsind is stopping; the web user was not \(resetting ? "reset" : "added")")
        }
        let seed = TOTP.newSecret()
        let sealed: Data
        do { sealed = try web.sealer.seal(seed, for: params.name) } catch { throw .unavailable(error.description) }
        let now = Date().millisecondsSince1970
        let record = WebUserRecord(name: params.name, passwordHash: hash, sealedSeed: sealed, seedKeyID: web.sealer.keyID, createdAt: now, updatedAt: now)
        try await commit(resetting ? .reset(record) : .add(record), detail: ["key": web.sealer.keyID], context)
        return WebUserEnrolment(
            name: params.name, otpauthURI: TOTP(secret: seed).provisioningURI(account: params.name, issuer: active.organization.name),
            roles: Self.roles(of: params.name, in: active.access)
        )
    }

    func change(_ change: WebUserChange, result: String, _ context: RequestContext) async throws(DaemonError) -> WebUserChangeResult {
        try Self.check(name: change.name)
        try await commit(change, detail: [:], context)
        return WebUserChangeResult(name: change.name, change: result)
    }

    /// The change, the request's audit entry and the change's own entry (`web-user.add`, `.reset`, `.remove`,
    /// `.unlock`), in one commit.
    private func commit(_ change: WebUserChange, detail extra: [String: String], _ context: RequestContext) async throws(DaemonError) {
        var detail = AuditDetail()
        detail.set("user", "web:" + change.name)
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { detail.set(key, value) }
        detail.set("by", context.principal.displayName)
        var write = StoreWrite(audit: [context.requestAudit, context.principal.event(Self.auditKind(of: change), subject: "web:" + change.name, detail: detail)])
        write.webUsers = [change]
        do {
            try await store.commit(write)
        } catch where error.code == .constraint {
            if case .add = change {
                throw DaemonError.validation("a web user named '\(change.name)' already exists; `tocsinctl web-users reset \(change.name)` gives it a new password and code")
                    .said(.webUserExists, ["name": change.name])
            }
            throw DaemonError.notFound("no web user named '\(change.name)' (tocsinctl web-users list shows them)").said(.webUserUnknown, ["name": change.name])
        } catch {
            throw .store(error, doing: "the web user change could not be stored, so nothing changed")
        }
    }

    static func auditKind(of change: WebUserChange) -> String {
        switch change {
        case .add: "web-user.add"
        case .reset: "web-user.reset"
        case .remove: "web-user.remove"
        case .unlock: "web-user.unlock"
        // Recorded by WebSignIn under its own kinds; named here for completeness.
        case .signInFailed, .codeAccepted: "web.sign-in"
        }
    }

    static func roles(of name: String, in policy: AccessPolicy) -> [String] {
        policy.roles(webUser: name).map(\.rawValue).sorted()
    }

    static func check(name: String) throws(DaemonError) {
        guard AccessPolicy.Principal.isWebUserName(name) else {
            throw DaemonError.validation("'\(TextValidator.printable(name))' is not a web user name: 1 to 64 lowercase letters, digits, '.', '_' or '-', starting with a letter")
                .said(.webUserName, ["name": TextValidator.printable(name)])
        }
    }

    /// Long enough to resist guessing behind the sign-in throttle, short enough for bcrypt to read it whole (it stops
    /// at 72 bytes, or at a NUL: the rest would be dropped without a word). Messages never repeat the password.
    static func check(password: String, of name: String) throws(DaemonError) {
        if password.count < 12 {
            throw DaemonError.validation("the password must be at least 12 characters (a phrase of a few words is easiest to type on a phone)")
                .said(.webUserPassword, ["problem": "short"])
        }
        if password.utf8.count > 72 {
            throw DaemonError.validation("the password is longer than 72 bytes, which bcrypt does not read past; choose a shorter one")
                .said(.webUserPassword, ["problem": "long"])
        }
        // bcrypt's C code stops at a NUL (the rest would not count), and a line break cannot be typed at sign-in.
        if password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw DaemonError.validation("the password cannot contain control characters (a NUL, a tab, a line break)")
                .said(.webUserPassword, ["problem": "control"])
        }
        if password.lowercased() == name.lowercased() {
            throw DaemonError.validation("the password cannot be the user's name").said(.webUserPassword, ["problem": "name"])
        }
    }
}
