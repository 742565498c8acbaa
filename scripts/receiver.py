#!/usr/bin/env python3
"""A loopback HTTP receiver for Tocsin's demo and tests.

Listens on 127.0.0.1 only, records every request as one JSON line, and answers each path by a plan:

    {"/flaky": [{"status": 500}, {"status": 500}, {"status": 200}],
     "/limited": [{"status": 429, "headers": {"Retry-After": "1"}}, {"status": 200}],
     "/hang": [{"hang": true}], "/slow": [{"delay": 2}], "/drop": [{"close": true}]}

More faults for the fault suite:

    {"cut": true}                 status line, headers and half the announced body, then the connection closes
    {"slow_body": 3}              the answer's body trickles out one byte at a time over 3 seconds
    {"retry_after_date": 2}       a Retry-After header holding the HTTP date 2 seconds from now
    {"status": 301, "headers": {"Location": "http://127.0.0.1:1/elsewhere"}}   (any status and headers)

With --tls-cert/--tls-key the receiver speaks HTTPS only; a failed TLS handshake is recorded as a line
{"t": …, "event": "tls-error", "error": "…"} instead of a request.

The n-th request to a path gets the n-th step; the last step repeats. Unplanned paths get 200.
Prints "LISTENING <port>" once ready. Exits when standard input closes if --exit-on-stdin-eof is given,
so a crashed test run cannot leave it behind.
"""
import argparse
import email.utils
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, port, plan, record, tls=None):
        super().__init__(("127.0.0.1", port), Handler)
        self.tls = tls
        self.plan = plan
        self.record = open(record, "a", buffering=1) if record else None
        self.counts = {}
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        # A client that hangs up (e.g. a daemon killed mid-request in a crash test) is expected here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

    def get_request(self):
        sock, address = super().get_request()
        if self.tls:
            # The handshake runs in the request's thread (finish_request), so a stalled client holds no one up.
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def finish_request(self, request, client_address):
        if self.tls:
            try:
                request.settimeout(30)
                request.do_handshake()
                request.settimeout(None)
            except (ssl.SSLError, OSError) as error:
                self.write({"t": time.time(), "event": "tls-error", "error": str(error)})
                return
        super().finish_request(request, client_address)

    def next_step(self, path):
        with self.lock:
            n = self.counts.get(path, 0)
            self.counts[path] = n + 1
        steps = self.plan.get(path) or [{}]
        return steps[min(n, len(steps) - 1)]

    def write(self, entry):
        if self.record:
            with self.lock:
                self.record.write(json.dumps(entry, ensure_ascii=False) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        self.server.write({
            "t": time.time(),
            "method": self.command,
            "path": path,
            "query": self.path[len(path) + 1:],
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode("utf-8", "replace"),
            "peer": self.client_address[1],
        })
        step = self.server.next_step(path)
        if step.get("hang"):
            time.sleep(3600)
            return
        if step.get("close"):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        answer = step.get("body", '{"ok":true}').encode()
        self.send_response(int(step.get("status", 200)))
        for name, value in step.get("headers", {}).items():
            self.send_header(name, value)
        if step.get("retry_after_date") is not None:
            when = time.time() + float(step["retry_after_date"])
            self.send_header("Retry-After", email.utils.formatdate(when, usegmt=True))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        if step.get("cut"):
            # Half the announced body, then the connection ends: the answer is incomplete.
            self.wfile.write(answer[: len(answer) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if step.get("slow_body"):
            pause = float(step["slow_body"]) / max(len(answer), 1)
            for index in range(len(answer)):
                self.wfile.write(answer[index:index + 1])
                self.wfile.flush()
                time.sleep(pause)
            return
        self.wfile.write(answer)

    do_POST = do_PUT = do_GET = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--plan", help="JSON file with the answers per path")
    parser.add_argument("--record", help="file to append one JSON line per request to")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS only")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = parser.parse_args()
    plan = json.load(open(args.plan)) if args.plan else {}
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    server = Receiver(args.port, plan, args.record, tls)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    if args.exit_on_stdin_eof:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()
        return
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
