import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// The officer's send when the answer never comes back: tocsind stored and sent the alert, the connection broke
/// before she heard so. Asking again with the send's request key finds that incident; nobody is alerted twice.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct RequestKeyTests {
    private func makeBed() async throws -> TestBed {
        let bed = try await TestBed { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("screens", url: receiver.url("/screens"))])
        }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)
        return bed
    }

    private func incidents(_ bed: TestBed) async throws -> Int {
        let count = try await runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", bed.daemon.databasePath, "SELECT count(*) FROM incident"])
        return Int(count.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// Every channel got the alert exactly once, once every delivery is final.
    private func expectDeliveredOnce(_ bed: TestBed) async throws {
        let incident = try #require(try await bed.daemon.withClient { try $0.call(.incidentList, ListParams(), as: [IncidentSummary].self) }.first)
        _ = try await bed.daemon.waitForFinish(incident.incident)
        #expect(bed.receiver.requests(path: "/ops").count == 1 && bed.receiver.requests(path: "/screens").count == 1,
                "ops \(bed.receiver.requests(path: "/ops").count), screens \(bed.receiver.requests(path: "/screens").count)")
        #expect(try await incidents(bed) == 1)
    }

    @Test func aLostAnswerIsAskedForAgainWithTheSameKeyAndTheAlertGoesOutOnce() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let proxy = try AnswerLosingProxy(in: bed.directory, target: bed.daemon.socketPath)
        defer { proxy.close() }

        let send = try await runCommand(
            PackagePaths.tocsinctl, ["send", "evacuation", "--set", "building=Pavillon A", "--yes"],
            environment: bed.daemon.ctlEnvironment.merging(["TOCSIN_SOCKET": proxy.path]) { $1 }
        )
        #expect(proxy.lostAnAnswer, "the first answer was lost on the way back")
        #expect(send.status == 0, "\(send)")
        #expect(send.stdout.contains("This send was already stored (same request key): nothing went out again."), "\(send.stdout)")
        try await expectDeliveredOnce(bed)
        let audit = try await bed.daemon.ctl("audit", "log", "--json")
        #expect(audit.stdout.contains("incident.repeat"), "the second request is on the record, as a repeat")
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
    }

    @Test func whenTocsindStaysOutOfReachTheOperatorIsGivenTheKeyToAskAgainSafely() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let proxy = try AnswerLosingProxy(in: bed.directory, target: bed.daemon.socketPath, refuseAfterLoss: true)
        defer { proxy.close() }

        let arguments = ["send", "evacuation", "--set", "building=Pavillon A", "--yes"]
        let lost = try await runCommand(
            PackagePaths.tocsinctl, arguments, environment: bed.daemon.ctlEnvironment.merging(["TOCSIN_SOCKET": proxy.path]) { $1 }
        )
        #expect(lost.status == 3, "\(lost)")
        #expect(lost.stderr.contains("the connection to tocsind was lost") && lost.stderr.contains("The send may have been stored"), "\(lost.stderr)")
        let match = try #require(lost.stderr.firstMatch(of: /--request-key ([0-9A-F-]{36})/), "the key to ask again with: \(lost.stderr)")
        let key = String(match.output.1)

        // The command again with that key: the incident the lost answer was about, nothing sent a second time.
        let again = try await bed.daemon.ctl(arguments: arguments + ["--request-key", key])
        #expect(again.status == 0, "\(again)")
        #expect(again.stdout.contains("already stored (same request key)"), "\(again.stdout)")
        try await expectDeliveredOnce(bed)

        // The same key for another send is refused, in the operator's language, and nothing goes out.
        let other = try await bed.daemon.ctl(arguments: ["--lang", "fr", "send", "evacuation", "--set", "building=Pavillon B", "--yes", "--request-key", key])
        #expect(other.status == 4, "\(other)")
        #expect(other.stderr.contains("a déjà servi à un autre envoi") && other.stderr.contains("rien n'a été envoyé"), "\(other.stderr)")
        let malformed = try await bed.daemon.ctl(arguments: arguments + ["--request-key", "x y"])
        #expect(malformed.status == 2 && malformed.stderr.contains("a UUID fits"), "\(malformed)")
        #expect(try await incidents(bed) == 1, "neither refusal stored anything to send")
    }

    /// Without a client that retries: the same request twice on the socket, as a script would send it.
    @Test func theSameRequestTwiceOnTheSocketIsAnsweredWithOneIncident() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let params = SendParams(template: "evacuation", variables: ["building": "Pavillon A"], requestKey: "script-run-2026-12-08-0001")
        let first = try await bed.daemon.withClient { try $0.call(.send, params, as: IncidentStatus.self) }
        let second = try await bed.daemon.withClient { try $0.call(.send, params, as: IncidentStatus.self) }
        #expect(first.repeated == nil && second.repeated == true)
        #expect(second.summary.incident == first.summary.incident && Set(second.deliveries.map(\.id)) == Set(first.deliveries.map(\.id)))
        try await expectDeliveredOnce(bed)
    }
}
