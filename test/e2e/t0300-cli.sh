#!/usr/bin/env bash
# ibc e2e — the command line: help, version, usage errors, db migrate and
# status, demo, and start-up refusing broken templates with file and line.
. "$(dirname "$0")/lib.sh"

out=$E2E_TMP/out
err=$E2E_TMP/err
D=$E2E_TMP/cli-data

run() { "$IBC_BIN" "$@" >"$out" 2>"$err"; echo $? >"$E2E_TMP/rc"; }
rc() { cat "$E2E_TMP/rc"; }

run help
check "ibc help exits 0" test "$(rc)" = 0
check "help lists serve" grep -q "^  serve " "$out"
check "help lists db migrate" grep -q "^  db migrate " "$out"
check "help hides test commands" bash -c "! grep -q test-http '$out'"
check "help names the shared options" grep -q -- "--data DIR" "$out"
run help serve
check "help serve explains --workers" grep -q -- "--workers N" "$out"
run serve --help
check "serve --help is help serve" grep -q -- "--listen ADDR" "$out"
run version
check "version names itself and SQLite" grep -q "^ibc [0-9]" "$out"
check "version names the libraries" grep -q "SQLite 3" "$out"
run frobnicate
check "unknown command exits 2" test "$(rc)" = 2
check "unknown command says so" grep -q 'no command "frobnicate"' "$err"
run serve --port 99999
check "bad port exits 2" test "$(rc)" = 2
check "bad port says why" grep -q "from 0 to 65535" "$err"
run serve --bogus
check "unknown option exits 2" test "$(rc)" = 2
check "unknown option is named" grep -q -- "--bogus" "$err"

run --data "$D" db status
check "status of a new database exits 1" test "$(rc)" = 1
check "status shows pending migrations" grep -q "pending" "$out"
run --data "$D" db migrate
check "migrate exits 0" test "$(rc)" = 0
check "migrate says what it did" grep -q "applied, schema current" "$out"
run --data "$D" db status
check "status after migrate exits 0" test "$(rc)" = 0
check "status lists 0001 core applied" grep -q "^0001 *core *applied" "$out"
check "status says current" grep -q "schema current" "$out"
run --data "$D" db migrate
check "second migrate applies none" grep -q "0 migrations applied" "$out"
IBC_DATA=$D run demo
check "IBC_DATA selects the data folder" grep -q "demo school created" "$out"
run --data "$D" demo
check "demo twice is harmless" grep -q "exists already" "$out"
check "the data folder is private" test "$(stat -c %a "$D")" = 700
check "the secret is private" test "$(stat -c %a "$D/secret")" = 600

# A template error stops start-up and names the file and line.
assets=$E2E_TMP/assets
mkdir -p "$assets"
cp -r "$E2E_ROOT/web" "$assets/"
printf '<p>\n{{#news}}\n<a href={{href}}>x</a>\n' > "$assets/web/templates/home.html"
run --data "$D" serve --port 0 --assets-dir "$assets"
check "broken template: serve refuses to start" test "$(rc)" = 1
check "broken template: file and line named" grep -q "home.html:[0-9]" "$err"
printf '<p>{{@no.such.key}}</p>\n' > "$assets/web/templates/home.html"
run --data "$D" serve --port 0 --assets-dir "$assets"
check "unknown message key: serve refuses to start" test "$(rc)" = 1
check "unknown message key named" grep -q "no.such.key" "$err"

# The demo's passwords are public: loopback only unless forced.
run --data "$D" serve --port 0 --demo --listen 0.0.0.0
check "--demo on a public address is refused" test "$(rc)" = 2
check "the refusal says why" grep -q "demo-public" "$err"

# test-http runs the whole stack on one request from stdin.
printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | "$IBC_BIN" --data "$D" test-http >"$out" 2>"$err"
check "test-http answers 200" grep -q "^HTTP/1.1 200 OK" "$out"
check "test-http renders the demo school" grep -q "Школа № 12" "$out"

finish
