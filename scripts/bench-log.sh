#!/usr/bin/env bash
# What the SCIM log costs: scripts/bench-server.sh with the log on, then off, on the same
# build and machine, one after the other; prints both tables side by side for BENCHMARKS.md.
#
# Usage: scripts/bench-log.sh [seconds per workload, default 10]   (USERS defaults to 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
export USERS="${USERS:-20000}"
on=$(mktemp); off=$(mktemp)
trap 'rm -f "$on" "$off"' EXIT
echo "SCIM log on..." >&2
SCIM_LOG=on scripts/bench-server.sh "$duration" >"$on"
echo "SCIM log off..." >&2
SCIM_LOG=off scripts/bench-server.sh "$duration" >"$off"
python3 - "$on" "$off" <<'PY'
import re, sys

def rows(path):
    text = open(path).read()
    loaded = re.search(r"Loaded (\d+) users in ([\d.]+) s \((\d+) users/s\)", text)
    table = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[1].isdigit():
            table[cells[0]] = int(cells[1])
    return int(loaded.group(3)), table

load_on, on = rows(sys.argv[1])
load_off, off = rows(sys.argv[2])
print("| workload | log on req/s | log off req/s | cost of the log |")
print("|---|---|---|---|")
def row(name, a, b):
    print(f"| {name} | {a:,} | {b:,} | {100 * (b - a) / b:.1f}% |")
row("load through POST /Users", load_on, load_off)
for name, value in on.items():
    if name in off:
        row(name, value, off[name])
PY
