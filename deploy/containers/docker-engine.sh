#!/usr/bin/env bash
# A Docker engine on a machine without systemd (CI, these build machines): Debian's docker.io, started by hand.
#
#   docker-engine.sh start    install docker.io when missing (root), start dockerd unless an engine answers; idempotent
#   docker-engine.sh status   exit 0 when an engine answers
#   docker-engine.sh stop     stop the dockerd this script started (by its recorded PID)
#   docker-engine.sh env      print `export` lines for Testcontainers against this engine: its API version, no Ryuk (an
#                             image that cannot be pulled here), loopback addresses, and the local PostgreSQL and
#                             RabbitMQ images (deploy/images/local/build.sh) when they exist and none are named
#
# The daemon's log and PID file: $PLATFORM_DOCKERD_DIR (default /var/log/platform): dockerd.log, dockerd.pid.
set -euo pipefail

state_dir="${PLATFORM_DOCKERD_DIR:-/var/log/platform}"
log_file="$state_dir/dockerd.log"
pid_file="$state_dir/dockerd.pid"
# Debian's 20.10 client: another `docker` may come first on PATH (without the legacy builder's --build-arg handling we test).
docker_cli=/usr/bin/docker

log() { printf 'docker-engine: %s\n' "$*" >&2; }
die() { printf 'docker-engine: error: %s\n' "$*" >&2; exit 1; }

answers() { DOCKER_API_VERSION=1.41 "$docker_cli" info >/dev/null 2>&1; }

install_engine() {
  [[ -x /usr/sbin/dockerd && -x "$docker_cli" ]] && return 0
  [[ "$(id -u)" == 0 ]] || die "docker.io is not installed: apt-get install -y docker.io iptables"
  log "installing docker.io (about 15 s)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables; } \
    >"$state_dir/apt-docker.log" 2>&1 || { tail -n 20 "$state_dir/apt-docker.log" >&2; die "apt-get install docker.io failed"; }
}

case "${1:-}" in
  start)
    mkdir -p "$state_dir"
    if answers; then log "a Docker engine already answers"; exit 0; fi
    install_engine
    log "starting dockerd (log $log_file)"
    # setsid: the daemon outlives this script and ignores the caller's Ctrl+C.
    setsid /usr/sbin/dockerd >"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
    for _ in $(seq 1 60); do
      answers && { log "dockerd $(cat "$pid_file") ready"; exit 0; }
      kill -0 "$(cat "$pid_file")" 2>/dev/null || { tail -n 20 "$log_file" >&2; die "dockerd exited"; }
      sleep 1
    done
    tail -n 20 "$log_file" >&2
    die "dockerd did not answer within 60 s"
    ;;
  status)
    answers
    ;;
  stop)
    [[ -f "$pid_file" ]] || { log "no dockerd started by this script"; exit 0; }
    pid="$(cat "$pid_file")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      log "dockerd $pid stopped"
    fi
    rm -f "$pid_file"
    ;;
  env)
    # The engine's API version: Testcontainers' client (Docker.DotNet) otherwise asks for a newer one than 20.10 speaks.
    api="$("$docker_cli" version --format '{{.Server.APIVersion}}' 2>/dev/null || echo 1.41)"
    echo "export DOCKER_API_VERSION=$api"
    # Ryuk (Testcontainers' reaper) is an image this machine cannot pull: the fixtures remove their containers instead.
    echo "export TESTCONTAINERS_RYUK_DISABLED=true"
    echo "export TESTCONTAINERS_HOST_OVERRIDE=localhost"
    if [[ -z "${PLATFORM_TEST_POSTGRES_IMAGE:-}" && -z "${PLATFORM_TEST_RABBITMQ_IMAGE:-}" ]] \
        && "$docker_cli" image inspect platform-local/postgres:15 >/dev/null 2>&1 \
        && "$docker_cli" image inspect platform-local/rabbitmq:3-management >/dev/null 2>&1; then
      echo "export PLATFORM_TEST_POSTGRES_IMAGE=platform-local/postgres:15"
      echo "export PLATFORM_TEST_RABBITMQ_IMAGE=platform-local/rabbitmq:3-management"
    fi
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
