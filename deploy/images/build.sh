#!/usr/bin/env bash
# Builds the service images from the one Dockerfile at the repository root.
#
#   build.sh [SERVICE...]          build every service (or the named ones: Gateway, Scheduler, ModelStore, Worker, Serving)
#
# Environment:
#   PLATFORM_IMAGE_REGISTRY   prefix of the image names, e.g. ghcr.io/acme/ml (default: none, local names)
#   PLATFORM_IMAGE_TAG        tag (default: the chart's appVersion, so `helm install` finds them as built)
#   PLATFORM_IMAGE_PUSH=1     push each image after building it
#   PLATFORM_SDK_IMAGE, PLATFORM_RUNTIME_IMAGE   base images (default: the official .NET images, see the Dockerfile);
#                             `eval "$(deploy/images/local/build.sh --names)"` names locally built ones
#   DOCKER                    the docker client (default: docker)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"

# Every service that ships as an image: its folder under services/ and its image name (the chart's image.repository).
# A new service is one line here and one component in helm/platform (Serving has no chart component yet).
declare -A image_names=(
  [Gateway]=platform-gateway
  [Scheduler]=platform-scheduler
  [ModelStore]=platform-model-store
  [Worker]=platform-worker
  [Serving]=platform-serving
)
all_services=(Gateway Scheduler ModelStore Worker Serving)

docker="${DOCKER:-docker}"
registry="${PLATFORM_IMAGE_REGISTRY:-}"
tag="${PLATFORM_IMAGE_TAG:-$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' helm/platform/Chart.yaml)}"
[[ -n "$tag" ]] || { echo "images: no tag: set PLATFORM_IMAGE_TAG" >&2; exit 1; }

build_args=()
[[ -n "${PLATFORM_SDK_IMAGE:-}" ]] && build_args+=(--build-arg "SDK_IMAGE=$PLATFORM_SDK_IMAGE")
[[ -n "${PLATFORM_RUNTIME_IMAGE:-}" ]] && build_args+=(--build-arg "RUNTIME_IMAGE=$PLATFORM_RUNTIME_IMAGE")

services=("$@")
(( ${#services[@]} )) || services=("${all_services[@]}")
for service in "${services[@]}"; do
  name="${image_names[$service]:-}"
  [[ -n "$name" ]] || { echo "images: unknown service '$service' (one of: ${all_services[*]})" >&2; exit 2; }
  image="${registry:+${registry%/}/}$name:$tag"
  start=$SECONDS
  echo "==> $image"
  "$docker" build "${build_args[@]}" --build-arg "SERVICE=$service" -t "$image" .
  echo "    built $image in $((SECONDS - start)) s"
  if [[ "${PLATFORM_IMAGE_PUSH:-}" == 1 ]]; then
    "$docker" push "$image"
  fi
done
