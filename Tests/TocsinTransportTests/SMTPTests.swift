import Foundation
import Glibc
import Testing
import TocsinTestSupport
import TocsinRequests
import TocsinTransport

/// SMTP through libcurl against a real server (aiosmtpd) on 127.0.0.1, on the same transport object as HTTP.
/// The limit only guards against a hang (each test takes a second alone; the integration tests no longer hold the
/// cooperative pool's threads).
@Suite(.timeLimit(.minutes(3)))
struct SMTPTests {
    static func message(to recipient: String, subject: String = "Test") -> [UInt8] {
        let text = """
            From: alertes@cegep.example\r
            To: \(recipient)\r
            Subject: \(subject)\r
            Message-ID: <test.1@cegep.example>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=UTF-8\r
            Content-Transfer-Encoding: 8bit\r
            \r
            Évacuez le pavillon A.\r
            .a line starting with a dot\r
            .\r
            Last line.\r

            """
        return Array(text.utf8)
    }

    static let login = HTTPBasicAuth(user: "tocsin", password: "s3cret-pass")

    /// A server (plain, STARTTLS or SMTPS, from a throw-away CA) in its own folder, and a transport: each test
    /// states only what it sends and what must arrive. `tearDown` after the last send (the transport must outlive it).
    final class Bed {
        let directory: TemporaryDirectory
        let server: LoopbackSMTPServer
        let authority: TestCertificateAuthority?
        let transport = CurlTransport()

        /// The server starts on a thread of its own (it waits for the child to listen), not the test pool's.
        init(tls: ServerTLS? = nil, certificateFor ipAddress: String = "127.0.0.1", login: Bool = false) async throws {
            let directory = try TemporaryDirectory()
            self.directory = directory
            let credentials = login ? (SMTPTests.login.user, SMTPTests.login.password) : nil
            if let tls {
                let authority = try await TestCertificateAuthority(in: directory)
                let identity = try await authority.issue(ipAddress: ipAddress)
                self.authority = authority
                server = try await offPool {
                    try LoopbackSMTPServer(
                        in: directory, credentials: credentials, tls: tls == .startTLS ? .startTLS(identity) : .implicit(identity)
                    )
                }
            } else {
                authority = nil
                server = try await offPool { try LoopbackSMTPServer(in: directory, credentials: credentials) }
            }
        }

        /// Sends `message` (a test message by default) from alertes@cegep.example; `trustCA` passes the test CA.
        func send(
            to recipients: [String] = ["etudiant@cegep.example"], message: [UInt8]? = nil, credentials: HTTPBasicAuth? = nil,
            requireTLS: Bool = false, trustCA: Bool = false, caBundle: String? = nil
        ) async -> Result<MailResponse, TransportError> {
            await transport.send(
                MailRequest(
                    url: server.url, from: "alertes@cegep.example", recipients: recipients,
                    message: message ?? SMTPTests.message(to: recipients.first ?? "x"), credentials: credentials,
                    requireTLS: requireTLS, caBundle: caBundle ?? (trustCA ? authority?.certificatePath : nil)
                )
            )
        }

        func tearDown() {
            transport.shutdown()
            server.stop()
            directory.remove()
        }
    }

    @Test func messageArrivesWithItsEnvelopeAndBytes() async throws {
        let bed = try await Bed()
        defer { bed.tearDown() }
        let message = Self.message(to: "etudiant@cegep.example")

        let response = try await bed.send(message: message).get()

        #expect(response.code == 250)
        let received = try #require(bed.server.messages().first)
        #expect(bed.server.messages().count == 1)
        #expect(received.mailFrom == "alertes@cegep.example")
        #expect(received.recipients == ["etudiant@cegep.example"])
        #expect(received.login == nil)
        // Dot-stuffing is curl's job and the server's to undo: the bytes arrive exactly as given.
        #expect(received.data == message)
    }

    @Test func severalRecipientsInOneEnvelope() async throws {
        let bed = try await Bed()
        defer { bed.tearDown() }

        let response = try await bed.send(to: ["a@cegep.example", "b@cegep.example"]).get()

        #expect(response.code == 250)
        #expect(bed.server.messages().map(\.recipients) == [["a@cegep.example", "b@cegep.example"]])
    }

    @Test func authenticatesWithTheConfiguredCredentials() async throws {
        let bed = try await Bed(login: true)
        defer { bed.tearDown() }

        let response = try await bed.send(credentials: Self.login).get()

        #expect(response.code == 250)
        #expect(bed.server.messages().first?.login == "tocsin")
    }

    @Test func aRejectedLoginIsAConfigurationErrorThatNeverShowsThePassword() async throws {
        let bed = try await Bed(login: true)
        defer { bed.tearDown() }

        let result = await bed.send(credentials: HTTPBasicAuth(user: "tocsin", password: "wrong-password"))

        guard case .failure(let error) = result else {
            Issue.record("a wrong password was accepted: \(result)")
            return
        }
        #expect(error.curlCode == 67)
        #expect(error.isConfigurationError)
        #expect(!error.description.contains("wrong-password"))
        #expect(bed.server.messages().isEmpty)
    }

    @Test func withoutCredentialsAServerThatWantsAUTHRefusesPermanently() async throws {
        let bed = try await Bed(login: true)
        defer { bed.tearDown() }

        let response = try await bed.send(message: Self.message(to: "x")).get()

        #expect(response.code == 530)
    }

    /// A refusal is the server's answer, as an HTTP 4xx is: the code comes back and the channel decides.
    @Test(arguments: [("refused@cegep.example", 550), ("busy@cegep.example", 450)])
    func aRefusedRecipientComesBackAsTheServersCode(recipient: String, code: Int) async throws {
        let bed = try await Bed()
        defer { bed.tearDown() }

        let response = try await bed.send(to: [recipient]).get()

        #expect(response.code == code)
        #expect(bed.server.messages().isEmpty)
    }

    @Test func requiringTLSFromAServerWithoutSTARTTLSSendsNothing() async throws {
        let bed = try await Bed(login: true)
        defer { bed.tearDown() }

        let result = await bed.send(credentials: Self.login, requireTLS: true)

        guard case .failure(let error) = result else {
            Issue.record("sent without TLS: \(result)")
            return
        }
        #expect(error.kind == .tls)
        #expect(error.curlCode == 64)  // CURLE_USE_SSL_FAILED: the password never went out in clear
        // The server will not offer STARTTLS on the next attempt either: the channel's configuration must change.
        #expect(error.isConfigurationError)
        #expect(!error.description.contains("s3cret-pass"))
        #expect(bed.server.messages().isEmpty)
    }

    // MARK: TLS

    enum ServerTLS: String, CaseIterable, Sendable {
        case startTLS, implicit
    }

    @Test func startTLSWithTheCATrustedDeliversOverAnEncryptedSession() async throws {
        let bed = try await Bed(tls: .startTLS)
        defer { bed.tearDown() }
        let message = Self.message(to: "etudiant@cegep.example")

        let response = try await bed.send(message: message, requireTLS: true, trustCA: true).get()

        #expect(bed.server.url.hasPrefix("smtp://"))
        #expect(response.code == 250)
        let received = try #require(bed.server.messages().first)
        #expect(bed.server.messages().count == 1)
        #expect(received.startTLS)
        #expect(received.tlsVersion?.hasPrefix("TLSv1.") == true)
        #expect(received.data == message)
    }

    @Test func implicitTLSWithTheCATrustedDelivers() async throws {
        let bed = try await Bed(tls: .implicit)
        defer { bed.tearDown() }
        let message = Self.message(to: "etudiant@cegep.example")

        let response = try await bed.send(message: message, trustCA: true).get()

        #expect(bed.server.url == "smtps://127.0.0.1:\(bed.server.port)")
        #expect(response.code == 250)
        let received = try #require(bed.server.messages().first)
        #expect(!received.startTLS)
        #expect(received.tlsVersion?.hasPrefix("TLSv1.") == true)
        #expect(received.data == message)
    }

    /// Without `caBundle` only the system store is trusted, which does not know the test CA: no message, no password.
    @Test(arguments: ServerTLS.allCases)
    func anUntrustedCertificateIsATLSFailureAndNothingIsDelivered(mode: ServerTLS) async throws {
        let bed = try await Bed(tls: mode, login: true)
        defer { bed.tearDown() }

        let result = await bed.send(credentials: Self.login, requireTLS: mode == .startTLS)

        guard case .failure(let error) = result else {
            Issue.record("an untrusted certificate was accepted: \(result)")
            return
        }
        #expect(error.kind == .tls)
        #expect(error.curlCode == 60)  // CURLE_PEER_FAILED_VERIFICATION
        #expect(!error.description.contains("s3cret-pass"))
        #expect(bed.server.messages().isEmpty)
    }

    /// A certificate from the trusted CA but for another address: the name check stays on with a `caBundle`.
    @Test(arguments: ServerTLS.allCases)
    func aCertificateForAnotherAddressIsRefusedEvenFromATrustedCA(mode: ServerTLS) async throws {
        let bed = try await Bed(tls: mode, certificateFor: "127.0.0.2")
        defer { bed.tearDown() }

        let result = await bed.send(requireTLS: mode == .startTLS, trustCA: true)

        guard case .failure(let error) = result else {
            Issue.record("a certificate for another address was accepted: \(result)")
            return
        }
        #expect(error.kind == .tls)
        #expect(bed.server.messages().isEmpty)
    }

    @Test func aMissingCAFileIsAConfigurationError() async throws {
        let bed = try await Bed(tls: .startTLS)
        defer { bed.tearDown() }

        let result = await bed.send(requireTLS: true, caBundle: bed.directory.file("no-such-ca.pem"))

        guard case .failure(let error) = result else {
            Issue.record("sent without a readable CA file: \(result)")
            return
        }
        #expect(error.kind == .tls)
        #expect(error.curlCode == 77)  // CURLE_SSL_CACERT_BADFILE
        #expect(error.isConfigurationError)
        #expect(bed.server.messages().isEmpty)
    }

    @Test func authenticatesOverSTARTTLS() async throws {
        let bed = try await Bed(tls: .startTLS, login: true)
        defer { bed.tearDown() }

        let response = try await bed.send(credentials: Self.login, requireTLS: true, trustCA: true).get()

        #expect(response.code == 250)
        let received = try #require(bed.server.messages().first)
        // The server offers AUTH only once the session is encrypted (auth_require_tls), so the login went over TLS.
        #expect(received.login == "tocsin")
        #expect(received.startTLS)
    }

    @Test func aRejectedLoginOverSTARTTLSNeverShowsThePassword() async throws {
        let bed = try await Bed(tls: .startTLS, login: true)
        defer { bed.tearDown() }

        let result = await bed.send(
            credentials: HTTPBasicAuth(user: "tocsin", password: "wrong-password"), requireTLS: true, trustCA: true
        )

        guard case .failure(let error) = result else {
            Issue.record("a wrong password was accepted: \(result)")
            return
        }
        #expect(error.curlCode == 67)  // CURLE_LOGIN_DENIED
        #expect(error.isConfigurationError)
        #expect(!error.description.contains("wrong-password"))
        #expect(!error.message.contains("wrong-password"))
        #expect(bed.server.messages().isEmpty)
    }

    @Test func anUnreachablePortIsAConnectFailure() async throws {
        // Held, not listening, for the whole test: refused all along (a released port may be taken by another test's server).
        let closed = try LoopbackPort()
        defer { closed.close() }
        let port = closed.port
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let result = await transport.send(
            MailRequest(url: "smtp://127.0.0.1:\(port)", from: "alertes@cegep.example", recipients: ["a@cegep.example"], message: Self.message(to: "a"))
        )

        guard case .failure(let error) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(error.kind == .connect)
        #expect(!error.isConfigurationError)
    }

    @Test(arguments: ["alertes@cegep.example\r\nRCPT TO:<x@evil.example>", "", "<alertes@cegep.example>"])
    func anInvalidEnvelopeAddressIsRefusedBeforeConnecting(from: String) async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let result = await transport.send(
            MailRequest(url: "smtp://127.0.0.1:9", from: from, recipients: ["a@cegep.example"], message: Self.message(to: "a"))
        )

        guard case .failure(let error) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(error.isConfigurationError)
    }

    @Test func mailTransfersSpeakOnlySMTP() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }

        let result = await transport.send(
            MailRequest(url: "http://127.0.0.1:9/", from: "alertes@cegep.example", recipients: ["a@cegep.example"], message: [])
        )

        guard case .failure(let error) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(error.curlCode == 1)  // CURLE_UNSUPPORTED_PROTOCOL
        #expect(error.isConfigurationError)
    }

    @Test func mailAndHTTPShareTheTransport() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let smtp = try await offPool { try LoopbackSMTPServer(in: directory) }
        defer { smtp.stop() }
        let http = try await LoopbackServer()
        defer { http.stop() }
        let transport = CurlTransport()
        defer { transport.shutdown() }

        async let mail = transport.send(
            MailRequest(url: smtp.url, from: "alertes@cegep.example", recipients: ["a@cegep.example"], message: Self.message(to: "a"))
        )
        async let post = transport.send(HTTPRequest(url: http.base + "/echo", body: Array("{}".utf8)))
        let (mailResult, postResult) = await (mail, post)

        #expect(try mailResult.get().code == 250)
        #expect(try postResult.get().status == 200)
    }

    @Test func cancellingTheCallerEndsAMailTransfer() async throws {
        let transport = CurlTransport()
        defer { transport.shutdown() }
        // A listener that never answers the SMTP greeting.
        let silent = try LoopbackPort(listening: true)
        defer { silent.close() }

        let task = Task {
            await transport.send(
                MailRequest(url: "smtp://127.0.0.1:\(silent.port)", from: "alertes@cegep.example", recipients: ["a@cegep.example"], message: Self.message(to: "a"))
            )
        }
        task.cancel()
        let result = await task.value

        guard case .failure(let error) = result else {
            Issue.record("expected a failure, got \(result)")
            return
        }
        #expect(error.kind == .cancelled)
    }
}
