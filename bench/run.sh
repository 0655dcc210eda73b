#!/usr/bin/env bash
# ibc — the benchmarks (`make bench`; figures and how to read them in
# bench/README.md).
#
# One run measures, with nginx (Debian nginx-light) as the peer in the same
# run so that figures from a shared, noisy machine can be compared:
#   1. first-time setup: exec → first 200 on GET / with a fresh data dir
#      (migrations + demo seed included);
#   2. cold start: exec → first 200 on GET / with a migrated, seeded dir
#      (median and p90 of BENCH_COLD_RUNS), and nginx's exec → first 200 on
#      the static file beside it; `ibc version` through hyperfine shows what
#      exec + dynamic linking alone cost;
#   3. idle resident memory (VmRSS) of `ibc serve` with the default workers
#      after start, a few requests and 2 s idle;
#   4. wrk over loopback, rounds interleaved (ibc home, ibc static, nginx
#      static; then with gzip accepted: ibc static, nginx gzip on, nginx
#      gzip_static serving ibc's own gzip bytes, ibc home): median requests/s
#      and p99 over the rounds, the server's CPU time per request, and
#      ibc-static / nginx as the median of the per-round ratios;
#   5. VmRSS after the wrk runs.
# Prints a summary table and writes it to bench/out/latest.txt; raw wrk,
# hyperfine and start-up figures go to bench/out/ too.
#
# Binary: $IBC_BIN, else $BUILD/ibc (make passes BUILD=… through), else
# build/ibc. Knobs (environment): BENCH_DURATION (10s), BENCH_WARMUP (3s),
# BENCH_ROUNDS (3), BENCH_THREADS (2), BENCH_CONNS (32), BENCH_COLD_RUNS (20),
# BENCH_SETUP_RUNS (5), BENCH_WORKERS (empty: ibc's default for the wrk
# server), BENCH_GZIP_LEVEL (nginx's gzip_comp_level, 1), BENCH_NGINX_WORKERS
# (auto = one per core).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
IBC=${IBC_BIN:-${BUILD:-build}/ibc}
case $IBC in /*) ;; *) IBC=$ROOT/$IBC ;; esac
OUT=$ROOT/bench/out
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-3s}
ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNS:-32}
COLD_RUNS=${BENCH_COLD_RUNS:-20}
SETUP_RUNS=${BENCH_SETUP_RUNS:-5}
WORKERS=${BENCH_WORKERS:-}
GZIP_LEVEL=${BENCH_GZIP_LEVEL:-1}
NGINX_WORKERS=${BENCH_NGINX_WORKERS:-auto}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
CSS=/static/css/ibc.css

# Aims (issue #2, "Measured").
AIM_HOME_RPS=5000
AIM_STATIC_RATIO=0.5   # ibc static req/s ≥ nginx / 2
AIM_COLD_MS=100
AIM_RSS_MIB=20

log() { printf '%s\n' "bench: $*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in wrk curl hyperfine cc "$NGINX"; do
    command -v "$tool" >/dev/null || die "$tool not found (make deps-bench)"
done
[ -x "$IBC" ] || die "no ibc binary at $IBC (make, or set IBC_BIN)"

mkdir -p "$OUT"
rm -f "$OUT"/*.txt "$OUT"/*.err "$OUT"/*.json
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ibc-bench.XXXXXX")
IBC_PID=
NGINX_PID=

cleanup() {
    local rc=$?
    for p in $IBC_PID $NGINX_PID; do
        if kill -TERM "$p" 2>/dev/null; then
            wait "$p" 2>/dev/null || true
        fi
    done
    rm -rf "$TMP"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

# ---- small helpers -------------------------------------------------------

# median and p90 (nearest rank) of numbers on stdin: "MEDIAN P90 N"
stats() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) { print "nan nan 0"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            r = int(0.9 * NR); if (r < 0.9 * NR) r++; if (r < 1) r = 1
            printf "%.2f %.2f %d\n", m, v[r], NR
        }'
}
median() { stats | awk '{print $1}'; }

# "key=value" pairs on a starttime line: field VALUE
kv() { tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

# /proc/PID/status field in kB
proc_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# CPU time (user+system, clock ticks) of a process and all its threads,
# plus its children's (nginx workers) when asked.
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() {
    local total=0 p
    for p in "$@"; do
        [ -r "/proc/$p/stat" ] || continue
        # fields after the ")" of comm: utime is 12th, stime 13th
        total=$((total + $(sed 's/.*) //' "/proc/$p/stat" \
            | awk '{ print $12 + $13 }')))
    done
    echo "$total"
}
# /proc/stat, all CPUs: "BUSY TOTAL STEAL" in ticks (busy = not idle, not
# iowait, not steal)
stat_ticks() {
    awk '$1 == "cpu" { t = 0; for (i = 2; i <= 9; i++) t += $i
        print t - $5 - $6 - $9, t, $9; exit }' /proc/stat
}
# CPU seconds of this shell's finished children (wrk) into $TMP/times.TAG:
# bash's `times`, called here and not in a $(…) subshell, which would see
# only its own children
child_cpu_save() { times >"$TMP/times.$1"; }
child_cpu() {
    tail -1 "$TMP/times.$1" | tr 'ms' '  ' \
        | awk '{ print $1 * 60 + $2 + $3 * 60 + $4 }'
}
nginx_pids() { echo "$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"; }

# wrk latency value ("812.00us", "1.52ms", "2.01s") → milliseconds
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000
        else if (u == "m") n *= 60000; else if (u == "h") n *= 3600000
        printf "%.3f", n }'
}

# Waits for the "serving http://…:PORT/" line in a file; prints the port.
wait_port() {
    local file=$1 pid=$2 i
    for i in $(seq 1 200); do
        if grep -q 'http://' "$file" 2>/dev/null; then
            sed -n 's|.*http://[^:]*:\([0-9]*\).*|\1|p' "$file" | head -1
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# curl → "STATUS BYTES CONTENT-ENCODING"
probe() {
    local url=$1; shift
    curl -s -o "$TMP/probe.body" -D "$TMP/probe.head" -w '%{http_code} %{size_download}' \
        "$@" "$url"
    printf ' %s\n' "$(awk -F': *' 'tolower($1) == "content-encoding" \
        { gsub(/\r/, "", $2); print $2 }' "$TMP/probe.head" | head -1)"
}

# ---- the machine ---------------------------------------------------------

COMMAND="$( (env | grep -E '^(IBC_BIN|BENCH_[A-Z_]+|NGINX)=' || true) | sort \
    | tr '\n' ' ')bench/run.sh"
CPU_MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
NPROC=$(nproc)
IBC_VERSION=$("$IBC" version 2>/dev/null | head -1 || echo '?')
NGINX_VERSION=$("$NGINX" -v 2>&1 | sed 's/^nginx version: //')
WRK_VERSION=$( (wrk -v 2>&1 || true) | head -1 | awk '{ print $2 }')
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
STARTED=$(date '+%Y-%m-%d %H:%M %Z')
log "ibc: $IBC ($IBC_VERSION); $NPROC × $CPU_MODEL; load $LOAD_BEFORE"

cc -std=c17 -O2 -Wall -Wextra -o "$OUT/starttime" bench/starttime.c \
    || die "cannot build bench/starttime.c"
ST=$OUT/starttime

# ---- 1. first-time setup -------------------------------------------------

log "first-time setup: $SETUP_RUNS runs, fresh data dir each"
for i in $(seq 1 "$SETUP_RUNS"); do
    d=$TMP/setup-$i
    "$ST" -t 60000 -- "$IBC" serve --data "$d" --port 0 --demo --quiet \
        >>"$OUT/setup-ibc.txt" 2>>"$OUT/setup-ibc.err" \
        || die "first-time setup run $i failed (see $OUT/setup-ibc.err)"
    if [ "$i" = 1 ]; then
        mv "$d" "$TMP/data"   # the seeded dir for everything after
    else
        rm -rf "$d"
    fi
done
read -r SETUP_MED SETUP_P90 _ < <(kv first200_ms <"$OUT/setup-ibc.txt" | stats)

# ---- 2. cold start (seeded dir), nginx beside it -------------------------

log "cold start: $COLD_RUNS runs on the seeded dir"
for i in $(seq 1 "$COLD_RUNS"); do
    "$ST" -- "$IBC" serve --data "$TMP/data" --port 0 --demo --quiet \
        >>"$OUT/cold-ibc.txt" 2>>"$OUT/cold-ibc.err" \
        || die "cold start run $i failed (see $OUT/cold-ibc.err)"
done
read -r COLD_MED COLD_P90 _ < <(kv first200_ms <"$OUT/cold-ibc.txt" | stats)
read -r SERVING_MED SERVING_P90 _ < <(kv serving_ms <"$OUT/cold-ibc.txt" | stats)
read -r STOP_MED STOP_P90 _ < <(kv stop_ms <"$OUT/cold-ibc.txt" | stats)

log "exec + dynamic linking alone: hyperfine '$IBC version' '$NGINX -v'"
hyperfine -N --warmup 3 --runs 30 --export-json "$OUT/hyperfine-version.json" \
    "$IBC version" "$NGINX -v" >"$OUT/hyperfine-version.txt" 2>&1 \
    || die "hyperfine failed (see $OUT/hyperfine-version.txt)"
read -r VERSION_MED NGINX_V_MED < <(awk -F': *' '/"median"/ { gsub(/,/, "", $2);
    printf "%.2f ", $2 * 1000 } END { print "" }' "$OUT/hyperfine-version.json")
IBC_LIBS=$(ldd "$IBC" 2>/dev/null | grep -c '=>' || true)

# ---- 3. the server for memory and load, idle RSS -------------------------

log "starting ibc serve (workers: ${WORKERS:-default})"
"$IBC" serve --data "$TMP/data" --port 0 --demo --quiet \
    ${WORKERS:+--workers "$WORKERS"} >"$TMP/serve.out" 2>"$OUT/serve.err" &
IBC_PID=$!
IBC_PORT=$(wait_port "$TMP/serve.out" "$IBC_PID") \
    || die "ibc serve did not print its port (see $OUT/serve.err)"
SERVING_LINE=$(grep -m1 'http://' "$TMP/serve.out")
IBC_URL=http://127.0.0.1:$IBC_PORT
RSS_START=$(proc_kb "$IBC_PID" VmRSS)

# a few requests, as a person opening the site would make
for u in / $CSS /static/img/logo.svg / /news; do
    curl -s -o /dev/null "$IBC_URL$u" || true
done
curl -s --compressed -o /dev/null "$IBC_URL/" || true
sleep 2
RSS_IDLE=$(proc_kb "$IBC_PID" VmRSS)
{
    echo "# ibc serve idle (after start, 6 requests, 2 s): /proc/PID/status"
    grep -E '^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem|VmSize|Threads):' \
        "/proc/$IBC_PID/status"
} >"$OUT/rss-idle.txt"
RSS_IDLE_ANON=$(proc_kb "$IBC_PID" RssAnon)
RSS_IDLE_FILE=$(proc_kb "$IBC_PID" RssFile)
IBC_THREADS=$(proc_kb "$IBC_PID" Threads)

# ---- 4. nginx, serving the bytes ibc serves ------------------------------

NGX=$TMP/nginx
mkdir -p "$NGX/tmp" "$NGX/root/static/css" "$NGX/root-gzs/static/css"
curl -sf -o "$NGX/root$CSS" "$IBC_URL$CSS" \
    || die "ibc does not serve $CSS"
cp "$NGX/root$CSS" "$NGX/root-gzs$CSS"
curl -sf -H 'Accept-Encoding: gzip' -o "$NGX/root-gzs$CSS.gz" "$IBC_URL$CSS" \
    || die "ibc does not serve $CSS gzipped"
NGINX_PORT=$("$ST" -F)
NGINX_PORT_GZS=$("$ST" -F)
[ "$NGINX_PORT" != "$NGINX_PORT_GZS" ] || NGINX_PORT_GZS=$("$ST" -F)
if [ "$(id -u)" = 0 ]; then
    USER_LINE="user $(id -un) $(id -gn);"   # workers stay the current user
else
    USER_LINE="# (not root: nginx keeps the current user)"
fi
sed -e "s|@PREFIX@|$NGX|g" -e "s|@PORT@|$NGINX_PORT|g" \
    -e "s|@PORT_GZS@|$NGINX_PORT_GZS|g" \
    -e "s|@WORKERS@|$NGINX_WORKERS|g" -e "s|@GZIP@|on|g" \
    -e "s|@GZIP_LEVEL@|$GZIP_LEVEL|g" -e "s|@USER_LINE@|$USER_LINE|g" \
    bench/nginx.conf.in >"$NGX/nginx.conf"
NGINX_CMD=("$NGINX" -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf"
           -g 'daemon off;')
"$NGINX" -t -q -p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf" \
    || die "nginx config test failed: $(cat "$NGX/error.log")"

log "nginx cold start: $COLD_RUNS runs"
for i in $(seq 1 "$COLD_RUNS"); do
    "$ST" -p "$NGINX_PORT" -u "$CSS" -- "${NGINX_CMD[@]}" \
        >>"$OUT/cold-nginx.txt" 2>>"$OUT/cold-nginx.err" \
        || die "nginx cold start run $i failed (see $OUT/cold-nginx.err)"
done
read -r NCOLD_MED NCOLD_P90 _ < <(kv first200_ms <"$OUT/cold-nginx.txt" | stats)

"${NGINX_CMD[@]}" >/dev/null 2>>"$OUT/nginx.err" &
NGINX_PID=$!
NGINX_URL=http://127.0.0.1:$NGINX_PORT
NGINX_GZS_URL=http://127.0.0.1:$NGINX_PORT_GZS
for i in $(seq 1 100); do
    curl -sf -o /dev/null "$NGINX_URL$CSS" && break
    sleep 0.05
done

# ---- 5. check what wrk will hit ------------------------------------------

log "checking the URLs"
read -r s home_bytes enc < <(probe "$IBC_URL/")
[ "$s" = 200 ] || die "ibc GET / → $s"
read -r s ibc_css_bytes enc < <(probe "$IBC_URL$CSS")
{ [ "$s" = 200 ] && [ -z "$enc" ]; } || die "ibc GET $CSS → $s $enc"
cp "$TMP/probe.body" "$TMP/ibc.css"
read -r s ngx_css_bytes enc < <(probe "$NGINX_URL$CSS")
{ [ "$s" = 200 ] && [ -z "$enc" ]; } || die "nginx GET $CSS → $s $enc"
cmp -s "$TMP/probe.body" "$TMP/ibc.css" || die "nginx and ibc serve different bytes"
read -r s ibc_gz_bytes ibc_enc < <(probe "$IBC_URL$CSS" -H 'Accept-Encoding: gzip')
[ "$s" = 200 ] || die "ibc GET $CSS (gzip) → $s"
read -r s ngx_gz_bytes ngx_enc < <(probe "$NGINX_URL$CSS" -H 'Accept-Encoding: gzip')
[ "$s" = 200 ] || die "nginx GET $CSS (gzip) → $s"
cp "$TMP/probe.body" "$TMP/nginx.css.gz"
read -r s gzs_bytes gzs_enc < <(probe "$NGINX_GZS_URL$CSS" -H 'Accept-Encoding: gzip')
{ [ "$s" = 200 ] && [ "$gzs_enc" = gzip ]; } \
    || die "nginx gzip_static GET $CSS → $s '$gzs_enc'"
cmp -s "$TMP/probe.body" "$NGX/root-gzs$CSS.gz" \
    || die "nginx gzip_static does not send ibc's gzip bytes"
read -r s home_gz_bytes home_enc < <(probe "$IBC_URL/" -H 'Accept-Encoding: gzip')
[ "$s" = 200 ] || die "ibc GET / (gzip) → $s"
curl -s -D - -o /dev/null "$IBC_URL/" >"$OUT/headers-ibc-home.txt"
curl -s -D - -o /dev/null "$IBC_URL$CSS" >"$OUT/headers-ibc-static.txt"
curl -s -D - -o /dev/null "$NGINX_URL$CSS" >"$OUT/headers-nginx-static.txt"

# ---- 6. wrk --------------------------------------------------------------

# name | url | extra header | which server
TARGETS=(
    "ibc-home|$IBC_URL/||ibc"
    "ibc-static|$IBC_URL$CSS||ibc"
    "nginx-static|$NGINX_URL$CSS||nginx"
    "ibc-static-gzip|$IBC_URL$CSS|Accept-Encoding: gzip|ibc"
    "nginx-static-gzip|$NGINX_URL$CSS|Accept-Encoding: gzip|nginx"
    "nginx-static-gzs|$NGINX_GZS_URL$CSS|Accept-Encoding: gzip|nginx"
    "ibc-home-gzip|$IBC_URL/|Accept-Encoding: gzip|ibc"
)

wrk_run() {  # name url header duration outfile
    local hdr=()
    [ -n "$3" ] && hdr=(-H "$3")
    wrk -t"$THREADS" -c"$CONNS" -d"$4" --latency "${hdr[@]}" "$2" >"$5" 2>&1
}

log "wrk warm-up ($WARMUP each)"
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name url hdr _ <<<"$t"
    wrk_run "$name" "$url" "$hdr" "$WARMUP" "$OUT/wrk-$name-warmup.txt"
done

for r in $(seq 1 "$ROUNDS"); do
    for t in "${TARGETS[@]}"; do
        IFS='|' read -r name url hdr srv <<<"$t"
        log "wrk round $r/$ROUNDS: $name ($DURATION, -t$THREADS -c$CONNS)"
        if [ "$srv" = ibc ]; then pids=$IBC_PID; else pids=$(nginx_pids); fi
        # shellcheck disable=SC2086
        c0=$(cpu_ticks $pids)
        read -r b0 t0 s0 < <(stat_ticks)
        child_cpu_save 0
        wrk_run "$name" "$url" "$hdr" "$DURATION" "$OUT/wrk-$name-r$r.txt"
        # shellcheck disable=SC2086
        c1=$(cpu_ticks $pids)
        read -r b1 t1 s1 < <(stat_ticks)
        child_cpu_save 1
        w0=$(child_cpu 0); w1=$(child_cpu 1)
        {
            echo "cpu_ticks $((c1 - c0)) clk_tck $CLK_TCK"
            echo "machine_busy_ticks $((b1 - b0)) total $((t1 - t0)) steal $((s1 - s0))" \
                "wrk_ticks $(awk -v a="$w0" -v b="$w1" -v h="$CLK_TCK" \
                    'BEGIN { printf "%.0f", (b - a) * h }')"
        } >>"$OUT/wrk-$name-r$r.txt"
        kill -0 "$IBC_PID" 2>/dev/null || die "ibc serve died during $name"
        sleep 1
    done
done

RSS_AFTER=$(proc_kb "$IBC_PID" VmRSS)
HWM_AFTER=$(proc_kb "$IBC_PID" VmHWM)
sleep 2
RSS_AFTER_IDLE=$(proc_kb "$IBC_PID" VmRSS)
{
    echo "# ibc serve after the wrk runs, 2 s idle: /proc/PID/status"
    grep -E '^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem|VmSize|Threads):' \
        "/proc/$IBC_PID/status"
} >"$OUT/rss-after.txt"
NGINX_RSS=0
for p in $(nginx_pids); do
    NGINX_RSS=$((NGINX_RSS + $(proc_kb "$p" VmRSS)))
done

# graceful stop of the loaded server
t0=$(date +%s%N)
kill -TERM "$IBC_PID"
wait "$IBC_PID" 2>/dev/null || true
IBC_STOP_MS=$(( ($(date +%s%N) - t0) / 1000000 ))
IBC_PID=
kill -TERM "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=

# ---- 7. results -------------------------------------------------------------

# per target: median rps, median p99 ms, median p50 ms, errors, cpu µs/req
declare -A RPS P99 P50 ERR CPU
for t in "${TARGETS[@]}"; do
    IFS='|' read -r name _ _ _ <<<"$t"
    rps_list='' p99_list='' p50_list='' cpu_list='' errs=0
    for r in $(seq 1 "$ROUNDS"); do
        f=$OUT/wrk-$name-r$r.txt
        rps=$(awk '/^Requests\/sec:/ { print $2 }' "$f")
        reqs=$(awk '/requests in/ { print $1 }' "$f")
        p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$f")")
        p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$f")")
        e=$(awk '/Non-2xx/ { n += $NF } /Socket errors/ { gsub(/,/, "");
            n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$f")
        ticks=$(awk '/^cpu_ticks/ { print $2 }' "$f")
        rps_list+="$rps"$'\n'; p99_list+="$p99"$'\n'; p50_list+="$p50"$'\n'
        cpu_list+=$(awk -v t="$ticks" -v h="$CLK_TCK" -v n="$reqs" \
            'BEGIN { printf "%.1f", n ? t / h * 1e6 / n : 0 }')$'\n'
        errs=$((errs + e))
    done
    RPS[$name]=$(printf '%s' "$rps_list" | median)
    P99[$name]=$(printf '%s' "$p99_list" | median)
    P50[$name]=$(printf '%s' "$p50_list" | median)
    CPU[$name]=$(printf '%s' "$cpu_list" | median)
    ERR[$name]=$errs
done

# ratio ibc / nginx per round, then the median (rounds are interleaved, so
# each ratio compares runs a few seconds apart)
ratio() {  # ibc-name nginx-name
    for r in $(seq 1 "$ROUNDS"); do
        a=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/wrk-$1-r$r.txt")
        b=$(awk '/^Requests\/sec:/ { print $2 }' "$OUT/wrk-$2-r$r.txt")
        awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f\n", a / b }'
    done | median
}
RATIO=$(ratio ibc-static nginx-static)
# the same for the CPU time one request costs the server (less noisy: it does
# not depend on how much of the machine the server got)
cpu_ratio() {  # ibc-name nginx-name → ibc cpu/req ÷ nginx cpu/req
    for r in $(seq 1 "$ROUNDS"); do
        for f in "$OUT/wrk-$1-r$r.txt" "$OUT/wrk-$2-r$r.txt"; do
            awk '/requests in/ { n = $1 } /^cpu_ticks/ { t = $2 }
                END { print (n ? t / n : 0) }' "$f"
        done | paste -sd' ' | awk '{ printf "%.3f\n", $2 ? $1 / $2 : 0 }'
    done | median
}
CPU_RATIO=$(cpu_ratio ibc-static nginx-static)
RATIO_GZ=$(ratio ibc-static-gzip nginx-static-gzs)
RATIO_GZ_FLY=$(ratio ibc-static-gzip nginx-static-gzip)

yes_no() { awk -v c="$1" 'BEGIN { print (c ? "yes" : "NO") }'; }
AIM_HOME=$(yes_no "$(awk -v a="${RPS[ibc-home]}" -v b=$AIM_HOME_RPS 'BEGIN { print (a >= b) }')")
AIM_STATIC=$(yes_no "$(awk -v a="$RATIO" -v b=$AIM_STATIC_RATIO 'BEGIN { print (a >= b) }')")
AIM_COLD=$(yes_no "$(awk -v a="$COLD_MED" -v b=$AIM_COLD_MS 'BEGIN { print (a < b) }')")
AIM_RSS=$(yes_no "$(awk -v a="$RSS_IDLE" -v b=$AIM_RSS_MIB 'BEGIN { print (a / 1024 < b) }')")
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
# how busy the whole machine was during the wrk runs (server + wrk + others)
read -r SRV_PCT WRK_PCT OTHER_PCT STEAL_PCT < <(cat "$OUT"/wrk-*-r*.txt | awk '
    /^cpu_ticks/ { c += $2 }
    /^machine_busy_ticks/ { b += $2; t += $4; s += $6; w += $8 }
    END { if (!t) t = 1
          o = b - c - w; if (o < 0) o = 0
          printf "%.0f %.0f %.0f %.1f\n", 100 * c / t, 100 * w / t,
              100 * o / t, 100 * s / t }')

row() {  # name label bytes
    printf '  %-26s %9s %8s %8s %10s %7s %6s\n' "$2" \
        "$(printf '%.0f' "${RPS[$1]}")" "${P50[$1]}" "${P99[$1]}" \
        "${CPU[$1]}" "$3" "${ERR[$1]}"
}

{
    echo "ibc benchmarks — $STARTED"
    echo "machine: $NPROC × $CPU_MODEL, $(uname -sr), load $LOAD_BEFORE → $LOAD_AFTER"
    echo "ibc: $IBC ($IBC_VERSION)"
    echo "     $SERVING_LINE"
    echo "peers: $NGINX_VERSION (workers $NGINX_WORKERS, sendfile, open_file_cache, gzip level $GZIP_LEVEL); wrk $WRK_VERSION"
    echo "command: $COMMAND"
    echo
    echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency over loopback, warm-up $WARMUP,"
    echo "median of $ROUNDS interleaved rounds (raw: bench/out/wrk-*.txt); static = GET $CSS;"
    echo "CPU of all $NPROC cores during the runs: server ${SRV_PCT}%, wrk ${WRK_PCT}%, everything else (other tenants, kernel threads) ${OTHER_PCT}%, steal ${STEAL_PCT}%"
    printf '  %-26s %9s %8s %8s %11s %7s %6s\n' "" "req/s" "p50 ms" "p99 ms" \
        "cpu µs/req" "bytes" "errors"
    row ibc-home "ibc GET / (templated)" "$home_bytes"
    row ibc-static "ibc static" "$ibc_css_bytes"
    row nginx-static "nginx static" "$ngx_css_bytes"
    row ibc-static-gzip "ibc static, gzip" "$ibc_gz_bytes"
    row nginx-static-gzip "nginx static, gzip on" "$ngx_gz_bytes"
    row nginx-static-gzs "nginx static, gzip_static" "$gzs_bytes"
    row ibc-home-gzip "ibc GET /, gzip" "$home_gz_bytes"
    echo "  ibc static / nginx req/s (median of per-round ratios): $RATIO"
    echo "  ibc static / nginx CPU time per request (same):        $CPU_RATIO"
    echo "  gzip: ibc / nginx gzip_static $RATIO_GZ; ibc / nginx gzip on (level $GZIP_LEVEL per request) $RATIO_GZ_FLY"
    [ "$ibc_enc" = gzip ] || echo "  note: ibc did not gzip $CSS (Content-Encoding: '${ibc_enc}')"
    [ "$ngx_enc" = gzip ] || echo "  note: nginx did not gzip $CSS (Content-Encoding: '${ngx_enc}')"
    [ "$home_enc" = gzip ] || echo "  note: ibc did not gzip / (Content-Encoding: '${home_enc}')"
    echo
    echo "start-up (exec → last byte of the first 200; bench/starttime.c)"
    echo "  ibc, seeded dir, GET /         median $COLD_MED ms, p90 $COLD_P90 ms ($COLD_RUNS runs)"
    echo "    of which exec → port line    median $SERVING_MED ms, p90 $SERVING_P90 ms"
    echo "    'ibc version' (exec+linking) median $VERSION_MED ms; 'nginx -v' $NGINX_V_MED ms (hyperfine, 30 runs; ibc loads $IBC_LIBS shared libraries)"
    echo "  nginx, GET $CSS  median $NCOLD_MED ms, p90 $NCOLD_P90 ms ($COLD_RUNS runs)"
    echo "  ibc first-time setup (fresh dir, migrate + demo seed)"
    echo "                                 median $SETUP_MED ms, p90 $SETUP_P90 ms ($SETUP_RUNS runs)"
    echo "  ibc SIGTERM → exit, idle       median $STOP_MED ms, p90 $STOP_P90 ms; after load: $IBC_STOP_MS ms"
    echo
    echo "memory (VmRSS of ibc serve, workers: ${WORKERS:-default}, $IBC_THREADS threads)"
    echo "  just started                   $(mib "$RSS_START") MiB"
    echo "  idle (6 requests, 2 s)         $(mib "$RSS_IDLE") MiB  (anon $(mib "$RSS_IDLE_ANON"), file $(mib "$RSS_IDLE_FILE"))"
    echo "  right after the wrk runs       $(mib "$RSS_AFTER") MiB  (peak VmHWM $(mib "$HWM_AFTER"))"
    echo "  after the wrk runs + 2 s idle  $(mib "$RSS_AFTER_IDLE") MiB"
    echo "  nginx after its runs (master + workers) $(mib "$NGINX_RSS") MiB"
    echo
    echo "aims (issue #2)"
    echo "  templated page ≥ $AIM_HOME_RPS req/s:     $AIM_HOME  (${RPS[ibc-home]})"
    echo "  static within 2× of nginx:     $AIM_STATIC  (req/s ratio $RATIO; CPU per request $CPU_RATIO× nginx's)"
    echo "  cold start < $AIM_COLD_MS ms:            $AIM_COLD  (median $COLD_MED ms)"
    echo "  idle RSS < $AIM_RSS_MIB MiB:              $AIM_RSS  ($(mib "$RSS_IDLE") MiB)"
} | tee "$OUT/latest.txt"

# 30 simultaneous sign-ins (issue #3): its own script and figures.
IBC_BIN=$IBC_BIN "$(dirname "$0")/signin.sh"
