#!/usr/bin/env bash
# Base images built on this machine, for machines that cannot pull from a registry (CI, these build machines):
#
#   platform-local/debian:bookworm             debootstrap minbase + what .NET needs (ICU, OpenSSL, CA certificates, tzdata)
#   platform-local/dotnet-runtime:10.0         that + this machine's .NET runtime (the aspnet image's stand-in: user app, UID 1654)
#   platform-local/dotnet-sdk:10.0             that + this machine's whole .NET SDK and CA bundle (dotnet restore reaches NuGet)
#   platform-local/postgres:15                 Debian's PostgreSQL 15, environment of the official image (POSTGRES_USER, ...)
#   platform-local/rabbitmq:3-management       Debian's RabbitMQ with the management plugin, environment of the official image
#
#   build.sh            build the missing ones (an existing image is kept: delete it to rebuild)
#   build.sh --names    print `export` lines naming them for deploy/images/build.sh, the smoke test and Testcontainers
#
# Never push these anywhere: they carry this machine's .NET install and CA bundle.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
docker=/usr/bin/docker
export DOCKER_BUILDKIT=0 DOCKER_API_VERSION=1.41

debian=platform-local/debian:bookworm
runtime=platform-local/dotnet-runtime:10.0
sdk=platform-local/dotnet-sdk:10.0
postgres=platform-local/postgres:15
rabbitmq=platform-local/rabbitmq:3-management

if [[ "${1:-}" == --names ]]; then
  cat <<NAMES
export PLATFORM_SDK_IMAGE=$sdk
export PLATFORM_RUNTIME_IMAGE=$runtime
export PLATFORM_POSTGRES_IMAGE=$postgres
export PLATFORM_RABBITMQ_IMAGE=$rabbitmq
NAMES
  exit 0
fi

log() { printf 'local-images: %s\n' "$*" >&2; }
exists() { "$docker" image inspect "$1" >/dev/null 2>&1; }
timed() { local start=$SECONDS; "$@"; log "  took $((SECONDS - start)) s"; }

build_debian() {
  command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  local mirror root
  # The mirror this machine's apt uses (deb822 sources first, then the classic list).
  mirror="$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)"
  [[ -n "$mirror" ]] || mirror="$(awk '$1 == "deb" && $3 ~ /^bookworm$/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)"
  mirror="${mirror:-http://deb.debian.org/debian}"
  root="$(mktemp -d /var/tmp/platform-debootstrap.XXXXXX)"
  log "debootstrap bookworm from $mirror (about a minute)"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.log" 2>&1 || { tail -n 20 "$root.log" >&2; exit 1; }
  rm -f "$root.log"
  # What the official .NET images add to their base: ICU, OpenSSL, CA certificates, time zones, zlib.
  chroot "$root" /bin/sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libicu72 libssl3 ca-certificates tzdata zlib1g && apt-get clean && rm -rf /var/lib/apt/lists/*' >"$root.log" 2>&1 \
    || { tail -n 20 "$root.log" >&2; exit 1; }
  tar -C "$root" -c . | "$docker" import -c 'CMD ["bash"]' - "$debian" >/dev/null
  rm -rf "$root" "$root.log"
}

# A build context of the Dockerfile plus parts of this machine's .NET install, streamed as a tar.
build_dotnet() {
  local image="$1" dockerfile="$2"; shift 2
  local dotnet_root context
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  context="$(mktemp -d)"
  cp "$here/dotnet/$dockerfile" "$context/Dockerfile"
  cp /etc/ssl/certs/ca-certificates.crt "$context/ca-certificates.crt"
  tar -c -C "$context" Dockerfile ca-certificates.crt -C "$dotnet_root" "$@" \
    | "$docker" build -q --build-arg BASE="$debian" --build-arg RUNTIME="$runtime" -t "$image" - >/dev/null
  rm -rf "$context"
}

build_with_dockerfile() {
  local image="$1" dir="$2"
  "$docker" build -q --build-arg BASE="$debian" -t "$image" "$here/$dir" >/dev/null
}

exists "$debian" || { log "building $debian"; timed build_debian; }
exists "$runtime" || { log "building $runtime"; timed build_dotnet "$runtime" runtime.Dockerfile dotnet host shared; }
exists "$sdk" || { log "building $sdk"; timed build_dotnet "$sdk" sdk.Dockerfile dotnet host shared sdk sdk-manifests packs templates; }
exists "$postgres" || { log "building $postgres"; timed build_with_dockerfile "$postgres" postgres; }
exists "$rabbitmq" || { log "building $rabbitmq"; timed build_with_dockerfile "$rabbitmq" rabbitmq; }
log "local base images ready"
