#!/usr/bin/env bash
# Private PostgreSQL 15 and RabbitMQ 3.10 servers for the integration tests, without Docker.
#
#   test-servers.sh start    start both (idempotent: already running -> ok); installs rabbitmq-server when root
#   test-servers.sh stop     stop both (the data folder stays, the next start reuses it)
#   test-servers.sh env      print `export PLATFORM_TEST_...=...` lines: eval "$(test-servers.sh env)"
#   test-servers.sh status   say what runs where; exit 0 only when both run
#   test-servers.sh rabbitmqctl ARGS...   run rabbitmqctl against the private node (e.g. stop_app)
#   test-servers.sh restart-rabbitmq | restart-postgres   stop and start one server on the same port (fault tests)
#
# Everything lives under $PLATFORM_TEST_SERVERS_DIR (default: <repo>/.test-servers); each folder is its own pair
# (own ports, own RabbitMQ node name and distribution port), so several pairs run side by side, e.g. the fault
# suite's <repo>/.test-servers/faults, which it stops and restarts at will. The servers listen on
# 127.0.0.1 only, on free ports chosen at first start and kept while they stay free. Run as root, the servers
# run as the `postgres` and `rabbitmq` users (PostgreSQL refuses to run as root); otherwise as the caller.
# PostgreSQL runs without fsync for the tests' throw-away data unless PLATFORM_TEST_SERVERS_DURABLE=1 (`make bench`
# uses its own durable pair in <repo>/.test-servers/bench, so its figures include every commit's flush).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
base_dir="${PLATFORM_TEST_SERVERS_DIR:-$repo_root/.test-servers}"
pg_dir="$base_dir/postgres"
rmq_dir="$base_dir/rabbitmq"
state_file="$base_dir/servers.env"

log() { printf 'test-servers: %s\n' "$*" >&2; }
die() { printf 'test-servers: error: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a command as the given service user when we are root, else as ourselves.
as_user() {
  local user="$1"; shift
  if is_root; then
    runuser -u "$user" -- "$@"
  else
    "$@"
  fi
}

# Like as_user, in a new session: a daemon must outlive this script and ignore the caller's Ctrl+C.
as_user_detached() {
  local user="$1"; shift
  if is_root; then
    setsid runuser -u "$user" -- "$@"
  else
    setsid "$@"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints a port in [low, high) that nothing listens on and that no other server of ours was given.
free_port() {
  local low="$1" high="$2" port tries
  for tries in $(seq 1 200); do
    port=$(( low + (RANDOM * 32768 + RANDOM) % (high - low) ))
    if ! port_in_use "$port" && [[ " ${taken_ports:-} " != *" $port "* ]]; then
      taken_ports="${taken_ports:-} $port"
      echo "$port"; return 0
    fi
  done
  die "no free TCP port found between $low and $high"
}

# Keeps a previously chosen port when it is still free, so restarts keep their addresses.
keep_or_pick_port() {
  local previous="$1" low="$2" high="$3"
  if [[ -n "$previous" ]] && ! port_in_use "$previous"; then
    taken_ports="${taken_ports:-} $previous"; echo "$previous"
  else
    free_port "$low" "$high"
  fi
}

load_state() {
  PG_PORT="" RMQ_PORT="" RMQ_DIST_PORT="" RMQ_MGMT_PORT="" RMQ_NODE=""
  # shellcheck disable=SC1090
  [[ -f "$state_file" ]] && source "$state_file"
  return 0
}

save_state() {
  cat >"$state_file" <<EOF
PG_PORT=$PG_PORT
RMQ_PORT=$RMQ_PORT
RMQ_DIST_PORT=$RMQ_DIST_PORT
RMQ_MGMT_PORT=$RMQ_MGMT_PORT
RMQ_NODE=$RMQ_NODE
EOF
}

# ---------------------------------------------------------------- PostgreSQL

pg_bin_dir() {
  local initdb
  initdb="$(command -v initdb || true)"
  if [[ -z "$initdb" ]]; then
    initdb="$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)"
  fi
  [[ -n "$initdb" ]] || die "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL 15 (apt-get install -y postgresql-15)"
  dirname "$(readlink -f "$initdb")"
}

pg_running() {
  [[ -f "$pg_dir/data/PG_VERSION" ]] || return 1
  as_user postgres "$(pg_bin_dir)/pg_ctl" -D "$pg_dir/data" status >/dev/null 2>&1
}

start_postgres() {
  local bin; bin="$(pg_bin_dir)"
  if pg_running; then
    log "PostgreSQL already running on port $PG_PORT"; taken_ports="${taken_ports:-} $PG_PORT"; return 0
  fi
  mkdir -p "$pg_dir"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "user 'postgres' not found: PostgreSQL refuses to run as root; install the postgresql package or run as a normal user"
    chown postgres: "$pg_dir"
  fi
  if [[ ! -f "$pg_dir/data/PG_VERSION" ]]; then
    log "initialising PostgreSQL data folder $pg_dir/data"
    as_user postgres "$bin/initdb" -D "$pg_dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 \
      || { cat "$pg_dir/initdb.log" >&2; die "initdb failed"; }
  fi
  PG_PORT="$(keep_or_pick_port "$PG_PORT" 40000 45000)"
  # Throw-away test data: durability settings off for speed; many databases and pools run at once.
  # PLATFORM_TEST_SERVERS_DURABLE=1 keeps PostgreSQL's durable defaults (every commit flushed), as the benchmarks need.
  local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [[ "${PLATFORM_TEST_SERVERS_DURABLE:-0}" == 1 ]] && durability=""
  as_user postgres "$bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -w -t 60 \
    -o "-p $PG_PORT -k $pg_dir -c listen_addresses=127.0.0.1 -c max_connections=400 $durability" \
    start >/dev/null 9>&- || { tail -n 30 "$pg_dir/postgres.log" >&2 || true; die "PostgreSQL did not start"; }
  log "PostgreSQL started on 127.0.0.1:$PG_PORT (data $pg_dir/data)"
}

stop_postgres() {
  if pg_running; then
    as_user postgres "$(pg_bin_dir)/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null
    log "PostgreSQL stopped"
  fi
}

# ---------------------------------------------------------------- RabbitMQ

rmq_bin_dir() {
  if [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
    echo /usr/lib/rabbitmq/bin   # Debian: the real scripts, not the wrapper that switches users and logs to /var/log
  elif command -v rabbitmq-server >/dev/null 2>&1; then
    dirname "$(readlink -f "$(command -v rabbitmq-server)")"
  else
    return 1
  fi
}

ensure_rabbitmq_installed() {
  rmq_bin_dir >/dev/null && return 0
  is_root || die "rabbitmq-server is not installed: run 'sudo apt-get install -y rabbitmq-server' (or install Docker and let Testcontainers start one)"
  command -v apt-get >/dev/null || die "rabbitmq-server is not installed and apt-get is not available to install it"
  log "installing rabbitmq-server with apt-get (about 20 s)"
  # Debian's maintainer script may try to start the system service; policy-rc.d / no systemd make that a no-op.
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rabbitmq-server; } >"$base_dir/apt-rabbitmq.log" 2>&1 \
    || { tail -n 30 "$base_dir/apt-rabbitmq.log" >&2; die "apt-get install rabbitmq-server failed"; }
  rmq_bin_dir >/dev/null || die "rabbitmq-server still not found after installing it"
}

rmq_user() { if is_root; then echo rabbitmq; else id -un; fi; }

# The Erlang cookie lives in $HOME. Root runs the node with the rabbitmq user's home, so the cookie is the one
# Debian's `rabbitmqctl` wrapper uses too: `rabbitmqctl -n <node> stop_app` works for fault tests as is.
rmq_home() {
  if is_root; then getent passwd rabbitmq | cut -d: -f6; else echo "$HOME"; fi
}

# Runs a RabbitMQ script with the private node's environment.
rmq_env_run() {
  local script="$1"; shift
  "${rmq_launcher:-as_user}" "$(rmq_user)" env \
    HOME="$(rmq_home)" \
    RABBITMQ_NODENAME="$RMQ_NODE" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$RMQ_PORT" \
    RABBITMQ_DIST_PORT="$RMQ_DIST_PORT" \
    RABBITMQ_CONF_ENV_FILE="$rmq_dir/rabbitmq-env.conf" \
    RABBITMQ_CONFIG_FILE="$rmq_dir/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$rmq_dir/advanced.config" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$rmq_dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$rmq_dir/mnesia" \
    RABBITMQ_LOG_BASE="$rmq_dir/log" \
    RABBITMQ_PID_FILE="$rmq_dir/rabbitmq.pid" \
    "$(rmq_bin_dir)/$script" "$@"
}

rmq_running() {
  [[ -n "$RMQ_NODE" ]] && rmq_bin_dir >/dev/null || return 1
  rmq_env_run rabbitmqctl -q -n "$RMQ_NODE" --timeout 10 status >/dev/null 2>&1
}

start_rabbitmq() {
  ensure_rabbitmq_installed
  # Stable per data folder, so a restart finds its own mnesia database.
  [[ -n "$RMQ_NODE" ]] || RMQ_NODE="platform-test-$(printf '%s' "$base_dir" | cksum | cut -d' ' -f1)@localhost"
  if rmq_running; then
    log "RabbitMQ already running on port $RMQ_PORT (node $RMQ_NODE)"
    taken_ports="${taken_ports:-} $RMQ_PORT $RMQ_MGMT_PORT $RMQ_DIST_PORT"; return 0
  fi
  mkdir -p "$rmq_dir/mnesia" "$rmq_dir/log"
  RMQ_PORT="$(keep_or_pick_port "$RMQ_PORT" 45000 50000)"
  RMQ_MGMT_PORT="$(keep_or_pick_port "$RMQ_MGMT_PORT" 50000 55000)"
  # The CLI tools use ports dist+10000..dist+10010, so keep the dist port low enough for that range to exist.
  RMQ_DIST_PORT="$(keep_or_pick_port "$RMQ_DIST_PORT" 26000 30000)"
  : >"$rmq_dir/rabbitmq-env.conf"
  printf '[rabbitmq_management].\n' >"$rmq_dir/enabled_plugins"
  cat >"$rmq_dir/rabbitmq.conf" <<EOF
listeners.tcp.1 = 127.0.0.1:$RMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $RMQ_MGMT_PORT
# guest may only connect from localhost, which is all the tests need.
loopback_users.guest = true
EOF
  is_root && chown -R rabbitmq:rabbitmq "$rmq_dir"
  log "starting RabbitMQ node $RMQ_NODE on 127.0.0.1:$RMQ_PORT (management $RMQ_MGMT_PORT)"
  # 9>&-: the node must not inherit (and so hold) the start lock.
  rmq_launcher=as_user_detached rmq_env_run rabbitmq-server </dev/null >"$rmq_dir/log/startup.log" 2>&1 9>&- &
  local deadline=$((SECONDS + 120))
  until rmq_env_run rabbitmqctl -q -n "$RMQ_NODE" --timeout 60 await_startup >/dev/null 2>&1; do
    if (( SECONDS > deadline )); then
      tail -n 40 "$rmq_dir/log/startup.log" >&2 || true
      die "RabbitMQ did not start within 120 s (logs: $rmq_dir/log)"
    fi
    sleep 1
  done
  until port_in_use "$RMQ_MGMT_PORT"; do
    (( SECONDS > deadline )) && die "RabbitMQ management API did not open port $RMQ_MGMT_PORT"
    sleep 1
  done
  log "RabbitMQ started"
}

stop_rabbitmq() {
  if rmq_running; then
    # shutdown waits for the Erlang VM to exit.
    rmq_env_run rabbitmqctl -q -n "$RMQ_NODE" shutdown >/dev/null 2>&1 || true
    log "RabbitMQ stopped"
  fi
}

# ---------------------------------------------------------------- commands

print_env() {
  cat <<EOF
export PLATFORM_TEST_POSTGRES='Host=127.0.0.1;Port=$PG_PORT;Username=postgres;Database=postgres'
export PLATFORM_TEST_POSTGRES_DATA='$pg_dir/data'
export PLATFORM_TEST_RABBITMQ='amqp://guest:guest@127.0.0.1:$RMQ_PORT/'
export PLATFORM_TEST_RABBITMQ_MANAGEMENT='http://guest:guest@127.0.0.1:$RMQ_MGMT_PORT/'
export PLATFORM_TEST_RABBITMQ_NODE='$RMQ_NODE'
EOF
}

with_lock() {
  mkdir -p "$base_dir"
  exec 9>"$base_dir/.lock"
  # Several test runs may call start at once; they must not race on ports or initdb.
  flock -w 300 9 || die "timed out waiting for another test-servers.sh to finish"
}

cmd="${1:-}"
case "$cmd" in
  start)
    with_lock
    load_state
    taken_ports=""
    start_postgres
    start_rabbitmq
    save_state
    log "ready: eval \"\$(bash $repo_root/deploy/local/test-servers.sh env)\""
    ;;
  stop)
    with_lock
    load_state
    stop_rabbitmq
    stop_postgres
    ;;
  env)
    load_state
    pg_running || die "PostgreSQL is not running: run '$0 start' first"
    [[ -n "$RMQ_NODE" && -n "$RMQ_PORT" ]] || die "RabbitMQ is not running: run '$0 start' first"
    print_env
    ;;
  status)
    load_state
    ok=0
    if pg_running; then echo "postgres: running on 127.0.0.1:$PG_PORT (data $pg_dir/data)"; else echo "postgres: stopped"; ok=3; fi
    if rmq_running; then echo "rabbitmq: running node $RMQ_NODE, amqp 127.0.0.1:$RMQ_PORT, management 127.0.0.1:$RMQ_MGMT_PORT"; else echo "rabbitmq: stopped"; ok=3; fi
    exit "$ok"
    ;;
  restart-rabbitmq)
    with_lock
    load_state
    [[ -n "$RMQ_NODE" ]] || die "no RabbitMQ node recorded: run '$0 start' first"
    taken_ports=""
    stop_rabbitmq
    # The same ports: clients reconnect to the address they know.
    start_rabbitmq
    save_state
    ;;
  restart-postgres)
    with_lock
    load_state
    pg_running || die "PostgreSQL is not running: run '$0 start' first"
    as_user postgres "$(pg_bin_dir)/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgres.log" -m fast -w -t 60 restart >/dev/null 9>&- \
      || { tail -n 30 "$pg_dir/postgres.log" >&2 || true; die "PostgreSQL did not restart"; }
    log "PostgreSQL restarted on port $PG_PORT"
    ;;
  rabbitmqctl)
    shift
    load_state
    [[ -n "$RMQ_NODE" ]] || die "no RabbitMQ node recorded: run '$0 start' first"
    rmq_env_run rabbitmqctl -n "$RMQ_NODE" "$@"
    ;;
  *)
    sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
