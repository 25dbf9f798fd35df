#!/usr/bin/env bash
# How far behind the async users projection runs under the seed call's write load:
# `serve --async-projections users`, wrk driving PUT /users/{id}/machine over 64 users
# (bench/update_machine.lua) at CONNECTIONS (default 8) for DURATION seconds (default 20),
# while the lag is sampled every 50 ms: the age of the oldest committed event the runner
# has not reduced yet (0 when caught up). Prints p50/p99/max of the samples and the req/s.
# MODE=inline: the same load with users inline, for the throughput beside (lag is then 0).
#   bench/async_lag.sh                    uses the embedded cluster of ./run (.data/)
#   DATABASE_URL=... bench/async_lag.sh
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
source bench/lib.sh
ensure_packages wrk
bench_init
bench_database mu_bench_lag
url=$BENCH_URL
psql=("${BENCH_PSQL[@]}")
# MODE=inline runs the same load without the async runner (and its NOTIFY), for the req/s beside.
mode_flags=(--async-projections users)
[[ "${MODE:-async}" == inline ]] && mode_flags=()
bench_serve build/machine-users "${mode_flags[@]}"
port=$BENCH_PORT
bench_users 64

duration=${DURATION:-20}
connections=${CONNECTIONS:-8}
samples=$(mktemp)
wrk -t2 -c"$connections" -d"${duration}s" -s bench/update_machine.lua "http://127.0.0.1:$port" >"$samples.wrk" &
wrk_pid=$!
sleep 1
# A sample: the age of the oldest committed event not yet reduced (0 when caught up).
end=$((SECONDS + duration - 2))
while ((SECONDS < end)); do
  "${psql[@]}" -tA "$url" -c "SELECT coalesce(round(extract(epoch FROM clock_timestamp() - min(e.created_at)) * 1000), 0)
      FROM events e, projection_checkpoints c
     WHERE c.projection = 'users' AND e.tx_id >= pg_snapshot_xmin(c.done_snapshot)
       AND NOT pg_visible_in_snapshot(e.tx_id, c.done_snapshot)" >>"$samples"
  sleep 0.05
done
wait "$wrk_pid"
rps=$(awk '/Requests\/sec/ {print $2}' "$samples.wrk")
sort -n "$samples" | awk -v rps="$rps" -v c="$connections" '{a[NR]=$1} END {
  p99 = int(NR * 0.99) + 1; if (p99 > NR) p99 = NR
  printf "users lag under %s req/s (c=%s): %d samples, p50 %d ms, p99 %d ms, max %d ms\n",
         rps, c, NR, a[int(NR * 0.5) + 1], a[p99], a[NR] }'
rm -f "$samples" "$samples.wrk"
