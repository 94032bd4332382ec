#!/usr/bin/env bash
# Every check and test of the project, in the order a failure is cheapest to find.
# CI runs exactly this (.ci/run). Needs only the Rust toolchain (cargo, rustfmt, clippy).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --all-targets --locked -- -D warnings

step "cargo test"
cargo test --locked
