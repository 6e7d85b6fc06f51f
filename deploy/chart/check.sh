#!/usr/bin/env bash
# `make helm-lint`: helm/platform checked with a real helm (deploy/tools/helm.sh): helm lint --strict and helm template
# over the default values and helm/platform/ci/*.yaml, the output parsed strictly into the Kubernetes API types and
# checked (tests/Deployment.Tests, Category=Chart). Extra arguments go to dotnet test.
# The last line of output is the summary: `tests: N passed, N failed, N skipped`.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
PLATFORM_HELM="$(bash deploy/tools/helm.sh)"
export PLATFORM_HELM DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
"$PLATFORM_HELM" version --short
results="$repo_root/artifacts/test-results/chart"
rm -rf "$results"
status=0
dotnet test tests/Deployment.Tests/Platform.Deployment.Tests.csproj -nologo --filter "Category=Chart" \
  --results-directory "$results" --logger trx --logger "console;verbosity=normal" "$@" || status=$?
bash deploy/local/test-summary.sh "$results" "$status"
