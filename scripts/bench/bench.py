#!/usr/bin/env python3
"""Tocsin's benchmark: time to notify against the curl --parallel floor, per-recipient fan-out, memory,
`audit verify` over a long chain, start to READY=1, and the same on PostgreSQL (one node, two nodes, take-over after
kill -9). See BENCHMARKS.md.

    python3 scripts/bench/bench.py --bin-dir .build-release/release          # full (what `make bench` runs)
    python3 scripts/bench/bench.py --bin-dir .build/debug --tiny             # once each, tiny sizes (the smoke test)

Everything listens on 127.0.0.1 only and runs under one temp folder; every process started here is stopped on exit.
The full run rewrites the generated part of BENCHMARKS.md (between the bench:begin/bench:end markers).
"""
import argparse
import hashlib
import json
import os
import platform
import pwd
import re
import select
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, "scripts", "bench")
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMPLATE = ["evacuation", "--set", "building=Pavillon A"]
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
MARK_BEGIN, MARK_END = "<!-- bench:begin -->", "<!-- bench:end -->"
POLL_END = "--bench-poll-end--"

children = []  # every Popen started here, stopped by cleanup()


def cleanup():
    for proc in reversed(children):
        if proc.poll() is None:
            try:
                proc.send_signal(getattr(proc, "stop_signal", signal.SIGTERM))
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    children.clear()


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


def spawn(args, **kwargs):
    proc = subprocess.Popen(args, **kwargs)
    children.append(proc)
    return proc


def stop(proc, sig=None):
    if proc.poll() is None:
        proc.send_signal(sig or getattr(proc, "stop_signal", signal.SIGTERM))
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in children:
        children.remove(proc)


def wait_for(condition, timeout, what, interval=0.002):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise SystemExit(f"bench: timed out after {timeout:.0f}s waiting for {what}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """The receiver: Debian's nginx as a foreground child, all its paths in its own folder."""

    def __init__(self, work):
        self.dir = os.path.join(work, "nginx")
        os.makedirs(self.dir)
        self.port = free_port()
        conf = open(os.path.join(HERE, "nginx.conf")).read()
        conf = conf.replace("@WORK@", self.dir).replace("@PORT@", str(self.port))
        with open(os.path.join(self.dir, "nginx.conf"), "w") as f:
            f.write(conf)
        self.log = os.path.join(self.dir, "access.log")
        open(self.log, "w").close()
        self.proc = spawn([NGINX, "-p", self.dir, "-e", os.path.join(self.dir, "error.log"),
                           "-c", os.path.join(self.dir, "nginx.conf")],
                          stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_for(self.answers, 10, "nginx to listen", interval=0.02)

    def answers(self):
        if self.proc.poll() is not None:
            raise SystemExit("bench: nginx exited:\n" + open(os.path.join(self.dir, "error.log")).read())
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def offset(self):
        return os.path.getsize(self.log)

    def receipts_since(self, offset):
        """Every receipt time logged after `offset` so far."""
        with open(self.log, "rb") as f:
            f.seek(offset)
            return [float(line.split(b" ", 1)[0]) for line in f.read().split(b"\n") if line]

    def receipts(self, offset, count, timeout):
        """Waits for `count` log lines after `offset`; returns their receipt times (epoch seconds)."""
        times, buffer = [], b""
        with open(self.log, "rb") as f:
            f.seek(offset)
            deadline = time.monotonic() + timeout
            while len(times) < count:
                chunk = f.read()
                if chunk:
                    buffer += chunk
                    *lines, buffer = buffer.split(b"\n")
                    times += [float(line.split(b" ", 1)[0]) for line in lines if line]
                    continue
                if time.monotonic() > deadline:
                    raise SystemExit(f"bench: the receiver got {len(times)} of {count} requests in {timeout:.0f}s")
                time.sleep(0.001)
        return times


def postgres_binaries():
    """The server binaries: $TOCSIN_PG_BIN, else the newest /usr/lib/postgresql/*/bin (as the tests find them)."""
    if os.environ.get("TOCSIN_PG_BIN"):
        return os.environ["TOCSIN_PG_BIN"]
    root = "/usr/lib/postgresql"
    versions = sorted((int(v) for v in os.listdir(root) if v.isdigit()), reverse=True) if os.path.isdir(root) else []
    return next((f"{root}/{v}/bin" for v in versions if os.access(f"{root}/{v}/bin/initdb", os.X_OK)), None)


class Postgres:
    """A throwaway PostgreSQL server, as Sources/TocsinTestSupport/PostgresServer.swift starts them: `initdb` in the
    bench's temp folder, 127.0.0.1 on a free port, fsync and synchronous_commit on as in production, the superuser
    trusted on loopback. As root, initdb and postgres run as `postgres` through `setpriv`, which execs in place: the
    child is the postmaster itself, stopped by cleanup() with SIGQUIT (immediate shutdown), also on Ctrl-C."""

    user = "postgres"

    def __init__(self, work):
        self.bin = postgres_binaries()
        if not self.bin:
            raise SystemExit("bench: no PostgreSQL server binaries: apt-get install -y postgresql (or --no-postgres)")
        self.dir = os.path.join(work, "postgres")
        self.sessions = {}
        self.data, sockets = os.path.join(self.dir, "data"), os.path.join(self.dir, "sockets")
        os.makedirs(sockets)
        self.owner = None
        if os.geteuid() == 0:  # initdb and postgres refuse root
            entry = next((e for e in map(self._user, ("postgres", "nobody")) if e), None)
            if not entry:
                raise SystemExit("bench: running as root, and no postgres or nobody user to run PostgreSQL as")
            self.owner = (entry.pw_uid, entry.pw_gid)
            os.chmod(work, 0o711)  # the server's user must reach its folder; the others stay unlisted
            for path in (self.dir, sockets):
                os.chown(path, *self.owner)
        # --no-sync: initdb's own files need not survive a power cut; the server itself runs with fsync=on.
        init = subprocess.run(self._as_owner() + [f"{self.bin}/initdb", "-D", self.data, "-A", "trust", "-U", self.user,
                                                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                              capture_output=True, text=True)
        if init.returncode != 0:
            raise SystemExit(f"bench: initdb failed:\n{init.stdout}{init.stderr}")
        self.log = os.path.join(self.dir, "postgres.log")
        for _ in range(5):  # a free port can be taken between its probe and the server's bind
            self.port = free_port()
            with open(self.log, "ab") as log:
                self.proc = spawn(self._as_owner() + [
                    f"{self.bin}/postgres", "-D", self.data, "-c", "listen_addresses=127.0.0.1", "-c", f"port={self.port}",
                    "-c", f"unix_socket_directories={sockets}", "-c", "fsync=on", "-c", "synchronous_commit=on",
                    "-c", "max_connections=200",
                ], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            self.proc.stop_signal = signal.SIGQUIT  # immediate: a throwaway cluster needs no shutdown checkpoint
            if wait_for(self._answers, 60, "PostgreSQL to accept connections", interval=0.05) == "up":
                return
            stop(self.proc)
            if "could not bind" not in open(self.log, errors="replace").read():
                break
        raise SystemExit("bench: postgres did not start:\n" + open(self.log, errors="replace").read()[-4000:])

    @staticmethod
    def _user(name):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            return None

    def _as_owner(self):
        if not self.owner:
            return []
        return ["setpriv", f"--reuid={self.owner[0]}", f"--regid={self.owner[1]}", "--init-groups", "--"]

    def _answers(self):
        if self.proc.poll() is not None:
            return "exited"
        ready = subprocess.run([f"{self.bin}/pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)])
        return "up" if ready.returncode == 0 else None

    def _psql_args(self, database):
        return [f"{self.bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                "-p", str(self.port), "-U", self.user, "-d", database]

    def psql(self, sql, database="postgres"):
        result = subprocess.run(self._psql_args(database) + ["-c", sql], capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise SystemExit(f"bench: psql failed: {result.stderr}")
        return result.stdout.strip()

    def poll(self, sql, database, timeout=60):
        """`psql` for the bench's polls (every 20 ms while a fan-out runs), through one session kept open per
        database: a psql process started each time (Debian's `psql` is a Perl wrapper) took a sixth of the 2 cores
        from the nodes being measured. Line-buffered through `stdbuf`; each answer ends at a marker line, awaited
        `timeout` seconds at most (as the one-off `psql` is)."""
        session = self.sessions.get(database)
        if session is None or session.poll() is not None:
            session = spawn(["stdbuf", "-oL"] + self._psql_args(database), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            session.stop_signal = signal.SIGTERM
            session.unread = b""
            self.sessions[database] = session
        session.stdin.write(f"{sql};\n\\echo {POLL_END}\n".encode())
        session.stdin.flush()
        marker = f"{POLL_END}\n".encode()
        deadline = time.monotonic() + timeout
        while marker not in session.unread:
            remaining = deadline - time.monotonic()
            ready = select.select([session.stdout], [], [], max(0, remaining))[0] if remaining > 0 else []
            if not ready:
                raise SystemExit(f"bench: psql did not answer in {timeout} s: {sql}")
            chunk = os.read(session.stdout.fileno(), 65536)
            if not chunk:
                raise SystemExit("bench: psql session ended: " + session.unread.decode(errors="replace"))
            session.unread += chunk
        answer, _, session.unread = session.unread.partition(marker)
        return answer.decode().strip()

    def database(self, name):
        self.psql(f"CREATE DATABASE {name}")
        return name

    def storage(self, database, node, lease=None):
        """The `storage:` and `cluster:` sections of a node on `database` (docs/configuration.md)."""
        lines = ["storage:", "  postgresql:", f'    hosts: ["127.0.0.1:{self.port}"]', f"    database: {database}",
                 f"    user: {self.user}", "    tls: disable", "cluster:", f"  node: {node}"]
        if lease:
            lines.append(f"  lease: {lease}")
        return dict(pg=self, database=database, lines=lines)

    def stop(self):
        for session in self.sessions.values():
            stop(session)
        stop(self.proc)


class Daemon:
    """A tocsind on a fresh state folder with a generated config, driven through the real tocsinctl."""

    def __init__(self, bench, name, channels, routes, env=None, start=True, storage=None):
        self.bench = bench
        self.storage = storage  # Postgres.storage(…), or None for SQLite in the state folder
        self.dir = os.path.join(bench.work, name)
        os.makedirs(os.path.join(self.dir, "templates"))
        for template in os.listdir(os.path.join(ROOT, "config", "templates")):
            shutil.copy(os.path.join(ROOT, "config", "templates", template), os.path.join(self.dir, "templates"))
        uid = os.getuid()
        lines = [
            "organization:", "  name: Cégep de l'Exemple", "  sender: alertes@cegep.example", "  languages: [fr, en]",
            "paths:", "  state: state", "  socket: state/admin.sock", "  templates: templates",
            "access:", f"  operators: [uid:{uid}]", f"  approvers: [uid:{uid}]", f"  auditors: [uid:{uid}]",
            "delivery:", "  timeout: 10s", "  deadline: 5m", "  retry: { initial: 300ms, max: 5s }",
            "channels:",
        ]
        for channel, settings in channels:
            lines.append(f"  {channel}:")
            lines += [f"    {key}: {value}" for key, value in settings.items()]
        lines.append("routes:")
        lines += [f"  {route}: [{', '.join(names)}]" for route, names in routes.items()]
        if storage:
            lines += storage["lines"]
        self.config = os.path.join(self.dir, "tocsin.yaml")
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        os.chmod(self.config, 0o600)
        self.socket = os.path.join(self.dir, "state", "admin.sock")
        self.db = os.path.join(self.dir, "state", "tocsin.db")
        self.proc = None
        if start:
            self.start(env)

    def spawn(self, env=None):
        log = open(os.path.join(self.dir, "tocsind.log"), "ab")
        self.proc = spawn([self.bench.tocsind, "--config", self.config], stdout=log, stderr=subprocess.STDOUT,
                          env={**os.environ, **(env or {})})
        return self.proc

    def start(self, env=None):
        self.spawn(env)
        wait_for(self.ready, 60, f"tocsind ({self.dir}) to answer", interval=0.02)

    def ready(self):
        if self.proc.poll() is not None:
            raise SystemExit(f"bench: tocsind exited {self.proc.returncode}:\n{self.log()}")
        return self.ctl("status", check=False).returncode == 0

    def log(self):
        return open(os.path.join(self.dir, "tocsind.log"), errors="replace").read()[-4000:]

    def ctl(self, *args, check=True):
        result = subprocess.run([self.bench.tocsinctl, *args], capture_output=True, text=True,
                                env={**os.environ, "TOCSIN_SOCKET": self.socket}, timeout=300)
        if check and result.returncode != 0:
            raise SystemExit(f"bench: tocsinctl {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}{result.stderr}\n--- tocsind log\n{self.log()}")
        return result

    def approve(self):
        self.ctl("templates", "approve", "evacuation", "--yes")

    def attempts(self):
        if self.storage:
            return int(self.sql("select count(*) from attempt"))
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("select count(*) from attempt").fetchone()[0]

    def sql(self, query):
        return self.storage["pg"].poll(query, self.storage["database"])

    def send(self, *args):
        """Starts `tocsinctl send` (the evacuation template, --no-wait) without waiting for it."""
        return subprocess.Popen([self.bench.tocsinctl, "send", *TEMPLATE, *args, "--yes", "--no-wait"],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env={**os.environ, "TOCSIN_SOCKET": self.socket})

    def kill(self):
        stop(self.proc, signal.SIGKILL)

    def memory(self):
        status = {}
        for line in open(f"/proc/{self.proc.pid}/status"):
            key, _, value = line.partition(":")
            status[key] = value.strip()
        return {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}

    def stop(self):
        if self.proc:
            stop(self.proc)


class Bench:
    def __init__(self, args):
        self.args = args
        self.tocsind = os.path.join(args.bin_dir, "tocsind")
        self.tocsinctl = os.path.join(args.bin_dir, "tocsinctl")
        for binary in (self.tocsind, self.tocsinctl):
            if not os.access(binary, os.X_OK):
                raise SystemExit(f"bench: {binary} is missing; build first (make bench does)")
        if not os.access(NGINX, os.X_OK):
            raise SystemExit("bench: nginx is missing: apt-get install -y nginx-light")
        self.work = tempfile.mkdtemp(prefix="tocsin-bench.")
        self.rows = []
        self.notes = []
        self.notify_ms = {}
        self.fanout_rates = []

    def row(self, metric, values, unit, target=None, met=None, runs=None, fmt="{:.1f}"):
        self.rows.append(dict(metric=metric, values=values, unit=unit, target=target, met=met,
                              runs=runs if runs is not None else len(values), fmt=fmt))
        med = statistics.median(values) if values else float("nan")
        print(f"  {metric}: median {fmt.format(med)} {unit} over {len(values)} run(s)", flush=True)

    def met(self, ok):
        return None if self.args.tiny else ok

    # -- the request a webhook channel sends, captured once against scripts/receiver.py ------------------------

    def capture_webhook(self):
        record = os.path.join(self.work, "captured.jsonl")
        receiver = spawn([sys.executable, os.path.join(ROOT, "scripts", "receiver.py"), "--port", "0",
                          "--record", record, "--exit-on-stdin-eof"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = int(receiver.stdout.readline().split()[1])
        daemon = Daemon(self, "capture", [("c1", {"type": "webhook", "url": f"http://127.0.0.1:{port}/hook/c1"})],
                        {"campus": ["c1"], "drill": ["c1"]})
        daemon.approve()
        daemon.ctl("send", *TEMPLATE, "--yes", "--no-wait")
        wait_for(lambda: os.path.exists(record) and os.path.getsize(record) > 0, 30, "the captured webhook")
        daemon.stop()
        receiver.stdin.close()
        stop(receiver)
        captured = json.loads(open(record).readline())
        body = os.path.join(self.work, "body.json")
        with open(body, "w") as f:
            f.write(captured["body"])
        skip = {"host", "content-length", "connection", "expect"}
        headers = [(k, v) for k, v in captured["headers"].items() if k not in skip]
        return body, headers

    def curl_config(self, n, body, headers, tag):
        path = os.path.join(self.work, f"curl-{n}-{tag}.cfg")
        with open(path, "w") as f:
            for i in range(1, n + 1):
                f.write(f'url = "{self.nginx.url(f"/hook/c{i}")}"\n')
                f.write(f'data-binary = "@{body}"\n')
                for key, value in headers:
                    if key == "webhook-id":
                        value = f"msg_floor_{tag}_{i}"
                    f.write('header = "{}: {}"\n'.format(key, value.replace("\\", "\\\\").replace('"', '\\"')))
                f.write('output = "/dev/null"\n')
                if i < n:
                    f.write("next\n")  # options apply to the next url only; a trailing `next` would be an empty entry
        return path

    # -- measurements ----------------------------------------------------------------------------------------

    def time_to_notify(self, sizes, runs, body, headers):
        for n in sizes:
            names = [f"c{i}" for i in range(1, n + 1)]
            daemon = Daemon(self, f"notify-{n}", [(c, {"type": "webhook", "url": self.nginx.url(f"/hook/{c}")}) for c in names],
                            {"campus": names, "drill": names[:1]})
            daemon.approve()
            tocsin, floor, ratios = [], [], []
            for run in range(runs):
                offset = self.nginx.offset()
                t0 = time.time()
                daemon.ctl("send", *TEMPLATE, "--yes", "--no-wait")
                last = max(self.nginx.receipts(offset, n, 120))
                tocsin.append((last - t0) * 1000)
                # Durable: every attempt recorded before the next run (and before the floor runs beside it).
                wait_for(lambda: daemon.attempts() >= (run + 1) * n, 60, f"{n} attempts recorded", interval=0.01)
                config = self.curl_config(n, body, headers, run)
                offset = self.nginx.offset()
                t0 = time.time()
                curl = subprocess.run(["curl", "--silent", "--show-error", "--parallel", "--parallel-max", "100",
                                       "--parallel-immediate", "--config", config], capture_output=True, text=True)
                if curl.returncode != 0:
                    raise SystemExit(f"bench: curl exited {curl.returncode}: {curl.stderr}")
                last = max(self.nginx.receipts(offset, n, 120))
                floor.append((last - t0) * 1000)
                ratios.append(tocsin[-1] / floor[-1] if floor[-1] > 0 else float("inf"))
            daemon.stop()
            self.notify_ms[n] = tocsin
            label = f"{n:,} channel" + ("s" if n > 1 else "")
            target = met = None
            if n == self.sizes["notify"][-1] and not self.args.tiny:
                target, met = "≤ 150 ms", statistics.median(tocsin) <= 150
            self.row(f"Time to notify, {label} (Tocsin)", tocsin, "ms", target, met)
            # The size the ≤ 1.0× target and the first-send row are about (the largest one in tiny mode).
            headline = n == 100 or (self.args.tiny and n == sizes[-1])
            if headline:
                # The first send after a start pays curl's start-up and the Swift runtime's first look-ups: the
                # send an alert after months of idling is. One figure per bench run, kept apart from the median.
                self.row(f"Time to notify, {label}, the first send after start (Tocsin)", tocsin[:1], "ms")
            self.row(f"Time to notify, {label} (curl --parallel floor)", floor, "ms")
            target = met = None
            if headline:
                target, met = "≤ 1.0×", self.met(statistics.median(ratios) <= 1.0)
            elif n == 1000:
                target, met = "≤ 1.25×", self.met(statistics.median(ratios) <= 1.25)
            self.row(f"Tocsin / floor, {label}", ratios, "×", target, met, fmt="{:.2f}")

    def peers(self, n, runs):
        """Optional peers, measured only when installed: Prometheus Alertmanager (one receiver with n webhook
        configs, group_wait 0s, the alert posted by a fresh curl) and Apprise (n json:// URLs, one CLI run)."""
        alertmanager = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
        if alertmanager:
            self.alertmanager(alertmanager, n, runs)
        else:
            self.notes.append("Alertmanager not measured: not installed (`apt-get install prometheus-alertmanager`)")
        apprise = shutil.which("apprise")
        if apprise:
            times = []
            urls = [f"json://127.0.0.1:{self.nginx.port}/apprise/c{i}" for i in range(1, n + 1)]
            for run in range(runs):
                offset = self.nginx.offset()
                t0 = time.time()
                subprocess.run([apprise, "-t", "EVACUATION", "-b", f"run {run}", *urls], capture_output=True, timeout=120)
                times.append((max(self.nginx.receipts(offset, n, 120)) - t0) * 1000)
            self.row(f"Time to notify, {n:,} channels (Apprise {self.version([apprise, '--version'])})", times, "ms")
        else:
            self.notes.append("Apprise not measured: not installed (`pip install apprise`)")

    @staticmethod
    def version(command):
        try:
            out = subprocess.run(command, capture_output=True, text=True, timeout=10)
            first = (out.stdout or out.stderr).split("\n")[0]
            found = re.search(r"v?(\d+\.\d+[^\s,)]*)", first)
            return found.group(1) if found else "?"
        except (OSError, subprocess.TimeoutExpired):
            return "?"

    def alertmanager(self, binary, n, runs):
        folder = os.path.join(self.work, "alertmanager")
        os.makedirs(folder)
        lines = ["route:", "  receiver: hooks", "  group_by: [alertname]", "  group_wait: 0s", "  group_interval: 1s",
                 "  repeat_interval: 1h", "receivers:", "  - name: hooks", "    webhook_configs:"]
        lines += [f"      - url: {self.nginx.url(f'/am/c{i}')}\n        send_resolved: false" for i in range(1, n + 1)]
        config = os.path.join(folder, "alertmanager.yml")
        with open(config, "w") as f:
            f.write("\n".join(lines) + "\n")
        port = free_port()
        proc = spawn([binary, f"--config.file={config}", f"--storage.path={folder}", f"--web.listen-address=127.0.0.1:{port}",
                      "--cluster.listen-address="], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ready = lambda: subprocess.run(["curl", "-sf", f"http://127.0.0.1:{port}/-/ready"], capture_output=True).returncode == 0
        wait_for(ready, 30, "Alertmanager to be ready", interval=0.05)
        times = []
        for run in range(runs):
            alert = json.dumps([{"labels": {"alertname": f"evacuation-{run}", "building": "Pavillon A"},
                                 "annotations": {"summary": "Evacuate Pavillon A now"}}])
            offset = self.nginx.offset()
            t0 = time.time()
            subprocess.run(["curl", "-sf", "-H", "Content-Type: application/json", "-d", alert,
                            f"http://127.0.0.1:{port}/api/v2/alerts"], check=True, capture_output=True)
            times.append((max(self.nginx.receipts(offset, n, 120)) - t0) * 1000)
        stop(proc)
        self.row(f"Time to notify, {n:,} channels (Alertmanager {self.version([binary, '--version'])})", times, "ms")
        if n in self.notify_ms:
            ratio = statistics.median(self.notify_ms[n]) / statistics.median(times)
            self.row(f"Tocsin / Alertmanager, time to notify {n:,} channels (medians)", [ratio], "×", "≤ 1.0×",
                     self.met(ratio <= 1.0), runs=runs, fmt="{:.2f}")

    def fan_out(self, recipients, runs):
        numbers = os.path.join(self.work, "recipients.txt")
        with open(numbers, "w") as f:
            f.writelines(f"+1514555{i:04d}\n" for i in range(recipients))
        daemon = Daemon(self, "fanout", [("sms", {
            "type": "twilio-sms", "api_base": f'"{self.nginx.url("/twilio")}"', "account_sid": ACCOUNT_SID,
            "auth_token": "benchSECRETtoken", "from": '"+15145550000"', "recipients_file": numbers,
            "max_concurrency": 64,
        })], {"campus": ["sms"], "drill": ["sms"]})
        daemon.approve()
        time.sleep(0.5)
        idle = daemon.memory()["VmRSS"]
        rates, durable_rates, totals = [], [], []
        for run in range(runs):
            offset = self.nginx.offset()
            t0 = time.time()
            daemon.ctl("send", *TEMPLATE, "--yes", "--no-wait")
            last = max(self.nginx.receipts(offset, recipients, 600))
            rates.append(recipients / (last - t0))
            expected = (run + 1) * recipients
            wait_for(lambda: daemon.attempts() >= expected, 600, f"{expected} attempts recorded", interval=0.005)
            durable_rates.append(recipients / (time.time() - t0))
            totals.append(daemon.attempts())
        peak = daemon.memory()["VmHWM"]
        daemon.stop()
        self.fanout_rates = rates
        recorded = totals[-1] == runs * recipients
        self.row(f"Fan-out, {recipients:,} recipients, to last receipt", rates, "deliveries/s", "≥ 5,000/s",
                 self.met(statistics.median(rates) >= 5000), fmt="{:,.0f}")
        self.row(f"Fan-out, {recipients:,} recipients, to last attempt committed", durable_rates, "deliveries/s",
                 fmt="{:,.0f}")
        self.row("Attempts recorded in SQLite (all runs)", [totals[-1]], f"of {runs * recipients:,}",
                 "all", recorded, fmt="{:,.0f}")
        if not recorded:
            raise SystemExit(f"bench: {totals[-1]} attempts recorded, expected {runs * recipients}")
        return idle, peak

    def memory(self, idle_small, idle_sent, idle_fanout, peak, recipients):
        self.row("tocsind RSS idle (1 channel), after start", [idle_small], "MB", "≤ 30 MB", self.met(idle_small <= 30),
                 runs=1)
        self.row("tocsind RSS idle (1 channel), after one send", [idle_sent], "MB", runs=1)
        self.row(f"tocsind RSS idle ({recipients:,}-recipient config)", [idle_fanout], "MB", runs=1)
        self.row(f"tocsind peak RSS (VmHWM) over the {recipients:,} fan-outs", [peak], "MB", "≤ 150 MB",
                 self.met(peak <= 150), runs=1)

    def audit_verify(self, entries, runs):
        daemon = Daemon(self, "audit", [("c1", {"type": "webhook", "url": self.nginx.url("/hook/c1")})],
                        {"campus": ["c1"], "drill": ["c1"]})
        daemon.stop()  # the schema and the first entries exist now
        t0 = time.monotonic()
        with sqlite3.connect(daemon.db) as db:
            seq, prev = db.execute("select seq, hash from audit order by seq desc limit 1").fetchone() or (0, "0" * 64)
            start_ms = int(time.time() * 1000)

            def rows():
                nonlocal seq, prev
                for i in range(entries - seq):
                    seq += 1
                    detail = json.dumps({"n": seq, "note": "synthetic entry for the audit verify benchmark"},
                                        separators=(",", ":"))
                    ms = start_ms + i
                    text = f"{prev}\n{seq}\n{ms}\nbench.synthetic\n0\n1\nbench-{seq % 1000}\n{detail}"
                    digest = hashlib.sha256(text.encode()).hexdigest()
                    yield (seq, ms, "bench.synthetic", 0, 1, f"bench-{seq % 1000}", detail, prev, digest)
                    prev = digest

            db.executemany("insert into audit (seq, timeMillis, kind, actorUID, actorPID, subject, detail, prevHash, hash)"
                           " values (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
        print(f"  (generated {entries:,} audit entries in {time.monotonic() - t0:.1f}s)", flush=True)
        daemon.start()
        times = []
        for _ in range(runs):
            t0 = time.monotonic()
            result = daemon.ctl("audit", "verify")
            times.append(time.monotonic() - t0)
            # Time-boxed: a verify far over its target needs no ten runs to show it (at least three are kept).
            if len(times) >= 3 and sum(times) > self.args.audit_budget:
                self.notes.append(f"`audit verify` stopped after {len(times)} runs: {sum(times):.0f} s spent "
                                  f"(budget {self.args.audit_budget:.0f} s, --audit-budget)")
                break
        daemon.stop()
        if "intact" not in result.stdout:
            raise SystemExit(f"bench: audit verify did not find the chain intact:\n{result.stdout}{result.stderr}")
        self.notes.append(f"`audit verify` said: {result.stdout.strip().splitlines()[0]}")
        self.row(f"`audit verify`, {entries:,} entries", times, "s", "≤ 2 s",
                 self.met(statistics.median(times) <= 2), fmt="{:.2f}")

    def ready(self, runs):
        times = []
        for run in range(runs):
            daemon = Daemon(self, f"ready-{run}", [("c1", {"type": "webhook", "url": self.nginx.url("/hook/c1")})],
                            {"campus": ["c1"], "drill": ["c1"]}, start=False)
            path = os.path.join(daemon.dir, "notify.sock")
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
                listener.bind(path)
                listener.settimeout(60)
                t0 = time.monotonic()
                daemon.spawn({"NOTIFY_SOCKET": path})
                while True:
                    message = listener.recv(4096).decode(errors="replace")
                    if "READY=1" in message.split("\n"):
                        times.append((time.monotonic() - t0) * 1000)
                        break
            daemon.stop()
        self.row("Start of tocsind to READY=1 (fresh state)", times, "ms", "≤ 200 ms",
                 self.met(statistics.median(times) <= 200))

    # -- PostgreSQL: one node, two nodes, take-over ----------------------------------------------------------------

    def recipients_file(self, name, first, count):
        path = os.path.join(self.work, f"{name}.txt")
        with open(path, "w") as f:
            f.writelines(f"+1514555{i:04d}\n" for i in range(first, first + count))
        return path

    def sms(self, numbers, max_concurrency=64, timeout=None):
        settings = {"type": "twilio-sms", "api_base": f'"{self.nginx.url("/twilio")}"', "account_sid": ACCOUNT_SID,
                    "auth_token": "benchSECRETtoken", "from": '"+15145550000"', "recipients_file": numbers,
                    "max_concurrency": max_concurrency}
        if timeout:
            settings["timeout"] = timeout
        return settings

    def sends(self, senders, total, runs, what):
        """Runs the sends of `senders` ((daemon, extra send arguments) each) together, `runs` times; returns the
        deliveries/s to the last receipt and to the last attempt committed, and the receipts beyond one per delivery.
        The last receipt is taken once the database has every delivery delivered: a count of requests alone would
        stop early if some were sent twice (an attempt made again after a lease lapsed), so those are counted apart."""
        node = senders[0][0]
        attempts = node.attempts
        delivered = lambda: int(node.sql("select count(*) from delivery where state = 'delivered'"))
        rates, durable, extra = [], [], []
        for _ in range(runs):
            base, base_delivered = attempts(), delivered()
            offset = self.nginx.offset()
            t0 = time.time()
            for proc in [daemon.send(*args) for daemon, args in senders]:
                out, _ = proc.communicate(timeout=300)
                if proc.returncode != 0:
                    raise SystemExit(f"bench: tocsinctl send exited {proc.returncode}:\n{out}\n--- tocsind log\n"
                                     + "\n".join(d.log() for d, _ in senders))
            # The receiver's log first (a file read, as the SQLite fan-out waits): a count(*) on the server every
            # 20 ms the whole time took the server's CPU from the nodes being measured. Then the database: had some
            # been sent twice, the count of requests would be reached early.
            self.nginx.receipts(offset, total, 600)
            wait_for(lambda: delivered() >= base_delivered + total, 600, f"{total} deliveries delivered ({what})",
                     interval=0.02)
            receipts = self.nginx.receipts_since(offset)
            rates.append(total / (max(receipts) - t0))
            extra.append(len(receipts) - total)
            wait_for(lambda: attempts() >= base + total, 600, f"{total} attempts recorded ({what})", interval=0.02)
            durable.append(total / (time.time() - t0))
        return rates, durable, extra

    def duplicates(self, label, extra, attempts, expected):
        """Rows for what a PostgreSQL fan-out sent and recorded beyond one per delivery (both should be 0)."""
        self.row(f"Receipts beyond one per delivery, {label} (all runs)", [sum(extra)], f"of {expected:,}", "0",
                 sum(extra) == 0, fmt="{:,.0f}")
        self.row(f"Attempts recorded in PostgreSQL, {label} (all runs)", [attempts], f"of {expected:,}", "all, once",
                 attempts == expected, fmt="{:,.0f}")
        if attempts < expected:
            raise SystemExit(f"bench: {attempts} attempts recorded on PostgreSQL ({label}), expected {expected}")

    def pg_notify(self, n, runs):
        names = [f"c{i}" for i in range(1, n + 1)]
        daemon = Daemon(self, f"pg-notify-{n}", [(c, {"type": "webhook", "url": self.nginx.url(f"/hook/{c}")}) for c in names],
                        {"campus": names, "drill": names[:1]}, storage=self.pg.storage(self.pg.database(f"notify_{n}"), "node-1"))
        daemon.approve()
        times = []
        for _ in range(runs):
            base = daemon.attempts()
            offset = self.nginx.offset()
            t0 = time.time()
            daemon.ctl("send", *TEMPLATE, "--yes", "--no-wait")
            times.append((max(self.nginx.receipts(offset, n, 120)) - t0) * 1000)
            wait_for(lambda: daemon.attempts() >= base + n, 60, f"{n} attempts recorded", interval=0.02)
        daemon.stop()
        label = f"{n:,} channel" + ("s" if n > 1 else "")
        self.row(f"Time to notify, {label} (PostgreSQL, 1 node)", times, "ms")
        ratio = statistics.median(times) / statistics.median(self.notify_ms[n])
        self.row(f"PostgreSQL / SQLite, time to notify {label} (medians)", [ratio], "×", "≤ 1.5×",
                 self.met(ratio <= 1.5), runs=runs, fmt="{:.2f}")

    def pg_fan_out(self, recipients, runs):
        numbers = self.recipients_file("pg-recipients", 0, recipients)
        daemon = Daemon(self, "pg-fanout", [("sms", self.sms(numbers))], {"campus": ["sms"], "drill": ["sms"]},
                        storage=self.pg.storage(self.pg.database("fanout"), "node-1"))
        daemon.approve()
        rates, durable, extra = self.sends([(daemon, [])], recipients, runs, "PostgreSQL, 1 node")
        total = daemon.attempts()
        daemon.stop()
        self.row(f"Fan-out, {recipients:,} recipients, PostgreSQL 1 node, to last receipt", rates, "deliveries/s",
                 fmt="{:,.0f}")
        self.row(f"Fan-out, {recipients:,} recipients, PostgreSQL 1 node, to last attempt committed", durable,
                 "deliveries/s", fmt="{:,.0f}")
        ratio = statistics.median(rates) / statistics.median(self.fanout_rates)
        self.row("PostgreSQL 1 node / SQLite, fan-out rate (medians)", [ratio], "×", "≥ 0.6×", self.met(ratio >= 0.6),
                 runs=runs, fmt="{:.2f}")
        self.duplicates("1 node", extra, total, runs * recipients)
        return rates

    def pg_cluster(self, name, recipients, takeover, lease, timeout):
        """Two nodes on one database, `name`. Channels: the fan-out's recipients in two halves (sms-a, sms-b: routes half-a,
        half-b), each half sent from its own node; `takeover` for the kill -9 runs. Returns the nodes and the time
        from which each has its share of every channel (the hold-off of docs/configuration.md: the channel's
        timeout + 1 s + no rate interval + the node list's lifetime, min(lease, 5 s))."""
        half = recipients // 2
        channels = [("sms-a", self.sms(self.recipients_file("half-a", 0, half), timeout=f"{timeout}s")),
                    ("sms-b", self.sms(self.recipients_file("half-b", half, recipients - half), timeout=f"{timeout}s")),
                    # Tiny: 2 slots (1 a node), so the node is still sending its 50 when it is killed.
                    ("takeover", self.sms(self.recipients_file("takeover", 0, takeover), 2 if self.args.tiny else 64,
                                          f"{timeout}s"))]
        routes = {"campus": ["sms-a"], "drill": ["sms-a"], "half-a": ["sms-a"], "half-b": ["sms-b"], "takeover": ["takeover"]}
        database = self.pg.database(name)
        nodes = [Daemon(self, f"pg-{name}-{node}", channels, routes, storage=self.pg.storage(database, f"node-{node}", f"{lease}s"))
                 for node in ("a", "b")]
        nodes[0].approve()  # one approval for the cluster: it is in the database
        return nodes, time.monotonic() + timeout + 1 + min(lease, 5) + 1

    def pg_cluster_fan_out(self, nodes, recipients, runs, one_node, lease):
        half = recipients // 2
        senders = [(nodes[0], ["--route", "half-a"]), (nodes[1], ["--route", "half-b"])]
        rates, durable, extra = self.sends(senders, recipients, runs, "PostgreSQL, 2 nodes")
        label = f"{recipients:,} recipients, PostgreSQL 2 nodes ({half:,} sent from each, lease {lease:g} s)"
        self.row(f"Fan-out, {label}, to last receipt", rates, "deliveries/s", "≥ 1 node",
                 self.met(statistics.median(rates) >= statistics.median(one_node)), fmt="{:,.0f}")
        self.row(f"Fan-out, {label}, to last attempt committed", durable, "deliveries/s", fmt="{:,.0f}")
        self.duplicates("2 nodes", extra, nodes[0].attempts(), runs * recipients)

    def pg_take_over(self, nodes, recipients, runs, lease, hold_off, kill_after):
        """Sends a fan-out of `recipients` from one node and kills it with SIGKILL once `kill_after` of them were
        received (0: as soon as the send is stored); the other node takes the lapsed leases over. Measured from the
        kill to the last receipt, once every delivery is delivered. The killed node is started again (same name) and
        given its hold-off; the next run kills the other one."""
        delivered = lambda: int(nodes[0].sql("select count(*) from delivery where channel = 'takeover' and state = 'delivered'"))
        times, firsts, killed_at = [], [], []
        for run in range(runs):
            victim = nodes[run % 2]
            base = delivered()
            offset = self.nginx.offset()
            victim.ctl("send", *TEMPLATE, "--route", "takeover", "--yes", "--no-wait")
            if kill_after:
                self.nginx.receipts(offset, kill_after, 60)
            killed = time.time()
            victim.kill()
            before = len(self.nginx.receipts_since(offset))
            wait_for(lambda: delivered() >= base + recipients, 120, "the take-over's deliveries", interval=0.02)
            receipts = self.nginx.receipts_since(offset)
            after = [t for t in receipts if t > killed]
            times.append(max(receipts) - killed)
            if after:
                firsts.append(min(after) - killed)
            killed_at.append(before)
            if run < runs - 1:
                victim.start()
                time.sleep(hold_off)
        self.row(f"Take-over after kill -9, {recipients:,}-recipient fan-out (lease {lease:g} s): kill to last receipt",
                 times, "s", f"≤ {lease + 1:g} s", self.met(statistics.median(times) <= lease + 1), fmt="{:.2f}")
        if firsts:
            self.row("Take-over: kill to the other node's first receipt", firsts, "s", runs=len(firsts), fmt="{:.2f}")
        self.notes.append(f"Take-over: receipts by the kill, per run: {', '.join(map(str, killed_at))} of {recipients:,}")

    def pg_notes(self):
        """What the logs say about leases: deadlocks PostgreSQL broke, and leases a node lost while it was working."""
        deadlocks = open(self.pg.log, errors="replace").read().count("deadlock detected")
        lost = {}
        for name in sorted(os.listdir(self.work)):
            log = os.path.join(self.work, name, "tocsind.log")
            if name.startswith("pg-") and os.path.exists(log):
                # A lease lost in memory (not renewed in time) or taken by another node, and what finished late.
                lines = open(log, errors="replace").read().splitlines()
                losses = sum(1 for line in lines if "leases taken over by another node" in line or "lease lost:" in line)
                late = sum(1 for line in lines if "late outcome recorded" in line)
                if losses or late:
                    lost[name] = f"{losses} (late outcomes {late})"
        self.notes.append(f"PostgreSQL: {deadlocks} deadlock(s) detected in the server's log; leases lost while working: "
                          f"{', '.join(f'{k} {v}' for k, v in lost.items()) or 'never'}")

    def postgres(self, runs):
        """The fan-outs run with the default lease (10 s), as an operator runs them; the take-over with a short one,
        so that a run takes seconds. With 2 s leases, two nodes fanning out on these 2 shared cores now and then
        renew 5,000 leases too late, and send some deliveries twice (docs/configuration.md advises several
        seconds)."""
        tiny = self.args.tiny
        lease, timeout = (1, 2) if tiny else (2, 2)
        fan_out_lease = 10
        recipients, takeover = self.sizes["recipients"], self.sizes["takeover"]
        hold_off = timeout + 1 + min(lease, 5) + 1
        clusters = {}

        def cluster(name, cluster_lease):
            if name not in clusters:
                clusters[name] = self.pg_cluster(name, recipients, takeover, cluster_lease, timeout)
            return clusters[name]

        if tiny:  # the nodes' hold-off passes while the one-node measurements run
            cluster("cluster", fan_out_lease), cluster("takeover", lease)
        print("bench: PostgreSQL, time to notify (1 node)", flush=True)
        self.pg_notify(self.sizes["pg-notify"], runs)
        print("bench: PostgreSQL, fan-out (1 node)", flush=True)
        one_node = self.pg_fan_out(recipients, runs)
        nodes, ready_at = cluster("cluster", fan_out_lease)
        time.sleep(max(0, ready_at - time.monotonic()))
        print("bench: PostgreSQL, fan-out (2 nodes)", flush=True)
        self.pg_cluster_fan_out(nodes, recipients, runs, one_node, fan_out_lease)
        for node in nodes:
            node.stop()
        nodes, ready_at = cluster("takeover", lease)
        time.sleep(max(0, ready_at - time.monotonic()))
        print("bench: PostgreSQL, take-over after kill -9", flush=True)
        self.pg_take_over(nodes, takeover, runs, lease, hold_off, 0 if tiny else takeover // 10)
        for node in nodes:
            node.stop()

    # -- report ----------------------------------------------------------------------------------------------

    def machine(self):
        def run(*args):
            try:
                return subprocess.run(args, capture_output=True, text=True, timeout=60).stdout.strip()
            except OSError:
                return "?"
        model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
        mem = next((l.split(":", 1)[1].strip() for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
        mem = f"{int(mem.split()[0]) / 1024 / 1024:.1f} GiB" if mem != "?" else mem
        swift = run("swift", "--version").splitlines()
        load = open("/proc/loadavg").read().split()[:3]
        return [
            f"- CPU: {run('nproc')} × {model}",
            f"- Memory: {mem}",
            f"- Kernel: {platform.system()} {platform.release()}",
            f"- Swift: {swift[0] if swift else '?'}",
            f"- nginx: {run(NGINX, '-v') or subprocess.run([NGINX, '-v'], capture_output=True, text=True).stderr.strip()}; "
            f"curl: {' '.join(run('curl', '--version').split()[:2])}",
            f"- Load average at the end of the run: {' '.join(load)}",
            f"- Binaries: `{self.args.bin_dir}`",
        ]

    def table(self):
        out = ["| Measurement | Median | Min – max | Runs | Target | Met |", "|---|---:|---:|---:|---|---|"]
        for r in self.rows:
            fmt, v = r["fmt"], r["values"]
            med = fmt.format(statistics.median(v))
            spread = f"{fmt.format(min(v))} – {fmt.format(max(v))}" if len(v) > 1 else "—"
            met = "—" if r["met"] is None else ("met" if r["met"] else "**missed**")
            out.append(f"| {r['metric']} | {med} {r['unit']} | {spread} | {r['runs']} | {r['target'] or '—'} | {met} |")
        return "\n".join(out)

    def report(self, elapsed):
        mode = "tiny (smoke) mode: one run each, tiny sizes; targets not judged" if self.args.tiny else \
            f"full mode: {self.args.runs} runs each"
        if self.args.postgres_only:
            mode += ", PostgreSQL rows only (--postgres-only)"
        text = "\n".join([
            f"Last run: {time.strftime('%Y-%m-%d %H:%M %Z')}, {mode}, {elapsed:.0f} s in all.", "",
            *self.machine(), "", self.table(), "",
            *(f"- {n}" for n in self.notes),
        ]).rstrip() + "\n"
        print("\n" + text)
        target = self.args.write or (None if self.args.tiny or self.args.postgres_only else os.path.join(ROOT, "BENCHMARKS.md"))
        if target:
            block = f"{MARK_BEGIN}\n{text}{MARK_END}"
            old = open(target).read() if os.path.exists(target) else ""
            if MARK_BEGIN in old and MARK_END in old:
                new = old[:old.index(MARK_BEGIN)] + block + old[old.index(MARK_END) + len(MARK_END):]
            else:
                new = "# Benchmarks\n\nReproduce with `make bench`.\n\n" + block + "\n" + old
            with open(target, "w") as f:
                f.write(new)
            print(f"bench: wrote {target}")

    def run(self):
        started = time.monotonic()
        tiny, only = self.args.tiny, self.args.postgres_only
        runs = 1 if tiny else self.args.runs
        self.sizes = {
            "notify": ([2] if tiny else [100]) if only else [1, 2] if tiny else [1, 100, 1000],
            "recipients": 50 if tiny else 10_000,
            "audit": 1000 if tiny else 1_000_000,
            "takeover": 50 if tiny else 1000,
            "pg-notify": 2 if tiny else 100,  # compared with the SQLite figure of the same size
        }
        self.nginx = Nginx(self.work)
        print(f"bench: work folder {self.work}, receiver on 127.0.0.1:{self.nginx.port}", flush=True)
        if not only:
            print("bench: start to READY=1", flush=True)
            self.ready(runs)
        print("bench: capturing one webhook request", flush=True)
        body, headers = self.capture_webhook()
        if not only:
            print("bench: idle memory", flush=True)
            small = Daemon(self, "idle", [("c1", {"type": "webhook", "url": self.nginx.url("/hook/c1")})],
                           {"campus": ["c1"], "drill": ["c1"]})
            time.sleep(0.5)
            idle_small = small.memory()["VmRSS"]
            # And idle again after one send: curl, OpenSSL and the send path stay resident until a restart.
            small.approve()
            offset = self.nginx.offset()
            small.ctl("send", *TEMPLATE, "--yes", "--no-wait")
            self.nginx.receipts(offset, 1, 60)
            wait_for(lambda: small.attempts() >= 1, 60, "the attempt recorded", interval=0.01)
            time.sleep(0.5)
            idle_sent = small.memory()["VmRSS"]
            small.stop()
        print("bench: time to notify vs curl --parallel", flush=True)
        self.time_to_notify(self.sizes["notify"], runs, body, headers)
        if not tiny and not only:
            print("bench: peers (when installed)", flush=True)
            self.peers(100, runs)
        print("bench: per-recipient fan-out", flush=True)
        idle, peak = self.fan_out(self.sizes["recipients"], runs)
        if not only:
            self.memory(idle_small, idle_sent, idle, peak, self.sizes["recipients"])
        if not self.args.no_postgres:
            print("bench: PostgreSQL server", flush=True)
            self.pg = Postgres(self.work)
            self.postgres(runs)
            self.pg.stop()
            self.pg_notes()
        if not only:
            print("bench: audit verify", flush=True)
            self.audit_verify(self.sizes["audit"], runs)
        self.report(time.monotonic() - started)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default=os.environ.get("TOCSIN_BIN_DIR") or os.path.join(ROOT, ".build-release", "release"),
                        help="folder with tocsind and tocsinctl (default: $TOCSIN_BIN_DIR, else .build-release/release)")
    parser.add_argument("--tiny", action="store_true", help="one run each with tiny sizes, to keep the bench working")
    parser.add_argument("--runs", type=int, default=10, help="runs per measurement in full mode (default 10)")
    parser.add_argument("--write", help="write the table into this Markdown file (default: BENCHMARKS.md in full mode)")
    parser.add_argument("--audit-budget", type=float, default=60,
                        help="stop timing `audit verify` after this many seconds once 3 runs are done (default 60)")
    parser.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL measurements")
    parser.add_argument("--postgres-only", action="store_true",
                        help="only the PostgreSQL rows and the SQLite ones they are compared with (100 channels, fan-out); "
                             "writes no file unless --write")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (logs, databases) afterwards")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    bench = Bench(args)
    try:
        bench.run()
    finally:
        cleanup()
        if args.keep:
            print(f"bench: kept {bench.work}")
        else:
            shutil.rmtree(bench.work, ignore_errors=True)


if __name__ == "__main__":
    main()
