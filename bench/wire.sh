#!/usr/bin/env bash
# UpdateMachine over REST, gRPC-Web and gRPC side by side: one server, one database,
# one load client (wire-load, built with the project: ghz is not packaged), the same
# concurrency, interleaved rounds. Prints each transport's calls/s, p50/p99 and its
# ratio to REST in the same round, and the medians over the rounds.
#   bench/wire.sh                         the embedded cluster of ./run (.data/, durable)
#   DATABASE_URL=... bench/wire.sh        another server (use a durable one: fsync on)
#   C=32 DURATION=20 ROUNDS=3 USERS=256   concurrency, seconds per point, rounds, users
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
source scripts/lib.sh
source bench/lib.sh
build_targets build machine-users wire-load
bench_init
c=${C:-32}
duration=${DURATION:-20}
rounds=${ROUNDS:-3}

bench_database mu_bench_wire
bench_serve build/machine-users
bench_users "${USERS:-256}"
users_file=$(mktemp)
trap 'rm -f "$users_file"; bench_cleanup' EXIT
tr ',' '\n' <<<"$USER_IDS" >"$users_file"

declare -A rates
printf '%-5s %-9s %8s %8s %8s %7s %s\n' round transport calls/s p50_ms p99_ms errors ratio
for ((r = 1; r <= rounds; r++)); do
  declare -A rate=()
  for mode in rest grpc-web grpc; do
    line=$(build/wire-load --port "$BENCH_PORT" --token "$TOKEN" --users "$users_file" \
      --mode "$mode" --concurrency "$c" --duration "$duration" --warmup 3 || true)
    read -r calls errors rps p50 p99 <<<"$(sed -E 's/^[^ ]+ calls=([0-9]+) errors=([0-9]+) rate=([0-9]+) p50=([0-9.]+) p99=([0-9.]+).*/\1 \2 \3 \4 \5/' <<<"$line")"
    : "$calls"
    rate[$mode]=$rps
    rates[$mode]+="$rps "
    printf '%-5s %-9s %8s %8s %8s %7s %s\n' "$r" "$mode" "$rps" "$p50" "$p99" "$errors" \
      "$(awk -v a="$rps" -v b="${rate[rest]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
rest_median=$(median "${rates[rest]}")
for mode in rest grpc-web grpc; do
  m=$(median "${rates[$mode]}")
  printf 'median %-9s %8s calls/s  ratio to REST %s\n' "$mode" "$m" \
    "$(awk -v a="$m" -v b="$rest_median" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
