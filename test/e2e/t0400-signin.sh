#!/usr/bin/env bash
# ibc e2e — sign-in over real HTTP: the form and its errors (422, one
# message for a wrong login or password), the session cookie (name, flags,
# a new id at every sign-in, gone at sign-out), the header with the
# person's name, GET /api/v1/me, the forced password change, throttling
# (429 + Retry-After for the attacker, never a lockout for the owner), API
# tokens (Bearer, read/write scope, revocation) and the CSRF token bound to
# the session.
# e2e-pg: yes   (test/run.sh runs this file on PostgreSQL too)
. "$(dirname "$0")/lib.sh"

# ibc_cli ARGS...: the CLI on the server's database.
ibc_cli() {
    local db=()
    if [ -n "$E2E_PG_DB" ]; then
        db=(--db "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB")
    fi
    "$IBC_BIN" --data "$DATA" "${db[@]}" --quiet "$@"
}

# signin LOGIN PASSWORD [CURL-OPTION...]: GET /signin for a token, then
# POST /signin with it (the jar keeps the cookies).
signin() {
    local login=$1 pw=$2
    shift 2
    http GET /signin "$@"
    local tok
    tok=$(csrf_token)
    http POST /signin --data-urlencode "_csrf=$tok" \
        --data-urlencode "login=$login" --data-urlencode "password=$pw" "$@"
}

# bare METHOD PATH [CURL-OPTION...]: like http, without the cookie jar
# (cookies only from -b options).
bare() {
    local jar=$JAR
    JAR=/dev/null
    http "$@"
    JAR=$jar
}

# cookie_value NAME: the value of a cookie in the jar ("" when absent).
cookie_value() {
    awk -v n="$1" '$6 == n { v = $7 } END { print v }' "$JAR"
}

start_server

# ---- the form ----
http GET /
expect_body_contains "the header offers sign-in" 'href="/signin?back=%2F"'
http GET /signin
expect_status "sign-in page" 200
expect_body_contains "titled Вход" "<h1 class=\"page-title\">Вход</h1>"
expect_body_contains "login field labelled" '<label for="login">Логин</label>'
expect_body_contains "password field labelled" '<label for="password">Пароль</label>'
expect_body_contains "the button says Войти" '>Войти</button>'
expect_body_contains "the form has a CSRF token" 'name="_csrf"'
expect_tidy "sign-in page is valid HTML"
tok=$(csrf_token)

http POST /signin --data-urlencode "_csrf=$tok" --data-urlencode "login=student" \
    --data-urlencode "password=wrong-password"
expect_status "wrong password: 422" 422
expect_body_contains "wrong password message" "Неверный логин или пароль"
expect_body_contains "the message is next to the password" 'id="password-error"'
expect_body_contains "the login typed is kept" 'value="student"'
expect_no_header "no session on failure" Set-Cookie
expect_tidy "the form with an error is valid HTML"
http POST /signin --data-urlencode "_csrf=$tok" --data-urlencode "login=nobody-here" \
    --data-urlencode "password=demo-student"
expect_status "unknown login: 422" 422
expect_body_contains "the same message for an unknown login" "Неверный логин или пароль"
http POST /signin --data-urlencode "_csrf=$tok" --data-urlencode "login=" \
    --data-urlencode "password=x"
expect_status "empty login: 422" 422
expect_body_contains "empty login message" "Введите логин"
http POST /signin --data-urlencode "login=student" --data-urlencode "password=demo-student"
expect_status "sign-in without the CSRF token: 403" 403

# ---- a good sign-in ----
jar_reset
signin student demo-student --data-urlencode "back=/news"
expect_status "sign-in redirects" 303
expect_header "back where the visitor came from" Location '^/news$'
expect_header "session cookie set" Set-Cookie '^ibc_session=[0-9a-f]{64}; Path=/; SameSite=Lax; HttpOnly$'
first=$(cookie_value ibc_session)
http GET /
expect_status "home when signed in" 200
expect_body_contains "the header names the person" "Иванов Артём"
expect_body_contains "the header offers sign-out" '>Выйти</button>'
expect_body_not_contains "no sign-in link when signed in" 'href="/signin'
expect_tidy "signed-in home is valid HTML"
http GET /api/v1/me
expect_status "who am I" 200
expect_header "JSON" Content-Type "application/json"
expect_body_contains "me: login" '"login":"student"'
expect_body_contains "me: name" '"name":"Иванов Артём"'
expect_body_contains "me: roles" '"roles":["student"]'
expect_body_contains "me: class" '"name":"5А"'
expect_body_contains "me: school" '"code":"demo"'
http GET /no/such/page
expect_status "an unknown page when signed in" 404
expect_body_contains "its header still names the person" "Иванов Артём"

# a new session id at every sign-in (here: signing in again while signed
# in, with the page's session-bound token); the old one is dead
http GET /signin
expect_status "the sign-in page sends the signed-in home" 303
http GET /
tok=$(csrf_token)
http POST /signin --data-urlencode "_csrf=$tok" --data-urlencode "login=student" \
    --data-urlencode "password=demo-student"
expect_status "signing in again" 303
second=$(cookie_value ibc_session)
check "a new session id at the second sign-in" test "$first" != "$second" -a -n "$second"
bare GET /api/v1/me -b "ibc_session=$first"
expect_status "the replaced session is gone" 401
http GET /api/v1/me
expect_status "the new session works" 200

# the CSRF token is bound to the session: an anonymous one no longer works
jar_anon=$E2E_TMP/anon.jar
anon_tok=$(curl -s -c "$jar_anon" -b "$jar_anon" "$BASE/signin" |
    grep -o 'name="_csrf" value="[0-9a-f]*"' | head -1 | sed 's/.*value="\([0-9a-f]*\)"/\1/')
anon_csrf=$(awk '$6 == "ibc_csrf" { print $7 }' "$jar_anon")
bare POST /signout -b "ibc_csrf=$anon_csrf; ibc_session=$second" --data-urlencode "_csrf=$anon_tok"
expect_status "an anonymous CSRF token does not sign out a session" 403
http GET /
tok=$(grep -o 'action="/signout"[^<]*<input type="hidden" name="_csrf" value="[0-9a-f]*"' "$BODY" | sed 's/.*value="\([0-9a-f]*\)"/\1/')
[ -n "$tok" ] || tok=$(csrf_token)
http POST /signout --data-urlencode "_csrf=$tok"
expect_status "sign-out redirects" 303
expect_header "sign-out deletes the cookie" Set-Cookie '^ibc_session=; Path=/; Max-Age=0'
http GET /api/v1/me
expect_status "signed out: the API wants sign-in" 401
bare GET /api/v1/me -b "ibc_session=$second"
expect_status "the signed-out session cannot be replayed" 401
http GET /password
expect_status "a page for the signed-in sends to sign-in" 303
expect_header "with the way back" Location '^/signin\?back=/password$'

# an open redirect through back is refused
jar_reset
signin student demo-student --data-urlencode "back=//evil.example/"
expect_header "no redirect off the site" Location '^/$'

# ---- cookies under TLS (a trusted proxy says https) ----
jar_reset
tls_proxy=(-H "X-Forwarded-For: 192.0.2.10" -H "X-Forwarded-Proto: https")
signin student demo-student "${tls_proxy[@]}"
expect_header "__Host- cookie under TLS" Set-Cookie '^__Host-ibc_session=[0-9a-f]{64}; Path=/; SameSite=Lax; HttpOnly; Secure$'
tls=$(grep -o '__Host-ibc_session=[0-9a-f]*' "$HEADERS" | head -1 | cut -d= -f2)
bare GET /api/v1/me "${tls_proxy[@]}" -b "__Host-ibc_session=$tls"
expect_status "the TLS session works over TLS" 200
bare GET /api/v1/me "${tls_proxy[@]}" -b "ibc_session=$tls"
expect_status "under TLS only the __Host- name is read" 401
bare GET /api/v1/me -b "__Host-ibc_session=$tls"
expect_status "over plain HTTP only the plain name is read" 401

# ---- the forced password change ----
ibc_cli user passwd student3 --password 'slip-pass-77' >/dev/null 2>&1
jar_reset
signin student3 slip-pass-77
expect_status "sign-in with a slip password" 303
expect_header "sent to change the password" Location '^/password$'
http GET /
expect_status "other pages wait for the change" 303
expect_header "... back to /password" Location '^/password$'
http GET /api/v1/me
expect_status "the API waits for the change too" 403
http GET /static/css/ibc.css
expect_status "static files are open" 200
http GET /password
expect_status "the change page" 200
expect_body_contains "change page title" "Смена пароля"
expect_body_contains "change page explains why" "придумайте свой пароль"
expect_tidy "change page is valid HTML"
tok=$(csrf_token)
chpw() {
    http POST /password --data-urlencode "_csrf=$tok" --data-urlencode "current=$1" \
        --data-urlencode "new=$2" --data-urlencode "repeat=$3"
}
chpw wrong-current 'new-pass-123' 'new-pass-123'
expect_status "wrong current password: 422" 422
expect_body_contains "wrong current message" "Текущий пароль указан неверно"
chpw slip-pass-77 'short' 'short'
expect_status "a short password: 422" 422
expect_body_contains "short message" "не короче 8 символов"
chpw slip-pass-77 'student3' 'student3'
expect_status "the login as the password: 422" 422
expect_body_contains "login message" "не должен совпадать с логином"
chpw slip-pass-77 'new-pass-123' 'new-pass-124'
expect_status "repeat differs: 422" 422
expect_body_contains "mismatch message" "Пароли не совпадают"
expect_body_contains "the error is next to the field" 'id="repeat-error"'
expect_tidy "change page with an error is valid HTML"
chpw slip-pass-77 'new-pass-123' 'new-pass-123'
expect_status "password changed" 303
http GET /
expect_status "pages open after the change" 200
jar_reset
signin student3 slip-pass-77
expect_status "the old password no longer works" 422
signin student3 new-pass-123
expect_status "the new password works" 303
expect_header "... and goes home" Location '^/$'

# ---- throttling: the attacker gets 429, the owner still gets in ----
jar_reset
attacker=(-H "X-Forwarded-For: 203.0.113.9")
codes=
for i in 1 2 3 4 5 6 7 8 9 10; do
    signin student2 "guess-$i" "${attacker[@]}"
    codes="$codes $STATUS"
done
check "the first wrong passwords get 422, then 429" \
    test "$codes" = " 422 422 422 422 422 429 429 429 429 429"
expect_header "429 says when to retry" Retry-After '^[0-9]+$'
expect_body_contains "429 says why" "Слишком много неудачных попыток"
signin student2 demo-student "${attacker[@]}"
expect_status "even the right password is not checked for the attacker" 429
jar_reset
signin student2 demo-student -H "X-Forwarded-For: 198.51.100.7"
expect_status "the owner signs in from another address" 303
http GET /api/v1/me -H "X-Forwarded-For: 198.51.100.7"
expect_body_contains "... as themselves" '"login":"student2"'

# many accounts from one address: a higher limit, then 429 for the address
jar_reset
nat=(-H "X-Forwarded-For: 203.0.113.50")
http GET /signin "${nat[@]}"
tok=$(csrf_token)
codes=
for i in $(seq 1 51); do
    http POST /signin --data-urlencode "_csrf=$tok" --data-urlencode "login=pupil$i" \
        --data-urlencode "password=x-$i" "${nat[@]}"
    codes="$codes $STATUS"
done
check "50 failures from one address are answered, the 51st is throttled" \
    test "$(tr ' ' '\n' <<<"$codes" | grep -c 422) $(tr ' ' '\n' <<<"$codes" | tail -1)" = "50 429"
signin student demo-student -H "X-Forwarded-For: 203.0.113.51"
expect_status "a neighbouring address is not affected" 303

# ---- API tokens ----
jar_reset
read_tok=$(ibc_cli user token librarian)
write_tok=$(ibc_cli user token librarian --scope write --name import)
check "a token is printed" grep -qE '^ibc_[0-9a-f]{64}$' <<<"$read_tok"
http GET /api/v1/me -H "Authorization: Bearer $read_tok"
expect_status "a read token reads" 200
expect_body_contains "as its person" '"login":"librarian"'
expect_body_contains "by token" '"via":"token"'
expect_no_header "no session cookie for a token" Set-Cookie
http POST /prefs -H "Authorization: Bearer $read_tok" --data-urlencode "lang=en"
expect_status "a read token cannot write" 403
http POST /prefs -H "Authorization: Bearer $write_tok" --data-urlencode "lang=en"
expect_status "a write token needs no CSRF token" 303
http GET "/api/v1/me?access_token=$read_tok"
expect_status "a token in the URL is ignored" 401
http GET /api/v1/me -H "Authorization: Bearer ibc_0000000000000000000000000000000000000000000000000000000000000000"
expect_status "an unknown token: 401" 401
expect_header "401 names the scheme" WWW-Authenticate 'Bearer'
http GET /api/v1/me -H "Authorization: Bearer garbage"
expect_status "a malformed token: 401" 401
list=$(ibc_cli user token librarian --list)
check "the list shows both tokens" test "$(grep -c live <<<"$list")" = 2
check "the list shows the last use" grep -qE '^[0-9]+ +read +live +[0-9T:Z-]+ +20[0-9T:Z-]+ ' <<<"$list"
read_id=$(awk '$2 == "read" { print $1 }' <<<"$list")
ibc_cli user token librarian --revoke "$read_id"
check "revoking succeeds" test $? = 0
http GET /api/v1/me -H "Authorization: Bearer $read_tok"
expect_status "a revoked token: 401" 401
http GET /api/v1/me -H "Authorization: Bearer $write_tok"
expect_status "the other token still works" 200
ibc_cli user token librarian --revoke "$read_id" 2>/dev/null
check "revoking twice fails" test $? != 0
ibc_cli user token nobody-here >/dev/null 2>&1
check "a token for an unknown login fails" test $? != 0

still_serving "still serving after all that"
stop_server
finish
