#!/usr/bin/env bash
# ibc e2e — the people commands on a fresh data folder: org add/list, user
# add (with and without a password), user passwd, user list filtered by
# role and class, and the errors for bad input (exit 1, naming the option)
# and bad usage (exit 2).
# e2e-pg: yes
. "$(dirname "$0")/lib.sh"

out=$E2E_TMP/out
err=$E2E_TMP/err
D=$E2E_TMP/people-data
DB=()
if [ "${IBC_E2E_PG:-}" = 1 ] && [ -n "${IBC_TEST_PG_URL:-}" ]; then
    E2E_PG_DB=ibc_e2e_people_$$
    psql -q "$IBC_TEST_PG_URL" -c "CREATE DATABASE $E2E_PG_DB" >/dev/null
    DB=(--db "${IBC_TEST_PG_URL%/*}/$E2E_PG_DB")
fi

ibc() { "$IBC_BIN" --data "$D" "${DB[@]}" "$@" >"$out" 2>"$err"; echo $? >"$E2E_TMP/rc"; }
rc() { cat "$E2E_TMP/rc"; }
has() { grep -q -- "$1" "$2"; }

# No school yet: user commands say what to do.
ibc user list
check "user list without a school exits 1" test "$(rc)" = 1
check "it says to create a school" has "ibc org add" "$err"

# Schools.
ibc org add sch12 --name "МБОУ «СОШ № 12»" --short-name "Школа № 12" --city Сочи
check "org add exits 0" test "$(rc)" = 0
check "org add confirms" has "created school sch12" "$out"
ibc org add sch12 --name "Другая" --short-name "Другая"
check "org add twice exits 1" test "$(rc)" = 1
check "org add twice names CODE" has "CODE: .*exists already" "$err"
ibc org add "Школа" --name "Школа" --short-name "Школа"
check "org add with a bad code exits 1" test "$(rc)" = 1
check "the bad code is named" has "^ibc: CODE:" "$err"
ibc org add sch13 --name "Школа № 13"
check "org add without --short-name is a usage error" test "$(rc)" = 2
ibc org list
check "org list exits 0" test "$(rc)" = 0
check "org list has a header" has "^code  *short name  *city  *name" "$out"
check "org list shows the school" has "^sch12  *Школа № 12  *Сочи  *МБОУ «СОШ № 12»" "$out"

# Accounts. Classes come from the store (no class command yet): the demo's
# 5А/7Б are not here, so a student with a class is refused clearly.
ibc user add librarian --name "Кузнецова Елена Викторовна" --role librarian,teacher --password "secret-pass"
check "user add with a password exits 0" test "$(rc)" = 0
check "user add confirms" has "created librarian (Кузнецова Елена) in Школа № 12 (sch12)" "$out"
check "no password printed when given" bash -c "! grep -q 'one-time password' '$out'"
ibc user add Teacher.P --name "Петрова Ирина" --role teacher --email petrova@school12.ru
check "user add without a password exits 0" test "$(rc)" = 0
check "login is lowered" has "created teacher.p" "$out"
check "a one-time password is printed" grep -Eq "^one-time password: [a-z]{3,4}-[2-9]{4}-[a-z]{3,4} " "$out"
pw1=$(sed -n 's/^one-time password: \([^ ]*\).*/\1/p' "$out")
ibc user add head --name "Смирнова Ирина Петровна" --role head --birth 1975-04-02
check "user add head exits 0" test "$(rc)" = 0

# Bad input: exit 1 naming the option.
ibc user add librarian --name "Другая Елена" --role librarian
check "taken login exits 1" test "$(rc)" = 1
check "taken login named" has "^ibc: LOGIN: .*taken" "$err"
ibc user add ab --name "Иванов Иван" --role teacher
check "short login exits 1" test "$(rc)" = 1
check "short login named" has "^ibc: LOGIN:" "$err"
ibc user add ivanov --name "Иванов" --role teacher
check "one-word name exits 1" test "$(rc)" = 1
check "name named" has "^ibc: --name:" "$err"
ibc user add ivanov --name "Иванов 1ван" --role teacher
check "bad first name exits 1" test "$(rc)" = 1
check "bad first name named" has "^ibc: --name: a first name" "$err"
ibc user add ivanov --name "Иванов Иван" --role wizard
check "unknown role exits 1" test "$(rc)" = 1
check "unknown role named" has "^ibc: --role: unknown role \"wizard\"" "$err"
ibc user add ivanov --name "Иванов Иван" --role teacher --birth 2014-02-30
check "impossible date exits 1" test "$(rc)" = 1
check "birth named" has "^ibc: --birth:" "$err"
ibc user add ivanov --name "Иванов Иван" --role teacher --email "ivanov@"
check "bad e-mail exits 1" test "$(rc)" = 1
check "e-mail named" has "^ibc: --email:" "$err"
ibc user add ivanov --name "Иванов Иван" --role teacher --password short
check "short password exits 1" test "$(rc)" = 1
check "password named" has "^ibc: --password:" "$err"
ibc user add ivanov --name "Иванов Иван" --role student
check "student without a class exits 1" test "$(rc)" = 1
check "class named" has "^ibc: --class: a student needs a class" "$err"
ibc user add ivanov --name "Иванов Иван" --role student --class 5А
check "unknown class exits 1" test "$(rc)" = 1
check "unknown class named" has "^ibc: --class: no class 5А" "$err"
# Usage errors: exit 2.
ibc user add --name "Иванов Иван" --role teacher
check "user add without LOGIN exits 2" test "$(rc)" = 2
ibc user add ivanov --role teacher
check "user add without --name exits 2" test "$(rc)" = 2
ibc user add ivanov --name "Иванов Иван" --role teacher --frob
check "unknown option exits 2" test "$(rc)" = 2
ibc user list extra
check "user list with an argument exits 2" test "$(rc)" = 2

# Password reset.
ibc user passwd teacher.p
check "passwd exits 0" test "$(rc)" = 0
check "passwd prints a new one-time password" grep -Eq "^one-time password: [a-z]{3,4}-[2-9]{4}-[a-z]{3,4}$" "$out"
pw2=$(sed -n 's/^one-time password: \([^ ]*\).*/\1/p' "$out")
check "a new password differs" test "$pw1" != "$pw2"
ibc user passwd librarian --password "another-secret"
check "passwd with a password exits 0" test "$(rc)" = 0
check "passwd says it must change" has "changed at the next sign-in" "$out"
ibc user passwd librarian --password short
check "passwd with a short password exits 1" test "$(rc)" = 1
check "passwd names --password" has "^ibc: --password:" "$err"
ibc user passwd nobody
check "passwd of an unknown login exits 1" test "$(rc)" = 1
check "passwd names the login" has 'no user "nobody"' "$err"

# Listing.
ibc user list
check "user list exits 0" test "$(rc)" = 0
check "list header" has "^login  *name  *roles  *class$" "$out"
check "list shows roles" has "^librarian  *Кузнецова Елена Викторовна  *teacher,librarian" "$out"
check "list in Russian order" bash -c "grep -o '^[a-z.]*' '$out' | tr '\n' ' ' | grep -q '^login librarian teacher.p head $'"
ibc user list --role head
check "list --role head shows only the head" bash -c "[ \$(wc -l < '$out') = 2 ] && grep -q '^head ' '$out'"
ibc user list --role teacher
check "list --role teacher shows two" bash -c "[ \$(wc -l < '$out') = 3 ]"
ibc user list --role wizard
check "list with an unknown role exits 1" test "$(rc)" = 1
ibc user list --class 9Я
check "list of an unknown class exits 1" test "$(rc)" = 1
check "list names --class" has "^ibc: --class:" "$err"

# A second school: --org is needed then, and logins are per school.
ibc org add sch13 --name "МБОУ «СОШ № 13»" --short-name "Школа № 13"
ibc user list
check "two schools: user list wants --org" test "$(rc)" = 1
check "it says --org" has "\-\-org CODE" "$err"
ibc --org sch13 user add librarian --name "Орлова Нина" --role librarian --password "secret-pass"
check "the same login in another school exits 0" test "$(rc)" = 0
ibc --org sch13 user list
check "the other school lists only its own" bash -c "[ \$(wc -l < '$out') = 2 ] && grep -q 'Орлова Нина' '$out'"
ibc user list --org sch12 --role librarian
check "--org after the command works too" has "Кузнецова" "$out"
ibc --org nope user list
check "unknown school exits 1" test "$(rc)" = 1
check "unknown school named" has 'no school with code "nope"' "$err"

# The demo school: its classes make --class work.
ibc demo
check "demo exits 0" test "$(rc)" = 0
ibc --org demo user list --class 5а
check "demo 5А lists three students" bash -c "[ \$(grep -c ' 5А\$' '$out') = 3 ]"
check "demo 5А in Russian order" bash -c "grep -o '^student[0-9]*' '$out' | tr '\n' ' ' | grep -q '^student3 student student2 $'"
ibc --org demo user add student6 --name "Новикова Ева" --role student --class 7Б --birth 2013-06-01
check "a student with a class exits 0" test "$(rc)" = 0
ibc --org demo user list --class 7Б --role student
check "the new student is in 7Б" has "^student6  *Новикова Ева  *student  *7Б$" "$out"

finish
