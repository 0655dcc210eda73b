#!/usr/bin/env bash
# ibc e2e — the access matrix: every route of the table × every role ×
# (for routes about a person) an object of one's own, of another child, of
# another class and of another school. Each cell's expected status is
# written below; every request goes through the real dispatcher over HTTP
# with the role's own session cookie. The route list comes from the hidden
# `ibc test-routes`: a route in the table without rows here fails the test,
# and so does a row here for a route that no longer exists.
# e2e-pg: yes   (test/run.sh runs this file on PostgreSQL too)
. "$(dirname "$0")/lib.sh"

# Roles (demo logins; passwords "demo-" + role): anon = not signed in;
# teacher2 a plain teacher; teacher the class teacher of 5А; parent the
# parent of student and student2.
ROLES=(anon student parent teacher2 teacher librarian head admin)
declare -A PASSWORD=([student]=demo-student [parent]=demo-parent
    [teacher2]=demo-teacher [teacher]=demo-teacher [librarian]=demo-librarian
    [head]=demo-head [admin]=demo-admin)

# Objects for routes whose {id} is a person:
#   self   the caller (for anon: the student)
#   kid    student2: 5А, a child of `parent`, a pupil of `teacher`
#   kid3   student3: 5А, nobody's child here
#   kid7   student4: 7Б, another class (parent2's child)
#   other  a person of a second school
# Other {id} routes name a literal value: n:ID; a prefix route a path: p:PATH.
# POST rows send an empty form with the role's valid CSRF token.
#
# method pattern               object      anon stud par  tch2 tch  lib  head adm
MATRIX=$(cat <<'EOF'
GET  /                        -           200  200  200  200  200  200  200  200
GET  /news                    -           200  200  200  200  200  200  200  200
GET  /news/{id}               n:1         200  200  200  200  200  200  200  200
GET  /prefs                   -           200  200  200  200  200  200  200  200
POST /prefs                   -           303  303  303  303  303  303  303  303
GET  /signin                  -           200  303  303  303  303  303  303  303
POST /signin                  -           422  422  422  422  422  422  422  422
GET  /reset                    -           200  200  200  200  200  200  200  200
POST /reset                    -           422  422  422  422  422  422  422  422
GET  /reset/{token}            p:/reset/0000000000000000000000000000000000000000000000000000000000000000 404 404 404 404 404 404 404 404
POST /reset/{token}            p:/reset/0000000000000000000000000000000000000000000000000000000000000000 404 404 404 404 404 404 404 404
GET  /signin/code             -           303  303  303  303  303  303  303  303
POST /signin/code             -           303  303  303  303  303  303  303  303
GET  /account/2fa             -           303  403  403  403  403  200  200  200
POST /account/2fa             -           401  403  403  403  403  422  422  422
GET  /password                -           303  200  200  200  200  200  200  200
POST /password                -           401  422  422  422  422  422  422  422
GET  /api/v1/me               -           401  200  200  200  200  200  200  200
GET  /people/{id}             self        303  200  200  200  200  200  200  200
GET  /people/{id}             kid         303  403  200  403  200  200  200  200
GET  /people/{id}             kid3        303  403  403  403  200  200  200  200
GET  /people/{id}             kid7        303  403  403  403  403  200  200  200
GET  /people/{id}             other       303  404  404  404  404  404  404  404
GET  /privacy                 -           200  200  200  200  200  200  200  200
GET  /privacy/edit            -           303  403  403  403  403  403  403  200
POST /privacy/edit            -           401  403  403  403  403  403  403  303
GET  /audit                   -           303  403  403  403  403  403  200  200
GET  /audit.csv               -           303  403  403  403  403  403  200  200
GET  /people/{id}/consents    self        303  403  403  403  403  200  200  200
GET  /people/{id}/consents    kid         303  403  403  403  403  200  200  200
GET  /people/{id}/consents    kid3        303  403  403  403  403  200  200  200
GET  /people/{id}/consents    kid7        303  403  403  403  403  200  200  200
GET  /people/{id}/consents    other       303  403  403  403  403  404  404  404
POST /people/{id}/consents    self        401  403  403  403  403  422  422  422
POST /people/{id}/consents    kid         401  403  403  403  403  422  422  422
POST /people/{id}/consents    kid3        401  403  403  403  403  422  422  422
POST /people/{id}/consents    kid7        401  403  403  403  403  422  422  422
POST /people/{id}/consents    other       401  403  403  403  403  404  404  404
GET  /people                  -           303  403  403  403  403  200  200  200
GET  /people/new              -           303  403  403  403  403  200  403  200
POST /people/new              -           401  403  403  403  403  422  403  422
GET  /people/{id}/account     self        303  403  403  403  403  200  200  200
GET  /people/{id}/account     kid         303  403  403  403  403  200  200  200
GET  /people/{id}/account     kid3        303  403  403  403  403  200  200  200
GET  /people/{id}/account     kid7        303  403  403  403  403  200  200  200
GET  /people/{id}/account     other       303  403  403  403  403  404  404  404
POST /people/{id}/roles       self        401  403  403  403  403  403  403  422
POST /people/{id}/roles       kid         401  403  403  403  403  403  403  422
POST /people/{id}/roles       kid3        401  403  403  403  403  403  403  422
POST /people/{id}/roles       kid7        401  403  403  403  403  403  403  422
POST /people/{id}/roles       other       401  403  403  403  403  403  403  404
POST /people/{id}/password    self        401  403  403  403  403  403  403  403
POST /people/{id}/password    kid         401  403  403  403  403  200  403  200
POST /people/{id}/password    kid3        401  403  403  403  403  200  403  200
POST /people/{id}/password    kid7        401  403  403  403  403  200  403  200
POST /people/{id}/password    other       401  403  403  403  403  404  403  404
GET  /classes                 -           303  403  403  403  403  200  200  200
GET  /classes/new             -           303  403  403  403  403  200  403  200
POST /classes/new             -           401  403  403  403  403  422  403  422
GET  /classes/{id}            cls5a       303  403  403  403  200  200  200  200
GET  /classes/{id}            cls7b       303  403  403  403  403  200  200  200
GET  /classes/{id}            clsother    303  404  404  404  404  404  404  404
GET  /classes/{id}/slips      cls5a       303  403  403  403  403  200  403  200
GET  /classes/{id}/slips      cls7b       303  403  403  403  403  200  403  200
GET  /classes/{id}/slips      clsother    303  403  403  403  403  404  403  404
POST /classes/{id}/slips      cls7b       401  403  403  403  403  200  403  200
POST /classes/{id}/slips      clsother    401  403  403  403  403  404  403  404
GET  /register                -           200  303  303  303  303  303  303  303
POST /register                -           422  303  303  303  303  303  303  303
GET  /children                -           303  200  200  200  200  200  200  200
GET  /children/link           -           303  403  200  200  200  200  200  200
POST /children/link           -           401  403  422  422  422  422  422  422
GET  /orgs                    -           303  403  403  403  403  403  403  200
GET  /orgs/new                -           303  403  403  403  403  403  403  403
POST /orgs/new                -           401  403  403  403  403  403  403  403
GET  /api/jobs/{id}           n:999999    401  403  403  403  403  404  404  404
GET  /static/                 p:/static/css/ibc.css 200 200 200 200 200 200 200 200
POST /signout                 -           401  303  303  303  303  303  303  303
EOF
)
PERSON_OBJECTS=(self kid kid3 kid7 other)
# Objects for routes whose {id} is a class: cls5a (the class of `teacher`
# and of the signed-in student — not used for POST slips, which would end
# that student's session), cls7b (another class), clsother (a class of
# the second school). Every class route needs rows for these two:
CLASS_OBJECTS=(cls7b clsother)

start_server

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

# class_id NAME SCHOOL-CODE: the id of a class.
class_id() {
    sql "SELECT c.id FROM school_class c JOIN org o ON o.id = c.org_id
         WHERE c.name = '$1' AND o.code = '$2'"
}

# person_id LOGIN SCHOOL-CODE: the id, straight from the database.
person_id() {
    local q="SELECT p.id FROM person p JOIN org o ON o.id = p.org_id
             WHERE p.login = '$1' AND o.code = '$2'"
    if [ -n "$E2E_PG_DB" ]; then
        psql -qtA "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB" -c "$q"
    else
        sqlite3 "$DATA/ibc.db" "$q"
    fi
}

# ---- the second school and its person ----
ibc_cli org add other-school --name "Школа № 2 другого города" \
    --short-name "Школа № 2" >/dev/null
ibc_cli --org other-school user add pupil --name "Петров Пётр" \
    --role teacher --password "pupil-pass-1" >/dev/null
declare -A ID
for l in student student2 student3 student4 parent teacher2 teacher \
    librarian head admin; do
    ID[$l]=$(person_id "$l" demo)
done
ID[other]=$(person_id pupil other-school)
# A class of the second school (there is no `ibc class` command yet).
sql "INSERT INTO school_class (org_id, name, level, school_year, sort_key,
     created_at) SELECT id, '9В', 9, 2026, '00', '2026-09-01T00:00:00Z'
     FROM org WHERE code = 'other-school'" >/dev/null
ID[cls5a]=$(class_id 5А demo)
ID[cls7b]=$(class_id 7Б demo)
ID[clsother]=$(class_id 9В other-school)
check "the classes are known" test -n "${ID[cls5a]}" -a -n "${ID[cls7b]}" -a -n "${ID[clsother]}"
check "the second school's person exists" test -n "${ID[other]}"
check "demo ids known" test -n "${ID[student4]}" -a -n "${ID[admin]}"

# ---- the route table against the matrix ----
ROUTES=$("$IBC_BIN" test-routes)
check "test-routes lists routes" test -n "$ROUTES"
while read -r m p perm scope subject; do
    rows=$(awk -v m="$m" -v p="$p" '$1 == m && $2 == p' <<<"$MATRIX")
    if [ -z "$rows" ]; then
        fail "route $m $p ($perm, $scope) has rows in the matrix" "none: add them"
        continue
    fi
    objects=()
    case $subject in
    person) objects=("${PERSON_OBJECTS[@]}") ;;
    class) objects=("${CLASS_OBJECTS[@]}") ;;
    esac
    if [ ${#objects[@]} -gt 0 ]; then
        for o in "${objects[@]}"; do
            if ! awk '{ print $3 }' <<<"$rows" | grep -qx "$o"; then
                fail "route $m $p has a row for object $o" "missing"
            fi
        done
    fi
done <<<"$ROUTES"
while read -r m p _; do
    if ! awk -v m="$m" -v p="$p" '$1 == m && $2 == p { f = 1 } END { exit !f }' \
        <<<"$ROUTES"; then
        fail "matrix row $m $p is a route" "no such route in the table"
    fi
done <<<"$MATRIX"

# ---- sessions, one jar per role ----
declare -A JARS TOKENS
for r in "${ROLES[@]}"; do
    JAR=$E2E_TMP/jar-$r
    : >"$JAR"
    http GET /signin
    tok=$(csrf_token)
    if [ "$r" != anon ]; then
        http POST /signin --data-urlencode "_csrf=$tok" \
            --data-urlencode "login=$r" \
            --data-urlencode "password=${PASSWORD[$r]}"
        if [ "$STATUS" != 303 ]; then
            fail "$r signs in" "status $STATUS"
        fi
        http GET /prefs
        tok=$(csrf_token)
    fi
    JARS[$r]=$JAR
    TOKENS[$r]=$tok
done
check "every role has a CSRF token" test "${#TOKENS[@]}" = "${#ROLES[@]}"

# The person card shows no more than the scope needs.
JAR=${JARS[parent]}
http GET "/people/${ID[student2]}"
expect_body_contains "a parent sees their child's name" "Иванова Анна"
expect_body_contains "... and class" "5А"
expect_body_not_contains "... but no birth date" "2015-03-14"
expect_tidy "the person card is valid HTML"

# ---- the cells (POST /signout last: it ends the sessions) ----
cells=0
bad=0
while read -r m p obj rest; do
    [ -n "$m" ] || continue
    read -r -a want <<<"$rest"
    for i in "${!ROLES[@]}"; do
        r=${ROLES[$i]}
        path=$p
        case $obj in
        -) ;;
        n:*) path=${p/\{id\}/${obj#n:}} ;;
        p:*) path=${obj#p:} ;;
        self)
            who=$r
            [ "$r" = anon ] && who=student
            path=${p/\{id\}/${ID[$who]}}
            ;;
        kid) path=${p/\{id\}/${ID[student2]}} ;;
        kid3) path=${p/\{id\}/${ID[student3]}} ;;
        kid7) path=${p/\{id\}/${ID[student4]}} ;;
        other) path=${p/\{id\}/${ID[other]}} ;;
        cls5a | cls7b | clsother) path=${p/\{id\}/${ID[$obj]}} ;;
        *) fail "matrix object $obj is known" "unknown"; continue ;;
        esac
        JAR=${JARS[$r]}
        if [ "$m" = POST ]; then
            http POST "$path" --data-urlencode "_csrf=${TOKENS[$r]}"
        else
            http "$m" "$path"
        fi
        cells=$((cells + 1))
        if [ "$STATUS" != "${want[$i]}" ]; then
            bad=$((bad + 1))
            fail "$m $path ($obj) as $r" "status $STATUS, want ${want[$i]}"
        fi
    done
done <<<"$MATRIX"
check "all $cells cells as written ($bad differ)" test "$bad" = 0

still_serving "still serving"
stop_server
finish
