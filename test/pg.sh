#!/usr/bin/env bash
# ibc — a throwaway PostgreSQL 15 server for the tests.
#
#   test/pg.sh start DIR   initdb in DIR/pgdata (trust auth, UTF8, locale
#                          C.UTF-8) if needed, start it on 127.0.0.1 at a
#                          free port with its socket in DIR, and print the
#                          URL: postgresql://USER@127.0.0.1:PORT/postgres
#   test/pg.sh stop DIR    stop it (pg_ctl stop -m fast); fine if stopped
#
# Both are idempotent: start on a running server prints its URL again.
# PostgreSQL refuses to run as root; as root the server runs as the system
# user "ibctest" (created when missing) and DIR is given to that user.
# The server is tuned for tests, not for keeping data: fsync is off.
# PGBIN may name the directory of initdb/pg_ctl (default: PostgreSQL 15's).
set -euo pipefail

usage() {
    echo "usage: $0 start|stop DIR" >&2
    exit 2
}

[ $# -eq 2 ] || usage
cmd=$1
dir=$2
[ -n "$dir" ] || usage

PGBIN=${PGBIN:-}
if [ -z "$PGBIN" ]; then
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$d/pg_ctl" ]; then
            PGBIN=$d
            break
        fi
    done
fi
if [ -z "$PGBIN" ] || [ ! -x "$PGBIN/pg_ctl" ]; then
    echo "pg.sh: PostgreSQL server programs not found (apt-get install postgresql)" >&2
    exit 1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/pgdata

# Who runs the server, and how.
if [ "$(id -u)" = 0 ]; then
    user=ibctest
    if ! getent passwd "$user" >/dev/null; then
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$user"
    fi
    as_user() { runuser -u "$user" -- "$@"; }
else
    user=$(id -un)
    as_user() { "$@"; }
fi

running() {
    [ -f "$data/postmaster.pid" ] && as_user "$PGBIN/pg_ctl" -D "$data" status >/dev/null 2>&1
}

url() {
    echo "postgresql://$user@127.0.0.1:$(cat "$dir/port")/postgres"
}

# A port nobody listens on (bash's /dev/tcp: no extra tools needed).
free_port() {
    local p
    for _ in $(seq 1 50); do
        p=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "pg.sh: no free port found" >&2
    return 1
}

case $cmd in
start)
    if running && [ -f "$dir/port" ]; then
        url
        exit 0
    fi
    if [ "$(id -u)" = 0 ]; then
        chown "$user" "$dir"
        chmod 700 "$dir"
        [ ! -d "$data" ] || chown -R "$user" "$data"
        if ! as_user test -w "$dir"; then
            echo "pg.sh: user $user cannot reach $dir (use a directory under /tmp)" >&2
            exit 1
        fi
    fi
    if [ ! -f "$data/PG_VERSION" ]; then
        as_user "$PGBIN/initdb" -D "$data" -U "$user" -A trust -E UTF8 \
            --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
            cat "$dir/initdb.log" >&2
            exit 1
        }
    fi
    # The port may be taken between the check and the start: retry.
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if as_user "$PGBIN/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 30 \
            -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories='$dir' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
            echo "$port" >"$dir/port"
            [ "$(id -u)" != 0 ] || chown "$user" "$dir/port"
            url
            exit 0
        fi
    done
    echo "pg.sh: PostgreSQL did not start; see $dir/server.log:" >&2
    tail -n 20 "$dir/server.log" >&2 || true
    exit 1
    ;;
stop)
    if running; then
        as_user "$PGBIN/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    fi
    ;;
*)
    usage
    ;;
esac
