import Foundation
import Logging
import Synchronization
import Testing
import TocsinAudit
import TocsinConfig
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinTestSupport
import TocsinTransport

@testable import TocsinDaemon

/// A send asked twice with its request key makes one incident: a second tap, or a retry after a lost answer, never
/// alerts everyone twice; a key reused for something else is refused, never answered with someone else's incident.
@Suite(.timeLimit(.minutes(2)))
struct SendRequestTests {
    static let key = "3F2504E0-4F89-11D3-9A0C-0305E82C3301"
    static let params = SendParams(template: "evacuation", variables: ["building": "Pavillon A"], requestKey: key)

    /// An incident service on a real SQLite file, its dispatcher not running: what is stored is what is checked.
    struct Service {
        let bed: ServiceBed
        var store: SQLiteStore { bed.store }
        var incidents: IncidentService { bed.incidents }
        var directory: TemporaryDirectory { bed.directory }

        init() throws { bed = try ServiceBed() }

        func caller(uid: UInt32 = 0) -> Principal { bed.caller(uid: uid) }

        /// A web user whose live sends carry one step-up code, accepted once (as tocsind spends a TOTP step).
        func webUser(_ name: String, code: OneUseCode = OneUseCode()) -> Principal {
            let stepUp = Principal.StepUp(code: "123456") {
                let first = code.spent.withLock { spent in
                    defer { spent = true }
                    return !spent
                }
                if !first { throw DaemonError.refused("this code was used already; nothing was sent").said(.webCodeUsed) }
            }
            let actor = Principal.WebActor(name: name, client: "127.0.0.1", stepUp: stepUp)
            return Principal(uid: 0, gid: 0, pid: getpid(), groups: [], policy: bed.policy, kind: .webUser(actor))
        }

        func send(_ params: SendParams, uid: UInt32 = 0) async throws -> IncidentStatus {
            try await send(params, as: caller(uid: uid))
        }

        func send(_ params: SendParams, as caller: Principal) async throws -> IncidentStatus {
            let request = AuditEvent(timeMillis: 1, kind: "admin.request", subject: "admin", detail: "{}")
            return try await incidents.send(params, caller: caller, requestAudit: request)
        }

        func approve(_ template: String) async throws {
            let active = incidents.configuration.current
            let found = try #require(active.configuration.templates[template])
            let request = AuditEvent(timeMillis: 1, kind: "admin.request", subject: "admin", detail: "{}")
            _ = try await incidents.approvals.approve(found, expectedHash: nil, caller: caller(), requestAudit: request)
        }

        func incidentCount() async throws -> Int { try await store.recentIncidents(limit: 100).count }

        func remove() { bed.tearDown() }
    }

    @Test func theSameRequestAskedAgainAnswersWithItsIncidentAndSendsNothing() async throws {
        let service = try Service()
        defer { service.remove() }
        let first = try await service.send(Self.params.drilled)
        #expect(first.repeated == nil)
        // The second asks for the short answer: how the answer is shaped does not make it another send.
        var again = Self.params.drilled
        again.brief = true
        let second = try await service.send(again)
        #expect(second.repeated == true)
        #expect(second.summary.incident == first.summary.incident)
        #expect(second.deliveries.map(\.id) == first.deliveries.map(\.id), "the same deliveries, none added")
        #expect(try await service.incidentCount() == 1)
        let entries = try await service.store.auditEntries(afterSeq: 0, limit: 100, subject: first.summary.incident, newest: false)
        #expect(entries.map(\.kind) == ["admin.request", "incident.create", "admin.request", "incident.repeat"], "both requests audited, the repeat named")
        #expect(entries[1].detail.contains(#""request_key":"\#(Self.key)""#))
        #expect(try await service.store.verifyAudit().problem == nil)
    }

    @Test func aKeyUsedForAnotherSendOrByAnotherCallerIsRefusedAndNothingIsSent() async throws {
        let service = try Service()
        defer { service.remove() }
        let first = try await service.send(Self.params.drilled)
        var others: [(String, SendParams, UInt32)] = []
        var values = Self.params.drilled
        values.variables["building"] = "Pavillon B"
        others.append(("other values", values, 0))
        others.append(("live instead of a drill", Self.params, 0))
        var template = Self.params.drilled
        template.template = "all-clear"
        others.append(("another template", template, 0))
        others.append(("another caller", Self.params.drilled, 1000))
        for (what, params, uid) in others {
            await #expect("\(what)", performing: { _ = try await service.send(params, uid: uid) }, throws: { error in
                guard let error = error as? DaemonError else { return false }
                return error.code == .refused && error.said?.key == Said.Key.requestKeyReused.rawValue
                    && error.message.contains(first.summary.incident) && error.message.contains("nothing was sent")
            })
        }
        #expect(try await service.incidentCount() == 1)
    }

    @Test(arguments: ["short", String(repeating: "k", count: 129), "has space 0123", "naïve-0123456", "line\nbreak-0123"])
    func aMalformedKeyIsRefusedBeforeAnythingIsPlanned(key: String) async throws {
        let service = try Service()
        defer { service.remove() }
        var params = Self.params.drilled
        params.requestKey = key
        await #expect(performing: { _ = try await service.send(params) }, throws: { error in
            (error as? DaemonError)?.code == .invalidParams && (error as? DaemonError)?.said?.key == Said.Key.requestKeyInvalid.rawValue
        })
        #expect(try await service.incidentCount() == 0)
    }

    /// Two requests with one key at once (a double tap that reached two connections): one incident, both answered
    /// with it, whichever commits first.
    @Test func twoRequestsWithOneKeyAtOnceMakeOneIncident() async throws {
        let service = try Service()
        defer { service.remove() }
        async let a = service.send(Self.params.drilled)
        async let b = service.send(Self.params.drilled)
        let (first, second) = try await (a, b)
        #expect(first.summary.incident == second.summary.incident)
        #expect([first.repeated, second.repeated].filter { $0 == true }.count == 1)
        #expect(try await service.incidentCount() == 1)
    }

    /// A double tap on a phone: two live requests with one key and one step-up code, at once. The second waits for
    /// the first and is answered with its incident, instead of being refused for the code the first just spent.
    @Test func aDoubleTapOfALiveSendIsAnsweredWithItsIncidentNotRefusedForTheSpentCode() async throws {
        let service = try Service()
        defer { service.remove() }
        try await service.approve("evacuation")
        let marie = service.webUser("marie")
        async let a = service.send(Self.params, as: marie)
        async let b = service.send(Self.params, as: marie)
        let (first, second) = try await (a, b)
        #expect(first.summary.incident == second.summary.incident && first.summary.status == "Actual")
        #expect([first.repeated, second.repeated].filter { $0 == true }.count == 1)
        #expect(try await service.incidentCount() == 1)
        // Each request audited once: two requests, one incident, one repeat.
        let kinds = try await service.store.auditEntries(afterSeq: 0, limit: 100, subject: first.summary.incident, newest: false).map(\.kind)
        #expect(kinds.filter { $0 == "admin.request" }.count == 2 && kinds.filter { $0 == "incident.create" }.count == 1
                && kinds.filter { $0 == "incident.repeat" }.count == 1, "\(kinds)")
        // The same key from someone else is not marie's send: refused, never answered with her incident.
        await #expect(performing: { _ = try await service.send(Self.params, as: service.webUser("bruno")) }, throws: { error in
            (error as? DaemonError)?.said?.key == Said.Key.requestKeyReused.rawValue
        })
    }

    /// A first request with a key that is refused keeps its own refusal, words and missing values included: the key
    /// is looked up on failure, and finding none changes nothing.
    @Test func aKeyedFirstRequestRefusedKeepsItsOwnRefusal() async throws {
        let service = try Service()
        defer { service.remove() }
        var params = Self.params.drilled
        params.variables = [:]
        await #expect(performing: { _ = try await service.send(params) }, throws: { error in
            guard let error = error as? DaemonError else { return false }
            return error.code == .validation && error.missing == ["building"]
        })
        #expect(try await service.incidentCount() == 0)
        // Given the value, the same key sends: a refused request holds no key.
        #expect(try await service.send(Self.params.drilled).repeated == nil)
    }

    /// A key kept past a day (a script that reuses one by mistake) is refused loudly, never answered with an old
    /// incident while nothing goes out.
    @Test func aKeyOlderThanADayIsRefusedNotTakenForARepeat() async throws {
        let service = try Service()
        defer { service.remove() }
        let first = try await service.send(Self.params.drilled)
        let aged = try await runCommand("/usr/bin/sqlite3", [
            "-cmd", ".timeout 5000", service.directory.file("state/tocsin.db"),
            "UPDATE send_request SET createdAt = createdAt - \(SendRequest.repeatWindowMillis + 60_000)",
        ])
        #expect(aged.status == 0, "\(aged)")
        await #expect(performing: { _ = try await service.send(Self.params.drilled) }, throws: { error in
            guard let error = error as? DaemonError else { return false }
            return error.code == .refused && error.said?.key == Said.Key.requestKeyExpired.rawValue
                && error.message.contains(first.summary.incident) && error.message.contains("nothing was sent")
        })
        #expect(try await service.incidentCount() == 1)
    }

    /// What the catch in `send` relies on when both requests passed the look-up: the store refuses the second
    /// incident with the key, as a constraint, and keeps nothing of it.
    @Test func aSecondIncidentWithATakenKeyIsNotStored() async throws {
        let service = try Service()
        defer { service.remove() }
        let request = try #require(try SendRequest(Self.params.drilled, by: "uid 0"))
        let plan = try await service.incidents.plan(Self.params.drilled)
        let audit = AuditEvent(timeMillis: 1, kind: "admin.request", subject: "admin", detail: "{}")
        _ = try await service.incidents.create(plan, caller: service.caller(), requestAudit: audit, sendRequest: request)
        await #expect(performing: {
            _ = try await service.incidents.create(plan, caller: service.caller(), requestAudit: audit, sendRequest: request)
        }, throws: { error in (error as? DaemonError)?.storeCode == .constraint })
        #expect(try await service.incidentCount() == 1)
    }

    @Test func theDigestCountsWhatIsSentAndWhoAsksNotTheAnswersShape() throws {
        let base = SendRequest.digest(of: Self.params, by: "uid 0")
        var brief = Self.params
        brief.brief = true
        #expect(SendRequest.digest(of: brief, by: "uid 0") == base)
        var explicit = Self.params
        explicit.msgType = "Alert"
        #expect(SendRequest.digest(of: explicit, by: "uid 0") == base, "Alert is what no msgType means")
        #expect(SendRequest.digest(of: Self.params, by: "web:marie") != base)
        var route = Self.params
        route.route = "drill"
        #expect(SendRequest.digest(of: route, by: "uid 0") != base)
        var update = Self.params
        update.references = "20261208-AAAAAA"
        let implicit = SendRequest.digest(of: update, by: "uid 0")
        update.msgType = "Update"
        #expect(SendRequest.digest(of: update, by: "uid 0") != base)
        #expect(SendRequest.digest(of: update, by: "uid 0") == implicit, "Update is what no msgType means with references")
        // Length-prefixed fields: values cannot be shifted between names to give the same text.
        let split = SendParams(template: "evacuation", variables: ["a": "b c", "d": "e"], requestKey: Self.key)
        let shifted = SendParams(template: "evacuation", variables: ["a": "b", "c d": "e"], requestKey: Self.key)
        #expect(SendRequest.digest(of: split, by: "uid 0") != SendRequest.digest(of: shifted, by: "uid 0"))
        #expect(try SendRequest(SendParams(template: "evacuation"), by: "uid 0") == nil, "no key: a new send each time")
    }
}

/// A step-up code, spent at its first check.
final class OneUseCode: Sendable {
    let spent = Mutex(false)
}

extension SendParams {
    fileprivate var drilled: SendParams {
        var copy = self
        copy.drill = true
        return copy
    }
}
