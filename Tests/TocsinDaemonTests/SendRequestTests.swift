import Foundation
import Logging
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
        let directory: TemporaryDirectory
        let store: SQLiteStore
        let incidents: IncidentService
        let policy: AccessPolicy
        let transport: CurlTransport

        init() throws {
            directory = try TemporaryDirectory()
            let path = try TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")]).write(to: directory)
            let configuration = try #require(ConfigLoader.load(path: path).configuration)
            let holder = ConfigurationHolder(ActiveConfiguration(configuration, path: path))
            store = try SQLiteStore(path: directory.file("state/tocsin.db"))
            transport = CurlTransport()
            let logger = Logger(label: "test")
            let dispatcher = Dispatcher(configuration: holder, store: store, transport: transport, events: DeliveryEvents(), logger: logger)
            incidents = IncidentService(
                configuration: holder, store: store, dispatcher: dispatcher,
                approvals: ApprovalService(store: store, configuration: holder), logger: logger
            )
            policy = configuration.access
        }

        func caller(uid: UInt32 = 0) -> Principal { Principal(uid: uid, gid: 0, pid: getpid(), groups: [], policy: policy) }

        func send(_ params: SendParams, uid: UInt32 = 0) async throws -> IncidentStatus {
            let request = AuditEvent(timeMillis: 1, kind: "admin.request", subject: "admin", detail: "{}")
            return try await incidents.send(params, caller: caller(uid: uid), requestAudit: request)
        }

        func incidentCount() async throws -> Int { try await store.recentIncidents(limit: 100).count }

        func remove() {
            transport.shutdown()
            directory.remove()
        }
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
        update.msgType = "Update"
        update.references = "20261208-AAAAAA"
        #expect(SendRequest.digest(of: update, by: "uid 0") != base)
        #expect(try SendRequest(SendParams(template: "evacuation"), by: "uid 0") == nil, "no key: a new send each time")
    }
}

extension SendParams {
    fileprivate var drilled: SendParams {
        var copy = self
        copy.drill = true
        return copy
    }
}
