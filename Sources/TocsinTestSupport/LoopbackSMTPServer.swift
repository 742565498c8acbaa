import Foundation

/// A real SMTP server (aiosmtpd, from PyPI) on 127.0.0.1 as a child process, recording every accepted message.
///
/// Recipients whose local part starts with `refused` get `550` at `RCPT TO`, those starting with `busy` get `450`.
/// With `credentials`, AUTH (PLAIN, LOGIN) is required before `MAIL FROM` and accepted over the plain loopback
/// connection (`auth_require_tls=False`, for tests only). A message is written to the record before the server
/// answers `250`, so once a send has succeeded its record can be read without waiting.
/// The server exits when its stdin closes, so it cannot outlive a crashed test run.
public final class LoopbackSMTPServer: @unchecked Sendable {
    /// One accepted message: envelope, AUTH login and the raw bytes as received (CRLF line ends, dots unstuffed).
    public struct Message: Sendable {
        public var mailFrom: String
        public var recipients: [String]
        public var login: String?
        public var data: [UInt8]

        public var text: String { String(decoding: data, as: UTF8.self) }
    }

    public let port: Int
    public let recordPath: String
    private let child: ListeningChild

    public var url: String { "smtp://127.0.0.1:\(port)" }

    /// - Parameters:
    ///   - directory: where the record file goes.
    ///   - credentials: the only user and password AUTH accepts; nil for a server without AUTH.
    public init(in directory: TemporaryDirectory, credentials: (user: String, password: String)? = nil, name: String = "smtp") throws {
        recordPath = directory.file("\(name)-messages.jsonl")
        _ = FileManager.default.createFile(atPath: recordPath, contents: nil)
        var arguments = ["-u", "-c", Self.script, recordPath]
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
                login: object["login"] as? String, data: Array(data)
            )
        }
    }

    public func stop() {
        child.stop()
    }

    static let script = #"""
    import asyncio, base64, json, os, sys, threading
    from aiosmtpd.smtp import SMTP, AuthResult

    record = sys.argv[1]
    credentials = (sys.argv[2].encode(), sys.argv[3].encode()) if len(sys.argv) > 3 else None
    lock = threading.Lock()

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
            line = json.dumps({
                "mail_from": envelope.mail_from,
                "rcpt_tos": envelope.rcpt_tos,
                "login": login,
                "data": base64.b64encode(envelope.original_content or envelope.content).decode(),
            })
            with lock, open(record, "a") as out:
                out.write(line + "\n")
                out.flush()
            return "250 Message accepted for delivery"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = credentials is not None and (auth_data.login, auth_data.password) == credentials
        # handled=False: aiosmtpd itself answers 235 or 535.
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def factory():
        # An explicit hostname: the default calls getfqdn(), which can stall on a machine without DNS.
        return SMTP(
            Handler(), hostname="tocsin-test.localhost", decode_data=False,
            authenticator=authenticator if credentials else None,
            auth_required=credentials is not None, auth_require_tls=False,
        )

    def exit_when_parent_goes():
        sys.stdin.read()
        os._exit(0)

    async def main():
        server = await asyncio.get_running_loop().create_server(factory, "127.0.0.1", 0)
        threading.Thread(target=exit_when_parent_goes, daemon=True).start()
        print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())
    """#
}
