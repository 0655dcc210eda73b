# ibc — helpers for the numbered end-to-end tests (test/e2e/tNNNN-*.sh),
# in the style of cgit's tests: each test file sources this, starts a real
# `ibc serve` on a free loopback port with a fresh data folder, drives it
# over HTTP with curl (or raw bytes with python3), and prints one line per
# check ("ok   name" / "FAIL name: why"). The file ends with `finish`, which
# prints "N passed, N failed" (test/run.sh adds these up) and exits 1 when
# anything failed.
#
#   . "$(dirname "$0")/lib.sh"
#   start_server                      # --port 0 --demo --quiet
#   http GET /
#   expect_status "home page" 200
#   expect_header "home has CSP" Content-Security-Policy "default-src 'self'"
#   expect_tidy "home is valid HTML"
#   stop_server                       # SIGTERM, must exit 0
#   finish
#
# Environment: IBC_BIN selects the binary (default build/ibc), so the same
# tests run against build/san/ibc; IBC_E2E_PG=1 with IBC_TEST_PG_URL runs
# the server on a fresh PostgreSQL database instead of SQLite; E2E_KEEP=1
# keeps the temporary folder for a look afterwards.
#
# After `http`, these hold the last response: $STATUS, the files $HEADERS
# (raw header lines) and $BODY; the cookie jar $JAR carries cookies from one
# request to the next (jar_reset empties it).

set -u

E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
IBC_BIN=${IBC_BIN:-$E2E_ROOT/build/ibc}
E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/ibc-e2e-XXXXXX")
# Reachable by the user a root-started server drops to (serve --user).
chmod 755 "$E2E_TMP"
E2E_PASS=0
E2E_FAIL=0
E2E_NAME=$(basename "$0" .sh)
HEADERS=$E2E_TMP/headers
BODY=$E2E_TMP/body
JAR=$E2E_TMP/cookies
STATUS=000
SERVER_PID=
SERVER_OUT=
SERVER_ERR=
PORT=
BASE=
DATA=
E2E_PG_DB=
# Sanitizer builds start and answer more slowly.
E2E_WAIT=${E2E_WAIT:-20}

e2e_cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
    fi
    if [ -n "$E2E_PG_DB" ]; then
        psql -q "$IBC_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $E2E_PG_DB" \
            >/dev/null 2>&1
    fi
    if [ -z "${E2E_KEEP:-}" ]; then
        rm -rf "$E2E_TMP"
    else
        echo "# kept $E2E_TMP"
    fi
}
trap e2e_cleanup EXIT

# ---- reporting ----

ok() {
    E2E_PASS=$((E2E_PASS + 1))
    echo "ok   $1"
}

# fail NAME [WHY]
fail() {
    E2E_FAIL=$((E2E_FAIL + 1))
    echo "FAIL $1${2:+: $2}"
}

# check NAME COMMAND...: ok when the command succeeds.
check() {
    local name=$1
    shift
    if "$@"; then
        ok "$name"
    else
        fail "$name" "command failed: $*"
    fi
}

# The last line of every test file.
finish() {
    echo "$E2E_PASS passed, $E2E_FAIL failed"
    [ "$E2E_FAIL" = 0 ]
    exit
}

# ---- the server ----

# start_server [SERVE-OPTION...]: a fresh data folder, `ibc serve --port 0
# --demo` (plus --quiet unless SERVER_QUIET=0), waits for its "serving" line
# and for it to answer. Sets PORT, BASE, DATA, SERVER_PID, SERVER_ERR (its
# stderr: logs). Counts as a check.
start_server() {
    local n
    n=$(find "$E2E_TMP" -maxdepth 1 -name 'data*' | wc -l)
    DATA=$E2E_TMP/data$n
    SERVER_OUT=$E2E_TMP/server$n.out
    SERVER_ERR=$E2E_TMP/server$n.err
    local db=()
    if [ "${IBC_E2E_PG:-}" = 1 ] && [ -n "${IBC_TEST_PG_URL:-}" ]; then
        E2E_PG_DB=ibc_e2e_$$_$n
        psql -q "$IBC_TEST_PG_URL" -c "CREATE DATABASE $E2E_PG_DB" >/dev/null
        db=(--db "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB")
    fi
    local quiet=(--quiet)
    [ "${SERVER_QUIET:-1}" = 0 ] && quiet=()
    "$IBC_BIN" --data "$DATA" "${db[@]}" "${quiet[@]}" serve --port 0 --demo \
        "$@" >"$SERVER_OUT" 2>"$SERVER_ERR" &
    SERVER_PID=$!
    local i line=
    for ((i = 0; i < E2E_WAIT * 10; i++)); do
        line=$(grep -m1 ' serving http://' "$SERVER_OUT" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    PORT=$(sed -n 's|.* serving http://[^ ]*:\([0-9][0-9]*\)/ .*|\1|p' \
        <<<"$line")
    if [ -z "$PORT" ]; then
        fail "server starts" "no 'serving' line; stderr: $(tail -5 "$SERVER_ERR")"
        SERVER_PID=
        finish
    fi
    BASE=$(sed -n 's|.* serving \(http://[^ ]*\)/ .*|\1|p' <<<"$line")
    case $BASE in
    *'//0.0.0.0:'* | *'//[::]:'*) BASE=http://127.0.0.1:$PORT ;;
    esac
    for ((i = 0; i < E2E_WAIT * 10; i++)); do
        curl -g -s -o /dev/null --max-time 2 "$BASE/" && break
        sleep 0.1
    done
    ok "server starts and answers on port $PORT"
    if [ ${#db[@]} -gt 0 ]; then
        check "the server runs on PostgreSQL" grep -q 'database postgresql)' \
            <<<"$line"
    fi
}

# stop_server: SIGTERM; it must exit with status 0 within a few seconds.
stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill -TERM "$SERVER_PID"
    local i rc=
    for ((i = 0; i < 100; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        fail "server stops on SIGTERM" "still running after 10 s"
        kill -KILL "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null
    else
        wait "$SERVER_PID"
        rc=$?
        if [ "$rc" = 0 ]; then
            ok "server stops on SIGTERM with status 0"
        else
            fail "server stops on SIGTERM with status 0" "status $rc; " \
                "stderr: $(tail -5 "$SERVER_ERR")"
        fi
    fi
    SERVER_PID=
}

# ---- HTTP ----

jar_reset() {
    : >"$JAR"
}

# http METHOD PATH [CURL-OPTION...]: one request to the server; the cookie
# jar is sent and updated. HEAD is sent as a real HEAD (--head).
http() {
    local method=$1 path=$2
    shift 2
    local how=(-X "$method")
    [ "$method" = HEAD ] && how=(--head)
    [ "$method" = GET ] && how=()
    : >"$BODY"
    STATUS=$(curl -g -s -o "$BODY" -D "$HEADERS" -w '%{http_code}' \
        --max-time 20 -b "$JAR" -c "$JAR" "${how[@]}" "$@" "$BASE$path")
    [ "$method" = HEAD ] && : >"$BODY"
    return 0
}

# header NAME: the value of a response header of the last request.
header() {
    tr -d '\r' <"$HEADERS" | grep -i -m1 "^$1:" | sed 's/^[^:]*: *//'
}

expect_status() {
    if [ "$STATUS" = "$2" ]; then
        ok "$1"
    else
        fail "$1" "status $STATUS, want $2"
    fi
}

# expect_header NAME HEADER REGEX (extended, matched against the value)
expect_header() {
    local v
    v=$(header "$2")
    if [ -n "$v" ] && grep -qE -- "$3" <<<"$v"; then
        ok "$1"
    else
        fail "$1" "$2: '${v:-(absent)}' does not match '$3'"
    fi
}

expect_no_header() {
    local v
    v=$(header "$2")
    if [ -z "$v" ]; then
        ok "$1"
    else
        fail "$1" "$2 present: '$v'"
    fi
}

# expect_body_contains NAME TEXT (fixed string)
expect_body_contains() {
    if grep -qF -- "$2" "$BODY"; then
        ok "$1"
    else
        fail "$1" "body lacks '$2' (body starts: $(head -c 200 "$BODY" | tr '\n' ' '))"
    fi
}

expect_body_not_contains() {
    if ! grep -qF -- "$2" "$BODY"; then
        ok "$1"
    else
        fail "$1" "body contains '$2'"
    fi
}

# expect_tidy NAME: `tidy -e -q` finds no errors in the body (warnings are
# shown, not counted).
expect_tidy() {
    local out rc
    out=$(tidy -e -q "$BODY" 2>&1)
    rc=$?
    if [ $rc -lt 2 ]; then
        ok "$1"
    else
        fail "$1" "tidy: $(grep -i error <<<"$out" | head -5)"
    fi
}

# csrf_token: the _csrf value of the first form in the last body.
csrf_token() {
    grep -o 'name="_csrf" value="[0-9a-f]*"' "$BODY" | head -1 |
        sed 's/.*value="\([0-9a-f]*\)"/\1/'
}

# ---- raw bytes ----

# raw_request [PYTHON-BYTES-LITERAL]: sends the bytes (a Python bytes
# expression, e.g. "b'GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n'") over a new
# connection, reads until the server closes or 3 s pass, stores the reply in
# $BODY and its status code in $STATUS (000 when none).
raw_request() {
    python3 - "$PORT" "$1" >"$BODY" <<'EOF'
import socket, sys
port, data = int(sys.argv[1]), eval(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port), timeout=3)
try:
    s.sendall(data)
except OSError:
    pass
out = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
        # one complete response is enough
        head, sep, rest = out.partition(b"\r\n\r\n")
        if sep:
            cl = [l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if cl and len(rest) >= int(cl[0].split(b":")[1]):
                break
except OSError:
    pass
sys.stdout.buffer.write(out)
EOF
    STATUS=$(head -c 12 "$BODY" | sed -n 's|^HTTP/1\.[01] \([0-9][0-9][0-9]\).*|\1|p')
    STATUS=${STATUS:-000}
    tr -d '\r' <"$BODY" | sed '/^$/q' >"$HEADERS"
}

# still_serving NAME: the server answers GET / with 200 afterwards.
still_serving() {
    local s
    s=$(curl -g -s -o /dev/null -w '%{http_code}' --max-time 10 "$BASE/")
    if [ "$s" = 200 ]; then
        ok "$1"
    else
        fail "$1" "GET / gives $s"
    fi
}
