import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// What an approver and an operator see before a text goes out (issue 15, items 2 and 3): each limited channel's
/// exact text and measure, and a template that a phone would get cut refused for approval.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct PreviewTests {
    private func makeBed() async throws -> TestBed {
        try await TestBed { receiver in
            var sms = TestConfig.Channel("sms", url: "")
            sms.type = "twilio-sms"
            sms.extra = """
                    account_sid: AC0123456789abcdef0123456789abcdef
                    auth_token: "0123456789abcdef0123456789abcdef"
                    from: "+15145550000"
                    to: ["+15145551234", "+15145551235"]
                    api_base: "\(receiver.url("/twilio"))"
                    max_segments: 1
                    rate_limit: 1

                """
            return TestConfig(channels: [.init("ops", url: receiver.url("/ops")), sms])
        }
    }

    @Test func thePreviewShowsTheSMSAsItGoesAndTheCut() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let preview = try await bed.daemon.ctl("preview", "evacuation", "--set", "building=Pavillon A")
        #expect(preview.status == 0, "\(preview)")
        #expect(preview.stdout.contains("sms (twilio-sms, GSM-7, 1 segment, "), "\(preview.stdout)")
        #expect(preview.stdout.contains("/160 GSM-7 septets, 2 recipients, about 2 s to reach all at its rate limit):"), "\(preview.stdout)")
        #expect(preview.stdout.contains("SHORTENED ON SMS: PART OF THE APPROVED TEXT MAY NOT REACH THESE CHANNELS"), "\(preview.stdout)")
        #expect(!preview.stdout.contains("ops (webhook"), "a webhook gets every text whole")

        let json = try await bed.daemon.ctl("preview", "evacuation", "--set", "building=Pavillon A", "--json")
        let result = try JSONDecoder().decode(PreviewResult.self, from: Data(json.stdout.utf8))
        let sms = try #require(result.texts?.first { $0.channel == "sms" })
        #expect(sms.smsEncoding == "GSM-7" && sms.segments == 1 && sms.limit == 160 && sms.recipients == 2)

        let approve = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(approve.status == 2, "\(approve)")
        #expect(approve.stderr.contains("cannot be approved as it is; nothing was approved"), "\(approve.stderr)")
        #expect(approve.stderr.contains("does not fit channel 'sms'"), "\(approve.stderr)")
    }
}

/// A channel test seen by the public asks first (issue 15, item 9): nothing goes out unless the channel's name
/// is typed or `--yes` is given; a private channel's test does not ask.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct PublicChannelTestTests {
    @Test func aPublicTestAsksAndSendsNothingWithoutTheName() async throws {
        let bed = try await TestBed { receiver in
            var ntfy = TestConfig.Channel("ntfy-public", url: receiver.url("/ntfy"))
            ntfy.type = "ntfy"
            return TestConfig(channels: [.init("ops", url: receiver.url("/ops")), ntfy])
        }
        defer { bed.tearDown() }
        let declined = try await bed.daemon.ctl("channels", "test", "ntfy-public", input: "\n")
        #expect(declined.status == 2, "\(declined)")
        #expect(declined.stderr.contains("the public would see it") && declined.stderr.contains("le public le verrait"), "\(declined.stderr)")
        #expect(declined.stderr.contains("Nothing was sent"))
        #expect(bed.receiver.requests(path: "/ntfy").isEmpty)

        let typed = try await bed.daemon.ctl("channels", "test", "ntfy-public", input: "ntfy-public\n")
        #expect(typed.status == 0, "\(typed)")
        #expect(bed.receiver.requests(path: "/ntfy").count == 1)

        let scripted = try await bed.daemon.ctl("channels", "test", "ntfy-public", "--yes", input: "")
        #expect(scripted.status == 0, "\(scripted)")
        let privateTest = try await bed.daemon.ctl("channels", "test", "ops", input: "")
        #expect(privateTest.status == 0, "\(privateTest)")
        #expect(!privateTest.stderr.contains("public"))
    }
}
