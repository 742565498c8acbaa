#!/usr/bin/env bash
# The two-minute tour: a throw-away tocsind with the college's real templates, a local receiver on 127.0.0.1
# standing in for the ops webhook and the hallway signage, a drill, a live evacuation notice, the signed
# requests as the receiver got them, and the audit chain verified. Stops everything it started.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${TOCSIN_BIN_DIR:-$root/.build/debug}
work=$(mktemp -d /tmp/tocsin-demo.XXXXXX)
receiver_pid="" daemon_pid=""

cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
    [ -n "$receiver_pid" ] && kill "$receiver_pid" 2>/dev/null || true
    echo
    echo "Demo stopped. Its state (database, logs, received requests) is in $work"
}
trap cleanup EXIT

bold() { printf '\n\033[1m%s\033[0m\n' "$*"; }
run() { printf '\n\033[1;34m$ %s\033[0m\n' "$*"; "$@"; }

# 1. A local receiver: the signage answers 503 once, to show a retry.
echo '{"/signage": [{"status": 503}, {"status": 200}]}' > "$work/plan.json"
python3 "$root/scripts/receiver.py" --port 0 --plan "$work/plan.json" --record "$work/received.jsonl" > "$work/receiver.out" 2>&1 &
receiver_pid=$!
for _ in $(seq 50); do grep -q LISTENING "$work/receiver.out" 2>/dev/null && break; sleep 0.1; done
port=$(awk '/LISTENING/ {print $2}' "$work/receiver.out")
[ -n "$port" ] || { echo "demo: the receiver did not start" >&2; exit 1; }

# 2. The embedded demo config: the example templates, two signed webhooks on the receiver.
mkdir -p "$work/templates" "$work/secrets"
cp "$root"/config/templates/*.yaml "$work/templates/"
printf 'whsec_%s\n' "$(head -c 32 /dev/urandom | base64)" > "$work/secrets/webhook"
chmod 600 "$work/secrets/webhook"
cat > "$work/tocsin.yaml" <<YAML
organization:
  name: Cégep de l'Exemple
  sender: alertes@cegep.example
  languages: [fr, en]
paths:
  state: state
  socket: state/admin.sock
  templates: templates
access:
  operators: [uid:$(id -u)]
  approvers: [uid:$(id -u)]
  auditors: [uid:$(id -u)]
delivery:
  timeout: 5s
  deadline: 2m
  retry: { initial: 300ms, max: 5s }
channels:
  ops-webhook:
    type: webhook
    url: http://127.0.0.1:$port/ops
    secret_file: secrets/webhook
  affichage:
    type: webhook
    url: http://127.0.0.1:$port/signage
    secret_file: secrets/webhook
routes:
  campus: [ops-webhook, affichage]
  drill: [ops-webhook]
YAML
export TOCSIN_SOCKET="$work/state/admin.sock"

bold "Tocsin demo — state in $work, receiver on 127.0.0.1:$port"
run "$bin/tocsind" --check-config --config "$work/tocsin.yaml"

"$bin/tocsind" --config "$work/tocsin.yaml" > "$work/tocsind.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do "$bin/tocsinctl" status >/dev/null 2>&1 && break; sleep 0.1; done
run "$bin/tocsinctl" status

run "$bin/tocsinctl" templates list
bold "A drill works before approval and is marked EXERCICE / EXERCISE:"
run "$bin/tocsinctl" drill evacuation --set building="Pavillon A" --yes
bold "A live send needs the template approved (exit 4 until then):"
run "$bin/tocsinctl" send evacuation --set building="Pavillon A" --yes || echo "(exit $?: refused, as it should be)"
run "$bin/tocsinctl" templates approve evacuation --yes
run "$bin/tocsinctl" send evacuation --set building="Pavillon A" --yes

bold "What the receiver got (every request signed per Standard Webhooks):"
python3 - "$work/received.jsonl" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    data = json.loads(r["body"])["data"]
    titles = " | ".join(m["title"] for m in data["messages"])
    print(f'  POST {r["path"]:<9} {r["headers"]["webhook-id"]}  {data["status"]:<8} {titles}')
PY
run python3 "$root/scripts/verify_webhooks.py" "$work/received.jsonl" "@$work/secrets/webhook"

run "$bin/tocsinctl" audit verify
run "$bin/tocsinctl" audit log --limit 8
