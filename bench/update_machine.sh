#!/usr/bin/env bash
# The seed call (PUT /users/{id}/machine) and GET /users/{id} beside the database's own limit
# for the same work (../shared/bench-reference/: db-limit-1rt, db-limit, db-read), at the same
# concurrency, interleaved, on the same PostgreSQL; prints each figure and the ratios.
#   bench/update_machine.sh                  the embedded cluster of ./run (.data/, durable)
#   DATABASE_URL=... bench/update_machine.sh another server (use a durable one: fsync on)
#   LEVELS="8 32" DURATION=20 USERS=256      concurrencies, seconds per point, users written
#   BINARIES="old=/path/machine-users new=build/machine-users"   A/B: each binary on a database
#                                            of its own, measured in turn at every point
# Needs wrk and pgbench (installed if missing).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
source bench/lib.sh
ensure_packages wrk
bench_init
reference=../shared/bench-reference
[[ -d "$reference" ]] || mu_die "no $reference: the pgbench reference scripts live in shared/"
pgbench=/usr/lib/postgresql/15/bin/pgbench
duration=${DURATION:-20}
levels=${LEVELS:-8 32}

declare -A port token ids
labels=()
for spec in ${BINARIES:-new=build/machine-users}; do
  label=${spec%%=*}
  labels+=("$label")
  bench_database "mu_bench_$label"
  bench_serve "${spec#*=}"
  bench_users "${USERS:-256}"
  port[$label]=$BENCH_PORT token[$label]=$TOKEN ids[$label]=$USER_IDS
done
bench_database mu_bench_ref
"${BENCH_PSQL[@]}" "$BENCH_URL" -f "$reference/db-limit.sql" >/dev/null

# wrk's req/s, p50/p99 and non-2xx of one run.
service() {
  local label=$1 c=$2 script=$3
  TOKEN=${token[$label]} USER_IDS=${ids[$label]} \
    wrk -t2 -c"$c" -d"${duration}s" -s "$script" "http://127.0.0.1:${port[$label]}" |
    awk '/Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$NF} /^p50/ {lat=$2 "/" $5} END {printf "%.0f %s %d\n", rps, lat, bad}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# pgbench's tps and mean latency of one reference script.
ref() {
  "$pgbench" -n -M prepared -c "$2" -j 2 -T "$duration" -f "$reference/$1" "$BENCH_URL" 2>/dev/null |
    awk '/^tps/ {tps=$3} /latency average/ {lat=$4} END {printf "%.0f %s\n", tps, lat}'
}

printf '%-6s %-4s %-6s %10s %18s %8s %10s %8s\n' call c binary req/s "p50 / p99" non2xx reference ratio
for c in $levels; do
  for label in "${labels[@]}"; do
    read -r put_rps put_lat put_bad <<<"$(service "$label" "$c" bench/update_machine.lua)"
    read -r one_tps _ <<<"$(ref db-limit-1rt.pgbench "$c")"
    read -r five_tps _ <<<"$(ref db-limit.pgbench "$c")"
    read -r get_rps get_lat get_bad <<<"$(service "$label" "$c" bench/get_user.lua)"
    read -r read_tps _ <<<"$(ref db-read.pgbench "$c")"
    printf '%-6s %-4s %-6s %10s %18s %8s %10s %8s\n' PUT "$c" "$label" "$put_rps" "$put_lat ms" "$put_bad" \
      "1rt $one_tps" "$(ratio "$put_rps" "$one_tps")"
    printf '%-6s %-4s %-6s %10s %18s %8s %10s %8s\n' PUT "$c" "$label" "" "" "" "5rt $five_tps" \
      "$(ratio "$put_rps" "$five_tps")"
    printf '%-6s %-4s %-6s %10s %18s %8s %10s %8s\n' GET "$c" "$label" "$get_rps" "$get_lat ms" "$get_bad" \
      "read $read_tps" "$(ratio "$get_rps" "$read_tps")"
  done
done
