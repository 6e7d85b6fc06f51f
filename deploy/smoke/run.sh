#!/usr/bin/env bash
# The deploy smoke test (tests/Deployment.Tests, Category=Deploy, `make deploy-smoke`): the chart's rendered workloads
# run as containers of the built images (podman plays their pod specs), the migration hook first, then every
# Deployment, all ready; then a job end to end through the gateway's container with two worker containers.
#
# Needs, as root: the service images in the Docker engine (`make images`), a PostgreSQL and a RabbitMQ image
# (default: the local stand-ins of deploy/images/local/build.sh; PLATFORM_SMOKE_POSTGRES_IMAGE /
# PLATFORM_SMOKE_RABBITMQ_IMAGE name others, e.g. postgres:15 and rabbitmq:3.13-management), and podman (installed
# with apt-get when missing). PLATFORM_SMOKE_KEEP=1 leaves the pods running afterwards.
# The last line of output is the summary: `tests: N passed, N failed, N skipped`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export DOCKER="${DOCKER:-$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || echo docker )}" DOCKER_API_VERSION="${DOCKER_API_VERSION:-1.41}"

[[ "$(id -u)" == 0 ]] || { echo "deploy smoke: run as root (podman plays pods with fixed addresses on a network of its own)" >&2; exit 1; }
if ! command -v podman >/dev/null; then
  echo "deploy smoke: installing podman"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman catatonit; } >/dev/null
fi
tag="${PLATFORM_SMOKE_IMAGE_TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/platform/Chart.yaml)}"
for image in platform-gateway platform-scheduler platform-model-store platform-worker platform-serving; do
  "$DOCKER" image inspect "$image:$tag" >/dev/null 2>&1 || { echo "deploy smoke: image $image:$tag is missing: run \`make images\` first" >&2; exit 1; }
done
export PLATFORM_HELM="${PLATFORM_HELM:-$(bash deploy/tools/helm.sh)}"

results="$repo_root/artifacts/test-results/deploy"
rm -rf "$results"
status=0
dotnet test tests/Deployment.Tests/Platform.Deployment.Tests.csproj -nologo --filter "Category=Deploy" \
  --results-directory "$results" --logger trx --logger "console;verbosity=detailed" || status=$?
bash deploy/local/test-summary.sh "$results" "$status"
