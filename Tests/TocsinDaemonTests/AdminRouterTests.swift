import Foundation
import Logging
import Testing
import TocsinConfig
import TocsinCore
import TocsinProtocol
import TocsinStore
import TocsinTestSupport
import TocsinTransport

@testable import TocsinDaemon
import TocsinAudit

/// The admin router and the handler groups behind it (issue 14, item 2), below the socket: request lines in,
/// answer lines out, against the daemon's real parts on a real SQLite store. Principals are made as the socket
/// makes them, with uids named in the test config's `access` lists.
@Suite(.timeLimit(.minutes(2)))
struct AdminRouterTests {
    static let operatorUID: UInt32 = 1001
    static let approverUID: UInt32 = 1002
    static let auditorUID: UInt32 = 1003
    static let nobodyUID: UInt32 = 65534

    struct Bed {
        let directory: TemporaryDirectory
        let store: SQLiteStore
        let transport: CurlTransport
        let configuration: Configuration
        let parts: DaemonParts

        init(_ change: (inout TestConfig, TemporaryDirectory) throws -> Void = { _, _ in }) throws {
            directory = try TemporaryDirectory()
            var config = TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")])
            config.operators = ["uid:\(AdminRouterTests.operatorUID)"]
            config.approvers = ["uid:\(AdminRouterTests.approverUID)"]
            config.auditors = ["uid:\(AdminRouterTests.auditorUID)"]
            try change(&config, directory)
            let path = try config.write(to: directory)
            configuration = try #require(ConfigLoader.load(path: path).configuration)
            store = try SQLiteStore(path: directory.file("state/tocsin.db"))
            transport = CurlTransport()
            parts = DaemonParts(
                configuration: ConfigurationHolder(ActiveConfiguration(configuration, path: path)), store: store,
                transport: transport, logger: Logger(label: "test")
            )
        }

        func principal(_ uid: UInt32) -> Principal {
            Principal(uid: uid, gid: uid, pid: 4242, groups: [], policy: configuration.access)
        }

        /// The answer to one request line, as a JSON object (nil for a notification).
        func call(_ line: String, as uid: UInt32) async throws -> [String: Any]? {
            guard let answer = await parts.router.handle(Array(line.utf8), caller: principal(uid), emit: { _ in }) else { return nil }
            return try #require(JSONSerialization.jsonObject(with: Data(answer)) as? [String: Any])
        }

        /// `admin.request` entries in the audit log, oldest first, as (method, outcome).
        func requests() async throws -> [(method: String?, outcome: String?)] {
            try await store.auditEntries(afterSeq: 0, limit: 1000, subject: nil, newest: false)
                .filter { $0.kind == "admin.request" }
                .map { entry in
                    let detail = try JSONSerialization.jsonObject(with: Data(entry.detail.utf8)) as? [String: Any]
                    return (detail?["method"] as? String, detail?["outcome"] as? String)
                }
        }

        func tearDown() {
            transport.shutdown()
            directory.remove()
        }
    }

    static func errorCode(_ answer: [String: Any]?) -> Int? { (answer?["error"] as? [String: Any])?["code"] as? Int }
    static func errorMessage(_ answer: [String: Any]?) -> String { ((answer?["error"] as? [String: Any])?["message"] as? String) ?? "" }

    @Test func everyMethodOfTheProtocolHasAHandler() throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        #expect(bed.parts.methods.unserved.isEmpty, "no handler for \(bed.parts.methods.unserved)")
    }

    @Test func aTypedMethodAnswersWithItsResultAndIsAuditedOnce() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        let answer = try await bed.call(#"{"jsonrpc":"2.0","id":1,"method":"template.list","params":{}}"#, as: Self.operatorUID)
        let templates = try #require(answer?["result"] as? [[String: Any]])
        #expect(templates.compactMap { $0["id"] as? String }.contains("evacuation"))
        #expect(try await bed.requests().map(\.method) == ["template.list"])
    }

    @Test func aMethodWithoutParamsDoesNotReadThem() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        for line in [#"{"jsonrpc":"2.0","id":1,"method":"template.list"}"#, #"{"jsonrpc":"2.0","id":2,"method":"template.list","params":7}"#] {
            let answer = try await bed.call(line, as: Self.auditorUID)
            #expect(answer?["result"] is [Any], "\(line): \(String(describing: answer))")
        }
    }

    @Test func paramsOfTheWrongTypeAreRefusedWithTheirPath() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        let answer = try await bed.call(#"{"jsonrpc":"2.0","id":3,"method":"template.show","params":{"template":5}}"#, as: Self.operatorUID)
        #expect(Self.errorCode(answer) == RPCError.invalidParamsCode)
        #expect(Self.errorMessage(answer) == "invalid params: wrong type at 'params.template'")
        let missing = try await bed.call(#"{"jsonrpc":"2.0","id":4,"method":"incident.send"}"#, as: Self.operatorUID)
        #expect(Self.errorMessage(missing) == "invalid params: missing 'params'")
        #expect(try await bed.requests().map(\.outcome).allSatisfy { $0?.contains("invalid-params") == true })
    }

    /// The role is checked before the params are looked at: a caller who may not call a method learns nothing
    /// about what it takes, and is told which role it needs.
    @Test func aPrincipalWithoutTheRoleIsRefusedBeforeItsParamsAreRead() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        let answer = try await bed.call(#"{"jsonrpc":"2.0","id":5,"method":"incident.send","params":{"template":5}}"#, as: Self.auditorUID)
        #expect(Self.errorCode(answer) == RPCError.notAuthorisedCode)
        #expect(Self.errorMessage(answer).contains("may not call incident.send: it needs the operator role"))
        #expect(try await bed.requests().map(\.outcome) == ["refused: not authorised"])
    }

    @Test func anUnknownMethodIsNamedPrintablyAndShort() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        let name = "incident.launch\u{1B}[2J" + String(repeating: "x", count: 5000)
        let line = String(data: try JSONSerialization.data(withJSONObject: ["jsonrpc": "2.0", "id": 6, "method": name]), encoding: .utf8)!
        let answer = try await bed.call(line, as: Self.operatorUID)
        #expect(Self.errorCode(answer) == RPCError.methodNotFoundCode)
        let message = Self.errorMessage(answer)
        #expect(!message.contains("\u{1B}") && message.count < 300, "\(message.prefix(300))")
    }

    @Test func aNotificationRunsAndIsAuditedButNotAnswered() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        let answer = try await bed.call(#"{"jsonrpc":"2.0","method":"daemon.health"}"#, as: Self.operatorUID)
        #expect(answer == nil)
        #expect(try await bed.requests().map(\.method) == ["daemon.health"])
    }

    /// A handler that writes its own records commits the request's entry in the same transaction: one
    /// `admin.request` entry, next to the approval it led to.
    @Test func anApprovalThroughTheRouterIsStoredWithOneRequestEntry() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        let approve = #"{"jsonrpc":"2.0","id":7,"method":"template.approve","params":{"template":"evacuation"}}"#
        let refused = try await bed.call(approve, as: Self.operatorUID)
        #expect(Self.errorCode(refused) == RPCError.notAuthorisedCode)
        let answer = try await bed.call(approve, as: Self.approverUID)
        #expect((answer?["result"] as? [String: Any])?["template"] as? String == "evacuation", "\(String(describing: answer))")
        let list = try await bed.call(#"{"jsonrpc":"2.0","id":8,"method":"template.list"}"#, as: Self.operatorUID)
        let evacuation = try #require((list?["result"] as? [[String: Any]])?.first { $0["id"] as? String == "evacuation" })
        #expect((evacuation["approvedBy"] as? String)?.contains("uid \(Self.approverUID)") == true, "\(evacuation)")
        let entries = try await bed.store.auditEntries(afterSeq: 0, limit: 100, subject: nil, newest: false)
        #expect(entries.filter { $0.kind == "template.approve" }.map(\.actorUID) == [Int64(Self.approverUID)])
        #expect(try await bed.requests().map(\.method) == ["template.approve", "template.approve", "template.list"])
    }

    /// Every principal's action is recorded the same way: uid and pid on the entry, the name in its detail.
    @Test func thePrincipalIsWrittenToTheAuditAsItActed() async throws {
        let bed = try Bed()
        defer { bed.tearDown() }
        _ = try await bed.call(#"{"jsonrpc":"2.0","id":9,"method":"audit.verify"}"#, as: Self.auditorUID)
        let entry = try #require(try await bed.store.auditEntries(afterSeq: 0, limit: 10, subject: nil, newest: false).last)
        #expect(entry.kind == "admin.request" && entry.actorUID == Int64(Self.auditorUID) && entry.actorPID == 4242)
    }

    /// A template whose text an SMS channel would cut (issue 15, item 2): flagged in the list, the preview and
    /// health, and refused for approval with every cut named. Approving it is not "fixing" it.
    @Test func aTemplateThatAPhoneWouldGetCutCannotBeApproved() async throws {
        let bed = try Bed { config, directory in
            let token = try directory.write("secrets/twilio", "0123456789abcdef0123456789abcdef\n")
            var sms = TestConfig.Channel("sms", url: "")
            sms.type = "twilio-sms"
            sms.extra = "    account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token_file: \(token)\n    from: \"+15145550000\"\n    to: [\"+15145551234\"]\n    api_base: http://127.0.0.1:9\n    max_segments: 1\n    rate_limit: 2\n"
            config.channels.append(sms)
            config.routes = ["campus": ["ops"], "drill": ["ops"], "sms": ["sms"]]
        }
        defer { bed.tearDown() }
        let approve = try await bed.call(#"{"jsonrpc":"2.0","id":1,"method":"template.approve","params":{"template":"evacuation"}}"#, as: Self.approverUID)
        #expect(Self.errorCode(approve) == RPCError.validationCode, "\(String(describing: approve))")
        #expect(Self.errorMessage(approve).contains("cannot be approved as it is; nothing was approved"))
        let problems = ((approve?["error"] as? [String: Any])?["data"] as? [String: Any])?["problems"] as? [String]
        #expect(problems?.first?.hasPrefix("template 'evacuation' does not fit channel 'sms' (") == true, "\(String(describing: problems))")

        let list = try await bed.call(#"{"jsonrpc":"2.0","id":2,"method":"template.list"}"#, as: Self.operatorUID)
        let evacuation = try #require((list?["result"] as? [[String: Any]])?.first { $0["id"] as? String == "evacuation" })
        #expect((evacuation["shortened"] as? [String])?.isEmpty == false)

        // Sent on the route without the SMS channel, nothing is shortened; on the SMS route, the preview says so.
        let campus = try await bed.call(#"{"jsonrpc":"2.0","id":3,"method":"incident.preview","params":{"template":"evacuation","variables":{"building":"Pavillon A"},"drill":false}}"#, as: Self.operatorUID)
        #expect((campus?["result"] as? [String: Any])?["shortened"] == nil, "\(String(describing: campus))")
        let sms = try await bed.call(#"{"jsonrpc":"2.0","id":4,"method":"incident.preview","params":{"template":"evacuation","variables":{"building":"Pavillon A"},"drill":false,"route":"sms"}}"#, as: Self.operatorUID)
        #expect(((sms?["result"] as? [String: Any])?["shortened"] as? [String])?.first?.contains("channel 'sms'") == true, "\(String(describing: sms))")
        // The preview shows the SMS exactly as it goes: its text, measure, encoding, segments and the time to reach
        // everyone at the channel's rate limit (1 recipient × 1 segment at 2 a second).
        let text = try #require(((sms?["result"] as? [String: Any])?["texts"] as? [[String: Any]])?.first)
        #expect(text["channel"] as? String == "sms" && text["smsEncoding"] as? String == "GSM-7" && text["segments"] as? Int == 1, "\(text)")
        #expect((text["length"] as? Int).map { $0 <= 160 } == true && text["limit"] as? Int == 160, "\(text)")
        #expect((text["text"] as? String)?.hasSuffix("...") == true, "the cut shows: \(text)")
        #expect(text["estimatedSeconds"] as? Double == 0.5)
        let webhook = try #require(((campus?["result"] as? [String: Any])?["texts"] as? [[String: Any]])?.first)
        #expect(webhook["channel"] as? String == "ops" && webhook["text"] == nil, "a webhook gets every text whole: \(webhook)")

        let health = try await bed.call(#"{"jsonrpc":"2.0","id":5,"method":"daemon.health"}"#, as: Self.operatorUID)
        let checks = ((health?["result"] as? [String: Any])?["checks"] as? [[String: Any]]) ?? []
        let templates = try #require(checks.first { $0["name"] as? String == "templates" }, "\(checks)")
        #expect(templates["state"] as? String == "WARNING")
        #expect((templates["message"] as? String)?.contains("evacuation (sms)") == true)
    }
}
