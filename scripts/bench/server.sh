# Serving a benchmark's own workspace: sourced by the bench-log scripts, not run.
# Expects `bin` (the scim-workbench binary), `work` (a scratch directory holding bench.db),
# `port` and `base` (the SCIM base URL on that port) to be set.
server=""

setup() { python3 scripts/bench/setup.py "$@"; }

# Stops the server gracefully (the log writer writes what is queued). SIGTERM, not SIGINT: a
# background job of a script ignores SIGINT until the server installs its handler.
stop() {
    if [ -n "$server" ]; then
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
    fi
}

# serve COMMAND… -- [FLAG…]: runs `COMMAND… serve` on the workspace with the serve flags
# FLAG… (COMMAND ends with the binary; words before it wrap it, valgrind for one) and waits
# until it listens.
serve() {
    local command=()
    while [ "$1" != -- ]; do
        command+=("$1")
        shift
    done
    shift
    rm -f "$work/serve.log" # so that the wait below reads this server's lines
    "${command[@]}" serve --db "$work/bench.db" --scim-addr "127.0.0.1:$port" \
        --admin-addr 127.0.0.1:0 "$@" >"$work/serve.log" 2>&1 &
    server=$!
    until grep -q "SCIM base URL" "$work/serve.log" 2>/dev/null; do
        kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
        sleep 0.05
    done
}

# load_users USERS THREADS CONNECTIONS: creates a provider (its token in `token` and
# $work/token), loads USERS users through wrk with the log on, writes their ids and userNames
# to $work/ids.txt and $work/names.txt, and stops the server.
load_users() {
    local users=$1 threads=$2 connections=$3
    "$bin" provider create --db "$work/bench.db" --name bench --kind okta |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$work/token"
    token=$(cat "$work/token")
    serve "$bin" --
    echo "loading $users users..." >&2
    SCIM_TOKEN=$token RUN_PREFIX=load LIMIT="$users" wrk -t"$threads" -c"$connections" -d3600s \
        -s scripts/bench/create.lua "http://127.0.0.1:$port" >"$work/load.log" &
    local loader=$!
    until [ "$(setup count "$base" "$token" "/Users?count=0")" -ge "$users" ]; do
        kill -0 "$loader" 2>/dev/null || { echo "the load generator stopped early" >&2; exit 1; }
        sleep 1
    done
    kill -INT "$loader"
    wait "$loader" || true
    setup ids "$base" "$token" "$work"
    stop
}
