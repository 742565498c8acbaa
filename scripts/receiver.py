#!/usr/bin/env python3
"""A loopback HTTP receiver for Tocsin's demo and tests.

Listens on 127.0.0.1 only, records every request as one JSON line, and answers each path by a plan:

    {"/flaky": [{"status": 500}, {"status": 500}, {"status": 200}],
     "/limited": [{"status": 429, "headers": {"Retry-After": "1"}}, {"status": 200}],
     "/hang": [{"hang": true}], "/slow": [{"delay": 2}], "/drop": [{"close": true}]}

The n-th request to a path gets the n-th step; the last step repeats. Unplanned paths get 200.
Prints "LISTENING <port>" once ready. Exits when standard input closes if --exit-on-stdin-eof is given,
so a crashed test run cannot leave it behind.
"""
import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, port, plan, record):
        super().__init__(("127.0.0.1", port), Handler)
        self.plan = plan
        self.record = open(record, "a", buffering=1) if record else None
        self.counts = {}
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        # A client that hangs up (e.g. a daemon killed mid-request in a crash test) is expected here.
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)

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
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_POST = do_PUT = do_GET = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--plan", help="JSON file with the answers per path")
    parser.add_argument("--record", help="file to append one JSON line per request to")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()
    plan = json.load(open(args.plan)) if args.plan else {}
    server = Receiver(args.port, plan, args.record)
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
