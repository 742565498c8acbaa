import Foundation
import Testing
import TocsinConfig
import TocsinCore

struct ChannelConfigTests {
    @Test func secretFileIsReadAndTrimmed() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("creds/ops-secret", Samples.webhookSecret + "\n")
        let config = Samples.config(channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n    secret_file: creds/ops-secret\n")
        let (configuration, diagnostics) = try folder.load(config: config)
        let ops = try #require(configuration?.channels["ops"], "\(diagnostics.listing)")
        #expect(ops.secrets["secret"]?.reveal() == Samples.webhookSecret)
        #expect(ops.settings["secret"] == nil)
    }

    @Test func missingSecretFileNamesItsPath() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n    secret_file: creds/ops-secret\n")
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        #expect(diagnostics.errors.count == 1, "\(diagnostics.listing)")
        let problem = try #require(diagnostics.errors.first)
        #expect(problem.message == "cannot read 'channels.ops.secret_file': \(folder.file("creds/ops-secret")) does not exist")
        #expect(problem.line == 16)
    }

    @Test func secretFilePathExpandsTheEnvironment() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("credentials/ops-secret", Samples.webhookSecret)
        let config = Samples.config(
            channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n    secret_file: ${CREDENTIALS_DIRECTORY}/ops-secret\n"
        )
        let (configuration, diagnostics) = try folder.load(
            config: config, environment: ["CREDENTIALS_DIRECTORY": folder.file("credentials")]
        )
        #expect(configuration?.channels["ops"]?.secrets["secret"]?.reveal() == Samples.webhookSecret, "\(diagnostics.listing)")
    }

    @Test func environmentNameIsNotExpandedInsideALongerName() throws {
        // `$CRED_DIR` names the variable CRED_DIR; with only CRED set it must stay unresolved, not become "<CRED>_DIR".
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("creds_DIR/ops-secret", Samples.webhookSecret)
        let config = Samples.config(
            channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n    secret_file: $CRED_DIR/ops-secret\n"
        )
        let (configuration, diagnostics) = try folder.load(config: config, environment: ["CRED": folder.file("creds")])
        #expect(
            configuration?.channels["ops"]?.secrets["secret"] == nil,
            "'$CRED_DIR/ops-secret' was read from \(folder.file("creds_DIR/ops-secret"))"
        )
        #expect(diagnostics.contains { $0.message.contains("cannot read 'channels.ops.secret_file'") })
    }

    @Test(arguments: ["hunter2", "whsec_not base64!", "whsec_", "not-a-whsec-secret-value"])
    func webhookSecretMustBeWhsecBase64(secret: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n    secret: \"\(secret)\"\n")
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        let problem = try #require(diagnostics.errors.first, "accepted '\(secret)'")
        #expect(problem.message.contains("channel 'ops': the webhook secret is not a Standard Webhooks secret"))
        #expect(problem.line == 16)
        #expect(secret.count < 8 || !diagnostics.listing.contains(secret))
    }

    @Test func secretFromAFileIsNeverShownInDiagnostics() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let webhookSecret = "whsec_this-is-not-base64-SECRET-VALUE"
        let chatURL = "ftp://hooks.slack.example/services/T000/B000/XXXXSECRETXXXX"
        try folder.write("creds/ops", webhookSecret)
        try folder.write("creds/slack", chatURL)
        let config = Samples.config(channels: """
              ops:
                type: webhook
                url: https://a.example/x
                secret_file: creds/ops
              slack:
                type: slack
                url_file: creds/slack

            """)
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        #expect(diagnostics.errors.count == 2, "\(diagnostics.listing)")
        #expect(diagnostics.contains { $0.message.contains("channel 'slack': 'url' must start with https:// or http://") && $0.line == 19 })
        #expect(!diagnostics.listing.contains("SECRET"), "\(diagnostics.listing)")
    }

    @Test func keyAndKeyFileTogetherAreRefused() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("creds/slack", "https://hooks.slack.example/services/T/B/X")
        let config = Samples.config(
            channels: "  slack:\n    type: slack\n    url: https://hooks.slack.example/services/T/B/Y\n    url_file: creds/slack\n"
        )
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message) == ["'channels.slack' gives both 'url' and 'url_file'; keep one"], "\(diagnostics.listing)")
        #expect(diagnostics.errors.first?.line == 16)
    }

    @Test func chatWebhookURLIsASecret() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: "  slack:\n    type: slack\n    url: https://hooks.slack.example/services/T/B/X\n")
        let slack = try #require(try folder.load(config: config).configuration?.channels["slack"])
        #expect(slack.settings["url"] == nil)
        #expect(slack.secrets["url"]?.reveal() == "https://hooks.slack.example/services/T/B/X")
    }

    @Test func missingRequiredKeyIsNamed() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: "  bot:\n    type: telegram\n    bot_token: 123:abc\n")
        let (_, diagnostics) = try folder.load(config: config)
        #expect(diagnostics.errors.map(\.message) == ["channel 'bot' (telegram) needs 'chat_id'"], "\(diagnostics.listing)")
    }

    static let twilio = "  sms:\n    type: twilio-sms\n    account_sid: AC0123\n    auth_token: tok\n    from: \"+18335550142\"\n"

    @Test func smsRecipientsAreNormalisedAndDeduplicated() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: Self.twilio + """
                to: ["+15145551234", "+1 (514) 555-1234", "+1-418-555-0000", "+1.514.555.1234", "+15145551234"]

            """)
        let (configuration, diagnostics) = try folder.load(config: config)
        let sms = try #require(configuration?.channels["sms"], "\(diagnostics.listing)")
        #expect(sms.recipients == ["+15145551234", "+14185550000"])
    }

    @Test func smsRecipientsFileIsReadAsCSV() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("recipients/sms.csv", """
            phone,name
            # nightly export
            +15145551234,Alice
            "+14185550000","Bob"

            +1 514 555 1234,Alice again
            """)
        let config = Samples.config(channels: Self.twilio + "    recipients_file: recipients/sms.csv\n")
        let (configuration, diagnostics) = try folder.load(config: config)
        let sms = try #require(configuration?.channels["sms"], "\(diagnostics.listing)")
        #expect(sms.recipients == ["+15145551234", "+14185550000"])
    }

    @Test(arguments: ["5145551234", "+05145551234", "+1514555123x", "+1234", "+12345678901234567", "+１５１４５５５１２３４"])
    func smsRecipientOutsideE164IsRefused(number: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: Self.twilio + "    to: [\"+15145551234\", \"\(number)\"]\n")
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        #expect(diagnostics.errors.count == 1, "\(diagnostics.listing)")
        #expect(diagnostics.errors.first?.message == "'channels.sms': '\(number)' is not a phone number in E.164 form (e.g. +15145551234)")
        #expect(diagnostics.errors.first?.line == 18)
    }

    static let email = "  mail:\n    type: email\n    smtp_url: smtps://smtp.cegep.example:465\n    from: alertes@cegep.example\n"

    @Test func emailRecipientsAreDeduplicatedIgnoringCase() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: Self.email + """
                to: [Tous-Etudiants@cegep.example, tous-etudiants@cegep.example, personnel@cegep.example]

            """)
        let (configuration, diagnostics) = try folder.load(config: config)
        let mail = try #require(configuration?.channels["mail"], "\(diagnostics.listing)")
        #expect(mail.recipients == ["Tous-Etudiants@cegep.example", "personnel@cegep.example"])
    }

    @Test func recipientsGivenAsToFileAreNotSilentlyDropped() throws {
        // `to_file` passes the key check (every key may take `_file`) and satisfies "needs 'to' or 'recipients_file'".
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("lists.txt", "tous-etudiants@cegep.example\n")
        let config = Samples.config(channels: Self.email + "    to_file: lists.txt\n")
        let (configuration, diagnostics) = try folder.load(config: config)
        if let mail = configuration?.channels["mail"] {
            #expect(mail.recipients == ["tous-etudiants@cegep.example"], "loaded with no recipient: \(diagnostics.listing)")
        } else {
            #expect(diagnostics.hasErrors)
        }
    }

    @Test func perRecipientChannelWithNoRecipientIsReported() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        try folder.write("recipients/sms.csv", "phone,name\n# nobody opted in yet\n")
        let config = Samples.config(channels: Self.twilio + "    recipients_file: recipients/sms.csv\n")
        let (_, diagnostics) = try folder.load(config: config)
        #expect(diagnostics.contains { $0.message.contains("sms") && $0.message.contains("recipient") }, "\(diagnostics.listing)")
    }

    @Test(arguments: ["not-an-address", "a@b", "@cegep.example", "Name <a@cegep.example>", "a@b@cegep.example", "a,b@cegep.example"])
    func malformedEmailRecipientIsRefused(address: String) throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: Self.email + "    to: [\"personnel@cegep.example\", \"\(address)\"]\n")
        let (configuration, diagnostics) = try folder.load(config: config)
        #expect(configuration == nil)
        #expect(diagnostics.errors.map(\.message) == ["'channels.mail': '\(address)' is not an e-mail address"], "\(diagnostics.listing)")
    }

    @Test func smtpURLSchemeIsChecked() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(
            channels: Self.email.replacingOccurrences(of: "smtps://", with: "https://") + "    to: [a@cegep.example]\n"
        )
        let (_, diagnostics) = try folder.load(config: config)
        #expect(diagnostics.errors.map(\.message) == ["channel 'mail': 'smtp_url' must start with smtp:// or smtps://"])
    }

    @Test func channelLanguageOutsideTheOrganisationsIsRefused() throws {
        let folder = try ConfigFolder()
        defer { folder.remove() }
        let config = Samples.config(channels: "  ops:\n    type: webhook\n    url: https://a.example/x\n    languages: [en, es]\n")
        let (_, diagnostics) = try folder.load(config: config)
        #expect(diagnostics.errors.map(\.message) == ["channel 'ops' asks for language 'es', which 'organization.languages' does not list"])
    }
}
