#!/usr/bin/env bash
# ./run's embedded cluster, wherever the checkout is (ctest label `scripts`; needs root,
# else skipped with status 77). Builds nothing: it runs copies of `run` and scripts/lib.sh.
#
#   1. A checkout under a 0700 directory (as under /root): `./run start-db` keeps the cluster
#      in /var/lib/machine-users/<name>-<hash>/ (postgres's), linked from .data/postgres; it
#      accepts connections; .data/ stays root's; no directory of the checkout changes mode;
#      a second start reuses the running cluster; after `./run stop-db` it is down, and the
#      next start brings the same cluster (and its data) back.
#   2. A checkout the postgres user can reach: the cluster stays in .data/postgres.
#
# Whatever happens, the clusters are stopped and their directories removed on exit.
set -euo pipefail
repo="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../.." && pwd)"
# shellcheck source=scripts/lib.sh
source "$repo/scripts/lib.sh"

if ((EUID != 0)); then
  echo "skipped: the relocation applies to root only"
  exit 77
fi

failures=0
fail() {
  printf 'FAIL: %s\n' "$*" >&2
  failures=$((failures + 1))
}
pass() { printf 'ok: %s\n' "$*"; }

work=$(mktemp -d /tmp/mu-run-layout.XXXXXX)
chmod 0755 -- "$work"
hidden_parent="$work/private" # 0700 and root's, like /root
hidden="$hidden_parent/checkout"
open="$work/public/checkout"
hidden_home=$(embedded_db_home "$hidden")
open_home=$(embedded_db_home "$open")
state_dir_existed=0
[[ -d "$MU_STATE_DIR" ]] && state_dir_existed=1

# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local c
  for c in "$hidden" "$open"; do
    if [[ -f "$c/.data/postgres/PG_VERSION" ]]; then
      pg_stop "$c/.data/postgres" >/dev/null 2>&1 || true
    fi
  done
  local home
  for home in "$hidden_home" "$open_home"; do
    if [[ "$home" == "$MU_STATE_DIR"/checkout-* && -d "$home" ]]; then
      rm -rf -- "$home"
    fi
  done
  if ((!state_dir_existed)); then
    rmdir -- "$MU_STATE_DIR" 2>/dev/null || true # only if we made it and it is empty
  fi
  rm -rf -- "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

make_checkout() {
  mkdir -p -- "$1/scripts"
  cp -- "$repo/run" "$1/run"
  cp -- "$repo/scripts/lib.sh" "$1/scripts/lib.sh"
  # A port of our own, rather than 5432 that a developer's ./run may want.
  mkdir -p -- "$1/.data"
  free_port >"$1/.data/port"
}

# Runs the copy's ./run ARGS, its output in $work/out; prints that output if it fails.
run_copy() {
  local checkout=$1
  shift
  if ! "$checkout/run" "$@" >"$work/out" 2>&1; then
    cat -- "$work/out" >&2
    return 1
  fi
}

query() { # PORT SQL
  "$PG_BIN/psql" -X -q -tA -h 127.0.0.1 -p "$1" -U postgres -d machine_users -c "$2" 2>&1
}

modes() { stat -c '%a %U:%G %n' -- "$hidden_parent" "$hidden" "$hidden/scripts"; }

# ---- 1. a checkout the postgres user cannot reach ---------------------------------
mkdir -m 0700 -- "$hidden_parent"
make_checkout "$hidden"
port=$(<"$hidden/.data/port")
before=$(modes)

if run_copy "$hidden" start-db; then
  pass "start-db in a checkout under a 0700 directory"
else
  fail "start-db in a checkout under a 0700 directory"
fi
if [[ -L "$hidden/.data/postgres" && "$(readlink -- "$hidden/.data/postgres")" == "$hidden_home/data" ]]; then
  pass ".data/postgres links to $hidden_home/data"
else
  fail ".data/postgres is not a link to $hidden_home/data: $(ls -ld -- "$hidden/.data/postgres" 2>&1)"
fi
if [[ "$(stat -c '%U %a' -- "$hidden_home" 2>&1)" == "postgres 700" ]]; then
  pass "$hidden_home is postgres's, mode 0700"
else
  fail "$hidden_home: $(stat -c '%U %a' -- "$hidden_home" 2>&1)"
fi
if [[ "$(stat -c '%U' -- "$hidden/.data")" == root && -f "$hidden/.data/port" && ! -L "$hidden/.data/port" ]]; then
  pass ".data/ stays root's and holds the port file"
else
  fail ".data/ or .data/port: $(ls -la -- "$hidden/.data" 2>&1)"
fi
if [[ -S "$hidden_home/.s.PGSQL.$port" ]]; then
  pass "the socket is in $hidden_home"
else
  fail "no socket $hidden_home/.s.PGSQL.$port"
fi
if [[ "$(query "$port" 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42); SELECT x FROM kept')" == 42 ]]; then
  pass "psql reaches database machine_users on port $port"
else
  fail "psql on port $port: $(query "$port" 'SELECT 1')"
fi
after=$(modes)
if [[ "$after" == "$before" ]]; then
  pass "the checkout's directories keep their modes"
else
  fail "modes changed: before: $before; after: $after"
fi

if run_copy "$hidden" start-db && grep -q 'reusing the running embedded PostgreSQL' "$work/out"; then
  pass "a second start-db reuses the running cluster"
else
  fail "a second start-db did not reuse the running cluster: $(cat -- "$work/out")"
fi

if run_copy "$hidden" stop-db && ! pg_is_running "$hidden/.data/postgres" && ! query "$port" 'SELECT 1' >/dev/null; then
  pass "stop-db stops it"
else
  fail "stop-db did not stop it: $(cat -- "$work/out")"
fi

if run_copy "$hidden" start-db && ! grep -q initialising "$work/out" && [[ "$(query "$port" 'SELECT x FROM kept')" == 42 ]]; then
  pass "start-db after stop-db starts the same cluster again"
else
  fail "start-db after stop-db: $(cat -- "$work/out")"
fi
run_copy "$hidden" stop-db || fail "stop-db (second time)"
if [[ "$(modes)" != "$before" ]]; then
  fail "modes changed: before: $before; after: $(modes)"
fi

# ---- 2. a checkout the postgres user can reach --------------------------------------
make_checkout "$open"
port=$(<"$open/.data/port")
if run_copy "$open" start-db && [[ -d "$open/.data/postgres" && ! -L "$open/.data/postgres" && ! -e "$open_home" ]] &&
  [[ "$(query "$port" 'SELECT 1')" == 1 ]]; then
  pass "in a reachable checkout the cluster lives in .data/postgres"
else
  fail "reachable checkout: $(cat -- "$work/out"; ls -la -- "$open/.data" 2>&1)"
fi
if run_copy "$open" stop-db && ! pg_is_running "$open/.data/postgres"; then
  pass "stop-db stops it"
else
  fail "stop-db in the reachable checkout"
fi

if ((failures > 0)); then
  printf '%d check(s) failed\n' "$failures" >&2
  exit 1
fi
echo "all checks passed"
