#!/usr/bin/env python3
"""Writes scripts/release/tocsin.order: what a daemon's start and idle run, then its sends, then `tocsinctl`.

    python3 scripts/release/order.py --bin-dir .build-release/x86_64-unknown-linux-gnu/release

`make release` and `make bench` link with it (lld's --symbol-ordering-file, every function in a section of its own):
the code that runs then sits together at the start of `.text` instead of being spread over the binary's 30 MB. The
kernel maps a file 64 KB around each page fault, so scattered code made an idle `tocsind` resident in ~19 MB of
`.text` to run ~3 MB of it (BENCHMARKS.md, "Idle RSS"). A function missing from the list is only placed after the
listed ones: a stale list costs memory, never correctness. Rerun after large changes to what start-up or a send runs.

The functions are those callgrind sees run (release binaries, `strip -g` copies, names left mangled):
- `tocsind`: start to READY=1, `tocsinctl status` and 2 s idle, the bench template approved, 3 sends to 100 webhook
  channels on nginx (127.0.0.1), each waited for until its attempts are recorded, 2 s idle (timers), SIGTERM;
- `tocsinctl send … --yes --no-wait`, `tocsinctl status` and `tocsinctl --help`.
`tocsind`'s start and idle come first (dumped apart), then what its sends add, then what `tocsinctl` adds, each
hottest first: an idle daemon touches one block of code, not send code between its functions. Needs valgrind,
nginx-light and curl.
"""
import argparse
import bisect
import collections
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "bench"))
import bench  # noqa: E402
import instructions  # noqa: E402

ORDER_FILE = os.path.join(HERE, "tocsin.order")


def functions(binary):
    """(address, size, name) of every function symbol of `binary`, by address."""
    table = subprocess.run(["readelf", "-sW", binary], capture_output=True, text=True, check=True).stdout
    found = set()
    for line in table.splitlines():
        fields = line.split()
        if len(fields) >= 8 and fields[3] == "FUNC" and fields[6] != "UND":
            found.add((int(fields[1], 16), int(fields[2]), fields[7].split("@")[0]))
    return sorted(found)


def executed(path, binary):
    """The functions of `binary` whose instructions ran, by the instructions they ran, most first.

    Read from callgrind's instruction addresses (--dump-instr=yes), each given to the function symbol that covers
    it: callgrind's own names are not always the symbol lld orders by (it names code merged by LLVM after one of
    its symbols). Code outside every symbol (LLVM's private functions, `.L…`) cannot be ordered by name (the release
    link gathers it instead: private-text.ld) and is left out rather than given to a neighbour, which would move the
    neighbour for nothing and make each regeneration depend on the last layout."""
    symbols = functions(binary)
    starts = [address for address, _, _ in symbols]
    by_name = {name: address for address, _, name in symbols}
    names, objects = {}, {}
    runs = collections.defaultdict(collections.Counter)  # function name as callgrind gives it → address → count
    function, obj, calling, address = None, None, False, 0

    def lookup(table, text):
        match = re.match(r"\((\d+)\)(?: (.*))?$", text)
        if not match:
            return text
        if match.group(2):
            table[match.group(1)] = match.group(2)
        return table.get(match.group(1))

    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            obj = lookup(objects, line[3:].strip())
        elif line.startswith("cob="):
            lookup(objects, line[4:].strip())
        elif line.startswith("fn="):
            function, calling = lookup(names, line[3:].strip()), False
        elif line.startswith("cfn="):
            lookup(names, line[4:].strip())
        elif line.startswith("calls="):
            calling = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            fields = line.split()
            position, here = fields[0], address
            if position.startswith("0x"):
                here = int(position, 16)
            elif position[:1] in "+-":
                here = address + int(position)
            if calling:
                # A call's own line: its position is not the base of the next relative one (callgrind's writer).
                calling = False
                cost = 1
            else:
                address, cost = here, int(fields[-1]) if len(fields) > 2 else 1
            if function and obj and obj.endswith("/" + os.path.basename(binary)):
                runs[function][here] += cost
    # Where valgrind loaded the binary: the most common distance between a function's lowest address run and the
    # symbol of that name.
    offsets = collections.Counter(min(addresses) - by_name[name] for name, addresses in runs.items() if name in by_name)
    if not offsets:
        raise SystemExit(f"order: no function of {binary} found in {path}")
    base = offsets.most_common(1)[0][0]
    cost = collections.Counter()
    for addresses in runs.values():
        for address, count in addresses.items():
            index = bisect.bisect_right(starts, address - base) - 1
            if index >= 0 and address - base < symbols[index][0] + max(symbols[index][1], 1):
                cost[symbols[index][2]] += count
    return [name for name, _ in cost.most_common()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", required=True)
    parser.add_argument("--output", default=ORDER_FILE)
    args = parser.parse_args()
    # Mangled names are what the linker matches; valgrind would demangle the C++ ones (the Swift runtime's).
    os.environ["VALGRIND_OPTS"] = "--demangle=no --dump-instr=yes"
    work, tocsind, tocsinctl, nginx = instructions.set_up(args.bin_dir, "order")
    try:
        channels = 100
        run = instructions.Run(work, tocsind, tocsinctl, nginx, channels, "order")
        run.start(whole_names=True)
        # Start-up and idle are dumped apart: their functions come first, so an idle daemon's code is one block.
        # Idle includes a `status` request, as monitoring asks one now and then (and the bench before measuring).
        run.daemon.ctl("status")
        time.sleep(2)
        subprocess.run(["callgrind_control", "--dump=idle", str(run.daemon.proc.pid)], capture_output=True, check=True)
        run.daemon.approve()
        for number in range(3):
            result = instructions.send(run.daemon)
            if result.returncode != 0:
                raise SystemExit(f"order: send failed: {result.stdout}{result.stderr}\n{run.daemon.log()}")
            bench.wait_for(lambda: run.daemon.attempts() >= (number + 1) * channels, 600, "attempts recorded",
                           interval=0.05)
        time.sleep(2)
        client = [instructions.VALGRIND, "--tool=callgrind", "--compress-strings=no", "--dump-instr=yes"]
        outs = []
        for name, command in (("send", ["send", *bench.TEMPLATE, "--yes", "--no-wait"]), ("status", ["status"]),
                              ("help", ["--help"])):
            outs.append(os.path.join(work, f"callgrind.tocsinctl.{name}"))
            subprocess.run([*client, f"--callgrind-out-file={outs[-1]}", tocsinctl, *command], capture_output=True,
                           check=True, timeout=600, env={**os.environ, "TOCSIN_SOCKET": run.daemon.socket})
        bench.wait_for(lambda: run.daemon.attempts() >= 4 * channels, 600, "attempts recorded", interval=0.05)
        run.stop()
        # The dump at idle is `callgrind.out.1`; the rest, written at exit, keeps the plain name.
        order = executed(run.out + ".1", tocsind)
        idle = set(order)
        order += [name for name in executed(run.out, tocsind) if name not in idle]
        listed = set(order)
        client_costs = collections.Counter()
        for out in outs:
            for rank, name in enumerate(executed(out, tocsinctl)):
                client_costs[name] += 1_000_000 - rank
        order += [name for name, _ in client_costs.most_common() if name not in listed]
        with open(args.output, "w") as file:
            file.write("\n".join(order) + "\n")
        print(f"order: {len(listed)} functions of tocsind, {len(order) - len(listed)} more of tocsinctl → {args.output}")
    finally:
        bench.cleanup()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
