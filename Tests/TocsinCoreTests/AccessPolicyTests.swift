import Testing
import TocsinCore

struct AccessPolicyTests {
    typealias Principal = AccessPolicy.Principal

    static let policy = AccessPolicy(
        operators: [.group("tocsin-ops"), .uid(1500)],
        approvers: [.user("mtremblay")],
        auditors: [.group("tocsin-audit"), .user("mtremblay")]
    )

    @Test(arguments: [
        ("user:mtremblay", Principal.user("mtremblay")),
        ("group:tocsin-ops", .group("tocsin-ops")),
        ("uid:1000", .uid(1000)),
        ("uid:0", .uid(0)),
        ("user:a:b", .user("a:b")),
        ("web:marie", .web("marie")),
        ("web:j.gagnon-2", .web("j.gagnon-2")),
    ])
    func parsesPrincipals(text: String, expected: Principal) {
        #expect(Principal(text) == expected)
        #expect(Principal(text)?.description == text)
    }

    @Test(arguments: ["", "mtremblay", "user:", "group:", "uid:", "uid:abc", "uid:-1", "uid:4294967296", "role:admin", ":x", "User:x",
                     "web:", "web:Marie", "web:2marie", "web:marie tremblay", "web:marié", "web:a:b"])
    func refusesMalformedPrincipals(text: String) {
        #expect(Principal(text) == nil)
    }

    @Test func rootHasEveryRole() {
        #expect(AccessPolicy().roles(uid: 0, userName: "root", groups: []) == Set(AccessPolicy.Role.allCases))
        #expect(Self.policy.roles(uid: 0, userName: nil, groups: []) == [.operator_, .approver, .auditor, .monitor])
    }

    @Test func userNameMatches() {
        #expect(Self.policy.roles(uid: 1001, userName: "mtremblay", groups: ["staff"]) == [.approver, .auditor])
    }

    @Test func groupMatches() {
        #expect(Self.policy.roles(uid: 1002, userName: "jgagnon", groups: ["tocsin-ops", "staff"]) == [.operator_])
        #expect(Self.policy.roles(uid: 1002, userName: "jgagnon", groups: ["tocsin-ops", "tocsin-audit"]) == [.operator_, .auditor])
    }

    @Test func uidMatches() {
        #expect(Self.policy.roles(uid: 1500, userName: nil, groups: []) == [.operator_])
    }

    @Test func strangerHasNoRole() {
        #expect(Self.policy.roles(uid: 65534, userName: "nobody", groups: ["nogroup"]).isEmpty)
        #expect(Self.policy.roles(uid: 1001, userName: nil, groups: []).isEmpty)
    }

    @Test func userAndGroupNamesAreNotConfused() {
        // A user named like a group gets nothing from the group's entry, and the reverse.
        #expect(Self.policy.roles(uid: 1003, userName: "tocsin-ops", groups: []).isEmpty)
        #expect(Self.policy.roles(uid: 1003, userName: "someone", groups: ["mtremblay"]).isEmpty)
    }

    @Test func monitorsMayOnlyAskForHealth() {
        let policy = AccessPolicy(monitors: [.user("nagios")])
        #expect(policy.roles(uid: 120, userName: "nagios", groups: ["nagios"]) == [.monitor])
        #expect(policy.roles(uid: 121, userName: "mtremblay", groups: []) == [])
    }

    @Test func roleRawValues() {
        #expect(AccessPolicy.Role.allCases.map(\.rawValue) == ["operator", "approver", "auditor", "monitor"])
        #expect(Self.policy.principals(for: .approver) == [.user("mtremblay")])
    }

    // The web console's users (issue 18): roles only from their own web: entries.
    static let webPolicy: AccessPolicy = {
        var policy = AccessPolicy(
            operators: [.group("tocsin-ops"), .web("marie")],
            approvers: [.web("directrice")],
            auditors: [.user("marie"), .web("verif")]
        )
        policy.webGateways = [.user("tocsin-web")]
        return policy
    }()

    @Test func aWebUserHasOnlyItsOwnWebEntries() {
        #expect(Self.webPolicy.roles(webUser: "marie") == [.operator_])
        #expect(Self.webPolicy.roles(webUser: "directrice") == [.approver])
        #expect(Self.webPolicy.roles(webUser: "inconnu").isEmpty)
    }

    @Test func webAndUnixNamesAreNotConfused() {
        // The Unix user marie is an auditor; web:marie is an operator: neither gets the other's role.
        #expect(Self.webPolicy.roles(uid: 1004, userName: "marie", groups: []) == [.auditor])
        #expect(Self.webPolicy.roles(webUser: "marie") == [.operator_])
        // A Unix user named like a web user, or the gateway itself, gets nothing from web: entries.
        #expect(Self.webPolicy.roles(uid: 1005, userName: "directrice", groups: []).isEmpty)
        #expect(Self.webPolicy.roles(uid: 999, userName: "tocsin-web", groups: ["tocsin-web"]).isEmpty)
    }

    @Test func rootsRuleNeverReachesAWebUser() {
        // root has every role on the socket; a web user called root has none unless listed.
        #expect(Self.webPolicy.roles(webUser: "root").isEmpty)
    }

    @Test func onlyListedGatewaysAreGateways() {
        #expect(Self.webPolicy.isWebGateway(uid: 999, userName: "tocsin-web"))
        #expect(!Self.webPolicy.isWebGateway(uid: 999, userName: "someone-else"))
        #expect(!Self.webPolicy.isWebGateway(uid: 0, userName: "root"), "root is not a gateway unless listed")
        var byUID = AccessPolicy()
        byUID.webGateways = [.uid(999)]
        #expect(byUID.isWebGateway(uid: 999, userName: nil))
    }
}
