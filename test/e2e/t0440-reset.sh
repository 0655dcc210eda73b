#!/usr/bin/env bash
# ibc e2e — password reset by e-mail over real HTTP: the sign-in page
# offers it; /reset answers the same page for a known adult, an unknown
# login and a student, and only the adult gets a message in the outbox
# (with the link built from the Host header; the token only in the link,
# its SHA-256 in the table); a bad Host header sends nothing; the link's
# form (errors 422), a good new password (the old sessions end, sign-in
# with the new one, not the old one), the link a second time (410), an
# unknown link (404), the audit rows, at most RESET_PER_PERSON mails per
# person, and the per-address throttle (429 + Retry-After).
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

# sql QUERY: straight on the database.
sql() {
    if [ -n "$E2E_PG_DB" ]; then
        psql -qtA "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB" -c "$1"
    else
        sqlite3 "$DATA/ibc.db" "$1"
    fi
}

outbox_count() {
    sql "SELECT COUNT(*) FROM outbox"
}

# ask WHO [CURL-OPTION...]: GET /reset for a token, POST /reset with WHO.
ask() {
    local who=$1
    shift
    http GET /reset
    local tok
    tok=$(csrf_token)
    http POST /reset --data-urlencode "_csrf=$tok" \
        --data-urlencode "who=$who" "$@"
}

# signin LOGIN PASSWORD: GET /signin for a token, then POST /signin.
signin() {
    http GET /signin
    local tok
    tok=$(csrf_token)
    http POST /signin --data-urlencode "_csrf=$tok" \
        --data-urlencode "login=$1" --data-urlencode "password=$2"
}

SENT='Если такой пользователь есть и у него указана почта, мы отправили письмо со ссылкой'

start_server

# An adult with an address (the CLI), and addresses for the librarian and
# — against the rules, to prove it is never used — for a student.
ibc_cli --org demo user add olga --name "Смирнова Ольга" --role teacher \
    --email olga@example.ru --password old-password-1 >/dev/null
check "an adult with an e-mail exists" test -n "$(sql "SELECT id FROM person WHERE login = 'olga'")"
sql "UPDATE person SET email = 'Lib@Example.ru' WHERE login = 'librarian'" >/dev/null
sql "UPDATE person SET email = 'kid@example.ru' WHERE login = 'student'" >/dev/null
check "the student has an address now" test "$(sql "SELECT email FROM person WHERE login = 'student'")" = kid@example.ru

# ---- the way in ----
http GET /signin
expect_body_contains "the sign-in page offers a reset" '<a href="/reset">Забыли пароль?</a>'
expect_tidy "the sign-in page with the link is valid HTML"
http GET /reset
expect_status "the reset form" 200
expect_body_contains "titled" '<h1 class="page-title">Восстановление пароля</h1>'
expect_body_contains "its field is labelled" '<label for="who">Логин или адрес почты</label>'
expect_body_contains "it carries a CSRF token" 'name="_csrf"'
expect_body_contains "it tells students where to go" 'обратитесь к библиотекарю'
expect_tidy "the reset form is valid HTML"
tok=$(csrf_token)
http POST /reset --data-urlencode "who=olga"
expect_status "without the CSRF token: 403" 403
n0=$(outbox_count)
http POST /reset --data-urlencode "_csrf=$tok" --data-urlencode "who="
expect_status "an empty field: 422" 422
expect_body_contains "... says what is missing" 'Введите логин или адрес почты'
expect_body_contains "... next to the field" 'id="who-error"'
expect_tidy "the form with an error is valid HTML"

# ---- a known adult: one message in the outbox ----
ask olga
expect_status "a known adult: 200" 200
expect_body_contains "the neutral answer" "$SENT"
expect_tidy "the answer page is valid HTML"
cp "$BODY" "$E2E_TMP/known.html"
check "one message queued" test "$(outbox_count)" = $((n0 + 1))
to=$(sql "SELECT to_addr FROM outbox ORDER BY id DESC LIMIT 1")
subject=$(sql "SELECT subject FROM outbox ORDER BY id DESC LIMIT 1")
body=$(sql "SELECT body FROM outbox ORDER BY id DESC LIMIT 1")
check "to the adult's address" test "$to" = olga@example.ru
check "a Russian subject" grep -q 'Восстановление пароля' <<<"$subject"
check "the body names the account" grep -q '«olga»' <<<"$body"
check "the body says how long the link works" grep -q 'Ссылка действует 1 ч' <<<"$body"
link=$(grep -o "http://[^ ]*/reset/[0-9a-f]*" <<<"$body" | head -1)
check "the link is built from the Host header" \
    grep -qx "http://127.0.0.1:$PORT/reset/[0-9a-f]\{64\}" <<<"$link"
token=${link##*/}
hash=$(printf '%s' "$token" | sha256sum | cut -d' ' -f1)
check "the table holds the token's SHA-256" \
    test "$(sql "SELECT COUNT(*) FROM password_reset WHERE token_hash = '$hash'")" = 1
check "... and never the token itself" \
    test "$(sql "SELECT COUNT(*) FROM password_reset WHERE token_hash = '$token'
                 OR created_at LIKE '%$token%' OR expires_at LIKE '%$token%'")" = 0
check "the request is audited" \
    test "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'person.password_reset_request'
                 AND details = 'link sent by e-mail'")" = 1

# ---- nobody, a student: the same page, no message ----
ask nobody-at-all
expect_status "an unknown login: 200" 200
check "an unknown login gets the very same page" cmp -s "$BODY" "$E2E_TMP/known.html"
ask student
expect_status "a student: 200" 200
check "a student gets the very same page" cmp -s "$BODY" "$E2E_TMP/known.html"
check "neither sent anything" test "$(outbox_count)" = $((n0 + 1))
check "the student's request is audited as such" \
    test "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'person.password_reset_request'
                 AND details LIKE 'a student%'")" = 1

# ---- by e-mail address (any case); a forged Host sends nothing ----
ask lib@EXAMPLE.RU
expect_body_contains "by address: the same answer" "$SENT"
check "by address: a message to the librarian" \
    test "$(sql "SELECT to_addr FROM outbox ORDER BY id DESC LIMIT 1")" = Lib@Example.ru
n1=$(outbox_count)
# (curl matches cookies by the Host header: the CSRF cookie goes by hand)
http GET /reset
tok=$(csrf_token)
csrf_cookie=$(awk '$6 == "ibc_csrf" { v = $7 } END { print v }' "$JAR")
http POST /reset --data-urlencode "_csrf=$tok" --data-urlencode "who=olga" \
    -H 'Host: evil.example/x?' -H "Cookie: ibc_csrf=$csrf_cookie"
expect_status "an odd Host header: still the answer" 200
expect_body_contains "... the same words" "$SENT"
check "an odd Host header sends no link" test "$(outbox_count)" = "$n1"
check "... and says why in the audit log" \
    test "$(sql "SELECT COUNT(*) FROM audit_log WHERE details LIKE 'bad Host%'")" = 1

# ---- the link's form ----
jar_reset
http GET "/reset/$token"
expect_status "the link opens the form" 200
expect_body_contains "the form names the account" 'value="olga"'
expect_body_contains "new password field" '<label for="new">Новый пароль</label>'
expect_body_contains "repeat field" '<label for="repeat">Повторите новый пароль</label>'
expect_header "no Referer leaves the page" Referrer-Policy '^no-referrer$'
expect_tidy "the new-password form is valid HTML"
ftok=$(csrf_token)
http POST "/reset/$token" --data-urlencode "_csrf=$ftok" \
    --data-urlencode "new=brand-new-pass-7" --data-urlencode "repeat=brand-new-pass-8"
expect_status "a mismatch: 422" 422
expect_body_contains "... says so" 'Пароли не совпадают'
expect_tidy "the form with an error is valid HTML"
http POST "/reset/$token" --data-urlencode "_csrf=$ftok" \
    --data-urlencode "new=short" --data-urlencode "repeat=short"
expect_status "too short: 422" 422
expect_body_contains "... says so" 'не короче 8 символов'
http POST "/reset/$token" --data-urlencode "_csrf=$ftok" \
    --data-urlencode "new=olga" --data-urlencode "repeat=olga"
expect_status "the login as password: 422" 422
http POST "/reset/$token" --data-urlencode "new=brand-new-pass-7" \
    --data-urlencode "repeat=brand-new-pass-7"
expect_status "without the CSRF token: 403" 403

# olga is signed in elsewhere: that session must end
OTHER=$E2E_TMP/jar-olga
cp "$JAR" "$E2E_TMP/jar-anon"
JAR=$OTHER
: >"$JAR"
signin olga old-password-1
expect_status "olga signs in with the old password" 303
http GET /api/v1/me
expect_status "... and is signed in" 200
JAR=$E2E_TMP/jar-anon

http POST "/reset/$token" --data-urlencode "_csrf=$ftok" \
    --data-urlencode "new=brand-new-pass-7" --data-urlencode "repeat=brand-new-pass-7"
expect_status "a good new password: 303" 303
expect_header "... back to sign-in with a notice" Location '^/signin\?reset=done$'
http GET "/signin?reset=done"
expect_body_contains "the notice" 'Пароль изменён. Войдите с новым паролем.'
expect_tidy "sign-in with the notice is valid HTML"
check "the reset is audited" \
    test "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'person.password_reset'")" = 1
check "the password need not change again" \
    test "$(sql "SELECT must_change_password FROM person WHERE login = 'olga'")" = 0 -o \
    "$(sql "SELECT must_change_password FROM person WHERE login = 'olga'")" = f

JAR=$OTHER
http GET /api/v1/me
expect_status "the other session has ended" 401
JAR=$E2E_TMP/jar-anon
jar_reset
signin olga old-password-1
expect_status "the old password fails" 422
signin olga brand-new-pass-7
expect_status "the new password signs in" 303
http GET /api/v1/me
expect_body_contains "... as olga" '"login":"olga"'

# ---- the link a second time, an unknown link ----
jar_reset
http GET "/reset/$token"
expect_status "the used link: 410" 410
expect_body_contains "... says it was used" 'Эта ссылка уже использована'
expect_body_contains "... offers a new one" '<a href="/reset">Запросить новую ссылку</a>'
expect_body_not_contains "... and no form" 'name="new"'
expect_tidy "the used-link page is valid HTML"
http GET /reset
ftok=$(csrf_token)
http POST "/reset/$token" --data-urlencode "_csrf=$ftok" \
    --data-urlencode "new=third-pass-999" --data-urlencode "repeat=third-pass-999"
expect_status "posting to the used link: 410" 410
signin olga third-pass-999
expect_status "... set nothing" 422
jar_reset
http GET "/reset/$(printf '%064d' 7)"
expect_status "an unknown link: 404" 404
expect_body_contains "... says so" 'Ссылка для восстановления пароля не найдена'
expect_tidy "the unknown-link page is valid HTML"
http GET "/reset/not-a-token"
expect_status "a malformed link: 404" 404
# an expired link: its row made old in the database
ask olga
token2=$(sql "SELECT body FROM outbox ORDER BY id DESC LIMIT 1" |
    grep -o "/reset/[0-9a-f]\{64\}" | head -1)
token2=${token2##*/}
hash2=$(printf '%s' "$token2" | sha256sum | cut -d' ' -f1)
sql "UPDATE password_reset SET expires_at = '2020-01-01T00:00:00Z'
     WHERE token_hash = '$hash2'" >/dev/null
http GET "/reset/$token2"
expect_status "an expired link: 410" 410
expect_body_contains "... says so" 'Срок действия ссылки истёк'

# ---- at most 3 mails per person per hour, then 429 per address ----
olga_mails() {
    sql "SELECT COUNT(*) FROM outbox WHERE to_addr = 'olga@example.ru'"
}
ask olga
check "a third mail to olga" test "$(olga_mails)" = 3
ask olga
expect_body_contains "a fourth request: the same answer" "$SENT"
check "... but no fourth mail" test "$(olga_mails)" = 3
codes=
for i in 1 2 3 4; do
    ask nobody-at-all
    codes="$codes $STATUS"
done
check "requests per address are throttled ($codes)" grep -q 429 <<<"$codes"
expect_status "the last is 429" 429
expect_header "... with Retry-After" Retry-After '^[0-9]+$'
expect_body_contains "... and says why" 'Слишком много запросов'

still_serving "still serving"
stop_server
finish
