import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// A channel's `rate_limit` paces its own recipients and never holds up another channel.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct RateLimitTests {
    @Test func aRateLimitedSMSChannelIsPacedAndDoesNotDelayTheOthers() async throws {
        let sid = "AC00000000000000000000000000000001"
        let smsPath = "/twilio/2010-04-01/Accounts/\(sid)/Messages.json"
        let bed = try await TestBed(plan: [smsPath: [["status": 201, "body": #"{"sid":"SM1","status":"queued"}"#]]]) { receiver in
            var sms = TestConfig.Channel("sms", url: "", extra: """
                    api_base: "\(receiver.url("/twilio"))"
                    account_sid: \(sid)
                    auth_token: test-token
                    from: "+15145550000"
                    to: ["+15145551001", "+15145551002", "+15145551003", "+15145551004", "+15145551005", "+15145551006"]
                    rate_limit: 4
                    max_concurrency: 6

                """)
            sms.type = "twilio-sms"
            return TestConfig(channels: [sms, .init("ops", url: receiver.url("/ops"))])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 0, "\(send)")

        let texts = bed.receiver.requests(path: smsPath)
        #expect(texts.count == 6, "one delivery per recipient")
        // 4 per second: six starts need at least 5 intervals of 250 ms. A lower bound, so a slow machine cannot fail it.
        let span = (texts.map(\.time).max() ?? 0) - (texts.map(\.time).min() ?? 0)
        #expect(span >= 1.2, "paced by rate_limit: \(span) s")
        // Ordering, not timing: the webhook arrived before the SMS channel had worked through its recipients.
        let ops = try #require(bed.receiver.requests(path: "/ops").first)
        #expect(ops.time < (texts.map(\.time).max() ?? 0))
    }
}
