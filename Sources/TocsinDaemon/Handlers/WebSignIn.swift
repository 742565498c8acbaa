import Foundation
import HummingbirdBcrypt
import Synchronization
import TocsinCore
import TocsinProtocol
import TocsinStore

/// The web console's sign-in, checked by the daemon (issue 18, item 2): the gateway passes on what the person typed
/// and the daemon, which alone holds the password hashes and the key of the TOTP seeds, says yes or no. Failures
/// slow down per user (in the store, so every node counts the same) and per client address (here); a TOTP code is
/// accepted once across the cluster (the store's compare-and-set). The same check serves a step-up: a live send
/// from the console carries a fresh code in its `onBehalfOf`.
///
/// Every answer is audited with the web user, the gateway's uid and the client's address. A refusal never says
/// which of name, password or code was wrong, and never repeats any of them.
struct WebSignIn: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    let throttle: SignInThrottle
    /// Failed sign-ins per client address, on this node (the address is what the gateway saw).
    let addresses: AddressThrottle

    init(
        configuration: ConfigurationHolder, store: any Store, throttle: SignInThrottle = SignInThrottle(),
        addressThrottle: SignInThrottle = AddressThrottle.gentle
    ) {
        self.configuration = configuration
        self.store = store
        self.throttle = throttle
        addresses = AddressThrottle(throttle: addressThrottle)
    }

    func register(in table: inout MethodTable) {
        table.on(AdminCall.webSignIn, auditsRequest: true) { params, context async throws(DaemonError) in
            try await signIn(params, context)
        }
    }

    /// `web.sign-in`: the password and code of `params.name`, from a gateway.
    func signIn(_ params: WebSignInParams, _ context: RequestContext) async throws(DaemonError) -> WebSignInResult {
        let outcome = try await check(name: params.name, password: params.password, code: params.code, client: params.client, by: context.principal)
        try await record(outcome, kind: "web.sign-in", name: params.name, client: params.client, by: context.principal, with: context.requestAudit)
        return WebSignInResult(name: params.name, roles: WebUserHandlers.roles(of: params.name, in: configuration.current.configuration.access))
    }

    /// The web user a gateway's request acts for, checked: the caller is a listed gateway, the user exists, and a
    /// code given for a step-up is right and unused (it is then spent, and audited).
    func actor(for behalf: OnBehalfOf, gateway: Principal) async throws(DaemonError) -> Principal {
        guard gateway.isWebGateway else {
            throw DaemonError.notAuthorised(
                "\(gateway.displayName) may not act for web users: it is not listed under access.web_gateways in tocsin.yaml"
            ).said(.webGatewayNotListed, ["caller": gateway.displayName])
        }
        let client = behalf.client.map { TextValidator.printable(String($0.prefix(100))) }
        guard AccessPolicy.Principal.isWebUserName(behalf.webUser), try await readUser(behalf.webUser) != nil else {
            throw DaemonError.notAuthorised(
                "there is no web user '\(TextValidator.printable(String(behalf.webUser.prefix(64))))' (removed, or never added): sign in again"
            ).said(.webUserGone, ["name": TextValidator.printable(String(behalf.webUser.prefix(64)))])
        }
        var steppedUp = false
        if let code = behalf.code {
            let outcome = try await check(name: behalf.webUser, password: nil, code: code, client: client ?? "", by: gateway)
            try await record(outcome, kind: "web.step-up", name: behalf.webUser, client: client ?? "", by: gateway, with: nil)
            steppedUp = true
        }
        return gateway.acting(for: .init(name: behalf.webUser, client: client, steppedUp: steppedUp), policy: configuration.current.configuration.access)
    }

    /// What a check found: the step its code matched, to be spent.
    private struct Accepted {
        let step: Int64
    }

    /// Checks the password (unless nil: a step-up) and the code; on a failure records it and throws the refusal.
    private func check(name: String, password: String?, code: String, client: String, by gateway: Principal) async throws(DaemonError) -> Accepted {
        let now = Date().millisecondsSince1970
        let kind = password == nil ? "web.step-up" : "web.sign-in"
        let user = AccessPolicy.Principal.isWebUserName(name) ? try await readUser(name) : nil
        if let wait = addresses.nextTryMillis(client, now: now) {
            try await audit(kind, name: name, client: client, outcome: "throttled (address)", by: gateway)
            throw Self.wait(until: wait, now: now)
        }
        if let user, let wait = throttle.nextTryMillis(Self.record(of: user), now: now) {
            let locked = throttle.isLockedOut(Self.record(of: user), now: now)
            try await audit(kind, name: name, client: client, outcome: locked ? "locked out" : "throttled (user)", by: gateway)
            throw locked ? Self.lockedOut(name) : Self.wait(until: wait, now: now)
        }
        let step = try await verify(user, password: password, code: code, now: now)
        guard let step, user != nil else {
            try await failed(kind, name: name, user: user, client: client, now: now, by: gateway)
        }
        return Accepted(step: step)
    }

    /// The matched TOTP step when the password (if any) and the code are right; nil otherwise. bcrypt runs for an
    /// unknown user too (against a hash of nothing), so the time taken does not tell which names exist.
    private func verify(_ user: WebUserRecord?, password: String?, code: String, now: Int64) async throws(DaemonError) -> Int64? {
        if let password {
            let hash = user?.passwordHash
            let matches: Bool
            do {
                // bcrypt is CPU work on purpose: off the two cooperative threads that deliveries run on.
                matches = try await BlockingIO.run { Bcrypt.verify(password, hash: hash ?? Self.nobodysHash) && hash != nil }
            } catch {
                throw .unavailable("tocsind is stopping; sign in again in a moment")
            }
            guard matches else { return nil }
        }
        guard let user, let sealer = configuration.current.configuration.web?.sealer, user.seedKeyID == sealer.keyID,
              let seed = try? sealer.open(user.sealedSeed, for: user.name)
        else { return nil }
        return TOTP(secret: seed).matchingStep(of: code, at: now / 1000)
    }

    /// A failure: counted for the user (in the store) and the address, audited, then refused with one message
    /// whatever was wrong.
    private func failed(_ kind: String, name: String, user: WebUserRecord?, client: String, now: Int64, by gateway: Principal) async throws(DaemonError) -> Never {
        addresses.failed(client, now: now)
        var record = user.map(Self.record(of:)) ?? .clean
        var write = StoreWrite()
        if user != nil {
            record = throttle.failed(record, now: now)
            write.webUsers = [.signInFailed(name: name, at: now, forgetBefore: now - throttle.forgetAfterMillis)]
        }
        let locked = user != nil && throttle.isLockedOut(record, now: now)
        write.audit = [event(kind, name: name, client: client, outcome: locked ? "wrong; now locked out" : "wrong", failures: user == nil ? nil : record.failures, by: gateway)]
        do { try await store.commit(write) } catch { throw .store(error, doing: "the failed sign-in could not be recorded") }
        throw DaemonError.notAuthorised("the name, password or code is wrong; nothing was done")
            .said(.webSignInWrong)
    }

    /// A success: the code's step spent (once, across the cluster), the user's throttle and this address's cleared.
    private func record(_ accepted: Accepted, kind: String, name: String, client: String, by gateway: Principal, with request: AuditEvent?) async throws(DaemonError) {
        var write = StoreWrite(audit: (request.map { [$0] } ?? []) + [event(kind, name: name, client: client, outcome: "ok", failures: nil, by: gateway)])
        write.webUsers = [.codeAccepted(name: name, step: accepted.step)]
        do {
            try await store.commit(write)
        } catch where error.code == .constraint {
            // Used already (a replay, or the same code typed twice): a failure like any other.
            try await failed(kind, name: name, user: try await readUser(name), client: client, now: Date().millisecondsSince1970, by: gateway)
        } catch {
            throw .store(error, doing: "the sign-in could not be recorded, so it was not accepted")
        }
        addresses.succeeded(client)
    }

    private func readUser(_ name: String) async throws(DaemonError) -> WebUserRecord? {
        do { return try await store.webUser(named: name) } catch { throw .store(error, doing: "cannot read the web users") }
    }

    private func audit(_ kind: String, name: String, client: String, outcome: String, by gateway: Principal) async throws(DaemonError) {
        do {
            try await store.commit(StoreWrite(audit: [event(kind, name: name, client: client, outcome: outcome, failures: nil, by: gateway)]))
        } catch {
            throw .store(error, doing: "the sign-in could not be recorded")
        }
    }

    /// `web.sign-in` or `web.step-up`, by the gateway, about `web:NAME`.
    private func event(_ kind: String, name: String, client: String, outcome: String, failures: Int?, by gateway: Principal) -> AuditEvent {
        let shown = TextValidator.printable(String(name.prefix(64)))
        var detail = AuditDetail()
        detail.set("web_user", shown)
        detail.set("client", TextValidator.printable(String(client.prefix(100))))
        detail.set("gateway", gateway.displayName)
        detail.set("outcome", outcome)
        detail.set("failures", failures)
        return gateway.event(kind, subject: "web:" + shown, detail: detail)
    }

    private static func record(of user: WebUserRecord) -> SignInThrottle.Record {
        SignInThrottle.Record(failures: user.failures, lastFailureMillis: user.lastFailureAt)
    }

    private static func wait(until at: Int64, now: Int64) -> DaemonError {
        let seconds = max(1, (at - now + 999) / 1000)
        return DaemonError.refused("too many failed sign-ins: wait \(seconds) s before trying again")
            .said(.webSignInWait, ["seconds": String(seconds)])
    }

    private static func lockedOut(_ name: String) -> DaemonError {
        DaemonError.refused(
            "too many failed sign-ins: this account is locked for now",
            hint: "An approver can lift it at once: tocsinctl web-users unlock \(name)"
        ).said(.webSignInLockedOut, ["name": name])
    }

    /// A bcrypt hash no password matches in practice, made once, so an unknown name costs what a known one does.
    private static let nobodysHash = Bcrypt.hash(TOTP.newSecret().map { String($0, radix: 16) }.joined(), cost: WebUserHandlers.bcryptCost)
}

/// Failed sign-ins per client address on this node, bounded: an attacker rotating through addresses fills it, then
/// the oldest quiet records go first (the per-user count in the store still holds).
final class AddressThrottle: Sendable {
    private let throttle: SignInThrottle
    private let records = Mutex<[String: SignInThrottle.Record]>([:])
    static let limit = 10_000
    /// Gentler than the per-user rule: one address can be a whole building behind NAT (the campus Wi-Fi), which an
    /// attacker must not lock out in a crisis. It slows guessing (10 free, then 1 s doubling) but waits a minute at
    /// most; the lock-out is per user.
    static let gentle = SignInThrottle(freeFailures: 10, firstDelayMillis: 1_000, longestMillis: 60_000, forgetAfterMillis: 3_600_000)

    init(throttle: SignInThrottle) { self.throttle = throttle }

    func nextTryMillis(_ address: String, now: Int64) -> Int64? {
        records.withLock { $0[address] }.flatMap { throttle.nextTryMillis($0, now: now) }
    }

    func failed(_ address: String, now: Int64) {
        records.withLock { records in
            if records.count >= Self.limit, records[address] == nil {
                records = records.filter { throttle.current($0.value, now: now).failures > 0 }
                if records.count >= Self.limit, let oldest = records.min(by: { $0.value.lastFailureMillis < $1.value.lastFailureMillis }) {
                    records[oldest.key] = nil
                }
            }
            records[address] = throttle.failed(records[address] ?? .clean, now: now)
        }
    }

    func succeeded(_ address: String) {
        _ = records.withLock { $0.removeValue(forKey: address) }
    }
}
