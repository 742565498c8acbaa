#!/usr/bin/env python3
"""Checks recorded webhook requests with the reference Standard Webhooks verifier (PyPI `standardwebhooks`).

Usage: verify_webhooks.py RECORD.jsonl SECRET|@SECRET_FILE [PATH]
(@file keeps the secret off command lines and terminals.)
Prints "verified N" and exits 0 when every request (to PATH, if given) verifies; exits 1 naming the first that does not.
"""
import json
import sys

from standardwebhooks.webhooks import Webhook

record, secret = sys.argv[1], sys.argv[2]
if secret.startswith("@"):
    secret = open(secret[1:]).read().strip()
path = sys.argv[3] if len(sys.argv) > 3 else None
hook = Webhook(secret)
count = 0
with open(record) as lines:
    for line in lines:
        entry = json.loads(line)
        if path and entry["path"] != path:
            continue
        headers = {k: v for k, v in entry["headers"].items() if k.startswith("webhook-")}
        try:
            # The verifier rejects timestamps older than 5 minutes; recordings are checked right away.
            hook.verify(entry["body"], headers)
        except Exception as error:  # noqa: BLE001 - report whatever the verifier says
            print(f"request {count + 1} to {entry['path']} does not verify: {error}")
            sys.exit(1)
        count += 1
print(f"verified {count}")
sys.exit(0 if count else 1)
