#!/usr/bin/env bash
# ibc e2e — the second factor (TOTP) over real HTTP with the demo
# librarian: turning it on at /account/2fa (the key in groups of four, the
# QR code as inline SVG with a text alternative, a wrong code refused, a
# tampered set-up refused, codes computed with `oathtool --totp`), then
# signing in: the password alone gives no session but the code page, a
# wrong code 422 next to the field, the right code a session, the same
# code again refused, ten wrong codes 429 with Retry-After; a person
# without TOTP is not asked; a student may not open /account/2fa; turning
# it off needs a current code. The database holds no secret in clear.
# (Not on PostgreSQL too: the flow waits for new 30-s steps, and the TOTP
# store is tested on both backends by test/unit/test_totp.c.)
. "$(dirname "$0")/lib.sh"

if ! command -v oathtool >/dev/null; then
    echo "# oathtool missing (apt-get install oathtool)"
    fail "oathtool is installed"
    finish
fi

# signin LOGIN PASSWORD [CURL-OPTION...]: GET /signin for a token, then
# POST /signin.
signin() {
    local login=$1 pw=$2
    shift 2
    http GET /signin "$@"
    local tok
    tok=$(csrf_token)
    http POST /signin --data-urlencode "_csrf=$tok" \
        --data-urlencode "login=$login" --data-urlencode "password=$pw" "$@"
}

# send_code CODE [CURL-OPTION...]: POST /signin/code with the token of the
# code page.
send_code() {
    local code=$1
    shift
    http GET /signin/code "$@"
    local tok
    tok=$(csrf_token)
    http POST /signin/code --data-urlencode "_csrf=$tok" \
        --data-urlencode "code=$code" "$@"
}

signout() {
    http GET /prefs
    local tok
    tok=$(csrf_token)
    http POST /signout --data-urlencode "_csrf=$tok"
}

# sql QUERY: one value from the server's database.
sql() {
    if [ -n "$E2E_PG_DB" ]; then
        psql -qtA "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB" -c "$1"
    else
        sqlite3 "$DATA/ibc.db" "$1"
    fi
}

# code_at SECONDS-FROM-NOW: the librarian's code then.
code_at() {
    oathtool --totp -b -N "@$(($(date +%s) + $1))" "$SECRET"
}

# wait_next_step: sleep into the next 30-s step (so that a new code is
# not the one just used).
wait_next_step() {
    local s
    s=$(date +%s)
    sleep $((30 - s % 30 + 1))
}

start_server

# ---- who may open the page ----
signin student demo-student
http GET /account/2fa
expect_status "a student may not open /account/2fa" 403
signout
jar_reset
http GET /account/2fa
expect_status "anonymous: sent to sign in" 303
expect_header "... to /signin" Location '^/signin'

# ---- turning it on ----
signin librarian demo-librarian
expect_status "the librarian signs in (no second factor yet)" 303
http GET /account/2fa
expect_status "the set-up page" 200
expect_body_contains "it is titled" "Вход с кодом из приложения</h1>"
expect_body_contains "the QR code is inline SVG" '<svg xmlns="http://www.w3.org/2000/svg"'
expect_body_contains "... drawn crisp" 'shape-rendering="crispEdges"'
expect_body_contains "... labelled by a text alternative" 'aria-labelledby="totp-qr-label"'
expect_body_contains "... which is on the page" '<figcaption id="totp-qr-label">'
expect_body_contains "the code field is labelled" '<label for="code">Код из приложения</label>'
expect_tidy "the set-up page is valid HTML"
KEY=$(grep -o '<code class="totp-key" id="totp-key">[A-Z2-7 ]*</code>' "$BODY" |
    sed 's/<[^>]*>//g')
check "the key is shown in groups of four" \
    grep -qE '^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$' <<<"$KEY"
SECRET=${KEY// /}
SETUP=$(grep -o 'name="setup" value="[0-9a-f]*"' "$BODY" | sed 's/.*value="\([0-9a-f]*\)"/\1/')
tok=$(csrf_token)
check "the set-up is carried by the form" test -n "$SETUP"

# A wrong code: 422, the message next to the field, TOTP still off.
http POST /account/2fa --data-urlencode "_csrf=$tok" \
    --data-urlencode "action=enable" --data-urlencode "setup=$SETUP" \
    --data-urlencode "code=000000"
if [ "$(code_at 0)" = 000000 ] || [ "$(code_at -30)" = 000000 ]; then
    ok "(skipped: 000000 is the code now)"
else
    expect_status "a wrong code does not turn it on" 422
    expect_body_contains "... said next to the field" 'id="code-error">Неверный код'
    expect_tidy "the page with the error is valid HTML"
fi
check "nothing is stored before confirmation" \
    test "$(sql 'SELECT COUNT(*) FROM person_totp')" = 0
# A tampered set-up: refused, a fresh key offered.
bad=${SETUP:0:60}$(tr 0-9a-f 1-9a-f0 <<<"${SETUP:60:2}")${SETUP:62}
http POST /account/2fa --data-urlencode "_csrf=$tok" \
    --data-urlencode "action=enable" --data-urlencode "setup=$bad" \
    --data-urlencode "code=$(code_at 0)"
expect_status "a tampered set-up is refused" 422
expect_body_contains "... and starts again" 'Настройка устарела'
check "still nothing stored" \
    test "$(sql 'SELECT COUNT(*) FROM person_totp')" = 0

http POST /account/2fa --data-urlencode "_csrf=$tok" \
    --data-urlencode "action=enable" --data-urlencode "setup=$SETUP" \
    --data-urlencode "code=$(code_at 0)"
expect_status "the right code turns it on" 303
http GET /account/2fa
expect_body_contains "the page says it is on" 'Вход с кодом из приложения включён'
expect_body_not_contains "... and shows no key" 'totp-key'
expect_tidy "the 'on' page is valid HTML"
check "one row stored" test "$(sql 'SELECT COUNT(*) FROM person_totp')" = 1
enc=$(sql 'SELECT secret_enc FROM person_totp')
hexsecret=$(python3 -c 'import base64,sys; print(base64.b32decode(sys.argv[1]).hex())' "$SECRET")
check "the stored secret is not the secret in clear" \
    bash -c '! grep -qi -- "$1" <<<"$2" && ! grep -qi -- "$3" <<<"$2"' _ \
    "$hexsecret" "$enc" "$SECRET"
check "the action is audited" \
    test "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'totp.enable'")" = 1
signout

# ---- signing in ----
wait_next_step
jar_reset
signin librarian demo-librarian
expect_status "the right password: not signed in yet" 303
expect_header "... but asked for the code" Location '^/signin/code$'
check "no session cookie yet" bash -c '! grep -q "ibc_session" "$1"' _ "$JAR"
http GET /api/v1/me
expect_status "the pending browser is not signed in" 401
http GET /account/2fa
expect_status "... and may not open staff pages" 303
http GET /signin/code
expect_status "the code page" 200
expect_body_contains "it asks for the code" 'Введите шестизначный код'
expect_tidy "the code page is valid HTML"
wrong=000000
[ "$(code_at 0)" = 000000 ] && wrong=000001
send_code "$wrong"
expect_status "a wrong code: 422" 422
expect_body_contains "... said next to the field" 'id="code-error">Неверный код'
expect_body_contains "... the field marked invalid" 'aria-invalid="true"'
expect_tidy "the code page with the error is valid HTML"
CODE=$(code_at 0)
send_code "$CODE"
expect_status "the right code signs in" 303
http GET /api/v1/me
expect_status "... a real session" 200
expect_body_contains "... as the librarian" '"login":"librarian"'
signout
jar_reset
signin librarian demo-librarian
send_code "$CODE"
expect_status "the same code again is refused" 422
http GET /api/v1/me
expect_status "... and gives no session" 401

# ---- throttling: an attacker who knows the password, elsewhere ----
OWNER_JAR=$JAR
JAR=$E2E_TMP/attacker
: >"$JAR"
attacker=(-H "X-Forwarded-For: 203.0.113.9")
signin librarian demo-librarian "${attacker[@]}"
expect_header "the attacker with the password is asked for the code" \
    Location '^/signin/code$'
n429=0
for i in 1 2 3 4 5 6 7 8 9 10; do
    send_code "$wrong" "${attacker[@]}"
    [ "$STATUS" = 429 ] && n429=$((n429 + 1))
done
expect_status "ten wrong codes: 429" 429
expect_header "... with Retry-After" Retry-After '^[0-9]+$'
check "the limit came before the tenth" test "$n429" -ge 5
expect_body_contains "... said on the page" 'Слишком много неудачных попыток'
signin librarian demo-librarian "${attacker[@]}"
send_code "$(code_at 0)" "${attacker[@]}"
expect_status "a new password sign-in buys no more guesses" 429
JAR=$OWNER_JAR

# ---- a person without TOTP is not asked ----
jar_reset
signin head demo-head
expect_status "the head signs in" 303
expect_header "... straight in, no code" Location '^/$'
http GET /api/v1/me
expect_status "... signed in" 200
signout

# ---- the pending sign-in is nothing without its cookie ----
jar_reset
http GET /signin/code
expect_status "no pending sign-in: back to /signin" 303
expect_header "... to /signin" Location '^/signin$'

# ---- the owner, at their own address, is not locked out ----
jar_reset
signin librarian demo-librarian
expect_header "the owner is asked for the code" Location '^/signin/code$'
wait_next_step
send_code "$(code_at 0)"
expect_status "... and signs in with it" 303

# ---- turning it off ----
http GET /account/2fa
tok=$(csrf_token)
http POST /account/2fa --data-urlencode "_csrf=$tok" \
    --data-urlencode "action=disable" --data-urlencode "code=$wrong"
expect_status "a wrong code does not turn it off" 422
expect_tidy "the 'off' form with an error is valid HTML"
check "still on" test "$(sql 'SELECT COUNT(*) FROM person_totp')" = 1
wait_next_step
http POST /account/2fa --data-urlencode "_csrf=$tok" \
    --data-urlencode "action=disable" --data-urlencode "code=$(code_at 0)"
expect_status "a current code turns it off" 303
check "nothing stored" test "$(sql 'SELECT COUNT(*) FROM person_totp')" = 0
check "the action is audited" \
    test "$(sql "SELECT COUNT(*) FROM audit_log WHERE action = 'totp.disable'")" = 1
signout
jar_reset
signin librarian demo-librarian
expect_header "without TOTP the password is enough again" Location '^/$'

still_serving "still serving"
stop_server
finish
