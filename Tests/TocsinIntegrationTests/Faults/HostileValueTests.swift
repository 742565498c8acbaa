import Foundation
import Testing
import TocsinClient
import TocsinProtocol
import TocsinTestSupport

/// Hostile `--set` values end to end: sent over the admin socket as raw bytes, rendered, encoded for every channel
/// type and checked as each receiver actually got them. A value is either refused before anything is stored, with
/// an error that says why (and neither echoes a huge value nor carries a control character to the operator's
/// terminal), or it arrives as inert text in every medium: no markup, mention, link, header or template tag forms.
/// The per-medium escapers are unit-tested in TocsinChannelsTests; this checks the whole path. Figures are printed
/// with the prefix `FAULTS-A`.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct HostileValueTests {
    static let template = """
        id: notice
        category: Safety
        severity: Severe
        urgency: Immediate
        certainty: Observed
        response: Monitor
        route: campus
        drill_route: drill
        variables:
          what: { required: true }
          where: { default: Campus }
          building: { default: Pavillon A, allowed: [Pavillon A, Pavillon B] }
        event: { fr: Avis, en: Notice }
        title: { fr: "AVIS — {{what}}", en: "NOTICE — {{what}}" }
        body: { fr: "{{what}} ({{where}}, {{building}})", en: "{{what}} ({{where}}, {{building}})" }

        """

    /// Markup of every medium, mentions, quotes, backslashes, Mustache tags: accepted (one line, ≤ 200 characters).
    /// `what` is also the title, so it stays short enough for Slack's 150-character header with the drill words: a
    /// longer one is refused as a cut (FitCheck.sendCut), which is not what this test is about.
    static let what = #"Salle "B-12" <script>alert('x')</script> <!channel> <@U024BE7LH> @everyone @here *gras* _it_ ~~barré~~ "#
    static let whereValue = #"[clic](http://evil.example) ||spoil|| `code` # titre & &amp; {{building}} {{{what}}} {{=<% %>=}} {{#x}}y{{/x}} {{DATE(2017-02-14T06:08:39Z)}} @[104857600000001] </description><![CDATA[x]]> 😀 é"#

    /// One `incident.send` line with the variables as raw bytes (so invalid UTF-8 can be sent as such).
    static func sendLine(_ variables: [(String, [UInt8])], id: Int = 1) -> [UInt8] {
        var line = Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"incident.send","params":{"template":"notice","drill":true,"variables":{"#.utf8)
        for (index, (name, value)) in variables.enumerated() {
            if index > 0 { line.append(UInt8(ascii: ",")) }
            line += jsonString(Array(name.utf8)) + [UInt8(ascii: ":")] + jsonString(value)
        }
        return line + Array("}}}".utf8)
    }

    /// A JSON string literal of `bytes`: quotes, backslashes and control characters escaped, other bytes (even
    /// invalid UTF-8) left as they are.
    static func jsonString(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0..<0x20: out += Array(String(format: "\\u%04x", byte).utf8)
            default: out.append(byte)
            }
        }
        return out + [UInt8(ascii: "\"")]
    }

    /// The `text` of every Slack text object of `type` (`plain_text`, `mrkdwn`) inside a JSON document.
    static func textObjects(_ value: Any?, type: String) -> [String] {
        switch value {
        case let array as [Any]: return array.flatMap { textObjects($0, type: type) }
        case let object as [String: Any]:
            let own = object["type"] as? String == type ? [object["text"] as? String].compactMap { $0 } : []
            return own + object.values.flatMap { textObjects($0, type: type) }
        default: return []
        }
    }

    /// Every string inside a JSON document, depth first.
    static func strings(_ value: Any?) -> [String] {
        switch value {
        case let text as String: [text]
        case let array as [Any]: array.flatMap(strings)
        case let object as [String: Any]: object.values.flatMap(strings)
        default: []
        }
    }

    @Test func hostileValuesAreRefusedOrArriveInertInEveryChannel() async throws {
        let smtpFolder = try TemporaryDirectory(prefix: "tocsin-smtp")
        defer { smtpFolder.remove() }
        let smtp = try await offPool { try LoopbackSMTPServer(in: smtpFolder) }
        defer { smtp.stop() }
        let bed = try await TestBed(plan: ChannelTypesTests.plan) { receiver in
            var cap = TestConfig.Channel("cap", url: receiver.url("/cap"))
            cap.type = "cap"
            var config = TestConfig(channels: ChannelTypesTests.channels(receiver) + [
                .init("webhook", url: receiver.url("/webhook")),
                HostileKit.channel("mail", type: "email",
                    "    smtp_url: \"\(smtp.url)\"\n    from: alertes@cegep.example\n    to: [comms@cegep.example]\n"),
                cap,
            ])
            config.templates["notice"] = Self.template
            return config
        }
        defer { bed.tearDown() }
        func incidents() async throws -> Int {
            try await bed.daemon.withClient { try $0.call(.incidentList, ListParams(limit: 1000), as: [IncidentSummary].self) }.count
        }

        // 1. Refused, each with a clear error, nothing stored, nothing sent.
        let longValue = String(repeating: "x", count: 100_000)
        let refused: [(name: String, variables: [(String, [UInt8])], code: Int, words: String)] = [
            ("newline", [("what", Array("ligne 1\nligne 2".utf8))], RPCError.validationCode, "control character"),
            ("CRLF header injection", [("what", Array("A\r\nBcc: evil@example.org".utf8))], RPCError.validationCode, "control character"),
            ("tab", [("what", Array("A\tB".utf8))], RPCError.validationCode, "control character"),
            ("escape sequence", [("what", Array("\u{1B}[2J\u{1B}]0;pwned\u{07}".utf8))], RPCError.validationCode, "control character"),
            ("NUL", [("what", [0x41, 0x00, 0x42])], RPCError.validationCode, "control character"),
            ("DEL", [("what", [0x41, 0x7F, 0x42])], RPCError.validationCode, "control character"),
            ("C1 NEL", [("what", Array("A\u{85}B".utf8))], RPCError.validationCode, "control character"),
            ("line separator U+2028", [("what", Array("A\u{2028}B".utf8))], RPCError.validationCode, "control character"),
            ("bidi override U+202E", [("what", Array("Pavillon \u{202E}A nollivaP".utf8))], RPCError.validationCode, "control character"),
            ("201 characters", [("what", Array(String(repeating: "é", count: 201).utf8))], RPCError.validationCode, "at most 200"),
            ("100 kB", [("what", Array(longValue.utf8))], RPCError.validationCode, "at most 200"),
            ("100 kB not allowed", [("what", [0x41]), ("building", Array(longValue.utf8))], RPCError.validationCode, "at most 200"),
            ("escape in allowed-list value", [("what", [0x41]), ("building", Array("\u{1B}[31mPavillon A".utf8))], RPCError.validationCode, "control character"),
            ("markup not allowed", [("what", [0x41]), ("building", Array("<script>".utf8))], RPCError.validationCode, "not an allowed value"),
            ("unknown variable with escape", [("what", [0x41]), ("\u{1B}[2Jx", [0x41])], RPCError.validationCode, "unknown variable"),
            ("unknown 100 kB name", [("what", [0x41]), (longValue, [0x41])], RPCError.validationCode, "unknown variable"),
            ("empty required", [("what", Array("   ".utf8))], RPCError.validationCode, "empty"),
            ("invalid UTF-8 (raw 0xFF)", [("what", [0x41, 0xFF, 0x42])], RPCError.parseErrorCode, "not valid JSON"),
            ("invalid UTF-8 (overlong /)", [("what", [0xC0, 0xAF])], RPCError.parseErrorCode, "not valid JSON"),
            ("invalid UTF-8 (truncated é)", [("what", [0x41, 0xC3])], RPCError.parseErrorCode, "not valid JSON"),
            ("invalid UTF-8 (surrogate D800)", [("what", [0xED, 0xA0, 0x80])], RPCError.parseErrorCode, "not valid JSON"),
        ]
        let before = try await incidents()
        var refusedMessages: [String] = []
        for item in refused {
            let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath)
            socket.send(Self.sendLine(item.variables) + [10])
            guard case .line(let line) = await socket.readLine(), let answer = HostileKit.Answer(line) else {
                Issue.record("\(item.name): no answer")
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            #expect(answer.errorCode == item.code, "\(item.name): \(text.prefix(400))")
            #expect(text.contains(item.words), "\(item.name): \(text.prefix(400))")
            #expect(line.count < 4096, "\(item.name): the error does not echo a huge value (\(line.count) bytes)")
            // The JSON text may escape a control character; the decoded message must not carry one to a terminal.
            let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            let decoded = Self.strings(object?["error"]).joined(separator: " ")
            #expect(!decoded.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "\u{202E}" },
                    "\(item.name): the error carries a control character: \(decoded.debugDescription.prefix(300))")
            let problems = ((object?["error"] as? [String: Any])?["data"] as? [String: Any])?["problems"] as? [String]
            refusedMessages.append("\(item.name): \((problems?.first ?? answer.message).prefix(140))")
        }
        #expect(try await incidents() == before, "nothing was stored")
        #expect(bed.receiver.requests().isEmpty && smtp.messages().isEmpty, "nothing was sent")

        // The same through the CLI: the operator's terminal gets the error, never the escape sequence.
        let cli = try await bed.daemon.ctl(arguments: ["drill", "notice", "--set", "what=A", "--set", "building=\u{1B}]0;pwned\u{07}\u{1B}[2J", "--yes"])
        #expect(cli.status == 2, "\(cli)")
        #expect(!(cli.stdout + cli.stderr).contains("\u{1B}"), "no escape character reaches the terminal: \((cli.stdout + cli.stderr).debugDescription)")
        let cliName = try await bed.daemon.ctl(arguments: ["drill", "notice", "--set", "what=A", "--set", "\u{1B}[2Jname=x", "--yes"])
        #expect(cliName.status == 2 && !(cliName.stdout + cliName.stderr).contains("\u{1B}"), "\(cliName)")

        // 2. Accepted: markup, mentions, quotes and template tags arrive inert everywhere.
        let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath, readTimeout: 60)
        socket.send(Self.sendLine([("what", Array(Self.what.utf8)), ("where", Array(Self.whereValue.utf8))]) + [10])
        let reply = await socket.readLine()
        guard case .line(let line) = reply, let answer = HostileKit.Answer(line), answer.hasResult else {
            let said = if case .line(let line) = reply { String(decoding: line.prefix(1200), as: UTF8.self) } else { "no answer" }
            Issue.record("the hostile but valid send was not accepted: \(said)")
            return
        }
        let incident = try #require((try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            .flatMap { ($0["result"] as? [String: Any])?["summary"] as? [String: Any] }?["incident"] as? String)
        let final = try await bed.daemon.waitForFinish(incident)
        #expect(final.allDelivered, "\(final.deliveries.filter { $0.state != "delivered" }.map { "\($0.channel): \($0.lastError ?? "")" })")

        let receiver = bed.receiver
        let body = "\(Self.what) (\(Self.whereValue), Pavillon A)"
        var checked: [String] = []
        // Generic webhook: JSON is the escaping; the text arrives exactly, template tags in values untouched.
        let webhook = try #require(receiver.requests(path: "/webhook").first?.json?["data"] as? [String: Any])
        let messages = try #require(webhook["messages"] as? [[String: Any]])
        #expect(messages.first?["body"] as? String == "Ceci est un exercice. " + body)
        #expect(messages.first?["title"] as? String == "EXERCICE — AVIS — " + Self.what)
        checked.append("webhook: exact text")

        // CAP: well-formed XML whose description is the exact text (no element injected).
        let capBody = try #require(receiver.requests(path: "/cap").first?.body)
        let parsed = try await runCommand("/usr/bin/env", ["python3", "-c", """
            import sys, json, xml.etree.ElementTree as ET
            root = ET.fromstring(sys.stdin.buffer.read())
            ns = "{urn:oasis:names:tc:emergency:cap:1.2}"
            print(json.dumps({"descriptions": [e.text for e in root.iter(ns + "description")], "elements": sorted({e.tag for e in root.iter()})}))
            """], input: capBody)
        #expect(parsed.status == 0, "CAP is well-formed XML: \(parsed)")
        let cap = try #require(try JSONSerialization.jsonObject(with: Data(parsed.stdout.utf8)) as? [String: Any])
        #expect((cap["descriptions"] as? [String])?.contains("Ceci est un exercice. " + body) == true, "\(cap)")
        #expect((cap["elements"] as? [String])?.contains { $0.hasSuffix("script") } == false)
        checked.append("cap: well-formed, exact description")

        // Slack: `plain_text` objects are never parsed (markup in them is inert as it is); the notification `text`
        // and any `mrkdwn` object must carry < > & as entities.
        let slackJSON = try #require(receiver.requests(path: "/slack").first?.json)
        let mrkdwn = [slackJSON["text"] as? String ?? ""] + Self.textObjects(slackJSON, type: "mrkdwn")
        #expect(Self.textObjects(slackJSON, type: "plain_text").count >= 2, "headers and sections are plain_text")
        for slack in mrkdwn {
            #expect(!slack.contains("<!channel>") && !slack.contains("<@U024BE7LH>") && !slack.contains("<script>") && !slack.contains("<http"), "\(slack)")
        }
        #expect(mrkdwn.first?.contains("&lt;!channel&gt;") == true)
        checked.append("slack: mrkdwn text with < > & as entities, blocks plain_text")

        let discordJSON = receiver.requests(path: "/discord").first?.json
        let discord = Self.strings(discordJSON?["content"]).joined()
        #expect(!discord.isEmpty && !discord.contains("@everyone") && !discord.contains("@here") && !discord.contains("<@U"))
        #expect((discordJSON?["allowed_mentions"] as? [String: Any])?["parse"] as? [String] == [])
        checked.append("discord: mentions defused, allowed_mentions empty")

        let mattermost = Self.strings(receiver.requests(path: "/mattermost").first?.json).joined(separator: "\n")
        #expect(!mattermost.isEmpty && !mattermost.contains("<!channel>") && !mattermost.contains("@everyone") && !mattermost.contains("@here"))
        checked.append("mattermost: mentions defused")

        // Google Chat: the card's HTML-subset text is escaped; `fallbackText` is plain text for notifications.
        var chatJSON = try #require(receiver.requests(path: "/gchat").first?.json)
        chatJSON["fallbackText"] = nil
        let chat = Self.strings(chatJSON).joined(separator: "\n")
        #expect(!chat.isEmpty && !chat.contains("<script>") && chat.contains("&lt;script&gt;"), "\(chat)")
        checked.append("google-chat: card text as HTML entities")

        let telegram = Self.strings(receiver.requests(path: "/tg/bot\(ChannelTypesTests.botToken)/sendMessage").first?.json).joined(separator: "\n")
        #expect(!telegram.isEmpty && !telegram.contains("<script>") && telegram.contains("&lt;script&gt;") && !telegram.contains("@everyone"))
        checked.append("telegram: HTML entities, mentions defused")

        let teams = Self.strings(receiver.requests(path: "/teams").first?.json).joined(separator: "\n")
        #expect(!teams.isEmpty && !teams.contains("{{DATE(") && !teams.contains("{{"), "\(teams)")
        checked.append("teams: {{ functions defused")

        let ntfy = try #require(receiver.requests(path: "/ntfy/cegep-alertes").first)
        #expect(ntfy.body.contains(Self.what), "ntfy is plain text: the value as it is")
        #expect(ntfy.headers["markdown"] == nil && ntfy.headers["title"]?.contains("\n") == false)
        checked.append("ntfy: plain text, no Markdown header")

        // SMS is plain text; this value is too long for the channel's 3 segments and is shortened, as the channel says.
        let sms = receiver.requests(path: "/twilio/2010-04-01/Accounts/\(ChannelTypesTests.accountSID)/Messages.json")
        #expect(sms.count == 2 && sms.allSatisfy { ChannelTypesTests.form($0.body)["Body"]?.hasPrefix("EXERCICE — AVIS") == true },
                "\(sms.map { ChannelTypesTests.form($0.body)["Body"] ?? "" })")
        checked.append("twilio-sms: plain text, shortened to fit")

        let facebook = ChannelTypesTests.form(receiver.requests(path: "/graph/v19.0/104857600000001/feed").first?.body ?? "")["message"] ?? ""
        #expect(!facebook.isEmpty && !facebook.contains("@[104857600000001]"))
        checked.append("facebook-page: @[page] tag defused")

        let x = Self.strings(receiver.requests(path: "/x/2/tweets").first?.json).joined()
        #expect(!x.isEmpty && !x.contains("@everyone") && !x.contains("@here"))
        checked.append("x: mentions defused")

        // E-mail: one message, no injected header, HTML part escaped, plain part as it is.
        let mail = try #require(smtp.messages().first)
        let mime = try await runCommand("/usr/bin/env", ["python3", "-c", """
            import sys, json, email, email.policy
            message = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)
            parts = {p.get_content_type(): p.get_content() for p in message.walk() if not p.is_multipart()}
            print(json.dumps({"subject": str(message["subject"]), "headers": [k.lower() for k in message.keys()],
                              "plain": parts.get("text/plain", ""), "html": parts.get("text/html", "")}))
            """], bytes: mail.data)
        #expect(mime.status == 0, "\(mime)")
        let parts = try #require(try JSONSerialization.jsonObject(with: Data(mime.stdout.utf8)) as? [String: Any])
        #expect((parts["headers"] as? [String])?.contains("bcc") == false)
        #expect((parts["headers"] as? [String])?.filter { $0 == "from" }.count == 1)
        #expect((parts["subject"] as? String)?.contains("<script>alert('x')</script>") == true, "the subject is the title, decoded")
        #expect((parts["plain"] as? String)?.contains(Self.what) == true)
        let html = parts["html"] as? String ?? ""
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;"), "\(html.prefix(500))")
        checked.append("email: no header injection, HTML escaped, plain exact")

        print("FAULTS-A values: \(refused.count) refused cases (+2 through the CLI), each with its error and nothing stored:")
        for message in refusedMessages { print("FAULTS-A values refused \(message)") }
        print("FAULTS-A values accepted hostile value (\(Self.what.count) + \(Self.whereValue.count) characters) checked in \(checked.count) receivers: \(checked.joined(separator: "; "))")
    }

    /// Fault finding 6, values: lengths counted in UTF-8 bytes and code points as well as characters, and the
    /// invisible format characters (bidirectional marks, zero-width characters, BOM, tags) refused, through the
    /// admin socket and the CLI; emoji joined by U+200D and a flag tag sequence still accepted and delivered whole.
    @Test func valuesAreMeasuredInBytesAndCodePointsAndInvisibleCharactersAreRefused() async throws {
        let bed = try await TestBed { receiver in
            var config = TestConfig(channels: [.init("webhook", url: receiver.url("/webhook"))])
            config.templates["notice"] = Self.template
            return config
        }
        defer { bed.tearDown() }
        func incidents() async throws -> Int {
            try await bed.daemon.withClient { try $0.call(.incidentList, ListParams(limit: 1000), as: [IncidentSummary].self) }.count
        }
        let before = try await incidents()

        // "a" and 450,000 combining acute accents: one character, 900,001 bytes (the finding's 2.7 MB webhook body).
        let stacked = "a" + String(repeating: "\u{0301}", count: 450_000)
        let refused: [(name: String, value: String, words: String)] = [
            ("a + 450,000 combining marks", stacked, "900001 bytes of UTF-8"),
            ("200 letters + 201 combining marks", String(repeating: "a", count: 200) + String(repeating: "\u{0301}", count: 201), "401 code points"),
            ("left-to-right mark U+200E", "Pavillon\u{200E} A", "U+200E LEFT-TO-RIGHT MARK"),
            ("right-to-left mark U+200F", "Pavillon\u{200F} A", "U+200F RIGHT-TO-LEFT MARK"),
            ("Arabic letter mark U+061C", "Pavillon\u{061C} A", "U+061C ARABIC LETTER MARK"),
            ("zero-width space U+200B", "Pavil\u{200B}lon A", "U+200B ZERO WIDTH SPACE"),
            ("zero-width non-joiner U+200C", "Pavil\u{200C}lon A", "U+200C ZERO WIDTH NON-JOINER"),
            ("word joiner U+2060", "Pavil\u{2060}lon A", "U+2060 WORD JOINER"),
            ("byte-order mark U+FEFF", "\u{FEFF}Pavillon A", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
            ("soft hyphen U+00AD", "Pavil\u{00AD}lon A", "U+00AD SOFT HYPHEN"),
            ("tag characters (hidden 'rm')", "Pavillon A\u{E0072}\u{E006D}", "U+E0072 TAG LATIN SMALL LETTER R"),
            ("zero-width joiner between letters", "Pavil\u{200D}lon A", "U+200D ZERO WIDTH JOINER"),
        ]
        var figures: [String] = []
        for item in refused {
            let socket = try HostileKit.RawSocket(path: bed.daemon.socketPath, readTimeout: 60)
            let started = ContinuousClock.now
            socket.send(Self.sendLine([("what", Array(item.value.utf8))]) + [10])
            guard case .line(let line) = await socket.readLine(), let answer = HostileKit.Answer(line) else {
                Issue.record("\(item.name): no answer")
                continue
            }
            let elapsed = ContinuousClock.now - started
            let text = String(decoding: line, as: UTF8.self)
            #expect(answer.errorCode == RPCError.validationCode, "\(item.name): \(text.prefix(400))")
            #expect(text.contains(item.words), "\(item.name): \(text.prefix(400))")
            #expect(line.count < 4096, "\(item.name): the error does not echo the value (\(line.count) bytes)")
            let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]
            let decoded = Self.strings(object?["error"]).joined(separator: " ")
            #expect(!decoded.unicodeScalars.contains { [.control, .format].contains($0.properties.generalCategory) }, "\(item.name): the error carries the character itself: \(decoded.debugDescription.prefix(300))")
            figures.append("\(item.name) (\(item.value.utf8.count) bytes): refused in \(elapsed.formatted(.units(allowed: [.milliseconds])))")
        }
        #expect(try await incidents() == before, "nothing was stored")
        #expect(bed.receiver.requests().isEmpty, "nothing was sent")

        // The CLI: exit 2 with the reason (an argument is at most 128 kB: 60,000 marks, 120,001 bytes).
        let cli = try await bed.daemon.ctl(arguments: ["drill", "notice", "--set", "what=a" + String(repeating: "\u{0301}", count: 60_000), "--yes"])
        #expect(cli.status == 2, "\(cli.description.prefix(600))")
        #expect((cli.stdout + cli.stderr).contains("the value of 'what' takes 120001 bytes of UTF-8; at most 200 characters"), "\(cli.description.prefix(600))")
        #expect((cli.stdout + cli.stderr).utf8.count < 4096, "the CLI does not echo the value")
        let bidi = try await bed.daemon.ctl(arguments: ["drill", "notice", "--set", "what=Pavillon\u{200F} A", "--yes"])
        #expect(bidi.status == 2 && (bidi.stdout + bidi.stderr).contains("U+200F") && !(bidi.stdout + bidi.stderr).contains("\u{200F}"), "\(bidi)")
        #expect(try await incidents() == before, "nothing was stored")

        // Accepted: emoji joined by U+200D, and a subdivision flag (tags inside a flag tag sequence).
        let firefighter = "Pompière 👩\u{200D}🚒 et famille 👨\u{200D}👩\u{200D}👧 au Pavillon A"
        let scotland = "Délégation 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"
        let accepted = try await bed.daemon.ctl(arguments: ["drill", "notice", "--set", "what=\(firefighter)", "--set", "where=\(scotland)", "--yes", "--json"])
        #expect(accepted.status == 0, "\(accepted)")
        let webhook = try #require(bed.receiver.requests(path: "/webhook").first?.json?["data"] as? [String: Any])
        let body = (webhook["messages"] as? [[String: Any]])?.first?["body"] as? String ?? ""
        #expect(body.contains(firefighter) && body.contains(scotland), "the emoji arrive whole: \(body)")

        for figure in figures { print("FAULTS-A values refused \(figure)") }
    }

    /// Fault finding 6, config: a world-readable config with an inline `Authorization` header is refused by
    /// `--check-config` (as an inline `token:` is); in `headers_file` it passes; a world-readable secret file is a
    /// warning (exit 0), one others can change a refusal.
    @Test func worldReadableConfigWithAnInlineAuthorizationHeaderIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let token = "tk_" + String(TestConfig.makeSecret().dropFirst(6).prefix(20))
        func check(extra: String, mode: Int) async throws -> CommandResult {
            let config = TestConfig(channels: [.init("webhook", url: "http://127.0.0.1:9/hook", extra: extra)])
            let path = try config.write(to: directory)
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            return try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        }
        let inline = try await check(extra: "    headers: { Authorization: \"Bearer \(token)\" }\n", mode: 0o644)
        #expect(inline.status == 1, "\(inline)")
        #expect(inline.stderr.contains("'channels.webhook.headers.Authorization' is written in this file, which every user of the machine can read"), "\(inline)")
        #expect(inline.stderr.contains("'headers_file:'") && !(inline.stdout + inline.stderr).contains(token), "\(inline)")

        let file = try directory.write("secrets/webhook-headers", "Authorization: Bearer \(token)\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        let moved = try await check(extra: "    headers_file: \(file)\n", mode: 0o644)
        #expect(moved.status == 0 && moved.stderr.isEmpty, "\(moved)")

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let readable = try await check(extra: "    headers_file: \(file)\n", mode: 0o644)
        #expect(readable.status == 0 && readable.stderr.contains("warning") && readable.stderr.contains("chmod o-r \(file)"), "\(readable)")

        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: file)
        let writable = try await check(extra: "    headers_file: \(file)\n", mode: 0o644)
        #expect(writable.status == 1 && writable.stderr.contains("chmod go-w \(file)"), "\(writable)")
        print("FAULTS-A config inline Authorization header in a 0644 config: exit \(inline.status); headers_file 0600: exit \(moved.status); 0644: exit \(readable.status) with a warning; 0666: exit \(writable.status)")
    }
}
