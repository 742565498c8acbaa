import Foundation
import Glibc
import Testing
import TocsinProtocol
import TocsinTestSupport

/// Metrics (file and loopback endpoint), `tocsinctl health` and the dead-man heartbeat (issue 9).
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct MonitoringTests {
    /// Parses Prometheus text with the Prometheus project's own parser (`prometheus_client`), into
    /// `name{label="value",…}` → value with labels sorted, so a malformed file fails here.
    static func parse(_ text: String) async throws -> [String: Double] {
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = {}
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    labels = ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()))
                    out[f"{s.name}{{{labels}}}"] = s.value
            print(json.dumps(out))
            """
        let result = try await runCommand("/usr/bin/env", ["python3", "-c", script], input: text)
        guard result.status == 0 else { throw TestSupportError("prometheus_client could not parse the metrics: \(result.stderr)\n\(text)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double])
    }

    /// `MetricsService.maximumConnections`.
    static let listenerLimit = 16

    static func health(_ daemon: DaemonProcess) async throws -> (status: Int32, text: String) {
        let result = try await daemon.ctl("health")
        return (result.status, result.stdout)
    }

    @Test func metricsFileCountsASendWithOneFailure() async throws {
        let bed = try await TestBed(plan: ["/bad": [["status": 400, "body": "{\"error\":\"no such hook\"}"]]]) { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("bad", url: receiver.url("/bad"))])
            config.extraYAML = "metrics_file: metrics/tocsin.prom\nmetrics_interval: 1s\n"
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.createDirectory(atPath: bed.directory.file("metrics"), withIntermediateDirectories: true)
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 1, "one channel fails: \(send)")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        _ = try await bed.daemon.waitForFinish(incident)

        var metrics: [String: Double] = [:]
        let settled = try await waitUntil(timeout: .seconds(30)) {
            guard let text = try? String(contentsOfFile: bed.directory.file("metrics/tocsin.prom"), encoding: .utf8) else { return false }
            metrics = try await Self.parse(text)
            return metrics[#"tocsin_deliveries_total{channel="bad",outcome="failed"}"#] == 1
                && metrics[#"tocsin_deliveries_total{channel="ops",outcome="delivered"}"#] == 1
        }
        #expect(settled, "\(metrics)")
        #expect(metrics[#"tocsin_deliveries_total{channel="ops",outcome="failed"}"#] == 0)
        #expect(metrics[#"tocsin_attempts_total{channel="bad",result="failed"}"#] == 1)
        #expect(metrics[#"tocsin_attempts_total{channel="ops",result="delivered"}"#] == 1)
        #expect(metrics[#"tocsin_retries_total{channel="ops"}"#] == 0)
        #expect(metrics[#"tocsin_delivery_duration_seconds_count{channel="ops"}"#] == 1)
        #expect(metrics[#"tocsin_delivery_duration_seconds_count{channel="bad"}"#] == nil)
        #expect(metrics[#"tocsin_deliveries_pending{}"#] == 0)
        #expect((metrics[#"tocsin_audit_entries{}"#] ?? 0) > 5)
        #expect((metrics[#"tocsin_last_delivery_timestamp_seconds{channel="ops"}"#] ?? 0) > Date().timeIntervalSince1970 - 600)
        // Written by rename: no temporary file is left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: bed.directory.file("metrics")) == ["tocsin.prom"])
    }

    @Test func metricsAreServedOnLoopbackOnly() async throws {
        let port = try LoopbackPort.unused()
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.extraYAML = "metrics_listen: 127.0.0.1:\(port)\n"
            return config
        }
        defer { bed.tearDown() }
        var served = ""
        #expect(try await waitUntil {
            served = (try? await runCommand("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"]).stdout) ?? ""
            return served.contains("tocsin_deliveries_total")
        })
        let metrics = try await Self.parse(served)
        #expect(metrics[#"tocsin_deliveries_total{channel="ops",outcome="delivered"}"#] == 0)
        let missing = try await runCommand("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/secrets"])
        #expect(missing.stdout == "404")

        // At most 16 connections: idle ones past that are closed at once; the listener serves again once they go.
        var idle: [Int32] = []
        for _ in 0..<MonitoringTests.listenerLimit {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            #expect(connected == 0)
            idle.append(fd)
        }
        #expect(try await waitUntil { try await runCommand("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"]).status != 0 })
        for fd in idle { close(fd) }
        #expect(try await waitUntil { try await runCommand("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"]).status == 0 })

        // Moving the listener needs a restart: the reload says so.
        let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
        try config.replacingOccurrences(of: "metrics_listen: 127.0.0.1:\(port)", with: "metrics_listen: 127.0.0.1:\(port + 1)")
            .write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
        let reload = try await bed.daemon.ctl("reload")
        #expect(reload.stdout.contains("metrics_listen changed: it applies at the next restart"), "\(reload)")

        for address in ["0.0.0.0:9464", "192.0.2.1:9464", "[::]:9464", "localhost"] {
            var config = TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")])
            config.extraYAML = "metrics_listen: \"\(address)\"\n"
            let path = try config.write(to: bed.directory)
            let check = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
            #expect(check.status == 1, "\(address): \(check)")
            #expect((check.stdout + check.stderr).contains("must be a loopback address"), "\(address): \(check)")
        }
    }

    @Test func healthIsOKWhenAllIsWellAndCriticalWhenTheDaemonIsDown() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let ok = try await Self.health(bed.daemon)
        #expect(ok.status == 0, "\(ok.text)")
        #expect(ok.text.hasPrefix("TOCSIN OK - "), "\(ok.text)")
        for check in ["config", "database", "channels", "audit"] { #expect(ok.text.contains("OK: \(check): "), "\(check)") }

        let json = try await bed.daemon.ctl("health", "--json")
        #expect(json.status == 0)
        let report = try JSONDecoder().decode(HealthReport.self, from: Data(json.stdout.utf8))
        #expect(report.state == .ok)

        await bed.daemon.stop()
        let down = try await Self.health(bed.daemon)
        #expect(down.status == 2)
        #expect(down.text.hasPrefix("TOCSIN CRITICAL - daemon unreachable"), "\(down.text)")
    }

    /// A daemon that takes the connection and never answers: CRITICAL within the check's own 4 s, so a monitor
    /// (NRPE kills a check after 10 s) reads why instead of a timeout.
    @Test func aDaemonThatDoesNotAnswerIsCriticalNotAHungCheck() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mute = try MuteSocket(in: directory)
        defer { mute.close() }
        let result = try await runCommand(PackagePaths.tocsinctl, ["health", "--lang", "en"], environment: ["TOCSIN_SOCKET": mute.path])
        #expect(result.status == 2, "\(result)")
        #expect(result.stdout.hasPrefix("TOCSIN CRITICAL - daemon not answering"), "\(result)")
    }

    @Test(arguments: [(3, Int32(1), "WARNING: credential:ops: the credential expires in "), (-1, Int32(2), "CRITICAL: credential:ops: the credential expired on")])
    func credentialExpiryWarnsThenTurnsCritical(days: Int, status: Int32, line: String) async throws {
        let expires = Date().addingTimeInterval(Double(days) * 86_400 + 3600).formatted(.iso8601.year().month().day())
        let bed = try await TestBed { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops"), extra: "    expires: \(expires)\n")])
        }
        defer { bed.tearDown() }
        let health = try await Self.health(bed.daemon)
        #expect(health.status == status, "\(health.text)")
        #expect(health.text.contains(line), "\(health.text)")
        let list = try await bed.daemon.ctl("channels", "list")
        #expect(list.stdout.contains("credential expires \(expires)"), "\(list.stdout)")
    }

    /// `expires: 2027-03-01` is the first of March where the daemon runs, shown as such, never the evening before.
    @Test func aDateAloneExpiresAtTheStartOfThatDayInTheLocalTimeZone() async throws {
        let bed = try await TestBed(environment: ["TZ": "America/Toronto"]) { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops"), extra: "    expires: 2099-03-01\n")])
        }
        defer { bed.tearDown() }
        let list = try await runCommand(
            PackagePaths.tocsinctl, ["channels", "list", "--lang", "en"], environment: bed.daemon.ctlEnvironment.merging(["TZ": "America/Toronto"]) { $1 }
        )
        #expect(list.stdout.contains("credential expires 2099-03-01 00:00:00 -05:00 ("), "\(list.stdout)")
        let json = try await bed.daemon.ctl("channels", "list", "--json")
        #expect(json.stdout.contains("2099-03-01T05:00:00"), "midnight in Toronto is 05:00 UTC: \(json.stdout)")
    }

    @Test func aChannelFailingLongerThanTheThresholdIsCritical() async throws {
        let bed = try await TestBed(plan: ["/down": [["status": 503]]]) { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("down", url: receiver.url("/down"))])
            config.extraYAML = "health: { channel_failing_after: 1s }\n"
            return config
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait")
        #expect(send.status == 0, "\(send)")
        var health = (status: Int32(0), text: "")
        #expect(try await waitUntil(timeout: .seconds(30)) {
            health = try await Self.health(bed.daemon)
            return health.status == 2
        }, "\(health.text)")
        #expect(health.text.contains("CRITICAL: channel:down: failing for"), "\(health.text)")
        #expect(health.text.contains("503"), "\(health.text)")
        #expect(!health.text.contains("channel:ops"), "\(health.text)")
    }

    @Test func aRefusedReloadIsAWarning() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
        try (config + "delivery_typo: 1\n").write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
        #expect(try await bed.daemon.ctl("reload").status != 0)
        let health = try await Self.health(bed.daemon)
        #expect(health.status == 1, "\(health.text)")
        #expect(health.text.contains("WARNING: config: the last reload"), "\(health.text)")
    }

    /// A daemon whose heartbeat goes, hourly, through route `oncall` to the receiver's `/oncall`.
    static func heartbeatBed(plan: [String: [[String: Any]]] = [:]) async throws -> TestBed {
        try await TestBed(plan: plan) { receiver in
            var config = TestConfig(
                channels: [.init("ops", url: receiver.url("/ops")), .init("oncall", url: receiver.url("/oncall"))],
                routes: ["campus": ["ops"], "drill": ["ops"], "oncall": ["oncall"]]
            )
            config.extraYAML = "heartbeat: { every: 1h, route: oncall }\n"
            return config
        }
    }

    @Test func heartbeatThroughAFailingReceiverTurnsHealthCritical() async throws {
        let bed = try await Self.heartbeatBed(plan: ["/oncall": [["status": 410, "body": "gone"]]])
        defer { bed.tearDown() }
        var health = (status: Int32(0), text: "")
        #expect(try await waitUntil(timeout: .seconds(30)) {
            health = try await Self.health(bed.daemon)
            return health.text.contains("CRITICAL: heartbeat:")
        }, "\(health.text)")
        #expect(health.status == 2)
        #expect(health.text.contains("410"), "\(health.text)")
        let beat = try #require(bed.receiver.requests(path: "/oncall").first?.json)
        #expect((beat["data"] as? [String: Any])?["status"] as? String == "System", "\(beat)")
    }

    @Test func heartbeatIsDeliveredAuditedAndKeptOutOfIncidentLists() async throws {
        let bed = try await Self.heartbeatBed()
        defer { bed.tearDown() }
        var health = (status: Int32(0), text: "")
        #expect(try await waitUntil(timeout: .seconds(30)) {
            health = try await Self.health(bed.daemon)
            return health.text.contains("OK: heartbeat: last delivered")
        }, "\(health.text)")
        #expect(health.status == 0, "\(health.text)")
        let beats = bed.receiver.requests(path: "/oncall")
        #expect(beats.count == 1)
        // The heartbeat is a webhook like any other: it follows the published schema (docs/).
        let problems = try await PayloadSchema.problems(of: Dictionary(uniqueKeysWithValues: beats.map { ("heartbeat", Array($0.body.utf8)) }))
        #expect(problems.values.allSatisfy { $0.isEmpty }, "\(problems)")
        let status = try await bed.daemon.ctl("status", "--json")
        #expect(!status.stdout.contains("heartbeat"), "\(status.stdout)")
        let audit = try await bed.daemon.ctl("audit", "log", "--json").jsonLines
        #expect(audit.contains { $0["kind"] as? String == "incident.create" && ($0["detail"] as? String)?.contains(#""status":"System""#) == true })

        // A restart does not send another one before `every` has passed.
        await bed.daemon.stop()
        try await bed.daemon.start()
        #expect(try await waitUntil { try await Self.health(bed.daemon).text.contains("OK: heartbeat: last delivered") })
        #expect(bed.receiver.requests(path: "/oncall").count == 1)
    }

    @Test func aReceiverCertificateCloseToExpiryIsAWarning() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The test CA issues certificates valid for two days: well inside the default 14-day warning.
        let authority = try await TestCertificateAuthority(in: directory)
        let identity = try await authority.issue()
        let receiver = try await offPool { try LoopbackReceiver(in: directory, tls: identity) }
        defer { receiver.stop() }
        let config = TestConfig(channels: [.init("secure", url: receiver.url("/hook"), extra: "    ca_file: \(authority.certificatePath)\n")])
        let daemon = DaemonProcess(directory: directory, configPath: try config.write(to: directory))
        try await daemon.start()
        defer { daemon.signal(SIGKILL) }
        #expect(try await Self.health(daemon).status == 0, "no certificate seen yet")

        let test = try await daemon.ctl("channels", "test", "secure")
        #expect(test.status == 0, "\(test)")
        #expect(receiver.requests(path: "/hook").count == 1)
        let health = try await Self.health(daemon)
        #expect(health.status == 1, "\(health.text)")
        #expect(health.text.contains("WARNING: certificate:secure: the receiver's TLS certificate expires in 1 day ("), "\(health.text)")
        let list = try await daemon.ctl("channels", "list")
        #expect(list.stdout.contains("TLS certificate expires"), "\(list.stdout)")
    }

    @Test(.enabled(if: required(getuid() == 0), "needs root to run the CLI as 'nobody' with setpriv"))
    func theMonitorRoleMayAskForHealthAndNothingElse() async throws {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.socketMode = "0666"  // let `nobody` reach the socket, so roles (not the file mode) decide
            config.monitors = ["user:nobody"]
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        let health = try await bed.daemon.ctl(arguments: ["health"], as: "nobody")
        #expect(health.status == 0, "\(health)")
        #expect(health.stdout.hasPrefix("TOCSIN OK"))
        for verb in [["status"], ["channels", "list"], ["audit", "verify"]] {
            let refused = try await bed.daemon.ctl(arguments: verb, as: "nobody")
            #expect(refused.status == 4, "\(verb): \(refused)")
        }
    }
}
