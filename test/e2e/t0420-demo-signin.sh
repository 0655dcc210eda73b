#!/usr/bin/env bash
# ibc e2e — the demo school's accounts have published passwords: they sign
# in only while the server runs with --demo (through `ibc test-http`, the
# same stack without sockets).
. "$(dirname "$0")/lib.sh"

D=$E2E_TMP/demo-data
"$IBC_BIN" --data "$D" --quiet demo >/dev/null
check "demo school created" test -f "$D/ibc.db"

# signin [--demo]: GET /signin for a token, then POST the librarian's
# demo password; prints the status of the POST.
signin() {
    local page cookie tok body
    page=$(printf 'GET /signin HTTP/1.1\r\nHost: t\r\n\r\n' |
        "$IBC_BIN" --data "$D" --quiet test-http "$@")
    cookie=$(grep -o -m1 'ibc_csrf=[0-9a-f]*' <<<"$page")
    tok=$(grep -o -m1 'name="_csrf" value="[0-9a-f]*"' <<<"$page" |
        sed 's/.*value="\([0-9a-f]*\)"/\1/')
    body="_csrf=$tok&login=librarian&password=demo-librarian&back=%2F"
    printf 'POST /signin HTTP/1.1\r\nHost: t\r\nCookie: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s' \
        "$cookie" "${#body}" "$body" |
        "$IBC_BIN" --data "$D" --quiet test-http "$@" | head -1 | awk '{print $2}'
}

check "with --demo the demo librarian signs in (303)" test "$(signin --demo)" = 303
check "without --demo the demo password is refused (422)" test "$(signin)" = 422
finish
