#!/usr/bin/env bash
# ibc e2e — `ibc backup` of a PostgreSQL database whose URL carries a
# password: pg_dump must get the password in its environment (PGPASSWORD),
# never on its command line, where `ps` would show it to every user.
. "$(dirname "$0")/lib.sh"

if [ -z "${IBC_TEST_PG_URL:-}" ]; then
    echo "# no PostgreSQL: skipped"
    finish
fi
# A stand-in pg_dump that records what it was given, then fails.
fake=$E2E_TMP/fakebin
mkdir -p "$fake"
cat >"$fake/pg_dump" <<'SH'
#!/bin/sh
printf '%s\n' "$@" >"$FAKE_OUT/args"
printf '%s\n' "${PGPASSWORD:-}" >"$FAKE_OUT/password"
exit 1
SH
chmod +x "$fake/pg_dump"
db=ibc_secret_$$
psql -q "$IBC_TEST_PG_URL" -c "CREATE DATABASE $db" >/dev/null
base=${IBC_TEST_PG_URL%/*}
url="${base/@/:s3cret-pw@}/$db"
"$IBC_BIN" --db "$url" --quiet db migrate >/dev/null 2>&1
FAKE_OUT=$E2E_TMP IBC_PG_BINDIR=$fake "$IBC_BIN" --data "$E2E_TMP/d" \
    --db "$url" --quiet backup "$E2E_TMP/b.ibcbak" >/dev/null 2>&1
psql -q "$IBC_TEST_PG_URL" -c "DROP DATABASE IF EXISTS $db" >/dev/null
check "pg_dump was run" test -s "$E2E_TMP/args"
check "the password is not on its command line" bash -c "! grep -q s3cret-pw '$E2E_TMP/args'"
check "the password is in its environment" grep -qx s3cret-pw "$E2E_TMP/password"
check "the database is still named" grep -q "dbname='$db'" "$E2E_TMP/args"
finish
