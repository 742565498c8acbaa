import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// Callers are identified by the kernel (SO_PEERCRED) and checked against the roles in the config.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct AccessTests {
    static let runningAsRoot = getuid() == 0

    @Test(.enabled(if: required(runningAsRoot), "needs root to run the CLI as 'nobody' with setpriv"))
    func aCallerKeptOutByTheSocketPermissionsIsRefusedNotUnreachable() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        let status = try await bed.daemon.ctl(arguments: ["status"], as: "nobody")
        #expect(status.status == 4, "permission denied is a refusal (4), not 'daemon down' (3)\n\(status)")
        #expect(status.stderr.contains("permission denied"))
    }

    @Test(.enabled(if: required(runningAsRoot), "needs root to run the CLI as 'nobody' with setpriv; run `make test` as root to include it"))
    func aCallerInNoRoleIsRefusedAndTheRefusalIsAudited() async throws {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.socketMode = "0666"  // let `nobody` reach the socket, so the daemon (not the file mode) refuses
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))

        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes"], as: "nobody")
        #expect(send.status == 4, "\(send)")
        #expect(send.stderr.contains("may not call incident.send"))
        let verify = try await bed.daemon.ctl(arguments: ["audit", "verify"], as: "nobody")
        #expect(verify.status == 4)
        #expect(bed.receiver.requests().isEmpty)

        // A caller in no role is audited as one `admin.refused` count per minute, written at the latest at a stop.
        await bed.daemon.stop()
        try await bed.daemon.start()
        let log = try await bed.daemon.ctl("audit", "log", "--subject", "admin", "--json")
        let refusals = log.jsonLines.filter { $0["kind"] as? String == "admin.refused" && $0["uid"] as? Int == 65534 }
        #expect(refusals.count == 1, "\(log.stdout)")
        #expect((refusals.first?["detail"] as? String)?.contains(#""count":2"#) == true, "\(log.stdout)")
    }
}

/// With `approval.required_approvers: 2`, two different people must approve the same content.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct TwoPersonRuleTests {
    @Test(.enabled(if: required(getuid() == 0), "needs root to act as a second approver ('nobody') with setpriv"))
    func aTemplateIsApprovedOnlyAfterTwoDistinctApprovers() async throws {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.approvers = ["uid:0", "user:nobody"]
            config.socketMode = "0666"
            config.extraYAML = "approval: { required_approvers: 2 }\n"
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))

        let first = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(first.status == 0, "\(first)")
        #expect(first.stdout.contains("Approval 1 of 2"))
        #expect(try await bed.daemon.ctl("templates", "list").stdout.contains("partial 1/2"))
        let again = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(again.status == 2, "the same person cannot approve twice")
        #expect(again.stderr.contains("another approver must approve it"))
        #expect(try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes").status == 4)

        let second = try await bed.daemon.ctl(arguments: ["templates", "approve", "evacuation", "--yes"], as: "nobody")
        #expect(second.status == 0, "\(second)")
        #expect(second.stdout.contains("approved by nobody"))
        #expect(try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes").status == 0)
        let onceMore = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(onceMore.status == 0, "approving content already approved is not an error\n\(onceMore)")
        #expect(onceMore.stdout.contains("approved by root"))
    }
}
