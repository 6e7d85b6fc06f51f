#!/bin/bash
# Runs the broker as the rabbitmq user (UID 999) with the official image's environment.
set -euo pipefail
if [[ "$(id -u)" == 0 ]]; then
  chown -R rabbitmq:rabbitmq /var/lib/rabbitmq
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups "$0" "$@"
fi
exec "$@"
