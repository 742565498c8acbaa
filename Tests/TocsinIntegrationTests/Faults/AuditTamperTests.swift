import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// The insider who can write the state folder (issue 13, finding 1): cuts the audit log's tail, or rewrites it
/// whole with its checkpoints dropped and the entries renumbered, while tocsind is stopped or running. Each is
/// caught online (health CRITICAL, `audit verify` exit 1, nothing more signed, sends unaffected) and offline
/// against what the witness channel received; an approver's `audit accept` clears a legitimate gap.
@Suite(.serialized, .integration, .timeLimit(.minutes(5)))
struct AuditTamperTests {
    typealias KeyPair = AuditSigningTests.KeyPair

    /// A signing key and a witness channel (`/witness`) that is on no route.
    static func witnessedBed(key: KeyPair) async throws -> TestBed {
        try await TestBed { receiver in
            var config = TestConfig(
                channels: [.init("ops", url: receiver.url("/ops")), .init("witness", url: receiver.url("/witness"))],
                routes: ["campus": ["ops"], "drill": ["ops"]]
            )
            config.extraYAML = "audit:\n  signing_key_file: \(key.privatePath)\n  witness: witness\n"
            return config
        }
    }

    /// A key in a folder of its own and a running witnessed daemon.
    static func start() async throws -> (TemporaryDirectory, KeyPair, TestBed) {
        let keys = try TemporaryDirectory()
        do {
            let key = try await KeyPair(in: keys, name: "audit-signing")
            return await (keys, key, try witnessedBed(key: key))
        } catch {
            keys.remove()
            throw error
        }
    }

    /// A drill, then its incident-end checkpoint; returns the incident.
    @discardableResult
    static func drillAndSign(_ bed: TestBed) async throws -> String {
        let incident = try await AuditSigningTests.drill(bed)
        #expect(try await waitUntil {
            try await AuditSigningTests.checkpoints(bed.daemon).contains { ($0["detail"] as? String)?.contains(incident) == true }
        })
        return incident
    }

    /// What the witness received, as the JSON lines `audit verify --heads` reads.
    static func witnessLog(_ bed: TestBed, name: String = "witness.jsonl") throws -> String {
        let bodies = bed.receiver.requests(path: "/witness").map(\.body)
        #expect(!bodies.isEmpty, "the witness received signed heads")
        return try bed.directory.write(name, bodies.joined(separator: "\n") + "\n")
    }

    static func sql(_ database: String, _ statement: String) async throws -> String {
        let result = try await runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 10000", database, statement])
        #expect(result.status == 0, "\(result)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func checkpointSeqs(_ database: String) async throws -> [Int] {
        try await sql(database, "SELECT seq FROM audit WHERE kind = 'audit.checkpoint' ORDER BY seq").split(separator: "\n").compactMap { Int($0) }
    }

    /// Online, everything says so; a live send still goes out.
    static func expectCaughtOnline(_ bed: TestBed, _ words: String, sourceLine: SourceLocation = #_sourceLocation) async throws {
        let health = try await bed.daemon.ctl("health")
        #expect(health.status == 2, "health is CRITICAL\n\(health)", sourceLocation: sourceLine)
        #expect(health.stdout.contains("CRITICAL: audit"), "\(health.stdout)", sourceLocation: sourceLine)
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 1, "\(verify)", sourceLocation: sourceLine)
        #expect(verify.stdout.contains("AUDIT CHAIN BROKEN") && verify.stdout.contains(words), "\(verify.stdout)", sourceLocation: sourceLine)
        let status = try await bed.daemon.withClient { try $0.call(.daemonStatus, EmptyParams(), as: DaemonStatus.self) }
        #expect(status.auditProblem != nil, "status names the problem", sourceLocation: sourceLine)
        let send = try await bed.daemon.ctl("send", "evacuation", "--set", "building=Pavillon B", "--yes")
        #expect(send.status == 0, "an audit problem never stops alerting\n\(send)", sourceLocation: sourceLine)
    }

    static func expectCaughtOffline(_ bed: TestBed, key: KeyPair, sourceLine: SourceLocation = #_sourceLocation) async throws {
        let export = try await bed.directory.write("tampered.jsonl", try bed.daemon.ctl("audit", "export").stdout)
        let witness = try witnessLog(bed)
        let offline = try await ExportTests.verify(export, "--public-key", key.publicPath, "--heads", witness)
        #expect(offline.status == 1, "the witness's log contradicts the export\n\(offline)", sourceLocation: sourceLine)
        #expect(offline.stdout.contains("EXPORT BROKEN"), "\(offline.stdout)", sourceLocation: sourceLine)
    }

    @Test func aTailCutWhileStoppedIsCaughtAndOnlyAnApproverCanAcceptIt() async throws {
        let (keys, key, bed) = try await Self.start()
        defer { bed.tearDown(); keys.remove() }
        try await Self.drillAndSign(bed)
        await bed.daemon.stop()
        let database = bed.daemon.databasePath
        let signed = try await Self.checkpointSeqs(database)
        let cut = try #require(signed.last) - 3
        _ = try await Self.sql(database, "DELETE FROM audit WHERE seq >= \(cut)")
        // Before this fix, the daemon signed the shortened head at start and verify said intact.
        try await bed.daemon.start()
        try await Self.expectCaughtOnline(bed, "were deleted")
        #expect(try await Self.checkpointSeqs(database).allSatisfy { $0 < cut }, "nothing signed over the cut chain")
        try await Self.expectCaughtOffline(bed, key: key)

        // The problem outlives a restart until someone accepts it.
        await bed.daemon.stop()
        #expect(try await Self.checkpointSeqs(database).allSatisfy { $0 < cut }, "the stop checkpoint was not signed either")
        try await bed.daemon.start()
        #expect(try await bed.daemon.ctl("health").status == 2)

        // An approver accepts it, with a reason that the audit log keeps: in French, the word typed at the prompt.
        // Another verb's word accepts nothing.
        let reason = "restored the backup of this morning after a disk failure"
        let refused = try await bed.daemon.ctl(arguments: ["audit", "accept", "--reason", reason, "--lang", "fr"], input: "ENVOYER\n")
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.stderr.contains(
            "« ENVOYER » confirme un autre geste ; pour accepter cet écart et reprendre la signature, tapez ACCEPTER (ou ACCEPT). Rien n'a été accepté."
        ), "\(refused.stderr)")
        #expect(try await bed.daemon.ctl("health").status == 2, "nothing was accepted")
        let accepted = try await bed.daemon.ctl(arguments: ["audit", "accept", "--reason", reason, "--lang", "fr"], input: "accepter\n")
        #expect(accepted.status == 0, "\(accepted)")
        #expect(accepted.stderr.contains("La chaîne d'audit contredit son relevé (détail en anglais) :\n") && accepted.stderr.contains("Raison à consigner : \(reason)"), "\(accepted.stderr)")
        #expect(accepted.stdout.contains("Acceptation consignée dans l'entrée d'audit ") && accepted.stdout.contains("La signature reprend"), "\(accepted.stdout)")
        let accept = ["audit", "accept", "--reason", reason, "--yes"]
        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 0, "\(verify)")
        #expect(try await bed.daemon.ctl("health").status == 0)
        #expect(try await Self.checkpointSeqs(database).contains { $0 > cut }, "signing resumed")
        let log = try await bed.daemon.ctl("audit", "log", "--subject", "audit", "--json").jsonLines
        #expect(log.contains { $0["kind"] as? String == "audit.accept" && ($0["detail"] as? String)?.contains("disk failure") == true })
        let export = try await bed.directory.write("accepted.jsonl", try bed.daemon.ctl("audit", "export").stdout)
        let offline = try await ExportTests.verify(export, "--public-key", key.publicPath, "--heads", try Self.witnessLog(bed, name: "w2.jsonl"))
        #expect(offline.status == 0, "after the accept, the export agrees with the witness from the accept on\n\(offline)")
        #expect(offline.stdout.contains("1 accepted gap"), "\(offline.stdout)")
        let french = try await ExportTests.verify(export, "--public-key", key.publicPath, "--heads", bed.directory.file("w2.jsonl"), "--lang", "fr")
        #expect(french.status == 0, "\(french)")
        let heads = french.stdout.split(separator: "\n").first { $0.hasPrefix("Têtes : ") }.map(String.init) ?? ""
        #expect(heads.wholeMatch(of: /Têtes : l'export contient (la tête signée consignée|les \d+ têtes signées consignées) dans .+ \(1 écart accepté avant elles\)\./) != nil, "\(french.stdout)")
        let again = try await bed.daemon.ctl(arguments: accept)
        #expect(again.status == 2, "nothing left to accept\n\(again)")
    }

    /// The heads file is in the state folder by default: an insider who removes it with the tail must not turn the
    /// cut into a first start (review of issue 13).
    @Test func removingTheHeadsFileWithTheTailIsCaught() async throws {
        let (keys, _, bed) = try await Self.start()
        defer { bed.tearDown(); keys.remove() }
        try await Self.drillAndSign(bed)
        await bed.daemon.stop()
        let database = bed.daemon.databasePath
        let cut = try await #require(try Self.checkpointSeqs(database).last) - 3
        _ = try await Self.sql(database, "DELETE FROM audit WHERE seq >= \(cut)")
        try FileManager.default.removeItem(atPath: bed.directory.file("state/audit-heads/heads.jsonl"))
        try await bed.daemon.start()
        let health = try await bed.daemon.ctl("health")
        #expect(health.status == 2, "\(health)")
        #expect(health.stdout.contains("record of signed heads was removed"), "\(health.stdout)")
        #expect(try await Self.checkpointSeqs(database).allSatisfy { $0 < cut }, "nothing signed over the cut chain")

        // Accepted by a script (`--yes`, JSON): the answer names the accept's entry, and signing resumes.
        let accept = try await bed.daemon.ctl("audit", "accept", "--reason", "restored the backup of this morning (ticket 4711)", "--yes", "--json")
        #expect(accept.status == 0, "\(accept)")
        let answer = try JSONSerialization.jsonObject(with: Data(accept.stdout.utf8)) as? [String: Any]
        let acceptSeq = try #require(answer?["acceptSeq"] as? Int, "\(accept.stdout)")
        #expect(acceptSeq >= cut)
        #expect(try await bed.daemon.ctl("health").status == 0)
    }

    @Test func aWholesaleRewriteWithCheckpointsDroppedAndRenumberedIsCaught() async throws {
        let (keys, key, bed) = try await Self.start()
        defer { bed.tearDown(); keys.remove() }
        try await Self.drillAndSign(bed)
        await bed.daemon.stop()
        // Entry 5 rewritten, every checkpoint deleted, the rest renumbered from 1 and every hash recomputed with
        // the documented layout: the chain alone verifies.
        let script = """
            import sqlite3, sys
            \(AuditLayoutScript.entryHash)
            db = sqlite3.connect(sys.argv[1])
            rows = db.execute("SELECT seq, timeMillis, kind, actorUID, actorPID, subject, node, detail FROM audit WHERE kind != 'audit.checkpoint' ORDER BY seq").fetchall()
            db.execute("DELETE FROM audit")
            prev = "0" * 64
            for number, (seq, t, kind, uid, pid, subject, node, detail) in enumerate(rows, start=1):
                if number == 5: detail = detail.replace("root", "nobody")
                h = entry_hash(prev, number, t, kind, uid, pid, subject, node, detail)
                db.execute("INSERT INTO audit (seq, timeMillis, kind, actorUID, actorPID, subject, node, detail, prevHash, hash) VALUES (?,?,?,?,?,?,?,?,?,?)", (number, t, kind, uid, pid, subject, node, detail, prev, h))
                prev = h
            db.commit()
            """
        let rewrite = try await runCommand("/usr/bin/python3", ["-c", script, bed.daemon.databasePath])
        #expect(rewrite.status == 0, "\(rewrite)")
        #expect(try await Self.checkpointSeqs(bed.daemon.databasePath).isEmpty)
        try await bed.daemon.start()
        try await Self.expectCaughtOnline(bed, "signed head")
        #expect(try await Self.checkpointSeqs(bed.daemon.databasePath).isEmpty, "the rewritten chain was not signed")
        try await Self.expectCaughtOffline(bed, key: key)
    }

    @Test func aTailCutWhileRunningIsNeverSignedAtStopOrAfterARestart() async throws {
        let (keys, key, bed) = try await Self.start()
        defer { bed.tearDown(); keys.remove() }
        try await Self.drillAndSign(bed)
        let database = bed.daemon.databasePath
        let last = try await #require(try Self.checkpointSeqs(database).last)
        // The incident-end checkpoint and the entries around it go while the daemon runs.
        _ = try await Self.sql(database, "DELETE FROM audit WHERE seq >= \(last - 2)")
        try await Self.expectCaughtOnline(bed, "AUDIT CHAIN BROKEN")
        await bed.daemon.stop()
        #expect(try await Self.checkpointSeqs(database).allSatisfy { $0 < last - 2 }, "the stop checkpoint did not sign the cut chain")
        try await bed.daemon.start()
        let health = try await bed.daemon.ctl("health")
        #expect(health.status == 2, "after a restart the problem still stands\n\(health)")
        try await Self.expectCaughtOffline(bed, key: key)
    }
}
