import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// A send that is not followed (`--no-wait`) is answered with counts, not a line per delivery; identical bodies are
/// stored once; what the CLI prints stays the same.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct BriefSendTests {
    private func makeBed() async throws -> TestBed {
        let bed = try await TestBed { receiver in
            TestConfig(channels: [
                .init("ops", url: receiver.url("/ops")), .init("screens", url: receiver.url("/screens")),
                .init("signed", url: receiver.url("/signed"), secret: TestConfig.makeSecret()),
            ])
        }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        return bed
    }

    @Test func noWaitPrintsTheCountsFromABriefAnswerAndEveryChannelReceivesTheSameBytes() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }

        let text = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait")
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("stored: 3 deliveries (Actual)"), "\(text.stdout)")

        let json = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--no-wait", "--json")
        #expect(json.status == 0, "\(json)")
        let lines = json.jsonLines
        #expect(lines.count == 2, "accepted, then the summary")
        #expect(lines.first?["deliveries"] as? Int == 3)
        let summary = try #require(lines.last)
        #expect(summary["event"] as? String == "summary")
        let delivered = try #require(summary["delivered"] as? Int)
        let failed = try #require(summary["failed"] as? Int)
        let pending = try #require(summary["pending"] as? Int)
        #expect(delivered + failed + pending == 3)
        #expect(summary["finished"] as? Bool == (pending == 0))

        let allDelivered = try await waitUntil { bed.receiver.requests(path: "/ops").count == 2 && bed.receiver.requests(path: "/screens").count == 2 && bed.receiver.requests(path: "/signed").count == 2 }
        #expect(allDelivered)
        // Three channels, two sends: one stored body per send, and each channel got exactly those bytes.
        let payloads = try await runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", bed.daemon.databasePath, "SELECT count(*) FROM payload"])
        #expect(payloads.stdout == "2\n", "\(payloads)")
        for index in 0..<2 {
            let bodies = Set(["/ops", "/screens", "/signed"].map { bed.receiver.requests(path: $0)[index].body })
            #expect(bodies.count == 1)
        }
    }

    @Test func theDaemonAnswersBrieflyOnlyWhenAsked() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }

        let brief = try await bed.daemon.withClient {
            try $0.call(.send, SendParams(template: "evacuation", variables: ["building": "Pavillon A"], brief: true), as: IncidentStatus.self)
        }
        #expect(brief.deliveries.isEmpty)
        #expect(brief.summary.counts.values.reduce(0, +) == 3, "\(brief.summary.counts)")
        let whole = try await bed.daemon.withClient {
            try $0.call(.send, SendParams(template: "evacuation", variables: ["building": "Pavillon B"]), as: IncidentStatus.self)
        }
        #expect(whole.deliveries.count == 3, "a client that does not ask gets every delivery, as before")
        #expect(Set(whole.deliveries.map(\.channel)) == ["ops", "screens", "signed"])
    }
}
