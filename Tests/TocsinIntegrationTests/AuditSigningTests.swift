import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// Signed audit checkpoints (`audit.signing_key_file`): the daemon signs the chain head with Ed25519 at start,
/// at each incident end and at a graceful stop; `audit verify` checks the signatures online and offline.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct AuditSigningTests {
    /// An Ed25519 key pair made the way the runbook says, readable by its owner only.
    struct KeyPair {
        let privatePath: String
        let publicPath: String

        init(in directory: TemporaryDirectory, name: String) async throws {
            privatePath = directory.file("\(name).pem")
            publicPath = directory.file("\(name).pub")
            for arguments in [
                ["genpkey", "-algorithm", "ed25519", "-out", privatePath],
                ["pkey", "-in", privatePath, "-pubout", "-out", publicPath],
            ] {
                let made = try await runCommand("/usr/bin/openssl", arguments)
                #expect(made.status == 0, "\(made)")
            }
            chmod(privatePath, 0o600)
        }
    }

    static func signedBed(keys: TemporaryDirectory, key: KeyPair) async throws -> TestBed {
        try await TestBed { receiver in
            var config = TestConfig(channels: [.init("ops", url: receiver.url("/ops"))])
            config.extraYAML = "audit:\n  signing_key_file: \(key.privatePath)\n"
            return config
        }
    }

    /// Approves and drills the evacuation template; returns the incident once every delivery is final.
    static func drill(_ bed: TestBed) async throws -> String {
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")
        let send = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes", "--json")
        #expect(send.status == 0, "\(send)")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        _ = try await bed.daemon.waitForFinish(incident)
        return incident
    }

    static func checkpoints(_ daemon: DaemonProcess) async throws -> [[String: Any]] {
        try await daemon.ctl("audit", "log", "--subject", "audit", "--limit", "1000", "--json").jsonLines
            .filter { $0["kind"] as? String == "audit.checkpoint" }
    }

    /// What someone who can write the database file (but has no key) does: edits an entry, then recomputes every
    /// hash after it with the documented layout so that the chain alone verifies again.
    static func rewriteChain(_ database: String, replacing old: String, with new: String) async throws {
        let script = """
            import sqlite3, sys
            \(AuditLayoutScript.entryHash)
            db = sqlite3.connect(sys.argv[1])
            rows = db.execute("SELECT seq, timeMillis, kind, actorUID, actorPID, subject, node, detail, prevHash FROM audit ORDER BY seq").fetchall()
            prev = None
            for seq, t, kind, uid, pid, subject, node, detail, prev_hash in rows:
                detail = detail.replace(sys.argv[2], sys.argv[3])
                if prev is None: prev = prev_hash
                h = entry_hash(prev, seq, t, kind, uid, pid, subject, node, detail)
                db.execute("UPDATE audit SET detail = ?, prevHash = ?, hash = ? WHERE seq = ?", (detail, prev, h, seq))
                prev = h
            db.commit()
            """
        let result = try await runCommand("/usr/bin/python3", ["-c", script, database, old, new])
        #expect(result.status == 0, "\(result)")
    }

    @Test func checkpointsProveTheChainAndARewriteFailsThem() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let key = try await KeyPair(in: keys, name: "audit-signing")
        let bed = try await Self.signedBed(keys: keys, key: key)
        defer { bed.tearDown() }

        let incident = try await Self.drill(bed)
        // The incident's end is signed once its last delivery is final.
        #expect(try await waitUntil {
            try await Self.checkpoints(bed.daemon).contains { ($0["detail"] as? String)?.contains(incident) == true }
        })
        let reasons = try await Self.checkpoints(bed.daemon).compactMap { $0["detail"] as? String }
        #expect(reasons.first?.contains(#""reason":"start"#) == true, "\(reasons)")

        let online = try await bed.daemon.ctl("audit", "verify")
        #expect(online.status == 0, "\(online)")
        #expect(online.stdout.contains("Signed: 2 checkpoints verify"), "\(online.stdout)")
        let export = try await bed.directory.write("audit.jsonl", try bed.daemon.ctl("audit", "export").stdout)
        let offline = try await ExportTests.verify(export, "--public-key", key.publicPath)
        #expect(offline.status == 0, "\(offline)")
        #expect(offline.stdout.contains("Signed:"), "\(offline.stdout)")
        let french = try await ExportTests.verify(export, "--public-key", key.publicPath, "--lang", "fr")
        #expect(french.status == 0 && french.stdout.contains("\nSigné : 2 points de contrôle se vérifient ; les entrées 1 à "), "\(french)")
        // A key or an export that cannot be read is named, with what the system said, and verifies nothing.
        let noKey = try await ExportTests.verify(export, "--public-key", bed.directory.file("missing.pem"))
        #expect(noKey.status == 2 && noKey.stderr.contains("cannot read \(bed.directory.file("missing.pem")): No such file or directory"), "\(noKey)")
        let noExport = try await ExportTests.verify(bed.directory.path, "--public-key", key.publicPath)
        #expect(noExport.status == 2 && noExport.stderr.contains("cannot read \(bed.directory.path): Is a directory"), "\(noExport)")

        // A graceful stop signs the head once more; then the file is rewritten while the daemon is down.
        await bed.daemon.stop()
        try await Self.rewriteChain(bed.daemon.databasePath, replacing: "Pavillon A", with: "Pavillon B")
        try await bed.daemon.start()

        let broken = try await bed.daemon.ctl("audit", "verify", "--json")
        #expect(broken.status == 1, "\(broken)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(broken.stdout.utf8)) as? [String: Any])
        #expect(result["intact"] as? Bool == false)
        #expect((result["problem"] as? String)?.contains("were rewritten") == true, "\(result)")

        let rewritten = try await bed.directory.write("rewritten.jsonl", try bed.daemon.ctl("audit", "export").stdout)
        // The chain alone was made consistent again…
        #expect(try await ExportTests.verify(rewritten).status == 0)
        // …but not its signatures.
        let caught = try await ExportTests.verify(rewritten, "--public-key", key.publicPath)
        #expect(caught.status == 1, "\(caught)")
        #expect(caught.stdout.contains("were rewritten"), "\(caught.stdout)")
        #expect(!bed.daemon.log().contains(try String(contentsOfFile: key.privatePath, encoding: .utf8).split(separator: "\n")[1]))
    }

    /// While the daemon runs, its newest checkpoint is turned into an ordinary entry and the chain re-hashed (same
    /// length, first checkpoint still valid): the daemon remembers signing it, so `audit verify` still fails.
    @Test func aDroppedCheckpointIsCaughtByTheDaemonThatWroteIt() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let key = try await KeyPair(in: keys, name: "audit-signing")
        let bed = try await Self.signedBed(keys: keys, key: key)
        defer { bed.tearDown() }
        _ = try await Self.drill(bed)
        #expect(try await waitUntil { try await Self.checkpoints(bed.daemon).count >= 2 })
        let last = try await #require(Self.checkpoints(bed.daemon).last?["seq"] as? Int)
        #expect(try await bed.daemon.ctl("audit", "verify").status == 0)

        let script = """
            import sqlite3, sys
            \(AuditLayoutScript.entryHash)
            db = sqlite3.connect(sys.argv[1], timeout=10)
            target = int(sys.argv[2])
            rows = db.execute("SELECT seq, timeMillis, kind, actorUID, actorPID, subject, node, detail, prevHash FROM audit WHERE seq >= ? ORDER BY seq", (target,)).fetchall()
            prev = rows[0][8]
            for seq, t, kind, uid, pid, subject, node, detail, _ in rows:
                if seq == target: kind, subject, detail = "admin.request", "admin", '{"method":"daemon.status"}'
                h = entry_hash(prev, seq, t, kind, uid, pid, subject, node, detail)
                db.execute("UPDATE audit SET kind = ?, subject = ?, detail = ?, prevHash = ?, hash = ? WHERE seq = ?", (kind, subject, detail, prev, h, seq))
                prev = h
            db.commit()
            """
        let rewrite = try await runCommand("/usr/bin/python3", ["-c", script, bed.daemon.databasePath, String(last)])
        #expect(rewrite.status == 0, "\(rewrite)")
        let export = try await bed.directory.write("audit.jsonl", try bed.daemon.ctl("audit", "export").stdout)
        #expect(try await ExportTests.verify(export, "--public-key", key.publicPath).status == 0, "offline, the first checkpoint still proves its part")

        let verify = try await bed.daemon.ctl("audit", "verify")
        #expect(verify.status == 1, "\(verify)")
        #expect(verify.stdout.contains("signed by this daemon, is missing"), "\(verify.stdout)")
    }

    @Test func rotatedKeyKeepsOldCheckpointsVerifiable() async throws {
        let keys = try TemporaryDirectory()
        defer { keys.remove() }
        let old = try await KeyPair(in: keys, name: "audit-2025")
        let new = try await KeyPair(in: keys, name: "audit-2026")
        let bed = try await Self.signedBed(keys: keys, key: old)
        defer { bed.tearDown() }
        await bed.daemon.stop()

        // The runbook's rotation: the new key signs, the old public key stays trusted.
        var config = try String(contentsOfFile: bed.daemon.configPath, encoding: .utf8)
        config = config.replacingOccurrences(
            of: "signing_key_file: \(old.privatePath)\n",
            with: "signing_key_file: \(new.privatePath)\n  trusted_keys: [\(old.publicPath)]\n"
        )
        try config.write(toFile: bed.daemon.configPath, atomically: true, encoding: .utf8)
        try await bed.daemon.start()
        let rotated = try await bed.daemon.ctl("audit", "verify")
        #expect(rotated.status == 0, "\(rotated)")
        let keyIDs = Set(try await Self.checkpoints(bed.daemon).compactMap { entry -> String? in
            let detail = Data((entry["detail"] as? String ?? "").utf8)
            return (try? JSONSerialization.jsonObject(with: detail) as? [String: Any])?["key"] as? String
        })
        #expect(keyIDs.count == 2, "\(keyIDs)")

        let export = try await bed.directory.write("audit.jsonl", try bed.daemon.ctl("audit", "export").stdout)
        #expect(try await ExportTests.verify(export, "--public-key", new.publicPath, "--public-key", old.publicPath).status == 0)
        let untrusted = try await ExportTests.verify(export, "--public-key", new.publicPath)
        #expect(untrusted.status == 1)
        #expect(untrusted.stdout.contains("not trusted"), "\(untrusted.stdout)")
    }

    @Test func unsafeOrUnreadableKeysAreRefusedWithAFix() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let key = try await KeyPair(in: directory, name: "audit-signing")
        let garbage = try directory.write("garbage.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        chmod(garbage, 0o600)
        chmod(key.privatePath, 0o644)
        let cases: [(yaml: String, message: String)] = [
            ("signing_key_file: \(key.privatePath)", "chmod 600 \(key.privatePath)"),
            ("signing_key_file: \(garbage)", "openssl genpkey -algorithm ed25519"),
            ("signing_key_file: \(directory.file("missing.pem"))", "cannot read 'audit.signing_key_file'"),
            ("trusted_keys: [\(garbage)]", "openssl pkey"),
            ("trusted_keys: [\(key.privatePath)]", "holds a private key"),
        ]
        for (yaml, message) in cases {
            var config = TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")])
            config.extraYAML = "audit:\n  \(yaml)\n"
            let path = try config.write(to: directory)
            let result = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
            #expect(result.status == 1, "\(yaml): \(result)")
            #expect(result.stderr.contains(message) || result.stdout.contains(message), "\(yaml): \(result)")
        }
    }
}
