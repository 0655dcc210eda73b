#!/usr/bin/env bash
# ibc e2e — backup and restore: `ibc backup` while the demo server runs,
# `ibc restore` refused while it runs, then (server stopped) the news are
# deleted behind its back, the backup restored, and the restarted server
# shows the news again. Also: the archive is 0600, a damaged or wrongly
# encrypted archive changes nothing.
# e2e-pg: yes   (test/run.sh runs this file on PostgreSQL too)
. "$(dirname "$0")/lib.sh"

out=$E2E_TMP/out
err=$E2E_TMP/err
run() { "$IBC_BIN" "$@" >"$out" 2>"$err"; echo $? >"$E2E_TMP/rc"; }
rc() { cat "$E2E_TMP/rc"; }

start_server
DB=()
if [ -n "$E2E_PG_DB" ]; then
    DB=(--db "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB")
fi
ibc() { run --data "$DATA" "${DB[@]}" "$@"; }
# sql STATEMENT: runs it on the server's database behind ibc's back.
sql() {
    if [ -n "$E2E_PG_DB" ]; then
        psql -q -X "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB" -c "$1" >/dev/null
    else
        sqlite3 "$DATA/ibc.db" "$1"
    fi
}
# restart_server: `ibc serve` again on the same data folder and database.
restart_server() {
    "$IBC_BIN" --data "$DATA" "${DB[@]}" --quiet serve --port 0 \
        >"$E2E_TMP/restart.out" 2>"$E2E_TMP/restart.err" &
    SERVER_PID=$!
    local i line=
    for ((i = 0; i < E2E_WAIT * 10; i++)); do
        line=$(grep -m1 ' serving http://' "$E2E_TMP/restart.out" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    BASE=$(sed -n 's|.* serving \(http://[^ ]*\)/ .*|\1|p' <<<"$line")
    if [ -z "$BASE" ]; then
        fail "server restarts after the restore" "$(tail -5 "$E2E_TMP/restart.err")"
        SERVER_PID=
        finish
    fi
    ok "server restarts after the restore"
}

http GET /
expect_status "home page" 200
expect_body_contains "home shows the demo news" "Неделя детской книги"

B=$E2E_TMP/backups/one.ibcbak
mkdir -p "$E2E_TMP/backups"
ibc backup "$B"
check "backup while serving exits 0" test "$(rc)" = 0
check "backup says where it went" grep -q "backup written to $B" "$out"
check "the archive is 0600" test "$(stat -c %a "$B")" = 600
check "the archive is a tar with the manifest first" \
    bash -c "tar -tf '$B' | head -1 | grep -qx manifest.json"
check "the manifest names the dump and its hash" \
    bash -c "tar -xOf '$B' manifest.json | grep -q '\"sha256\":\"[0-9a-f]\{64\}\"'"
check "no temporary files are left" \
    bash -c "[ \$(ls '$E2E_TMP/backups' | wc -l) = 1 ]"

ibc restore "$B"
check "restore while serving is refused" test "$(rc)" = 1
check "the refusal says to stop the server" grep -q "stop the server" "$err"
http GET /
expect_body_contains "the server still serves after the refusal" "Неделя детской книги"

stop_server

sql "DELETE FROM news"
restart_server
http GET /
expect_status "home page without news" 200
expect_body_not_contains "the news are gone" "Неделя детской книги"
stop_server

# A damaged copy is refused and changes nothing.
cp "$B" "$E2E_TMP/bad.ibcbak"
size=$(stat -c %s "$B")
at=$((size - 2048))
byte=$(od -An -tx1 -j "$at" -N1 "$B" | tr -d ' ')
new=X
[ "$byte" = 58 ] && new=Y
printf '%s' "$new" | dd of="$E2E_TMP/bad.ibcbak" bs=1 seek=$at conv=notrunc 2>/dev/null
ibc restore "$E2E_TMP/bad.ibcbak"
check "a damaged backup is refused" test "$(rc)" = 1
check "the refusal names the member" grep -q "mismatch in member db/ibc\." "$err"

ibc restore "$B"
check "restore exits 0" test "$(rc)" = 0
check "restore reports the invalidated sessions" grep -q "session" "$out"
restart_server
http GET /
expect_status "home page after the restore" 200
expect_body_contains "the news are back" "Неделя детской книги"
stop_server

# Encrypted: the passphrase from the environment; a wrong one is refused.
E=$E2E_TMP/backups/enc.ibcbak
IBC_BACKUP_PASSPHRASE='sekret phrase' ibc backup "$E" --encrypt
check "encrypted backup exits 0" test "$(rc)" = 0
check "the encrypted archive is not a readable tar" \
    bash -c "! tar -tf '$E' >/dev/null 2>&1"
ibc restore "$E"
check "an encrypted backup without passphrase is refused" test "$(rc)" = 1
check "the refusal asks for the passphrase" grep -q "passphrase" "$err"
IBC_BACKUP_PASSPHRASE='wrong' ibc restore "$E"
check "a wrong passphrase is refused" test "$(rc)" = 1
check "the refusal names the wrong passphrase" grep -q "wrong passphrase" "$err"
echo 'sekret phrase' >"$E2E_TMP/key"
ibc restore "$E" --key-file "$E2E_TMP/key"
check "restore with the key file exits 0" test "$(rc)" = 0
ibc backup "$E2E_TMP/x.ibcbak" --key-file "$E2E_TMP/key"
check "--key-file without --encrypt is a usage error" test "$(rc)" = 2

finish
