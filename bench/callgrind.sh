#!/usr/bin/env bash
# ibc — bench: instructions per request under callgrind (not part of
# `make bench`; run by hand when a figure needs explaining).
#
#   bench/callgrind.sh [N]        (N requests per URL, default 2000)
#
# Starts `ibc serve --workers 1` under `valgrind --tool=callgrind` with
# instrumentation off during start-up, then for each URL (GET /, the CSS, the
# CSS gzipped) turns it on, sends N keep-alive requests with one curl
# (URL globbing reuses the connection), dumps, and turns it off again. Prints
# instructions per request (Ir / N) per URL and writes the profiles to
# bench/out/callgrind.<name>.out; read them with
#   callgrind_annotate --inclusive=yes bench/out/callgrind.home.out | head -60
# Instruction counts do not depend on the machine's other tenants, so they
# compare well between runs where req/s does not. Binary as in run.sh.
set -euo pipefail

cd "$(dirname "$0")/.."
IBC=${IBC_BIN:-${BUILD:-build}/ibc}
N=${1:-2000}
OUT=bench/out
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ibc-cg.XXXXXX")
PID=
cleanup() {
    if [ -n "$PID" ]; then
        kill -TERM "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT

# seed the data dir outside valgrind
"$IBC" serve --data "$TMP/data" --port 0 --demo --quiet >"$TMP/seed.out" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q 'http://' "$TMP/seed.out" 2>/dev/null && break; sleep 0.05; done
kill -TERM "$PID"; wait "$PID" 2>/dev/null || true

valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$TMP/cg.%p" \
    "$IBC" serve --data "$TMP/data" --port 0 --demo --quiet --workers 1 \
    >"$TMP/serve.out" 2>"$TMP/valgrind.err" &
PID=$!
for _ in $(seq 1 600); do grep -q 'http://' "$TMP/serve.out" 2>/dev/null && break; sleep 0.1; done
PORT=$(sed -n 's|.*serving http://[^:]*:\([0-9]*\).*|\1|p' "$TMP/serve.out" | head -1)
[ -n "$PORT" ] || { cat "$TMP/valgrind.err" >&2; exit 1; }
URL=http://127.0.0.1:$PORT

run() {  # name path [curl args]
    local name=$1 path=$2; shift 2
    # warm: first use fills caches, compresses the embedded files, …
    curl -s "$@" "$URL$path#[1-20]" >/dev/null
    callgrind_control -i on "$PID" >/dev/null 2>&1
    curl -s "$@" -w '%{http_code}\n' "$URL$path#[1-$N]" -o /dev/null \
        >"$TMP/codes" 2>&1 || true
    callgrind_control -i off "$PID" >/dev/null 2>&1
    callgrind_control -d "$name" "$PID" >/dev/null 2>&1
    sleep 0.5
    local f
    # shellcheck disable=SC2012  # our own file names
    f=$(ls -t "$TMP"/cg.* | head -1)
    mv "$f" "$OUT/callgrind.$name.out"
    local ir ok
    ir=$(callgrind_annotate "$OUT/callgrind.$name.out" 2>/dev/null \
        | awk '/PROGRAM TOTALS/ && !d { gsub(/,/, "", $1); print $1; d = 1 }')
    ok=$(grep -c '^200$' "$TMP/codes" || true)
    printf '%-14s %6d × 200   %10.0f instructions/request\n' "$name" "$ok" \
        "$(awk -v a="$ir" -v n="$N" 'BEGIN { print a / n }')"
}

echo "callgrind, $N keep-alive requests per URL, ibc --workers 1"
run home /
run static /static/css/ibc.css
run static-gzip /static/css/ibc.css -H 'Accept-Encoding: gzip'
run home-gzip / -H 'Accept-Encoding: gzip'
