#!/usr/bin/env bash
# ListUserChanges through HTTP: the first page (LIMIT, 100) of the history of one user
# with EVENTS (10,000) events, at concurrency 1 and 8, DURATION (10) seconds each.
#   bench/user_changes.sh                    uses the embedded cluster of ./run (.data/)
#   DATABASE_URL=... bench/user_changes.sh
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
source bench/lib.sh
ensure_packages wrk
events=${EVENTS:-10000}
duration=${DURATION:-10}
bench_init
bench_database mu_bench_changes
bench_serve build/machine-users
bench_users 1
user=$USER_IDS
# The history, written straight into the store (the service's own appends would take
# minutes): changes 2..EVENTS of the user the API added, and its stream head.
"${BENCH_PSQL[@]}" "$BENCH_URL" <<SQL
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, payload, creator, owner)
SELECT 'user', '$user', n, 'user.machine.changed', jsonb_build_object('name', 'n' || n),
       (SELECT creator FROM events WHERE aggregate_id = '$user' AND sequence = 1),
       (SELECT owner FROM events WHERE aggregate_id = '$user' AND sequence = 1)
  FROM generate_series(2, $events) AS n;
UPDATE streams SET sequence = $events WHERE aggregate_type = 'user' AND aggregate_id = '$user';
ANALYZE events;
SQL
owner=$("${BENCH_PSQL[@]}" "$BENCH_URL" -At -c "SELECT owner FROM events WHERE aggregate_id = '$user' LIMIT 1")
mu_log "the plan of the first page's query:"
"${BENCH_PSQL[@]}" "$BENCH_URL" -c "EXPLAIN (ANALYZE, COSTS OFF) SELECT sequence, event_type,
  (extract(epoch FROM created_at) * 1000000)::bigint, creator, owner FROM events
  WHERE aggregate_type = 'user' AND aggregate_id = '$user' AND owner = '$owner'
    AND sequence < 9223372036854775807 ORDER BY sequence DESC LIMIT 100"
for c in 1 8; do
  printf 'c=%-2s ' "$c"
  USER_ID=$user TOKEN=$TOKEN wrk -t1 -c"$c" -d"${duration}s" -s bench/user_changes.lua \
    "http://127.0.0.1:$BENCH_PORT" | awk '/Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF} /^p50/ {lat=$0} END {printf "%s req/s, %s, non-2xx %d\n", rps, lat, bad}'
done
