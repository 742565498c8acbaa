import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// The core path end to end: real tocsind, real SQLite file, real admin socket, real HTTP on 127.0.0.1.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct DeliveryTests {
    @Test func signedLiveSendIsDeliveredAndVerifiesWithTheReferenceVerifier() async throws {
        let secret = TestConfig.makeSecret()
        let bed = try await TestBed { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops"), secret: secret)])
        }
        defer { bed.tearDown() }

        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
        #expect(send.status == 0, "\(send)")
        let lines = send.jsonLines
        let incident = try #require(lines.first?["incident"] as? String)
        #expect(lines.allSatisfy { $0["incident"] as? String == incident }, "every JSON line names the incident")
        #expect(lines.last?["event"] as? String == "summary")
        #expect(lines.last?["delivered"] as? Int == 1)

        let requests = bed.receiver.requests(path: "/ops")
        #expect(requests.count == 1)
        let request = try #require(requests.first)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["webhook-id"]?.hasPrefix("msg_") == true)
        #expect(request.headers["webhook-signature"]?.hasPrefix("v1,") == true)
        let body = try #require(request.json)
        #expect(body["type"] as? String == "tocsin.alert")
        let data = try #require(body["data"] as? [String: Any])
        #expect(data["incident"] as? String == incident)
        #expect(data["status"] as? String == "Actual")
        #expect(data["msgType"] as? String == "Alert")
        #expect(data["approved"] as? Bool == true)
        let messages = try #require(data["messages"] as? [[String: Any]])
        #expect(messages.map { $0["language"] as? String } == ["fr-CA", "en-CA"])
        #expect(messages.first?["title"] as? String == "ÉVACUATION — Pavillon A")

        let verify = try await runCommand("/usr/bin/env", ["python3", PackagePaths.verifyScript, bed.receiver.recordPath, "@" + bed.directory.file("secrets/ops"), "/ops"])
        #expect(verify.status == 0, "\(verify)")
        #expect(verify.stdout.contains("verified 1"))
    }

    @Test func retriesAfter500sThenDeliversWithTheSameWebhookID() async throws {
        let bed = try await TestBed(plan: ["/flaky": [["status": 500], ["status": 503], ["status": 200]]]) { receiver in
            TestConfig(channels: [.init("flaky", url: receiver.url("/flaky"))])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")

        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes")
        #expect(send.status == 0, "\(send)")
        let requests = bed.receiver.requests(path: "/flaky")
        #expect(requests.count == 3)
        #expect(Set(requests.compactMap { $0.headers["webhook-id"] }).count == 1, "one delivery, one webhook-id across retries")
        #expect(Set(requests.map(\.body)).count == 1, "the body is encoded once and sent again unchanged")
        #expect(send.stdout.contains("retrying"))
        #expect(send.stdout.contains("All 1 deliveries delivered"))
    }

    @Test func honoursRetryAfterOn429() async throws {
        let bed = try await TestBed(plan: ["/limited": [["status": 429, "headers": ["Retry-After": "1"]], ["status": 200]]]) { receiver in
            TestConfig(channels: [.init("limited", url: receiver.url("/limited"))])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")

        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
        #expect(send.status == 0, "\(send)")
        let requests = bed.receiver.requests(path: "/limited")
        #expect(requests.count == 2)
        // The configured backoff is 100 ms; only Retry-After explains a wait of at least a second.
        #expect(requests[1].time - requests[0].time >= 0.95)
    }

    /// curl, and OpenSSL with it, start with the first transfer (idle memory, BENCHMARKS.md): an idle daemon has no
    /// transfer thread, the first send starts one, named so that `top -H` shows it, and a second send reuses it.
    @Test func theTransferThreadStartsWithTheFirstSendAndIsNamed() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let pid = try #require(bed.daemon.pid)
        func threadNames() throws -> [String] {
            // A pool thread may end between the listing and the read: it is simply not counted.
            try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task").compactMap { task in
                try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let idle = try threadNames()
        #expect(!idle.contains("tocsin-curl"), "\(idle)")

        for building in ["Pavillon A", "Pavillon B"] {
            let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=\(building)", "--yes")
            #expect(send.status == 0, "\(send)")
            let names = try threadNames()
            #expect(names.filter { $0 == "tocsin-curl" }.count == 1, "\(names)")
        }
        #expect(bed.receiver.requests(path: "/ops").count == 2)
    }

    @Test func a400FailsAtOnceAndIsFlaggedAsMisconfiguration() async throws {
        let bed = try await TestBed(plan: ["/bad": [["status": 400, "body": "{\"error\":\"invalid payload\"}"]]]) { receiver in
            TestConfig(channels: [.init("bad", url: receiver.url("/bad")), .init("good", url: receiver.url("/good"))])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")

        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 1, "some deliveries failed → exit 1\n\(send)")
        #expect(bed.receiver.requests(path: "/bad").count == 1, "a 400 is not retried")
        let summary = try #require(send.jsonLines.last)
        let deliveries = try #require(summary["deliveries"] as? [[String: Any]])
        let bad = try #require(deliveries.first { $0["channel"] as? String == "bad" })
        #expect(bad["state"] as? String == "failed")
        #expect(bad["misconfiguration"] as? Bool == true)
        #expect((bad["lastError"] as? String)?.contains("invalid payload") == true, "what the service answered is kept")
        #expect(deliveries.first { $0["channel"] as? String == "good" }?["state"] as? String == "delivered")
        let status = try await bed.daemon.ctl("status")
        #expect(status.stdout.contains("Recent failures:"))
        #expect(status.stdout.contains("FAILED     bad (attempt 1): HTTP 400"))
    }

    @Test func aHangingChannelDoesNotDelayAnotherChannel() async throws {
        let bed = try await TestBed(plan: ["/hang": [["hang": true]]]) { receiver in
            TestConfig(channels: [
                .init("hanging", url: receiver.url("/hang"), timeout: "60s"),
                .init("healthy", url: receiver.url("/ok")),
            ])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")

        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        #expect(send.status == 0, "\(send)")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        var status: IncidentStatus?
        let healthyDelivered = try await waitUntil {
            status = try? await bed.daemon.withClient { try $0.call(.incidentStatus, IncidentParams(incident: incident), as: IncidentStatus.self) }
            return status?.deliveries.first { $0.channel == "healthy" }?.state == "delivered"
        }
        #expect(healthyDelivered)
        // Ordering, not timing: the healthy channel finished while the hanging one is still waiting for its answer.
        #expect(status?.deliveries.first { $0.channel == "hanging" }?.isFinal == false)
        #expect(bed.receiver.requests(path: "/hang").count == 1)
    }

    @Test func kill9DuringAFanOutLosesNothingAndResendsWithTheSameWebhookID() async throws {
        let paths = (1...12).map { "/slow\($0)" }
        var plan: [String: [[String: Any]]] = [:]
        for path in paths { plan[path] = [["delay": 1]] }
        let bed = try await TestBed(plan: plan) { receiver in
            TestConfig(channels: paths.map { .init("ch\($0.dropFirst(5))", url: receiver.url($0)) })
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")

        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        #expect(send.status == 0, "\(send)")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        // Acknowledged means durable: kill while requests are in flight (the receiver holds each for a second).
        try await bed.receiver.waitForRequests(1)
        await bed.daemon.kill(SIGKILL)
        let seenBeforeKill = Set(bed.receiver.requests().compactMap { $0.headers["webhook-id"] })
        #expect(!seenBeforeKill.isEmpty)

        try await bed.daemon.start()
        let final = try await bed.daemon.waitForFinish(incident)
        #expect(final.deliveries.count == paths.count)
        #expect(final.allDelivered, "\(final.deliveries.map { "\($0.channel): \($0.state) \($0.lastError ?? "")" })")

        let requests = bed.receiver.requests()
        let ids = Set(final.deliveries.map(\.id))
        #expect(Set(requests.compactMap { $0.headers["webhook-id"] }) == ids, "every delivery arrived, under its own id")
        // A request in flight at the kill is sent again after restart, with the same webhook-id and body.
        let resent = seenBeforeKill.filter { id in requests.filter { $0.headers["webhook-id"] == id }.count > 1 }
        #expect(!resent.isEmpty)
        for id in resent {
            #expect(Set(requests.filter { $0.headers["webhook-id"] == id }.map(\.body)).count == 1)
        }
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)")
    }
}
