import Foundation
import Testing
import TocsinTestSupport

/// `tocsinctl web-users` (issue 18, item 2), as an approver enrolling the communications officer would use it, and
/// as an insider with the database file, a backup or the audit log would look for her secrets.
@Suite(.integration, .timeLimit(.minutes(4)))
struct WebUserTests {
    static let password = "Trois chats gris 2026"

    /// A seed key in a folder given as `$CREDENTIALS_DIRECTORY` (as systemd's LoadCredential= does), `nobody` an
    /// operator but no approver (its socket open to all, so the role check decides), `web:marie` an operator.
    private static func withBed(seedKey: Bool = true, _ body: (TestBed) async throws -> Void) async throws {
        let credentials = try TemporaryDirectory(prefix: "tocsin-credentials")
        defer { credentials.remove() }
        if seedKey {
            var key = [UInt8](repeating: 0, count: 32)
            for index in key.indices { key[index] = UInt8.random(in: 0...255) }
            let path = credentials.file("web-seed-key")
            try Data(key).base64EncodedString().write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
        }
        let bed = try await TestBed(environment: ["CREDENTIALS_DIRECTORY": credentials.path]) { receiver in
            var config = TestConfig(channels: [TestConfig.Channel("ops", url: receiver.url("/ops"))])
            config.operators = ["group:root", "user:nobody", "web:marie"]
            // nobody reaches the socket: the daemon's role check, not the file mode, decides.
            config.socketMode = "0666"
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))
        try await body(bed)
    }

    /// The base32 secret of an `otpauth://` URI in `text`, and the URI.
    private static func secret(in text: String) throws -> (uri: String, secret: String) {
        let match = try #require(text.firstMatch(of: /otpauth:\/\/totp\/[^\s]*secret=([A-Z2-7]+)[^\s]*/), "no otpauth URI in:\n\(text)")
        return (String(match.output.0), String(match.output.1))
    }

    @Test func anApproverEnrolsAWebUserWhoseSecretsAreKeptSealedAndNeverShownAgain() async throws {
        try await Self.withBed { bed in
            let daemon = bed.daemon
            let add = try await daemon.ctl("web-users", "add", "marie", input: Self.password + "\n")
            #expect(add.status == 0, "\(add)")
            let (uri, secret) = try Self.secret(in: add.stdout)
            #expect(secret.count == 32, "a 160-bit seed: \(secret.count) base32 characters")
            #expect(uri.hasPrefix("otpauth://totp/C%C3%A9gep%20de%20l%27Exemple:marie?secret="), "the app shows the college and the user: \(uri)")
            #expect(uri.hasSuffix("&issuer=C%C3%A9gep%20de%20l%27Exemple&algorithm=SHA1&digits=6&period=30"))
            #expect(add.stdout.contains("█"), "a QR code to scan (qrencode is installed by scripts/install-deps.sh): \(add.stdout)")
            #expect(add.stdout.contains("Roles: operator"))
            let seed = try await runCommand("/usr/bin/python3", ["-c", "import base64,sys; s = sys.argv[1]; print(base64.b32decode(s + '=' * (-len(s) % 8)).hex())", secret])
            let seedHex = seed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(seedHex.count == 40)

            // Never shown again; never in the store, a backup, the audit log or the daemon's log in clear.
            let list = try await daemon.ctl("web-users", "list", "--json")
            #expect(list.status == 0 && !list.stdout.contains(secret) && !list.stdout.contains("$2b$"), "\(list)")
            let users = try #require((try JSONSerialization.jsonObject(with: Data(list.stdout.utf8))) as? [[String: Any]])
            #expect(users.map { $0["name"] as? String } == ["marie"])
            #expect(users.first?["roles"] as? [String] == ["operator"] && users.first?["lockedOut"] as? Bool == false)
            let database = daemon.directory.file("state/tocsin.db")
            let stored = try await runCommand("/usr/bin/sqlite3", [database, "SELECT passwordHash || ' ' || hex(sealedSeed) || ' ' || seedKeyID FROM web_user"])
            #expect(stored.stdout.hasPrefix("$2b$12$"), "a bcrypt hash, cost 12: \(stored.stdout.prefix(7))")
            #expect(!stored.stdout.lowercased().contains(seedHex), "the seed is sealed, not stored")
            let backup = try await daemon.ctl("backup", "--json")
            let backupPath = try #require((try JSONSerialization.jsonObject(with: Data(backup.stdout.utf8)) as? [String: Any])?["path"] as? String, "\(backup)")
            let export = try await daemon.ctl("audit", "export", "--format", "jsonl")
            let seedBytes = try #require(Data(hexString: seedHex))
            // Every file of the state folder (the database, its -wal where a new row still is, the heads record).
            let stateFolder = daemon.directory.file("state")
            var places: [(String, Data)] = try FileManager.default.subpathsOfDirectory(atPath: stateFolder).compactMap { name in
                let path = stateFolder + "/" + name
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue, !name.hasSuffix(".sock") else { return nil }
                return ("state/\(name)", try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            #expect(places.contains { $0.0 == "state/tocsin.db-wal" }, "the write-ahead log is scanned too: \(places.map(\.0))")
            places += [
                ("the backup", try Data(contentsOf: URL(fileURLWithPath: backupPath))), ("the audit export", Data(export.stdout.utf8)),
                ("the daemon's log", Data(daemon.log().utf8)),
            ]
            for (what, bytes) in places {
                for secretForm in [Self.password, Self.password.uppercased(), Data(Self.password.utf8).base64EncodedString(), secret] {
                    #expect(bytes.range(of: Data(secretForm.utf8)) == nil, "\(what) holds a form of a secret")
                }
                #expect(bytes.range(of: seedBytes) == nil, "\(what) holds the seed's bytes")
            }
            #expect(export.stdout.contains(#""kind":"web-user.add""#) && export.stdout.contains("web:marie"), "the enrolment is audited")

            // Taken names and weak passwords: a clear refusal, nothing changed.
            let again = try await daemon.ctl("web-users", "add", "marie", input: "Un autre mot de passe\n")
            #expect(again.status == 2 && again.stderr.contains("a web user named 'marie' already exists"), "\(again)")
            let short = try await daemon.ctl("web-users", "add", "amelie", input: "court\n")
            #expect(short.status == 2 && short.stderr.contains("at least 12 characters") && !short.stderr.contains("court"), "\(short)")
            let badName = try await daemon.ctl("web-users", "add", "Marie Tremblay", input: Self.password + "\n")
            #expect(badName.status == 2 && badName.stderr.contains("is not a web user name"), "\(badName)")
            let nul = try await daemon.ctl("web-users", "add", "amelie", input: "a\u{0}bcdefghijklmnop\n")
            #expect(nul.status == 2 && nul.stderr.contains("cannot contain control characters"), "bcrypt would keep only 'a': \(nul)")
            let noInput = try await daemon.ctl("web-users", "add", "amelie", input: "")
            #expect(noInput.status == 2 && noInput.stderr.contains("No password"), "\(noInput)")
            #expect(try await runCommand("/usr/bin/sqlite3", [database, "SELECT group_concat(name) FROM web_user"]).stdout.trimmingCharacters(in: .newlines) == "marie")
            #expect(try await runCommand("/usr/bin/sqlite3", [database, "SELECT passwordHash FROM web_user"]).stdout == stored.stdout.components(separatedBy: " ")[0] + "\n")

            // Locked out after failed sign-ins (as the console records them), then unlocked by an approver.
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            _ = try await runCommand("/usr/bin/sqlite3", ["-cmd", ".timeout 5000", database, "UPDATE web_user SET failures = 20, lastFailureAt = \(now)"])
            let locked = try await daemon.ctl("web-users", "list")
            #expect(locked.stdout.contains("LOCKED OUT (tocsinctl web-users unlock marie)"), "\(locked)")
            #expect(try await daemon.ctl("web-users", "unlock", "marie").status == 0)
            #expect(!(try await daemon.ctl("web-users", "list")).stdout.contains("LOCKED OUT"))

            // A lost phone: a new code; the old one is gone.
            let reset = try await daemon.ctl("web-users", "reset", "marie", input: "Quatre chiens blancs 2027\n")
            #expect(reset.status == 0 && reset.stdout.contains("reset"), "\(reset)")
            #expect(try Self.secret(in: reset.stdout).secret != secret)

            let removed = try await daemon.ctl("web-users", "remove", "marie")
            #expect(removed.status == 0 && removed.stdout.contains("Also take web:marie out of 'access'"), "\(removed)")
            let gone = try await daemon.ctl("web-users", "remove", "marie")
            #expect(gone.status == 2 && gone.stderr.contains("no web user named 'marie'"), "\(gone)")
            #expect(try await daemon.ctl("web-users", "list").stdout.contains("No web users"))
            let kinds = try await runCommand("/usr/bin/sqlite3", [database, "SELECT group_concat(kind, ',') FROM (SELECT kind FROM audit WHERE subject = 'web:marie' ORDER BY seq)"])
            #expect(kinds.stdout.trimmingCharacters(in: .newlines) == "web-user.add,web-user.unlock,web-user.reset,web-user.remove")
            #expect(try await daemon.ctl("audit", "verify").status == 0)
        }
    }

    /// An operator who is no approver (an insider at the socket) can neither list nor make web users, and learns
    /// nothing about them.
    @Test func anOperatorWhoIsNoApproverCannotManageWebUsers() async throws {
        try await Self.withBed { bed in
            let add = try await bed.daemon.ctl(arguments: ["web-users", "add", "intrus"], input: Self.password + "\n", as: "nobody")
            #expect(add.status == 4 && add.stderr.contains("may not call web-user.add: it needs the approver role"), "\(add.stderr)")
            let list = try await bed.daemon.ctl(arguments: ["web-users", "list"], as: "nobody")
            #expect(list.status == 4, "\(list)")
            #expect(try await bed.daemon.ctl("web-users", "list").stdout.contains("No web users"))
        }
    }

    /// Without a seed key, enrolling is refused with the steps to give one, in the operator's language; the
    /// daemon runs and sends as before.
    @Test func withoutASeedKeyEnrollingIsRefusedWithTheStepsToGiveOne() async throws {
        try await Self.withBed(seedKey: false) { bed in
            let add = try await bed.daemon.ctl("web-users", "add", "marie", input: Self.password + "\n")
            #expect(add.status == 4 && add.stderr.contains("no key to seal web users' TOTP codes"), "\(add)")
            #expect(add.stderr.contains("LoadCredential=web-seed-key:/etc/tocsin/web-seed-key"))
            let french = try await runCommand(
                PackagePaths.tocsinctl, ["web-users", "add", "marie"], input: Self.password + "\n",
                environment: ["TOCSIN_SOCKET": bed.daemon.socketPath, "LC_ALL": "fr_CA.UTF-8"]
            )
            #expect(french.status == 4 && french.stderr.contains("tocsind n'a pas de clé pour sceller les codes TOTP"), "\(french)")
            #expect(french.stderr.contains("openssl rand -base64 32"))
            #expect(try await bed.daemon.ctl("web-users", "list").stdout.contains("No web users"))
            let drill = try await bed.daemon.ctl("drill", "evacuation", "--set", "building=Pavillon A", "--yes")
            #expect(drill.status == 0, "\(drill)")
        }
    }
}

extension Data {
    init?(hexString: String) {
        var bytes: [UInt8] = []
        var index = hexString.startIndex
        while index < hexString.endIndex {
            let next = hexString.index(index, offsetBy: 2, limitedBy: hexString.endIndex) ?? hexString.endIndex
            guard let byte = UInt8(hexString[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
