#!/usr/bin/env bash
# Installs what building and testing Tocsin needs on Debian 12, and only what is missing.
# Swift itself is expected on PATH (the toolchain is not a Debian package).
set -euo pipefail

# libxml2-utils: xmllint, which the tests use to validate CAP alerts against the OASIS schema.
# nginx-light: the benchmark's receiver (`make bench`; the smoke test runs it once in tiny mode). curl: its floor.
# python3-jsonschema: validates webhook bodies against docs/webhook-payload.schema.json (draft 2020-12: 4.0 or later;
# Debian 12 has 4.10). nodejs: runs the Node.js recipe of docs/verifying-webhooks.md (built-in crypto only).
# man-db: `man --warnings -l`, which the tests lint the generated man pages with (groff-base comes with it).
# chromium-driver: chromedriver, through which Selenium drives the headless Chromium that measures the HTML report.
# postgresql: the server binaries (/usr/lib/postgresql/15/bin: initdb, postgres, pg_ctl) the PostgreSQL store's tests
# start their own throwaway servers with (TocsinTestSupport/PostgresServer.swift); Debian's cluster is not used.
# libxmlsec1-dev: XML Signature of CAP alerts (Sources/CXMLSec; it brings libxmlsec1-openssl, what tocsind needs at run
# time). xmlsec1: the command-line verifier the tests check signed alerts with, independently of Tocsin's signer.
# qrencode: `tocsinctl web-users add` prints the TOTP enrolment as a QR code in the terminal when it is installed
# (WebUserTests checks the code is there).
apt_packages=(libcurl4-openssl-dev libsqlite3-dev sqlite3 python3 python3-jsonschema nodejs util-linux libxml2-utils nginx-light curl chromium chromium-driver systemd openssl man-db postgresql libxmlsec1-dev libxmlsec1-openssl xmlsec1 qrencode)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "install-deps: installing ${missing[*]}"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# prometheus: promtool, which the tests lint the metrics file and endpoint (`check metrics`) and the shipped alert rules
# (`check rules`, `test rules`) with. Debian packages promtool only inside the server's package; without recommends,
# so node_exporter is not pulled in with it.
if ! command -v promtool >/dev/null; then
    echo "install-deps: installing prometheus (for promtool)"
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi

# pip_need CHECK SPEC WHAT: installs SPEC from PyPI unless `python3 -c CHECK` already works. Versions are pinned.
# Tries a plain install, then one allowed into Debian's system Python, then installs pip itself first.
pip_need() {
    python3 -c "$1" 2>/dev/null && return 0
    echo "install-deps: installing $3 (PyPI: $2)"
    python3 -m pip install -q "$2" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "$2" \
        || { apt-get install -y -qq python3-pip >/dev/null && python3 -m pip install -q --break-system-packages "$2"; }
}

# The reference Standard Webhooks verifier, used by the tests and the demo to check signatures.
pip_need "import standardwebhooks" "standardwebhooks==1.1.0" "the standardwebhooks verifier"
# The JSON Schema validator must know draft 2020-12. A python3 that is not Debian's (pyenv, a venv) does not see
# python3-jsonschema: give it the same validator from PyPI.
pip_need "from jsonschema import Draft202012Validator" "jsonschema==4.26.0" "the jsonschema validator"
# A real SMTP server for the e-mail tests (started by the tests on 127.0.0.1).
pip_need "import aiosmtpd" "aiosmtpd==1.4.6" "the aiosmtpd SMTP server"
# Independent references the SMS and X length tests compare with: a GSM 03.38 codec (septets) and X's own
# twitter-text configuration (weighted length).
pip_need "import gsm0338" "gsm0338==1.1.0" "the GSM 03.38 codec"
pip_need "from twitter_text import parse_tweet" "twitter-text-parser==3.0.0" "the twitter-text parser"
# The Prometheus project's own text-format parser, which the tests read the metrics file and endpoint with.
pip_need "import prometheus_client" "prometheus_client==0.26.0" "the prometheus_client parser"
# Selenium drives Chromium (through Debian's chromedriver, never a downloaded one) to measure the HTML report at a
# desktop and a phone width (scripts/html-layout-check.py). 4.51.0: the newest whose dependencies resolve here.
pip_need "import selenium" "selenium==4.51.0" "the Selenium WebDriver client"
# TOTP codes as an authenticator app computes them, independently of Tocsin's own, for the web console's browser
# tests (scripts/web-console-check.py).
pip_need "import pyotp" "pyotp==2.9.0" "the pyotp TOTP generator"
# The WMO's CAP validator (schema, then the XML Signature, strict) and the Atom parser that reads the CAP feed: the
# outside checks of signed CAP alerts (Tests/TocsinIntegrationTests/SignedCAPTests.swift).
pip_need "import capvalidator" "capvalidator==0.1.0.dev4" "the capvalidator CAP validator"
pip_need "import feedparser" "feedparser==6.0.14" "the feedparser Atom parser"

command -v swift >/dev/null || { echo "install-deps: swift is not on PATH (Swift 6.2 or later is needed)" >&2; exit 1; }
