#!/usr/bin/env bash
# What the SCIM log costs, counted in instructions instead of timed: the same workspace is
# served under callgrind with the SCIM log on and with `--no-scim-log`, and the server's
# instructions per request (all its threads, user space) are counted over a fixed sequence of
# requests sent one at a time. Timed runs on this machine drift by 5 points or more between
# runs (see BENCHMARKS.md); a count does not, so it shows changes of a few hundred
# instructions that throughput cannot.
#
# What a count leaves out: time in the kernel, cache misses and waiting. And under callgrind
# a server answers about 100 requests a second, so a 100 ms batch of the log writer holds ten
# entries, not a thousand: the writer's share (SQLite, pruning) is overstated against a busy
# server, while the request path's is counted as it is.
#
# Usage: scripts/bench-log-instructions.sh [requests per workload, default 2000]
# USERS (default 2000) users are loaded first. BIN=PATH counts another build instead of this
# one (to compare two builds; this build still loads the workspace). Needs valgrind, wrk and
# python3.
set -euo pipefail
cd "$(dirname "$0")/.."
requests="${1:-2000}"
users="${USERS:-2000}"
port=18982
base="http://127.0.0.1:$port/api/scim"

for tool in valgrind wrk; do
    command -v "$tool" >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq "$tool" >/dev/null; } || {
        echo "$tool is needed: apt-get install $tool" >&2; exit 1; }
done

cargo build --release --locked --bin scim-workbench
built=target/release/scim-workbench
bin=$built
work=$(mktemp -d)
source scripts/bench/server.sh
trap 'stop; rm -rf "$work"' EXIT
export BENCH_DIR="$PWD/scripts/bench" THREADS=1

# start on|off [COMMAND…]: serves the workspace with the log on or off, under COMMAND if given.
start() {
    local side=$1 flags=()
    shift
    [ "$side" = off ] && flags=(--no-scim-log)
    serve "$@" "$bin" -- "${flags[@]}"
}

load_users "$users" 1 4
# Every count starts from this state, so that both sides see the same data (PATCH changes it).
mkdir "$work/loaded"
cp "$work"/bench.db* "$work/loaded/"

# send workload count: sends `count` requests of one workload, one at a time on one
# connection (the same sequence every time), and fails unless every answer is 2xx.
send() {
    python3 - "$1" "$2" "$port" "$token" "$work" <<'PY'
import http.client, json, random, sys
workload, count, port, token, work = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
ids = open(f"{work}/ids.txt").read().split()
names = open(f"{work}/names.txt").read().split()
pick = random.Random(7)
connection = http.client.HTTPConnection("127.0.0.1", int(port))
headers = {"Authorization": f"Bearer {token}", "User-Agent": "Okta SCIM Client 1.0.0",
           "Accept": "application/scim+json", "Content-Type": "application/scim+json"}
for _ in range(count):
    if workload == "get":
        method, path, body = "GET", f"/api/scim/Users/{pick.choice(ids)}", None
    elif workload == "list":
        start = pick.randrange(1, max(2, len(ids) - 99))
        method, path, body = "GET", f"/api/scim/Users?startIndex={start}&count=100", None
    elif workload == "filter":
        method, path, body = "GET", f'/api/scim/Users?filter=userName%20eq%20%22{pick.choice(names)}%22', None
    else:  # patch: flip one user's active
        method, path = "PATCH", f"/api/scim/Users/{pick.choice(ids)}"
        body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                           "Operations": [{"op": "replace", "path": "active", "value": pick.random() < 0.5}]})
    connection.request(method, path, body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    if not 200 <= answer.status < 300:
        sys.exit(f"{method} {path} answered {answer.status}")
PY
}

# count side workload requests: instructions per request of one workload on one side.
count() {
    local side=$1 workload=$2 requests=$3
    rm -f "$work"/bench.db*
    cp "$work"/loaded/bench.db* "$work/"
    bin=${BIN:-$built} start "$side" valgrind --tool=callgrind --callgrind-out-file="$work/cg.$side.$workload.%p"
    # Warm up (caches, prepared statements, the first log batch) with a tenth as many.
    send "$workload" $((requests / 10 > 20 ? requests / 10 : 20))
    sleep 0.3
    callgrind_control -z "$server" >/dev/null 2>&1
    send "$workload" "$requests"
    sleep 0.3 # the log's last batch is part of the cost
    callgrind_control -d "$server" >/dev/null 2>&1
    local dump
    dump=$(ls "$work"/cg."$side"."$workload".*.1)
    stop
    callgrind_annotate --auto=no "$dump" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}'
}

echo
echo "| workload (one request at a time, under callgrind) | requests | instructions per request, log off | log on | the log's share |"
echo "|---|---|---|---|---|"
# A page of 100 users costs about thirty gets' instructions: a tenth as many keeps its run short.
for workload in get filter list patch; do
    n=$requests
    [ "$workload" = list ] && n=$((requests / 10))
    off=$(count off "$workload" "$n")
    on=$(count on "$workload" "$n")
    python3 -c "
off, on, n = $off, $on, $n
print(f'| $workload | {n} | {off / n:,.0f} | {on / n:,.0f} | {100 * (on - off) / off:.1f}% |')"
done
