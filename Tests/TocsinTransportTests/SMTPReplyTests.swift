import Foundation
import Testing
import TocsinRequests
import TocsinTestSupport
import TocsinTransport

/// The SMTP server's reply to the message, kept by the transport for its queue id (provider receipts): through
/// libcurl's header callback, which receives every SMTP reply line, against a real server (aiosmtpd) on 127.0.0.1.
@Suite(.timeLimit(.minutes(3)))
struct SMTPReplyTests {
    @Test func theReplyToTheMessageIsKeptWithTheServersQueueId() async throws {
        let bed = try await SMTPTests.Bed()
        defer { bed.tearDown() }

        let first = try await bed.send().get()
        let second = try await bed.send(to: ["prof@cegep.example"]).get()

        let queued = bed.server.messages().compactMap(\.queueID)
        #expect(queued.count == 2)
        // The reply to the end of DATA, not the greeting, EHLO, MAIL FROM or RCPT TO replies before it.
        #expect(first.reply == "250 2.0.0 Ok: queued as \(queued.first ?? "?")")
        #expect(second.reply == "250 2.0.0 Ok: queued as \(queued.last ?? "?")")
        #expect(queued.first != queued.last)
    }

    @Test func aRefusedMessageKeepsNoAcceptedReplyOfItsOwn() async throws {
        let bed = try await SMTPTests.Bed()
        defer { bed.tearDown() }

        let refused = try await bed.send(to: ["refused@cegep.example"]).get()

        #expect(refused.code == 550)
        #expect(refused.reply?.contains("queued as") != true, "\(refused.reply ?? "")")
    }
}
