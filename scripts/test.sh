#!/usr/bin/env bash
# Every check and test of the project, in the order a failure is cheapest to find.
# CI runs exactly this (.ci/run). Needs the Rust toolchain (cargo, rustfmt, clippy) and, for the
# conformance step, Python 3 with venv: run as root and it installs them (Debian: apt-get);
# otherwise install python3 and python3-venv first.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

# Python 3 with a working venv module, installed from Debian's packages when missing and root.
need_python_venv() {
    if python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then return; fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing python3 and python3-venv (Debian packages) for the conformance checker"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    else
        echo "the conformance step needs Python 3 with venv: install python3 and python3-venv" >&2
        exit 1
    fi
}

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test (unit, property, HTTP, IdP fixtures, CLI)"
cargo test --locked

step "scim2-tester 0.5.2 against the real binary (zero errors required)"
cargo build --locked --bin scim-workbench
need_python_venv
venv=target/conformance-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check 'scim2-tester[httpx2]==0.5.2'
"$venv/bin/python" tests/conformance/run_scim2_tester.py target/debug/scim-workbench
