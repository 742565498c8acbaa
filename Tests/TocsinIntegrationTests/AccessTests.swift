import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// Callers are identified by the kernel (SO_PEERCRED) and checked against the roles in the config.
@Suite(.timeLimit(.minutes(3)))
struct AccessTests {
    static let runningAsRoot = getuid() == 0

    @Test(.enabled(if: runningAsRoot, "needs root to run the CLI as 'nobody' with setpriv; run `make test` as root to include it"))
    func aCallerInNoRoleIsRefusedAndTheRefusalIsAudited() throws {
        let bed = try TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.socketMode = "0666"  // let `nobody` reach the socket, so the daemon (not the file mode) refuses
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))

        let send = try bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes"], as: "nobody")
        #expect(send.status == 4, "\(send)")
        #expect(send.stderr.contains("may not call incident.send"))
        let verify = try bed.daemon.ctl(arguments: ["audit", "verify"], as: "nobody")
        #expect(verify.status == 4)
        #expect(bed.receiver.requests().isEmpty)

        let log = try bed.daemon.ctl("audit", "log", "--subject", "admin", "--json")
        let refusals = log.jsonLines.filter {
            $0["uid"] as? Int == 65534 && ($0["detail"] as? String)?.contains("not authorised") == true
        }
        #expect(refusals.count == 2, "\(log.stdout)")
    }
}
