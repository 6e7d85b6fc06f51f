#!/usr/bin/env bash
# Renders helm/platform with its default values (and a few variations) and checks the manifests and the values
# schema, without the helm binary: Go's text/template + Sprig, the engine Helm itself uses.
# Needs Debian's golang-go, golang-github-masterminds-sprig-dev and golang-gopkg-yaml.v3-dev (.ci/run installs them).
#
#   check.sh                 run the checks
#   check.sh render [args]   print manifests, e.g. check.sh render -f my-values.yaml helm/platform
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
gocode=/usr/share/gocode

# Exit 3: prerequisites missing (deploy/local/test.sh reports the check as skipped outside CI).
command -v go >/dev/null || { echo "chart check: 'go' not found: apt-get install -y golang-go" >&2; exit 3; }
for pkg in github.com/Masterminds/sprig gopkg.in/yaml.v3; do
  [[ -d "$gocode/src/$pkg" ]] || {
    echo "chart check: Go package $pkg not found under $gocode:" \
      "apt-get install -y golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev" >&2
    exit 3
  }
done

# GOPATH mode against the Debian-packaged sources: no module download, nothing fetched.
export GO111MODULE=off GOPATH="$gocode" GOFLAGS= GOCACHE="${GOCACHE:-$repo_root/artifacts/go-build}"
binary="$repo_root/artifacts/chart-render"
mkdir -p "$(dirname "$binary")"
(cd "$here" && go build -o "$binary" .)

cd "$repo_root"
if [[ "${1:-}" == render ]]; then
  shift
  exec "$binary" render "$@"
fi
"$binary" check helm/platform
