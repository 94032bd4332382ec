#!/usr/bin/env bash
# What the SCIM log costs: one workspace, served turn about by `serve` (log on) and by
# `serve --no-scim-log` (log off), restarted for every run, so that the two sides differ in
# nothing but the flag: not in their data, its layout on disk, or the luck of one process's
# start (two servers started alike differ by up to 8% here, which a single pair of servers
# would count as the log's cost). Each turn pairs one "on" run with one "off" run, in the
# order on-off, then off-on, and so on, so that a drift of this machine's speed falls on both
# sides alike; the cost of the log is the median over the turns of each pair's difference.
# Per side it also prints the median req/s and the server's CPU time per request (user +
# system, from /proc).
#
# Single turns differ a lot here whatever the flag: one build against itself (OFF_BIN, below)
# gave turns from -48% to +29% and a median of 5.6%. Hence the default of many short turns, and
# the range printed beside the median.
#
# Usage: scripts/bench-log.sh [seconds per run, default 4] [turns, default 16]
# USERS (default 20000) users are loaded first. Every run starts with WARM (default 2) seconds
# of gets to fill the server's caches, not measured. Needs wrk and python3.
# ONLY=REGEX runs only the workloads whose script name matches (ONLY=get for get.lua).
# To compare two builds instead, OFF_BIN=PATH runs the "off" side on another binary (one that
# opens this build's workspace) and OFF_FLAGS (default --no-scim-log) sets its serve flags:
# OFF_BIN=/tmp/old OFF_FLAGS= compares the log's cost in two builds directly.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-4}"
turns="${2:-16}"
users="${USERS:-20000}"
warm="${WARM:-2}"
members=$((users / 2))
connections=16
threads=2
port=18981
base="http://127.0.0.1:$port/api/scim"

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || {
    echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --locked --bin scim-workbench
bin=target/release/scim-workbench
work=$(mktemp -d)
source scripts/bench/server.sh
trap 'stop; rm -rf "$work"' EXIT
export BENCH_DIR="$PWD/scripts/bench" THREADS="$threads"

# start on|off: serves the workspace with the log on or off.
start() {
    local run=$bin flags=(--no-scim-log)
    if [ "$1" = on ]; then
        flags=()
    else
        run=${OFF_BIN:-$bin}
        read -ra flags <<<"${OFF_FLAGS---no-scim-log}"
    fi
    serve "$run" -- "${flags[@]}"
}

# run_wrk script seconds [env…]: runs one workload against the server; prints its req/s, how
# many answers it had and how many of them were 2xx.
run_wrk() {
    local script=$1 seconds=$2; shift 2
    env SCIM_TOKEN="$token" IDS_FILE="$work/ids.txt" NAMES_FILE="$work/names.txt" TOTAL="$users" "$@" \
        wrk -t"$threads" -c"$connections" -d"${seconds}s" -s "scripts/bench/$script" \
        "http://127.0.0.1:$port" | awk -F= '/^MEASURED_RPS=/ {r = $2} /^MEASURED_ANSWERS=/ {a = $2} /^MEASURED_2XX=/ {ok = $2} END {print r, a, ok}'
}

load_users "$users" "$threads" "$connections"
tail -n +$((members + 1)) "$work/ids.txt" >"$work/outsiders.txt"

# CPU seconds (user + system) the server has used so far, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$server/stat"; }

# label script [env…]: the turns of one workload; prints one table row. GROUP=empty or big
# gives every run a group of its own (empty, or holding the first half of the users), which
# the run adds the other half to and which is deleted after it.
measure() {
    local label=$1 script=$2; shift 2
    [[ "$script" =~ ${ONLY:-.} ]] || return 0
    local results="$work/results"
    : >"$results"
    for turn in $(seq "$turns"); do
        local order=(on off)
        [ $((turn % 2)) = 0 ] && order=(off on)
        for side in "${order[@]}"; do
            start "$side"
            local group=none
            if [ -n "${GROUP:-}" ]; then
                group=$(setup group "$base" "$token" "bench-$GROUP-$turn-$side")
                [ "$GROUP" = big ] && setup fill "$base" "$token" "$group" "$work/ids.txt" "$members" >/dev/null
            fi
            run_wrk get.lua "$warm" RUN_PREFIX="w$turn$side" >/dev/null
            sleep 0.5 # let the warm-up's log batch and checkpoint settle
            local before after measured
            before=$(ticks)
            measured=$(run_wrk "$script" "$duration" RUN_PREFIX="t$turn$side$script" GROUP_ID="$group" \
                MEMBERS_FILE="$work/outsiders.txt" "$@")
            after=$(ticks)
            local rps answers ok
            read -r rps answers ok <<<"$measured"
            # A rate of failures measures nothing: stop rather than print it.
            if [ -z "$ok" ] || [ "$answers" = 0 ] || [ $((ok * 100)) -lt $((answers * 99)) ]; then
                echo "the $side run of $script failed: ${ok:-0} of ${answers:-0} answers were 2xx" >&2
                tail -n 20 "$work/serve.log" >&2
                exit 1
            fi
            [ "$group" = none ] || setup delete "$base" "$token" "/Groups/$group"
            stop
            echo "$turn $side $rps $answers $((after - before))" >>"$results"
        done
    done
    python3 - "$label" "$results" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
label, path, hz = sys.argv[1], sys.argv[2], int(sys.argv[3])
rps, cpu = {}, {"on": [], "off": []}
for line in open(path):
    turn, side, r, answers, t = line.split()
    rps[(turn, side)] = int(r)
    cpu[side].append(int(t) / hz * 1e6 / int(answers))
turns = sorted({turn for turn, _ in rps})
costs = sorted(100 * (rps[(t, "off")] - rps[(t, "on")]) / rps[(t, "off")] for t in turns)
on = statistics.median(rps[(t, "on")] for t in turns)
off = statistics.median(rps[(t, "off")] for t in turns)
con, coff = statistics.median(cpu["on"]), statistics.median(cpu["off"])
print(f"| {label} | {on:,.0f} | {off:,.0f} | {statistics.median(costs):.1f}% "
      f"| {costs[0]:.1f} … {costs[-1]:.1f}% | {con:.0f} µs | {coff:.0f} µs |")
PY
}

echo
echo "| workload ($connections connections, $turns turns of ${duration} s per side) | log on req/s | log off req/s | cost of the log (median of turns) | range over turns | CPU per request, on | off |"
echo "|---|---|---|---|---|---|---|"
measure "get by id" get.lua
measure "userName eq filter" filter.lua
measure "list page of 100 at a random startIndex" list.lua
measure "create user (POST /Users)" create.lua
measure "PATCH active" patch_active.lua
GROUP=empty measure "PATCH add one member, group starting empty" member_add.lua
GROUP=big measure "PATCH add one member, group of $members" member_add.lua
