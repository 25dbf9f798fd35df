# shellcheck shell=bash
# What the bench scripts share: throwaway databases, servers on them, their users.
# Source it after scripts/lib.sh.
#   bench_init                      BENCH_BASE: the server's URL without a database (DATABASE_URL's
#                                   server, else the embedded cluster of ./run); everything made
#                                   below is dropped or stopped on exit
#   bench_database PREFIX           a new database: BENCH_URL
#   bench_serve BINARY [ARGS...]    first-run setup on BENCH_URL (TOKEN), then serve it on a free
#                                   port (BENCH_PORT)
#   bench_users N                   N machine users through the API (USER_IDS, comma-separated)
BENCH_PSQL=(/usr/lib/postgresql/15/bin/psql -X -q -v ON_ERROR_STOP=1)
BENCH_DBS=()
BENCH_PIDS=()

bench_cleanup() {
  local pid db
  for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for db in "${BENCH_DBS[@]}"; do
    "${BENCH_PSQL[@]}" "$BENCH_BASE/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
  done
}

bench_init() {
  if [[ -z "${DATABASE_URL:-}" ]]; then
    [[ -f .data/port ]] || mu_die "no embedded cluster yet: run ./run once, or set DATABASE_URL"
    BENCH_BASE="postgresql://postgres@127.0.0.1:$(cat .data/port)"
  else
    BENCH_BASE="${DATABASE_URL%/*}"
  fi
  trap bench_cleanup EXIT
}

bench_database() {
  local db="$1_$$_${#BENCH_DBS[@]}"
  "${BENCH_PSQL[@]}" "$BENCH_BASE/postgres" -c "CREATE DATABASE $db"
  BENCH_DBS+=("$db")
  BENCH_URL="$BENCH_BASE/$db"
}

bench_serve() {
  local binary=$1 token_file
  shift
  token_file=$(mktemp)
  "$binary" setup --org-name Bench --admin-user bench --token-file "$token_file" \
    --database-url "$BENCH_URL" >/dev/null
  TOKEN=$(cat "$token_file")
  export TOKEN
  rm -f "$token_file"
  BENCH_PORT=$(free_port)
  "$binary" serve --database-url "$BENCH_URL" --listen "127.0.0.1:$BENCH_PORT" "$@" >/dev/null &
  BENCH_PIDS+=($!)
  for _ in $(seq 100); do curl -sf "127.0.0.1:$BENCH_PORT/healthz" >/dev/null && return 0; sleep 0.1; done
  mu_die "the server did not start ($binary)"
}

bench_users() {
  local ids=() i
  for ((i = 1; i <= $1; i++)); do
    ids+=("$(curl -sf -X POST "127.0.0.1:$BENCH_PORT/users/machine" -H "authorization: Bearer $TOKEN" \
      -d "{\"userName\":\"bench-$i\",\"name\":\"b\"}" | sed -E 's/.*"userId":"([0-9]+)".*/\1/')")
  done
  USER_IDS=$(IFS=,; echo "${ids[*]}")
  export USER_IDS
}
