# shellcheck shell=bash
# Shared helpers for ./run, ./test and .ci/run. Source it; it sets no shell options
# itself (the callers use `set -euo pipefail`).
#
#   ensure_packages [PKG...]             install the Debian packages the project needs, and PKG...
#   build_project DIR [CMAKE_ARGS...]    configure (Ninja, RelWithDebInfo) and build
#   pg_as_owner CMD...                   run CMD as the `postgres` user when root
#   pg_init DATADIR [durable|throwaway]  initdb a cluster (trust auth, superuser postgres)
#   pg_start DATADIR PORT SOCKETDIR      start it on 127.0.0.1:PORT (log: DATADIR/../postgres.log)
#   pg_stop DATADIR                      stop it (fast); no-op if not running
#   pg_is_running DATADIR                status 0 if the cluster is running
#   port_is_free PORT                    status 0 if nothing holds 127.0.0.1:PORT
#   free_port                            print a free TCP port on 127.0.0.1 (54000-54999)

MU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

MU_PACKAGES=(
  cmake g++ ninja-build pkg-config
  libboost1.81-dev libpqxx-dev nlohmann-json3-dev catch2 libssl-dev
  postgresql-15 curl
)

mu_log() { printf '==> %s\n' "$*" >&2; }
mu_die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# ---- packages -----------------------------------------------------------------

ensure_packages() {
  local pkg missing=()
  for pkg in "${MU_PACKAGES[@]}" "$@"; do
    if [[ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  if [[ ! -x "$PG_BIN/postgres" ]] && [[ ! " ${missing[*]} " == *" postgresql-15 "* ]]; then
    missing+=(postgresql-15)
  fi
  if ((${#missing[@]} == 0)); then
    return 0
  fi

  local -a sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      mu_die "missing Debian packages: ${missing[*]} (not root and no sudo: install them as root)"
    fi
  fi
  mu_log "installing missing Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update ||
    mu_die "apt-get update failed"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}" ||
    mu_die "apt-get install failed for: ${missing[*]}"
}

# ---- build --------------------------------------------------------------------

build_project() {
  (($# >= 1)) || mu_die "usage: build_project BUILD_DIR [CMAKE_ARGS...]"
  local dir=$1
  shift
  mu_log "configuring $dir"
  cmake -S "$MU_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" ||
    mu_die "cmake configure failed for $dir"
  mu_log "building $dir"
  cmake --build "$dir" -j 2 ||
    mu_die "build failed in $dir"
}

# ---- PostgreSQL clusters ------------------------------------------------------

_mu_abs() { realpath -m -- "$1"; }

# Runs a command as the cluster owner: `postgres` when we are root (PostgreSQL
# refuses to run as root), else as ourselves. As root it runs from / (the caller's
# working directory may not be readable by postgres), so pass absolute paths.
pg_as_owner() {
  if ((EUID == 0)); then
    (cd / && exec runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Makes DIR (and missing parents) and, as root, gives DIR to the postgres user.
# Fails with a clear message when postgres cannot write it (e.g. a parent is 0700).
pg_own_dir() {
  local dir
  dir=$(_mu_abs "$1")
  mkdir -p -- "$dir"
  if ((EUID == 0)); then
    id postgres >/dev/null 2>&1 || mu_die "no 'postgres' user: is postgresql-15 installed?"
    chown postgres:postgres -- "$dir"
    pg_as_owner test -w "$dir" -a -x "$dir" ||
      mu_die "the postgres user cannot reach $dir (a parent directory is not traversable by it, e.g. /root is 0700)"
  fi
}

pg_is_running() {
  local datadir
  datadir=$(_mu_abs "$1")
  [[ -f "$datadir/PG_VERSION" ]] || return 1
  pg_as_owner "$PG_BIN/pg_ctl" -D "$datadir" status >/dev/null 2>&1
}

pg_init() {
  (($# >= 1)) || mu_die "usage: pg_init DATADIR [durable|throwaway]"
  local datadir mode=${2:-durable}
  datadir=$(_mu_abs "$1")
  case "$mode" in
    durable | throwaway) ;;
    *) mu_die "pg_init: mode must be durable or throwaway, not '$mode'" ;;
  esac
  if [[ -f "$datadir/PG_VERSION" ]]; then
    mu_log "PostgreSQL cluster already initialised in $datadir"
    return 0
  fi
  [[ -x "$PG_BIN/initdb" ]] || mu_die "$PG_BIN/initdb not found: install postgresql-15"

  pg_own_dir "$datadir"
  chmod 700 -- "$datadir"

  local locale=C
  if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
    locale=C.UTF-8
  fi
  local -a args=(-D "$datadir" -A trust -U postgres -E UTF8 --locale="$locale")
  if [[ "$mode" == throwaway ]]; then
    args+=(--no-sync)
  fi

  mu_log "initialising $mode PostgreSQL cluster in $datadir"
  local out
  if ! out=$(pg_as_owner "$PG_BIN/initdb" "${args[@]}" 2>&1); then
    printf '%s\n' "$out" >&2
    mu_die "initdb failed for $datadir"
  fi

  if [[ "$mode" == throwaway ]]; then
    cat >>"$datadir/postgresql.conf" <<'EOF'

# Throwaway cluster for tests (scripts/lib.sh): speed over durability.
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
  fi
}

pg_start() {
  (($# == 3)) || mu_die "usage: pg_start DATADIR PORT SOCKETDIR"
  local datadir port=$2 sockdir log
  datadir=$(_mu_abs "$1")
  sockdir=$(_mu_abs "$3")
  log="$(dirname "$datadir")/postgres.log"
  [[ "$port" =~ ^[0-9]+$ ]] || mu_die "pg_start: bad port '$port'"
  [[ -f "$datadir/PG_VERSION" ]] || mu_die "no PostgreSQL cluster in $datadir (run pg_init first)"

  if pg_is_running "$datadir"; then
    mu_log "PostgreSQL already running for $datadir"
    return 0
  fi
  # The Unix socket path (sun_path) is limited to 107 bytes.
  local sock="$sockdir/.s.PGSQL.$port"
  ((${#sock} <= 107)) || mu_die "socket path too long (${#sock} > 107 bytes): $sock"

  if ((EUID == 0)); then
    touch -- "$log"
    chown postgres:postgres -- "$log"
  fi
  local before=0
  [[ -f "$log" ]] && before=$(stat -c %s -- "$log")

  local opts
  opts="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$(printf '%q' "$sockdir")"
  mu_log "starting PostgreSQL on 127.0.0.1:$port (data $datadir, log $log)"
  if ! pg_as_owner "$PG_BIN/pg_ctl" -D "$datadir" -l "$log" -w -t 60 -s -o "$opts" start; then
    printf 'error: PostgreSQL failed to start; end of %s:\n' "$log" >&2
    tail -c +"$((before + 1))" -- "$log" 2>/dev/null | tail -n 30 >&2 || true
    return 1
  fi
}

pg_stop() {
  (($# >= 1)) || mu_die "usage: pg_stop DATADIR"
  local datadir
  datadir=$(_mu_abs "$1")
  if ! pg_is_running "$datadir"; then
    mu_log "PostgreSQL not running for $datadir"
    return 0
  fi
  mu_log "stopping PostgreSQL ($datadir)"
  pg_as_owner "$PG_BIN/pg_ctl" -D "$datadir" -m fast -w -t 60 -s stop ||
    printf 'warning: pg_ctl stop failed for %s\n' "$datadir" >&2
}

# ---- ports --------------------------------------------------------------------

_mu_python_ok=""
_mu_have_python() {
  if [[ -z "$_mu_python_ok" ]]; then
    if command -v python3 >/dev/null 2>&1 && python3 -c '' >/dev/null 2>&1; then
      _mu_python_ok=yes
    else
      _mu_python_ok=no
    fi
  fi
  [[ "$_mu_python_ok" == yes ]]
}

port_is_free() {
  local port=$1
  if _mu_have_python; then
    # Bind as PostgreSQL does (SO_REUSEADDR): fails if anything holds the port.
    python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
' "$port"
  else
    # No python: free if nobody accepts a connection there.
    ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

free_port() {
  local lo=54000 span=1000 start i port
  start=$((RANDOM % span))
  for ((i = 0; i < span; i++)); do
    port=$((lo + (start + i) % span))
    if port_is_free "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  mu_die "no free TCP port in $lo-$((lo + span - 1)) on 127.0.0.1"
}
