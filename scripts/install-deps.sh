#!/usr/bin/env bash
# Installs what building and testing Tocsin needs on Debian 12, and only what is missing.
# Swift itself is expected on PATH (the toolchain is not a Debian package).
set -euo pipefail

# libxml2-utils: xmllint, which the tests use to validate CAP alerts against the OASIS schema.
# nginx-light: the benchmark's receiver (`make bench`; the smoke test runs it once in tiny mode). curl: its floor.
apt_packages=(libcurl4-openssl-dev libsqlite3-dev sqlite3 python3 util-linux libxml2-utils nginx-light curl chromium systemd openssl)
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

# The reference Standard Webhooks verifier, used by the tests and the demo to check signatures.
if ! python3 -c "import standardwebhooks" 2>/dev/null; then
    echo "install-deps: installing the standardwebhooks verifier (PyPI)"
    python3 -m pip install -q "standardwebhooks==1.1.0" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "standardwebhooks==1.1.0" \
        || { apt-get install -y -qq python3-pip >/dev/null && python3 -m pip install -q --break-system-packages "standardwebhooks==1.1.0"; }
fi

# A real SMTP server for the e-mail tests (started by the tests on 127.0.0.1).
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
    echo "install-deps: installing the aiosmtpd SMTP server (PyPI)"
    python3 -m pip install -q "aiosmtpd==1.4.6" 2>/dev/null \
        || python3 -m pip install -q --break-system-packages "aiosmtpd==1.4.6" \
        || { apt-get install -y -qq python3-pip >/dev/null && python3 -m pip install -q --break-system-packages "aiosmtpd==1.4.6"; }
fi

command -v swift >/dev/null || { echo "install-deps: swift is not on PATH (Swift 6.2 or later is needed)" >&2; exit 1; }
