import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// Updates and all-clears reference the first incident; cancel stops retries.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct FollowUpTests {
    private func data(_ request: LoopbackReceiver.Request) throws -> [String: Any] {
        try #require(request.json?["data"] as? [String: Any])
    }

    @Test func updateAndAllClearReferenceTheFirstIncidentOverTheSameChannels() async throws {
        let bed = try await TestBed { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("staff", url: receiver.url("/staff"))],
                       routes: ["campus": ["ops", "staff"], "drill": ["ops"], "other": ["staff"]])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        _ = try await bed.daemon.ctl("templates", "approve", "all-clear", "--yes")

        let first = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        let incident = try #require(first.jsonLines.first?["incident"] as? String)
        let update = try await bed.daemon.ctl("update", incident, "evacuation", "--set", "assembly_point=Gymnase", "--yes", "--json")
        #expect(update.status == 0, "\(update)")
        let updateID = try #require(update.jsonLines.first?["incident"] as? String)
        let clear = try await bed.daemon.ctl("all-clear", updateID, "--yes", "--json")
        #expect(clear.status == 0, "\(clear)")

        let requests = bed.receiver.requests(path: "/ops")
        #expect(requests.count == 3)
        let original = try data(requests[0])
        let sent = try #require(original["sent"] as? String)
        let reference = "alertes@cegep.example,\(incident),\(sent)"
        let updated = try data(requests[1])
        #expect(updated["msgType"] as? String == "Update")
        #expect(updated["references"] as? [String] == [reference])
        #expect(updated["status"] as? String == "Actual")
        let messages = try #require(updated["messages"] as? [[String: Any]])
        #expect((messages[0]["title"] as? String)?.hasPrefix("MISE À JOUR — ÉVACUATION") == true, "an update says so")
        #expect((messages[1]["title"] as? String)?.hasPrefix("UPDATE — EVACUATION") == true)
        #expect((messages[0]["body"] as? String)?.contains("Pavillon B") == true, "values carry over")
        #expect((messages[0]["body"] as? String)?.contains("Gymnase") == true)
        let cleared = try data(requests[2])
        #expect(cleared["msgType"] as? String == "Cancel")
        #expect(cleared["references"] as? [String] == [reference], "a follow-up of a follow-up references the first message")
        #expect(cleared["template"] as? String == "all-clear")
        #expect(((cleared["messages"] as? [[String: Any]])?.first?["title"] as? String) == "FIN D'ALERTE — Pavillon B")
        #expect(bed.receiver.requests(path: "/staff").count == 3, "follow-ups go over the incident's route")
        #expect(try await bed.daemon.ctl("status", updateID).stdout.contains("follows up \(incident)"))
    }

    /// The operator checks what moved before confirming an update, and a later update keeps what the last one said.
    @Test func anUpdateShowsWhatChangedAndTheNextOneKeepsIt() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let first = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        let incident = try #require(first.jsonLines.first?["incident"] as? String)

        // Declined at the prompt: the screen named the change, nothing was sent.
        let asked = try await bed.daemon.ctl("update", incident, "evacuation", "--set", "assembly_point=Stationnement P3", input: "no\n")
        #expect(asked.status == 2, "\(asked)")
        #expect(asked.stderr.contains("Changed since \(incident):"), "\(asked.stderr)")
        #expect(asked.stderr.contains("assembly_point: Stationnement P1 → Stationnement P3"), "\(asked.stderr)")
        #expect(!asked.stderr.contains("building:"), "an unchanged value is not listed")
        #expect(bed.receiver.requests(path: "/ops").count == 1)

        let update = try await bed.daemon.ctl("update", incident, "evacuation", "--set", "assembly_point=Stationnement P3", "--yes", "--json")
        let updateID = try #require(update.jsonLines.first?["incident"] as? String, "\(update)")
        // The next update, with nothing typed: the assembly point stays where the last message put it.
        let again = try await bed.daemon.ctl("update", incident, "evacuation", input: "no\n")
        #expect(again.stderr.contains("Changed:  nothing since \(updateID)"), "\(again.stderr)")
        #expect(again.stderr.contains("assembly_point=\"Stationnement P3\""), "\(again.stderr)")
        let second = try await bed.daemon.ctl("update", incident, "evacuation", "--yes", "--json")
        #expect(second.status == 0, "\(second)")
        let requests = bed.receiver.requests(path: "/ops")
        #expect(requests.count == 3)
        let body = try ((data(requests[2])["messages"] as? [[String: Any]])?.first?["body"] as? String) ?? ""
        #expect(body.contains("Stationnement P3") && !body.contains("Stationnement P1"), "\(body)")
    }

    @Test func aDrillsAllClearIsADrillAndNeedsNoApproval() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String)
        let clear = try await bed.daemon.ctl("all-clear", incident, input: "FIN\n")
        #expect(clear.status == 0, "\(clear)")
        #expect(clear.stderr.contains("EXERCICE / DRILL"))
        let last = try data(try #require(bed.receiver.requests(path: "/ops").last))
        #expect(last["status"] as? String == "Exercise")
        #expect(last["msgType"] as? String == "Cancel")
        let title = try #require((last["messages"] as? [[String: Any]])?.first?["title"] as? String)
        #expect(title.hasPrefix("EXERCICE — "))
    }

    @Test func aLiveAllClearOfAnUnapprovedTemplateIsRefused() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        let clear = try await bed.daemon.ctl("all-clear", incident, "--yes")
        #expect(clear.status == 4, "\(clear)")
        #expect(try await bed.daemon.ctl("update", "NO-SUCH-INCIDENT", "evacuation", "--yes").status == 2)
    }

    @Test func cancelStopsRetriesAgainstAFailingReceiver() async throws {
        let bed = try await TestBed(plan: ["/down": [["status": 503]]]) { receiver in
            TestConfig(channels: [.init("down", url: receiver.url("/down"))])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        try await bed.receiver.waitForRequests(2, path: "/down")

        let cancel = try await bed.daemon.ctl("cancel", incident, input: "CANCEL\n")
        #expect(cancel.status == 0, "\(cancel)")
        let final = try await bed.daemon.waitForFinish(incident)
        #expect(final.deliveries.map(\.state) == ["cancelled"])
        let attempts = bed.receiver.requests(path: "/down").count
        // Retries run every ≤ 400 ms here; a second and a half without a new request means they stopped.
        try await Task.sleep(for: .seconds(1.5))
        #expect(bed.receiver.requests(path: "/down").count == attempts)

        let log = try await bed.daemon.ctl("audit", "log", "--subject", incident, "--json").jsonLines
        #expect(log.contains { $0["kind"] as? String == "incident.cancel" && $0["uid"] != nil })
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)
    }

    @Test func anAllClearStopsTheAlertsPendingRetries() async throws {
        let bed = try await TestBed(plan: ["/down": [["status": 503]]]) { receiver in
            TestConfig(channels: [.init("down", url: receiver.url("/down")), .init("ops", url: receiver.url("/ops"))])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        _ = try await bed.daemon.ctl("templates", "approve", "all-clear", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--no-wait", "--json")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        try await bed.receiver.waitForRequests(2, path: "/down")

        _ = try await bed.daemon.ctl("all-clear", incident, "--yes", "--no-wait")
        let original = try await bed.daemon.waitForFinish(incident)
        #expect(original.deliveries.first { $0.channel == "down" }?.state == "cancelled", "no evacuation notice after the all-clear")
        #expect(original.deliveries.first { $0.channel == "ops" }?.state == "delivered")
    }
}
