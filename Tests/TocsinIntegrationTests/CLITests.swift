import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// The operator's command line: confirmation, validation before anything is stored, exit codes, drills.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct CLITests {
    private func makeBed() async throws -> TestBed {
        try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
    }

    private func incidentCount(_ bed: TestBed) async throws -> Int {
        try await bed.daemon.withClient { try $0.call(.incidentList, ListParams(limit: 100), as: [IncidentSummary].self) }.count
    }

    @Test func aWrongConfirmationSendsNothingAndExits2() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--lang", "en", input: "evacuatoin\n")
        #expect(send.status == 2, "\(send)")
        #expect(send.stderr.contains("LIVE ALERT"))
        #expect(send.stderr.contains("Nothing was sent"))
        #expect(try await incidentCount(bed) == 0)
        #expect(bed.receiver.requests().isEmpty)
    }

    @Test func endOfInputAtTheConfirmationSendsNothing() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", input: "")
        #expect(send.status == 2)
        #expect(try await incidentCount(bed) == 0)
    }

    @Test func typingTheVerbsWordConfirms() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", input: "ENVOYER\n")
        #expect(send.status == 0, "\(send)")
        #expect(send.stderr.contains("[fr] ÉVACUATION — Pavillon A"), "the confirmation shows the rendered text")
        #expect(bed.receiver.requests(path: "/ops").count == 1)
    }

    @Test func anUnapprovedTemplateIsRefusedBeforeTheConfirmationAndCanStillBePreviewed() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--lang", "en", input: "SEND\n")
        #expect(send.status == 4, "\(send)")
        #expect(!send.stderr.contains("Type SEND"), "no confirmation is asked for what cannot be sent")
        #expect(send.stderr.contains("An approver must review it and run: tocsinctl templates approve evacuation"), "the next step: \(send.stderr)")
        let preview = try await bed.daemon.ctl("preview", "evacuation", "--set", "building=Pavillon A")
        #expect(preview.status == 0, "\(preview)")
        #expect(preview.stdout.contains("PREVIEW — nothing is sent"))
        #expect(preview.stdout.contains("NOT approved"))
        #expect(!preview.stdout.contains("LIVE ALERT"))
    }

    @Test func aLiveSendOfAnUnapprovedTemplateIsRefusedWithExit4() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
        #expect(send.status == 4, "\(send)")
        #expect(send.stderr.contains("not approved"))
        #expect(send.stderr.contains("tocsinctl templates approve evacuation"))
        #expect(try await incidentCount(bed) == 0)
    }

    @Test(arguments: [
        (["send", "evacuation", "--yes"], "missing required variable 'building'"),
        (["send", "evacuation", "--set", "building=Pavillon Z", "--yes"], "not an allowed value"),
        (["send", "evacuation", "--set", "building=Pavillon A", "--set", "floor=3", "--yes"], "unknown variable 'floor'"),
        (["send", "no-such-template", "--yes"], "no template 'no-such-template'"),
        (["send", "evacuation", "--set", "building", "--yes"], "--set takes name=value"),
        (["send", "evacuation", "--set", "building=Pavillon A", "--route", "nowhere", "--yes"], "no route 'nowhere'"),
    ])
    func badInputIsRefusedBeforeAnythingIsStored(arguments: [String], message: String) async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let result = try await bed.daemon.ctl(arguments: arguments)
        #expect(result.status == 2, "\(result)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(try await incidentCount(bed) == 0)
        #expect(bed.receiver.requests().isEmpty)
    }

    @Test func anUnreachableDaemonExits3() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let result = try await runCommand(PackagePaths.tocsinctl, ["status"], environment: englishScreens.merging(["TOCSIN_SOCKET": directory.file("nothing.sock")]) { $1 })
        #expect(result.status == 3)
        #expect(result.stderr.contains("is tocsind running"))
    }

    /// A daemon that takes the request and never answers (stuck on a dying disk, say): the CLI says so after its
    /// limit, with exit 3 and what to check before sending again, instead of a silent terminal.
    /// `TOCSIN_ANSWER_TIMEOUT` shortens the limit (120 s) for the test; nothing is timed.
    @Test func aDaemonThatNeverAnswersIsSaidWithExit3() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mute = try MuteSocket(in: directory)
        defer { mute.close() }
        let environment = ["TOCSIN_SOCKET": mute.path, "TOCSIN_ANSWER_TIMEOUT": "1"]
        let send = try await runCommand(
            PackagePaths.tocsinctl, ["send", "evacuation", "--set", "building=Pavillon A", "--yes"],
            environment: englishScreens.merging(environment) { $1 }
        )
        #expect(send.status == 3, "\(send)")
        #expect(send.stderr.contains("did not answer within 1 s"), "\(send)")
        #expect(send.stderr.contains("check with `tocsinctl status` before sending again"), "\(send)")
        #expect(send.stderr.contains("To ask again without sending twice, run the same command adding --request-key "), "\(send)")
        let french = try await runCommand(PackagePaths.tocsinctl, ["status"], environment: environment.merging(["LANG": "fr_FR.UTF-8"]) { $1 })
        #expect(french.status == 3 && french.stderr.contains("tocsind n'a pas répondu en 1 s"), "\(french)")
        // No language named and none learned from the daemon (it never answered the question either): both.
        let neither = try await runCommand(
            PackagePaths.tocsinctl, ["send", "evacuation", "--set", "building=Pavillon A", "--yes"],
            environment: environment.merging(["LANG": "C.UTF-8", "LC_ALL": "", "LC_MESSAGES": ""]) { $1 }
        )
        #expect(neither.status == 3, "\(neither)")
        #expect(neither.stderr.contains("tocsind n'a pas répondu en 1 s") && neither.stderr.contains("did not answer within 1 s"), "\(neither)")
    }

    @Test func aDrillOfAnUnapprovedTemplateGoesOutMarkedInBothLanguages() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon B", input: "EXERCICE\n")
        #expect(drill.status == 0, "\(drill)")
        #expect(drill.stderr.contains("EXERCICE / DRILL"))
        #expect(!drill.stderr.contains("LIVE ALERT"))
        #expect(drill.stderr.contains("NOT approved"))
        let body = try #require(bed.receiver.requests(path: "/ops").first?.json?["data"] as? [String: Any])
        #expect(body["status"] as? String == "Exercise")
        #expect(body["approved"] as? Bool == false)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect((messages[0]["title"] as? String)?.hasPrefix("EXERCICE — ") == true)
        #expect((messages[0]["body"] as? String)?.hasPrefix("Ceci est un exercice.") == true)
        #expect((messages[1]["title"] as? String)?.hasPrefix("EXERCISE — ") == true)
        #expect((messages[1]["body"] as? String)?.hasPrefix("This is a drill.") == true)
    }

    @Test func previewTemplatesAndStatusSpeakJSON() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let list = try await bed.daemon.ctl("templates", "list", "--json")
        #expect(list.status == 0)
        #expect(list.stdout.contains("\"approval\" : \"unapproved\""))
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        #expect(try await bed.daemon.ctl("templates", "list").stdout.contains("approved"))
        let preview = try await bed.daemon.ctl("preview", "evacuation", "--set", "building=Pavillon A", "--json")
        #expect(preview.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(preview.stdout.utf8)) as? [String: Any])
        #expect(object["deliveries"] as? Int == 1)
        #expect(try await incidentCount(bed) == 0, "a preview stores nothing")
        let show = try await bed.daemon.ctl("templates", "show", "evacuation")
        #expect(show.stdout.contains("{{building}} required"))
        let status = try await bed.daemon.ctl("status", "--json")
        #expect(status.status == 0)
        #expect(status.stdout.contains("configFingerprint"))
    }
}

/// The live progress of a send: plain lines for pipes and logs, a table redrawn in place on a terminal.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ProgressViewTests {
    private func makeBed() async throws -> TestBed {
        let bed = try await TestBed(plan: ["/flaky": [["status": 500], ["status": 200]]]) { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops")), .init("flaky", url: receiver.url("/flaky"))])
        }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        return bed
    }

    @Test func progressIsOnePlainLinePerChangeWhenNotATerminal() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
        #expect(send.status == 0, "\(send)")
        #expect(send.stdout.contains("  retrying   flaky (attempt 1): HTTP 500"))
        #expect(send.stdout.contains("  delivered  flaky (attempt 2, HTTP 200"), "the number of the attempt that delivered")
        #expect(send.stdout.contains("  delivered  ops (attempt 1, HTTP 200"))
        #expect(!send.stdout.contains("\u{1B}["), "no terminal control sequences in a pipe")
    }

    @Test(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/usr/bin/script")), "needs script(1) to give the CLI a terminal"))
    func progressIsRedrawnInPlaceOnATerminal() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let command = "\(PackagePaths.tocsinctl) send evacuation --set 'building=Pavillon A' --yes"
        let result = try await runCommand("/usr/bin/script", ["-qec", command, "/dev/null"], environment: bed.daemon.ctlEnvironment)
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("\u{1B}[J"), "the rows below the cursor are cleared and redrawn (wrapped rows included)")
        #expect(result.stdout.contains("\u{1B}[2A"), "the cursor goes back up over the two channel rows")
        #expect(result.stdout.contains("All 2 deliveries delivered"))
    }
}
