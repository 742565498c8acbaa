import Foundation

/// A real SMTP server (aiosmtpd, from PyPI) on 127.0.0.1 as a child process, recording every accepted message.
///
/// Recipients whose local part starts with `refused` get `550` at `RCPT TO`, those starting with `busy` get `450`.
/// With `credentials`, AUTH (PLAIN, LOGIN) is required before `MAIL FROM` and accepted over the plain loopback
/// connection (`auth_require_tls=False`, for tests only) unless the server speaks STARTTLS (see ``TLSMode``).
/// A message is written to the record before the server answers `250`, so once a send has succeeded its record
/// can be read without waiting. The `250` names a queue id as Postfix does (`250 2.0.0 Ok: queued as 4F2A000001`),
/// recorded with the message. The server exits when its stdin closes, so it cannot outlive a crashed test run.
public final class LoopbackSMTPServer: @unchecked Sendable {
    /// One accepted message: envelope, AUTH login and the raw bytes as received (CRLF line ends, dots unstuffed).
    public struct Message: Sendable {
        public var mailFrom: String
        public var recipients: [String]
        public var login: String?
        public var data: [UInt8]
        /// The TLS version the session was encrypted with (`TLSv1.3`), nil for a clear-text session.
        public var tlsVersion: String?
        /// Whether the session became encrypted through STARTTLS (rather than being TLS from the first byte).
        public var startTLS: Bool
        /// The queue id the server named in its `250` reply to the message.
        public var queueID: String?

        public var text: String { String(decoding: data, as: UTF8.self) }
    }

    /// Whether and how the server speaks TLS.
    public enum TLSMode: Sendable {
        /// Clear text only; `STARTTLS` is not offered.
        case none
        /// `STARTTLS` offered and required before anything but `EHLO`/`NOOP`/`QUIT` (`require_starttls=True`);
        /// with credentials, AUTH is offered only once the session is encrypted (`auth_require_tls=True`).
        case startTLS(TLSIdentity)
        /// TLS from the first byte (`smtps://`).
        case implicit(TLSIdentity)
    }

    public let port: Int
    public let recordPath: String
    public let tls: TLSMode
    private let child: ListeningChild

    public var url: String {
        if case .implicit = tls { return "smtps://127.0.0.1:\(port)" }
        return "smtp://127.0.0.1:\(port)"
    }

    /// - Parameters:
    ///   - directory: where the record file goes.
    ///   - credentials: the only user and password AUTH accepts; nil for a server without AUTH.
    ///   - tls: clear text (the default), STARTTLS or implicit TLS, with the server's certificate and key.
    public init(
        in directory: TemporaryDirectory, credentials: (user: String, password: String)? = nil, tls: TLSMode = .none,
        name: String = "smtp"
    ) throws {
        recordPath = directory.file("\(name)-messages.jsonl")
        _ = FileManager.default.createFile(atPath: recordPath, contents: nil)
        self.tls = tls
        var arguments = ["-u", "-c", Self.script, recordPath]
        switch tls {
        case .none: arguments += ["none", "", ""]
        case .startTLS(let identity): arguments += ["starttls", identity.certificatePath, identity.keyPath]
        case .implicit(let identity): arguments += ["implicit", identity.certificatePath, identity.keyPath]
        }
        if let credentials { arguments += [credentials.user, credentials.password] }
        child = try ListeningChild(python: arguments, what: "the SMTP server (is aiosmtpd installed? scripts/install-deps.sh)")
        port = child.port
    }

    /// Every message accepted so far, in arrival order.
    public func messages() -> [Message] {
        guard let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any],
                let data = (object["data"] as? String).flatMap({ Data(base64Encoded: $0) })
            else { return nil }
            return Message(
                mailFrom: object["mail_from"] as? String ?? "", recipients: object["rcpt_tos"] as? [String] ?? [],
                login: object["login"] as? String, data: Array(data), tlsVersion: object["tls"] as? String,
                startTLS: object["starttls"] as? Bool ?? false, queueID: object["queue_id"] as? String
            )
        }
    }

    /// Stops the child without waiting for its end (callable from a `defer`).
    public func stop() {
        child.stop()
    }

    static let script = #"""
    import asyncio, base64, json, os, ssl, sys, threading
    from aiosmtpd.smtp import SMTP, AuthResult

    record, mode, certificate, key = sys.argv[1:5]
    credentials = (sys.argv[5].encode(), sys.argv[6].encode()) if len(sys.argv) > 6 else None
    context = None
    if mode != "none":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
    lock = threading.Lock()
    accepted = [0]

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            local = address.split("@")[0]
            if local.startswith("refused"):
                return "550 5.1.1 No such user here"
            if local.startswith("busy"):
                return "450 4.2.1 Mailbox busy, try again later"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            login = session.login_data.decode() if session.login_data else None
            # After STARTTLS the transport is the TLS layer's, as it is from the start with implicit TLS.
            tls = server.transport.get_extra_info("ssl_object") if server.transport else None
            with lock:
                accepted[0] += 1
                queue_id = "4F2A%06X" % accepted[0]
            line = json.dumps({
                "queue_id": queue_id,
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "login": login,
                "tls": tls.version() if tls else None,
                "starttls": session.ssl is not None,
                "data": base64.b64encode(envelope.original_content or envelope.content).decode(),
            })
            with lock, open(record, "a") as out:
                out.write(line + "\n")
                out.flush()
            return "250 2.0.0 Ok: queued as " + queue_id

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = credentials is not None and (auth_data.login, auth_data.password) == credentials
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def factory():
        # An explicit hostname: the default calls getfqdn(), which can stall on a machine without DNS.
        return SMTP(
            Handler(), hostname="tocsin-test.localhost", decode_data=False,
            authenticator=authenticator if credentials else None,
            auth_required=credentials is not None, auth_require_tls=mode == "starttls",
            tls_context=context if mode == "starttls" else None, require_starttls=mode == "starttls",
        )

    def exit_when_parent_goes():
        sys.stdin.read()
        os._exit(0)

    async def main():
        implicit = context if mode == "implicit" else None
        server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0, ssl=implicit)
        threading.Thread(target=exit_when_parent_goes, daemon=True).start()
        print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())
    """#
}

/// A server certificate and its private key, as PEM files.
public struct TLSIdentity: Sendable {
    public var certificatePath: String
    public var keyPath: String

    public init(certificatePath: String, keyPath: String) {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
    }
}

/// A throw-away certificate authority made with the `openssl` command line, for TLS tests on the loopback
/// interface: a client trusts ``certificatePath``; servers present what ``issue(ipAddress:name:)`` makes.
/// Keys are P-256 (fast to make) and certificates last two days.
public struct TestCertificateAuthority: Sendable {
    /// The CA certificate (PEM): the file a client is told to trust.
    public let certificatePath: String
    private let keyPath: String
    private let folder: String

    /// Creates the CA's key and self-signed certificate in `directory`.
    public init(in directory: TemporaryDirectory, name: String = "test-ca") async throws {
        folder = directory.path
        certificatePath = directory.file("\(name).pem")
        keyPath = directory.file("\(name).key")
        try await Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", keyPath, "-out", certificatePath, "-days", "2", "-subj", "/CN=Tocsin test CA \(name)",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    /// A server certificate signed by this CA for one IP address (`subjectAltName=IP:…`), and its key.
    public func issue(ipAddress: String = "127.0.0.1", name: String = "server") async throws -> TLSIdentity {
        let key = "\(folder)/\(name).key", request = "\(folder)/\(name).csr"
        let certificate = "\(folder)/\(name).pem", extensions = "\(folder)/\(name).ext"
        try """
            subjectAltName=IP:\(ipAddress)
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=serverAuth

            """.write(toFile: extensions, atomically: true, encoding: .utf8)
        try await Self.openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", request, "-subj", "/CN=\(ipAddress)",
        ])
        try await Self.openssl([
            "x509", "-req", "-in", request, "-CA", certificatePath, "-CAkey", keyPath, "-set_serial", "\(UInt32.random(in: 2...UInt32.max))",
            "-days", "2", "-extfile", extensions, "-out", certificate,
        ])
        return TLSIdentity(certificatePath: certificate, keyPath: key)
    }

    private static func openssl(_ arguments: [String]) async throws {
        let result = try await runCommand("/usr/bin/env", ["openssl"] + arguments)
        guard result.status == 0 else {
            throw TestSupportError("openssl \(arguments[0]) failed (is openssl installed? scripts/install-deps.sh): \(result)")
        }
    }
}
