#!/usr/bin/env bash
# ibc e2e — HTTPS with --tls-cert/--tls-key (libmicrohttpd + GnuTLS):
# Secure cookies and HSTS; and, when the tests run as root, --user: the
# server gives root up after binding and owns its data folder (0700).
. "$(dirname "$0")/lib.sh"

cert=$E2E_TMP/cert.pem
key=$E2E_TMP/key.pem
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$key" -out "$cert" \
    -days 2 -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1" \
    >/dev/null 2>&1
check "a test certificate was made" test -s "$cert"

start_tls() {
    local n
    n=$(find "$E2E_TMP" -maxdepth 1 -name 'tls*' | wc -l)
    DATA=$E2E_TMP/tls$n
    "$IBC_BIN" --data "$DATA" --quiet serve --port 0 --demo "$@" \
        >"$E2E_TMP/tls$n.out" 2>"$E2E_TMP/tls$n.err" &
    SERVER_PID=$!
    local i line=
    for ((i = 0; i < E2E_WAIT * 10; i++)); do
        line=$(grep -m1 ' serving https://' "$E2E_TMP/tls$n.out" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    PORT=$(sed -n 's|.* serving https://[^ ]*:\([0-9][0-9]*\)/ .*|\1|p' <<<"$line")
    SERVER_ERR=$E2E_TMP/tls$n.err
}

start_tls --tls-cert "$cert" --tls-key "$key"
check "the serving line says https" test -n "$PORT"
out=$E2E_TMP/h
curl -s -D "$out" -o "$E2E_TMP/b" --cacert "$cert" "https://127.0.0.1:$PORT/"
check "HTTPS answers 200" grep -q "^HTTP/1.1 200" "$out"
check "HSTS over HTTPS" grep -qi "^Strict-Transport-Security: max-age=31536000" "$out"
check "cookies are Secure over HTTPS" grep -qi "^Set-Cookie: .*; Secure" "$out"
check "the page is the school's" grep -q "Школа № 12" "$E2E_TMP/b"
# Signing in over HTTPS: the session cookie is __Host- prefixed and Secure.
jar=$E2E_TMP/tlsjar
tok=$(curl -s -c "$jar" --cacert "$cert" "https://127.0.0.1:$PORT/signin" |
    grep -o -m1 'name="_csrf" value="[0-9a-f]*"' | sed 's/.*value="//; s/"//')
curl -s -D "$out" -o /dev/null -b "$jar" -c "$jar" --cacert "$cert" \
    --data-urlencode "_csrf=$tok" --data-urlencode "login=librarian" \
    --data-urlencode "password=demo-librarian" "https://127.0.0.1:$PORT/signin"
check "sign-in over HTTPS succeeds" grep -q "^HTTP/1.1 303" "$out"
check "the session cookie is __Host-ibc_session" grep -qi "^Set-Cookie: __Host-ibc_session=" "$out"
check "… Secure, HttpOnly, SameSite=Lax, Path=/" bash -c "grep -i '^Set-Cookie: __Host-ibc_session=' '$out' | grep -i 'Secure' | grep -i 'HttpOnly' | grep -i 'SameSite=Lax' | grep -qi 'Path=/'"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/")
check "plain HTTP to the TLS port gets no page" test "$code" != 200
stop_server

# Half a pair, or a missing file, is refused at start with a clear message.
"$IBC_BIN" --data "$E2E_TMP/x1" serve --port 0 --tls-cert "$cert" \
    >/dev/null 2>"$E2E_TMP/e1"
check "--tls-cert alone is refused" grep -q "needs both --tls-cert and --tls-key" "$E2E_TMP/e1"
"$IBC_BIN" --data "$E2E_TMP/x2" serve --port 0 --tls-cert /nonexistent \
    --tls-key "$key" >/dev/null 2>"$E2E_TMP/e2"
check "a missing certificate file is named" grep -q "/nonexistent" "$E2E_TMP/e2"

# Plain HTTP: no HSTS, cookies not Secure.
start_server
http GET /
expect_no_header "no HSTS over plain HTTP" Strict-Transport-Security
check "cookies not Secure over plain HTTP" bash -c "! grep -qi '^Set-Cookie: .*Secure' '$HEADERS'"
stop_server

if [ "$(id -u)" = 0 ] && id ibctest >/dev/null 2>&1; then
    start_server --user ibctest
    uid=$(awk '/^Uid:/ {print $2}' "/proc/$SERVER_PID/status")
    check "--user: the server runs as that user" test "$uid" = "$(id -u ibctest)"
    check "--user: the data folder is its own" test "$(stat -c %U "$DATA")" = ibctest
    check "--user: the data folder is 0700" test "$(stat -c %a "$DATA")" = 700
    check "--user: the database is its own" test "$(stat -c %U "$DATA/ibc.db")" = ibctest
    http GET /
    expect_status "--user: still serves" 200
    stop_server
    "$IBC_BIN" --data "$E2E_TMP/x3" serve --port 0 --user no-such-user-x \
        >/dev/null 2>"$E2E_TMP/e3"
    check "--user with an unknown user is refused" grep -q "no such user" "$E2E_TMP/e3"
else
    echo "# not root (or no ibctest user): --user checks skipped"
fi
finish
