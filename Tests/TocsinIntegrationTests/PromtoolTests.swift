import Foundation
import Testing
import TocsinTestSupport

/// Where Debian's `prometheus` puts promtool (or a hand install), nil when it is not installed.
private let promtoolPath = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Tocsin's metrics and its example alert rules, checked by the Prometheus project's own tool, `promtool` (Debian's
/// `prometheus`, installed by scripts/install-deps.sh), not by a parser of ours (issue 19, item 1).
@Suite(
    .serialized, .integration, .timeLimit(.minutes(3)),
    .enabled(if: required(promtoolPath != nil), "needs promtool (Debian's prometheus: scripts/install-deps.sh)")
)
struct PromtoolTests {
    static let rules = PackagePaths.root.appendingPathComponent("monitoring/tocsin-alerts.yml").path
    static let rulesTests = PackagePaths.root.appendingPathComponent("monitoring/tocsin-alerts.test.yml").path

    /// Every family a daemon with a heartbeat and an `expires:` writes once it has sent (the receiver's certificate
    /// expiry needs TLS: MonitoringTests covers it).
    static let families = [
        "tocsin_deliveries_total", "tocsin_attempts_total", "tocsin_retries_total", "tocsin_delivery_duration_seconds",
        "tocsin_last_delivery_timestamp_seconds", "tocsin_config_reloads_total", "tocsin_deliveries_pending",
        "tocsin_oldest_pending_delivery_seconds", "tocsin_channel_retrying_deliveries", "tocsin_audit_entries",
        "tocsin_audit_chain_intact", "tocsin_credential_expiry_timestamp_seconds", "tocsin_heartbeat_ok",
        "tocsin_heartbeat_last_success_timestamp_seconds", "tocsin_metrics_rendered_timestamp_seconds",
    ]

    /// `promtool ARGUMENTS` with `input` on standard input. Through env when promtool is missing (CI=true), so the
    /// test fails on its exit status rather than skipping.
    static func promtool(_ arguments: [String], input: String? = nil) async throws -> CommandResult {
        if let promtool = promtoolPath { return try await runCommand(promtool, arguments, input: input) }
        return try await runCommand("/usr/bin/env", ["promtool"] + arguments, input: input)
    }

    /// Names after `# TYPE` and after `# HELP` in a text exposition.
    static func declared(_ text: String, _ kind: String) -> Set<String> {
        Set(text.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            return words.count >= 3 && words[0] == "#" && words[1] == kind ? String(words[2]) : nil
        })
    }

    /// Label names used by the samples (`name{a="…",b="…"} value`).
    static func labelNames(_ text: String) throws -> Set<String> {
        let label = try Regex(#"[{,]([a-zA-Z_][a-zA-Z0-9_]*)=""#)
        return Set(text.split(separator: "\n").filter { !$0.hasPrefix("#") }.flatMap { line in
            line.matches(of: label).map { String($0.output[1].substring ?? "") }
        })
    }

    @Test func theMetricsFileAndEndpointPassPromtoolAfterASendAndADrill() async throws {
        let port = try LoopbackPort.unused()
        let expires = Date().addingTimeInterval(90 * 86_400).formatted(.iso8601.year().month().day())
        let bed = try await TestBed(plan: ["/bad": [["status": 400, "body": "{\"error\":\"no such hook\"}"]]]) { receiver in
            var config = TestConfig(
                channels: [
                    .init("ops", url: receiver.url("/ops"), extra: "    expires: \(expires)\n"), .init("bad", url: receiver.url("/bad")),
                    .init("oncall", url: receiver.url("/oncall")),
                ],
                routes: ["campus": ["ops", "bad"], "drill": ["ops"], "oncall": ["oncall"]]
            )
            config.extraYAML = """
                metrics_file: metrics/tocsin.prom
                metrics_interval: 1s
                metrics_listen: 127.0.0.1:\(port)
                heartbeat: { every: 1h, route: oncall }

                """
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.createDirectory(atPath: bed.directory.file("metrics"), withIntermediateDirectories: true)
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 1, "one channel fails: \(send)")
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        #expect(drill.status == 0, "\(drill)")
        let incidents = try [send, drill].map { try #require($0.jsonLines.first?["incident"] as? String) }
        for incident in incidents { _ = try await bed.daemon.waitForFinish(incident) }

        // The file once it counts both sends and the heartbeat got through.
        let path = bed.directory.file("metrics/tocsin.prom")
        var file = ""
        let settled = try await waitUntil(timeout: .seconds(30)) {
            file = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return file.contains(#"tocsin_deliveries_total{channel="ops",outcome="delivered"} 2"#)
                && file.contains(#"tocsin_deliveries_total{channel="bad",outcome="failed"} 1"#)
                && file.contains("tocsin_heartbeat_ok 1")
        }
        #expect(settled, "\(file)")
        var served = ""
        #expect(try await waitUntil {
            served = (try? await runCommand("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"]).stdout) ?? ""
            return served.contains("tocsin_deliveries_total")
        })

        for (what, text) in [("metrics_file", file), ("metrics_listen", served)] {
            let check = try await Self.promtool(["check", "metrics"], input: text)
            #expect(check.status == 0, "\(what): promtool check metrics: \(check)\n\(text)")
            #expect(check.stdout.isEmpty && check.stderr.isEmpty, "\(what): promtool has remarks: \(check)")
            let types = Self.declared(text, "TYPE")
            #expect(types == Self.declared(text, "HELP"), "\(what): every family has HELP and TYPE")
            #expect(types.isSuperset(of: Self.families), "\(what): missing \(Set(Self.families).subtracting(types).sorted())")
            // Bounded labels: channels and fixed outcomes, never an incident.
            let labels = try Self.labelNames(text)
            #expect(labels.isSubset(of: ["channel", "outcome", "result", "le"]), "\(what): \(labels)")
            for incident in incidents { #expect(!text.contains(incident), "\(what) names incident \(incident)") }
        }
        #expect(file.contains("tocsin_audit_chain_intact 1"), "\(file)")

        // Every series the shipped alert rules use is one Tocsin writes.
        let rules = try String(contentsOfFile: Self.rules, encoding: .utf8)
        let used = Set(rules.matches(of: try Regex(#"tocsin_[a-z_]+"#)).map { String(rules[$0.range]) })
        #expect(!used.isEmpty && used.isSubset(of: Self.declared(file, "TYPE")), "\(used.subtracting(Self.declared(file, "TYPE")))")

        // The newest audit entries deleted behind the daemon's back: the chain is broken, and the metric says so
        // (what TocsinAuditChainBroken alerts on), in a file promtool still accepts.
        let deleted = try await runCommand("/usr/bin/sqlite3", [bed.daemon.databasePath, "DELETE FROM audit WHERE seq > 5"])
        #expect(deleted.status == 0, "\(deleted)")
        #expect(try await waitUntil(timeout: .seconds(30)) {
            file = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            return file.contains("tocsin_audit_chain_intact 0")
        }, "\(file)")
        #expect(try await Self.promtool(["check", "metrics"], input: file).status == 0)
    }

    @Test func theShippedAlertRulesPassPromtoolAndTheirOwnTests() async throws {
        let check = try await Self.promtool(["check", "rules", Self.rules])
        #expect(check.status == 0, "promtool check rules: \(check)")
        let test = try await Self.promtool(["test", "rules", Self.rulesTests])
        #expect(test.status == 0, "promtool test rules: \(test)")
        let rules = try String(contentsOfFile: Self.rules, encoding: .utf8)
        for alert in ["TocsindDown", "TocsinHeartbeatMissed", "TocsinDeliveriesPendingTooLong", "TocsinChannelFailing", "TocsinAuditChainBroken"] {
            #expect(rules.contains("- alert: \(alert)\n"), "\(alert)")
            // Each one is exercised by the rules' tests (firing and not).
            let tests = try String(contentsOfFile: Self.rulesTests, encoding: .utf8)
            #expect(tests.components(separatedBy: "alertname: \(alert)\n").count >= 3, "\(alert) is tested firing and not")
        }
        // The runbook points to the file.
        let runbook = try String(contentsOf: PackagePaths.root.appendingPathComponent("runbooks/monitoring.md"), encoding: .utf8)
        #expect(runbook.contains("monitoring/tocsin-alerts.yml"))
    }
}
