import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// `tocsinctl channels list` and `channels test`: know a channel works before the day it is needed.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ChannelCheckTests {
    @Test func channelTestSendsACAPTestMessageAndShowsTheAnswer() async throws {
        let bed = try await TestBed(plan: ["/broken": [["status": 404, "body": "{\"error\":\"no such hook\"}"]]]) { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("broken", url: receiver.url("/broken"))])
        }
        defer { bed.tearDown() }
        let ok = try await bed.daemon.ctl("channels", "test", "ops")
        #expect(ok.status == 0, "\(ok)")
        #expect(ok.stdout.contains("HTTP 200"))
        #expect(ok.stdout.contains("The channel works."))
        let data = try #require(bed.receiver.requests(path: "/ops").first?.json?["data"] as? [String: Any])
        #expect(data["status"] as? String == "Test")
        let messages = try #require(data["messages"] as? [[String: Any]])
        #expect((messages.first?["title"] as? String)?.hasPrefix("TEST — Vérification du canal ops") == true)

        let broken = try await bed.daemon.ctl("channels", "test", "broken")
        #expect(broken.status == 1, "\(broken)")
        #expect(broken.stdout.contains("HTTP 404"))
        #expect(broken.stdout.contains("no such hook"))
        #expect(try await bed.daemon.ctl("channels", "test", "nope").status == 2)
    }

    @Test func channelsListMasksSecretsAndShowsLastSuccessAndError() async throws {
        let secret = TestConfig.makeSecret()
        let bed = try await TestBed(plan: ["/down/T0K3N-in-path": [["status": 400]]]) { receiver in
            TestConfig(channels: [
                .init("ops", url: receiver.url("/hooks/SECRET-PATH-TOKEN?key=QUERYSECRET"), secret: secret,
                      extra: "    headers: { Authorization: \"Bearer HEADER-TOKEN\" }\n"),
                .init("down", url: receiver.url("/down/T0K3N-in-path")),
            ])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("channels", "test", "ops")
        _ = try await bed.daemon.ctl("channels", "test", "down")

        let list = try await bed.daemon.ctl("channels", "list")
        #expect(list.status == 0)
        #expect(list.stdout.contains("http://127.0.0.1:\(bed.receiver.port)/•••"))
        for leaked in ["SECRET-PATH-TOKEN", "QUERYSECRET", "HEADER-TOKEN", "T0K3N-in-path", secret] {
            #expect(!list.stdout.contains(leaked), "channels list shows \(leaked)")
        }
        let json = try await bed.daemon.ctl("channels", "list", "--json")
        let channels = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        let ops = try #require(channels.first { $0["name"] as? String == "ops" })
        #expect(ops["lastDeliveredAt"] is String)
        let down = try #require(channels.first { $0["name"] as? String == "down" })
        #expect(down["lastDeliveredAt"] == nil)
        #expect((down["lastError"] as? String)?.contains("HTTP 400") == true)
        #expect(!json.stdout.contains("T0K3N-in-path"), "the error text names no secret path either")
    }
}
