import Foundation
import Testing
import TocsinConfig
import TocsinCore

struct TemplateConfigTests {
    @Test func duplicateTemplateIDsAcrossFilesAreRefused() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(
            config: Samples.config, templates: ["a-evacuation.yaml": Samples.template, "b-evacuation.yaml": Samples.template]
        )
        #expect(configuration == nil)
        let errors = diagnostics.errors
        #expect(errors.count == 1, "\(diagnostics.listing)")
        #expect(errors.first?.file == folder.file("templates/b-evacuation.yaml"))
        #expect(errors.first?.message == "template id 'evacuation' is also used by \(folder.file("templates/a-evacuation.yaml"))")
    }

    @Test func idDifferentFromTheFileNameIsAWarning() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evac.yaml": Samples.template])
        #expect(configuration != nil)
        #expect(diagnostics.map(\.severity) == [.warning])
        #expect(diagnostics.first?.line == 1)
    }

    @Test func undeclaredPlaceholderIsRefusedWithTheTemplatesFile() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let template = Samples.template.replacingOccurrences(of: "Leave {{building}} now.", with: "Leave {{building}} by {{exit}}.")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": template])
        #expect(configuration == nil)
        let errors = diagnostics.errors
        #expect(errors.count == 1, "\(diagnostics.listing)")
        #expect(errors.first?.file == folder.file("templates/evacuation.yaml"))
        #expect(errors.first?.message.contains("placeholder {{exit}} in language 'en' is not declared under 'variables'") == true)
    }

    @Test func mustacheSyntaxErrorNamesTheTemplateFileAndText() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let template = Samples.template.replacingOccurrences(of: "Leave {{building}} now.", with: "Leave {{#building}} now.")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": template])
        #expect(configuration == nil)
        let problem = try #require(diagnostics.errors.first, "\(diagnostics.listing)")
        #expect(problem.file == folder.file("templates/evacuation.yaml"))
        #expect(problem.message.contains("template 'evacuation': body.en:"))
        // The line of the faulty text itself (`  en: …`), not of the first text of `body:`.
        #expect(problem.line == 16)
    }

    @Test func templateRouteMustExist() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let template = Samples.template.replacingOccurrences(of: "route: campus", with: "route: campus\ndrill_route: drill")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": template])
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message) == ["template 'evacuation': drill_route 'drill' is not defined under 'routes'"])
    }

    @Test func capFieldsAreChecked() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let template = Samples.template
            .replacingOccurrences(of: "severity: Extreme", with: "severity: Terrible")
            .replacingOccurrences(of: "certainty: Observed\n", with: "")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": template])
        #expect(configuration == nil)
        let errors = diagnostics.errors
        #expect(errors.count == 2, "\(diagnostics.listing)")
        #expect(errors.contains { $0.message.hasPrefix("'severity' is 'Terrible'; it must be one of: Extreme, Severe") && $0.line == 3 })
        #expect(errors.contains { $0.message == "'certainty' is required" })
    }

    @Test func missingLanguageInATemplateIsRefused() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let template = Samples.template.replacingOccurrences(of: "  en: \"Leave {{building}} now.\"\n", with: "")
        let (configuration, diagnostics) = try folder.load(config: Samples.config, templates: ["evacuation.yaml": template])
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message) == ["template 'evacuation': no body in language 'en' (the organisation sends in fr, en)"])
    }
}

struct ExampleConfigTests {
    /// The package's `config/` folder, found from this file.
    static let exampleFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("config")

    /// Copies the example config and its templates into `folder`, pointing its credential and recipient paths there.
    static func copyExample(into folder: ConfigFolder) throws -> String {
        let text = try String(contentsOf: exampleFolder.appendingPathComponent("tocsin.yaml"), encoding: .utf8)
        try folder.write("tocsin.yaml", text
            .replacingOccurrences(of: "/run/credentials/tocsind.service/", with: folder.file("credentials") + "/")
            .replacingOccurrences(of: "/etc/tocsin/recipients/", with: folder.file("recipients") + "/"))
        let templates = exampleFolder.appendingPathComponent("templates")
        for name in try FileManager.default.contentsOfDirectory(atPath: templates.path) {
            try folder.write("templates/\(name)", try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8))
        }
        return text
    }

    @Test func exampleConfigLoadsWhenItsSecretsExist() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let original = try Self.copyExample(into: folder)
        // Every `*_file` the example names, with values of the right shape (trailing newlines as `echo` leaves them).
        let credentials: [String: String] = [
            "ops-webhook-secret": Samples.webhookSecret,
            "affichage-secret": "whsec_" + Data(repeating: 0x5A, count: 24).base64EncodedString(),
            "teams-personnel-url": "https://cegep.webhook.office.com/webhookb2/abc/IncomingWebhook/def",
            "slack-ti-url": "https://hooks.slack.com/services/T000/B000/XXXX",
            "discord-etudiants-url": "https://discord.com/api/webhooks/1/abc",
            "ntfy-token": "tk_abcdefghijklmnopqrstuvwxyz012",
            "twilio-auth-token": "0123456789abcdef0123456789abcdef",
            "smtp-password": "correct horse battery staple",
        ]
        for (name, value) in credentials {
            // As systemd's LoadCredential= leaves them (0400): a secret every user can read is a warning.
            let file = try folder.write("credentials/\(name)", value + "\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: file)
        }
        // The recipients files shipped beside the example (French headers, `;` separators).
        for name in ["sms-campus.csv", "email-campus.txt", "email-personnel.txt"] {
            try folder.write("recipients/\(name)", try String(contentsOf: Self.exampleFolder.appendingPathComponent("recipients/\(name)"), encoding: .utf8))
        }
        // Every file the example reads must have been redirected, or the test would depend on this machine.
        #expect(original.contains("/run/credentials/tocsind.service/"))

        let (configuration, diagnostics) = ConfigLoader.load(path: folder.file("tocsin.yaml"), environment: [:])
        #expect(diagnostics.isEmpty, "\(diagnostics.listing)")
        let config = try #require(configuration)
        #expect(config.organization.languages == ["fr", "en"])
        #expect(Set(config.channels.keys) == [
            "ops-webhook", "teams-personnel", "slack-ti", "affichage", "discord-etudiants", "ntfy-campus", "sms-campus",
            "email-campus", "email-personnel", "cap-feed",
        ])
        #expect(config.routes["drill"] == ["ops-webhook", "teams-personnel"])
        #expect(config.routes["campus"]?.count == 9)
        #expect(Set(config.templates.keys) == ["all-clear", "evacuation", "lockdown", "shelter-in-place"])
        #expect(config.channels["ops-webhook"]?.secrets["secret"]?.reveal() == Samples.webhookSecret)
        #expect(config.channels["teams-personnel"]?.secrets["url"]?.reveal() == credentials["teams-personnel-url"])
        #expect(config.channels["slack-ti"]?.languages == ["fr"])
        #expect(config.channels["sms-campus"]?.recipients == ["+15145550101", "+15145550102", "+15145550103"])
        #expect(config.channels["email-campus"]?.recipients.count == 2)
        #expect(config.channels["affichage"]?.maxConcurrency == 2)
        #expect(config.channels["discord-etudiants"]?.rateLimit == 0.5)
        #expect(config.delivery.retry.deadline == .seconds(900))
        #expect(config.access.approvers == [.user("mtremblay"), .user("jgagnon")])
    }

    @Test func exampleConfigWithoutItsCredentialsNamesEachMissingFile() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        _ = try Self.copyExample(into: folder)
        let (configuration, diagnostics) = ConfigLoader.load(path: folder.file("tocsin.yaml"), environment: [:])
        #expect(configuration == nil)
        // 9 credential files named (smtp-password twice) and 3 recipient files.
        #expect(diagnostics.errors.count == 12, "\(diagnostics.listing)")
        #expect(diagnostics.errors.allSatisfy { $0.message.contains("does not exist") && $0.line != nil })
        #expect(diagnostics.errors.contains { $0.message.contains(folder.file("credentials/ops-webhook-secret")) })
    }
}
