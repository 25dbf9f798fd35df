#!/usr/bin/env bash
# Throughput of the seed call against a durable PostgreSQL (fsync on), beside
# pgbench's commit rate on the same server as the ceiling to compare with.
#   bench/update_machine.sh            uses the embedded cluster of ./run (.data/)
#   DATABASE_URL=... bench/update_machine.sh
#   LEVELS="1 8" DURATION=6 bench/update_machine.sh   fewer or shorter points
# Needs: a built build/machine-users (./run or ./test builds it), wrk, pgbench.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
ensure_packages
command -v wrk >/dev/null || apt-get install -y --no-install-recommends wrk >/dev/null

if [[ -z "${DATABASE_URL:-}" ]]; then
  [[ -f .data/port ]] || mu_die "no embedded cluster yet: run ./run once, or set DATABASE_URL"
  base="postgresql://postgres@127.0.0.1:$(cat .data/port)"
else
  base="${DATABASE_URL%/*}"
fi
db="mu_bench_$$"
psql_bin=/usr/lib/postgresql/15/bin
"$psql_bin/psql" -q "$base/postgres" -c "CREATE DATABASE $db"
trap '"$psql_bin/psql" -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; kill "${server_pid:-0}" 2>/dev/null || true' EXIT
url="$base/$db"
token_file=$(mktemp)
build/machine-users setup --org-name Bench --admin-user bench --token-file "$token_file" --database-url "$url" >/dev/null
TOKEN=$(cat "$token_file")
export TOKEN
rm -f "$token_file"

port=$(free_port)
build/machine-users serve --database-url "$url" --listen "127.0.0.1:$port" >/dev/null &
server_pid=$!
for _ in $(seq 50); do curl -sf "127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

ids=()
for i in $(seq 64); do
  ids+=("$(curl -sf -X POST "127.0.0.1:$port/users/machine" -H "authorization: Bearer $TOKEN" \
    -d "{\"userName\":\"bench-$i\",\"name\":\"b\"}" | sed -E 's/.*"userId":"([0-9]+)".*/\1/')")
done
USER_IDS=$(IFS=,; echo "${ids[*]}")
export USER_IDS

echo "== machine-users: PUT /users/{id}/machine over 64 users (fsync on)"
for c in ${LEVELS:-1 8 32}; do
  printf 'connections %-3s ' "$c"
  wrk -t"$((c < 2 ? 1 : 2))" -c"$c" -d"${DURATION:-15}s" -s bench/update_machine.lua "http://127.0.0.1:$port" |
    awk '/Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF} /^p50/ {lat=$0} END {printf "%s req/s, %s, non-2xx: %s\n", rps, lat, (bad ? bad : 0)}'
done

echo "== pgbench: one-row UPDATE transactions on the same server (the commit ceiling)"
"$psql_bin/pgbench" -q -i -s 1 "$url" >/dev/null 2>&1
for c in ${LEVELS:-1 8 32}; do
  printf 'clients %-3s ' "$c"
  "$psql_bin/pgbench" -n -c "$c" -j 2 -T "${DURATION:-15}" -b simple-update "$url" 2>/dev/null |
    awk '/^tps/ {print $3 " tps"}'
done
