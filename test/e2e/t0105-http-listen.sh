#!/usr/bin/env bash
# ibc — where and how `ibc serve` listens (IPv6, both stacks, a taken port,
# bad options), files from --assets-dir, and `ibc test-http`, which runs one
# raw request through the same stack and must answer as the server does.
. "$(dirname "$0")/lib.sh"

# ---- IPv6 ----
if [ -e /proc/net/if_inet6 ] && grep -q '^0*1 ' /proc/net/if_inet6 2>/dev/null; then
    start_server --listen ::1
    check "the serving line shows the IPv6 address" grep -q 'serving http://\[::1\]:' "$SERVER_OUT"
    http GET /
    expect_status "GET over IPv6" 200
    stop_server
    start_server --listen :: --demo-public
    s=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
    check "listening on :: serves IPv4 too" test "$s" = 200
    s=$(curl -g -s -o /dev/null -w '%{http_code}' "http://[::1]:$PORT/")
    check "listening on :: serves IPv6" test "$s" = 200
    stop_server
else
    ok "IPv6: no ::1 on this machine (skipped)"
fi

# ---- refusals at start ----
start_server
"$IBC_BIN" --data "$E2E_TMP/other" --quiet serve --port "$PORT" >"$E2E_TMP/busy.out" 2>&1
rc=$?
check "a taken port: exit status 1" test "$rc" = 1
check "a taken port: says so" grep -q 'Address already in use' "$E2E_TMP/busy.out"
stop_server
"$IBC_BIN" --data "$E2E_TMP/other" serve --trusted 10.0.0.0/99 >"$E2E_TMP/bad.out" 2>&1
check "a bad --trusted is a usage error (2)" test $? = 2
check "and names the entry" grep -q '10.0.0.0/99' "$E2E_TMP/bad.out"
"$IBC_BIN" --data "$E2E_TMP/other" serve --port 70000 >"$E2E_TMP/bad.out" 2>&1
check "a bad --port is a usage error (2)" test $? = 2

# ---- a database from a newer or altered ibc ----
if command -v sqlite3 >/dev/null && [ "${IBC_E2E_PG:-}" != 1 ]; then
    sdata=$E2E_TMP/schema
    "$IBC_BIN" --data "$sdata" --quiet db migrate >/dev/null
    sqlite3 "$sdata/ibc.db" "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (9999, 'future', 'x', '2030-01-01T00:00:00Z')"
    timeout 20 "$IBC_BIN" --data "$sdata" --quiet serve --port 0 >"$E2E_TMP/s.out" 2>&1
    check "a newer schema: refuses to start (1)" test $? = 1
    check "a newer schema: says why" grep -q 'refusing to start' "$E2E_TMP/s.out"
    sqlite3 "$sdata/ibc.db" "DELETE FROM schema_migrations WHERE version = 9999; UPDATE schema_migrations SET checksum = 'x' WHERE version = 1"
    timeout 20 "$IBC_BIN" --data "$sdata" --quiet serve --port 0 >"$E2E_TMP/s.out" 2>&1
    check "an altered schema: refuses to start (1)" test $? = 1
    check "an altered schema: says why" grep -q 'altered' "$E2E_TMP/s.out"
    check "nothing was served" bash -c "! grep -q serving '$E2E_TMP/s.out'"
fi

# ---- --assets-dir: static files from disk ----
assets=$E2E_TMP/assets
mkdir -p "$assets/web"
cp -r "$E2E_ROOT/web/templates" "$E2E_ROOT/web/static" "$assets/web/"
echo 'body { color: red }' >"$assets/web/static/dev.css"
echo 'secret' >"$E2E_TMP/secret.txt"
ln -s "$E2E_TMP/secret.txt" "$assets/web/static/link.txt"
start_server --assets-dir "$assets"
http GET /static/dev.css
expect_status "a file from --assets-dir" 200
expect_body_contains "its content" 'color: red'
expect_header "with an ETag" ETag '^"[0-9a-f]{16}"$'
http GET /static/dev.css -H "If-None-Match: $(header ETag)"
expect_status "and 304 on revalidation" 304
echo 'body { color: blue }' >"$assets/web/static/dev.css"
http GET /static/dev.css
expect_body_contains "an edit shows at once" 'color: blue'
http GET /static/link.txt
expect_status "a symlink out of the folder is not served" 404
http GET /static/../../secret.txt --path-as-is
expect_status "no way up from the folder" 404
http GET /
expect_status "pages render from the folder's templates" 200
stop_server

# ---- ibc test-http ----
tdata=$E2E_TMP/thttp
th() { # th RAW-REQUEST-FILE: the raw response in $BODY, status in $STATUS
    "$IBC_BIN" --data "$tdata" --quiet test-http --demo <"$1" >"$BODY" 2>"$E2E_TMP/th.err"
    STATUS=$(head -c 12 "$BODY" | sed -n 's|^HTTP/1\.1 \([0-9]*\).*|\1|p')
    tr -d '\r' <"$BODY" | sed '/^$/q' >"$HEADERS"
}
printf 'GET / HTTP/1.1\r\nHost: t\r\n\r\n' >"$E2E_TMP/r1"
th "$E2E_TMP/r1"
expect_status "test-http: GET /" 200
expect_header "test-http: the CSP" Content-Security-Policy "default-src 'self'"
expect_header "test-http: Content-Length" Content-Length '^[0-9]+$'
expect_body_contains "test-http: the demo school" '<html'
printf 'GET /%%C0%%AF HTTP/1.1\r\nHost: t\r\n\r\n' >"$E2E_TMP/r2"
th "$E2E_TMP/r2"
expect_status "test-http: invalid UTF-8 → 400 as the server" 400
printf 'POST /prefs HTTP/1.1\r\nHost: t\r\nContent-Length: 2097152\r\n\r\n' >"$E2E_TMP/r3"
th "$E2E_TMP/r3"
expect_status "test-http: 2 MiB → 413 as the server" 413
{ printf 'GET /'; head -c 9000 /dev/zero | tr '\0' a; printf ' HTTP/1.1\r\nHost: t\r\n\r\n'; } >"$E2E_TMP/r4"
th "$E2E_TMP/r4"
expect_status "test-http: long address → 414 as the server" 414
{ printf 'GET / HTTP/1.1\r\nHost: t\r\nX: '; head -c 40000 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } >"$E2E_TMP/r5"
th "$E2E_TMP/r5"
expect_status "test-http: big header → 431 as the server" 431
printf 'GET / HTTP/1.1\r\nHost: t\r\nX: 1\r\n folded\r\n\r\n' >"$E2E_TMP/r6"
th "$E2E_TMP/r6"
expect_status "test-http: obs-fold → 400" 400
printf 'HEAD / HTTP/1.1\r\nHost: t\r\n\r\n' >"$E2E_TMP/r7"
th "$E2E_TMP/r7"
expect_status "test-http: HEAD" 200
check "test-http: HEAD has no body" test "$(sed -n '/^\r$/,$p' "$BODY" | wc -c)" = 2
printf 'GET /static/css/ibc.css HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n' >"$E2E_TMP/r8"
th "$E2E_TMP/r8"
expect_header "test-http: gzip" Content-Encoding '^gzip$'
finish
