#!/usr/bin/env bash
# What ./run, ./test and .ci/run build and run (ctest label `scripts`). Builds nothing: it
# runs copies of `run`, `test`, `.ci/run` and scripts/lib.sh in a checkout under a 0700
# directory, with `cmake`, `ctest`, the server binary and scripts/fuzz.sh replaced by stubs
# that log how they were called. ./test's throwaway PostgreSQL is real (the ctest stub
# queries it).
#
#   ./run                 configures build/ and builds only the target machine-users
#   ./test                builds everything; ctest -LE ha; no fuzzing (.ci/run's phase of its own)
#   ./test --sanitize     build-asan/, -DMU_SANITIZE=ON, builds only the server and the
#                         test binaries, -LE 'scripts|ha', no fuzzing
#   ./test --tsan         build-tsan/, -DMU_TSAN=ON, builds only the server and the store and
#                         e2e test binaries, -L 'store|e2e', TSAN_OPTIONS; a report file left
#                         by any process fails the run; no fuzzing; with ctest arguments, both
#                         build every target
#   .ci/run               ./test, ./test -L ha, `scripts/fuzz.sh smoke`, ./test --sanitize, ./test --tsan,
#                         in that order; the first failure ends it
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"

failures=0
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  failures=$((failures + 1))
}
pass() { printf 'ok: %s\n' "$*"; }

work=$(mktemp -d /tmp/mu-build-steps.XXXXXX) # 0700: the checkout's parent is private
checkout="$work/checkout"
stubs="$work/bin"
log="$work/calls.log"
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() { rm -rf -- "$work"; }
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p -- "$checkout/scripts" "$checkout/.ci" "$stubs"
cp -- "$repo/run" "$repo/test" "$checkout/"
cp -- "$repo/.ci/run" "$checkout/.ci/"
cp -- "$repo/scripts/lib.sh" "$checkout/scripts/"

# Each stub appends one line to $STUB_LOG: its name and its arguments, shell-quoted.
cat >"$stubs/cmake" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
{ printf 'cmake'; printf ' %q' "$@"; printf '\n'; } >>"$STUB_LOG"
if [[ "${1:-}" == --build ]]; then
  mkdir -p -- "$2"
  cat >"$2/machine-users" <<'BIN'
#!/usr/bin/env bash
set -euo pipefail
{ printf 'machine-users'; printf ' %q' "$@"; printf '\n'; } >>"$STUB_LOG"
if [[ "${1:-}" == setup ]]; then
  while (($# > 0)); do
    if [[ "$1" == --token-file ]]; then echo stub-token >"$2"; fi
    shift
  done
fi
BIN
  chmod +x -- "$2/machine-users"
fi
STUB
cat >"$stubs/ctest" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
{ printf 'ctest'; printf ' %q' "$@"; printf '\n'; } >>"$STUB_LOG"
if [[ "$("${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" -X -tA "$DATABASE_URL" -c 'SELECT 6*7')" == 42 ]]; then
  echo "ctest: database reachable" >>"$STUB_LOG"
  dir=$("${PG_BIN:-/usr/lib/postgresql/15/bin}/psql" -X -tA "$DATABASE_URL" -c 'SHOW data_directory')
  echo "ctest: data_directory $dir" >>"$STUB_LOG"
fi
if [[ -n "${TSAN_OPTIONS:-}" ]]; then
  printf 'ctest: TSAN_OPTIONS=%s\n' "$TSAN_OPTIONS" >>"$STUB_LOG"
  if [[ -n "${STUB_TSAN_REPORT:-}" && "$TSAN_OPTIONS" =~ log_path=([^ ]+) ]]; then
    echo "WARNING: ThreadSanitizer: data race (stub)" >"${BASH_REMATCH[1]}.4242"
  fi
fi
exit "${STUB_CTEST_STATUS:-0}"
STUB
cat >"$checkout/scripts/fuzz.sh" <<'STUB'
#!/usr/bin/env bash
set -euo pipefail
{ printf 'fuzz.sh'; printf ' %q' "$@"; printf '\n'; } >>"$STUB_LOG"
exit "${STUB_FUZZ_STATUS:-0}"
STUB
chmod +x -- "$stubs/cmake" "$stubs/ctest" "$checkout/scripts/fuzz.sh"

export STUB_LOG="$log"
export PATH="$stubs:$PATH"
unset STUB_CTEST_STATUS STUB_FUZZ_STATUS STUB_TSAN_REPORT TSAN_OPTIONS

# Runs the copy's SCRIPT ARGS with a fresh call log; its status in $status, its output in $work/out.
status=0
run_copy() {
  local script=$1
  shift
  : >"$log"
  status=0
  (cd / && "$checkout/$script" "$@") >"$work/out" 2>&1 || status=$?
}
calls() { cat -- "$log"; }
# The lines of the call log that start with WORD.
calls_of() { grep -E "^$1( |\$)" -- "$log" || true; }
check() { # DESCRIPTION COMMAND...: pass if COMMAND succeeds, else fail and show the calls
  local what=$1
  shift
  if "$@"; then
    pass "$what"
  else
    fail "$what; exit status $status; calls:"$'\n'"$(calls)"$'\n'"output:"$'\n'"$(tail -n 20 -- "$work/out")"
  fi
}
# The only build is `cmake --build DIR -j 2` followed by exactly EXPECTED (e.g. --target machine-users).
only_build() {
  local dir=$1
  shift
  local -a want=(cmake --build "$dir" -j 2 "$@")
  [[ "$(calls_of 'cmake --build')" == "$(printf '%q ' "${want[@]}" | sed 's/ $//')" ]]
}
ran() { [[ -n "$(calls_of "$1")" ]]; }
not_ran() { [[ -z "$(calls_of "$1")" ]]; }
before() { # A B: the first call A comes before the first call B
  local a b
  a=$(grep -nE "^$1( |\$)" -- "$log" | head -n 1 | cut -d: -f1)
  b=$(grep -nE "^$2( |\$)" -- "$log" | head -n 1 | cut -d: -f1)
  [[ -n "$a" && -n "$b" ]] && ((a < b))
}
status_is() { [[ "$status" == "$1" ]]; }
status_not_0() { [[ "$status" != 0 ]]; }
configured_with() { grep -E '^cmake -S ' -- "$log" | grep -qE -- "$1"; }
# The throwaway cluster's directory (its data directory's parent) is gone.
cluster_removed() {
  local data
  data=$(sed -n 's/^ctest: data_directory //p' -- "$log")
  [[ -n "$data" && ! -e "$(dirname -- "$data")" ]]
}

# ---- ./run ---------------------------------------------------------------------------
DATABASE_URL=postgresql://stub@127.0.0.1:1/none run_copy run --listen 127.0.0.1:1
check "./run succeeds (stubs)" status_is 0
check "./run configures build/" configured_with "-B build( |$)"
check "./run builds only the target machine-users" only_build build --target machine-users
check "./run then migrates and serves" before 'machine-users migrate' 'machine-users serve'

# ---- ./test ----------------------------------------------------------------------------
run_copy test
check "./test succeeds (stubs)" status_is 0
check "./test builds every target of build/" only_build build
check "./test runs every test but the HA ones" grep -qxF 'ctest --test-dir build --output-on-failure --no-tests=error -j 2 -LE ha' "$log"
check "./test's throwaway PostgreSQL answers (checkout under a 0700 directory)" ran 'ctest: database reachable'
check "./test runs no fuzzing (.ci/run does, as a phase of its own)" not_ran fuzz.sh
check "./test removes its throwaway cluster" cluster_removed

STUB_CTEST_STATUS=8 run_copy test
check "a failing ctest fails ./test" status_is 8
check "./test removes its throwaway cluster after failed tests too" cluster_removed

run_copy test -L unit
check "./test -L unit passes -L unit to ctest" grep -qxF 'ctest --test-dir build --output-on-failure --no-tests=error -j 2 -L unit' "$log"

# ---- ./test --sanitize / --tsan ---------------------------------------------------------
run_copy test --sanitize
check "./test --sanitize succeeds (stubs)" status_is 0
check "./test --sanitize configures build-asan/ with MU_SANITIZE" configured_with "-B build-asan .*-DMU_SANITIZE=ON"
check "./test --sanitize builds only the server and the test binaries in build-asan/" \
  only_build build-asan --target machine-users mu_unit_tests mu_store_tests mu_e2e_tests mu_ha_tests
check "./test --sanitize leaves out the scripts' and the HA tests" grep -qxF 'ctest --test-dir build-asan --output-on-failure --no-tests=error -j 2 -LE scripts\|ha' "$log"
check "no fuzz smoke run with --sanitize" not_ran fuzz.sh

run_copy test --tsan
check "./test --tsan succeeds (stubs)" status_is 0
check "./test --tsan configures build-tsan/ with MU_TSAN" configured_with "-B build-tsan .*-DMU_TSAN=ON"
check "./test --tsan builds only the server and the store and e2e test binaries in build-tsan/" \
  only_build build-tsan --target machine-users mu_store_tests mu_e2e_tests
check "./test --tsan runs the store and e2e tests" grep -qxF "ctest --test-dir build-tsan --output-on-failure --no-tests=error -j 2 -L store\\|e2e" "$log"
check "./test --tsan sets TSAN_OPTIONS" grep -qE '^ctest: TSAN_OPTIONS=.*halt_on_error=1.*second_deadlock_stack=1.*suppressions=[^ ]*/tests/tsan.supp' "$log"
check "no fuzz smoke run with --tsan" not_ran fuzz.sh

run_copy test --sanitize -L unit
check "./test --sanitize with ctest arguments builds every target of build-asan/" only_build build-asan

STUB_TSAN_REPORT=1 run_copy test --tsan -R something
check "./test --tsan with ctest arguments builds every target of build-tsan/" only_build build-tsan
check "a ThreadSanitizer report file fails ./test --tsan even when ctest passed" status_not_0
check "... and is shown" grep -q 'data race (stub)' "$work/out"

run_copy test --sanitize --tsan
check "--sanitize with --tsan is refused" status_not_0
check "... before building" not_ran cmake

# ---- .ci/run ---------------------------------------------------------------------------
# The phases in order: the lines of the call log that start a phase's work.
phases() {
  grep -E '^(ctest --test-dir [^ ]+|fuzz\.sh smoke)' -- "$log" | sed -E 's/^(ctest --test-dir [^ ]+|fuzz\.sh smoke).*/\1/'
}
run_copy .ci/run
check ".ci/run succeeds (stubs)" status_is 0
check ".ci/run: ./test, ./test -L ha, the fuzz smoke run, ./test --sanitize, ./test --tsan, in that order" \
  [ "$(phases | tr '\n' ,)" == "ctest --test-dir build,ctest --test-dir build,fuzz.sh smoke,ctest --test-dir build-asan,ctest --test-dir build-tsan," ]
check ".ci/run's second phase runs the HA tests" grep -qxF 'ctest --test-dir build --output-on-failure --no-tests=error -j 2 -L ha' "$log"
check "... and prints their durations" grep -qE '^ +scripts/fuzz\.sh smoke +[0-9]+s +passed' "$work/out"

STUB_FUZZ_STATUS=3 run_copy .ci/run
check "a failing fuzz smoke run fails .ci/run" status_is 3
check "... before the sanitizer phases" not_ran 'ctest --test-dir build-asan'

STUB_CTEST_STATUS=8 run_copy .ci/run
check "failing tests fail .ci/run before the fuzz smoke run" not_ran fuzz.sh

if ((failures > 0)); then
  printf '%d check(s) failed\n' "$failures" >&2
  exit 1
fi
echo "all checks passed"
