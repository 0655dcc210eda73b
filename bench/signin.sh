#!/usr/bin/env bash
# ibc bench — 30 simultaneous sign-ins (argon2id is memory-hard: each
# verification takes ~64 MiB and ~75 ms of one core). Measures the wall
# time until all 30 are signed in, each sign-in's latency (median, max),
# and the server's peak resident memory, beside the cost of one sign-in
# alone in the same run (the ratio is what to compare between runs).
#
#   bench/signin.sh            (IBC_BIN, default build/ibc; N=30)
set -u
cd "$(dirname "$0")/.."
IBC_BIN=${IBC_BIN:-build/ibc}
N=${N:-30}
OUT=bench/out
mkdir -p "$OUT"
T=$(mktemp -d "${TMPDIR:-/tmp}/ibc-signin-XXXXXX")
chmod 755 "$T"
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"' EXIT

"$IBC_BIN" --data "$T/data" --quiet org add sch1 --name "Школа № 1" \
    --short-name "Школа № 1" >/dev/null
for i in $(seq 1 "$N"); do
    "$IBC_BIN" --data "$T/data" --quiet user add "reader$i" \
        --name "Читатель Бенч" --role teacher --password "bench-pass-$i" \
        >/dev/null || { echo "user add failed"; exit 1; }
done
"$IBC_BIN" --data "$T/data" --quiet serve --port 0 >"$T/out" 2>"$T/err" &
PID=$!
for _ in $(seq 1 100); do
    PORT=$(sed -n 's|.* serving http://[^ ]*:\([0-9]*\)/ .*|\1|p' "$T/out")
    [ -n "$PORT" ] && break
    sleep 0.05
done
BASE=http://127.0.0.1:$PORT

# One client: GET /signin for the token, then POST; prints seconds of the
# POST and its status.
signin_one() {
    local i=$1 jar=$T/jar$1 tok
    tok=$(curl -s -c "$jar" "$BASE/signin" |
        grep -o -m1 'name="_csrf" value="[0-9a-f]*"' | sed 's/.*value="//; s/"//')
    curl -s -o /dev/null -b "$jar" -c "$jar" -w '%{time_total} %{http_code}\n' \
        --data-urlencode "_csrf=$tok" --data-urlencode "login=reader$i" \
        --data-urlencode "password=bench-pass-$i" "$BASE/signin"
}
export -f signin_one
export T BASE

# Warm-up and the single sign-in baseline (5 times, sequential).
for i in 1 2 3 4 5; do signin_one "$i"; done >"$T/single.txt"
single=$(sort -n "$T/single.txt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')

start=$(date +%s.%N)
seq 1 "$N" | xargs -P "$N" -I{} bash -c 'signin_one {}' >"$T/par.txt"
end=$(date +%s.%N)
wall=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')
ok=$(awk '$2 == 303' "$T/par.txt" | wc -l)
med=$(sort -n "$T/par.txt" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
max=$(sort -n "$T/par.txt" | tail -1 | awk '{print $1}')
hwm=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/$PID/status")
rss=$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status")

{
    echo "ibc sign-in bench — $(date -u '+%Y-%m-%d %H:%M') UTC, $(nproc) cores"
    echo "one sign-in alone (median of 5):   ${single} s"
    echo "$N simultaneous sign-ins: wall ${wall} s, ${ok}/${N} signed in (303)"
    echo "  per sign-in: median ${med} s, slowest ${max} s"
    echo "  wall / (N × one alone): $(awk -v w="$wall" -v s="$single" -v n="$N" 'BEGIN{printf "%.2f", w/(n*s)}') (below 1: the cores share the work)"
    echo "  server memory: peak ${hwm} MiB, after ${rss} MiB"
} | tee "$OUT/signin.txt"
