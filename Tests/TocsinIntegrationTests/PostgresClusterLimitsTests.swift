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

    /// A Twilio channel with six recipients, `max_concurrency: 1` and `rate_limit: 4`, pointing at `receiver`.
    private static func sms(_ receiver: LoopbackReceiver) -> TestConfig.Channel {
        var sms = TestConfig.Channel("sms", url: "", timeout: "1s", extra: """
                api_base: "\(receiver.url("/twilio"))"
                account_sid: \(sid)
                auth_token: test-token
                from: "+15145550000"
                to: ["+15145551001", "+15145551002", "+15145551003", "+15145551004", "+15145551005", "+15145551006"]
                rate_limit: 4
                max_concurrency: 1

            """)
        sms.type = "twilio-sms"
        return sms
    }

    /// Both nodes send a fan-out to the channel at once; each holds its own six deliveries (born leased to it). The
    /// receiver holds every answer 300 ms: with the limits shared, no two requests overlap and none starts within
    /// 250 ms (1 / rate) of the one before; each node applying the whole limits sends two at once.
    @Test func twoNodesSendingToOneChannelAtOnceStayWithinItsLimits() async throws {
        try await PostgresServer.withDatabase("tocsin_limits") { server, database in
            var channels: [TestConfig.Channel] = []
            let answer: [[String: Any]] = [["status": 201, "body": #"{"sid":"SM1","status":"queued"}"#, "delay": 0.3]]
            let bed = try await TestBed(plan: [Self.path: answer]) { receiver in
                channels = [Self.sms(receiver)]
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
            let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
            #expect(approve.status == 0, "\(approve)")

            let arguments = ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json"]
            async let fromA = bed.daemon.ctl(arguments: arguments)
            async let fromB = other.ctl(arguments: arguments)
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
            let gaps = zip(times, times.dropFirst()).map { $1 - $0 }
            // A small tolerance for the receiver's clock reads (it records a request once its body is read).
            #expect(gaps.allSatisfy { $0 >= 0.3 - 0.05 }, "two requests overlapped (max_concurrency 1): \(gaps)")
            #expect(gaps.allSatisfy { $0 >= 0.25 - 0.05 }, "spaced below 1/rate_limit: \(gaps)")
            #expect(try await other.ctl("audit", "verify").status == 0)
        }
    }
}
