#!/usr/bin/env bash
# Load benchmark of the SCIM server (release build) with wrk on this machine, 16 connections:
# load 100,000 users through the API (timed), fill a group with 50,000 members, then measure
# throughput and p50/p99 latency of: create, get by id, userName eq filter, PATCH active, a
# list page of 100 at a random startIndex, and PATCH adding one member (to an empty group and
# to the 50,000-member group). Prints a Markdown table for BENCHMARKS.md.
#
# Usage: scripts/bench-server.sh [seconds per workload, default 15]
# SCIM_LOG=off runs the server without the SCIM log (scripts/bench-log.sh compares both).
# Needs wrk (Debian package; installed when run as root) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-15}"
users="${USERS:-100000}"     # smaller values only for trying the script
members=$((users / 2))
connections=16
threads=2
port=18987

command -v wrk >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || {
    echo "wrk is needed: apt-get install wrk" >&2; exit 1; }

cargo build --release --locked --bin scim-workbench
bin=target/release/scim-workbench
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
db="$work/bench.db"
token=$("$bin" provider create --db "$db" --name bench --kind okta | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
log_flag=()
[ "${SCIM_LOG:-on}" = off ] && log_flag=(--no-scim-log)
"$bin" serve --db "$db" --scim-addr "127.0.0.1:$port" --admin-addr 127.0.0.1:0 "${log_flag[@]}" >"$work/serve.log" 2>&1 &
server=$!
until grep -q "SCIM base URL" "$work/serve.log" 2>/dev/null; do sleep 0.1; done
base="http://127.0.0.1:$port/api/scim"
url="http://127.0.0.1:$port"
export SCIM_TOKEN="$token" BENCH_DIR="$PWD/scripts/bench" THREADS="$threads"
setup() { python3 scripts/bench/setup.py "$@"; }

# "label" "script" [env...]: runs wrk, prints one table row.
run() {
    local label=$1 script=$2; shift 2
    sleep 5 # let the server drain the previous workload (and the WAL be checkpointed)
    local out
    out=$(env "$@" wrk -t"$threads" -c"$connections" -d"${duration}s" --latency -s "scripts/bench/$script" "$url")
    echo "$out" >>"$work/wrk.log"
    local rps p50 p99 answers ok
    rps=$(awk -F= '/^MEASURED_RPS=/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    answers=$(awk -F= '/^MEASURED_ANSWERS=/ {print $2}' <<<"$out")
    ok=$(awk -F= '/^MEASURED_2XX=/ {print $2}' <<<"$out")
    printf '| %s | %s | %s | %s | %s |\n' "$label" "$rps" "$p50" "$p99" "$((answers - ok))"
}

echo "Loading $users users through POST /Users ($connections connections)..." >&2
# wrk always sleeps its whole --duration; the threads stop at the limit and the run is cut
# short once the server holds every user. The time is measured inside wrk (first request to
# last answer).
env RUN_PREFIX=load LIMIT="$users" wrk -t"$threads" -c"$connections" -d3600s --latency -s scripts/bench/create.lua "$url" >"$work/load.log" &
loader=$!
until [ "$(setup count "$base" "$token" "/Users?count=0")" -ge "$users" ]; do
    kill -0 "$loader" 2>/dev/null || { echo "the load generator stopped early:" >&2; cat "$work/load.log" >&2; exit 1; }
    sleep 1
done
kill -INT "$loader"; wait "$loader" || true
loaded=$(setup count "$base" "$token" "/Users?count=0")
load_seconds=$(awk -F= '/^MEASURED_SECONDS=/ {print $2}' "$work/load.log")
setup ids "$base" "$token" "$work"
tail -n +$((members + 1)) "$work/ids.txt" >"$work/outsiders.txt"
big=$(setup group "$base" "$token" bench-big)
empty=$(setup group "$base" "$token" bench-empty)
fill_seconds=$(setup fill "$base" "$token" "$big" "$work/ids.txt" "$members")

echo
echo "Loaded $loaded users in ${load_seconds} s ($(python3 -c "print(round($loaded / $load_seconds))") users/s);" \
     "filled a group with $members members (1,000 per PATCH) in ${fill_seconds} s."
p50=$(awk '$1 == "50%" {print $2}' "$work/load.log"); p99=$(awk '$1 == "99%" {print $2}' "$work/load.log")
echo "Load run: p50 $p50, p99 $p99, answers that were not 201: $(( $(awk -F= '/^MEASURED_ANSWERS=/ {print $2}' "$work/load.log") - $(awk -F= '/^MEASURED_2XX=/ {print $2}' "$work/load.log") ))."
echo
echo "| workload ($connections connections, ${duration} s each) | req/s | p50 | p99 | non-2xx |"
echo "|---|---|---|---|---|"
# Reads first, on the loaded data as it stands; then the writes (which grow the data).
run "get by id" get.lua IDS_FILE="$work/ids.txt"
run "userName eq filter" filter.lua NAMES_FILE="$work/names.txt"
run "list page of 100 at a random startIndex" list.lua TOTAL="$loaded"
run "create user (POST /Users)" create.lua RUN_PREFIX=sustained
run "PATCH active" patch_active.lua IDS_FILE="$work/ids.txt"
run "PATCH add one member, group starting empty" member_add.lua GROUP_ID="$empty" MEMBERS_FILE="$work/outsiders.txt"
run "PATCH add one member, group of $members" member_add.lua GROUP_ID="$big" MEMBERS_FILE="$work/outsiders.txt"
echo
echo "(raw wrk output: $work/wrk.log is removed on exit; rerun with a longer duration for steadier numbers)"
