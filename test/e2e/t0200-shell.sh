#!/usr/bin/env bash
# ibc e2e — the web shell: home page with the school and its news, news
# pages, the language switch and the version for the visually impaired (both
# remembered in cookies, both plain forms that work without JavaScript),
# friendly error pages, valid HTML everywhere.
# e2e-pg: yes   (test/run.sh runs this file on PostgreSQL too)
. "$(dirname "$0")/lib.sh"

# prefs FIELD=VALUE...: POST /prefs with a fresh token from the settings page.
prefs() {
    http GET /prefs
    local tok args=() kv
    tok=$(csrf_token)
    for kv in "$@"; do args+=(--data-urlencode "$kv"); done
    http POST /prefs --data-urlencode "_csrf=$tok" "${args[@]}"
}

start_server

http GET /
expect_status "home page" 200
expect_header "home is HTML" Content-Type "text/html; charset=utf-8"
expect_body_contains "home speaks Russian" '<html lang="ru"'
expect_body_contains "home names the school" "Школа № 12"
expect_body_contains "home shows demo news" "Неделя детской книги"
expect_body_contains "home has the a11y switch" "Версия для слабовидящих"
expect_body_contains "home has the English switch" ">English</button>"
expect_body_contains "home dates are Russian" "20.11.2026"
expect_tidy "home is valid HTML"

# Newest news first on the home page.
first=$(grep -o 'Новые поступления\|Неделя детской книги\|Библиотека открыта' "$BODY" | head -1)
check "newest news first" test "$first" = "Новые поступления"

http GET /news
expect_status "news index" 200
expect_body_contains "news index lists the oldest too" "Библиотека открыта после летних каникул"
expect_tidy "news index is valid HTML"
item=$(grep -a 'Неделя детской книги' "$BODY" | grep -o 'href="/news/[0-9]*"' | head -1 | sed 's/href="\(.*\)"/\1/')
http GET "$item"
expect_status "a news item" 200
expect_body_contains "the item shows its full text" "буктрейлеров"
expect_tidy "news item is valid HTML"

http GET /news/999999
expect_status "missing news item" 404
expect_body_contains "404 page is friendly" "Страница не найдена"
expect_body_contains "404 page offers the way home" 'href="/"'
expect_tidy "404 page is valid HTML"
http GET /news/abc
expect_status "junk news id" 404
http GET /no/such/page
expect_status "unknown page" 404
expect_body_contains "unknown page keeps the layout" "Школа № 12"

# Language switch: a POST form with the CSRF token; remembered.
jar_reset
http GET /
tok=$(csrf_token)
http POST /prefs --data-urlencode "_csrf=$tok" --data-urlencode "lang=en" --data-urlencode "back=/news"
expect_status "language switch redirects" 303
expect_header "back to the page it came from" Location "/news"
http GET /news
expect_body_contains "English after the switch" '<html lang="en"'
expect_body_contains "English navigation" ">Home</a>"
expect_body_contains "English dates" "20 Nov 2026"
http GET /
expect_body_contains "English remembered on the next page" "Library news"
expect_tidy "English home is valid HTML"
prefs "lang=ru"
http GET /
expect_body_contains "back to Russian" '<html lang="ru"'

# An open redirect through "back" is refused.
prefs "lang=ru" "back=//evil.example/"
expect_header "no redirect off the site" Location "/"
prefs "lang=de"
expect_status "unknown language refused" 400

# The version for the visually impaired.
http GET /
prefs "a11y=on" "back=/"
expect_status "a11y on redirects" 303
http GET /
expect_body_contains "a11y classes on html" 'class="a11y a11y-s1 a11y-bw"'
expect_body_contains "a11y panel shown" "Настройки для слабовидящих"
expect_tidy "a11y home is valid HTML"
prefs "size=3"
prefs "scheme=blue"
prefs "images=0"
prefs "spacing=wide"
http GET /news
expect_body_contains "all four settings remembered" 'class="a11y a11y-s3 a11y-blue a11y-noimg a11y-wide"'
expect_body_not_contains "images off: no logo img" '<img class="brand-logo"'
prefs "scheme=red"
expect_status "unknown scheme refused" 400
expect_body_contains "the error names the field" "scheme"
prefs "a11y=off"
http GET /
expect_body_contains "standard version again" '<html lang="ru" class="">'

# The settings page works as a whole form too.
http GET /prefs
expect_status "settings page" 200
expect_tidy "settings page is valid HTML"
prefs "lang=ru" \
    "a11y=on" "size=2" "scheme=wb" \
    "images=1" "spacing=normal" "back=/prefs?saved=1"
expect_header "settings saved, back to the page" Location "/prefs.saved=1"
http GET "/prefs?saved=1"
expect_body_contains "settings page says saved" "Настройки сохранены"
expect_body_contains "settings page applied" 'class="a11y a11y-s2 a11y-wb"'
expect_body_contains "settings page shows the choice" 'value="wb" checked'

# Without the token, nothing changes.
jar_reset
http POST /prefs --data-urlencode "lang=en"
expect_status "POST without CSRF token refused" 403
http GET /
expect_body_contains "still Russian" '<html lang="ru"'

# Escaping: a query parameter that reaches a page is escaped.
http GET '/prefs?back=%22%3E%3Cscript%3Ealert(1)%3C/script%3E'
expect_body_not_contains "no script injection via back" '<script>alert(1)'

stop_server
finish
