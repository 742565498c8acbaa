import Foundation
import TocsinRequests
import TocsinTestSupport
import TocsinTransport

/// A Python HTTP/1.1 server on 127.0.0.1 (never another address), one per test.
///
/// Routes: `/echo…` answers with JSON describing the request; `/status/<code>` answers with that
/// status (plus `Retry-After` for 429, `Location` for 3xx); `/big/<n>` sends n patterned bytes;
/// `/hang…` never answers; `/stats` reports hits and client ports per first path segment.
/// The server exits when its stdin closes, so it cannot outlive a crashed test run.
final class LoopbackServer: Sendable {
    let port: Int
    private let child: ListeningChild

    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the server on a thread of its own (the start waits for the child to listen), not the test pool's.
    init() async throws {
        child = try await offPool { try ListeningChild(python: ["-u", "-c", LoopbackServer.script], what: "the loopback HTTP server") }
        port = child.port
    }

    /// Closes its input and sends SIGTERM without waiting: it ends by itself (callable from a `defer`).
    func stop() { child.stop() }

    struct Stats: Decodable {
        var hits: [String: Int]
        var ports: [String: [Int]]
    }

    /// Hits and distinct client ports per first path segment, as the server saw them.
    func stats(using transport: some HTTPTransport) async throws -> Stats {
        let response = try await transport.send(HTTPRequest(method: "GET", url: base + "/stats")).get()
        return try JSONDecoder().decode(Stats.self, from: Data(response.body))
    }

    /// Polls until the server has seen `count` requests under `segment` (the request is in flight).
    func waitForHits(_ segment: String, count: Int = 1, using transport: some HTTPTransport) async throws {
        for _ in 0..<500 {
            if try await stats(using: transport).hits[segment, default: 0] >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ServerError.neverSeen(segment)
    }

    enum ServerError: Error {
        case neverSeen(String)
    }

    static let script = #"""
    import base64, json, os, sys, threading, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    lock = threading.Lock()
    hits = {}
    ports = {}

    class Server(ThreadingHTTPServer):
        request_queue_size = 512
        daemon_threads = True

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def reply(self, code, body, headers=()):
            self.send_response(code)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = self.path.split("?")[0].split("/")
            segment = parts[1] if len(parts) > 1 else ""
            if segment == "stats":
                with lock:
                    stats = {"hits": hits, "ports": {k: sorted(v) for k, v in ports.items()}}
                    payload = json.dumps(stats).encode()
                return self.reply(200, payload, [("Content-Type", "application/json")])
            with lock:
                hits[segment] = hits.get(segment, 0) + 1
                ports.setdefault(segment, set()).add(self.client_address[1])
            if segment == "echo":
                payload = json.dumps({
                    "method": self.command,
                    "path": self.path,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body": base64.b64encode(body).decode(),
                }).encode()
                self.reply(200, payload, [("Content-Type", "application/json")])
            elif segment == "status":
                code = int(parts[2])
                extra = [("X-Tocsin-Reply", "Yes")]
                if code == 429:
                    extra.append(("Retry-After", "7"))
                if 300 <= code < 400:
                    extra.append(("Location", "/echo/redirected"))
                self.reply(code, b"status body", extra)
            elif segment == "big":
                count = int(parts[2])
                self.reply(200, bytes(i % 251 for i in range(count)))
            elif segment == "hang":
                time.sleep(3600)
            else:
                self.reply(404, b"")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = handle_any

    def exit_when_parent_goes():
        sys.stdin.read()
        os._exit(0)

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=exit_when_parent_goes, daemon=True).start()
    print("LISTENING", server.server_address[1], flush=True)
    server.serve_forever()
    """#
}
