import Foundation
import Testing
import TocsinTestSupport

/// Runbooks that match the CLI as it is (issue 16, item 8). Every `tocsinctl`/`tocsind` command of every runbook in
/// runbooks/ runs against a real daemon, and every quoted output line is looked for in what the command printed.
///
/// The convention, also written in runbooks/README.md ("How these runbooks are checked"):
/// - A command is a line of a fenced `sh` block, or an inline code span, that starts with `tocsinctl` or `tocsind`
///   (after an optional `$ ` or `sudo `). What follows `|`, `>`, `&&`, `;` or ` #` is not part of it. Commands whose
///   first word is another program (`systemctl`, `install`, `journalctl` …) are skipped by name, never run.
/// - Commands in `sh` blocks and in "Good:" sentences are the procedure: they run in the runbook's order, on one
///   incident (INCIDENT: the one the last `send`/`drill` stored; a live evacuation is sent first so there is one),
///   with `--yes` on verbs that confirm, and must be understood by the CLI and reach the daemon. Commands mentioned
///   elsewhere in the prose run on a scratch drill of their own (so `cancel INCIDENT` in a table does not end the
///   procedure's incident) and must be understood by the CLI (no usage error, daemon reached).
/// - After `Good:`, a code span that is not a command is output the last command must print (a line containing it):
///   `…` stands for anything, `N` for a number, `INCIDENT` for an id; a number after "exit" is its exit code. Output
///   of a skipped command is skipped with it.
/// - Placeholders: `INCIDENT`/`ID` the incident, `NAME` a channel (ops-webhook), `TEMPLATE` the template
///   `evacuation`; a `…` argument is dropped with the option before it; `/etc/tocsin/tocsin.yaml` is the test's config.
///
/// The daemon's config mirrors config/tocsin.yaml (the same channel names, routes and templates, so counts and names
/// in the runbooks hold), every channel a webhook to a loopback receiver; `sms-campus` refuses its first request
/// (HTTP 400, no retry), so the opening send has a failed delivery for channel-failing.md's `resend`. Screens are the
/// English ones (LANG=en_US.UTF-8), as the runbooks quote them.
@Suite(.serialized, .integration, .timeLimit(.minutes(10)))
struct RunbookCommandsTests {
    static let runbooks = PackagePaths.root.appendingPathComponent("runbooks")

    static var runbookNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: runbooks.path)) ?? []).filter { $0.hasSuffix(".md") }.sorted()
    }

    /// Programs a runbook may name that the test never runs (they change the machine, or need systemd).
    static let otherPrograms: Set<String> = [
        "systemctl", "journalctl", "install", "apt-get", "make", "swift", "ldd", "systemd-sysusers", "systemd-tmpfiles",
        "systemd-analyze", "chgrp", "chmod", "chown", "id", "ls", "usermod", "setfacl", "printf", "openssl", "sqlite3", "jq",
        "echo", "cp", "mv", "rm", "mkdir", "curl", "cat", "less", "sha256sum", "xmllint", "tee", "runuser", "find", "date",
        "grep", "tar", "cd", "python3", "promtool", "sed", "ssh", "scp", "rsync", "getent", "test", "stat", "df", "du",
    ]

    @Test(arguments: runbookNames)
    func runbookCommandsRunAndTheirQuotedOutputAppears(_ name: String) async throws {
        let text = try String(contentsOf: Self.runbooks.appendingPathComponent(name), encoding: .utf8)
        let steps = RunbookParser.steps(of: text, otherPrograms: Self.otherPrograms)
        let bed = try await TestBed(plan: ["/sms-campus": [["status": 400], ["status": 200]]]) { receiver in
            (try? Self.exampleConfig(receiver)) ?? TestConfig(channels: [])
        }
        defer { bed.tearDown() }
        let runner = RunbookRunner(bed: bed)
        try await runner.setUp()

        var skipped: [String] = []
        var ran = 0
        // Output quoted after a skipped command (in document order) is that command's: skipped with it.
        var lastWasSkipped = false
        for step in steps {
            switch step {
            case .skipped(let command):
                skipped.append(command)
                lastWasSkipped = true
            case .run(let command, let procedure):
                ran += 1
                if procedure { lastWasSkipped = false }
                let result = try await runner.run(command, onScratch: !procedure)
                #expect(!result.stderr.contains("Usage: "), "\(name): `\(command)` is not understood by the CLI:\n\(result)")
                #expect(result.status != 3, "\(name): `\(command)` did not reach the daemon:\n\(result)")
            case .absent(let quoted):
                guard !lastWasSkipped, let last = runner.last else { continue }
                let pattern = try runner.pattern(quoted)
                #expect((try? pattern.firstMatch(in: last.result.stdout + last.result.stderr)) == nil,
                        "\(name): `\(quoted)` should not be printed by `\(last.command)`:\n\(last.result)")
            case .output(let quoted):
                // A command cut at a pipe: what the runbook quotes is the pipeline's output.
                if lastWasSkipped || runner.lastWasPiped { continue }
                guard let last = runner.last else {
                    Issue.record("\(name): `\(quoted)` is quoted before any command ran")
                    continue
                }
                let pattern = try runner.pattern(quoted)
                let lines = (last.result.stdout + "\n" + last.result.stderr).split(separator: "\n").map(String.init)
                #expect(lines.contains { (try? pattern.firstMatch(in: $0)) != nil }, "\(name): `\(quoted)` was not printed by `\(last.command)`:\n\(last.result)")
            case .exitCode(let code):
                guard !lastWasSkipped, let last = runner.last else { continue }
                #expect(last.result.status == code, "\(name): `\(last.command)` should exit \(code):\n\(last.result)")
            case .skippedOutput:
                break
            }
        }
        // Listed, by name, in the test's output: what a person runs that this test does not.
        print("runbooks/\(name): \(ran) tocsinctl/tocsind commands run; skipped (other programs, never run): "
            + (skipped.isEmpty ? "none" : skipped.map { "`\($0)`" }.joined(separator: ", ")))
        #expect(!skipped.contains { $0.hasPrefix("tocsin") })
    }

    /// The config the daemon under test runs: config/tocsin.yaml's channel names (every one a webhook on the
    /// receiver), routes and templates.
    static func exampleConfig(_ receiver: LoopbackReceiver) throws -> TestConfig {
        let yaml = try String(contentsOf: PackagePaths.root.appendingPathComponent("config/tocsin.yaml"), encoding: .utf8)
        var section = "", channels: [String] = [], routes: [String: [String]] = [:], route: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if let first = line.first, first != " ", first != "#" { section = String(line.prefix { $0 != ":" }) ; continue }
            if let match = line.wholeMatch(of: /\ \ ([a-z0-9-]+):\s*(#.*)?/) {
                if section == "channels" { channels.append(String(match.1)) }
                if section == "routes" { route = String(match.1); routes[String(match.1)] = [] }
            } else if section == "routes", let route, let member = line.wholeMatch(of: /\ \ \ \ - ([a-z0-9-]+)\s*(#.*)?/) {
                routes[route, default: []].append(String(member.1))
            }
        }
        var config = TestConfig(channels: channels.map { .init($0, url: receiver.url("/\($0)")) }, routes: routes)
        let folder = PackagePaths.root.appendingPathComponent("config/templates")
        config.templates = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".yaml") {
            config.templates[String(file.dropLast(5))] = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        }
        config.extraYAML = "objectives: { channel_within: 60s, incident_within: 10m }\n"
        return config
    }

    /// The example config's shape is what the runbooks count: if this fails, the mirror above needs updating.
    @Test func theMirrorHasTheExampleConfigsChannelsAndRoutes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let receiver = try await offPool { try LoopbackReceiver(in: directory) }
        defer { receiver.stop() }
        let config = try Self.exampleConfig(receiver)
        #expect(config.channels.count == 10)
        #expect(Set(config.routes.keys) == ["campus", "staff", "drill", "heartbeat"])
        #expect(config.routes["drill"] == ["ops-webhook", "teams-personnel"])
        #expect(config.templates.count == 4)
    }

    /// config/local.yaml, the README's config for running tocsind by hand, loads as it is.
    @Test func theLocalConfigLoads() async throws {
        let check = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", PackagePaths.root.appendingPathComponent("config/local.yaml").path])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdout.contains("OK — 4 templates, 2 channels, 2 routes"), "\(check)")
        let text = try String(contentsOf: PackagePaths.root.appendingPathComponent("config/local.yaml"), encoding: .utf8)
        #expect(!text.contains("/run/credentials"), "nothing that only systemd provides")
    }
}

/// What a runbook asks, in its order.
enum RunbookStep: Equatable {
    /// A tocsinctl/tocsind command; `procedure`: in an `sh` block or a Good: sentence (else a mention in the prose).
    case run(String, procedure: Bool)
    case skipped(String)
    case output(String)
    /// "no `CHANNEL CANNOT SEND` line": must not be printed.
    case absent(String)
    case exitCode(Int32)
    case skippedOutput(String)
}

enum RunbookParser {
    static func steps(of markdown: String, otherPrograms: Set<String>) -> [RunbookStep] {
        var steps: [RunbookStep] = []
        var paragraph: [String] = []
        var fence: String?
        var continued = ""

        func flushParagraph() {
            steps += prose(paragraph.joined(separator: "\n"), otherPrograms: otherPrograms)
            paragraph = []
        }
        for raw in markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") {
                if fence == nil { flushParagraph(); fence = String(line.dropFirst(3)) } else { fence = nil }
                continue
            }
            if let fence {
                guard fence == "sh" || fence == "console" else { continue }
                var command = continued + line
                if command.hasSuffix("\\") { continued = String(command.dropLast()) + " "; continue }
                continued = ""
                if command.hasPrefix("$ ") { command.removeFirst(2) }
                if let step = classify(command, procedure: true, otherPrograms: otherPrograms) { steps.append(step) }
                continue
            }
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("|") && paragraph.isEmpty {
                flushParagraph()
                if line.hasPrefix("|") { steps += prose(line, otherPrograms: otherPrograms) }
                continue
            }
            // A list item starts a new paragraph; its continuation lines are indented.
            if line.first?.isNumber == true && line.contains(". ") && raw.first?.isNumber == true || line.hasPrefix("- ") { flushParagraph() }
            paragraph.append(line)
        }
        flushParagraph()
        return steps
    }

    /// The steps of a paragraph: commands mentioned in code spans, and in its Good: sentences the commands, quoted
    /// output and exit codes.
    static func prose(_ text: String, otherPrograms: Set<String>) -> [RunbookStep] {
        var steps: [RunbookStep] = []
        var inGood = false
        var currentSkipped = false
        var previousEndedSentence = false
        // Output that only a situation the test does not build would print (a restored backup, a signing key kept
        // offline) is marked in the runbook with an HTML comment, unseen when rendered: `<!-- not checked: why -->`.
        let unchecked = text.contains("<!-- not checked")
        var rest = Substring(text)
        while let tick = rest.firstIndex(of: "`") {
            let before = rest[..<tick]
            if before.contains("Good:") { inGood = true; currentSkipped = false }
            // The quoted result ends with its sentence or clause: at ". ", ";" or "(" outside code spans.
            // (A span ending with "." ends the sentence too: `The channel works.` Never test …)
            if inGood, !before.contains("Good:"), previousEndedSentence || [". ", ".\n", ";", "("].contains(where: { before.contains($0) }) {
                inGood = false
            }
            let afterTick = rest[rest.index(after: tick)...]
            guard let close = afterTick.firstIndex(of: "`") else { break }
            // A span may run over a line break of the paragraph.
            let span = afterTick[..<close].replacingOccurrences(of: "\n", with: " ")
            previousEndedSentence = span.hasSuffix(".")
            rest = afterTick[afterTick.index(after: close)...]
            if let step = classify(span, procedure: inGood, otherPrograms: otherPrograms) {
                if case .skipped = step { currentSkipped = true } else if case .run = step { currentSkipped = false }
                steps.append(step)
                continue
            }
            guard inGood else { continue }
            if currentSkipped || unchecked {
                steps.append(.skippedOutput(span))
            } else if let code = Int32(span), before.hasSuffix("exit ") || before.hasSuffix("exit code ") {
                steps.append(.exitCode(code))
            } else if Int32(span) == nil {
                steps.append(before.hasSuffix(" no ") || before.hasSuffix("\nno ") ? .absent(span) : .output(span))
            }
        }
        return steps
    }

    /// A command line (a span or a block line) as a step; nil when it names no program.
    static func classify(_ text: String, procedure: Bool, otherPrograms: Set<String>) -> RunbookStep? {
        var command = text.trimmingCharacters(in: .whitespaces)
        if command.hasPrefix("sudo ") { command.removeFirst(5) }
        let whole = command
        command = cut(command)
        // Marked for the runner: the runbook quotes the pipeline's output, not this command's.
        let piped = whole.dropFirst(command.count).trimmingCharacters(in: .whitespaces).hasPrefix("|")
        let words = command.split(separator: " ")
        guard let first = words.first.map(String.init) else { return nil }
        // `tocsind 0.1.0, pid …` is output, not a command: a command's next word is a verb or an option.
        if first == "tocsinctl" || first == "tocsind",
            // A bare `tocsind` names the program; run, it would start a second daemon.
            words.count > 1, words[1].first.map({ $0 == "-" || $0.isLowercase }) == true {
            return .run(piped ? command + " |" : command, procedure: procedure)
        }
        if otherPrograms.contains(first) { return .skipped(command) }
        return nil
    }

    /// The command without what follows a pipe, `&&`, `;` or a comment (outside quotes). A redirection to a file
    /// stays: it runs in the test's folder, and a later command may read the file (`audit verify --file`).
    static func cut(_ command: String) -> String {
        var quote: Character?
        var result = ""
        var previous: Character = " "
        for character in command {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if "|;".contains(character) || character == "&" || character == "#" && previous == " " {
                break
            }
            result.append(character)
            previous = character
        }
        return result.trimmingCharacters(in: .whitespaces)
    }
}

/// Runs a runbook's commands for ``RunbookCommandsTests``.
final class RunbookRunner {
    let bed: TestBed
    let work: TemporaryDirectory
    var incident = ""
    var scratch = ""
    var last: (command: String, result: CommandResult)?
    var lastWasPiped = false
    var edits = 0

    init(bed: TestBed) {
        self.bed = bed
        work = bed.directory
    }

    static let confirming = ["send", "drill", "update", "all-clear", "cancel", "resend", "approve"]

    /// Every template approved, a live evacuation sent (INCIDENT; sms-campus fails once) and a scratch drill.
    func setUp() async throws {
        for template in ["evacuation", "all-clear", "lockdown", "shelter-in-place"] {
            let approve = try await bed.daemon.ctl("templates", "approve", template, "--yes")
            #expect(approve.status == 0, "\(approve)")
        }
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        scratch = try #require(drill.jsonLines.first?["incident"] as? String, "\(drill)")
    }

    func run(_ command: String, onScratch: Bool) async throws -> CommandResult {
        lastWasPiped = command.hasSuffix(" |")
        let command = lastWasPiped ? String(command.dropLast(2)) : command
        // A reload in a procedure follows an edit of a template (template-change-and-approval.md, step 1): the
        // test makes one, so the reload has something to report.
        if !onScratch, command.hasPrefix("tocsinctl reload") {
            let path = work.file("templates/evacuation.yaml")
            let text = try String(contentsOfFile: path, encoding: .utf8)
            edits += 1
            try text.replacingOccurrences(of: "Do not use the elevators.", with: "Do not use the elevators (edit \(edits)).")
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        var words: [String] = []
        for word in command.split(separator: " ").map(String.init) {
            // `--set …`: an option whose value the runbook leaves open goes with it.
            if word == "…" { if words.last?.hasPrefix("--") == true { words.removeLast() }; continue }
            words.append(word)
        }
        let id = onScratch ? scratch : incident
        words = words.map { word in
            switch word {
            case "INCIDENT", "ALL-CLEAR-INCIDENT", "ID": id
            case "NAME": "ops-webhook"
            case "TEMPLATE": "evacuation"
            case "/etc/tocsin/tocsin.yaml": bed.daemon.configPath
            default: word
            }
        }
        if words.first == "tocsind" {
            words[0] = PackagePaths.tocsind
            if !words.contains("--config") { words += ["--config", bed.daemon.configPath] }
        } else {
            words[0] = PackagePaths.tocsinctl
            let verbs = Set(words.dropFirst().prefix(2))
            if !verbs.isDisjoint(with: Self.confirming), !words.contains("--yes") { words.append("--yes") }
        }
        // Through sh, so that the runbook's quoting (--set building="Pavillon A") is read as a shell reads it; in the
        // test's folder, so that files a command writes (review.html, evidence.jsonl) land there.
        let line = words.map { $0.hasPrefix("/") ? "'\($0)'" : $0 }.joined(separator: " ")
        let result = try await runCommand("/bin/sh", ["-c", "cd '\(work.path)' && exec \(line)"], environment: [
            "TOCSIN_SOCKET": bed.daemon.socketPath, "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "en_US.UTF-8",
            "TZ": "UTC", "COLUMNS": "200",
        ])
        last = (command, result)
        if !onScratch, let stored = (result.stdout + result.stderr).firstMatch(of: /Incident (\S+) stored/),
            words.contains("send") || words.contains("drill") {
            incident = String(stored.1)
        }
        return result
    }

    /// A quoted output line as a regex: `…` anything, `N` a number, INCIDENT an id, the config path the test's own.
    func pattern(_ quoted: String) throws -> Regex<AnyRegexOutput> {
        // The example's state folder is the test's own.
        var text = quoted.replacingOccurrences(of: "/etc/tocsin/tocsin.yaml", with: "\u{1}").replacingOccurrences(of: "/var/lib/tocsin/", with: "…/")
        text = NSRegularExpression.escapedPattern(for: text)
        text = text.replacingOccurrences(of: "…", with: ".*")
            .replacingOccurrences(of: "\u{1}", with: NSRegularExpression.escapedPattern(for: bed.daemon.configPath))
            .replacing(/\bN\b/, with: "[0-9]+")
            .replacing(/\bINCIDENT\b/, with: "[0-9A-Z-]+")
        return try Regex(text)
    }
}
