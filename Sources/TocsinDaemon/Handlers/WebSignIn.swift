import Foundation
import HummingbirdBcrypt
import Synchronization
import TocsinAudit
import TocsinCore
import TocsinProtocol
import TocsinStore

/// The web console's sign-in, checked by the daemon (issue 18, item 2): the gateway passes on what the person typed
/// and the daemon, which alone holds the password hashes and the key of the TOTP seeds, says yes or no. The same
/// check of a code serves a step-up: a live send from the console carries a fresh code in its `onBehalfOf`.
///
/// - Every attempt counts as a failure until it succeeds, and the count is checked and raised in one step: per
///   user in the store (every node counts alike; attempts on one user are taken one at a time on a node), per
///   unknown name and per client address here. Parallel guesses cannot all pass a check that none has raised yet.
/// - A TOTP code is accepted once across the cluster (the store's compare-and-set).
/// - bcrypt runs at most two at a time, off the cooperative threads, behind a short queue: a flood of sign-ins
///   is told "busy" rather than delaying deliveries.
/// - Step-up failures slow down that user's step-ups and the address, but never lock the user out: an attacker who
///   guesses at a director's sign-in must not stop her live send from a session she already has.
///
/// Every answer is audited with the web user (or "(unknown)" for a name that is none: a password typed in the
/// name field must not be kept), the gateway's uid and the client's address. A refusal never says which of name,
/// password or code was wrong, and never repeats any of them.
struct WebSignIn: Sendable {
    let configuration: ConfigurationHolder
    let store: any Store
    let throttle: SignInThrottle
    /// Failed sign-ins per client address on this node (the address is what the gateway saw).
    let addresses: AttemptThrottle
    /// Attempts on names that are no user, as a user's would be counted: the answers do not tell names apart.
    let unknownNames: AttemptThrottle
    /// Failed step-ups per user, on this node (the gentle rule: they never lock anyone out).
    let stepUps: AttemptThrottle
    /// Attempts on one name, one at a time on this node (striped by name), a few waiting: a flood on one name is
    /// told "busy" rather than queued without end behind bcrypt.
    private let gates: [WorkLimiter]
    /// bcrypt at most two at a time, 32 waiting: a sign-in holds a slot from before it is counted to its answer.
    private let bcrypt = WorkLimiter(running: 2, waiting: 32)

    init(
        configuration: ConfigurationHolder, store: any Store, throttle: SignInThrottle = SignInThrottle(),
        addressThrottle: SignInThrottle = AttemptThrottle.gentle, stepUpThrottle: SignInThrottle = AttemptThrottle.gentle
    ) {
        self.configuration = configuration
        self.store = store
        self.throttle = throttle
        addresses = AttemptThrottle(throttle: addressThrottle, key: AttemptThrottle.network(of:))
        unknownNames = AttemptThrottle(throttle: throttle, key: { $0 })
        stepUps = AttemptThrottle(throttle: stepUpThrottle, key: { $0 })
        gates = (0..<64).map { _ in WorkLimiter(running: 1, waiting: 8) }
    }

    func register(in table: inout MethodTable) {
        table.on(AdminCall.webSignIn, auditsRequest: true) { params, context async throws(DaemonError) in
            try await signIn(params, context)
        }
    }

    /// `web.sign-in`: the password and code of `params.name`, from a gateway.
    func signIn(_ params: WebSignInParams, _ context: RequestContext) async throws(DaemonError) -> WebSignInResult {
        let name = params.name
        try await check(name: name, password: params.password, code: params.code, client: params.client, by: context.principal, request: context.requestAudit)
        return WebSignInResult(name: name, roles: WebUserHandlers.roles(of: name, in: configuration.current.configuration.access))
    }

    /// The web user a gateway's request acts for, checked: the caller is a listed gateway and the user exists. A code
    /// given for a step-up is checked (spent, and audited) only when a live send asks for it
    /// (`Principal.requireStepUp`).
    func actor(for behalf: OnBehalfOf, gateway: Principal) async throws(DaemonError) -> Principal {
        guard gateway.isWebGateway else {
            throw DaemonError.notAuthorised(
                "\(gateway.displayName) may not act for web users: it is not listed under access.web_gateways in tocsin.yaml"
            ).said(.webGatewayNotListed, ["caller": gateway.displayName])
        }
        let client = behalf.client.map { TextValidator.printable(String($0.prefix(100))) }
        guard AccessPolicy.Principal.isWebUserName(behalf.webUser), try await readUser(behalf.webUser) != nil else {
            let shown = TextValidator.printable(String(behalf.webUser.prefix(64)))
            throw DaemonError.notAuthorised("there is no web user '\(shown)' (removed, or never added): sign in again")
                .said(.webUserGone, ["name": shown])
        }
        // An empty code is no code: the send then says it needs one, and nothing is counted.
        let name = behalf.webUser
        let stepUp = behalf.code.flatMap { $0.isEmpty ? nil : $0 }.map { code in
            Principal.StepUp(code: code) {
                try await check(name: name, password: nil, code: code, client: client ?? "", by: gateway, request: nil)
            }
        }
        return gateway.acting(for: .init(name: name, client: client, stepUp: stepUp), policy: configuration.current.configuration.access)
    }

    private func gate(for name: String) -> WorkLimiter {
        var hasher = Hasher()
        hasher.combine(name)
        return gates[Int(UInt(bitPattern: hasher.finalize()) % UInt(gates.count))]
    }

    /// Checks the password (unless nil: a step-up) and the code, counting the attempt first; records the outcome,
    /// and throws the refusal on a failure. Attempts on one name take turns: the count read, checked and written is
    /// one step.
    private func check(name: String, password: String?, code: String, client: String, by gateway: Principal, request: AuditEvent?) async throws(DaemonError) {
        let gate = gate(for: name)
        let turn = await gate.enter()
        defer { if turn { gate.leave() } }
        let now = Date().millisecondsSince1970
        let stepUp = password == nil
        let kind = stepUp ? "web.step-up" : "web.sign-in"
        let user = AccessPolicy.Principal.isWebUserName(name) ? try await readUser(name) : nil
        let shown = user?.name ?? "(unknown)"
        func refuse(_ outcome: String, _ error: DaemonError, failures: Int? = nil, write: StoreWrite = StoreWrite()) async throws(DaemonError) -> Never {
            var write = write
            write.audit.append(event(kind, name: shown, client: client, outcome: outcome, failures: failures, by: gateway))
            do { try await store.commit(write) } catch { throw .store(error, doing: "the sign-in could not be recorded") }
            throw error
        }

        guard turn else { try await refuse("busy", Self.busy) }
        // bcrypt's slot first, before anything is counted: in a flood, a person's retry is told "busy", and counts
        // nothing toward her lock-out.
        if !stepUp {
            guard await bcrypt.enter() else {
                try await refuse("busy", Self.busy)
            }
        }
        defer { if !stepUp { bcrypt.leave() } }
        if let wait = addresses.attempt(client, now: now) { try await refuse("throttled (address)", Self.wait(until: wait.until, now: now)) }
        if stepUp, let wait = stepUps.attempt(name, now: now) { try await refuse("throttled (step-up)", Self.wait(until: wait.until, now: now)) }
        guard let user else {
            // Answered as a user's would be, lock-out included: "locked" where a real name would be tells nothing.
            if let wait = unknownNames.attempt(name, now: now) {
                let shownName = TextValidator.printable(String(name.prefix(64)))
                try await refuse(wait.lockedOut ? "locked out" : "throttled (user)", wait.lockedOut ? Self.lockedOut(shownName) : Self.wait(until: wait.until, now: now))
            }
            _ = try await verify(nil, password: password, code: code, now: now)
            try await refuse("wrong", Self.wrong)
        }
        var record = Self.record(of: user)
        var failure = StoreWrite()
        if !stepUp {
            if let wait = throttle.nextTryMillis(record, now: now) {
                let locked = throttle.isLockedOut(record, now: now)
                try await refuse(locked ? "locked out" : "throttled (user)", locked ? Self.lockedOut(user.name) : Self.wait(until: wait, now: now))
            }
            // Counted before bcrypt runs; a success clears it.
            failure.webUsers = [.signInFailed(name: user.name, at: now, forgetBefore: now - throttle.forgetAfterMillis)]
            do { try await store.commit(failure) } catch { throw .store(error, doing: "the sign-in could not be recorded") }
            failure.webUsers = []
            record = throttle.failed(record, now: now)
        }
        guard let step = try await verify(user, password: password, code: code, now: now) else {
            let locked = !stepUp && throttle.isLockedOut(record, now: now)
            try await refuse(locked ? "wrong; now locked out" : "wrong", Self.wrong, failures: stepUp ? nil : record.failures)
        }
        var accepted = StoreWrite(audit: (request.map { [$0] } ?? []) + [event(kind, name: user.name, client: client, outcome: "ok", failures: nil, by: gateway)])
        // A step-up proves the phone, not the password: it never lifts a sign-in lock-out.
        accepted.webUsers = [.codeAccepted(name: user.name, step: step, clearsFailures: !stepUp)]
        do {
            try await store.commit(accepted)
        } catch where error.code == .constraint {
            // The code was right but used already. A step-up says so (she holds the phone: wait for the next code); a
            // sign-in says nothing more than for any failure (whoever replays a code must not learn it was right).
            if stepUp {
                try await refuse("code used already", DaemonError.refused("this code was used already: wait for the next one in the app (30 seconds at most)").said(.webCodeUsed))
            }
            try await refuse("wrong (code used already)", Self.wrong, failures: record.failures)
        } catch {
            throw .store(error, doing: "the sign-in could not be recorded, so it was not accepted")
        }
        addresses.succeeded(client)
        if stepUp { stepUps.succeeded(name) }
    }

    /// The matched TOTP step when the password (if any) and the code are right; nil otherwise. bcrypt runs for an
    /// unknown user too (against a hash of nothing), so the time taken does not tell which names exist.
    private func verify(_ user: WebUserRecord?, password: String?, code: String, now: Int64) async throws(DaemonError) -> Int64? {
        if let password {
            let hash = user?.passwordHash
            let matches: Bool
            do {
                // bcrypt is CPU work on purpose: off the two cooperative threads that deliveries run on (the caller
                // holds one of its two slots).
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

    private func readUser(_ name: String) async throws(DaemonError) -> WebUserRecord? {
        do { return try await store.webUser(named: name) } catch { throw .store(error, doing: "cannot read the web users") }
    }

    /// `web.sign-in` or `web.step-up`, by the gateway, about `web:NAME`.
    private func event(_ kind: String, name: String, client: String, outcome: String, failures: Int?, by gateway: Principal) -> AuditEvent {
        var detail = AuditDetail()
        detail.set("web_user", name)
        detail.set("client", TextValidator.printable(String(client.prefix(100))))
        detail.set("gateway", gateway.displayName)
        detail.set("outcome", outcome)
        detail.set("failures", failures)
        return gateway.event(kind, subject: "web:" + name, detail: detail)
    }

    private static func record(of user: WebUserRecord) -> SignInThrottle.Record {
        SignInThrottle.Record(failures: user.failures, lastFailureMillis: user.lastFailureAt)
    }

    private static let busy = DaemonError(.busy, "tocsind is checking many sign-ins at once; try again in a moment").said(.busy)

    private static let wrong = DaemonError.notAuthorised("the name, password or code is wrong; nothing was done").said(.webSignInWrong)

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

/// Attempts per key (a client's network, a name) on this node, each counted as a failure until it succeeds: the
/// check and the count are one step, so parallel attempts cannot all pass. Bounded: an attacker rotating through
/// keys fills it, then the oldest quiet records go first (the per-user count in the store still holds).
final class AttemptThrottle: Sendable {
    private let throttle: SignInThrottle
    private let key: @Sendable (String) -> String
    private let records = Mutex<[String: SignInThrottle.Record]>([:])
    static let limit = 10_000
    /// Gentler than the per-user rule: one address can be a whole building behind NAT (the campus Wi-Fi), which an
    /// attacker must not lock out in a crisis. It slows guessing (10 free, then 1 s doubling) but waits a minute at
    /// most; the lock-out is per user.
    static let gentle = SignInThrottle(freeFailures: 10, firstDelayMillis: 1_000, longestMillis: 60_000, forgetAfterMillis: 3_600_000)

    init(throttle: SignInThrottle, key: @escaping @Sendable (String) -> String) {
        self.throttle = throttle
        self.key = key
    }

    /// A refused attempt: when the next is allowed, and whether the rule's longest wait is reached (a lock-out).
    struct Wait: Equatable {
        var until: Int64
        var lockedOut: Bool
    }

    /// The wait, or nil: this attempt is then allowed, and counted.
    func attempt(_ value: String, now: Int64) -> Wait? {
        let key = key(value)
        return records.withLock { records in
            if let record = records[key], let until = throttle.nextTryMillis(record, now: now) {
                return Wait(until: until, lockedOut: throttle.isLockedOut(record, now: now))
            }
            if records.count >= Self.limit, records[key] == nil {
                records = records.filter { throttle.current($0.value, now: now).failures > 0 }
                if records.count >= Self.limit, let oldest = records.min(by: { $0.value.lastFailureMillis < $1.value.lastFailureMillis }) {
                    records[oldest.key] = nil
                }
            }
            records[key] = throttle.failed(records[key] ?? .clean, now: now)
            return nil
        }
    }

    func succeeded(_ value: String) {
        let key = key(value)
        _ = records.withLock { $0.removeValue(forKey: key) }
    }

    /// An IPv6 address counts by its /64 (one home or office network holds billions of them); IPv4 as it is.
    static func network(of address: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        return bytes.prefix(8).map { String($0, radix: 16) }.joined(separator: ".") + "::/64"
    }
}
