import Foundation

/// A hostile HTTP service on 127.0.0.1 (a Python child process) that answers every request with an error echoing
/// what it was sent, the way a debugging proxy or a careless 401 page does, to prove the daemon stores none of it.
///
/// Each request's echo items are its request line, every header as `Name: value`, the body, the form-decoded body
/// and the decoded `Authorization: Basic` credentials, each cut into pieces of at most ``pieceLength`` characters
/// (what a service may quote at once). Each piece is echoed in one of ten forms: raw, base64, base64url, lowercase,
/// uppercase, percent-encoded, the 12-character prefix of its raw, base64 and lowercase forms, and the 12-character
/// prefix of each of its words. The n-th request to a path (query aside) answers `500` with the n-th (piece, form)
/// — a retryable error, so the daemon comes back for the next one — and once every pair was served, `401`
/// (permanent) with the first one. The echo sits in a JSON body under the keys the adapters read a service's own
/// words from (`description`, `message`, `detail`, `error.message`), first in the body so it is within the part
/// the daemon keeps, with `/` written `\/` (PHP's habit).
///
/// Every request and the answer given are recorded as one JSON line (`requests()`).
public final class EchoReceiver: @unchecked Sendable {
    public struct Exchange: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: String
        public var status: Int
        /// The answer's body as sent.
        public var answer: String
    }

    public static let pieceLength = 80
    public let port: Int
    public let recordPath: String
    private let child: ListeningChild

    public init(in directory: TemporaryDirectory, name: String = "echo") throws {
        recordPath = directory.file("\(name)-exchanges.jsonl")
        _ = FileManager.default.createFile(atPath: recordPath, contents: nil)
        child = try ListeningChild(python: ["-u", "-c", Self.script, recordPath, "\(Self.pieceLength)"], what: "the echo receiver")
        port = child.port
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Every exchange so far, in arrival order.
    public func exchanges() -> [Exchange] {
        guard let text = try? String(contentsOfFile: recordPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else { return nil }
            return Exchange(
                path: object["path"] as? String ?? "", headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? "", status: object["status"] as? Int ?? 0, answer: object["answer"] as? String ?? ""
            )
        }
    }

    /// Stops the child without waiting for its end (callable from a `defer`).
    public func stop() { child.stop() }

    static let script = #"""
    import base64, json, sys, threading, time, urllib.parse
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    record, piece_length = sys.argv[1], int(sys.argv[2])
    lock = threading.Lock()
    counts = {}
    out = open(record, "a", buffering=1)

    def b64(text, alphabet=None):
        return base64.b64encode(text.encode("utf-8", "replace"), alphabet).decode()

    def words12(text):
        for separator in ",;&=?/\"'()[]{}:":
            text = text.replace(separator, " ")
        return " ".join(word[:12] for word in text.split())

    FORMS = [
        ("raw", lambda s: s),
        ("base64", b64),
        ("base64url", lambda s: b64(s, b"-_")),
        ("lower", lambda s: s.lower()),
        ("upper", lambda s: s.upper()),
        ("percent", lambda s: urllib.parse.quote(s, safe="")),
        ("raw12", lambda s: s[:12]),
        ("base64-12", lambda s: b64(s)[:12]),
        ("lower12", lambda s: s.lower()[:12]),
        ("words12", words12),
    ]

    def items(handler, body):
        found = ["%s %s" % (handler.command, handler.path)]
        found += ["%s: %s" % (name, value) for name, value in handler.headers.items()]
        authorization = handler.headers.get("Authorization", "")
        if authorization.lower().startswith("basic "):
            found.append(base64.b64decode(authorization[6:] + "==").decode("utf-8", "replace"))
        if body:
            found.append(body)
            decoded = urllib.parse.unquote_plus(body)
            if decoded != body:
                found.append(decoded)
        pieces = []
        for item in found:
            pieces += [item[i:i + piece_length] for i in range(0, len(item), piece_length)]
        return pieces

    def answer(status, echo):
        text = json.dumps(echo)[1:-1].replace("/", "\\/")
        code = 1 if status >= 500 else 190
        return ('{"description":"%s","ok":false,"error_code":%d,"message":"%s","detail":"%s",'
                '"error":{"message":"%s","code":%d,"is_transient":%s}}'
                % (text, status, text, text, text, code, "true" if status >= 500 else "false"))

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 512
        allow_reuse_address = True

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            path = self.path.split("?", 1)[0]
            with lock:
                n = counts.get(path, 0)
                counts[path] = n + 1
            pieces = items(self, body)
            variants = [(piece, form) for piece in pieces for form in FORMS]
            if n < len(variants):
                status, (piece, (_, form)) = 500, variants[n]
            else:
                status, (piece, (_, form)) = 401, variants[0]
            data = answer(status, form(piece)).encode()
            with lock:
                out.write(json.dumps({"path": self.path, "headers": dict(self.headers.items()), "body": body,
                                      "status": status, "answer": data.decode()}) + "\n")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_POST = do_PUT = do_GET = handle_any

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("LISTENING %d" % server.server_address[1], flush=True)
    sys.stdin.read()
    """#
}
