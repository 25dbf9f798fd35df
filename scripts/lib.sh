# shellcheck shell=bash
# Shared helpers for ./run, ./test and .ci/run. Source it; it sets no shell options
# itself (the callers use `set -euo pipefail`).
#
#   ensure_packages [PKG...]             install the Debian packages the project needs, and PKG...
#   ensure_node_packages                 npm ci in tests/node (the wire tests' Node clients) when its
#                                        lock file changed since the last install
#   build_project DIR [CMAKE_ARGS...]    configure (Ninja, RelWithDebInfo) and build every target
#   configure_project DIR [CMAKE_ARGS...] configure only
#   build_targets DIR [TARGET...]        build TARGET... (default: every target)
#   pg_as_owner CMD...                   run CMD as the `postgres` user when root
#   pg_init DATADIR [durable|throwaway]  initdb a cluster (trust auth, superuser postgres)
#   pg_start DATADIR PORT SOCKETDIR      start it on 127.0.0.1:PORT (log: DATADIR/../postgres.log)
#   pg_stop DATADIR                      stop it (fast); no-op if not running
#   pg_is_running DATADIR                status 0 if the cluster is running
#   port_is_free PORT                    status 0 if nothing holds 127.0.0.1:PORT
#   free_port                            print a free TCP port on 127.0.0.1 (54000-54999)
#   embedded_db_layout                   where ./run's embedded cluster lives (sets MU_PG_* below)
#   embedded_db_start DBNAME             start it (initdb on first use), create DBNAME, export DATABASE_URL
#   embedded_db_stop                     stop it; no-op if there is none or it is not running
#   embedded_db_home ROOT                print the directory under MU_STATE_DIR for checkout ROOT

MU_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

MU_PACKAGES=(
  cmake g++ ninja-build pkg-config
  libboost1.81-dev libboost-context1.81-dev libpqxx-dev nlohmann-json3-dev catch2 libssl-dev
  postgresql-15 curl
  protobuf-compiler libprotobuf-dev protobuf-compiler-grpc libgrpc++-dev
  libnghttp2-dev zlib1g-dev libcli11-dev
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

ensure_node_packages() {
  local dir="$MU_ROOT/tests/node" stamp sum
  [[ -f "$dir/package-lock.json" ]] || return 0
  # Node 20 and npm come with the machine; Debian's own are the fallback.
  command -v npm >/dev/null 2>&1 || ensure_packages nodejs npm
  stamp="$dir/node_modules/.installed-lock.sha256"
  sum=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$sum" ]]; then return 0; fi
  mu_log "installing the wire tests' npm packages (npm ci in tests/node)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) || mu_die "npm ci in tests/node failed"
  printf '%s\n' "$sum" >"$stamp"
}

configure_project() {
  (($# >= 1)) || mu_die "usage: configure_project BUILD_DIR [CMAKE_ARGS...]"
  local dir=$1
  shift
  mu_log "configuring $dir"
  cmake -S "$MU_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" ||
    mu_die "cmake configure failed for $dir"
}

build_targets() {
  (($# >= 1)) || mu_die "usage: build_targets BUILD_DIR [TARGET...]"
  local dir=$1
  shift
  local -a targets=()
  if (($# > 0)); then
    targets=(--target "$@")
    mu_log "building $* in $dir"
  else
    mu_log "building $dir"
  fi
  cmake --build "$dir" -j 2 "${targets[@]}" ||
    mu_die "build failed in $dir"
}

build_project() {
  (($# >= 1)) || mu_die "usage: build_project BUILD_DIR [CMAKE_ARGS...]"
  configure_project "$@"
  build_targets "$1"
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

# ---- ./run's embedded cluster -------------------------------------------------
#
# It lives in .data/ (data directory .data/postgres; socket and postgres.log in .data/),
# unless we are root and the postgres user cannot reach the checkout (a parent such as
# /root is 0700), or the socket path there would be too long: then data directory,
# socket and log live in embedded_db_home (under MU_STATE_DIR), owned by postgres, and
# .data/postgres and .data/postgres.log are symbolic links into it. No permission of the
# checkout's directories is changed for that. .data/port and .data/admin-token stay in
# .data/ either way. The choice is made on the first start and then kept: an existing
# .data/postgres (directory or link) is used as it is.
#
# embedded_db_layout sets:
#   MU_DATA_DIR      .data/ of the checkout
#   MU_PORT_FILE     .data/port
#   MU_PG_DATA       .data/postgres (the data directory, or a link to it)
#   MU_PG_HOME       the directory of the socket and postgres.log
#   MU_PG_LOG        the server log
#   MU_PG_RELOCATED  1 when the cluster lives under MU_STATE_DIR, else 0

MU_STATE_DIR="${MU_STATE_DIR:-/var/lib/machine-users}"

embedded_db_home() {
  (($# == 1)) || mu_die "usage: embedded_db_home CHECKOUT_DIR"
  local root name hash
  root=$(_mu_abs "$1")
  name=$(basename -- "$root")
  name=${name//[^A-Za-z0-9._-]/_}
  hash=$(printf '%s' "$root" | sha256sum | cut -c1-12)
  printf '%s/%s-%s\n' "$MU_STATE_DIR" "${name:0:32}" "$hash"
}

# Status 0 when the embedded cluster cannot live in .data/; the reason is in
# _mu_relocation_reason.
_mu_relocation_reason=""
_mu_must_relocate() {
  ((EUID == 0)) || return 1
  local sock="$MU_DATA_DIR/.s.PGSQL.65535"
  if ((${#sock} > 107)); then
    _mu_relocation_reason="a socket in $MU_DATA_DIR would pass the 107-byte limit of socket paths"
    return 0
  fi
  if ! pg_as_owner test -x "$(_mu_abs "$MU_ROOT")" 2>/dev/null; then
    _mu_relocation_reason="the postgres user cannot reach $MU_DATA_DIR (a parent directory is not traversable by it, e.g. /root is 0700)"
    return 0
  fi
  return 1
}

embedded_db_layout() {
  MU_DATA_DIR="$MU_ROOT/.data"
  MU_PORT_FILE="$MU_DATA_DIR/port"
  MU_PG_DATA="$MU_DATA_DIR/postgres"
  MU_PG_HOME=$MU_DATA_DIR
  MU_PG_RELOCATED=0
  if [[ -L "$MU_PG_DATA" ]]; then
    MU_PG_RELOCATED=1
    MU_PG_HOME=$(dirname -- "$(_mu_abs "$MU_PG_DATA")")
  elif [[ ! -e "$MU_PG_DATA" ]] && _mu_must_relocate; then
    MU_PG_RELOCATED=1
    MU_PG_HOME=$(embedded_db_home "$MU_ROOT")
  fi
  MU_PG_LOG="$MU_PG_HOME/postgres.log"
}

# Makes MU_PG_HOME (postgres's, 0700) and the links to it in .data/.
_mu_embedded_db_relocate() {
  id postgres >/dev/null 2>&1 || mu_die "no 'postgres' user: is postgresql-15 installed?"
  if [[ ! -d "$MU_PG_HOME" ]]; then
    mu_log "the embedded cluster lives in $MU_PG_HOME, linked from $MU_PG_DATA${_mu_relocation_reason:+ ($_mu_relocation_reason)}"
    if [[ ! -d "$MU_STATE_DIR" ]]; then
      install -d -m 0755 -- "$MU_STATE_DIR" || mu_die "cannot create $MU_STATE_DIR"
    fi
    install -d -m 0700 -o postgres -g postgres -- "$MU_PG_HOME" ||
      mu_die "cannot create $MU_PG_HOME"
  elif [[ ! -L "$MU_PG_DATA" ]]; then
    mu_log "reusing the embedded cluster in $MU_PG_HOME, linked from $MU_PG_DATA${_mu_relocation_reason:+ ($_mu_relocation_reason)}"
  fi
  pg_as_owner test -w "$MU_PG_HOME" -a -x "$MU_PG_HOME" ||
    mu_die "the postgres user cannot reach $MU_PG_HOME (set MU_STATE_DIR to a directory it can reach)"
  if [[ ! -L "$MU_PG_DATA" ]]; then
    ln -s -- "$MU_PG_HOME/data" "$MU_PG_DATA"
  fi
  if [[ ! -e "$MU_DATA_DIR/postgres.log" && ! -L "$MU_DATA_DIR/postgres.log" ]]; then
    ln -s -- "$MU_PG_LOG" "$MU_DATA_DIR/postgres.log"
  fi
}

embedded_db_start() {
  (($# == 1)) || mu_die "usage: embedded_db_start DBNAME"
  local db=$1
  [[ "$db" =~ ^[a-z_][a-z0-9_]*$ ]] || mu_die "embedded_db_start: bad database name '$db'"
  embedded_db_layout
  mkdir -p -- "$MU_DATA_DIR"
  if ((MU_PG_RELOCATED)); then
    _mu_embedded_db_relocate
  else
    if ((EUID == 0)) && [[ -e "$MU_PG_DATA" ]] && ! pg_as_owner test -x "$(_mu_abs "$MU_ROOT")" 2>/dev/null; then
      mu_die "the postgres user cannot reach the embedded cluster in $MU_PG_DATA (a parent directory is not" \
        "traversable by it, e.g. /root is 0700); stop it, move it to $(embedded_db_home "$MU_ROOT")/data (owned by" \
        "postgres) and make $MU_PG_DATA a symbolic link to it"
    fi
    pg_own_dir "$MU_DATA_DIR" # also the socket directory
  fi

  local port=""
  if [[ -f "$MU_PORT_FILE" ]]; then
    port=$(<"$MU_PORT_FILE")
    [[ "$port" =~ ^[0-9]+$ ]] || mu_die "$MU_PORT_FILE does not hold a port number: '$port'"
  fi

  if ! pg_is_running "$MU_PG_DATA"; then
    if [[ -z "$port" ]]; then
      if port_is_free 5432; then port=5432; else port=$(free_port); fi
    elif ! port_is_free "$port"; then
      local taken=$port
      port=$(free_port)
      mu_log "port $taken (from $MU_PORT_FILE) is taken by something else; using $port instead"
    fi
    printf '%s\n' "$port" >"$MU_PORT_FILE"
    pg_init "$MU_PG_DATA" durable
    pg_start "$MU_PG_DATA" "$port" "$MU_PG_HOME" || mu_die "could not start the embedded PostgreSQL"
  else
    [[ -n "$port" ]] || mu_die "PostgreSQL is running for $MU_PG_DATA but $MU_PORT_FILE is missing; run ./run stop-db"
    mu_log "reusing the running embedded PostgreSQL on 127.0.0.1:$port"
  fi

  local -a psql=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
  local exists
  exists=$("${psql[@]}" -d postgres -tA -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ||
    mu_die "cannot connect to the embedded PostgreSQL on 127.0.0.1:$port (log: $MU_PG_LOG;" \
      "if no PostgreSQL is running, a stale $MU_PG_DATA/postmaster.pid left by a crash is the likely cause: remove it)"
  if [[ "$exists" != 1 ]]; then
    mu_log "creating database $db"
    "${psql[@]}" -d postgres -c "CREATE DATABASE $db" ||
      mu_die "could not create database $db"
  fi
  export DATABASE_URL="postgresql://postgres@127.0.0.1:$port/$db"
}

embedded_db_stop() {
  embedded_db_layout
  if [[ -f "$MU_PG_DATA/PG_VERSION" ]]; then
    pg_stop "$MU_PG_DATA"
  else
    mu_log "no embedded PostgreSQL cluster in $MU_PG_DATA"
  fi
}
