#!/usr/bin/env bash
# `make run`: the platform end to end on embedded defaults, no servers needed.
# Starts the standalone host (every service in one process: SQLite, in-memory bus, local blob folder; open on
# 127.0.0.1, so no key is needed) in a fresh data directory, then, as a user would with the CLI: uploads the penguins data set, submits a multiclass job,
# watches it to the end, shows the registered model version, downloads it and predicts with it through the serving
# API. Exits 0 only if the job succeeded and the prediction came back.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
configuration="${CONFIGURATION:-Debug}"
standalone="services/Standalone/bin/$configuration/net10.0/Platform.Standalone.dll"
cli="services/Cli/bin/$configuration/net10.0/platformctl.dll"
for built in "$standalone" "$cli"; do
  [[ -f "$built" ]] || { echo "demo: $built is missing: run \`make build\` first (make run does)" >&2; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || echo $(( 20000 + RANDOM % 20000 )); }
data_dir="$(mktemp -d -t platform-demo.XXXXXX)"
grpc_port="$(free_port)"
http_port="$(free_port)"
transfers_port="$(free_port)"
internal_port="$(free_port)"
internal_transfers_port="$(free_port)"
log="$data_dir/platform.log"
host_pid=""

cleanup() {
  if [[ -n "$host_pid" ]] && kill -0 "$host_pid" 2>/dev/null; then
    kill "$host_pid" 2>/dev/null || true
    wait "$host_pid" 2>/dev/null || true
  fi
  rm -rf "$data_dir"
}
trap cleanup EXIT

if [[ -t 1 ]]; then step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }; else step() { printf '\n==> %s\n' "$*"; }; fi

step "starting the standalone platform (gRPC on 127.0.0.1:$grpc_port, data in $data_dir)"
dotnet "$standalone" --Platform:DataDirectory="$data_dir" \
  --Platform:Ports:Grpc="$grpc_port" --Platform:Ports:Http="$http_port" \
  --Platform:Ports:Transfers="$transfers_port" --Platform:Ports:Internal="$internal_port" \
  --Platform:Ports:InternalTransfers="$internal_transfers_port" >"$log" 2>&1 &
host_pid=$!
for _ in $(seq 1 120); do
  if curl -fsS "http://127.0.0.1:$http_port/health/ready" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$host_pid" 2>/dev/null; then echo "demo: the platform exited during start-up:" >&2; cat "$log" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$http_port/health/ready" >/dev/null || { echo "demo: the platform did not become ready:" >&2; cat "$log" >&2; exit 1; }

platformctl() { dotnet "$cli" --gateway "http://127.0.0.1:$grpc_port" --transfers "http://127.0.0.1:$transfers_port" "$@"; }

step "uploading samples/data/penguins.csv"
dataset_id="$(platformctl datasets upload samples/data/penguins.csv --quiet)"
platformctl datasets show "$dataset_id"

# LightGBM when the catalogue offers it, else ML.NET's own multiclass trainer.
trainer=sdca_maximum_entropy
if platformctl trainers list --task multiclass | grep -w lightgbm >/dev/null; then trainer=lightgbm; fi

step "submitting a multiclass job (label Species, $trainer, seed 42) and watching it"
if ! platformctl jobs submit --dataset "$dataset_id" --task multiclass --label Species \
      --trainer "$trainer" --seed 42 --model-name penguins --watch; then
  echo "demo: the job did not succeed; platform log:" >&2
  tail -n 50 "$log" >&2
  exit 1
fi

step "registered model versions"
platformctl models versions penguins

step "downloading the model"
platformctl models download penguins -o "$data_dir/penguins.zip"

step "predicting a penguin's species with the model through the serving API (HTTP/JSON, as curl can)"
prediction="$(curl -fsS --http2-prior-knowledge -X POST "http://127.0.0.1:$grpc_port/v1/models/penguins:predict" \
  -H 'content-type: application/json' \
  -d '{"rows":[{"Island":"Biscoe","Beak Length (mm)":46.5,"Beak Depth (mm)":14.8,"Flipper Length (mm)":217,"Body Mass (g)":5200,"Sex":"FEMALE"}]}')" \
  || { echo "demo: the serving API did not answer; platform log:" >&2; tail -n 50 "$log" >&2; exit 1; }
echo "$prediction"
grep -q '"label"' <<<"$prediction" || { echo "demo: the answer has no predicted label" >&2; exit 1; }

step "done: the platform trained, evaluated, registered and served a model end to end"
