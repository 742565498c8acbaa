#!/usr/bin/env bash
# Runs a test command with a mark in its environment, which every process it starts inherits, then ends whatever
# still carries the mark. A test process that crashes or is killed leaves its daemons running (each in a process
# group of its own, as the tests start them), retrying deliveries to loopback ports that a later run's receivers
# may hold; a child still running after a normal end is a test that did not stop it, and is named here.
#   scripts/run-tests.sh swift test --skip-build
set -uo pipefail
mark="tocsin-test-run-$$-$(date +%s%N)"
TOCSIN_TEST_RUN="$mark" "$@"
status=$?
for environ in /proc/[0-9]*/environ; do
    pid=${environ#/proc/}
    pid=${pid%/environ}
    [ "$pid" = "$$" ] && continue
    if tr '\0' '\n' 2>/dev/null < "$environ" | grep -qxF "TOCSIN_TEST_RUN=$mark"; then
        command=$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | cut -c1-120)
        kill -KILL "$pid" 2>/dev/null && echo "run-tests: ended pid $pid, left running by the tests: $command" >&2
    fi
done
exit "$status"
