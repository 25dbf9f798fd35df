#!/usr/bin/env bash
# libFuzzer targets of everything a request goes through before the database:
# the REST body decoders (decoders), the router and path ids (routes), raw
# HTTP through Beast's parser (http), and what the OAuth endpoints read (jose:
# JWTs, forms, Basic credentials, RSA key PEM). See docs/fuzzing.md.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TARGETS=(decoders routes http jose)
BUILD_DIR=${MU_FUZZ_BUILD_DIR:-$MU_ROOT/build-fuzz}
SOURCE_DIR=${MU_FUZZ_SOURCE:-}
DICT=$MU_ROOT/fuzz/fuzz.dict
RSS_LIMIT_MB=2048
TIMEOUT_S=10 # one input taking longer is a finding (timeout-*)
DEEP=100000  # nesting depth of the generated deep-nesting seeds

usage() {
  cat <<'EOF'
usage: scripts/fuzz.sh COMMAND [ARGS] [OPTIONS]

  build              configure and build the targets into build-fuzz/ (clang++-14,
                     -fsanitize=fuzzer,address,undefined)
  smoke [SECONDS]    build, then fuzz each target SECONDS (default 20) on a fresh copy of
                     its seed corpus; non-zero exit when any target crashes, times out or
                     runs out of memory
  run [SECONDS]      the same for longer: SECONDS per target (default 600)
  repro TARGET FILE...
                     run one target on the given inputs only (a reproducer, a seed)
  triage TARGET FILE...
                     replay inputs and group them by finding (what, and the first frame in
                     app/ or domain/), with the smallest reproducer of each

options:
  --target NAME      only this target (decoders, routes, http, jose); repeatable
  --keep-going       run/smoke: do not stop at the first crash (libFuzzer's -fork=1 with
                     -ignore_crashes/-ignore_timeouts/-ignore_ooms); every crash is saved
  --strict           also check what the hardening is to guarantee (MU_FUZZ_STRICT=1:
                     no U+0000 in accepted values, PAT expirations read back)
  -h, --help         this text

environment:
  MU_FUZZ_BUILD_DIR  build directory (default build-fuzz/)
  MU_FUZZ_SOURCE     fuzz another copy of the sources (domain/, app/), e.g. an export of
                     an older commit, instead of this checkout

Per target, build-fuzz/work/TARGET/ holds corpus/ (the working corpus: the seeds of
fuzz/corpus/TARGET/ plus the generated deep-nesting bodies, and what the run adds),
artifacts/ (crash-*, timeout-*, oom-*: the reproducers) and fuzz.log.
EOF
}

# ---- build --------------------------------------------------------------------------

cmd_build() {
  ensure_packages clang-14 libfuzzer-14-dev
  local -a args=(-S "$MU_ROOT/fuzz" -B "$BUILD_DIR" -G Ninja -DCMAKE_CXX_COMPILER=clang++-14)
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  if [[ -n "$SOURCE_DIR" ]]; then
    args+=(-DMU_SOURCE_DIR="$(realpath -- "$SOURCE_DIR")")
  fi
  mu_log "configuring $BUILD_DIR"
  mkdir -p -- "$BUILD_DIR"
  cmake "${args[@]}" >"$BUILD_DIR/configure.log" 2>&1 || {
    cat "$BUILD_DIR/configure.log" >&2
    mu_die "cmake configure failed for $BUILD_DIR"
  }
  grep -F -- '-- fuzz: ' "$BUILD_DIR/configure.log" >&2 || true
  mu_log "building $BUILD_DIR"
  cmake --build "$BUILD_DIR" -j 2 || mu_die "build failed in $BUILD_DIR"
}

# ---- corpus -------------------------------------------------------------------------

# STR repeated N times, by doubling.
repeat() {
  local s=$1 n=$2 out=""
  while ((n > 0)); do
    if ((n & 1)); then out+=$s; fi
    s+=$s
    n=$((n >> 1))
  done
  printf '%s' "$out"
}

# The deep-nesting bodies: `{"name": [[[...]]]}` and `{"name": {"":{"":...}}}`,
# DEEP levels, closed (valid JSON) and unclosed.
deep_bodies() { # DIR
  local dir=$1
  mkdir -p "$dir"
  local arrays_open arrays_close objects_open objects_close
  arrays_open=$(repeat '[' "$DEEP")
  arrays_close=$(repeat ']' "$DEEP")
  objects_open=$(repeat '{"":' "$DEEP")
  objects_close=$(repeat '}' "$DEEP")
  printf '{"name": %s%s}' "$arrays_open" "$arrays_close" >"$dir/deep_arrays"
  printf '{"name": %s' "$arrays_open" >"$dir/deep_arrays_unclosed"
  printf '{"name": %s1%s}' "$objects_open" "$objects_close" >"$dir/deep_objects"
  printf '{"name": %s' "$objects_open" >"$dir/deep_objects_unclosed"
}

# A fresh working corpus for TARGET: the committed seeds and the generated ones.
prepare_corpus() { # TARGET DIR
  local target=$1 dir=$2 bodies body name
  rm -rf -- "$dir"
  mkdir -p -- "$dir"
  cp -- "$MU_ROOT/fuzz/corpus/$target/"* "$dir/"
  bodies=$(mktemp -d)
  deep_bodies "$bodies"
  for body in "$bodies"/*; do
    name=$(basename -- "$body")
    case "$target" in
      decoders)
        # AddMachineUser (selector 0) and AddOrg (3): "name" is a string field of both.
        { printf 0 && cat -- "$body"; } >"$dir/generated_${name}_add_machine_user"
        { printf 3 && cat -- "$body"; } >"$dir/generated_${name}_add_org"
        ;;
      http)
        {
          printf 'POST /management/v1/users/machine HTTP/1.1\r\nHost: localhost\r\n'
          printf 'Authorization: Bearer t\r\nContent-Type: application/json\r\n'
          printf 'Content-Length: %d\r\n\r\n' "$(wc -c <"$body")"
          cat -- "$body"
        } >"$dir/generated_${name}"
        ;;
    esac
  done
  rm -rf -- "$bodies"
}

# ---- running ------------------------------------------------------------------------

SELECTED=()
KEEP_GOING=0
STRICT=0
RESULTS=()
FAILED=0

# Fuzzes TARGET for SECONDS and records one line of results.
fuzz_target() { # TARGET SECONDS
  local target=$1 seconds=$2
  local bin="$BUILD_DIR/fuzz_$target" work="$BUILD_DIR/work/$target"
  [[ -x "$bin" ]] || mu_die "$bin not built (scripts/fuzz.sh build)"
  local corpus="$work/corpus" artifacts="$work/artifacts" log="$work/fuzz.log"
  prepare_corpus "$target" "$corpus"
  rm -rf -- "$artifacts"
  mkdir -p -- "$artifacts"

  local -a flags=(
    -max_total_time="$seconds" -rss_limit_mb="$RSS_LIMIT_MB" -timeout="$TIMEOUT_S"
    -dict="$DICT" -artifact_prefix="$artifacts/" -print_final_stats=1
  )
  if ((KEEP_GOING)); then
    flags+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  fi
  mu_log "fuzzing $target for ${seconds}s (log: $log)"
  local rc=0
  (
    cd "$work"
    MU_FUZZ_STRICT=$STRICT \
      UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
      "$bin" "${flags[@]}" "$corpus" >"$log" 2>&1
  ) || rc=$?

  local execs rate cov ft corp last
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  last=$(grep -E '(^#[0-9]+| cov: )' "$log" | grep -F ' cov: ' | tail -n 1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9/a-zA-Z]*\).*/\1/p' <<<"$last")
  if [[ -z "$execs" ]]; then # a crash before the final stats, or fork mode
    execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' <<<"$last")
  fi
  if [[ -z "$rate" ]]; then
    rate=$(sed -n 's/.* exec\/s:\{0,1\} \([0-9]*\).*/\1/p' <<<"$last")
  fi

  local found status=ok
  found=$(find "$artifacts" -type f | wc -l)
  if ((rc != 0)); then
    status="FAILED (exit $rc)"
  fi
  if ((found > 0)); then
    status="FAILED ($found artifact(s))"
  fi
  if [[ "$status" != ok ]]; then
    FAILED=1
    printf '\n---- %s: %s\n' "$target" "$status" >&2
    if ((found > 0)); then
      triage "$target" "$artifacts"/* >&2
    else
      tail -n 20 "$log" >&2
    fi
    printf '  replay one: scripts/fuzz.sh repro %s FILE\n\n' "$target" >&2
  fi
  RESULTS+=("$(printf '%-9s %-28s %12s %9s %6s %7s %9s' "$target" "$status" "${execs:--}" \
    "${rate:--}" "${cov:--}" "${ft:--}" "${corp:--}")")
}

# One line per input: what went wrong, and the first frame in the project's code
# (app/, domain/), from a replay of the input.
signature() { # TARGET FILE
  local out
  [[ -f "$2" ]] || {
    echo "no such file"
    return
  }
  out=$(cmd_repro "$1" "$2" 2>&1) && {
    echo "no crash on replay"
    return
  }
  awk -v skip=' in (__asan|__interceptor|__sanitizer|__ubsan|HandleDynamicTypeCacheMiss|fuzzer::|std::|__gnu_cxx|operator new|operator delete|nlohmann::[^ ]*output_[a-z]*_adapter|abort|raise|gsignal|__GI_|__pthread_kill|pthread_kill|__restore_rt|mu::fuzz::finding\\(|mu::fuzz::.*::accepted\\()|libc\\.so' '
    function frame(line, keep_line,   f, loc) {
      f = line; sub(/^ *#[0-9]+ 0x[0-9a-f]+ in /, "", f)
      loc = f; sub(/^.* \//, "/", loc); sub(/:[0-9]+$/, "", loc)
      if (!keep_line) sub(/:[0-9]+$/, "", loc)
      n = split(loc, parts, "/")
      gsub(/\(anonymous namespace\)::/, "", f)
      while (gsub(/<[^<>]*>/, "", f)) {}
      sub(/\(.*$/, "", f)
      return f " (" parts[n] ")"
    }
    /^FINDING: / && !what {
      w = $0; sub(/^FINDING: /, "", w); d = w; sub(/: .*/, "", w); sub(/^[^:]*: /, "", d)
      what = "oracle: " w
      if (d ~ / = "/) { sub(/ = ".*/, "", d); what = what " [" d "]" }
    }
    /^  what\(\): / && !what { w = $0; sub(/^  what\(\): +/, "", w); sub(/\].*/, "]", w); what = "uncaught exception " w }
    /runtime error: / && !what { w = $0; sub(/^.*runtime error: /, "", w); gsub(/[0-9]+/, "N", w); what = "UBSan: " w }
    /^SUMMARY: AddressSanitizer: / && !what { w = $3; what = "ASan: " w }
    /ERROR: LeakSanitizer/ && !what { what = "LeakSanitizer: leak" }
    /^ALARM: working on the last Unit/ && !what { what = "timeout" }
    /out-of-memory/ && !what { what = "out of memory" }
    /^ +#[0-9]+ 0x[0-9a-f]+ in / {
      if (!first && $0 !~ skip) first = frame($0, 0)
      if (!ours && $0 ~ /\/(app|domain)\// && $0 !~ /\/fuzz\//) ours = frame($0, 1)
    }
    END {
      if (!what) what = "crash"
      print what " at " (ours ? ours : (first ? first : "?"))
    }' <<<"$out"
}

# The distinct findings among the inputs (the first 200), each with a count and
# one reproducer (the smallest).
triage() { # TARGET FILE...
  local target=$1 file sig
  shift
  for file in "${@:1:200}"; do
    sig=$(signature "$target" "$file")
    printf '%s\t%s\t%s\n' "$sig" "$(wc -c <"$file")" "$file"
  done | sort -t $'\t' -k1,1 -k2,2n | awk -F '\t' '
    $1 != last { if (last != "") print "  " n "x " last "\n      reproducer: " repro; last = $1; n = 0; repro = $3 " (" $2 " bytes)" }
    { n++ }
    END { if (last != "") print "  " n "x " last "\n      reproducer: " repro }'
}

report() {
  printf '\n%-9s %-28s %12s %9s %6s %7s %9s\n' target result execs exec/s cov ft corpus
  printf '%s\n' "${RESULTS[@]}"
  printf '(cov: coverage points (edges) reached; ft: features; corpus: inputs/size)\n'
}

fuzz_all() { # SECONDS
  local target
  for target in "${SELECTED[@]}"; do
    fuzz_target "$target" "$1"
  done
  report
  if ((FAILED)); then
    mu_log "FAILED: see the reproducers above and build-fuzz/work/TARGET/fuzz.log"
    return 1
  fi
  mu_log "no crashes"
}

cmd_repro() {
  (($# >= 2)) || mu_die "usage: scripts/fuzz.sh repro TARGET FILE..."
  local target=$1
  shift
  local bin="$BUILD_DIR/fuzz_$target"
  [[ -x "$bin" ]] || mu_die "$bin not built (scripts/fuzz.sh build)"
  MU_FUZZ_STRICT=$STRICT UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    "$bin" -rss_limit_mb="$RSS_LIMIT_MB" -timeout="$TIMEOUT_S" "$@"
}

main() {
  local command="" seconds=""
  local -a rest=()
  while (($#)); do
    case "$1" in
      -h | --help)
        usage
        return 0
        ;;
      --target)
        (($# >= 2)) || mu_die "--target needs a name"
        [[ " ${TARGETS[*]} " == *" $2 "* ]] || mu_die "unknown target '$2' (${TARGETS[*]})"
        SELECTED+=("$2")
        shift
        ;;
      --keep-going) KEEP_GOING=1 ;;
      --strict) STRICT=1 ;;
      -*) mu_die "unknown option '$1' (see --help)" ;;
      *)
        if [[ -z "$command" ]]; then command=$1; else rest+=("$1"); fi
        ;;
    esac
    shift
  done
  ((${#SELECTED[@]})) || SELECTED=("${TARGETS[@]}")

  case "$command" in
    build)
      ((${#rest[@]} == 0)) || mu_die "build takes no arguments"
      cmd_build
      ;;
    smoke | run)
      ((${#rest[@]} <= 1)) || mu_die "$command takes at most SECONDS"
      if [[ "$command" == smoke ]]; then seconds=${rest[0]:-20}; else seconds=${rest[0]:-600}; fi
      [[ "$seconds" =~ ^[1-9][0-9]*$ ]] || mu_die "SECONDS must be a positive number, not '$seconds'"
      cmd_build
      fuzz_all "$seconds"
      ;;
    repro) cmd_repro "${rest[@]}" ;;
    triage)
      ((${#rest[@]} >= 2)) || mu_die "usage: scripts/fuzz.sh triage TARGET FILE..."
      triage "${rest[@]}"
      ;;
    "")
      usage >&2
      return 2
      ;;
    *) mu_die "unknown command '$command' (see --help)" ;;
  esac
}

main "$@"
