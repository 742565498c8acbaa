import Foundation
import Testing
import TocsinProtocol
import TocsinTestSupport

/// No configured secret value ever leaves the daemon except in the request to its own service: a scan of the
/// daemon's log (debug level), the audit (`audit log --json`, both exports), a full `sqlite3 .dump` and the raw
/// database files, a backup, every CLI output and error message — after sends that fail in every way a service can
/// make them fail, including services that echo our credentials back in their error answers.
///
/// Secrets are given through `*_file` keys whose paths use `$TOCSIN_FAULT_CREDS` (expanded from the daemon's
/// environment), plus one inline header. The scan counts every occurrence of every value (and of derived forms:
/// the base64 key of the whsec_ secret, Twilio's Basic credentials). Figures are printed with the prefix `FAULTS-A`.
@Suite(.timeLimit(.minutes(3)))
struct SecretScanTests {
    @Test func noConfiguredSecretAppearsInLogsAuditDatabaseOrCLIOutput() throws {
        let tag = String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12))
        let signing = TestConfig.makeSecret()
        let secrets: [String: String] = [
            "webhook signing secret": signing,
            "webhook header token": "hdrTOKEN\(tag)",
            "slack url token": "SLACKsecret\(tag)",
            "discord url token": "DISCORDsecret\(tag)",
            "telegram bot token": "987654321:TGsecret\(tag)",
            "ntfy token": "tk_NTFYsecret\(tag)",
            "twilio auth token": "TWILIOsecret\(tag)",
            "facebook page token": "EAAFBsecret\(tag)",
            "x consumer secret": "XconsumerSECRET\(tag)",
            "x access token": "XaccessTOKEN\(tag)",
            "x access token secret": "XaccessSECRET\(tag)",
            "smtp password (wrong)": "SMTPwrong\(tag)",
            "smtp password": "SMTPright\(tag)",
        ]
        let accountSID = "AC0123456789abcdef0123456789abcdef"
        var needles = secrets
        needles["webhook signing key (base64)"] = String(signing.dropFirst("whsec_".count))
        needles["twilio basic credentials"] = Data("\(accountSID):\(secrets["twilio auth token"]!)".utf8).base64EncodedString()

        let credentials = try TemporaryDirectory(prefix: "tocsin-creds")
        defer { credentials.remove() }
        func credential(_ name: String, _ value: String) throws -> String {
            try credentials.write(name, value + "\n")
            return "$TOCSIN_FAULT_CREDS/\(name)"
        }
        let smtp = try LoopbackSMTPServer(in: credentials, credentials: (user: "tocsin", password: secrets["smtp password"]!))
        defer { smtp.stop() }
        let deadPort = try HostileKit.unusedPort()
        let bot = secrets["telegram bot token"]!, header = secrets["webhook header token"]!
        // Services that fail, several of them echoing what we sent them (as real ones sometimes do).
        let plan: [String: [[String: Any]]] = [
            "/ops": [["status": 500], ["status": 500], ["status": 200]],
            "/denied": [["status": 401, "body": #"{"error":"bad credentials: Bearer \#(header)"}"#]],
            "/denied-token-only": [["status": 403, "body": #"{"error":"token \#(header) revoked"}"#]],
            "/services/T000/B000/\(secrets["slack url token"]!)": [["status": 500, "body": "no_service for /services/T000/B000/\(secrets["slack url token"]!)"]],
            "/api/webhooks/1/\(secrets["discord url token"]!)": [["hang": true]],
            "/tg/bot\(bot)/sendMessage": [["status": 401, "body": #"{"ok":false,"error_code":401,"description":"Unauthorized: bot\#(bot) is not a valid token"}"#]],
            "/ntfy/alerts": [["status": 403, "body": #"{"code":40301,"error":"forbidden: token \#(secrets["ntfy token"]!) has no access"}"#]],
            "/graph/v19.0/104857600000001/feed": [["status": 400, "body": #"{"error":{"message":"Invalid OAuth access token - Cannot parse access token \#(secrets["facebook page token"]!)","type":"OAuthException","code":190}}"#]],
            "/x/2/tweets": [["status": 401, "body": #"{"title":"Unauthorized","detail":"invalid token \#(secrets["x access token"]!)"}"#]],
        ]
        /// A `KEY_file:` line whose file holds the named secret; its path goes through `$TOCSIN_FAULT_CREDS`.
        func file(_ key: String, _ secretName: String, _ fileName: String) -> String {
            "    \(key)_file: \((try? credential(fileName, secrets[secretName]!)) ?? "missing")\n"
        }
        let bed = try TestBed(plan: plan, environment: ["TOCSIN_FAULT_CREDS": credentials.path]) { receiver in
            // Slack and Discord: the URL is the credential, read from a file too.
            _ = try? credentials.write("slack-url", receiver.url("/services/T000/B000/\(secrets["slack url token"]!)") + "\n")
            _ = try? credentials.write("discord-url", receiver.url("/api/webhooks/1/\(secrets["discord url token"]!)") + "\n")
            let mail = "    smtp_url: \"\(smtp.url)\"\n    username: tocsin\n    from: alertes@cegep.example\n    to: [comms@cegep.example]\n"
            var config = TestConfig(channels: [
                HostileKit.channel("ops", type: "webhook", url: receiver.url("/ops"), file("secret", "webhook signing secret", "ops-secret")),
                HostileKit.channel("denied", type: "webhook", url: receiver.url("/denied"),
                    "    headers: { Authorization: \"Bearer \(header)\" }\n" + file("secret", "webhook signing secret", "denied-secret")),
                HostileKit.channel("denied-token-only", type: "webhook", url: receiver.url("/denied-token-only"),
                    "    headers: { Authorization: \"Bearer \(header)\" }\n"),
                HostileKit.channel("slack", type: "slack", "    url_file: $TOCSIN_FAULT_CREDS/slack-url\n"),
                HostileKit.channel("discord", type: "discord", timeout: "1s", "    url_file: ${TOCSIN_FAULT_CREDS}/discord-url\n"),
                HostileKit.channel("telegram", type: "telegram",
                    "    api_base: \"\(receiver.url("/tg"))\"\n    chat_id: \"-100123\"\n" + file("bot_token", "telegram bot token", "tg-token")),
                HostileKit.channel("ntfy", type: "ntfy", url: receiver.url("/ntfy/alerts"), file("token", "ntfy token", "ntfy-token")),
                HostileKit.channel("sms", type: "twilio-sms",
                    "    api_base: \"http://127.0.0.1:\(deadPort)\"\n    account_sid: \(accountSID)\n    from: \"+15145550000\"\n    to: [\"+15145551234\"]\n"
                        + file("auth_token", "twilio auth token", "twilio-token")),
                HostileKit.channel("facebook", type: "facebook-page",
                    "    api_base: \"\(receiver.url("/graph"))\"\n    page_id: \"104857600000001\"\n" + file("access_token", "facebook page token", "fb-token")),
                HostileKit.channel("x", type: "x",
                    "    api_base: \"\(receiver.url("/x"))\"\n    consumer_key: xConsumerKey\n" + file("consumer_secret", "x consumer secret", "x-cs")
                        + file("access_token", "x access token", "x-at") + file("access_token_secret", "x access token secret", "x-ats")),
                HostileKit.channel("mail-bad-auth", type: "email", mail + file("password", "smtp password (wrong)", "smtp-wrong")),
                HostileKit.channel("mail", type: "email", mail + file("password", "smtp password", "smtp-right")),
            ])
            config.deadline = "5s"
            return config
        }
        defer { bed.tearDown() }

        var outputs: [(source: String, text: String)] = []
        func ctl(_ arguments: String...) throws -> CommandResult {
            let result = try bed.daemon.ctl(arguments: arguments)
            outputs.append(("tocsinctl \(arguments.joined(separator: " "))", result.stdout + result.stderr))
            return result
        }
        _ = try ctl("templates", "approve", "evacuation", "--yes")
        let send = try ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
        #expect(send.status == 1, "some deliveries fail\n\(send)")
        let drill = try ctl("drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
        let incident = try #require(drill.jsonLines.first?["incident"] as? String)
        let summary = try #require(drill.jsonLines.last?["deliveries"] as? [[String: Any]])
        // The faults happened as planned: every failing channel failed, the two healthy ones delivered.
        let states = Dictionary(uniqueKeysWithValues: summary.map { ($0["channel"] as? String ?? "", $0["state"] as? String ?? "") })
        #expect(states["ops"] == "delivered" && states["mail"] == "delivered", "\(states)")
        for name in ["denied", "denied-token-only", "slack", "discord", "telegram", "ntfy", "sms", "facebook", "x", "mail-bad-auth"] {
            #expect(states[name] == "failed", "\(name): \(states[name] ?? "?")")
        }
        #expect(smtp.messages().count == 2, "the right password got through, once per send")

        for channel in ["ops", "denied", "slack", "discord", "telegram", "ntfy", "sms", "facebook", "x", "mail-bad-auth", "mail"] {
            _ = try ctl("channels", "test", channel)
        }
        for arguments in [["channels", "list"], ["channels", "list", "--json"], ["status"], ["status", incident, "--json"],
                          ["report", incident], ["report", incident, "--json"], ["report", incident, "--html", bed.directory.file("report.html")],
                          ["audit", "log", "--json", "--limit", "100000"], ["audit", "log", "--limit", "100000"],
                          ["audit", "export", "--format", "jsonl"], ["audit", "export", "--format", "csv"], ["audit", "verify", "--json"],
                          ["preview", "evacuation", "--set", "building=Pavillon A"], ["templates", "show", "evacuation", "--json"], ["health", "--json"],
                          ["backup", bed.directory.file("backup.db")]] {
            _ = try bed.daemon.ctl(arguments: arguments).map { outputs.append(("tocsinctl \(arguments.joined(separator: " "))", $0.stdout + $0.stderr)) }
        }
        // A reload refused because a secret file now holds a bad value, which must not be echoed either.
        let badSigning = "whsec_!!not-base64-\(tag)"
        needles["bad signing secret (reload)"] = badSigning
        try credentials.write("ops-secret", badSigning + "\n")
        let reload = try ctl("reload")
        #expect(reload.status != 0, "\(reload)")
        let check = try runCommand(PackagePaths.tocsind, ["--check-config", "--config", bed.daemon.configPath], environment: ["TOCSIN_FAULT_CREDS": credentials.path])
        outputs.append(("tocsind --check-config", check.stdout + check.stderr))
        #expect(check.status == 1, "\(check)")
        try credentials.write("ops-secret", signing + "\n")

        let dump = try runCommand("/usr/bin/env", ["sqlite3", bed.daemon.databasePath, ".dump"])
        #expect(dump.status == 0, "\(dump)")
        outputs.append(("sqlite3 state.db .dump", dump.stdout))
        let backupDump = try runCommand("/usr/bin/env", ["sqlite3", bed.directory.file("backup.db"), ".dump"])
        outputs.append(("sqlite3 backup.db .dump", backupDump.stdout))
        for path in [bed.daemon.databasePath, bed.daemon.databasePath + "-wal", bed.directory.file("backup.db"), bed.directory.file("report.html")] {
            if let data = FileManager.default.contents(atPath: path) { outputs.append(((path as NSString).lastPathComponent + " (raw bytes)", String(decoding: data, as: UTF8.self))) }
        }
        outputs.append(("tocsind log (debug level)", bed.daemon.log()))

        var hits: [String] = []
        for (source, text) in outputs {
            for (name, value) in needles.sorted(by: { $0.key < $1.key }) where text.contains(value) {
                let count = text.components(separatedBy: value).count - 1
                var context = ""
                if let range = text.range(of: value) {
                    let start = text.index(range.lowerBound, offsetBy: -80, limitedBy: text.startIndex) ?? text.startIndex
                    context = String(text[start..<range.lowerBound])
                }
                hits.append("\(name) ×\(count) in \(source): …\(context)")
            }
        }
        #expect(hits.isEmpty, "secrets leaked:\n\(hits.joined(separator: "\n"))")
        // The scan looked at something real: the failures are on record, with what the services answered.
        let audit = outputs.first { $0.source.hasPrefix("tocsinctl audit log --json") }?.text ?? ""
        #expect(audit.contains("HTTP 401") && audit.contains("Unauthorized"))
        let bytes = outputs.reduce(0) { $0 + $1.text.utf8.count }
        print("FAULTS-A secrets: \(needles.count) secret values (13 configured + derived forms) scanned in \(outputs.count) sources, "
            + "\(bytes) bytes; hits: \(hits.count)")
        for hit in hits { print("FAULTS-A secrets HIT: \(hit)") }
    }
}

private extension CommandResult {
    func map(_ body: (CommandResult) -> Void) { body(self) }
}
