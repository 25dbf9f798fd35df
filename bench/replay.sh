#!/usr/bin/env bash
# Replay speed of the users read model: EVENTS events over USERS users (default
# 1,000,000 over 100,000), written straight into the event store by SQL, then
# `machine-users projections replay users` timed end to end.
#   bench/replay.sh                    uses the embedded cluster of ./run (.data/)
#   DATABASE_URL=... EVENTS=200000 USERS=20000 bench/replay.sh
#   BINARY=PATH (another build), REPLAY_WRAP="perf record -g" (a profile of the replay),
#   NO_VACUUM=1 (replay right after the bulk load, hint bits unset)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
events=${EVENTS:-1000000}
users=${USERS:-100000}
source bench/lib.sh
bench_init
bench_database mu_bench_replay
url=$BENCH_URL
psql=("${BENCH_PSQL[@]}")
build/machine-users migrate --database-url "$url" >/dev/null
mu_log "writing $events events over $users users"
"${psql[@]}" "$url" <<SQL
INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, payload, creator, owner)
SELECT 'user', 'u' || (n % $users), n / $users + 1,
       CASE WHEN n < $users THEN 'user.machine.added' ELSE 'user.machine.changed' END,
       CASE WHEN n < $users
            THEN jsonb_build_object('userName', 'u' || n, 'name', 'n', 'description', '')
            ELSE jsonb_build_object('name', 'n' || n) END,
       'bench', 'org1'
  FROM generate_series(0, $events - 1) AS n
 ORDER BY n;
INSERT INTO streams (aggregate_type, aggregate_id, sequence, owner, created_at)
SELECT 'user', aggregate_id, max(sequence), 'org1', min(created_at) FROM events GROUP BY aggregate_id;
-- As autovacuum would have long before a replay reads history (and as bench/audit.sh does):
-- without it the replay's first read of each page also sets its hint bits and writes it,
-- which measures the bulk load above, not the replay. NO_VACUUM=1 skips it.
SQL
if [[ -z ${NO_VACUUM:-} ]]; then
  "${psql[@]}" "$url" -c "VACUUM ANALYZE events" -c "VACUUM ANALYZE streams" -c "CHECKPOINT" >/dev/null
fi
mu_log "replaying"
start=$(date +%s.%N)
${REPLAY_WRAP:-} "${BINARY:-build/machine-users}" projections replay users --database-url "$url"
end=$(date +%s.%N)
awk -v e="$events" -v s="$start" -v t="$end" 'BEGIN { printf "replay: %d events in %.1f s = %.0f events/s\n", e, t - s, e / (t - s) }'
