import Foundation
import Testing
import TocsinTestSupport

/// E-mail and CAP end to end: real tocsind, a real SMTP server (aiosmtpd) and the HTTP receiver on 127.0.0.1,
/// and a CAP feed folder inside the test's temp folder.
@Suite(.serialized, .integration, .timeLimit(.minutes(3)))
struct EmailAndCAPTests {
    static var capSchema: String {
        PackagePaths.root.deletingLastPathComponent().appendingPathComponent("shared/schemas/cap-v1.2.xsd").path
    }

    static func emailChannel(_ name: String, server: LoopbackSMTPServer, to recipients: [String]) -> TestConfig.Channel {
        var channel = TestConfig.Channel(
            name, url: "",
            extra: """
                    smtp_url: "\(server.url)"
                    from: alertes@cegep.example
                    to: [\(recipients.joined(separator: ", "))]

                """
        )
        channel.type = "email"
        return channel
    }

    static func validate(_ path: String) async throws -> CommandResult {
        try await runCommand("/usr/bin/env", ["xmllint", "--noout", "--schema", capSchema, path])
    }

    @Test func anAlertReachesEveryMailboxTheCAPEndpointAndTheFeed() async throws {
        let smtpFolder = try TemporaryDirectory()
        defer { smtpFolder.remove() }
        let smtp = try await offPool { try LoopbackSMTPServer(in: smtpFolder) }
        defer { smtp.stop() }
        let bed = try await TestBed { receiver in
            var cap = TestConfig.Channel("cap", url: receiver.url("/cap"), extra: "    feed_dir: feed\n")
            cap.type = "cap"
            return TestConfig(channels: [Self.emailChannel("courriel", server: smtp, to: ["un@cegep.example", "deux@cegep.example"]), cap])
        }
        defer { bed.tearDown() }
        #expect(try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes").status == 0)

        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon A", "--yes", "--json"])
        #expect(send.status == 0, "\(send)\n\(bed.daemon.log())")
        let incident = try #require(send.jsonLines.first?["incident"] as? String)
        let summary = try #require(send.jsonLines.last)
        #expect(summary["delivered"] as? Int == 4, "two mailboxes, the CAP POST and the feed")
        let deliveries = try #require(summary["deliveries"] as? [[String: Any]])
        #expect(Set(deliveries.compactMap { $0["recipient"] as? String }) == ["un@cegep.example", "deux@cegep.example", "post", "feed"])

        // E-mail: one message per recipient, each its own envelope, To and Message-ID.
        let messages = smtp.messages()
        #expect(messages.count == 2)
        #expect(Set(messages.flatMap(\.recipients)) == ["un@cegep.example", "deux@cegep.example"])
        #expect(messages.allSatisfy { $0.mailFrom == "alertes@cegep.example" && $0.recipients.count == 1 })
        for message in messages {
            let recipient = try #require(message.recipients.first)
            #expect(message.text.contains("\r\nTo: \(recipient)\r\n"))
            #expect(message.text.contains("Message-ID: <\(incident).msg_"))
            #expect(message.text.contains("Content-Type: multipart/alternative"))
        }
        let subject = try await runCommand(
            "/usr/bin/env",
            ["python3", "-c", "import email, sys; from email import policy; print(email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)['subject'])"],
            input: messages.first?.text
        )
        #expect(subject.stdout.trimmingCharacters(in: .newlines) == "ÉVACUATION — Pavillon A / EVACUATION — Pavillon A")

        // CAP by POST.
        let posts = bed.receiver.requests(path: "/cap")
        #expect(posts.count == 1)
        let post = try #require(posts.first)
        #expect(post.headers["content-type"] == "application/cap+xml")
        let posted = try bed.directory.write("posted.xml", post.body)
        let postCheck = try await Self.validate(posted)
        #expect(postCheck.status == 0, "\(postCheck)")

        // CAP feed: the alert's file (validating) and the Atom index linking to it, in the config-relative folder.
        let alertFile = bed.directory.file("feed/\(incident).xml")
        let fileCheck = try await Self.validate(alertFile)
        #expect(fileCheck.status == 0, "\(fileCheck)")
        #expect(try String(contentsOfFile: alertFile, encoding: .utf8) == post.body, "the same alert by both routes")
        let index = try String(contentsOfFile: bed.directory.file("feed/index.atom"), encoding: .utf8)
        #expect(index.contains("href=\"\(incident).xml\""))
        let indexCheck = try await runCommand("/usr/bin/env", ["xmllint", "--noout", bed.directory.file("feed/index.atom")])
        #expect(indexCheck.status == 0, "\(indexCheck)")
    }

    @Test func aRefusedMailboxFailsAloneAndAtOnce() async throws {
        let smtpFolder = try TemporaryDirectory()
        defer { smtpFolder.remove() }
        let smtp = try await offPool { try LoopbackSMTPServer(in: smtpFolder) }
        defer { smtp.stop() }
        let bed = try await TestBed { _ in
            TestConfig(channels: [Self.emailChannel("courriel", server: smtp, to: ["un@cegep.example", "refused@cegep.example"])])
        }
        defer { bed.tearDown() }
        _ = try await bed.daemon.ctl("templates", "approve", "evacuation", "--yes")

        let send = try await bed.daemon.ctl(arguments: ["send", "evacuation", "--set", "building=Pavillon B", "--yes", "--json"])
        #expect(send.status == 1, "\(send)")
        let deliveries = try #require(send.jsonLines.last?["deliveries"] as? [[String: Any]])
        let refused = try #require(deliveries.first { $0["recipient"] as? String == "refused@cegep.example" })
        #expect(refused["state"] as? String == "failed")
        #expect(refused["attempts"] as? Int == 1, "a 550 is not retried")
        #expect(refused["lastStatus"] as? Int == 550)
        #expect(deliveries.first { $0["recipient"] as? String == "un@cegep.example" }?["state"] as? String == "delivered")
        #expect(smtp.messages().map(\.recipients) == [["un@cegep.example"]])
    }
}
