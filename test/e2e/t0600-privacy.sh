#!/usr/bin/env bash
# ibc e2e — privacy (152-ФЗ) over real HTTP: the public privacy-policy page
# (default text, valid HTML, linked from every page's footer), its editor
# (administrator only, CSRF, audited, user text escaped), the audit log
# page and its CSV export (head and administrator only; the export is
# audited itself) and a person's consents (staff, CSRF, audited).
# e2e-pg: yes   (test/run.sh runs this file on PostgreSQL too)
. "$(dirname "$0")/lib.sh"

# signin LOGIN PASSWORD: a fresh jar, GET /signin for a token, POST it.
signin() {
    jar_reset
    http GET /signin
    local tok
    tok=$(csrf_token)
    http POST /signin --data-urlencode "_csrf=$tok" \
        --data-urlencode "login=$1" --data-urlencode "password=$2"
}

start_server

# ---- the public page ----
http GET /privacy
expect_status "the privacy policy is public" 200
expect_body_contains "it is titled in Russian" "<h1 class=\"page-title\">Политика обработки персональных данных</h1>"
expect_body_contains "the default names the school as operator" "Оператор персональных данных — "
expect_body_contains "the default names the law" "152-ФЗ"
expect_body_contains "the default says how to withdraw consent" "Как отозвать согласие"
expect_body_contains "the default states the retention period" "дней: 90"
expect_body_not_contains "anonymous visitors get no edit link" 'href="/privacy/edit"'
expect_tidy "the privacy policy is valid HTML"

http GET /
expect_body_contains "every page links the policy in its footer" '<a href="/privacy">Политика обработки персональных данных</a>'

# ---- the editor needs an administrator ----
http GET /privacy/edit
expect_status "anonymous: the editor sends to sign-in" 303
expect_header "… to the sign-in page" Location '^/signin\?back='
http GET /privacy
tok=$(csrf_token)
http POST /privacy/edit --data-urlencode "_csrf=$tok" --data-urlencode "text=взлом"
# the dispatcher answers an anonymous POST with 401 (GETs go to sign-in)
expect_status "anonymous: saving is refused" 401
http GET /privacy
expect_body_not_contains "… and nothing was saved" "взлом"
http GET /audit
expect_status "anonymous: the audit log sends to sign-in" 303

signin teacher demo-teacher
expect_status "a teacher signs in" 303
http GET /privacy/edit
expect_status "a teacher may not edit the policy" 403
http GET /audit
expect_status "a teacher may not read the audit log" 403
http GET /audit.csv
expect_status "a teacher may not export the audit log" 403

signin librarian demo-librarian
http GET /audit
expect_status "a librarian may not read the audit log" 403

# ---- the administrator edits ----
signin admin demo-admin
expect_status "the administrator signs in" 303
http GET /privacy
expect_body_contains "the administrator gets an edit link" 'href="/privacy/edit"'
http GET /privacy/edit
expect_status "the editor opens for the administrator" 200
expect_body_contains "the editor is a form with a text area" '<textarea id="text" name="text"'
expect_tidy "the editor is valid HTML"
tok=$(csrf_token)
http POST /privacy/edit --data-urlencode "text=Первый абзац <script>alert(1)</script>
вторая строка

Второй абзац."
expect_status "saving without the CSRF token is refused" 403
http POST /privacy/edit --data-urlencode "_csrf=$tok" --data-urlencode "text=Первый абзац <script>alert(1)</script>
вторая строка

Второй абзац."
expect_status "saving redirects" 303
expect_header "… back to the editor" Location '^/privacy/edit\?saved=1$'
http GET /privacy/edit?saved=1
expect_body_contains "the editor confirms" "Текст сохранён."
http GET /privacy
expect_status "the edited policy shows" 200
expect_body_contains "the school's own text is shown, escaped" "<p>Первый абзац &lt;script&gt;alert(1)&lt;/script&gt;<br>вторая строка</p>"
expect_body_contains "blank lines make paragraphs" "<p>Второй абзац.</p>"
expect_body_not_contains "the default is gone" "Оператор персональных данных — "
expect_tidy "the edited policy is valid HTML"
long=$(head -c 50001 /dev/zero | tr '\0' 'a')
http GET /privacy/edit
tok=$(csrf_token)
http POST /privacy/edit --data-urlencode "_csrf=$tok" --data-urlencode "text=$long"
expect_status "too long a text is refused with 422" 422
expect_body_contains "… saying why" "не больше 50 000 знаков"

# ---- the audit log lists the edit ----
http GET /audit
expect_status "the administrator reads the audit log" 200
expect_body_contains "it is the Журнал действий" "<h1 class=\"page-title\">Журнал действий</h1>"
expect_body_contains "the edit is listed" "Изменение политики обработки персональных данных"
expect_body_contains "… with who did it" "<td>admin</td>"
expect_tidy "the audit log is valid HTML"
http GET "/audit?action=privacy.policy.edit&actor=admin"
expect_body_contains "a filter keeps the edit" "Изменение политики обработки персональных данных"
http GET "/audit?actor=nobody"
expect_body_contains "a filter that matches nothing says so" "Записей нет."
expect_tidy "the empty audit log is valid HTML"

http GET /audit.csv
expect_status "the audit log exports" 200
expect_header "… as CSV" Content-Type '^text/csv; charset=utf-8'
expect_header "… as a download" Content-Disposition '^attachment; filename="audit-'
check "the CSV starts with a UTF-8 byte order mark" \
    test "$(head -c 3 "$BODY" | od -An -tx1 | tr -d ' ')" = efbbbf
expect_body_contains "the CSV has Russian column names" "Когда,Кто,Действие"
expect_body_contains "the CSV lists the edit" "privacy.policy.edit"
expect_body_contains "the export is audited itself" "audit.export"

# the head reads it too
signin head demo-head
http GET /audit
expect_status "the head reads the audit log" 200
expect_body_contains "… and sees the export" "Выгрузка журнала действий"

# ---- consents ----
signin student demo-student
http GET /api/v1/me
kid=$(grep -o '"person":{"id":[0-9]*' "$BODY" | grep -o '[0-9]*$')
check "the student's id is known" test -n "$kid"
http GET "/people/$kid/consents"
expect_status "a student may not open the consents page" 403

signin librarian demo-librarian
http GET "/people/$kid/consents"
expect_status "a librarian opens a student's consents" 200
expect_body_contains "the page names the student" "Иванов Артём"
expect_body_contains "the four kinds are listed" "Показ имени одноклассникам"
expect_tidy "the consents page is valid HTML"
tok=$(csrf_token)
http POST "/people/$kid/consents" --data-urlencode "_csrf=$tok" \
    --data-urlencode "kind=reading_history" --data-urlencode "op=give" \
    --data-urlencode "note=заявление от 01.09.2026"
expect_status "giving a consent redirects" 303
http GET "/people/$kid/consents?done=give"
expect_body_contains "the consent is recorded" "Согласие отмечено."
expect_body_contains "… with its note" "заявление от 01.09.2026"
expect_body_contains "… and is in force" "Действует"
tok=$(csrf_token)
http POST "/people/$kid/consents" --data-urlencode "_csrf=$tok" \
    --data-urlencode "kind=reading_history" --data-urlencode "op=give"
expect_status "giving it twice is refused with 422" 422
expect_body_contains "… saying why" "Это согласие уже действует."
tok=$(csrf_token)
http POST "/people/$kid/consents" --data-urlencode "_csrf=$tok" \
    --data-urlencode "kind=reading_history" --data-urlencode "op=withdraw"
expect_status "withdrawing redirects" 303
http POST "/people/$kid/consents" --data-urlencode "_csrf=$tok" \
    --data-urlencode "kind=marketing" --data-urlencode "op=give"
expect_status "an unknown kind is refused with 422" 422
http GET "/people/999999/consents"
expect_status "an unknown person is 404" 404

signin admin demo-admin
http GET "/audit?action=consent."
expect_body_contains "giving a consent is audited" "Отметка согласия"
expect_body_contains "withdrawing is audited" "Отметка отзыва согласия"
expect_body_contains "viewing consents is audited" "Просмотр согласий"

# back to the default text
http GET /privacy/edit
tok=$(csrf_token)
http POST /privacy/edit --data-urlencode "_csrf=$tok" --data-urlencode "text="
expect_status "an empty text saves" 303
http GET /privacy
expect_body_contains "an empty text brings the default back" "Оператор персональных данных — "

stop_server
finish
