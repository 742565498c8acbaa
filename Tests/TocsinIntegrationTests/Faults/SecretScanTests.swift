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
/// environment), plus one inline header. The scan (``LeakScanner``) looks for every run of eight characters of every
/// value in the forms a service echoes (raw, any letter case, percent-encoded, base64 and base64url at any alignment,
/// which covers Twilio's Basic credentials). Figures are printed with the prefix `FAULTS-A`.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct SecretScanTests {
    /// The copy `tocsinctl backup` just wrote (the daemon names it, in `paths.backups`).
    static func newestBackup(_ bed: TestBed) throws -> String {
        let folder = bed.directory.file("state/backups")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        let name = try #require(names.filter { $0.hasSuffix(".db") }.sorted().last, "tocsinctl backup wrote a copy")
        return (folder as NSString).appendingPathComponent(name)
    }

    @Test func noConfiguredSecretAppearsInLogsAuditDatabaseOrCLIOutput() async throws {
        // Each secret its own random tail, so a hit names the secret that leaked (a shared tail would match them all).
        // Letters outside hex: an 8-character run of a hex tail turned up by chance among the database's hashes.
        func tag() -> String { LeakScanner.tag() }
        let signing = TestConfig.makeSecret()
        let secrets: [String: String] = [
            "webhook signing secret": signing,
            "webhook header token": "hdrTOKEN\(tag())",
            "slack url token": "SLACKsecret\(tag())",
            "discord url token": "DISCORDsecret\(tag())",
            "telegram bot token": "987654321:TGsecret\(tag())",
            "ntfy token": "tk_NTFYsecret\(tag())",
            "twilio auth token": "TWILIOsecret\(tag())",
            "facebook page token": "EAAFBsecret\(tag())",
            "x consumer secret": "XcsSECRET\(tag())",
            "x access token": "XaccessTOKEN\(tag())",
            "x access token secret": "XaccessSECRET\(tag())",
            "smtp password (wrong)": "SMTPwrong\(tag())",
            "smtp password": "SMTPright\(tag())",
        ]
        let accountSID = "AC0123456789abcdef0123456789abcdef"
        // The base64 key inside the whsec_ secret is a run of it; Twilio's Basic credentials are its token in base64.
        var needles = secrets

        let credentials = try TemporaryDirectory(prefix: "tocsin-creds")
        defer { credentials.remove() }
        func credential(_ name: String, _ value: String) throws -> String {
            try credentials.write(name, value + "\n")
            return "$TOCSIN_FAULT_CREDS/\(name)"
        }
        let smtp = try await offPool { try LoopbackSMTPServer(in: credentials, credentials: (user: "tocsin", password: secrets["smtp password"]!)) }
        defer { smtp.stop() }
        // Held, not listening, for the whole test: refused all along (a released port may be taken by another test's server).
        let dead = try LoopbackPort()
        defer { dead.close() }
        let deadPort = dead.port
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
        let bed = try await TestBed(plan: plan, environment: ["TOCSIN_FAULT_CREDS": credentials.path]) { receiver in
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
            // The test template has no short text: these channels may shorten it, so it can be approved (issue 15).
            config.channels = config.channels.map { channel in var channel = channel; channel.extra += "    allow_shortening: true\n"; return channel }
            return config
        }
        defer { bed.tearDown() }

        var outputs: [(source: String, text: String)] = []
        func ctl(_ arguments: String...) async throws -> CommandResult {
            let result = try await bed.daemon.ctl(arguments: arguments)
            outputs.append(("tocsinctl \(arguments.joined(separator: " "))", result.stdout + result.stderr))
            return result
        }
        _ = try await ctl("templates", "approve", "evacuation", "--yes")
        let send = try await ctl("send", "evacuation", "--set", "building=Pavillon A", "--yes")
        #expect(send.status == 1, "some deliveries fail\n\(send)")
        let drill = try await ctl("drill", "evacuation", "--set", "building=Pavillon B", "--yes", "--json")
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
            _ = try await ctl("channels", "test", channel, "--yes")
        }
        for arguments in [["channels", "list"], ["channels", "list", "--json"], ["status"], ["status", incident, "--json"],
                          ["report", incident], ["report", incident, "--json"], ["report", incident, "--html", bed.directory.file("report.html")],
                          ["audit", "log", "--json", "--limit", "100000"], ["audit", "log", "--limit", "100000"],
                          ["audit", "export", "--format", "jsonl"], ["audit", "export", "--format", "csv"], ["audit", "verify", "--json"],
                          ["preview", "evacuation", "--set", "building=Pavillon A"], ["templates", "show", "evacuation", "--json"], ["health", "--json"],
                          ["backup"]] {
            _ = try await bed.daemon.ctl(arguments: arguments).map { outputs.append(("tocsinctl \(arguments.joined(separator: " "))", $0.stdout + $0.stderr)) }
        }
        // A reload refused because a secret file now holds a bad value, which must not be echoed either.
        let badSigning = "whsec_!!not-base64-\(tag())"
        needles["bad signing secret (reload)"] = badSigning
        try credentials.write("ops-secret", badSigning + "\n")
        let reload = try await ctl("reload")
        #expect(reload.status != 0, "\(reload)")
        let check = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", bed.daemon.configPath], environment: ["TOCSIN_FAULT_CREDS": credentials.path])
        outputs.append(("tocsind --check-config", check.stdout + check.stderr))
        #expect(check.status == 1, "\(check)")
        try credentials.write("ops-secret", signing + "\n")

        let dump = try await runCommand("/usr/bin/env", ["sqlite3", bed.daemon.databasePath, ".dump"])
        #expect(dump.status == 0, "\(dump)")
        outputs.append(("sqlite3 state.db .dump", dump.stdout))
        let backupFile = try Self.newestBackup(bed)
        let backupDump = try await runCommand("/usr/bin/env", ["sqlite3", backupFile, ".dump"])
        outputs.append(("sqlite3 backup.db .dump", backupDump.stdout))
        for path in [bed.daemon.databasePath, bed.daemon.databasePath + "-wal", backupFile, bed.directory.file("report.html")] {
            if let data = FileManager.default.contents(atPath: path) { outputs.append(((path as NSString).lastPathComponent + " (raw bytes)", String(decoding: data, as: UTF8.self))) }
        }
        outputs.append(("tocsind log (debug level)", bed.daemon.log()))

        let hits = LeakScanner(secrets: needles).scan(outputs)
        #expect(hits.isEmpty, "secrets leaked:\n\(hits.joined(separator: "\n"))")
        // The scan looked at something real: the failures are on record, with what the services answered.
        let audit = outputs.first { $0.source.hasPrefix("tocsinctl audit log --json") }?.text ?? ""
        #expect(audit.contains("HTTP 401") && audit.contains("Unauthorized"))
        let bytes = outputs.reduce(0) { $0 + $1.text.utf8.count }
        print("FAULTS-A secrets: \(needles.count) secret values, each in every echo form, scanned in "
            + "\(outputs.count) sources, \(bytes) bytes; hits: \(hits.count)")
        for hit in hits { print("FAULTS-A secrets HIT: \(hit)") }
    }
    /// A service that echoes everything it is sent — request line, every header, the body, decoded Basic credentials;
    /// raw, base64, base64url, other case, percent-encoded, cut to 12 characters — into its error answers, for every
    /// secret-bearing channel type. Nothing of any secret reaches the database, its WAL, a backup, the audit log and
    /// exports, reports, the daemon's log, or what `tocsinctl` shows to root, an operator, an auditor or a monitor.
    /// Figures are printed with the prefix `SECRETS-ECHO`.
    @Test func aServiceEchoingEveryRequestLeaksNoSecretOfAnyChannelTypeToAnyRole() async throws {
        // Each secret its own random tail, so a hit names the secret that leaked (a shared tail would match them all).
        // Letters outside hex: an 8-character run of a hex tail turned up by chance among the database's hashes.
        func tag() -> String { LeakScanner.tag() }
        let secrets: [String: String] = [
            "webhook signing secret": TestConfig.makeSecret(),
            "webhook bearer token": "hdrECHO\(tag())",
            "webhook api key": "apiKEYecho\(tag())",
            "slack url token": "SLACKecho\(tag())",
            "teams url sig": "TEAMSsig\(tag())",
            "discord url token": "DISCORDecho\(tag())",
            "mattermost url token": "MMhook\(tag())",
            "google-chat url token": "GCHATtok\(tag())",
            "telegram bot token": "555000111:TGecho\(tag())",
            "ntfy token": "tk_NTFYecho\(tag())",
            "twilio auth token": "TWILIOecho\(tag())",
            "facebook page token": "EAAFBecho\(tag())",
            "x consumer secret": "XcsECHO\(tag())",
            "x access token": "XaccessECHO\(tag())",
            "x access token secret": "XaccessSECRETecho\(tag())",
            "smtp password": "SMTPecho\(tag())",
        ]
        let scratch = try TemporaryDirectory(prefix: "tocsin-echo")
        defer { scratch.remove() }
        let echo = try await offPool { try EchoReceiver(in: scratch) }
        defer { echo.stop() }
        let smtpPassword = "the-right-one-\(tag())"
        let smtp = try await offPool { try LoopbackSMTPServer(in: scratch, credentials: (user: "tocsin", password: smtpPassword)) }
        defer { smtp.stop() }
        let accountSID = "AC0123456789abcdef0123456789abcdef"
        let roles = ["operator": "daemon", "auditor": "nobody", "monitor": "bin"]
        let bed = try await TestBed { _ in
            let s = secrets
            var config = TestConfig(channels: [
                HostileKit.channel("hook", type: "webhook", url: echo.url("/hook"),
                    "    secret: \"\(s["webhook signing secret"]!)\"\n"
                        + "    headers: { Authorization: \"Bearer \(s["webhook bearer token"]!)\", X-Api-Key: \"\(s["webhook api key"]!)\" }\n"),
                HostileKit.channel("slack", type: "slack", url: echo.url("/services/T000/B000/\(s["slack url token"]!)")),
                HostileKit.channel("teams", type: "teams",
                    url: echo.url("/workflows/7f/triggers/manual/paths/invoke?api-version=2016-06-01&sig=\(s["teams url sig"]!)")),
                HostileKit.channel("discord", type: "discord", url: echo.url("/api/webhooks/1/\(s["discord url token"]!)")),
                HostileKit.channel("mattermost", type: "mattermost", url: echo.url("/hooks/\(s["mattermost url token"]!)")),
                HostileKit.channel("gchat", type: "google-chat", url: echo.url("/v1/spaces/AAAA/messages?key=AIzaKey&token=\(s["google-chat url token"]!)")),
                HostileKit.channel("telegram", type: "telegram",
                    "    api_base: \"\(echo.url("/tg"))\"\n    chat_id: \"-100123\"\n    bot_token: \"\(s["telegram bot token"]!)\"\n"),
                HostileKit.channel("ntfy", type: "ntfy", url: echo.url("/ntfy/alerts"), "    token: \(s["ntfy token"]!)\n"),
                HostileKit.channel("sms", type: "twilio-sms",
                    "    api_base: \"\(echo.url("/twilio"))\"\n    account_sid: \(accountSID)\n    auth_token: \(s["twilio auth token"]!)\n"
                        + "    from: \"+15145550000\"\n    to: [\"+15145551234\"]\n"),
                HostileKit.channel("facebook", type: "facebook-page",
                    "    api_base: \"\(echo.url("/graph"))\"\n    page_id: \"104857600000001\"\n    access_token: \(s["facebook page token"]!)\n"),
                HostileKit.channel("x", type: "x",
                    "    api_base: \"\(echo.url("/x"))\"\n    consumer_key: xConsumerKey\n    consumer_secret: \(s["x consumer secret"]!)\n"
                        + "    access_token: \(s["x access token"]!)\n    access_token_secret: \(s["x access token secret"]!)\n"),
                HostileKit.channel("mail", type: "email",
                    "    smtp_url: \"\(smtp.url)\"\n    username: tocsin\n    password: \(s["smtp password"]!)\n"
                        + "    from: alertes@cegep.example\n    to: [comms@cegep.example]\n"),
            ])
            // Fast retries: each echo form is one attempt, and every attempt's answer is kept.
            config.retry = "{ initial: 5ms, max: 20ms }"
            config.deadline = "2m"
            config.socketMode = "0666"  // roles, not the file mode, decide who may ask what
            config.operators = ["group:root", "user:\(roles["operator"]!)"]
            config.auditors = ["group:root", "user:\(roles["auditor"]!)"]
            config.monitors = ["user:\(roles["monitor"]!)"]
            config.channels = config.channels.map { channel in var channel = channel; channel.extra += "    allow_shortening: true\n"; return channel }
            return config
        }
        defer { bed.tearDown() }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bed.directory.file("state"))

        var outputs: [(source: String, text: String)] = []
        func ctl(_ arguments: [String], as user: String? = nil) async throws -> CommandResult {
            let result = try await bed.daemon.ctl(arguments: arguments, as: user)
            outputs.append(("tocsinctl \(arguments.joined(separator: " "))" + (user.map { " (as \($0))" } ?? ""), result.stdout + result.stderr))
            return result
        }
        _ = try await ctl(["templates", "approve", "evacuation", "--yes"])
        let send = try await ctl(["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
        let incident = try #require(send.jsonLines.first?["incident"] as? String, "\(send)")
        let summary = try #require(send.jsonLines.last?["deliveries"] as? [[String: Any]], "\(send)")
        let names = ["hook", "slack", "teams", "discord", "mattermost", "gchat", "telegram", "ntfy", "sms", "facebook", "x", "mail"]
        let states = Dictionary(summary.map { ($0["channel"] as? String ?? "", $0["state"] as? String ?? "") }) { $1 }
        for name in names { #expect(states[name] == "failed", "\(name): \(states[name] ?? "?")") }

        // The service really echoed every secret it was sent: the test is not vacuous.
        let served = echo.exchanges()
        let answers = served.map(\.answer).joined(separator: "\n")
        let sent = secrets.filter { !["webhook signing secret", "x consumer secret", "x access token secret", "smtp password"].contains($0.key) }
        let echoed = Set(LeakScanner(secrets: sent).scan([("echo", answers)]).compactMap { $0.components(separatedBy: " (raw)").dropLast().first })
        #expect(echoed == Set(sent.keys), "the echo never carried: \(Set(sent.keys).subtracting(echoed).sorted())")
        let basic = Data("\(accountSID):\(secrets["twilio auth token"]!)".utf8).base64EncodedString()
        #expect(served.contains { $0.headers["Authorization"] == "Basic \(basic)" }, "Twilio's credentials went as Basic")
        #expect(answers.contains(basic.replacingOccurrences(of: "/", with: "\\/")), "and came back in base64")

        for name in ["hook", "telegram", "sms", "x", "mail"] { _ = try await ctl(["channels", "test", name, "--yes"]) }
        let common = [["channels", "list"], ["channels", "list", "--json"], ["health"], ["health", "--json"], ["status"],
                      ["status", incident, "--json"], ["report", incident], ["report", incident, "--json"],
                      ["audit", "log", "--json", "--limit", "100000"], ["audit", "log", "--limit", "100000"],
                      ["audit", "export", "--format", "jsonl"], ["audit", "export", "--format", "csv"]]
        for arguments in common + [["report", incident, "--html", bed.directory.file("report.html")], ["backup"]] {
            _ = try await ctl(arguments)
        }
        // Each role sees what it may see, clean; what it may not see is refused (exit 4), and that is clean too.
        var allowed: [String: [String]] = [:]
        if getuid() == 0 {
            for (role, user) in roles.sorted(by: { $0.key < $1.key }) {
                for arguments in common {
                    // 4 is "refused"; health answers 1 or 2 when channels fail, which they do here.
                    let status = try await ctl(arguments, as: user).status
                    if status != 4 && status != 3 { allowed[role, default: []].append(arguments.joined(separator: " ")) }
                }
            }
            #expect(allowed["monitor"] == ["health", "health --json"], "\(allowed)")
            #expect(allowed["auditor"]?.contains("audit export --format jsonl") == true, "\(allowed)")
            #expect(allowed["operator"]?.contains("channels list") == true, "\(allowed)")
            for (role, verbs) in allowed.sorted(by: { $0.key < $1.key }) { print("SECRETS-ECHO \(role) may: \(verbs.joined(separator: "; "))") }
        } else {
            // The roles need root (setpriv); CI runs as root, so there this is a failure, not a skip.
            if ProcessInfo.processInfo.environment["CI"] == "true" { Issue.record("run as root to check every role's view") }
            print("SECRETS-ECHO roles not checked: not running as root")
        }

        let dump = try await runCommand("/usr/bin/env", ["sqlite3", bed.daemon.databasePath, ".dump"])
        #expect(dump.status == 0, "\(dump)")
        outputs.append(("sqlite3 state.db .dump", dump.stdout))
        let backupFile = try Self.newestBackup(bed)
        outputs.append(("sqlite3 backup.db .dump", try await runCommand("/usr/bin/env", ["sqlite3", backupFile, ".dump"]).stdout))
        for path in [bed.daemon.databasePath, bed.daemon.databasePath + "-wal", backupFile, bed.directory.file("report.html")] {
            if let data = FileManager.default.contents(atPath: path) { outputs.append(((path as NSString).lastPathComponent + " (raw bytes)", String(decoding: data, as: UTF8.self))) }
        }
        outputs.append(("tocsind log (debug level)", bed.daemon.log()))

        let hits = LeakScanner(secrets: secrets).scan(outputs)
        #expect(hits.isEmpty, "secrets leaked:\n\(hits.joined(separator: "\n"))")
        // What the services said is on record, masked: every echoing channel's attempts show the placeholder.
        let attempts = try await bed.daemon.ctl("audit", "log", "--json", "--limit", "100000").jsonLines.filter { $0["kind"] as? String == "delivery.attempt" }
        var masked: [String: Int] = [:], total: [String: Int] = [:]
        for entry in attempts {
            guard let detail = (entry["detail"] as? String).flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) }) as? [String: Any],
                let channel = detail["channel"] as? String else { continue }
            total[channel, default: 0] += 1
            if (detail["error"] as? String)?.contains("<redacted>") == true { masked[channel, default: 0] += 1 }
        }
        for name in names where name != "mail" { #expect(masked[name, default: 0] > 0, "\(name): \(masked) of \(total)") }
        let bytes = outputs.reduce(0) { $0 + $1.text.utf8.count }
        print("SECRETS-ECHO \(secrets.count) secrets of 12 channel types; \(served.count) echoed answers; \(attempts.count) attempts recorded, "
            + "\(masked.values.reduce(0, +)) with a masked echo; \(outputs.count) sources (\(bytes) bytes) scanned; hits: \(hits.count)")
        for hit in hits { print("SECRETS-ECHO HIT: \(hit)") }
    }
}

/// Finds secrets in text in the forms a service echoes them, as the contract counts a leak: any run of eight
/// characters of the value, raw or percent-encoded, in any letter case; any run of ten characters of its base64 or
/// base64url form at any of the three byte alignments (so inside any blob, such as Basic `user:secret`). Runs of
/// digits only are not counted (ordinary numbers share them). Linear in the text: one set of 8-byte keys.
struct LeakScanner {
    /// A random 12-letter tail without hex letters or digits, so it can never be part of a hash or an id.
    static func tag() -> String { String((0..<12).map { _ in "ghjkmnpqrstvwxyz".randomElement()! }) }

    private struct Needle {
        var name: String
        var form: String
        var run: [UInt8]
    }

    private var needles: [UInt64: [Needle]] = [:]

    init(secrets: [String: String]) {
        for (name, value) in secrets {
            let bytes = Array(value.utf8)
            var forms: [(String, String, Int)] = [("raw", value, 8)]
            if let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != value { forms.append(("percent-encoded", encoded, 8)) }
            for filler in 0..<3 {
                let blob = Data([UInt8](repeating: 0, count: filler) + bytes).base64EncodedString()
                let characters = Array(blob)
                let part = String(characters[(8 * filler + 5) / 6..<8 * (filler + bytes.count) / 6])
                forms.append(("base64", part, 10))
                forms.append(("base64url", part.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"), 10))
            }
            for (form, text, length) in forms {
                let folded = Array(text.lowercased().utf8)
                guard folded.count >= length else { continue }
                for start in 0...(folded.count - length) {
                    let run = Array(folded[start..<start + length])
                    if run.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { continue }
                    needles[Self.key(run[0..<8]), default: []].append(Needle(name: name, form: form, run: run))
                }
            }
        }
    }

    private static func key(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reduce(0) { $0 << 8 | UInt64($1) } }

    /// One line per (secret, form, source) found: its count and the text just before the first one.
    func scan(_ sources: [(source: String, text: String)]) -> [String] {
        var hits: [String] = []
        for (source, text) in sources {
            let bytes = Array(text.lowercased().utf8)
            var found: [String: (count: Int, at: Int)] = [:]
            var key: UInt64 = 0
            for index in bytes.indices {
                key = key << 8 | UInt64(bytes[index])
                guard index >= 7, let candidates = needles[key] else { continue }
                let start = index - 7
                for needle in candidates where start + needle.run.count <= bytes.count
                    && bytes[start..<start + needle.run.count].elementsEqual(needle.run) {
                    found["\(needle.name) (\(needle.form))", default: (0, start)].count += 1
                }
            }
            for (label, hit) in found.sorted(by: { $0.key < $1.key }) {
                let context = String(decoding: bytes[max(0, hit.at - 80)..<hit.at], as: UTF8.self)
                hits.append("\(label) ×\(hit.count) in \(source): …\(context)")
            }
        }
        return hits
    }
}

private extension CommandResult {
    func map(_ body: (CommandResult) -> Void) { body(self) }
}
