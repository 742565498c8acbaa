import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Help that helps (issue 16, item 6): both programs answer `--version`; the bash completion script, exercised as bash
/// runs it at a TAB, completes template ids, incident ids, channel names and allowed values from a real daemon, and
/// prints nothing (and does not hang) when the daemon is down or mute; the man pages pass `man --warnings -l`;
/// `make install-man` refuses to finish without them.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct HelpTests {
    // MARK: --version

    @Test func bothProgramsAnswerVersionWithTheVersionTheDaemonReports() async throws {
        let ctl = try await runCommand(PackagePaths.tocsinctl, ["--version"])
        let daemon = try await runCommand(PackagePaths.tocsind, ["--version"])
        #expect(ctl.status == 0 && daemon.status == 0, "\(ctl)\n\(daemon)")
        let version = ctl.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(version.wholeMatch(of: /\d+\.\d+\.\d+\S*/) != nil, "a version number, not '\(version)'")
        #expect(daemon.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == version)

        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let status = try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }
        #expect(status.version == version, "status and --version read the same constant")
    }

    /// `tocsinctl` links FoundationEssentials only, not Foundation proper (nor its ICU): the Swift runtime scans every
    /// conformance record of the binary at a start's first look-ups, and Foundation's ~1,800 of them were a
    /// millisecond of each command, in a crisis too (BENCHMARKS.md, "tocsinctl without Foundation"). A file that
    /// uses `Process`, `FileHandle`, `String(format:)`, `trimmingCharacters` or a formatter brings it back.
    @Test func tocsinctlLinksNoFoundationBeyondItsEssentials() async throws {
        let binary = try Data(contentsOf: URL(fileURLWithPath: PackagePaths.tocsinctl))
        #expect(binary.count > 1_000_000, "the tocsinctl binary at \(PackagePaths.tocsinctl)")
        // A use of Foundation proper names it in the binary's symbols: `$s10Foundation…` for its types
        // (`$s10Foundation10FileHandleC`), `…10FoundationE…` for its extensions of other types (`String(format:)`),
        // `$s30FoundationInternationalization…` and ICU's own (`swift_ucal_open`) for what Foundation proper brings.
        // A static release binary holds the symbols of what it linked (as long as it is not stripped, which nothing
        // here does); a debug one, those it needs from the libraries, which `ldd` also lists.
        for mark in ["$s10Foundation", "10FoundationE", "$s30FoundationInternationalization", "swift_ucal_"] {
            let found = Self.contains(binary, Array(mark.utf8))
            #expect(!found, "tocsinctl uses Foundation proper (a symbol with \(mark))")
        }
        let libraries = try await runCommand("/usr/bin/ldd", [PackagePaths.tocsinctl])
        for library in ["libFoundation.so", "libFoundationInternationalization.so", "lib_FoundationICU.so"] {
            #expect(!libraries.stdout.contains(library), "\(libraries)")
        }
    }

    /// Whether `needle` occurs in `data`: memchr to each candidate first byte, then a compare (a Collection search
    /// of ~100 MB is slow in a debug build).
    private static func contains(_ data: Data, _ needle: [UInt8]) -> Bool {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Bool in
            guard let base = bytes.baseAddress else { return false }
            var offset = 0
            while offset + needle.count <= bytes.count {
                let span = bytes.count - offset - needle.count + 1
                guard let hit = memchr(base + offset, Int32(needle[0]), span) else { return false }
                offset = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(hit, needle, needle.count) == 0 { return true }
                offset += 1
            }
            return false
        }
    }

    // MARK: completions

    /// Runs the generated bash completion function as bash does at a TAB, with `words` as COMP_WORDS (the last one
    /// the word being completed), and returns COMPREPLY, one candidate a line, and what went to standard error.
    static func complete(_ words: [String], socket: String) async throws -> (candidates: [String], stderr: String) {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let script = try await runCommand(PackagePaths.tocsinctl, ["--generate-completion-script", "bash"])
        #expect(script.status == 0, "\(script)")
        let scriptPath = try directory.write("tocsinctl.bash", script.stdout)
        let harness = try directory.write("harness.sh", """
            source "$1"; shift
            COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
            _tocsinctl "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
            printf '%s\\n' "${COMPREPLY[@]}"

            """)
        let result = try await runCommand("/bin/bash", [harness, scriptPath, PackagePaths.tocsinctl] + words, environment: ["TOCSIN_SOCKET": socket])
        #expect(result.status == 0, "\(result)")
        return (result.stdout.split(separator: "\n").map(String.init), result.stderr)
    }

    @Test(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/bin/bash")), "needs bash"))
    func bashCompletesTemplatesIncidentsChannelsAndAllowedValuesFromTheDaemon() async throws {
        let bed = try await TestBed { receiver in
            TestConfig(channels: [.init("ops-webhook", url: receiver.url("/ops")), .init("teams-personnel", url: receiver.url("/teams"))],
                       routes: ["campus": ["ops-webhook", "teams-personnel"], "drill": ["ops-webhook"]])
        }
        defer { bed.tearDown() }
        let socket = bed.daemon.socketPath

        #expect(try await Self.complete(["send", ""], socket: socket).candidates == ["all-clear", "evacuation"])
        #expect(try await Self.complete(["drill", "ev"], socket: socket).candidates == ["evacuation"])
        #expect(try await Self.complete(["templates", "approve", "all"], socket: socket).candidates == ["all-clear"])
        #expect(try await Self.complete(["channels", "test", ""], socket: socket).candidates == ["ops-webhook", "teams-personnel"])
        #expect(try await Self.complete(["send", "evacuation", "--route", ""], socket: socket).candidates == ["campus", "drill"])
        // --set: the template's variables, then the allowed values of the one being typed.
        #expect(Set(try await Self.complete(["send", "evacuation", "--set", ""], socket: socket).candidates) == ["building=", "assembly_point="])
        #expect(try await Self.complete(["drill", "evacuation", "--set", "building=P"], socket: socket).candidates
            == ["building=Pavillon A", "building=Pavillon B"])
        // In bash, `=` splits words (COMP_WORDBREAKS) unless the word is quoted: `--set "building=P<TAB>` is the way
        // to reach the values there, and bash hands the word over with its quote.
        #expect(try await Self.complete(["send", "evacuation", "--set", "\"building=Pavillon"], socket: socket).candidates
            == ["building=Pavillon A", "building=Pavillon B"])
        // update INCIDENT TEMPLATE --set: the template is the second word.
        #expect(try await Self.complete(["update", "20260101-AAAAAA", "all-clear", "--set", "building=Pavillon"], socket: socket).candidates
            == ["building=Pavillon A", "building=Pavillon B"])

        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(drill.status == 0, "\(drill)")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String)
        #expect(try await Self.complete(["status", ""], socket: socket).candidates == [incident])
        #expect(try await Self.complete(["all-clear", String(incident.prefix(4))], socket: socket).candidates == [incident])
        // A socket named on the command line wins over $TOCSIN_SOCKET, as for the verb itself.
        #expect(try await Self.complete(["channels", "test", "--socket", socket, "ops"], socket: "/nonexistent/admin.sock").candidates
            == ["ops-webhook"])
    }

    @Test(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/bin/bash")), "needs bash"))
    func nothingIsPrintedWhenTheDaemonIsDown() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for words in [["send", ""], ["status", ""], ["channels", "test", ""], ["send", "evacuation", "--set", ""]] {
            let result = try await Self.complete(words, socket: directory.file("admin.sock"))
            #expect(result.candidates.isEmpty, "\(words): \(result.candidates)")
            #expect(result.stderr.isEmpty, "\(words): nothing on the terminal, got \(result.stderr)")
        }
    }

    /// A daemon that accepts the connection and never answers: the completion gives up on its own (no candidates,
    /// nothing printed) instead of holding the shell. The suite's time limit is the hang guard; nothing is timed.
    @Test func aMuteDaemonDoesNotHoldTheShell() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let mute = try MuteSocket(in: directory)
        defer { mute.close() }
        let socket = mute.path

        let result = try await runCommand(PackagePaths.tocsinctl, ["---completion", "send", "--", "positional@0", "1", "0", "tocsinctl", "send", ""],
                                          environment: ["TOCSIN_SOCKET": socket])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty && result.stderr.isEmpty, "\(result)")
    }

    @Test func zshAndFishScriptsAskTheDaemonToo() async throws {
        for shell in ["zsh", "fish"] {
            let script = try await runCommand(PackagePaths.tocsinctl, ["--generate-completion-script", shell])
            #expect(script.status == 0, "\(script)")
            // The custom completions call tocsinctl back, as the bash script does above.
            #expect(script.stdout.contains("---completion send -- positional@0"), "\(shell)")
            #expect(script.stdout.contains("---completion send -- --set"), "\(shell)")
        }
    }

    // MARK: man pages

    static let manDirectory = PackagePaths.root.appendingPathComponent(".build/man")

    /// `make test` generates the pages first (`make man`); run alone, the test needs them there too (and fails under
    /// CI=true when they or `man` are missing).
    @Test(.enabled(
        if: required(FileManager.default.isExecutableFile(atPath: "/usr/bin/man")
            && FileManager.default.fileExists(atPath: manDirectory.appendingPathComponent("tocsinctl.1").path)),
        "needs man (man-db) and the pages of `make man`"))
    func manPagesOfBothProgramsPassManWarnings() async throws {
        for (page, mustMention) in [("tocsinctl.1", ["send", "drill", "all-clear", "--version", "The admin socket"]), ("tocsind.1", ["--check-config", "--config"])] {
            let path = Self.manDirectory.appendingPathComponent(page).path
            #expect(FileManager.default.fileExists(atPath: path), "\(page) is generated by make man")
            let lint = try await runCommand("/usr/bin/man", ["--warnings", "-l", path], environment: ["MANWIDTH": "200"])
            #expect(lint.status == 0, "\(page): \(lint)")
            #expect(lint.stderr.isEmpty, "\(page): man --warnings says:\n\(lint.stderr)")
            // Bold and underline come as overstrikes (x\bx) when man writes to a pipe: read the plain text.
            let text = lint.stdout.replacing(/.\x{8}/, with: "")
            for word in mustMention { #expect(text.contains(word), "\(page) mentions \(word)") }
            // English pages: generate-manual drops non-ASCII characters, so French help would lose its accents.
            #expect(!text.contains("par dfaut"), "\(page) is the French help with its accents stripped")
            if page == "tocsind.1" {
                // tocsind has no subcommand: its page must not offer `tocsind help` (refused) nor a subcommand slot.
                #expect(!text.contains("subcommand"), "tocsind.1 lists a subcommand:\n\(text)")
            }
        }
    }

    @Test(.enabled(if: required(FileManager.default.isExecutableFile(atPath: "/usr/bin/make")), "needs make"))
    func installManFailsWhenAPageIsMissing() async throws {
        let stage = try TemporaryDirectory()
        defer { stage.remove() }
        try stage.write("man/tocsinctl.1", ".TH TOCSINCTL 1\n")  // tocsind.1 left out
        let make = ["-C", PackagePaths.root.path, "--no-print-directory", "install-man", "DESTDIR=\(stage.file("root"))", "PREFIX=/usr"]
        let missing = try await runCommand("/usr/bin/make", make + ["MAN_DIR=\(stage.file("man"))"])
        #expect(missing.status != 0, "\(missing)")
        #expect(missing.stderr.contains("tocsind.1 is missing"), "\(missing)")

        try stage.write("man/tocsind.1", ".TH TOCSIND 1\n")
        let complete = try await runCommand("/usr/bin/make", make + ["MAN_DIR=\(stage.file("man"))"])
        #expect(complete.status == 0, "\(complete)")
        for page in ["tocsinctl.1", "tocsind.1"] {
            #expect(FileManager.default.fileExists(atPath: stage.file("root/usr/share/man/man1/\(page)")))
        }
    }
}
