#!/usr/bin/env bash
# `make compose-up` / `make compose-down`: the platform in Docker with compose.yaml beside this script.
#
#   compose.sh up      build missing images, start everything, wait until the gateway answers, print the first commands
#   compose.sh down    stop and remove the containers (add -v to remove the volumes too)
#   compose.sh key ARGS  the gateway's key command in its container, e.g. `compose.sh key create --tenant ops --scope admin`
#                      (prints a new key once, on standard output)
#   compose.sh smoke   up, then a call without a key (must be refused: Unauthenticated), an admin key from the
#                      gateway's command, with it a tenant's key (platformctl keys create), and with that a job end to end (upload, submit, watch, download), then down -v;
#                      exit 0 only if the job succeeded (CI runs it; the CLI must be built: make build)
#   compose.sh ARGS    any other compose command, e.g. `compose.sh logs -f worker`
#
# Uses `docker compose` (v2) when present, else `docker-compose` (v1.29, Debian's).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if docker compose version >/dev/null 2>&1; then compose=(docker compose); elif command -v docker-compose >/dev/null; then compose=(docker-compose);
else echo "compose: neither \`docker compose\` nor docker-compose is installed" >&2; exit 1; fi
compose+=(--project-name platform --file "$here/compose.yaml")

case "${1:-}" in
  up)
    "${compose[@]}" up --detach
    port="${PLATFORM_GATEWAY_PORT:-8080}"
    for _ in $(seq 1 120); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 1
    done
    "${compose[@]}" ps
    cat <<EOT

The platform answers on 127.0.0.1:$port (gRPC) and 127.0.0.1:${PLATFORM_TRANSFERS_PORT:-8082} (byte stream), to API keys only.
The first key comes from the gateway itself (printed once), more from the CLI:
  export PLATFORM_GATEWAY=http://127.0.0.1:$port PLATFORM_TRANSFERS=http://127.0.0.1:${PLATFORM_TRANSFERS_PORT:-8082}
  export PLATFORM_API_KEY=\$(bash deploy/compose/compose.sh key create --tenant default --name me --scope admin \\
    --scope datasets:write --scope datasets:read --scope jobs:submit --scope jobs:read --scope models:read)
  dotnet run --project services/Cli -- datasets upload samples/data/penguins.csv
  dotnet run --project services/Cli -- jobs submit --dataset <id> --task multiclass --label Species --trainer lightgbm --watch
EOT
    ;;
  down)
    shift
    "${compose[@]}" down "$@"
    ;;
  key)
    # The gateway's host command, with the gateway's configuration (its database): the key on stdout, the rest on stderr.
    shift
    "${compose[@]}" exec -T gateway dotnet Platform.Gateway.dll keys "$@"
    ;;
  smoke)
    repo_root="$(cd "$here/../.." && pwd)"
    export PLATFORM_GATEWAY_PORT="${PLATFORM_GATEWAY_PORT:-18080}" PLATFORM_TRANSFERS_PORT="${PLATFORM_TRANSFERS_PORT:-18082}"
    trap '"${compose[@]}" down -v >/dev/null 2>&1 || true' EXIT
    "$0" up
    cli=(dotnet "$repo_root/services/Cli/bin/${CONFIGURATION:-Debug}/net10.0/platformctl.dll"
         --gateway "http://127.0.0.1:$PLATFORM_GATEWAY_PORT" --transfers "http://127.0.0.1:$PLATFORM_TRANSFERS_PORT")
    status=0
    # Nobody holds a key yet: the first (admin) comes from the gateway's own command, as on a cluster; with it the
    # operator makes a tenant's key through the API, and the tenant trains with that one.
    admin=""
    for _ in $(seq 1 30); do admin="$("$0" key create --tenant ops --name compose-admin --scope admin)" && break; sleep 2; done
    [[ "$admin" == plk_* ]] || { echo "compose smoke: the gateway's keys create printed no key" >&2; exit 1; }
    unset PLATFORM_API_KEY PLATFORM_TENANT
    # Without a key the gateway answers nothing but Unauthenticated (retried while it may still be starting: Unavailable).
    for _ in $(seq 1 60); do
      refused="$("${cli[@]}" datasets list 2>&1)" && { echo "compose smoke: the gateway answered a call without a key" >&2; exit 1; }
      [[ "$refused" == *Unavailable* ]] || break
      sleep 2
    done
    [[ "$refused" == *Unauthenticated* ]] || { echo "compose smoke: a call without a key was not refused as Unauthenticated: $refused" >&2; exit 1; }
    echo "compose smoke: a call without a key is refused: $refused"
    tenant_key=""
    for _ in $(seq 1 60); do
      tenant_key="$("${cli[@]}" --api-key "$admin" --tenant smoke keys create compose-smoke --scope datasets:write \
        --scope datasets:read --scope jobs:submit --scope jobs:read --scope models:read 2>/dev/null)" && break
      sleep 2
    done
    [[ "$tenant_key" == plk_* ]] || { echo "compose smoke: the admin key made no tenant key" >&2; "${compose[@]}" logs --tail 50 >&2; exit 1; }
    export PLATFORM_API_KEY="$tenant_key"
    for _ in $(seq 1 60); do dataset="$("${cli[@]}" datasets upload "$repo_root/samples/data/penguins.csv" --quiet 2>/dev/null)" && break; sleep 2; done
    [[ -n "${dataset:-}" ]] || { echo "compose smoke: the gateway took no upload" >&2; "${compose[@]}" logs --tail 50 >&2; exit 1; }
    "${cli[@]}" jobs submit --dataset "$dataset" --task multiclass --label Species --trainer lightgbm --seed 42 \
      --model-name penguins --watch || status=$?
    (( status == 0 )) && { "${cli[@]}" models download penguins -o "$(mktemp -d)/penguins.zip" || status=$?; }
    (( status == 0 )) || "${compose[@]}" logs --tail 50 >&2
    echo "compose smoke: $([[ $status == 0 ]] && echo "a job trained end to end" || echo FAILED)"
    echo "tests: $(( status == 0 )) passed, $(( status != 0 )) failed, 0 skipped"
    exit "$status"
    ;;
  *)
    "${compose[@]}" "$@"
    ;;
esac
