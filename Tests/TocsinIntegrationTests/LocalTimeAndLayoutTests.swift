import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Issue 16, items 3 and 4: every time a person reads is in the local zone with its offset (`TZ` honoured, `--utc`
/// for UTC) while JSON keeps RFC 3339; progress lines wrap at the terminal's width instead of being cut; the text
/// report's columns hold any channel name; `status` keeps channel tests apart and forgets a failure once the channel
/// has delivered since. Real daemon, real HTTP on 127.0.0.1, a real pseudo-terminal.
@Suite(.serialized, .integration, .timeLimit(.minutes(4)))
struct LocalTimeAndLayoutTests {
    /// Toronto's offset changes with the season (-05:00 or -04:00), so the expected text is worked out from the tz
    /// database through Foundation's own formatter: an oracle independent of the C library the CLI uses.
    static func expected(_ rfc3339: String, zone: String) throws -> String {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = try #require(parser.date(from: rfc3339) ?? ISO8601DateFormatter().date(from: rfc3339))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: zone)
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss xxx"
        return formatter.string(from: date)
    }

    private func ctl(_ bed: TestBed, _ arguments: String..., environment: [String: String] = [:]) async throws -> CommandResult {
        try await runCommand(PackagePaths.tocsinctl, arguments, environment: ["TOCSIN_SOCKET": bed.daemon.socketPath].merging(environment) { $1 })
    }

    // MARK: item 3, local time

    @Test func screensShowTimesInTheZoneOfTZWithTheOffsetAndUTCOnRequest() async throws {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(drill.status == 0, "\(drill)")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String)
        _ = try await bed.daemon.waitForFinish(incident)

        // JSON: RFC 3339, with an offset (the daemon writes UTC as `Z`), whatever TZ says.
        let json = try await ctl(bed, "status", incident, "--json", environment: ["TZ": "America/Toronto"])
        let status = try JSONDecoder().decode(IncidentStatus.self, from: Data(json.stdout.utf8))
        let created = status.summary.createdAt
        #expect(created.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/) != nil, "\(created)")
        let delivered = try #require(status.deliveries.first?.deliveredAt)

        let toronto = try Self.expected(created, zone: "America/Toronto")
        #expect(toronto.hasSuffix("-05:00") || toronto.hasSuffix("-04:00"))
        let utc = try Self.expected(created, zone: "UTC")

        for lang in ["fr", "en"] {
            let local = try await ctl(bed, "status", incident, "--lang", lang, environment: ["TZ": "America/Toronto"])
            #expect(local.status == 0, "\(local)")
            #expect(local.stdout.contains(toronto), "the creation time in Toronto time, same digits in \(lang)\n\(local.stdout)")
            #expect(!local.stdout.contains(created), "no raw UTC time on the screen\n\(local.stdout)")

            let asked = try await ctl(bed, "status", incident, "--lang", lang, "--utc", environment: ["TZ": "America/Toronto"])
            #expect(asked.stdout.contains(utc + ""), "--utc shows UTC with +00:00\n\(asked.stdout)")
            #expect(!asked.stdout.contains(toronto))
        }

        // TZ as the C library reads it, with the leading colon Foundation's TimeZone.current would not take.
        let colon = try await ctl(bed, "status", incident, "--lang", "en", environment: ["TZ": ":America/Toronto"])
        #expect(colon.stdout.contains(toronto), "\(colon.stdout)")

        // The other screens: the daemon's status, the audit log, the channels list, the text report.
        let daemon = try await ctl(bed, "status", "--lang", "en", environment: ["TZ": "America/Toronto"])
        #expect(daemon.stdout.contains("Recent incidents:") && daemon.stdout.contains(toronto), "\(daemon.stdout)")
        let audit = try await ctl(bed, "audit", "log", "--subject", incident, "--lang", "en", environment: ["TZ": "America/Toronto"])
        let auditEntries = try await bed.daemon.withClient {
            try $0.call(.auditLog, AuditLogParams(afterSeq: nil, limit: 100, subject: incident), as: [AuditRecordDTO].self)
        }
        let firstAudit = try #require(auditEntries.first)
        #expect(audit.stdout.contains("\(firstAudit.seq)  \(try Self.expected(firstAudit.time, zone: "America/Toronto"))"), "\(audit.stdout)")
        // A time copied from the screen is taken back as it is shown (to the second, at or after).
        let lastAudit = try #require(auditEntries.last)
        let shown = try Self.expected(lastAudit.time, zone: "America/Toronto")
        let export = try await ctl(bed, "audit", "export", "--since", shown, environment: ["TZ": "America/Toronto"])
        #expect(export.status == 0, "\(export)")
        let exported = export.jsonLines.compactMap { $0["timeMillis"] as? Int64 ?? ($0["timeMillis"] as? Int).map(Int64.init) }
        let secondStart = try #require(lastAudit.timeMillis) / 1000 * 1000
        #expect(!exported.isEmpty && exported.allSatisfy { $0 >= secondStart }, "\(export.stdout)")
        #expect(export.jsonLines.contains { ($0["seq"] as? Int).map(Int64.init) == lastAudit.seq }, "\(export.stdout)")
        let channels = try await ctl(bed, "channels", "list", "--lang", "en", environment: ["TZ": "America/Toronto"])
        #expect(channels.stdout.contains(try Self.expected(delivered, zone: "America/Toronto")), "last delivered, local\n\(channels.stdout)")
        let report = try await ctl(bed, "report", incident, "--lang", "en", environment: ["TZ": "America/Toronto"])
        #expect(report.stdout.contains("Triggered \(toronto) by"), "\(report.stdout)")
        let frenchReport = try await ctl(bed, "report", incident, "--lang", "fr", environment: ["TZ": "America/Toronto"])
        #expect(frenchReport.stdout.contains(toronto), "\(frenchReport.stdout)")
    }

    // MARK: item 4, screens that fit

    /// Runs `tocsinctl` with its standard output on a pseudo-terminal `columns` wide (TIOCSWINSZ) and `COLUMNS`
    /// set alike; standard error stays a pipe, so only the progress screen is on the terminal.
    static let terminal = #"""
        import fcntl, json, os, pty, select, struct, subprocess, sys, termios
        argv, env, columns = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, env={**os.environ, **env})
        os.close(slave)
        out = b""
        while True:
            # A hang guard, not a measure.
            if not select.select([master], [], [], 120)[0]:
                child.kill()
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        err = child.stderr.read()
        child.wait()
        sys.stdout.buffer.write(out)
        sys.stderr.buffer.write(err)
        sys.exit(child.returncode)
        """#

    /// What a person sees line by line: escape sequences (cursor moves, line clears) removed, CR LF as one break.
    static func screenLines(_ raw: String) -> [String] {
        let plain = raw.replacing(/\x1B\[[0-9;]*[A-Za-z]/, with: "").replacingOccurrences(of: "\r", with: "")
        return plain.components(separatedBy: "\n")
    }

    @Test(arguments: ["en", "fr"])
    func aRetryingLineWrapsAtANarrowTerminalAndSaysWhenTheNextTryIs(lang: String) async throws {
        let bed = try await TestBed(plan: ["/flaky": [["status": 500, "body": "{\"error\":\"try again later please\"}"], ["status": 200]]]) { receiver in
            var config = TestConfig(channels: [.init("flaky", url: receiver.url("/flaky"))])
            // A second between tries: the retrying row is drawn, and its next try is a time worth reading.
            config.retry = "{ initial: 1s, max: 1s }"
            return config
        }
        defer { bed.tearDown() }
        let columns = 40
        let argv = try String(decoding: JSONSerialization.data(withJSONObject: [
            PackagePaths.tocsinctl, "drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--lang", lang,
        ]), as: UTF8.self)
        let env = try String(decoding: JSONSerialization.data(withJSONObject: [
            "TOCSIN_SOCKET": bed.daemon.socketPath, "TERM": "xterm", "COLUMNS": "\(columns)", "TZ": "America/Toronto",
        ]), as: UTF8.self)
        let result = try await runCommand("/usr/bin/env", ["python3", "-c", Self.terminal, argv, env, "\(columns)"])
        #expect(result.status == 0, "retried, then delivered\n\(result)")

        let lines = Self.screenLines(result.stdout)
        let word = lang == "fr" ? "réessai" : "retrying"
        let start = try #require(lines.firstIndex { $0.hasPrefix("  \(word) ") }, "a retrying row was drawn\n\(result.stdout)")
        // The row and its continuation lines (indented under the target).
        var row = [lines[start]]
        for line in lines[(start + 1)...] {
            guard line.hasPrefix("             ") else { break }
            row.append(line)
        }
        #expect(row.count > 1, "a row longer than \(columns) columns wraps\n\(row.joined(separator: "\n"))")
        for line in row { #expect(line.count < columns, "no line wider than the terminal: '\(line)'") }
        let joined = row.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        let phrase = lang == "fr"
            ? /réponse en \d+ ms, prochain essai à \d{2}:\d{2}:\d{2}/
            : /answer took \d+ ms, next try at \d{2}:\d{2}:\d{2}/
        #expect(joined.contains(phrase), "the whole phrase, not cut\n\(joined)")
        #expect(joined.contains("try again later please"), "the service's answer is not cut either\n\(joined)")
    }

    @Test func reportColumnsStayAlignedWithAFortyCharacterChannelName() async throws {
        let long = "discord-etudiants-et-personnel-du-cegep1"
        #expect(long.count == 40)
        let bed = try await TestBed(plan: ["/bad": [["status": 400, "body": "{\"error\":\"nope\"}"]]]) { receiver in
            TestConfig(channels: [.init(long, url: receiver.url("/long")), .init("ops", url: receiver.url("/ops")), .init("bad", url: receiver.url("/bad"))])
        }
        defer { bed.tearDown() }
        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String, "\(drill)")
        _ = try await bed.daemon.waitForFinish(incident)

        for lang in ["en", "fr"] {
            let report = try await ctl(bed, "report", incident, "--lang", lang)
            let lines = report.stdout.components(separatedBy: "\n")
            let headerWords = lang == "en" ? ["CHANNEL", "RECIPIENT", "STATE", "TRIES"] : ["CANAL", "DESTINATAIRE", "ÉTAT", "ESSAIS"]
            let header = try #require(lines.first { $0.hasPrefix("  \(headerWords[0]) ") }, "\(report.stdout)")
            let rows = lines.filter { line in [long, "ops", "bad"].contains { line.hasPrefix("  \($0) ") } }
            // Deliveries (3 rows) and the channels' summary (3 rows).
            #expect(rows.count == 6, "\(report.stdout)")
            let deliveryRows = Array(rows.prefix(3))
            let stateColumn = try #require(header.range(of: headerWords[2])).lowerBound.utf16Offset(in: header)
            let triesColumn = try #require(header.range(of: headerWords[3])).lowerBound.utf16Offset(in: header)
            for row in deliveryRows {
                let name = try #require([long, "ops", "bad"].first { row.hasPrefix("  \($0) ") })
                // The name is followed by spaces, never run into the next column.
                #expect(row.dropFirst(2 + name.count).hasPrefix("  "), "'\(row)'")
                let cells = row.utf16.count > triesColumn ? Array(row.utf16) : []
                #expect(!cells.isEmpty, "'\(row)'")
                // Each column starts where its header starts, and the cell before it ends with a space.
                #expect(cells[stateColumn - 1] == UInt16(UInt8(ascii: " ")) && cells[stateColumn] != UInt16(UInt8(ascii: " ")), "'\(row)'\n'\(header)'")
                #expect(cells[triesColumn - 1] == UInt16(UInt8(ascii: " ")) && cells[triesColumn] != UInt16(UInt8(ascii: " ")), "'\(row)'\n'\(header)'")
            }
            // The channels' summary: the counts column starts at one place for every name.
            let starts = Set(rows.suffix(3).map { row in
                row.dropFirst(2).drop { $0 != " " }.prefix { $0 == " " }.count + (row.dropFirst(2).prefix { $0 != " " }.count)
            })
            #expect(starts.count == 1, "\(rows.suffix(3).joined(separator: "\n"))")
        }
    }

    @Test func statusKeepsChannelTestsApartAndForgetsAFailureOnceTheChannelDelivered() async throws {
        // The first request to /ops is refused (400, not retried): the channel test fails; later ones succeed.
        let bed = try await TestBed(plan: ["/ops": [["status": 400, "body": "{\"error\":\"bad token\"}"], ["status": 200]]]) { receiver in
            TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
        }
        defer { bed.tearDown() }
        let test = try await bed.daemon.ctl("channels", "test", "ops", "--yes", "--lang", "en")
        #expect(test.status == 1, "the test failed\n\(test)")

        let failed = try await ctl(bed, "status", "--lang", "en")
        #expect(failed.stdout.contains("Failed channel tests (until the channel delivers again):"), "\(failed.stdout)")
        #expect(failed.stdout.contains("FAILED     ops (attempt 1): HTTP 400"), "\(failed.stdout)")
        #expect(!failed.stdout.contains("Recent failures:"), "a channel test is not an incident's failure\n\(failed.stdout)")
        #expect(failed.stdout.contains("Recent channel tests:"), "\(failed.stdout)")
        #expect(!failed.stdout.contains("Recent incidents:"), "no incident yet\n\(failed.stdout)")
        let failedJSON = try JSONDecoder().decode(DaemonStatus.self, from: Data(try await ctl(bed, "status", "--json").stdout.utf8))
        #expect(failedJSON.recentTestFailures?.map(\.channel) == ["ops"])
        #expect(failedJSON.recentFailures.isEmpty)

        let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(drill.status == 0, "the channel delivers now\n\(drill)")

        let recovered = try await ctl(bed, "status", "--lang", "en")
        #expect(!recovered.stdout.contains("FAILED     ops"), "the failure is history once ops delivered\n\(recovered.stdout)")
        #expect(!recovered.stdout.contains("Failed channel tests"), "\(recovered.stdout)")
        #expect(recovered.stdout.contains("Recent incidents:") && recovered.stdout.contains("Recent channel tests:"), "\(recovered.stdout)")
        let incidentsPart = try #require(recovered.stdout.components(separatedBy: "Recent incidents:").last?.components(separatedBy: "Recent channel tests:").first)
        #expect(incidentsPart.contains("Exercise") && !incidentsPart.contains(" Test "), "\(recovered.stdout)")
        let recoveredJSON = try JSONDecoder().decode(DaemonStatus.self, from: Data(try await ctl(bed, "status", "--json").stdout.utf8))
        #expect(recoveredJSON.recentTestFailures == [])
        #expect(recoveredJSON.recentFailures.isEmpty)
        // The incident's own record still tells what happened.
        #expect(recoveredJSON.recentIncidents.contains { $0.status == "Test" && $0.counts["failed"] == 1 })

        // Six more channel tests do not push the drill out of sight: incidents and tests are counted apart.
        for _ in 0..<6 { #expect(try await bed.daemon.ctl("channels", "test", "ops", "--yes").status == 0) }
        let many = try JSONDecoder().decode(DaemonStatus.self, from: Data(try await ctl(bed, "status", "--json").stdout.utf8))
        #expect(many.recentIncidents.filter { $0.status == "Test" }.count == 5, "\(many.recentIncidents)")
        let drilled = try #require(drill.jsonLines.first?["incident"] as? String)
        #expect(many.recentIncidents.map(\.incident).contains(drilled), "\(many.recentIncidents)")
    }
}
