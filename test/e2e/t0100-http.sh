#!/usr/bin/env bash
# ibc — the HTTP layer over a real socket: security headers and CSP on pages,
# static files and errors; 404 and 405; HEAD; gzip when asked (and the same
# page when unpacked) and not otherwise; static ETag/304 and immutable
# caching of versioned URLs; JSON errors for clients that ask for JSON.
# e2e-pg: yes
. "$(dirname "$0")/lib.sh"

CSP="default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

# expect_security NAME: every header every response must carry.
expect_security() {
    local v
    v=$(header Content-Security-Policy)
    if [ "$v" = "$CSP" ]; then ok "$1: strict CSP"; else fail "$1: strict CSP" "'$v'"; fi
    expect_header "$1: nosniff" X-Content-Type-Options '^nosniff$'
    expect_header "$1: Referrer-Policy" Referrer-Policy '^same-origin$'
    expect_header "$1: X-Frame-Options" X-Frame-Options '^DENY$'
    expect_header "$1: COOP" Cross-Origin-Opener-Policy '^same-origin$'
    expect_header "$1: Permissions-Policy" Permissions-Policy 'camera=\(\).*microphone=\(\).*geolocation=\(\)'
    expect_header "$1: request id" X-Request-Id '^[0-9a-f]{16}$'
}

start_server

# ---- a page ----
http GET /
expect_status "home page answers" 200
expect_security "home page"
expect_header "home page is UTF-8 HTML" Content-Type '^text/html; charset=utf-8$'
expect_header "home page is not cached" Cache-Control '^no-store$'
expect_header "home page varies by encoding" Vary 'Accept-Encoding'
expect_no_header "home page is not compressed unasked" Content-Encoding
expect_header "a CSRF cookie is set, HttpOnly, SameSite=Lax" Set-Cookie \
    '^ibc_csrf=[0-9a-f]{32}; Path=/; SameSite=Lax; HttpOnly$'
expect_tidy "home page is valid HTML"
cp "$BODY" "$E2E_TMP/home.html"
home_len=$(stat -c %s "$BODY")
css_url=$(grep -o 'href="/static/css/ibc.css?v=[0-9a-f]*"' "$BODY" | head -1 |
    sed 's/href="\(.*\)"/\1/')
check "the layout links a versioned stylesheet" test -n "$css_url"

# ---- HEAD ----
http HEAD /
expect_status "HEAD / answers" 200
expect_header "HEAD has the length of GET" Content-Length "^$home_len\$"
check "HEAD has no body" test ! -s "$BODY"
expect_security "HEAD /"

# ---- gzip ----
http GET / -H 'Accept-Encoding: gzip'
expect_status "gzip: page answers" 200
expect_header "gzip: Content-Encoding" Content-Encoding '^gzip$'
expect_header "gzip: Vary" Vary 'Accept-Encoding'
if gzip -dc <"$BODY" >"$E2E_TMP/unz.html" 2>/dev/null &&
    cmp -s "$E2E_TMP/unz.html" "$E2E_TMP/home.html"; then
    ok "gzip: unpacks to the same page"
else
    fail "gzip: unpacks to the same page"
fi
check "gzip: smaller" test "$(stat -c %s "$BODY")" -lt "$home_len"
http GET / -H 'Accept-Encoding: gzip;q=0, deflate'
expect_no_header "gzip;q=0 is respected" Content-Encoding
http GET /static/robots.txt -H 'Accept-Encoding: gzip'
expect_status "small static file answers" 200
expect_no_header "small bodies are not compressed" Content-Encoding

# ---- static files ----
http GET /static/css/ibc.css
expect_status "stylesheet answers" 200
expect_security "stylesheet"
expect_header "stylesheet type" Content-Type '^text/css; charset=utf-8$'
expect_header "unversioned static URL is revalidated" Cache-Control '^no-cache$'
expect_header "stylesheet has a strong ETag" ETag '^"[0-9a-f]{16}"$'
etag=$(header ETag)
css_len=$(stat -c %s "$BODY")
http GET /static/css/ibc.css -H "If-None-Match: $etag"
expect_status "If-None-Match gives 304" 304
check "304 has no body" test ! -s "$BODY"
expect_header "304 repeats the ETag" ETag "^$etag\$"
http GET /static/css/ibc.css -H 'If-None-Match: "0000000000000000", W/'"$etag"
expect_status "a list with a weak match gives 304" 304
http GET /static/css/ibc.css -H 'If-None-Match: "0000000000000000"'
expect_status "another ETag gives 200" 200
http GET /static/css/ibc.css -H 'Accept-Encoding: gzip'
expect_header "stylesheet gzipped when asked" Content-Encoding '^gzip$'
expect_header "gzipped variant has its own ETag" ETag '^"[0-9a-f]{16}-gz"$'
gz_etag=$(header ETag)
if gzip -dc <"$BODY" | cmp -s - <(curl -s "$BASE/static/css/ibc.css"); then
    ok "gzipped stylesheet unpacks to the file"
else
    fail "gzipped stylesheet unpacks to the file"
fi
http GET /static/css/ibc.css -H 'Accept-Encoding: gzip' -H "If-None-Match: $gz_etag"
expect_status "gzipped variant revalidates to 304" 304
http GET "$css_url"
expect_status "versioned stylesheet answers" 200
expect_header "versioned URL is cached for a year" Cache-Control \
    '^public, max-age=31536000, immutable$'
http GET "/static/css/ibc.css?v=0123456789abcdef"
expect_header "a stale version is not cached as immutable" Cache-Control '^no-cache$'
http HEAD /static/css/ibc.css
expect_status "HEAD on a static file" 200
expect_header "HEAD static length" Content-Length "^$css_len\$"
http GET /static/img/logo.svg
expect_header "SVG type" Content-Type '^image/svg\+xml; charset=utf-8$'

for p in /static/nope.css /static/../src/main.c /static/%2e%2e/src/main.c \
    /static/css/../../../etc/passwd /static/.hidden /static/ /static//css/ibc.css; do
    http GET "$p" --path-as-is
    expect_status "no static file at $p" 404
done
expect_security "static 404"

# ---- errors ----
http GET /no/such/page
expect_status "unknown page is 404" 404
expect_security "404 page"
expect_header "404 page is HTML" Content-Type '^text/html; charset=utf-8$'
expect_header "404 page is not cached" Cache-Control '^no-store$'
expect_body_contains "404 page shows the request id" "$(header X-Request-Id)"
expect_tidy "404 page is valid HTML"

http POST /
expect_status "POST / is 405" 405
expect_header "405 names what is allowed" Allow '^GET, HEAD$'
expect_security "405 page"
expect_tidy "405 page is valid HTML"
http DELETE /prefs
expect_status "DELETE /prefs is 405" 405
expect_header "405 lists GET, HEAD and POST" Allow '^GET, HEAD, POST$'

http GET /no/such/page -H 'Accept: application/json'
expect_status "JSON client: 404" 404
expect_header "JSON client gets JSON" Content-Type '^application/json; charset=utf-8$'
expect_body_contains "JSON error code" '"code":"ENOTFOUND"'
expect_body_contains "JSON error message" '"message":'
check "JSON error parses" python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["error"]["code"]=="ENOTFOUND"' "$BODY"

http GET '/%C0%AF'
expect_status "invalid UTF-8 in the path is 400" 400
expect_security "400 page"
expect_tidy "400 page is valid HTML"

# ---- keep-alive: several requests on one connection ----
n=$(curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{num_connects}\n' \
    "$BASE/" "$BASE/static/css/ibc.css" "$BASE/news" | paste -sd+ | bc)
check "keep-alive: three requests over one connection" test "$n" = 1

stop_server
finish
