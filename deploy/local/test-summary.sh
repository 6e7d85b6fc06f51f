#!/usr/bin/env bash
# Sums the TRX files of a test run (one per test project) into the summary line CI reads, naming every failed test
# and the first line of its message above it, where a truncated log still shows them.
#
#   test-summary.sh RESULTS_DIR [DOTNET_TEST_EXIT_STATUS] [EXTRA_SKIPPED]
#
# A non-zero exit status without a failed test in the TRX files (a crashed or hung test host, a bad filter) counts as
# one failure. Prints `tests: N passed, N failed, N skipped` last; exits 1 when anything failed.
set -euo pipefail
results_dir="$1" test_status="${2:-0}" extra_skipped="${3:-0}"

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
  echo "dotnet test exited with $test_status without reporting a failed test: see the output above"
  failed=1
fi
echo "test projects: $projects, results in $results_dir"
echo "tests: $passed passed, $failed failed, $((skipped + extra_skipped)) skipped"
(( test_status == 0 && failed == 0 ))
