import Foundation
import Testing
import TocsinTestSupport

/// `tocsind --check-config`: 0 valid, 1 invalid with every problem listed by file and line.
@Suite(.serialized, .integration) struct ConfigCheckTests {
    @Test func aValidConfigPasses() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = try TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops")]).write(to: directory)
        let result = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("OK"))
    }

    /// A template an SMS channel would cut is a warning (the daemon still starts and sends), naming the template,
    /// the channel, the case and the measure (issue 15, item 2).
    @Test func aTemplateThatWouldBeCutIsAWarning() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let token = try directory.write("secrets/twilio", "0123456789abcdef0123456789abcdef\n")
        var sms = TestConfig.Channel("sms", url: "")
        sms.type = "twilio-sms"
        sms.extra = "    account_sid: AC0123456789abcdef0123456789abcdef\n    auth_token_file: \(token)\n    from: \"+15145550000\"\n    to: [\"+15145551234\"]\n    max_segments: 1\n"
        let path = try TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops"), sms]).write(to: directory)
        let result = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("OK"))
        #expect(result.stderr.contains("warning: template 'evacuation' does not fit channel 'sms' (live"), "\(result.stderr)")
        #expect(result.stderr.contains("SMS segments"), "\(result.stderr)")
        #expect(!result.stderr.contains("channel 'ops'"))
    }

    @Test func everyProblemIsListedWithFileAndLine() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try directory.write("templates/evacuation.yaml", TestConfig.evacuationTemplate.replacingOccurrences(of: "{{assembly_point}}.\"\n  en", with: "{{assemby_point}}.\"\n  en"))
        let path = try directory.write("tocsin.yaml", """
            organization: { name: Test, sender: test@example.org, languages: [fr, en] }
            paths: { state: state, templates: templates }
            delivery: { timeout: ten seconds }
            channels:
              ops: { type: webhook, url: "http://127.0.0.1:9/ops", secret: not-a-whsec }
              chat: { type: slak, url: "https://example.org" }
            routes: { campus: [ops, opps], drill: [ops] }
            chanels: {}

            """)
        let result = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(result.status == 1, "\(result)")
        let out = result.stderr
        #expect(out.contains("tocsin.yaml:3: error: 'delivery.timeout' is not a duration"))
        #expect(out.contains("tocsin.yaml:5: error: channel 'ops': the webhook secret is not a Standard Webhooks secret"))
        #expect(out.contains("tocsin.yaml:6: error: 'channels.chat.type' is 'slak'"))
        #expect(out.contains("tocsin.yaml:7: error: route 'campus' names channel 'opps'"))
        #expect(out.contains("did you mean 'ops'?"))
        #expect(out.contains("tocsin.yaml:8: error: unknown key 'chanels' in 'config' (did you mean 'channels'?)"))
        #expect(out.contains("evacuation.yaml: error: template 'evacuation': placeholder {{assemby_point}} in language 'fr' is not declared"))
        #expect(!out.contains("not-a-whsec"), "a secret's value never appears in an error")
    }

    @Test func theExampleConfigValidatesWithItsTemplates() async throws {
        // The shipped example reads its secrets from systemd credentials; point them at stand-ins.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let example = PackagePaths.root.appendingPathComponent("config")
        var text = try String(contentsOf: example.appendingPathComponent("tocsin.yaml"), encoding: .utf8)
        let standIns = directory.file("credentials") + "/"
        for prefix in ["/run/credentials/tocsind.service/", "/etc/tocsin/recipients/"] {
            text = text.replacingOccurrences(of: prefix, with: standIns)
        }
        text = text.replacingOccurrences(of: "templates: templates", with: "templates: \(example.appendingPathComponent("templates").path)")
        let names = Set(text.components(separatedBy: standIns).dropFirst().map {
            String($0.prefix { !$0.isWhitespace && $0 != "\"" })
        }).filter { !$0.isEmpty }
        for name in names {
            let value: String
            if name.hasSuffix(".csv") || name.hasSuffix(".txt") {
                value = name.contains("sms") ? "phone,name\n+15145550100,A\n+1 514 555 0101,B\n" : "alice@cegep.example\nbob@cegep.example\n"
            } else {
                value = name.contains("url") ? "https://example.org/hook" : TestConfig.makeSecret()
            }
            try directory.write("credentials/\(name)", value)
        }
        let path = try directory.write("tocsin.yaml", text)
        let result = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(result.status == 0, "\(result)")
        #expect(result.stdout.contains("4 templates"))
        // Every example template reaches every example channel whole, with its longest values (issue 15).
        #expect(!result.stderr.contains("does not fit"), "\(result.stderr)")
    }
}

/// Secrets written inline in a config file that every user can read are refused.
@Suite(.serialized, .integration) struct InlineSecretTests {
    @Test func aWorldReadableConfigWithAnInlineSecretIsRefused() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let secret = TestConfig.makeSecret()
        let path = try TestConfig(channels: [.init("ops", url: "http://127.0.0.1:9/ops", extra: "    secret: \"\(secret)\"\n")]).write(to: directory)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let refused = try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path])
        #expect(refused.status == 1, "\(refused)")
        #expect(refused.stderr.contains("'channels.ops.secret' is written in this file, which every user of the machine can read"))
        #expect(!refused.stderr.contains(secret))

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path)
        #expect(try await runCommand(PackagePaths.tocsind, ["--check-config", "--config", path]).status == 0)
    }
}
