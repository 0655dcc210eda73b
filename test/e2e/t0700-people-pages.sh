#!/usr/bin/env bash
# ibc e2e — the pages that manage the school's people, over real HTTP with
# the demo accounts: the list of people (staff, Russian order, filters),
# new people (validation next to the field, 422, values kept; a one-time
# password that must be changed), roles (administrator), one-time
# passwords (librarian), classes and their pupils (staff and the class
# teacher), the login slips of a class (a PDF read back with pdftotext:
# every pupil's login is there, and the new password signs in and forces
# /password), parents' registration with the slip's code (wrong, used and
# expired codes each with their message next to the field; a parent sees
# only their own children), schools, refusals, audit rows and valid HTML
# on every page.
# e2e-pg: yes   (test/run.sh runs this file on PostgreSQL too)
. "$(dirname "$0")/lib.sh"

if ! command -v pdftotext >/dev/null; then
    echo "# pdftotext (poppler-utils) is missing"
fi

start_server

# sql QUERY: one value straight from the server's database.
sql() {
    if [ -n "$E2E_PG_DB" ]; then
        psql -qtA "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB" -c "$1"
    else
        sqlite3 "$DATA/ibc.db" "$1"
    fi
}
pid() { sql "SELECT id FROM person WHERE login = '$1'"; }
cid() { sql "SELECT id FROM school_class WHERE name = '$1'"; }
# audited ACTION [OBJECT-ID]: rows of the audit log with this action.
audited() {
    sql "SELECT count(*) FROM audit_log WHERE action = '$1'${2:+ AND object_id = $2}"
}

# as LOGIN PASSWORD: a fresh jar signed in as LOGIN; TOK is its CSRF token.
as() {
    jar_reset
    http GET /signin
    local t
    t=$(csrf_token)
    http POST /signin --data-urlencode "_csrf=$t" --data-urlencode "login=$1" \
        --data-urlencode "password=$2"
    SIGNIN_STATUS=$STATUS
    SIGNIN_LOCATION=$(header Location)
    http GET /prefs
    TOK=$(csrf_token)
}
# post PATH [CURL-OPTION...]: a POST with the jar's CSRF token.
post() {
    local p=$1
    shift
    http POST "$p" --data-urlencode "_csrf=$TOK" "$@"
}
# field_error FIELD: the text of the error message next to a form field.
field_error() {
    grep -o "<span class=\"field-error\" id=\"$1-error\">[^<]*</span>" "$BODY" |
        sed 's/<[^>]*>//g'
}
expect_field_error() { # NAME FIELD TEXT
    local got
    got=$(field_error "$2")
    if grep -qF -- "$3" <<<"$got"; then
        ok "$1"
    else
        fail "$1" "next to $2: '${got:-(nothing)}', want '$3'"
    fi
}

S5A=$(cid 5А)
S7B=$(cid 7Б)
STUDENT=$(pid student)
STUDENT2=$(pid student2)
STUDENT3=$(pid student3)
STUDENT4=$(pid student4)
check "demo classes and pupils known" test -n "$S5A" -a -n "$S7B" -a -n "$STUDENT4"

# ==== 1. the list of people ====
as librarian demo-librarian
check "the librarian signs in" test "$SIGNIN_STATUS" = 303
http GET /people
expect_status "the librarian opens /people" 200
expect_body_contains "it is called «Читатели»" '<h1 class="page-title">Читатели</h1>'
expect_body_contains "the navigation has «Читатели»" '<a href="/people" aria-current="page">Читатели</a>'
expect_body_not_contains "but not the administrator's section" "Пользователи и роли"
expect_body_contains "the class teacher's name" "Васильева Ольга Александровна"
expect_tidy "the list of people is valid HTML"
# Russian order within the class: Ёлкина (ё = е) before Иванов, Иванов before Иванова.
order=$(grep -o '<a href="/people/[0-9]*">[^<]*</a>' "$BODY" | sed 's/<[^>]*>//g' | head -3 | tr '\n' '|')
check "pupils of 5А in Russian order ($order)" test "$order" = "Ёлкина Мария Андреевна|Иванов Артём Сергеевич|Иванова Анна Сергеевна|"
http GET "/people?role=student&class=$S7B"
expect_status "filtered by role and class" 200
expect_body_contains "7Б has Соколов" "Соколов Максим"
expect_body_not_contains "... and not a pupil of 5А" "Иванов Артём"
expect_body_not_contains "... nor a teacher" "Васильева"
expect_body_contains "the filter keeps its choice" "<option value=\"$S7B\" selected>7Б</option>"
expect_tidy "the filtered list is valid HTML"
check "viewing the list is audited" test "$(audited person.list)" -ge 2

as admin demo-admin
http GET /people
expect_status "the administrator opens /people" 200
expect_body_contains "it is «Пользователи и роли» for them" '<h1 class="page-title">Пользователи и роли</h1>'
expect_body_contains "the navigation has «Школы»" '<a href="/orgs">Школы</a>'

as teacher demo-teacher
http GET /people
expect_status "a teacher cannot list people" 403
expect_body_not_contains "no «Читатели» in a teacher's navigation" 'href="/people"'
http GET /people/new
expect_status "a teacher cannot open the new-person form" 403
post /people/new --data-urlencode "last_name=Новиков" --data-urlencode "first_name=Иван" \
    --data-urlencode "login=novikov" --data-urlencode "role=student" \
    --data-urlencode "class_id=$S5A"
expect_status "a teacher cannot create people" 403
check "... and nobody was created" test -z "$(pid novikov)"
as student demo-student
http GET /people
expect_status "a student cannot list people" 403

# ==== 2. a new person ====
as librarian demo-librarian
http GET /people/new
expect_status "the new-person form" 200
expect_body_contains "it offers the classes" ">5А</option>"
expect_body_not_contains "a librarian cannot give the administrator role" 'value="admin"'
expect_tidy "the new-person form is valid HTML"
post /people/new --data-urlencode "last_name=Нов1ков" --data-urlencode "first_name=" \
    --data-urlencode "login=x" --data-urlencode "role=student" \
    --data-urlencode "class_id=" --data-urlencode "birth_date=2999-01-01" \
    --data-urlencode "email=kid@example.org" --data-urlencode "middle_name=Петрович"
expect_status "wrong fields: 422" 422
expect_field_error "the last name's message is next to it" last_name "Укажите фамилию"
expect_field_error "the first name's message is next to it" first_name "Укажите имя"
expect_field_error "the login's message is next to it" login "Логин: от 3 до 40"
expect_field_error "the class's message is next to it" class_id "выберите класс"
expect_field_error "the birth date's message is next to it" birth_date "настоящую дату"
expect_field_error "no e-mail for a child" email "для ученика не сохраняется"
expect_body_contains "the values are kept" 'value="Нов1ков"'
expect_body_contains "... all of them" 'value="Петрович"'
expect_body_contains "the field is marked invalid" 'aria-invalid="true" aria-describedby="last_name-error"'
expect_tidy "the form with errors is valid HTML"
post /people/new --data-urlencode "last_name=Хакеров" --data-urlencode "first_name=Админ" \
    --data-urlencode "login=hacker" --data-urlencode "role=admin"
expect_status "a librarian cannot create an administrator" 422
expect_field_error "... said next to the role" roles "Выберите роль"
post /people/new --data-urlencode "last_name=Иванов" --data-urlencode "first_name=Пётр" \
    --data-urlencode "login=Student" --data-urlencode "role=student" \
    --data-urlencode "class_id=$S5A"
expect_status "a login that is taken: 422" 422
expect_field_error "... said next to the login" login "уже занят"
post /people/new --data-urlencode "last_name=Новиков" --data-urlencode "first_name=Иван" \
    --data-urlencode "middle_name=" --data-urlencode "login=Novikov" \
    --data-urlencode "role=student" --data-urlencode "class_id=$S5A" \
    --data-urlencode "birth_date=2015-05-05"
expect_status "a new student is created" 201
expect_body_contains "the result shows the login (lower case)" "<code>novikov</code>"
NEWPW=$(grep -o '<code class="secret" id="one-time-password">[^<]*</code>' "$BODY" | sed 's/<[^>]*>//g')
check "a one-time password is shown ($NEWPW)" grep -qE '^[a-z]{3,4}-[2-9]{4}-[a-z]{3,4}$' <<<"$NEWPW"
expect_tidy "the result page is valid HTML"
NOVIKOV=$(pid novikov)
check "the student exists" test -n "$NOVIKOV"
check "... in 5А" test "$(sql "SELECT class_id FROM person WHERE id = $NOVIKOV")" = "$S5A"
check "... must change the password" test "$(sql "SELECT must_change_password FROM person WHERE id = $NOVIKOV")" = 1
check "person.create is audited" test "$(audited person.create "$NOVIKOV")" = 1
check "the audit row holds no password" test "$(sql "SELECT count(*) FROM audit_log WHERE details LIKE '%$NEWPW%'")" = 0
as novikov "$NEWPW"
check "the new student signs in with the one-time password" test "$SIGNIN_STATUS" = 303
check "... and is sent to change it" test "$SIGNIN_LOCATION" = /password
http GET /
expect_status "other pages wait until it is changed" 303

# ==== 3. roles and one-time passwords ====
as admin demo-admin
TEACHER2=$(pid teacher2)
ADMIN=$(pid admin)
http GET "/people/$TEACHER2/account"
expect_status "the administrator opens an account" 200
expect_body_contains "with the roles form" 'name="role_librarian"'
expect_tidy "the account page is valid HTML"
check "viewing an account is audited as person.view" test "$(audited person.view "$TEACHER2")" -ge 1
post "/people/$TEACHER2/roles" --data-urlencode "role_teacher=1" --data-urlencode "role_librarian=1"
expect_status "the administrator gives teacher2 the librarian role" 303
check "teacher2 is a teacher and a librarian now" test "$(sql "SELECT roles FROM person WHERE id = $TEACHER2")" = $((2 + 8))
check "person.roles is audited" test "$(audited person.roles "$TEACHER2")" = 1
post "/people/$TEACHER2/roles"
expect_status "no role at all: 422" 422
expect_field_error "... said next to the roles" roles "Выберите роль"
post "/people/$ADMIN/roles" --data-urlencode "role_teacher=1"
expect_status "the administrator cannot drop their own admin role" 422
expect_field_error "... said next to the roles" roles "роль администратора"
check "... and is still an administrator" test "$(( $(sql "SELECT roles FROM person WHERE id = $ADMIN") & 64 ))" = 64
post "/people/$TEACHER2/roles" --data-urlencode "role_teacher=1"
expect_status "the librarian role is taken back" 303

as librarian demo-librarian
post "/people/$TEACHER2/roles" --data-urlencode "role_admin=1"
expect_status "a librarian cannot change roles" 403
http GET "/people/$STUDENT/account"
expect_status "the librarian opens a pupil's account" 200
expect_body_not_contains "... without the roles form" 'name="role_'
expect_body_contains "... with the new-password button" "Выдать новый пароль"
post "/people/$STUDENT4/password"
expect_status "the librarian gives student4 a new password" 200
PW4=$(grep -o '<code class="secret" id="one-time-password">[^<]*</code>' "$BODY" | sed 's/<[^>]*>//g')
check "the password is shown ($PW4)" grep -qE '^[a-z]{3,4}-[2-9]{4}-[a-z]{3,4}$' <<<"$PW4"
expect_tidy "the new-password page is valid HTML"
check "person.password_reset is audited" test "$(audited person.password_reset "$STUDENT4")" = 1
post "/people/$STUDENT4/password" --data-urlencode "slip=1"
expect_status "a slip with a new password" 200
expect_header "... as a PDF" Content-Type "^application/pdf"
expect_header "... to download" Content-Disposition "^attachment; filename=\"slip.pdf\"; filename\*=UTF-8''"
if command -v pdftotext >/dev/null; then
    pdftotext -layout "$BODY" "$E2E_TMP/slip4.txt"
    check "the slip has the login" grep -q "student4" "$E2E_TMP/slip4.txt"
    PW4=$(grep -o '[a-z]\{3,4\}-[2-9]\{4\}-[a-z]\{3,4\}' "$E2E_TMP/slip4.txt" | head -1)
fi
post "/people/$ADMIN/password"
expect_status "a librarian cannot reset the administrator's password" 403
post "/people/$(pid librarian)/password"
expect_status "... nor their own here" 403
as student4 demo-student
check "student4's old password no longer works" test "$SIGNIN_STATUS" = 422
as student4 "$PW4"
check "the slip's password works" test "$SIGNIN_STATUS" = 303
check "... and must be changed" test "$SIGNIN_LOCATION" = /password

# ==== 4. classes ====
as librarian demo-librarian
http GET /classes
expect_status "the librarian lists the classes" 200
expect_body_contains "5А is there" ">5А</a>"
expect_body_contains "with its class teacher" "Васильева Ольга Александровна"
expect_body_contains "and 4 pupils (with the new one)" '<td class="num">4</td>'
expect_body_contains "the navigation has «Классы»" '<a href="/classes" aria-current="page">Классы</a>'
expect_tidy "the classes page is valid HTML"
http GET "/classes/$S5A"
expect_status "the librarian opens 5А" 200
expect_body_contains "its pupils" "Ёлкина Мария Андреевна"
expect_body_not_contains "not 7Б's" "Соколов Максим"
expect_body_contains "a link to the slips" "/classes/$S5A/slips"
expect_tidy "the class page is valid HTML"
http GET /classes/new
expect_status "the new-class form" 200
expect_tidy "the new-class form is valid HTML"
post /classes/new --data-urlencode "name=6Б" --data-urlencode "level=5" \
    --data-urlencode "school_year=2026"
expect_status "a name that does not begin with its level: 422" 422
expect_field_error "... said next to the name" name "Укажите название класса"
expect_body_contains "... the values are kept" 'value="6Б"'
post /classes/new --data-urlencode "name=6В" --data-urlencode "level=12" \
    --data-urlencode "school_year=1999"
expect_status "a wrong level and year: 422" 422
expect_field_error "the level's message" level "от 1 до 11"
expect_field_error "the year's message" school_year "год его начала"
expect_tidy "the class form with errors is valid HTML"
post /classes/new --data-urlencode "name=5А" --data-urlencode "level=5" \
    --data-urlencode "school_year=2026"
expect_status "a class that exists: 422" 422
expect_field_error "... said next to the name" name "уже есть"
post /classes/new --data-urlencode "name=6В" --data-urlencode "level=6" \
    --data-urlencode "school_year=2026" --data-urlencode "teacher_id=$TEACHER2"
expect_status "6В is created" 303
S6V=$(cid 6В)
check "... with its class teacher" test "$(sql "SELECT teacher_id FROM school_class WHERE id = $S6V")" = "$TEACHER2"
check "class.create is audited" test "$(audited class.create "$S6V")" = 1

as teacher demo-teacher
http GET "/classes/$S5A"
expect_status "the class teacher opens their class" 200
expect_body_contains "... and sees the pupils" "Иванова Анна Сергеевна"
expect_body_not_contains "... but no slips link" "/slips"
http GET "/classes/$S7B"
expect_status "... but not another class" 403
http GET /classes
expect_status "... nor the list of classes" 403
http GET "/classes/$S5A/slips"
expect_status "... nor the slips" 403
post "/classes/$S5A/slips"
expect_status "a teacher cannot print slips" 403
as teacher2 demo-teacher
http GET "/classes/$S5A"
expect_status "another teacher cannot open 5А" 403
as parent demo-parent
http GET "/classes/$S5A"
expect_status "a parent cannot open a class" 403
as librarian demo-librarian
http GET /classes/999999
expect_status "a class that does not exist: 404" 404

# ==== 5. login slips ====
http GET "/classes/$S5A/slips"
expect_status "the slips page says what will happen" 200
expect_body_contains "new one-time passwords" "новый одноразовый пароль"
expect_body_contains "a parent code for 30 days" "30 дней"
expect_tidy "the slips page is valid HTML"
http POST "/classes/$S5A/slips"
expect_status "printing without the CSRF token is refused" 403
post "/classes/$S5A/slips"
expect_status "the librarian prints the slips of 5А" 200
expect_header "a PDF" Content-Type "^application/pdf"
expect_header "to download, named after the class (RFC 6266)" Content-Disposition \
    "^attachment; filename=\"slips-$S5A.pdf\"; filename\*=UTF-8''%D0%9B.*5%D0%90\.pdf$"
check "slips.print is audited with the count" \
    test "$(sql "SELECT details FROM audit_log WHERE action = 'slips.print' AND object_id = $S5A")" = "count=4"
check "every pupil of 5А must change the password" \
    test "$(sql "SELECT count(*) FROM person WHERE class_id = $S5A AND must_change_password = 1")" = 4
check "a parent code per child" \
    test "$(sql "SELECT count(DISTINCT child_id) FROM parent_code WHERE child_id IN (SELECT id FROM person WHERE class_id = $S5A)")" = 4
SLIPS=$E2E_TMP/slips.txt
if command -v pdftotext >/dev/null; then
    pdftotext -raw "$BODY" "$SLIPS"
    for l in student student2 student3 novikov; do
        check "the slips hold $l's login" grep -qw "$l" "$SLIPS"
    done
    check "... not a pupil of 7Б" bash -c "! grep -qw student4 '$SLIPS'"
    # slip_value LOGIN KIND: the password or parent code on LOGIN's slip.
    slip_value() {
        awk -v l="$1" '$0 ~ "(Логин|Login) +" l "$" { f = 1 } f' "$SLIPS" |
            grep -o "$2" | head -1
    }
    PW=$(slip_value student '[a-z]\{3,4\}-[2-9]\{4\}-[a-z]\{3,4\}')
    CODE=$(slip_value student '[2-9A-HJ-NP-Z]\{4\}-[2-9A-HJ-NP-Z]\{4\}-[2-9A-HJ-NP-Z]\{4\}')
    CODE2=$(slip_value student2 '[2-9A-HJ-NP-Z]\{4\}-[2-9A-HJ-NP-Z]\{4\}-[2-9A-HJ-NP-Z]\{4\}')
    CODE3=$(slip_value student3 '[2-9A-HJ-NP-Z]\{4\}-[2-9A-HJ-NP-Z]\{4\}-[2-9A-HJ-NP-Z]\{4\}')
    check "student's password read from the slip ($PW)" test -n "$PW"
    check "and the parent codes ($CODE $CODE2 $CODE3)" test -n "$CODE" -a -n "$CODE2" -a -n "$CODE3"
    as student demo-student
    check "the old password no longer works" test "$SIGNIN_STATUS" = 422
    as student "$PW"
    check "the slip's password signs student in" test "$SIGNIN_STATUS" = 303
    check "... straight to /password" test "$SIGNIN_LOCATION" = /password
    http GET /
    expect_status "the password change is forced" 303
    expect_header "... to /password" Location "^/password$"
    http GET /password
    TOK=$(csrf_token)
    http POST /password --data-urlencode "_csrf=$TOK" --data-urlencode "current=$PW" \
        --data-urlencode "new=my-own-pass-77" --data-urlencode "repeat=my-own-pass-77"
    expect_status "the student sets their own password" 303
    http GET "/people/$STUDENT"
    expect_status "... and then sees their page" 200
else
    fail "pdftotext is installed" "install poppler-utils"
fi

# ==== 6. a parent registers with the code ====
jar_reset
http GET /register
expect_status "the registration form is public" 200
expect_tidy "the registration form is valid HTML"
TOK=$(csrf_token)
reg() { # CODE LOGIN [CURL-OPTION...]
    local c=$1 l=$2
    shift 2
    post /register --data-urlencode "code=$c" --data-urlencode "last_name=Иванов" \
        --data-urlencode "first_name=Сергей" --data-urlencode "middle_name=Петрович" \
        --data-urlencode "login=$l" --data-urlencode "email=" \
        --data-urlencode "password=papa-pass-2026" \
        --data-urlencode "repeat=papa-pass-2026" "$@"
}
reg "AAAA-BBBB-CCCC" papa
expect_status "a wrong code: 422" 422
expect_field_error "... said next to the code" code "Неверный код"
expect_body_contains "... the values are kept" 'value="Сергей"'
expect_tidy "the form with a wrong code is valid HTML"
check "... and no account was made" test -z "$(pid papa)"
post /register --data-urlencode "code=" --data-urlencode "last_name=" \
    --data-urlencode "first_name=Сергей" --data-urlencode "login=p" \
    --data-urlencode "password=short" --data-urlencode "repeat=other"
expect_status "empty and short fields: 422" 422
expect_field_error "the code is asked for" code "Введите код"
expect_field_error "the last name is asked for" last_name "Укажите фамилию"
expect_field_error "the login's rule" login "Логин: от 3 до 40"
expect_field_error "the password's rule" password "не короче 8"
if [ -n "${CODE3:-}" ]; then
    sql "UPDATE parent_code SET expires_at = '2001-01-01T00:00:00Z' WHERE child_id = $STUDENT3" >/dev/null
    reg "$CODE3" papa
    expect_status "an expired code: 422" 422
    expect_field_error "... said next to the code" code "Срок действия кода истёк"
fi
if [ -n "${CODE:-}" ]; then
    reg "$(tr 'A-Z' 'a-z' <<<"$CODE")" papa
    expect_status "the code from the slip registers the parent (any case)" 303
    expect_header "... who goes to their children" Location "^/children"
    PAPA=$(pid papa)
    check "the parent exists" test -n "$PAPA"
    check "... linked to student" test "$(sql "SELECT count(*) FROM parent_link WHERE parent_id = $PAPA AND child_id = $STUDENT")" = 1
    check "parent.register is audited" test "$(audited parent.register "$PAPA")" = 1
    http GET /children?linked=1
    expect_status "the parent is signed in and sees their children" 200
    expect_body_contains "... their child" "<a href=\"/people/$STUDENT\">Иванов Артём Сергеевич</a>"
    expect_body_not_contains "... and no other" "Иванова Анна"
    expect_body_contains "the navigation has «Дети»" '<a href="/children" aria-current="page">Дети</a>'
    expect_tidy "the children page is valid HTML"
    http GET "/people/$STUDENT"
    expect_status "the parent opens their child's card" 200
    http GET "/people/$STUDENT4"
    expect_status "... but not another family's child (refused)" 403
    http GET "/people/$STUDENT2"
    expect_status "... nor a classmate" 403
    http GET /register
    expect_status "a signed-in parent is sent to link another child" 303
    expect_header "... at /children/link" Location "^/children/link$"
    http GET /children/link
    expect_status "the link form" 200
    expect_tidy "the link form is valid HTML"
    TOK=$(csrf_token) # the token is bound to the new session
    post /children/link --data-urlencode "code=$CODE"
    expect_status "a used code: 422" 422
    expect_field_error "... said next to the code" code "уже использован"
    post /children/link --data-urlencode "code=$CODE2"
    expect_status "a second child is linked with its code" 303
    http GET /children
    expect_body_contains "both children are listed" "Иванова Анна Сергеевна"
    check "parent.link is audited" test "$(audited parent.link "$STUDENT2")" = 1
    jar_reset
    http GET /register
    TOK=$(csrf_token)
    reg "$CODE" mama
    expect_status "a used code at registration: 422" 422
    expect_field_error "... said next to the code" code "уже использован"
    check "... and no account was made" test -z "$(pid mama)"
fi
as student4 "$PW4"
http GET /children/link
expect_status "a pupil cannot link children" 303  # the password change comes first

# ==== 7. schools ====
as admin demo-admin
http GET /orgs
expect_status "the administrator sees the school" 200
expect_body_contains "its name" "Школа № 12"
expect_tidy "the schools page is valid HTML"
http GET /orgs/new
expect_status "creating schools is the coordinator's" 403
as librarian demo-librarian
http GET /orgs
expect_status "a librarian cannot open the schools" 403

# ==== 8. throttling of codes (last: it blocks this address for a while) ====
jar_reset
http GET /register
TOK=$(csrf_token)
n429=0
for i in $(seq 1 22); do
    reg "ZZZZ-ZZZZ-ZZZ$((i % 8 + 2))" "guess$i"
    [ "$STATUS" = 429 ] && n429=$((n429 + 1))
done
check "wrong codes are throttled per address ($n429 × 429)" test "$n429" -ge 1
expect_header "... with Retry-After" Retry-After '^[0-9]+$'
expect_field_error "... said next to the code" code "Слишком много неверных кодов"

still_serving "still serving"
stop_server
finish
