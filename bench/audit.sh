#!/usr/bin/env bash
# Audit at scale: EVENTS (1,000,000) hashed and chained events over USERS (10,000) users,
# written straight into the store; then
#   - `machine-users audit seal` and `audit verify` over all of them (events/s),
#   - ListEvents by event type and time range: the plan (EXPLAIN ANALYZE: no sequential scan
#     on events) and p50/p99 through HTTP at concurrency 1 and 8, DURATION (10) s each.
#   bench/audit.sh                     uses the embedded cluster of ./run (.data/)
#   DATABASE_URL=... bench/audit.sh
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
source bench/lib.sh
ensure_packages wrk bc
events=${EVENTS:-1000000}
users=${USERS:-10000}
duration=${DURATION:-10}
binary=${BINARY:-build/machine-users}
bench_init
bench_database mu_bench_audit
if [[ -n ${KEEP:-} ]]; then  # keep the database for a closer look (drop it yourself)
  BENCH_DBS=()
  mu_log "keeping $BENCH_URL"
fi
key=$(mktemp -u /tmp/mu-bench-seal-XXXXXX.key)
token_file=$(mktemp)
trap 'rm -f "$key" "$key.pub" "$token_file"; bench_cleanup' EXIT
"$binary" setup --org-name Audit --admin-user auditor --token-file "$token_file" --seal-key "$key" \
  --database-url "$BENCH_URL" >/dev/null
owner=$("${BENCH_PSQL[@]}" "$BENCH_URL" -At -c "SELECT owner FROM events WHERE aggregate_type = 'org' LIMIT 1")

mu_log "writing $events events over $users users, each chained by event_hash() ..."
start=$(date +%s.%N)
# One statement per sequence number, for every user at once, each event chained to the
# user's event before it (read back through the primary key). Every event is 10 ms after
# the one before (by position). Types: added, then a tenth each locked and unlocked (spread
# over users and sequences), changed else.
"${BENCH_PSQL[@]}" "$BENCH_URL" <<SQL
DO \$\$
DECLARE
  per int := $events / $users;
  t0 timestamptz := now() - make_interval(secs => $events / 100.0);
BEGIN
  FOR s IN 1..per LOOP
    INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, payload, creator,
                        owner, created_at, rpc, transport, hash)
    SELECT 'user', e.id, s, e.typ, e.pl, 'SYSTEM', '$owner', e.at, 'bench', 'sql',
           event_hash(coalesce(p.hash, '\\x'::bytea), 'user', e.id, s, e.typ, 1::smallint, e.pl,
                      'SYSTEM', '$owner', e.at, 'bench', 'sql', '')
      FROM (SELECT 'bench-' || u AS id,
                   CASE WHEN s = 1 THEN 'user.machine.added' WHEN (u + s) % 10 = 0 THEN 'user.locked'
                        WHEN (u + s) % 10 = 1 THEN 'user.unlocked' ELSE 'user.machine.changed' END AS typ,
                   CASE WHEN s = 1 THEN jsonb_build_object('userName', 'u' || u, 'name', 'n')
                        WHEN (u + s) % 10 IN (0, 1) THEN '{}'::jsonb
                        ELSE jsonb_build_object('name', 'n' || s) END AS pl,
                   t0 + make_interval(secs => ((s - 1) * $users + u) / 100.0) AS at
              FROM generate_series(1, $users) AS u) e
      LEFT JOIN events p ON p.aggregate_type = 'user' AND p.aggregate_id = e.id
                        AND p.sequence = s - 1
     ORDER BY e.id;
  END LOOP;
  INSERT INTO streams (aggregate_type, aggregate_id, sequence, owner, last_hash, created_at)
  SELECT 'user', aggregate_id, sequence, '$owner', hash, t0 FROM events
   WHERE aggregate_type = 'user' AND aggregate_id LIKE 'bench-%' AND sequence = per;
END;
\$\$;
VACUUM ANALYZE events;  -- as autovacuum would, before anything is timed
CHECKPOINT;  -- the load's writes flushed now, not during the timed runs
SQL
mu_log "written in $(echo "$(date +%s.%N) - $start" | bc) s"
total=$("${BENCH_PSQL[@]}" "$BENCH_URL" -At -c "SELECT count(*) FROM events")
# Autovacuum may still be at the new rows: let it finish before anything is timed.
for _ in $(seq 120); do
  busy=$("${BENCH_PSQL[@]}" "$BENCH_URL" -At -c "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'")
  [[ $busy == 0 ]] && break
  sleep 1
done

timed() {  # prints the seconds the command took; its output goes to stderr
  local s e
  s=$(date +%s.%N)
  "$@" >&2
  e=$(date +%s.%N)
  echo "$e - $s" | bc
}
seal_s=$(timed "$binary" audit seal --key "$key" --database-url "$BENCH_URL")
printf 'audit seal   : %s events in %.2f s, %.0f events/s\n' "$total" "$seal_s" "$(echo "$total / $seal_s" | bc -l)"
runs=()
for run in 1 2 3 4 5; do
  verify_s=$(timed "$binary" audit verify --public-key "$key.pub" --database-url "$BENCH_URL")
  runs+=("$verify_s")
  printf 'audit verify : %s events in %.2f s, %.0f events/s (run %d)\n' "$total" "$verify_s" \
    "$(echo "$total / $verify_s" | bc -l)" "$run"
done
median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)
printf 'audit verify : median %.2f s, %.0f events/s\n' "$median" "$(echo "$total / $median" | bc -l)"

# The service for ListEvents, started only now: nothing else runs while verify is timed.
bench_serve "$binary"

# ListEvents: user.locked in a ten-minute window in the middle, newest first, 100 a page.
since=$("${BENCH_PSQL[@]}" "$BENCH_URL" -At -c "SELECT to_char((min(created_at) + (max(created_at) - min(created_at)) / 2) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM events")
until=$("${BENCH_PSQL[@]}" "$BENCH_URL" -At -c "SELECT to_char(('$since'::timestamptz + interval '10 minutes') AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")
mu_log "ListEvents eventTypes [user.locked], range $since .. $until: the plan of its query"
# The statement eventstore::events_select builds for that request (horizon: the next id).
"${BENCH_PSQL[@]}" "$BENCH_URL" -c "EXPLAIN (ANALYZE, COSTS OFF) WITH keys AS MATERIALIZED (
  SELECT tx_id, position FROM events
  WHERE tx_id < pg_snapshot_xmax(pg_current_snapshot())::text::xid8
    AND event_type = ANY(ARRAY['user.locked']::text[])
    AND created_at > '$since'::timestamptz AND created_at < '$until'::timestamptz),
  page AS (SELECT position FROM keys ORDER BY tx_id DESC, position DESC LIMIT 100)
  SELECT position, aggregate_type, aggregate_id, sequence, event_type, payload::text, creator,
    owner, (extract(epoch FROM created_at) * 1000000)::bigint, rpc, transport, request_id
  FROM events WHERE position IN (SELECT position FROM page) ORDER BY tx_id DESC, position DESC"
body="{\"eventTypes\":[\"user.locked\"],\"range\":{\"since\":\"$since\",\"until\":\"$until\"},\"limit\":100}"
curl -sf -X POST "127.0.0.1:$BENCH_PORT/admin/v1/events/_search" -H "authorization: Bearer $TOKEN" \
  -d "$body" | grep -o '"sequence"' | wc -l | xargs printf 'a page holds %s events\n'
for c in 1 8; do
  printf 'ListEvents c=%-2s ' "$c"
  BODY=$body TOKEN=$TOKEN wrk -t1 -c"$c" -d"${duration}s" -s bench/list_events.lua \
    "http://127.0.0.1:$BENCH_PORT" | awk '/Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF} /^p50/ {lat=$0} END {printf "%s req/s, %s, non-2xx %d\n", rps, lat, bad}'
done
