import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// `tocsinctl audit export` and `audit verify --file`: an export proves itself without the daemon.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct ExportTests {
    static func sentIncident() async throws -> (bed: TestBed, incident: String) {
        let bed = try await TestBed { receiver in TestConfig(channels: [.init("ops", url: receiver.url("/ops"))]) }
        do {
            _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
            let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
            #expect(send.status == 0, "\(send)")
            return (bed, try #require(send.jsonLines.first?["incident"] as? String))
        } catch {
            bed.tearDown()
            throw error
        }
    }

    /// Verifies `file` offline: no socket to talk to.
    static func verify(_ file: String, _ extra: String...) async throws -> CommandResult {
        try await runCommand(PackagePaths.tocsinctl, ["audit", "verify", "--file", file] + extra, environment: englishScreens.merging(["TOCSIN_SOCKET": "/nonexistent/admin.sock"]) { $1 })
    }

    /// Changes one byte inside the detail of the `incident.create` entry: "Pavillon A" → "Pavillon B".
    static func tamper(_ text: String) throws -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = try #require(lines.firstIndex { $0.contains("incident.create") && $0.contains("Pavillon A") })
        var edited = lines
        edited[index] = edited[index].replacingOccurrences(of: "Pavillon A", with: "Pavillon B")
        #expect(edited[index].utf8.count == lines[index].utf8.count)
        return edited.joined(separator: "\n")
    }

    @Test(arguments: ["jsonl", "csv"])
    func exportVerifiesOfflineAndFailsAfterAOneByteEdit(format: String) async throws {
        let (bed, _) = try await Self.sentIncident()
        defer { bed.tearDown() }

        let export = try await bed.daemon.ctl("audit", "export", "--format", format)
        #expect(export.status == 0, "\(export)")
        let lines = export.stdout.split(separator: "\n")
        if format == "csv" {
            #expect(lines.first == "seq,time,timeMillis,kind,uid,pid,subject,node,detail,prevHash,hash")
        } else {
            let first = try #require(export.jsonLines.first)
            for key in ["seq", "time", "timeMillis", "kind", "subject", "node", "detail", "prevHash", "hash"] { #expect(first[key] != nil, "\(key)") }
        }
        let file = try bed.directory.write("audit.\(format)", export.stdout)
        let intact = try await Self.verify(file)
        #expect(intact.status == 0, "\(intact)")
        #expect(intact.stdout.contains("Export intact"))

        let tampered = try Self.tamper(export.stdout)
        let bad = try bed.directory.write("tampered.\(format)", tampered)
        let broken = try await Self.verify(bad, "--json")
        #expect(broken.status == 1, "\(broken)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(broken.stdout.utf8)) as? [String: Any])
        #expect(result["intact"] as? Bool == false)
        let jsonl = try await bed.daemon.ctl("audit", "export").jsonLines
        let createSeq = try #require(jsonl.first { $0["kind"] as? String == "incident.create" }?["seq"] as? Int)
        #expect(result["brokenSeq"] as? Int == createSeq, "names the edited entry")
        #expect((result["problem"] as? String)?.contains("altered") == true)
    }

    @Test func anExportOfAWindowVerifiesFromItsFirstEntry() async throws {
        let (bed, incident) = try await Self.sentIncident()
        defer { bed.tearDown() }

        let all = try await bed.daemon.ctl("audit", "export")
        let entries = all.jsonLines
        #expect(entries.count > 3)
        // Start from the incident's creation: the file begins mid-chain.
        let create = try #require(entries.first { $0["kind"] as? String == "incident.create" })
        let since = try #require(create["timeMillis"] as? Int)
        let window = try await bed.daemon.ctl("audit", "export", "--since", String(since))
        #expect(window.status == 0, "\(window)")
        #expect((window.jsonLines.first?["seq"] as? Int ?? 0) > 1)
        #expect(try await Self.verify(try bed.directory.write("window.jsonl", window.stdout)).status == 0)

        let iso = try #require(create["time"] as? String)
        let isoWindow = try await bed.daemon.ctl("audit", "export", "--since", iso, "--format", "csv")
        #expect(isoWindow.status == 0, "\(isoWindow)")
        #expect(try await Self.verify(try bed.directory.write("window.csv", isoWindow.stdout)).status == 0)

        // Filtered by incident the entries are not consecutive: each one's own hash still proves it.
        let only = try await bed.daemon.ctl("audit", "export", "--incident", incident)
        #expect(only.jsonLines.allSatisfy { $0["subject"] as? String == incident })
        let onlyFile = try bed.directory.write("incident.jsonl", only.stdout)
        #expect(try await Self.verify(onlyFile, "--partial").status == 0)
        let tampered = try bed.directory.write("incident-tampered.jsonl", try Self.tamper(only.stdout))
        #expect(try await Self.verify(tampered, "--partial").status == 1)
    }

    @Test func deletingAnEntryFromAnExportIsNamed() async throws {
        let (bed, _) = try await Self.sentIncident()
        defer { bed.tearDown() }
        let export = try await bed.daemon.ctl("audit", "export")
        var lines = export.stdout.split(separator: "\n").map(String.init)
        lines.remove(at: 2)
        let file = try bed.directory.write("deleted.jsonl", lines.joined(separator: "\n") + "\n")
        let result = try await Self.verify(file)
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("EXPORT BROKEN at entry 3"))
        // In French, the operator's words around the verifier's English detail.
        let french = try await Self.verify(file, "--lang", "fr")
        #expect(french.status == 1, "\(french)")
        #expect(french.stdout.contains("EXPORT ROMPU à l'entrée 3 (détail en anglais : ") && french.stdout.contains("\n2 entrées se vérifient avant elle.\n"), "\(french.stdout)")
        let intact = try await Self.verify(try bed.directory.write("whole.jsonl", export.stdout), "--lang", "fr")
        #expect(intact.status == 0, "\(intact)")
        #expect(intact.stdout.hasPrefix("Export intact : \(lines.count + 1) entrées (entrées 1 à \(lines.count + 1)), dernière empreinte "), "\(intact.stdout)")
        let unreadable = try await Self.verify(try bed.directory.write("garbled.jsonl", export.stdout + "not json\n"), "--lang", "fr")
        #expect(unreadable.status == 2 && unreadable.stderr.contains("garbled.jsonl : ligne \(lines.count + 2) illisible (détail en anglais : not an audit entry"), "\(unreadable)")
    }

    /// An export that cannot be written whole (a full disk: `/dev/full`) fails with the system's reason, never exit 0
    /// behind a cut file; `--json` answers, screens written through stdio and `--version` likewise.
    @Test func anExportToAFullDiskFailsAndSaysWhy() async throws {
        let (bed, _) = try await Self.sentIncident()
        defer { bed.tearDown() }
        for verb in ["audit export", "status --json", "status", "audit log", "--version"] {
            let full = try await runCommand("/bin/sh", ["-c", "exec \"$0\" \(verb) > /dev/full", PackagePaths.tocsinctl], environment: bed.daemon.ctlEnvironment)
            #expect(full.status == 1, "\(verb): \(full)")
            #expect(full.stderr.contains("cannot write standard output: No space left on device"), "\(verb): \(full)")
        }
    }

    /// Each entry names the node that wrote it, inside its hash: an export whose node was changed (an insider
    /// pinning an action on another machine) no longer verifies.
    @Test func changingTheNodeOfAnExportedEntryIsNamed() async throws {
        let (bed, _) = try await Self.sentIncident()
        defer { bed.tearDown() }
        let export = try await bed.daemon.ctl("audit", "export")
        let entries = export.jsonLines
        let create = try #require(entries.first { $0["kind"] as? String == "incident.create" })
        let node = try #require(create["node"] as? String)
        #expect(entries.allSatisfy { $0["node"] as? String == node }, "every entry of this daemon names it")
        let log = try await bed.daemon.ctl("audit", "log")
        #expect(log.stdout.contains("node=\(node)"), "\(log.stdout)")

        let lines = export.stdout.split(separator: "\n").map(String.init)
        let index = try #require(lines.firstIndex { $0.contains("\"incident.create\"") })
        var edited = lines
        edited[index] = edited[index].replacingOccurrences(of: "\"node\":\"\(node)\"", with: "\"node\":\"campus-b\"")
        #expect(edited[index] != lines[index])
        let result = try await Self.verify(try bed.directory.write("renamed.jsonl", edited.joined(separator: "\n") + "\n"), "--json")
        #expect(result.status == 1, "\(result)")
        #expect(result.stdout.contains("altered"), "\(result.stdout)")
    }

    /// An export in the columns of earlier releases (no `node`, entries of format 1) still verifies offline, and a
    /// one-byte edit of it is still found: an auditor's old files stay evidence.
    @Test func anExportOfAnEarlierReleaseStillVerifies() async throws {
        let directory = try TemporaryDirectory(prefix: "tocsin-old-export")
        defer { directory.remove() }
        let fixture = PackagePaths.root.appendingPathComponent("Tests/Fixtures/release-b3b7778/tocsin.db").path
        let database = directory.file("tocsin.db")
        try FileManager.default.copyItem(atPath: fixture, toPath: database)
        let csv = try await runCommand("/usr/bin/sqlite3", ["-readonly", "-header", "-csv", database, """
            SELECT seq, '' AS time, timeMillis, kind, actorUID AS uid, actorPID AS pid, subject, detail, prevHash, hash FROM audit ORDER BY seq
            """])
        #expect(csv.status == 0, "\(csv)")
        #expect(csv.stdout.hasPrefix("seq,time,timeMillis,kind,uid,pid,subject,detail,prevHash,hash\n"), "\(csv.stdout.prefix(200))")
        let intact = try await Self.verify(try directory.write("old.csv", csv.stdout))
        #expect(intact.status == 0, "\(intact)")
        let tampered = try await Self.verify(try directory.write("old-tampered.csv", csv.stdout.replacingOccurrences(of: "Pavillon", with: "Pavillom")))
        #expect(tampered.status == 1, "\(tampered)")
    }
}
