# The front door: every common task is one `make` target. `make help` lists them.
# Targets are thin: the real steps live in scripts under deploy/ so CI and people run the same thing.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
ARGS ?=

.PHONY: help build run up test test-unit test-faults bench images local-images helm-lint chart deploy-smoke compose-up compose-down servers servers-stop clean

help: ## List the targets
	@echo "usage: make <target>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-14s %s\n", $$1, $$2}'

build: ## Build every project (warnings are errors)
	dotnet build Platform.sln -nologo

run: build ## Build, then run the demo: the platform trains a model end to end on sample data
	bash deploy/local/demo.sh

up: ## Run all four services in one process (standalone host, SQLite, in-memory bus) in the foreground
	dotnet run --project services/Standalone

test: ## All tests: unit, integration on real PostgreSQL + RabbitMQ (started locally if needed), the short fault suite, chart check
	bash deploy/local/test.sh $(ARGS)

test-unit: ## Unit tests only; needs no servers
	dotnet test Platform.sln -nologo --filter "Category!=Integration&Category!=Faults&Category!=Chart&Category!=Deploy" $(ARGS)

test-faults: ## The long fault suite: 100-job seeded mixed-fault run (replay: PLATFORM_FAULTS_SEED=n), on its own servers
	PLATFORM_FAULTS_JOBS=$${PLATFORM_FAULTS_JOBS:-100} PLATFORM_SKIP_CHART_CHECK=1 bash deploy/local/test.sh --filter "Category=Faults" $(ARGS)

BENCH_SERVERS = PLATFORM_TEST_SERVERS_DIR=$(CURDIR)/.test-servers/bench PLATFORM_TEST_SERVERS_DURABLE=1

bench: ## Benchmarks in Release on durable local servers of their own (started if needed); ARGS="--filter Dispatch" runs some
	$(BENCH_SERVERS) bash deploy/local/test-servers.sh start
	eval "$$($(BENCH_SERVERS) bash deploy/local/test-servers.sh env)" && dotnet run -c Release --project bench/Platform.Benchmarks -- $(ARGS)

images: ## Build the service images from ./Dockerfile (ARGS="Gateway Worker" builds some; env: deploy/images/build.sh)
	bash deploy/images/build.sh $(ARGS)

local-images: ## Build base, PostgreSQL and RabbitMQ images locally, for machines that cannot pull (prints how to use them)
	bash deploy/images/local/build.sh
	@echo 'then: eval "$$(bash deploy/images/local/build.sh --names)" && make images'

helm-lint: ## helm lint + helm template of helm/platform over its value files, manifests checked strictly (real helm)
	bash deploy/chart/check.sh $(ARGS)

chart: helm-lint ## Same as helm-lint

deploy-smoke: ## Run the chart's workloads as containers (podman) and train a job through the gateway (needs make images, root)
	bash deploy/smoke/run.sh

compose-up: ## The whole platform with PostgreSQL and RabbitMQ in Docker (docker compose, deploy/compose/), gRPC on :8080
	bash deploy/compose/compose.sh up

compose-down: ## Stop the compose platform (its volumes stay; ARGS=-v removes them)
	bash deploy/compose/compose.sh down $(ARGS)

servers: ## Start local PostgreSQL + RabbitMQ for integration tests (`bash deploy/local/test-servers.sh env` names them)
	bash deploy/local/test-servers.sh start

servers-stop: ## Stop the local test servers and the benchmarks' (their data stays in .test-servers/)
	bash deploy/local/test-servers.sh stop
	[ ! -d .test-servers/bench ] || $(BENCH_SERVERS) bash deploy/local/test-servers.sh stop

clean: ## Remove build output and test results
	dotnet clean Platform.sln -nologo -v quiet
	rm -rf artifacts
	find . -type d \( -name bin -o -name obj -o -name TestResults \) -not -path './.git/*' -prune -exec rm -rf {} +
