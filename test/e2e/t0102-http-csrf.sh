#!/usr/bin/env bash
# ibc — CSRF protection of POST routes, before anyone signs in: the form's
# _csrf field (or the X-CSRF-Token header) must match the ibc_csrf cookie.
# POST /prefs (language and low-vision settings) is the route under test.
. "$(dirname "$0")/lib.sh"

start_server

jar_reset
http GET /prefs
expect_status "the settings page answers" 200
tok=$(csrf_token)
check "the form carries a 64-hex token" test "${#tok}" = 64
check "the cookie jar holds ibc_csrf" grep -q 'ibc_csrf' "$JAR"
http GET /
check "the token stays the same across pages" test "$(csrf_token)" = "$tok"

http POST /prefs --data-urlencode 'lang=en'
expect_status "POST without a token → 403" 403
expect_body_contains "403 says why" "form"
expect_header "403 has the CSP" Content-Security-Policy "default-src 'self'"
expect_tidy "403 page is valid HTML"

# Change the last hex digit (to 0, or to 1 when it is 0 already).
last=${tok: -1}
[ "$last" = 0 ] && wrong=${tok%?}1 || wrong=${tok%?}0
http POST /prefs --data-urlencode 'lang=en' --data-urlencode "_csrf=$wrong"
expect_status "POST with a wrong token → 403" 403

http POST /prefs --data-urlencode 'lang=en' --data-urlencode "_csrf=$tok"
expect_status "POST with the token passes (303 back)" 303
expect_header "it redirects" Location '^/'
expect_header "and sets the language" Set-Cookie '^ibc_lang=en;'
http GET /
expect_body_contains "the next page is in English" 'lang="en"'

http POST /prefs --data-urlencode 'lang=ru' -H "X-CSRF-Token: $tok"
expect_status "the token in X-CSRF-Token passes too" 303

# Another browser (no cookie) cannot reuse the token: it is bound to the
# cookie and the server secret.
cp "$JAR" "$E2E_TMP/jar.saved"
jar_reset
http POST /prefs --data-urlencode 'lang=en' --data-urlencode "_csrf=$tok"
expect_status "the token without its cookie → 403" 403
http POST /prefs --data-urlencode 'lang=en' --data-urlencode "_csrf=$tok" \
    -b 'ibc_csrf=0123456789abcdef0123456789abcdef'
expect_status "the token with another cookie → 403" 403
cp "$E2E_TMP/jar.saved" "$JAR"

http POST /prefs --data-urlencode 'lang=en' -H 'Accept: application/json'
expect_status "JSON client without a token → 403" 403
expect_body_contains "JSON 403 code" '"code":"EPERM"'

# A form that fails validation comes back with a 4xx and the message, not
# a crash and not a bare status.
http POST /prefs --data-urlencode 'lang=xx' --data-urlencode "_csrf=$tok"
expect_status "a bad value is refused with 400" 400
expect_body_contains "the page names the field" 'lang'

stop_server
finish
