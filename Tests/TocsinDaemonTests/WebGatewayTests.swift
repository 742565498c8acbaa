import Foundation
import Testing
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinTestSupport

@testable import TocsinDaemon
import TocsinAudit

/// The web console's gateway as the daemon sees it (issue 18, items 1 and 2), below the socket: the daemon checks
/// sign-ins itself, applies the web user's own roles whatever the gateway is, asks a fresh code for a live send,
/// and audits each with the user, the gateway's uid and the client's address. The tests play the insider at the
/// socket, the gateway that asks too much, and the attacker who replays or guesses.
@Suite(.timeLimit(.minutes(2)))
struct WebGatewayTests {
    static let gatewayUID: UInt32 = 1005
    static let password = "Trois chats gris 2026"
    static let client = "203.0.113.7"

    /// AdminRouterTests' bed with a seed key, the gateway listed, `web:marie` an operator and `web:amelie` in no role.
    static func bed(operatorGroup: Bool = false) throws -> AdminRouterTests.Bed {
        try AdminRouterTests.Bed { config, directory in
            if operatorGroup { config.operators.append("group:root") }
            let key = try directory.write("web-seed-key", Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
            chmod(key, 0o600)
            config.extraYAML = "web:\n  seed_key_file: \(key)\n"
            config.webGateways = ["uid:\(gatewayUID)"]
            config.operators.append("web:marie")
        }
    }

    static func line(_ method: String, _ params: [String: Any], onBehalfOf: [String: Any]? = nil) throws -> String {
        var request: [String: Any] = ["jsonrpc": "2.0", "id": 1, "method": method, "params": params]
        request["onBehalfOf"] = onBehalfOf
        return String(decoding: try JSONSerialization.data(withJSONObject: request), as: UTF8.self)
    }

    /// Enrols `name` (as the approver) and returns its TOTP.
    static func enrol(_ name: String, on bed: AdminRouterTests.Bed) async throws -> TOTP {
        let answer = try await bed.call(try line("web-user.add", ["name": name, "password": password]), as: AdminRouterTests.approverUID)
        let uri = try #require((answer?["result"] as? [String: Any])?["otpauthURI"] as? String, "\(String(describing: answer))")
        let secret = try #require(uri.firstMatch(of: /secret=([A-Z2-7]+)/)?.output.1)
        return TOTP(secret: try #require(Base32.decode(String(secret))))
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    static func said(_ answer: [String: Any]?) -> String? {
        (((answer?["error"] as? [String: Any])?["data"] as? [String: Any])?["said"] as? [String: Any])?["key"] as? String
    }

    /// The bed's sign-in with its own throttles (long waits, so that no test machine is slow enough to outlast
    /// them), and a request's context from the gateway.
    static func signIn(
        on bed: AdminRouterTests.Bed, throttle: SignInThrottle, addressThrottle: SignInThrottle = AttemptThrottle.gentle
    ) -> (WebSignIn, RequestContext) {
        let signIn = WebSignIn(configuration: bed.parts.router.configuration, store: bed.store, throttle: throttle, addressThrottle: addressThrottle)
        let gateway = bed.principal(gatewayUID)
        let context = RequestContext(principal: gateway, requestAudit: gateway.event("admin.request", subject: "admin", detail: AuditDetail()), emit: { _ in })
        return (signIn, context)
    }

    /// Audit entries of `kind`, their details decoded.
    static func entries(_ kind: String, in bed: AdminRouterTests.Bed) async throws -> [[String: Any]] {
        try await bed.store.auditEntries(afterSeq: 0, limit: 1000, subject: nil, newest: false).filter { $0.kind == kind }.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.detail.utf8)) as? [String: Any])
        }
    }

    @Test func aSignInIsCheckedByTheDaemonAndItsCodeIsAcceptedOnce() async throws {
        let bed = try Self.bed()
        defer { bed.tearDown() }
        let totp = try await Self.enrol("marie", on: bed)
        let step = totp.step(at: Self.now())
        let code = totp.code(atStep: step)
        let signIn = { (password: String, code: String) in
            try Self.line("web.sign-in", ["name": "marie", "password": password, "code": code, "client": Self.client])
        }

        let accepted = try await bed.call(try signIn(Self.password, code), as: Self.gatewayUID)
        let result = try #require(accepted?["result"] as? [String: Any], "\(String(describing: accepted))")
        #expect(result["name"] as? String == "marie" && result["roles"] as? [String] == ["operator"])

        // The same code again (a replay, a shoulder-surfer): refused like a wrong one, and counted.
        let replay = try await bed.call(try signIn(Self.password, code), as: Self.gatewayUID)
        #expect(AdminRouterTests.errorCode(replay) == RPCError.notAuthorisedCode && Self.said(replay) == "web-sign-in-wrong", "\(String(describing: replay))")
        #expect(AdminRouterTests.errorMessage(replay) == "the name, password or code is wrong; nothing was done")
        // A wrong password with the next (unused) code: the same words, and the code is not spent by it.
        let next = totp.code(atStep: step + 1)
        let wrong = try await bed.call(try signIn("Quatre chiens blancs", next), as: Self.gatewayUID)
        #expect(Self.said(wrong) == "web-sign-in-wrong")
        #expect(try await bed.store.webUser(named: "marie")?.failures == 2)
        let unknown = try await bed.call(try Self.line("web.sign-in", ["name": "ghost", "password": Self.password, "code": next, "client": Self.client]), as: Self.gatewayUID)
        #expect(AdminRouterTests.errorMessage(unknown) == AdminRouterTests.errorMessage(wrong), "an unknown name reads as any other failure")
        let again = try await bed.call(try signIn(Self.password, next), as: Self.gatewayUID)
        #expect(again?["result"] != nil, "the right password with an unused code: \(String(describing: again))")
        #expect(try await bed.store.webUser(named: "marie")?.failures == 0, "a success clears the count")

        // Each audited with the web user, the client's address and the gateway; neither password nor code.
        let signIns = try await Self.entries("web.sign-in", in: bed)
        #expect(signIns.map { $0["outcome"] as? String } == ["ok", "wrong (code used already)", "wrong", "wrong", "ok"])
        #expect(signIns.allSatisfy { $0["client"] as? String == Self.client && ($0["gateway"] as? String)?.contains("uid \(Self.gatewayUID)") == true })
        #expect(signIns.map { $0["web_user"] as? String } == ["marie", "marie", "marie", "(unknown)", "marie"], "a name that is no user is not kept: it may be a password")
        let log = try await bed.store.auditEntries(afterSeq: 0, limit: 1000, subject: nil, newest: false).map(\.detail).joined()
        for secret in [Self.password, "Quatre chiens blancs", code, next] {
            #expect(!log.contains(secret), "the audit log holds a secret")
        }
    }

    /// A caller that is not a listed gateway cannot check sign-ins nor act for anyone; a gateway acts for an
    /// existing user with that user's roles only — never its own, never more.
    @Test func theGatewayActsOnlyForExistingUsersWithTheirOwnRoles() async throws {
        let bed = try Self.bed()
        defer { bed.tearDown() }
        _ = try await Self.enrol("marie", on: bed)
        _ = try await Self.enrol("amelie", on: bed)
        let drill: [String: Any] = ["template": "evacuation", "drill": true, "variables": ["building": "Pavillon B"]]

        // An operator on the socket who is not the gateway: may not check sign-ins, may not act for marie.
        let notGateway = try await bed.call(try Self.line("web.sign-in", ["name": "marie", "password": Self.password, "code": "000000", "client": Self.client]), as: AdminRouterTests.operatorUID)
        #expect(AdminRouterTests.errorCode(notGateway) == RPCError.notAuthorisedCode && AdminRouterTests.errorMessage(notGateway).contains("needs the web-gateway role"))
        let impostor = try await bed.call(try Self.line("incident.send", drill, onBehalfOf: ["webUser": "marie"]), as: AdminRouterTests.operatorUID)
        #expect(Self.said(impostor) == "web-gateway-not-listed", "\(String(describing: impostor))")
        #expect(AdminRouterTests.errorMessage(impostor).contains("is not listed under access.web_gateways"))

        // The gateway itself has no role; for a user in no role it gets nothing; for an unknown user, nothing.
        let itself = try await bed.call(try Self.line("template.list", [:]), as: Self.gatewayUID)
        #expect(AdminRouterTests.errorCode(itself) == RPCError.notAuthorisedCode)
        let noRole = try await bed.call(try Self.line("incident.send", drill, onBehalfOf: ["webUser": "amelie", "client": Self.client]), as: Self.gatewayUID)
        #expect(AdminRouterTests.errorMessage(noRole).contains("web:amelie (through uid \(Self.gatewayUID)) may not call incident.send: it needs the operator role"), "\(String(describing: noRole))")
        let ghost = try await bed.call(try Self.line("template.list", [:], onBehalfOf: ["webUser": "ghost"]), as: Self.gatewayUID)
        #expect(Self.said(ghost) == "web-user-gone")
        let badName = try await bed.call(try Self.line("template.list", [:], onBehalfOf: ["webUser": "Marie\u{1B}[2J"]), as: Self.gatewayUID)
        #expect(Self.said(badName) == "web-user-gone" && !AdminRouterTests.errorMessage(badName).contains("\u{1B}"))
        // Marie may send a drill through it; the incident and the audit name her, her address and the gateway.
        let sent = try await bed.call(try Self.line("incident.send", drill, onBehalfOf: ["webUser": "marie", "client": Self.client]), as: Self.gatewayUID)
        let summary = try #require((sent?["result"] as? [String: Any])?["summary"] as? [String: Any], "\(String(describing: sent))")
        let id = try #require(summary["incident"] as? String)
        let incident = try #require(try await bed.store.incident(id))
        #expect(incident.actorName == "web:marie" && incident.actorUID == Int64(Self.gatewayUID))
        let requests = try await Self.entries("admin.request", in: bed).filter { $0["method"] as? String == "incident.send" && $0["outcome"] as? String == "ok" }
        #expect(requests.count == 1 && requests.first?["web_user"] as? String == "marie" && requests.first?["client"] as? String == Self.client)
        // Removed: the next request for her is refused, whatever session the gateway still holds.
        _ = try await bed.call(try Self.line("web-user.remove", ["name": "marie"]), as: AdminRouterTests.approverUID)
        let removed = try await bed.call(try Self.line("incident.list", [:], onBehalfOf: ["webUser": "marie"]), as: Self.gatewayUID)
        #expect(Self.said(removed) == "web-user-gone")
    }

    /// A phone left signed in cannot send for real: a live send needs a fresh code, which the daemon checks and
    /// spends; a drill does not.
    @Test func aLiveSendFromTheConsoleNeedsAFreshCode() async throws {
        let bed = try Self.bed()
        defer { bed.tearDown() }
        let totp = try await Self.enrol("marie", on: bed)
        let approve = try await bed.call(try Self.line("template.approve", ["template": "evacuation"]), as: AdminRouterTests.approverUID)
        #expect(approve?["result"] != nil, "\(String(describing: approve))")
        let live: [String: Any] = ["template": "evacuation", "drill": false, "variables": ["building": "Pavillon B"]]

        let bare = try await bed.call(try Self.line("incident.send", live, onBehalfOf: ["webUser": "marie", "client": Self.client]), as: Self.gatewayUID)
        #expect(Self.said(bare) == "web-step-up-needed" && AdminRouterTests.errorCode(bare) == RPCError.refusedCode, "\(String(describing: bare))")
        let wrong = try await bed.call(try Self.line("incident.send", live, onBehalfOf: ["webUser": "marie", "client": Self.client, "code": "000000"]), as: Self.gatewayUID)
        let code = totp.code(at: Self.now())
        #expect(code == "000000" || Self.said(wrong) == "web-sign-in-wrong", "\(String(describing: wrong))")
        #expect(try await bed.store.recentIncidents(limit: 10).isEmpty, "nothing was stored")

        // A send refused for another reason (a value not allowed) leaves the code unspent: she need not wait for the next.
        var invalid = live
        invalid["variables"] = ["building": "Pavillon Z"]
        let refused = try await bed.call(try Self.line("incident.send", invalid, onBehalfOf: ["webUser": "marie", "client": Self.client, "code": code]), as: Self.gatewayUID)
        #expect(AdminRouterTests.errorCode(refused) == RPCError.validationCode, "\(String(describing: refused))")
        let sent = try await bed.call(try Self.line("incident.send", live, onBehalfOf: ["webUser": "marie", "client": Self.client, "code": code]), as: Self.gatewayUID)
        #expect(((sent?["result"] as? [String: Any])?["summary"] as? [String: Any])?["status"] as? String == "Actual", "\(String(describing: sent))")
        let replayed = try await bed.call(try Self.line("incident.send", live, onBehalfOf: ["webUser": "marie", "client": Self.client, "code": code]), as: Self.gatewayUID)
        #expect(Self.said(replayed) == "web-code-used", "a step-up code is spent once, and she is told to wait for the next: \(String(describing: replayed))")
        #expect(try await bed.store.recentIncidents(limit: 10).count == 1)
        #expect(try await Self.entries("web.step-up", in: bed).compactMap { $0["outcome"] as? String } == ["wrong", "ok", "code used already"])
        #expect(try await bed.store.webUser(named: "marie")?.failures == 0, "step-ups never count toward her sign-in lock-out")
    }

    /// Through the console, a web user reaches only sending and following incidents: an approver's web account (or a
    /// console taken over) cannot approve templates, reset another user's code or touch the audit log.
    @Test func aWebUserReachesOnlyWhatTheConsoleServesWhateverItsRoles() async throws {
        let bed = try AdminRouterTests.Bed { config, directory in
            let key = try directory.write("web-seed-key", Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString())
            chmod(key, 0o600)
            config.extraYAML = "web:\n  seed_key_file: \(key)\n"
            config.webGateways = ["uid:\(Self.gatewayUID)"]
            config.operators.append("web:chef")
            config.approvers.append("web:chef")
            config.auditors.append("web:chef")
        }
        defer { bed.tearDown() }
        _ = try await Self.enrol("chef", on: bed)
        _ = try await Self.enrol("marie", on: bed)
        let chef: [String: Any] = ["webUser": "chef", "client": Self.client]
        for (method, params) in [
            ("template.approve", ["template": "evacuation"]), ("web-user.reset", ["name": "marie", "password": "Un nouveau mot de passe"]),
            ("web-user.unlock", ["name": "marie"]), ("audit.export", [:]), ("daemon.reload", [:]), ("daemon.backup", [:]),
        ] as [(String, [String: Any])] {
            let answer = try await bed.call(try Self.line(method, params, onBehalfOf: chef), as: Self.gatewayUID)
            #expect(Self.said(answer) == "web-not-served", "\(method): \(String(describing: answer))")
            #expect(AdminRouterTests.errorMessage(answer).contains("is done with tocsinctl on the server"))
        }
        #expect(try await bed.store.approvals(ofTemplate: "evacuation").isEmpty)
        let list = try await bed.call(try Self.line("template.list", [:], onBehalfOf: chef), as: Self.gatewayUID)
        #expect(list?["result"] != nil, "what the console serves still works")
    }

    /// A gateway holds no role of its own, whatever groups its user is in: without a web user to act for, it can
    /// only check sign-ins.
    @Test func theGatewayItselfHoldsNoRoleEvenInAGroupThatHasOne() async throws {
        let bed = try Self.bed(operatorGroup: true)
        defer { bed.tearDown() }
        // gid 0 names the group root, made an operator group here.
        let gateway = Principal(uid: Self.gatewayUID, gid: 0, pid: 4242, groups: [], policy: bed.configuration.access)
        #expect(gateway.isWebGateway && gateway.roles.isEmpty)
        #expect(!gateway.may(.send) && !gateway.may(.templateApprove) && gateway.may(.webSignIn))
        let notGateway = Principal(uid: 1006, gid: 0, pid: 4242, groups: [], policy: bed.configuration.access)
        #expect(notGateway.roles.contains(.operator_), "the same group still gives its role to others")
    }

    /// Guesses made at once are counted one by one: the throttle holds against a burst, not only a sequence.
    @Test func guessesMadeAtOnceAreEachCounted() async throws {
        let bed = try Self.bed()
        defer { bed.tearDown() }
        _ = try await Self.enrol("marie", on: bed)
        let (signIn, context) = Self.signIn(on: bed, throttle: SignInThrottle(freeFailures: 3, firstDelayMillis: 3_600_000, longestMillis: 7_200_000))
        let outcomes = await withTaskGroup(of: String?.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        _ = try await signIn.signIn(WebSignInParams(name: "marie", password: "devine \(index)", code: "123456", client: "192.0.2.\(index)"), context)
                        return nil
                    } catch { return (error as? DaemonError)?.said?.key }
                }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        // Three free failures, then one that starts the wait: four guesses checked, four refused unchecked.
        #expect(outcomes.filter { $0 == Said.Key.webSignInWrong.rawValue }.count == 4, "\(outcomes)")
        #expect(outcomes.filter { $0 == Said.Key.webSignInWait.rawValue }.count == 4, "\(outcomes)")
        #expect(try await bed.store.webUser(named: "marie")?.failures == 4)
    }

    /// Guessing slows down per user and per address; a lock-out holds against the right password until an
    /// approver lifts it, so an attacker cannot keep the director out for longer than one command.
    @Test func guessingIsSlowedThenLockedOutUntilAnApproverUnlocks() async throws {
        let bed = try Self.bed()
        defer { bed.tearDown() }
        let totp = try await Self.enrol("marie", on: bed)
        // Long waits, so that no test machine is slow enough to outlast them.
        let (signIn, context) = Self.signIn(
            on: bed, throttle: SignInThrottle(freeFailures: 2, firstDelayMillis: 3_600_000, longestMillis: 7_200_000),
            addressThrottle: SignInThrottle(freeFailures: 4, firstDelayMillis: 3_600_000, longestMillis: 3_600_000)
        )
        func attempt(_ name: String, _ password: String, from client: String = Self.client) async -> DaemonError? {
            do {
                _ = try await signIn.signIn(WebSignInParams(name: name, password: password, code: totp.code(at: Self.now()), client: client), context)
                return nil
            } catch { return error }
        }
        for _ in 0..<3 { #expect(await attempt("marie", "pas le bon mot")?.said?.key == Said.Key.webSignInWrong.rawValue) }
        let slowed = await attempt("marie", Self.password, from: "198.51.100.20")
        #expect(slowed?.said?.key == Said.Key.webSignInWait.rawValue && (slowed?.message.contains(#/wait 3[56][0-9]{2} s/#) ?? false), "even the right password waits: \(String(describing: slowed))")

        // Past the longest wait: locked out, with the way through named.
        let now = Date().millisecondsSince1970
        var failure = StoreWrite()
        failure.webUsers = [.signInFailed(name: "marie", at: now, forgetBefore: 0)]
        try await bed.store.commit(failure)
        let locked = await attempt("marie", Self.password, from: "198.51.100.21")
        #expect(locked?.said?.key == Said.Key.webSignInLockedOut.rawValue && locked?.hint == "An approver can lift it at once: tocsinctl web-users unlock marie", "\(String(describing: locked))")
        let unlock = try await bed.call(try Self.line("web-user.unlock", ["name": "marie"]), as: AdminRouterTests.approverUID)
        #expect(unlock?["result"] != nil)
        #expect(await attempt("marie", Self.password, from: "198.51.100.22") == nil, "unlocked: the director signs in")

        // One address guessing at several names is slowed down too (the per-user count never sees it).
        for name in ["amelie", "bruno", "chantal", "denis", "eric"] {
            #expect(await attempt(name, "devine", from: "192.0.2.50")?.said?.key == Said.Key.webSignInWrong.rawValue)
        }
        let sixth = await attempt("france", "devine", from: "192.0.2.50")
        #expect(sixth?.said?.key == Said.Key.webSignInWait.rawValue, "\(String(describing: sixth))")
        let outcomes = try await Self.entries("web.sign-in", in: bed).compactMap { $0["outcome"] as? String }
        #expect(outcomes.contains("throttled (user)") && outcomes.contains("locked out") && outcomes.contains("throttled (address)"), "\(outcomes)")
    }

    /// Whoever tries names learns nothing from the answers: a name that is no user is slowed, then locked out, after
    /// as many failures as a real one, with the same words (the lock-out's hint names what was typed).
    @Test func aNameThatIsNoUserIsAnsweredAsAUserIsUpToTheLockOut() async throws {
        let bed = try Self.bed()
        defer { bed.tearDown() }
        _ = try await Self.enrol("marie", on: bed)
        // The first wait is the longest: the third failure locks out. Long, so no machine outlasts it.
        let (signIn, context) = Self.signIn(on: bed, throttle: SignInThrottle(freeFailures: 1, firstDelayMillis: 3_600_000, longestMillis: 3_600_000))
        func answers(_ name: String) async -> [String] {
            var answers: [String] = []
            for index in 0..<4 {
                do {
                    _ = try await signIn.signIn(WebSignInParams(name: name, password: "devine", code: "123456", client: "192.0.2.\(index + (name == "marie" ? 0 : 10))"), context)
                    answers.append("accepted")
                } catch {
                    answers.append("\(error.said?.key ?? "-")|\(error.message)|\(error.hint?.replacingOccurrences(of: name, with: "NAME") ?? "")")
                }
            }
            return answers
        }
        let user = await answers("marie")
        let nobody = await answers("mariee")
        #expect(user == nobody)
        #expect(user.map { String($0.prefix { $0 != "|" }) } == [
            Said.Key.webSignInWrong.rawValue, Said.Key.webSignInWrong.rawValue, Said.Key.webSignInLockedOut.rawValue,
            Said.Key.webSignInLockedOut.rawValue,
        ], "\(user)")
        let outcomes = try await Self.entries("web.sign-in", in: bed).map { "\($0["web_user"] ?? "")/\($0["outcome"] ?? "")" }
        #expect(outcomes.suffix(4) == ["(unknown)/wrong", "(unknown)/wrong", "(unknown)/locked out", "(unknown)/locked out"], "\(outcomes)")
    }

    /// One name's attempts take turns, a few waiting; past them, "busy" at once rather than a queue without end.
    @Test func aTurnGivesOneSlotAtATimeAndRefusesPastItsQueue() async {
        let limiter = WorkLimiter(running: 1, waiting: 1)
        #expect(await limiter.enter())
        let second = Task { await limiter.enter() }
        while limiter.queued < 1 { await Task.yield() }
        #expect(await limiter.enter() == false, "the queue is full: refused at once")
        limiter.leave()
        #expect(await second.value, "the waiter gets the slot handed over")
        #expect(limiter.queued == 0)
        limiter.leave()
        #expect(await limiter.enter())
        limiter.leave()
    }

    /// An IPv6 client counts by its /64: one network holds billions of addresses, an attacker rotating through them
    /// is still one network.
    @Test func addressesCountByNetwork() {
        #expect(AttemptThrottle.network(of: "2001:db8:1:2::1") == AttemptThrottle.network(of: "2001:db8:1:2:ffff::9"))
        #expect(AttemptThrottle.network(of: "2001:db8:1:2::1") != AttemptThrottle.network(of: "2001:db8:1:3::1"))
        #expect(AttemptThrottle.network(of: "203.0.113.7") == "203.0.113.7")
        let throttle = AttemptThrottle(throttle: SignInThrottle(freeFailures: 1, firstDelayMillis: 60_000, longestMillis: 60_000), key: AttemptThrottle.network(of:))
        #expect(throttle.attempt("2001:db8::1", now: 0) == nil && throttle.attempt("2001:db8::2", now: 1) == nil)
        #expect(throttle.attempt("2001:db8::3", now: 2) != nil, "the third address of the same /64 waits")
    }
}
