#!/usr/bin/env bash
# ibc — runs the whole test suite (called by `make test` after building
# build/ and build/san/). Suites run two at a time; each one's output goes to
# build/test-logs/<suite>.log, and its time is compared with its budget.
# The last line is "N passed, N failed" (the sum over every suite).
#
#   test/run.sh            everything
#   test/run.sh unit e2e   only these suites (names below)
#   IBC_TEST_NO_PG=1       skip PostgreSQL (SQLite only)
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
LOGS=$ROOT/build/test-logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log "$LOGS"/*.status

export TMPDIR=${TMPDIR:-/tmp}
# One-time caches of system libraries (fontconfig) are not leaks of ours.
export LSAN_OPTIONS=suppressions=$ROOT/test/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
WORK=$(mktemp -d "$TMPDIR/ibc-run-XXXXXX")
chmod 755 "$WORK"
PGDIR=$WORK/pg
cleanup() {
    [ -d "$PGDIR" ] && test/pg.sh stop "$PGDIR" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

# A PostgreSQL 15 for the store tests, started here in a temporary folder.
if [ -z "${IBC_TEST_NO_PG:-}" ] && [ -z "${IBC_TEST_PG_URL:-}" ]; then
    mkdir -p "$PGDIR"
    if URL=$(test/pg.sh start "$PGDIR"); then
        export IBC_TEST_PG_URL=$URL
        echo "PostgreSQL for tests: $URL"
    else
        echo "FAIL: could not start PostgreSQL (see above)"
        echo "0 passed, 1 failed"
        exit 1
    fi
fi

# name  budget(s)  command
SUITES=(
  "unit        60  suite_unit build"
  "fuzz-replay 30  suite_replay build"
  "e2e         160 suite_e2e build"
  "e2e-pg      90  suite_e2e_pg build"
  "browser     120 suite_browser build"
  "unit-san    120 suite_unit build/san"
  "e2e-san     220 suite_e2e build/san"
  "replay-san  60  suite_replay build/san"
)

# Each suite prints lines; programs end with "N passed, N failed".
suite_unit() {
    local b=$1 rc=0
    for t in "$b"/test/test_*; do
        [ -x "$t" ] || continue
        echo "== $(basename "$t")"
        "$t" || rc=1
    done
    return $rc
}

suite_replay() {
    local b=$1 rc=0
    for t in "$b"/replay/fuzz_*; do
        [ -x "$t" ] || continue
        local name; name=$(basename "$t")
        local dirs=()
        [ -d "fuzz/regress/$name" ] && dirs+=("fuzz/regress/$name")
        [ -d "fuzz/corpus/$name" ] && dirs+=("fuzz/corpus/$name")
        [ ${#dirs[@]} -gt 0 ] || continue
        echo "== $name"
        if "$t" "${dirs[@]}"; then
            echo "1 passed, 0 failed"
        else
            echo "0 passed, 1 failed"; rc=1
        fi
    done
    return $rc
}

suite_e2e() {
    local b=$1 rc=0
    for t in test/e2e/t[0-9]*.sh; do
        [ -f "$t" ] || continue
        echo "== $t"
        IBC_BIN=$ROOT/$b/ibc bash "$t" || rc=1
    done
    return $rc
}

suite_e2e_pg() {
    [ -n "${IBC_TEST_PG_URL:-}" ] || { echo "skipped: no PostgreSQL"; return 0; }
    local b=$1 rc=0
    for t in test/e2e/t[0-9]*.sh; do
        [ -f "$t" ] || continue
        grep -q "e2e-pg: yes" "$t" || continue
        echo "== $t (PostgreSQL)"
        IBC_BIN=$ROOT/$b/ibc IBC_E2E_PG=1 bash "$t" || rc=1
    done
    return $rc
}

suite_browser() {
    local b=$1
    if ! command -v chromium >/dev/null || [ ! -d node_modules/playwright-core ]; then
        echo "FAIL: chromium or playwright-core missing (make deps-test)"
        echo "0 passed, 1 failed"
        return 1
    fi
    local rc=0
    for t in test/browser/*.test.mjs; do
        [ -f "$t" ] || continue
        echo "== $t"
        IBC_BIN=$ROOT/$b/ibc node "$t" || rc=1
    done
    return $rc
}

want() {
    [ $# -eq 0 ] && return 0
    local s
    for s in "${ONLY[@]}"; do [ "$s" = "$1" ] && return 0; done
    return 1
}
ONLY=("$@")

run_one() {
    local name=$1 budget=$2; shift 2
    local start end
    start=$(date +%s.%N)
    "$@" >"$LOGS/$name.log" 2>&1
    local rc=$?
    end=$(date +%s.%N)
    echo "$rc $(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", b-a}') $budget" >"$LOGS/$name.status"
}

# Two suites at a time (the CI machine has two cores).
pids=()
for line in "${SUITES[@]}"; do
    read -r name budget fn arg <<<"$line"
    if [ ${#ONLY[@]} -gt 0 ] && ! want "$name"; then continue; fi
    run_one "$name" "$budget" "$fn" "$arg" &
    pids+=($!)
    if [ ${#pids[@]} -ge 2 ]; then
        wait "${pids[0]}"; pids=("${pids[@]:1}")
    fi
done
wait

total_pass=0; total_fail=0; bad=0
printf '\n%-12s %8s %8s %8s %8s\n' suite passed failed seconds budget
for line in "${SUITES[@]}"; do
    read -r name budget fn arg <<<"$line"
    [ -f "$LOGS/$name.status" ] || continue
    read -r rc secs bud <"$LOGS/$name.status"
    p=0; f=0
    while read -r a _ c _; do
        p=$((p + a)); f=$((f + c))
    done < <(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$LOGS/$name.log")
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        f=1   # a crash or a missing summary counts as a failure
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
    note=""
    if awk -v s="$secs" -v b="$bud" 'BEGIN{exit !(s > b)}'; then
        note="  WARNING: over budget"
    fi
    printf '%-12s %8d %8d %8.1f %8d%s\n' "$name" "$p" "$f" "$secs" "$bud" "$note"
    if [ "$f" != 0 ]; then
        bad=1
        echo "---- $name: failures (full log: $LOGS/$name.log)"
        grep -E -B2 -A12 'FAIL|ERROR|Assertion|runtime error|Sanitizer' "$LOGS/$name.log" | head -60
        echo "----"
    fi
done
echo "$total_pass passed, $total_fail failed"
exit $bad
