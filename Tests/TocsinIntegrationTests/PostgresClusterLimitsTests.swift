import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// A channel's `max_concurrency` and `rate_limit` hold across the whole cluster (issue 17, item 3): two nodes on one
/// PostgreSQL database sending to one channel at once never send it more than its limits between them.
@Suite(
    .serialized, .integration, .timeLimit(.minutes(4)),
    .enabled(if: required(PostgresServer.available), "needs Debian's postgresql (scripts/install-deps.sh)")
)
struct PostgresClusterLimitsTests {
    static let sid = "AC00000000000000000000000000000001"
    static let path = "/twilio/2010-04-01/Accounts/\(sid)/Messages.json"

    /// A Twilio channel with six recipients and `limits` (YAML lines), pointing at `receiver`.
    private static func sms(_ receiver: LoopbackReceiver, timeout: String, limits: String) -> TestConfig.Channel {
        var sms = TestConfig.Channel("sms", url: "", timeout: timeout, extra: """
                api_base: "\(receiver.url("/twilio"))"
                account_sid: \(sid)
                auth_token: test-token
                from: "+15145550000"
                to: ["+15145551001", "+15145551002", "+15145551003", "+15145551004", "+15145551005", "+15145551006"]
                \(limits)

            """)
        sms.type = "twilio-sms"
        return sms
    }

    /// campus-a (the test bed's daemon) and campus-b on one database, both with the channel `sms` made by `channel`,
    /// the receiver holding every answer `delay` seconds; `body` runs once campus-b has written its busy channels.
    private static func withTwoNodes(
        delay: Double, channel: @escaping (LoopbackReceiver) -> TestConfig.Channel,
        _ body: (_ bed: TestBed, _ other: DaemonProcess) async throws -> Void
    ) async throws {
        try await PostgresServer.withDatabase("tocsin_limits") { server, database in
            var channels: [TestConfig.Channel] = []
            let answer: [[String: Any]] = [["status": 201, "body": #"{"sid":"SM1","status":"queued"}"#, "delay": delay]]
            let bed = try await TestBed(plan: [Self.path: answer]) { receiver in
                channels = [channel(receiver)]
                var config = TestConfig(channels: channels)
                config.storage = TestConfig.PostgresStorage(server: server, database: database)
                config.storage?.node = "campus-a"
                config.storage?.lease = "2s"
                return config
            }
            defer { bed.tearDown() }
            let folder = try TemporaryDirectory()
            var config = TestConfig(channels: channels)
            config.storage = TestConfig.PostgresStorage(server: server, database: database)
            config.storage?.node = "campus-b"
            config.storage?.lease = "2s"
            let other = DaemonProcess(directory: folder, configPath: try config.write(to: folder))
            try await other.start()
            defer {
                other.signal(SIGKILL)
                other.whenExited { folder.remove() }
            }
            // campus-b polls: it is live and has said it is busy on nothing.
            let polled = try await waitUntil {
                try await server.psql("SELECT count(*) FROM node WHERE busy_at IS NOT NULL AND cardinality(busy_channels) = 0", database: database) == "2"
            }
            #expect(polled, "both nodes publish their busy channels: \(other.log())")
            let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
            #expect(approve.status == 0, "\(approve)")
            try await body(bed, other)
            #expect(try await other.ctl("audit", "verify").status == 0)
        }
    }

    static let send = ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json"]

    /// Both nodes send a fan-out to a channel with `max_concurrency: 1` and `rate_limit: 4` at once; each holds its
    /// own six deliveries (born leased to it). The receiver holds every answer 300 ms. Until each node has read that
    /// the other is busy (one poll, 500 ms here, after the other's) both may send: at most two at once. From then on
    /// no two requests overlap and none starts within 250 ms (1 / rate) of the one before; each node applying the
    /// whole limits sends two at once throughout.
    @Test func twoBusyNodesOnOneChannelStayWithinItsLimits() async throws {
        try await Self.withTwoNodes(delay: 0.3, channel: { Self.sms($0, timeout: "1s", limits: "rate_limit: 4\n    max_concurrency: 1") }) { bed, other in
            async let fromA = bed.daemon.ctl(arguments: Self.send)
            async let fromB = other.ctl(arguments: Self.send)
            let (sentA, sentB) = try await (fromA, fromB)
            let a = try #require(sentA.jsonLines.first?["incident"] as? String, "\(sentA)")
            let b = try #require(sentB.jsonLines.first?["incident"] as? String, "\(sentB)")
            let finishedA = try await bed.daemon.waitForFinish(a, timeout: .seconds(150))
            let finishedB = try await other.waitForFinish(b, timeout: .seconds(150))
            #expect(finishedA.deliveries.allSatisfy { $0.state == "delivered" }, "\(finishedA)\n\(bed.daemon.log())")
            #expect(finishedB.deliveries.allSatisfy { $0.state == "delivered" }, "\(finishedB)\n\(other.log())")
            // Each node sent its own: none was taken over (its lease never lapsed while it waited for its turn).
            #expect(!bed.daemon.log().contains("deliveries taken over") && !other.log().contains("deliveries taken over"))

            let times = bed.receiver.requests(path: Self.path).map(\.time).sorted()
            #expect(times.count == 12, "one request per delivery: \(times.count)")
            let first = try #require(times.first)
            // A small tolerance for the receiver's clock reads (it records a request once its body is read).
            #expect(Self.mostAtOnce(times, lasting: 0.3 - 0.05) <= 2, "more than one request per node at once: \(times)")
            // Once both nodes know the other is busy (two polls and an attempt after the first request, with room).
            let gaps = zip(times, times.dropFirst()).filter { $0.1 > first + 2 }.map { $1 - $0 }
            #expect(!gaps.isEmpty, "requests after both nodes knew: \(times)")
            #expect(gaps.allSatisfy { $0 >= 0.3 - 0.05 }, "two requests overlapped (max_concurrency 1): \(gaps)")
            #expect(gaps.allSatisfy { $0 >= 0.25 - 0.05 }, "spaced below 1/rate_limit: \(gaps)")
        }
    }

    /// Only campus-a sends; campus-b runs beside it, idle. campus-a is alone on the channel and has its whole
    /// limits at once: with `max_concurrency: 3` and each answer held a second, its requests overlap three at once
    /// (never more). A share taken by campus-b's mere presence, or a wait before a share rises, fails it.
    @Test func aNodeSendingAloneIsNotSlowedByAnIdleNode() async throws {
        try await Self.withTwoNodes(delay: 1, channel: { Self.sms($0, timeout: "5s", limits: "max_concurrency: 3") }) { bed, other in
            let sent = try await bed.daemon.ctl(arguments: Self.send)
            let incident = try #require(sent.jsonLines.first?["incident"] as? String, "\(sent)")
            let finished = try await bed.daemon.waitForFinish(incident, timeout: .seconds(60))
            #expect(finished.deliveries.allSatisfy { $0.state == "delivered" }, "\(finished)\n\(bed.daemon.log())")
            let times = bed.receiver.requests(path: Self.path).map(\.time).sorted()
            #expect(times.count == 6, "one request per delivery: \(times.count)")
            // Answers held 1 s: requests that start within 0.9 s of one another were in flight together.
            #expect(Self.mostAtOnce(times, lasting: 0.9) == 3, "campus-a did not have its whole max_concurrency: \(times)")
            #expect(!other.log().contains("deliveries taken over"))
        }
    }

    /// The most requests started within `lasting` seconds of one another (so in flight together).
    private static func mostAtOnce(_ times: [Double], lasting: Double) -> Int {
        times.map { start in times.filter { $0 >= start && $0 < start + lasting }.count }.max() ?? 0
    }
}
