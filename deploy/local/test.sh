#!/usr/bin/env bash
# Every test: build once, then unit and integration tests on real PostgreSQL and RabbitMQ, then the chart check.
#
# Servers, in order: the ones named by PLATFORM_TEST_POSTGRES / _RABBITMQ / _RABBITMQ_MANAGEMENT when set;
# Testcontainers when a Docker engine is reachable; otherwise local servers from deploy/local/test-servers.sh
# (already running ones are reused and left running; ones this script starts, it stops).
#
# Without arguments: every test, the fault suite (tests/Faults.Tests, its own servers) last and alone.
# Extra arguments go to one `dotnet test` of the solution instead, e.g.  deploy/local/test.sh --filter "FullyQualifiedName~Scheduler"
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
  echo "Docker engine reachable: Testcontainers starts the servers"
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
  run_tests Platform.sln --filter "Category!=Faults"
  # The fault suite last, alone: it runs the services as processes on PostgreSQL and RabbitMQ of its own
  # (.test-servers/faults, started and stopped by the suite), restarts them and loads the CPU, which must not
  # disturb the timing of the other tests. Here the short version; `make test-faults` runs the long one.
  step "running the fault suite (short version)"
  run_tests tests/Faults.Tests/Platform.Faults.Tests.csproj --filter "Category=Faults"
else
  run_tests Platform.sln "$@"
fi

# The chart check counts as one test. Without Go it is skipped, loudly, except in CI where it must run.
chart_status=0 chart_result=skipped
if [[ "${PLATFORM_SKIP_CHART_CHECK:-}" != 1 ]]; then
  step "checking the Helm chart"
  bash "$repo_root/deploy/chart-render/check.sh" || chart_status=$?
  if (( chart_status == 0 )); then
    chart_result=passed
  elif (( chart_status == 3 )) && [[ "${CI:-}" != true ]]; then
    chart_status=0
    echo "chart check SKIPPED: its Go prerequisites are missing (see above)"
  else
    chart_result=failed
  fi
fi

stop_started_servers

# Sum the counters of every TRX file (one per test project) into the summary line CI reads.
counter() { local v; v="$(grep -o " $1=\"[0-9]*\"" <<<"$counters" | grep -o '[0-9]\+' || true)"; echo "${v:-0}"; }
passed=0 failed=0 skipped=0 projects=0
shopt -s nullglob
for trx in "$results_dir"/*.trx; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  passed=$((passed + $(counter passed)))
  failed=$((failed + $(counter failed) + $(counter error) + $(counter timeout) + $(counter aborted)))
  skipped=$((skipped + $(counter notExecuted)))
  projects=$((projects + 1))
done

# Name every failed test and the first line of its message last, where a truncated CI log still shows them.
if (( failed > 0 )); then
  echo
  echo "failed tests:"
  for trx in "$results_dir"/*.trx; do
    python3 - "$trx" <<'PY' || grep -o 'testName="[^"]*"[^>]*outcome="Failed"' "$trx" | sed 's/^/  /' || true
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
        continue
    message = (r.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=ns).strip().splitlines() or [""])[0]
    print(f"  {r.get('testName')}: {message[:300]}")
PY
  done
fi

echo
if (( test_status != 0 && failed == 0 )); then
  # dotnet test failed without a failing test in a TRX: a crashed or hung test host, or a bad filter.
  echo "dotnet test exited with $test_status without reporting a failed test: see the output above"
  failed=1
fi
case "$chart_result" in
  passed) passed=$((passed + 1)) ;;
  failed) failed=$((failed + 1)); echo "Helm chart check failed: see above" ;;
  skipped) skipped=$((skipped + 1)) ;;
esac
echo "test projects: $projects, results in ${results_dir#"$repo_root/"}"
echo "tests: $passed passed, $failed failed, $skipped skipped"
if (( test_status != 0 || chart_status != 0 )); then
  exit 1
fi
