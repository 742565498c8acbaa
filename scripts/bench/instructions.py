#!/usr/bin/env python3
"""Instruction counts of one send, with valgrind's callgrind: stable where timings are not (a shared, loaded machine).

    python3 scripts/bench/instructions.py --bin-dir .build-release/x86_64-unknown-linux-gnu/release
    python3 scripts/bench/instructions.py --bin-dir … --channels 1000 --sends 3 --top 30

Measures, on release binaries (each run on a `strip -g` copy: valgrind 3.19 cannot read Swift 6.3's DWARF):
- `tocsind`, per send of the bench's template to N webhook channels (nginx on 127.0.0.1 as the receiver): the daemon
  runs under callgrind twice on fresh state folders, once with K sends and once with none for the same wall time;
  (total with K sends − total with none) / K. Each send waits until its N attempts are in the `attempt` table, so
  the recording of every outcome is counted. The daemon is stopped with SIGTERM, so callgrind writes its totals.
- `tocsinctl send … --yes --no-wait` (one process, against a daemon not under valgrind), and `tocsinctl --help`.
- One `curl --parallel` process sending the same N requests (same body and headers), for scale.

With --top, also prints the largest self costs of the daemon's K-send run (callgrind_annotate). Everything listens
on 127.0.0.1 only and lives in one temp folder; every process started here is stopped on exit. Needs valgrind,
nginx-light and curl.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the receiver, the daemon set-up and the process bookkeeping are the benchmark's)

VALGRIND = shutil.which("valgrind")


def stripped_copy(binary, folder):
    copy = os.path.join(folder, os.path.basename(binary))
    shutil.copy2(binary, copy)
    subprocess.run(["strip", "-g", copy], check=True)
    return copy


def set_up(bin_dir, prefix):
    """Signals handled, a temp folder, `strip -g` copies of tocsind and tocsinctl in it, nginx on 127.0.0.1."""
    if not VALGRIND:
        raise SystemExit(f"{prefix}: valgrind is missing: apt-get install -y valgrind")
    signal.signal(signal.SIGTERM, bench.on_signal)
    signal.signal(signal.SIGINT, bench.on_signal)
    work = tempfile.mkdtemp(prefix=f"tocsin-{prefix}.")
    try:
        binaries = os.path.join(work, "bin")
        os.makedirs(binaries)
        tocsind = stripped_copy(os.path.join(bin_dir, "tocsind"), binaries)
        tocsinctl = stripped_copy(os.path.join(bin_dir, "tocsinctl"), binaries)
        return work, tocsind, tocsinctl, bench.Nginx(work)
    except BaseException:
        bench.cleanup()
        shutil.rmtree(work, ignore_errors=True)
        raise


def callgrind_total(path):
    for line in open(path, errors="replace"):
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise SystemExit(f"instructions: no totals in {path}")


class Run:
    """The bench's Daemon, spawned under callgrind; ready when it sends READY=1 (no admin request is counted)."""

    def __init__(self, work, tocsind, tocsinctl, nginx, channels, name):
        self.holder = type("B", (), {"work": work, "tocsind": tocsind, "tocsinctl": tocsinctl})()
        names = [f"c{i}" for i in range(1, channels + 1)]
        self.daemon = bench.Daemon(self.holder, name, [(c, {"type": "webhook", "url": nginx.url(f"/hook/{c}")}) for c in names],
                                   {"campus": names, "drill": names[:1]}, start=False)
        self.out = os.path.join(self.daemon.dir, "callgrind.out")

    def start(self, traced=True, whole_names=False):
        d = self.daemon
        notify = os.path.join(d.dir, "notify.sock")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(notify)
        listener.settimeout(300)
        command = [d.bench.tocsind, "--config", d.config]
        if traced:
            # After `callgrind_control --zero`, a compressed file refers to names by numbers defined before the zero,
            # which it never writes: callgrind_annotate then shows one anonymous function. Whole names avoid that.
            names = ["--compress-strings=no"] if whole_names else []
            command = [VALGRIND, "--tool=callgrind", *names, f"--callgrind-out-file={self.out}", *command]
        log = open(os.path.join(d.dir, "tocsind.log"), "ab")
        d.proc = bench.spawn(command, stdout=log, stderr=subprocess.STDOUT,
                             env={**os.environ, "NOTIFY_SOCKET": notify})
        try:
            while "READY=1" not in listener.recv(4096).decode(errors="replace").split("\n"):
                pass
        except socket.timeout:
            raise SystemExit(f"instructions: tocsind did not send READY=1:\n{d.log()}")
        finally:
            listener.close()

    def stop(self):
        bench.stop(self.daemon.proc, signal.SIGTERM)
        if self.daemon.proc.returncode not in (0, -signal.SIGTERM):
            raise SystemExit(f"instructions: tocsind exited {self.daemon.proc.returncode}:\n{self.daemon.log()}")


def send(daemon, tocsinctl_prefix=()):
    return subprocess.run([*tocsinctl_prefix, daemon.bench.tocsinctl, "send", *bench.TEMPLATE, "--yes", "--no-wait"],
                          capture_output=True, text=True, env={**os.environ, "TOCSIN_SOCKET": daemon.socket}, timeout=600)


def daemon_per_send(work, tocsind, tocsinctl, nginx, channels, sends, sends_only=False):
    """(total with `sends` sends − total with none, same wall time) / sends, and the K-send run's callgrind file.

    With `sends_only`, the K-send run's counters are zeroed once the daemon is up and the template approved, so its
    callgrind file holds the sends alone (and the loop's idle turns meanwhile): start-up no longer hides what a send
    costs in `--top`."""
    busy = Run(work, tocsind, tocsinctl, nginx, channels, "busy")
    busy.start(whole_names=sends_only)
    busy.daemon.approve()
    if sends_only:
        subprocess.run(["callgrind_control", "--zero", str(busy.daemon.proc.pid)], capture_output=True, check=True)
    t0 = time.monotonic()
    for run in range(sends):
        result = send(busy.daemon)
        if result.returncode != 0:
            raise SystemExit(f"instructions: send failed: {result.stdout}{result.stderr}\n{busy.daemon.log()}")
        bench.wait_for(lambda: busy.daemon.attempts() >= (run + 1) * channels, 600, "attempts recorded", interval=0.05)
    elapsed = time.monotonic() - t0
    busy.stop()
    if sends_only:
        return callgrind_total(busy.out) / sends, callgrind_total(busy.out), 0, busy.out
    idle = Run(work, tocsind, tocsinctl, nginx, channels, "idle")
    idle.start()
    idle.daemon.approve()
    time.sleep(elapsed)  # the loop's idle turns and timers, as many as in the busy run
    idle.stop()
    with_sends, without = callgrind_total(busy.out), callgrind_total(idle.out)
    return (with_sends - without) / sends, with_sends, without, busy.out


def client_cost(work, tocsind, tocsinctl, nginx, channels):
    run = Run(work, tocsind, tocsinctl, nginx, channels, "client")
    run.start(traced=False)
    run.daemon.approve()
    send(run.daemon)  # warm: the first send of a daemon builds its caches
    out = os.path.join(work, "callgrind.tocsinctl.send")
    result = send(run.daemon, (VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out}"))
    if result.returncode != 0:
        raise SystemExit(f"instructions: traced send failed: {result.stdout}{result.stderr}")
    printed = result.stdout.strip()
    help_out = os.path.join(work, "callgrind.tocsinctl.help")
    subprocess.run([VALGRIND, "--tool=callgrind", f"--callgrind-out-file={help_out}", tocsinctl, "--help"],
                   capture_output=True, check=True)
    bench.wait_for(lambda: run.daemon.attempts() >= 2 * channels, 120, "attempts recorded", interval=0.05)
    run.stop()
    return callgrind_total(out), callgrind_total(help_out), printed


def curl_cost(work, tocsind, tocsinctl, nginx, channels):
    holder = type("B", (), {"work": work, "tocsind": tocsind, "tocsinctl": tocsinctl, "nginx": nginx})()
    body, headers = bench.Bench.capture_webhook(holder)
    config = bench.Bench.curl_config(holder, channels, body, headers, "instr")
    out = os.path.join(work, "callgrind.curl")
    offset = nginx.offset()
    subprocess.run([VALGRIND, "--tool=callgrind", f"--callgrind-out-file={out}", "curl", "--silent", "--show-error",
                    "--parallel", "--parallel-max", "100", "--parallel-immediate", "--config", config],
                   capture_output=True, check=True)
    nginx.receipts(offset, channels, 120)
    return callgrind_total(out)


def self_costs(path):
    """Instructions per function, its own only (what callgrind_annotate --inclusive=no gives), read directly: on a
    file whose counters were zeroed, callgrind_annotate 3.19 puts every cost on `clone`."""
    names, costs = {}, {}
    function, calling = None, False
    for line in open(path, errors="replace"):
        if line.startswith("fn="):
            match = re.match(r"\((\d+)\)(?: (.*))?", line[3:].strip())
            if match:
                names.setdefault(match.group(1), match.group(2))
                function = names[match.group(1)] or match.group(1)
            else:
                function = line[3:].strip()
            calling = False
        elif line.startswith("cfn="):
            match = re.match(r"\((\d+)\) (.*)", line[4:].strip())
            if match:
                names.setdefault(match.group(1), match.group(2))
        elif line.startswith("calls="):
            calling = True  # the next cost line is the callee's, not this function's
        elif line[:1].isdigit() or line[:1] in "+-*":
            fields = line.split()
            if calling:
                calling = False
            elif len(fields) > 1 and function:
                costs[function] = costs.get(function, 0) + int(fields[1])
    return costs


def top(path, count, inclusive=False, zeroed=False):
    if zeroed and not inclusive:
        costs = self_costs(path)
        total = sum(costs.values()) or 1
        ranked = sorted(costs.items(), key=lambda item: -item[1])[:count]
        return [f"{cost:>15,} ({100 * cost / total:5.2f}%)  {name}" for name, cost in ranked]
    result = subprocess.run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", path],
                            capture_output=True, text=True)
    lines = [l for l in result.stdout.splitlines() if re.match(r"^\s*[\d,]+ \(", l)]
    return lines[:count]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default=os.environ.get("TOCSIN_BIN_DIR") or os.path.join(bench.ROOT, ".build-release", "release"))
    parser.add_argument("--channels", type=int, default=100, help="webhook channels per send (default 100)")
    parser.add_argument("--sends", type=int, default=10, help="sends in the daemon's measured run (default 10)")
    parser.add_argument("--top", type=int, default=0, help="print the daemon's N largest self costs")
    parser.add_argument("--inclusive", action="store_true", help="with --top: inclusive costs (callers included)")
    parser.add_argument("--sends-only", action="store_true",
                        help="with --top: zero the counters after start-up, so the costs listed are the sends' alone")
    parser.add_argument("--no-client", action="store_true", help="skip tocsinctl and curl")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (callgrind files, logs)")
    args = parser.parse_args()
    work, tocsind, tocsinctl, nginx = set_up(args.bin_dir, "instructions")
    try:
        print(f"instructions: {args.bin_dir}, {args.channels} channels, {args.sends} sends; receiver 127.0.0.1:{nginx.port}",
              flush=True)
        per_send, with_sends, without, busy_out = daemon_per_send(work, tocsind, tocsinctl, nginx, args.channels, args.sends,
                                                                 sends_only=args.sends_only)
        if args.sends_only:
            # The busy run's total no longer includes start-up: it is the sends (and the idle turns meanwhile).
            print(f"tocsind per {args.channels}-channel send: {with_sends / args.sends / 1e6:.1f} M instructions "
                  f"({with_sends / 1e6:.1f} M over {args.sends} sends, counted from after start-up)", flush=True)
        else:
            print(f"tocsind per {args.channels}-channel send: {per_send / 1e6:.1f} M instructions "
                  f"({with_sends / 1e6:.1f} M with {args.sends} sends − {without / 1e6:.1f} M with none)", flush=True)
        if args.top:
            what = "the sends alone" if args.sends_only else "start-up included"
            print(f"tocsind, largest {'inclusive' if args.inclusive else 'self'} costs over the {args.sends}-send run ({what}):")
            for line in top(busy_out, args.top, args.inclusive, zeroed=args.sends_only):
                print("   " + line)
        if not args.no_client:
            send_cost, help_cost, printed = client_cost(work, tocsind, tocsinctl, nginx, args.channels)
            print(f"tocsinctl send --no-wait ({args.channels} channels): {send_cost / 1e6:.1f} M instructions; "
                  f"tocsinctl --help: {help_cost / 1e6:.1f} M", flush=True)
            print(f"  it printed: {printed}")
            print(f"curl --parallel, the same {args.channels} requests: {curl_cost(work, tocsind, tocsinctl, nginx, args.channels) / 1e6:.1f} M instructions")
    finally:
        bench.cleanup()
        if args.keep:
            print(f"instructions: kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
