import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// On a terminal, `send`/`drill`/`update` ask for each missing required value (issue 16, item 5); the terminal is a
/// real pseudo-terminal (python3's pty module), answered as each question appears.
@Suite(.serialized, .integration, .timeLimit(.minutes(4)))
struct PromptForMissingTests {
    /// A template with a free required value, beside `evacuation` (a list of allowed values).
    static let noticeTemplate = """
        id: notice
        category: Safety
        severity: Moderate
        urgency: Expected
        certainty: Likely
        route: campus
        drill_route: drill
        variables:
          area: { required: true, max_length: 40 }
        event: { fr: Avis, en: Notice }
        title: { fr: "AVIS — {{area}}", en: "NOTICE — {{area}}" }
        body: { fr: "Évitez {{area}}.", en: "Avoid {{area}}." }

        """

    private func makeBed() async throws -> TestBed {
        try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.templates["notice"] = Self.noticeTemplate
            return config
        }
    }

    /// Runs `tocsinctl arguments` on a pseudo-terminal: for each step, waits until `expect` has been printed (after
    /// the previous step's), then types `answer`. Output is stdout and stderr together, as a terminal shows them.
    static let driver = #"""
        import json, os, pty, select, sys
        argv, steps, env = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(argv[0], argv, {**os.environ, **env})
        out, start = b"", 0
        def read():
            global out
            # A hang guard, not a measure: a program waiting for an answer the test never gives is killed.
            if not select.select([fd], [], [], 60)[0]:
                sys.stderr.write("DRIVER: nothing printed for 60 s\n")
                os.kill(pid, 9)
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            out += chunk
            return bool(chunk)
        for expect, answer in steps:
            needle = expect.encode()
            while out.find(needle, start) < 0:
                if not read():
                    sys.stderr.write("DRIVER: the program ended before printing %r\n" % expect)
                    sys.stdout.buffer.write(out)
                    sys.exit(100)
            start = out.find(needle, start) + len(needle)
            os.write(fd, answer.encode())
        while read():
            pass
        _, status = os.waitpid(pid, 0)
        sys.stdout.buffer.write(out)
        sys.exit(os.waitstatus_to_exitcode(status))
        """#

    private func onTerminal(
        _ bed: TestBed, _ arguments: [String], steps: [(String, String)], environment: [String: String] = [:]
    ) async throws -> CommandResult {
        let argv = try String(decoding: JSONSerialization.data(withJSONObject: [PackagePaths.tocsinctl] + arguments), as: UTF8.self)
        let answers = try String(decoding: JSONSerialization.data(withJSONObject: steps.map { [$0.0, $0.1] }), as: UTF8.self)
        let env = try String(decoding: JSONSerialization.data(withJSONObject: ["TOCSIN_SOCKET": bed.daemon.socketPath, "TERM": "xterm", "NO_COLOR": ""].merging(environment) { $1 }), as: UTF8.self)
        return try await runCommand("/usr/bin/env", ["python3", "-c", Self.driver, argv, answers, env])
    }

    private func incidentCount(_ bed: TestBed) async throws -> Int {
        try await bed.daemon.withClient { try $0.call(.incidentList, ListParams(limit: 100), as: [IncidentSummary].self) }.count
    }

    @Test func aLiveSendAsksForTheMissingBuildingFromTheNumberedListThenConfirmsInRed() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let result = try await onTerminal(bed, ["send", "evacuation", "--lang", "en"], steps: [
            ("Type the number or the value: ", "9\n"),
            ("Neither a number from 1 to 2 nor a value of the list.", "pavillon b\n"),
            ("Type SEND (or ENVOYER)", "SEND\n"),
        ])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("Missing value: building (required)"), "\(result.stdout)")
        #expect(result.stdout.contains("  1) Pavillon A") && result.stdout.contains("  2) Pavillon B"), "\(result.stdout)")
        // On a terminal the live banner is red (bold white on red), the drill screen never is.
        #expect(result.stdout.contains("\u{1B}[1;97;41m  *** ALERTE RÉELLE — LIVE ALERT ***\u{1B}[0m"), "\(result.stdout)")
        let request = try #require(bed.receiver.requests(path: "/ops").first)
        #expect(request.body.contains("ÉVACUATION — Pavillon B"), "the value as listed, whatever its case: \(request.body)")

        // NO_COLOR: the same banner, plain.
        let plain = try await onTerminal(bed, ["send", "evacuation", "--lang", "en"], steps: [
            ("Type the number or the value: ", "1\n"), ("Type SEND (or ENVOYER)", "envoyer\n"),
        ], environment: ["NO_COLOR": "1"])
        #expect(plain.status == 0, "\(plain)")
        #expect(plain.stdout.contains("*** ALERTE RÉELLE — LIVE ALERT ***"), "\(plain.stdout)")
        #expect(!plain.stdout.contains("\u{1B}[1;97;41m"), "\(plain.stdout)")
        #expect(bed.receiver.requests(path: "/ops").count == 2)
    }

    @Test func aDrillAsksForAFreeValueAndRefusesABlankOne() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let result = try await onTerminal(bed, ["drill", "notice", "--lang", "fr"], steps: [
            ("Tapez la valeur de area : ", "   \n"),
            ("Une valeur est obligatoire.", "Gymnase\n"),
            ("Tapez EXERCICE (ou DRILL)", "exercice\n"),
        ])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("\u{1B}[1;97;41m"), "a drill is never shown in the live colours")
        #expect(result.stdout.contains("DRILL — nobody was alerted for real."), "\(result.stdout)")
        let request = try #require(bed.receiver.requests(path: "/ops").first)
        #expect(request.body.contains("AVIS — Gymnase"), "\(request.body)")
    }

    @Test func anUpdateAsksOnlyForWhatTheThreadDoesNotCarry() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String)
        // `building` carries over from the drill; `area` (of the update's template) does not, so only it is asked.
        let result = try await onTerminal(bed, ["update", incident, "notice", "--lang", "en"], steps: [
            ("Type the value of area: ", "Pavillon A, aile nord\n"),
            ("Type UPDATE (or MISE À JOUR)", "update\n"),
        ])
        #expect(result.status == 0, "\(result)")
        #expect(!result.stdout.contains("Missing value: building"), "\(result.stdout)")
        let request = try #require(bed.receiver.requests(path: "/ops").last)
        #expect(request.body.contains("Pavillon A, aile nord"), "\(request.body)")
    }

    @Test func threeWrongAnswersOrTheEndOfInputSendNothing() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let wrong = try await onTerminal(bed, ["drill", "evacuation", "--lang", "en"], steps: [
            ("Type the number or the value: ", "Pavillon Z\n"),
            ("Neither a number", "0\n"),
            ("Neither a number", "3\n"),
        ])
        #expect(wrong.status == 2, "\(wrong)")
        #expect(wrong.stdout.contains("No valid value for building. Nothing was sent; run it again with --set building=…"), "\(wrong.stdout)")
        let ended = try await onTerminal(bed, ["drill", "evacuation", "--lang", "en"], steps: [("Type the number or the value: ", "\u{04}")])
        #expect(ended.status == 2, "\(ended)")
        #expect(ended.stdout.contains("No answer (end of input). Nothing was sent."), "\(ended.stdout)")
        #expect(try await incidentCount(bed) == 0)
        #expect(bed.receiver.requests().isEmpty)
    }

    @Test func withoutATerminalNothingIsAskedAndNothingSent() async throws {
        let bed = try await makeBed()
        defer { bed.tearDown() }
        let piped = try await bed.daemon.ctl(arguments: ["drill", "evacuation", "--lang", "en"], input: "1\nDRILL\n")
        #expect(piped.status == 2, "\(piped)")
        #expect(piped.stderr.contains("missing required variable 'building'"), "\(piped.stderr)")
        #expect(!piped.stderr.contains("Missing value"), "\(piped.stderr)")
        #expect(try await incidentCount(bed) == 0)
        #expect(bed.receiver.requests().isEmpty)
    }
}
