#!/usr/bin/env bash
# What the SCIM log costs: two servers on the same build and the same data, one with the SCIM
# log on and one with `serve --no-scim-log`, measured turn about (on, off, on, off, …) for each
# workload of scripts/bench-server.sh, so that drifts in this machine's speed fall on both
# alike. Prints, per workload, the median req/s of each side, the cost of the log, and the
# server's CPU time per request (user + system, from /proc) of each side: the steadier number
# on a machine that wrk shares with the server.
#
# Usage: scripts/bench-log.sh [seconds per turn, default 8] [turns per side, default 3]
# USERS (default 20000) users are loaded into each server first. Needs wrk and python3.
# ONLY=REGEX runs only the workloads whose script name matches (ONLY=get for get.lua).
# To compare two builds instead, OFF_BIN=PATH runs the "off" side on another binary and
# OFF_FLAGS (default --no-scim-log) sets its serve flags: OFF_BIN=/tmp/old OFF_FLAGS= compares
# the log's cost in two builds directly.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-8}"
turns="${2:-3}"
users="${USERS:-20000}"
members=$((users / 2))
connections=16
threads=2

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || {
    echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --locked --bin scim-workbench
bin=target/release/scim-workbench
work=$(mktemp -d)
servers=()
trap 'kill "${servers[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
export BENCH_DIR="$PWD/scripts/bench" THREADS="$threads"
setup() { python3 scripts/bench/setup.py "$@"; }

# side port [serve flags…]: starts a server, loads the users, prepares the groups.
start() {
    local side=$1 port=$2; shift 2
    local dir="$work/$side"
    mkdir -p "$dir"
    local bin=$bin
    [ "$side" = off ] && bin=${OFF_BIN:-$bin}
    "$bin" provider create --db "$dir/bench.db" --name bench --kind okta |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$dir/token"
    "$bin" serve --db "$dir/bench.db" --scim-addr "127.0.0.1:$port" --admin-addr 127.0.0.1:0 "$@" \
        >"$dir/serve.log" 2>&1 &
    servers+=($!)
    echo $! >"$dir/pid"
    until grep -q "SCIM base URL" "$dir/serve.log" 2>/dev/null; do sleep 0.1; done
    local token base="http://127.0.0.1:$port/api/scim"
    token=$(cat "$dir/token")
    echo "$side: loading $users users..." >&2
    SCIM_TOKEN=$token RUN_PREFIX=load LIMIT="$users" wrk -t"$threads" -c"$connections" -d3600s \
        -s scripts/bench/create.lua "http://127.0.0.1:$port" >"$dir/load.log" &
    local loader=$!
    until [ "$(setup count "$base" "$token" "/Users?count=0")" -ge "$users" ]; do
        kill -0 "$loader" 2>/dev/null || { echo "the load generator stopped early" >&2; exit 1; }
        sleep 1
    done
    kill -INT "$loader"; wait "$loader" || true
    awk -F= '/^MEASURED_SECONDS=/ {print $2}' "$dir/load.log" >"$dir/load_seconds"
    setup ids "$base" "$token" "$dir"
    tail -n +$((members + 1)) "$dir/ids.txt" >"$dir/outsiders.txt"
    setup group "$base" "$token" bench-big >"$dir/big"
    setup group "$base" "$token" bench-empty >"$dir/empty"
    setup fill "$base" "$token" "$(cat "$dir/big")" "$dir/ids.txt" "$members" >/dev/null
}
start on 18981
# shellcheck disable=SC2086 # OFF_FLAGS is a list of flags
start off 18982 ${OFF_FLAGS---no-scim-log}

# CPU seconds (user + system) the server has used so far, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$(cat "$work/$1/pid")/stat"; }

# label script [env…]: the turns of one workload; prints one table row.
measure() {
    local label=$1 script=$2; shift 2
    [[ "$script" =~ ${ONLY:-.} ]] || return 0
    local results="$work/results"
    : >"$results"
    for turn in $(seq "$turns"); do
        for side in on off; do
            local port=18981 dir="$work/$side"
            [ "$side" = off ] && port=18982
            sleep 2 # let the previous turn's log batches and checkpoints settle
            local before after rps
            before=$(ticks "$side")
            rps=$(env SCIM_TOKEN="$(cat "$dir/token")" IDS_FILE="$dir/ids.txt" NAMES_FILE="$dir/names.txt" \
                TOTAL="$users" RUN_PREFIX="t$turn$side$script" GROUP_ID="$(cat "$dir/$GROUP")" \
                MEMBERS_FILE="$dir/outsiders.txt" "$@" \
                wrk -t"$threads" -c"$connections" -d"${duration}s" -s "scripts/bench/$script" \
                "http://127.0.0.1:$port" | awk -F= '/^MEASURED_RPS=/ {print $2}')
            after=$(ticks "$side")
            echo "$side $rps $((after - before))" >>"$results"
        done
    done
    python3 - "$label" "$results" "$duration" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
label, path, duration, hz = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
rps, cpu = {"on": [], "off": []}, {"on": [], "off": []}
for line in open(path):
    side, r, t = line.split()
    rps[side].append(int(r))
    cpu[side].append(int(t) / hz * 1e6 / (int(r) * duration))
on, off = statistics.median(rps["on"]), statistics.median(rps["off"])
con, coff = statistics.median(cpu["on"]), statistics.median(cpu["off"])
print(f"| {label} | {on:,.0f} | {off:,.0f} | {100 * (off - on) / off:.1f}% | {con:.0f} µs | {coff:.0f} µs |")
PY
}

echo
echo "Loaded $users users through POST /Users: log on in $(cat "$work/on/load_seconds") s," \
     "log off in $(cat "$work/off/load_seconds") s (one after the other, not turn about)."
echo
echo "| workload ($connections connections, $turns turns of ${duration} s per side) | log on req/s | log off req/s | cost of the log | CPU per request, on | off |"
echo "|---|---|---|---|---|---|"
GROUP=empty
measure "get by id" get.lua
measure "userName eq filter" filter.lua
measure "list page of 100 at a random startIndex" list.lua
measure "create user (POST /Users)" create.lua
measure "PATCH active" patch_active.lua
measure "PATCH add one member, group starting empty" member_add.lua
GROUP=big measure "PATCH add one member, group of $members" member_add.lua
