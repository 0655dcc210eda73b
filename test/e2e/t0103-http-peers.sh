#!/usr/bin/env bash
# ibc — who is asking: the per-address connection limit applies to untrusted
# peers only (a school's NAT or a proxy goes in --trusted); a trusted proxy's
# X-Forwarded-For names the client in the access log; every request has one
# access log line with the id sent in X-Request-Id.
# Loopback has many addresses: 127.0.0.1 plays an untrusted peer,
# 127.0.0.2 a trusted one.
. "$(dirname "$0")/lib.sh"

SERVER_QUIET=0 start_server --trusted 127.0.0.2/32 --max-conn-per-ip 2

python3 - "$PORT" >"$E2E_TMP/limit.out" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])

def conn(src):
    s = socket.socket()
    s.settimeout(5)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s

def ask(s):
    """GET / on s; the status, or 'closed' when the server hung up."""
    try:
        s.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                return "closed"
            data += chunk
        return data.split(b" ")[1].decode()
    except OSError:
        return "closed"

idle = [conn("127.0.0.1"), conn("127.0.0.1")]
time.sleep(0.5)
third = conn("127.0.0.1")
time.sleep(0.5)
print("untrusted third:", ask(third))
trusted = [conn("127.0.0.2") for _ in range(4)]
time.sleep(0.5)
print("trusted four:", ",".join(ask(s) for s in trusted))
print("untrusted first still served:", ask(idle[0]))
for s in idle:
    s.close()
time.sleep(0.5)
print("untrusted after closing:", ask(conn("127.0.0.1")))
EOF
out=$(cat "$E2E_TMP/limit.out")
grep -q '^untrusted third: closed$' <<<"$out" &&
    ok "a third connection from an untrusted address is refused" ||
    fail "a third connection from an untrusted address is refused" "$out"
grep -q '^trusted four: 200,200,200,200$' <<<"$out" &&
    ok "a trusted address is not limited" ||
    fail "a trusted address is not limited" "$out"
grep -q '^untrusted first still served: 200$' <<<"$out" &&
    ok "the connections within the limit are served" ||
    fail "the connections within the limit are served" "$out"
grep -q '^untrusted after closing: 200$' <<<"$out" &&
    ok "closed connections give their places back" ||
    fail "closed connections give their places back" "$out"
check "the refusal is logged" grep -q 'refused a connection from 127.0.0.1' "$SERVER_ERR"

# ---- access log and X-Forwarded-For ----
# wait_log ID: the access line of request ID (written when it completes).
wait_log() {
    local i
    for ((i = 0; i < 50; i++)); do
        grep -m1 " ACCESS \[$1\] " "$SERVER_ERR" && return 0
        sleep 0.1
    done
    return 1
}

http GET '/news?secret=1' --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.7, 203.0.113.9'
id=$(header X-Request-Id)
line=$(wait_log "$id")
check "one access line carries the X-Request-Id" test -n "$line"
check "the line has method, path, status, bytes and time" \
    grep -qE "^[0-9T:-]+Z ACCESS \[$id\] [^ ]+ GET /news 200 [0-9]+ [0-9]+ms$" <<<"$line"
check "behind a trusted proxy the client is the forwarded address" \
    grep -q "\] 203.0.113.9 GET" <<<"$line"
check "the query (search terms) is not logged" bash -c "! grep -q secret <<<'$line'"

http GET / --interface 127.0.0.2 -H 'X-Forwarded-For: 203.0.113.9, 127.0.0.2'
line=$(wait_log "$(header X-Request-Id)")
check "trusted hops in X-Forwarded-For are skipped" grep -q "\] 203.0.113.9 GET" <<<"$line"

http GET / -H 'X-Forwarded-For: 203.0.113.9'
line=$(wait_log "$(header X-Request-Id)")
check "an untrusted peer cannot claim another address" grep -q "\] 127.0.0.1 GET" <<<"$line"

http GET / --interface 127.0.0.2 -H 'X-Forwarded-For: not-an-address'
line=$(wait_log "$(header X-Request-Id)")
check "a garbled X-Forwarded-For is ignored" grep -q "\] 127.0.0.2 GET" <<<"$line"

http GET '/%C0%AF'
line=$(wait_log "$(header X-Request-Id)")
check "a refused request is logged with its status" grep -q " 400 " <<<"$line"
n=$(grep -c ' ACCESS ' "$SERVER_ERR")
ids=$(grep ' ACCESS ' "$SERVER_ERR" | sed 's/.*ACCESS \[\([0-9a-f]*\)\].*/\1/' | sort -u | wc -l)
check "every request id is different ($n lines)" test "$n" = "$ids"

stop_server
finish
