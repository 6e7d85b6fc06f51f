# The front door: every common task is one `make` target. `make help` lists them.
# Targets are thin: the real steps live in scripts under deploy/ so CI and people run the same thing.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
ARGS ?=

.PHONY: help build run up test test-unit test-faults bench helm-lint chart servers servers-stop clean

help: ## List the targets
	@echo "usage: make <target>"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  %-13s %s\n", $$1, $$2}'

build: ## Build every project (warnings are errors)
	dotnet build Platform.sln -nologo

run: build ## Build, then run the demo: the platform trains a model end to end on sample data
	bash deploy/local/demo.sh

up: ## Run all four services in one process (standalone host, SQLite, in-memory bus) in the foreground
	dotnet run --project services/Standalone

test: ## All tests: unit, integration on real PostgreSQL + RabbitMQ (started locally if needed), the short fault suite, chart check
	bash deploy/local/test.sh $(ARGS)

test-unit: ## Unit tests only; needs no servers
	dotnet test Platform.sln -nologo --filter "Category!=Integration&Category!=Faults" $(ARGS)

test-faults: ## The long fault suite: 100-job seeded mixed-fault run (replay: PLATFORM_FAULTS_SEED=n), on its own servers
	PLATFORM_FAULTS_JOBS=$${PLATFORM_FAULTS_JOBS:-100} PLATFORM_SKIP_CHART_CHECK=1 bash deploy/local/test.sh --filter "Category=Faults" $(ARGS)

BENCH_SERVERS = PLATFORM_TEST_SERVERS_DIR=$(CURDIR)/.test-servers/bench PLATFORM_TEST_SERVERS_DURABLE=1

bench: ## Benchmarks in Release on durable local servers of their own (started if needed); ARGS="--filter Dispatch" runs some
	$(BENCH_SERVERS) bash deploy/local/test-servers.sh start
	eval "$$($(BENCH_SERVERS) bash deploy/local/test-servers.sh env)" && dotnet run -c Release --project bench/Platform.Benchmarks -- $(ARGS)

helm-lint: ## Render helm/platform with default values and check the manifests and values schema (no helm needed)
	bash deploy/chart-render/check.sh

chart: helm-lint ## Same as helm-lint

servers: ## Start local PostgreSQL + RabbitMQ for integration tests (`bash deploy/local/test-servers.sh env` names them)
	bash deploy/local/test-servers.sh start

servers-stop: ## Stop the local test servers and the benchmarks' (their data stays in .test-servers/)
	bash deploy/local/test-servers.sh stop
	[ ! -d .test-servers/bench ] || $(BENCH_SERVERS) bash deploy/local/test-servers.sh stop

clean: ## Remove build output and test results
	dotnet clean Platform.sln -nologo -v quiet
	rm -rf artifacts
	find . -type d \( -name bin -o -name obj -o -name TestResults \) -not -path './.git/*' -prune -exec rm -rf {} +
