# One entry point for the bank: `make up` starts the whole local stack,
# `make test` runs every test (unit, then integration on a stack of its own).
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO_PACKAGES := openbank/...
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
# Integration tests share one broker: run packages one after the other.
# e2e adds the load test's browser driver in Chromium against the built page.
INTEGRATION_TAGS := integration,e2e
INTEGRATION_FLAGS := -tags $(INTEGRATION_TAGS) -count=1 -p 1 -timeout 20m

# Import paths of Kafka client libraries: only the client packages under
# openbank/messaging (franz, librdkafka) may use them, each its own.
KAFKA_LIBRARIES := confluent-kafka-go|twmb/franz-go|segmentio/kafka-go|IBM/sarama|Shopify/sarama

FRONTEND_DEPS := frontend/node_modules/.package-lock.json
# What the Results page of `make up` shows: the committed measurements, or
# your own with `make up RESULTS=report/results.json`.
RESULTS ?= docs/loadtest/results.json
# The committed comparison of the Kafka clients, beside them on the same page.
CLIENT_RESULTS ?= docs/loadtest/matrix/results.json

.PHONY: help up down status clean test unit-test integration-test security-test lint docs-check generate build frontend frontend-test chaos chaos-down chaos-short

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

up: ## install what is missing (also for make test), then start Kafka, schema registry, PostgreSQL, the synchronizer, the services and the page on :8181
	deploy/install-prereqs.sh test
	$(MAKE) --no-print-directory frontend
	cp "$(RESULTS)" frontend/dist/results.json
	cp "$(CLIENT_RESULTS)" frontend/dist/results-clients.json
	deploy/stack.sh up

down: ## stop everything `make up` started
	deploy/stack.sh down

status: ## show what is running
	deploy/stack.sh status

clean: ## stop the stack and remove its data
	deploy/stack.sh down --clean

build: ## build every Go module
	go build $(GO_PACKAGES)

generate: ## regenerate generated code (Avro records, GraphQL)
	go generate $(GO_PACKAGES)

lint: ## gofmt, go vet and staticcheck on every module; shellcheck on the scripts; the docs check
	@unformatted=$$(gofmt -l $$(go list -f '{{.Dir}}' -m)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet $(GO_PACKAGES)
	go vet -tags $(INTEGRATION_TAGS) $(GO_PACKAGES)
	go run $(STATICCHECK) $(GO_PACKAGES)
	@# Kafka is reached only through openbank/messaging: outside it no package, tests included, imports a
	@# client library; inside it only the client packages do (the contract tests may read the wire with one).
	@bad=$$(go list -tags $(INTEGRATION_TAGS) -f '{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' $(GO_PACKAGES) \
	  | grep -v '^openbank/messaging[/:]' | grep -E '$(KAFKA_LIBRARIES)' | cut -d: -f1); \
	  if [ -n "$$bad" ]; then echo "these packages import a Kafka client library; use openbank/messaging instead:"; echo "$$bad"; exit 1; fi
	@# Each client package uses its own library and never borrows from the other client.
	@bad=$$(go list -tags $(INTEGRATION_TAGS) -f '{{.ImportPath}}: {{join .Imports " "}}' openbank/messaging/... \
	  | grep -v '^openbank/messaging/\(franz\|librdkafka\): ' | grep -E '$(KAFKA_LIBRARIES)' | cut -d: -f1; \
	  go list -tags $(INTEGRATION_TAGS) -f '{{.ImportPath}}: {{join .Imports " "}}' openbank/messaging/franz openbank/messaging/librdkafka \
	  | grep -E '^openbank/messaging/franz: .*(confluent-kafka-go|openbank/messaging/librdkafka)|^openbank/messaging/librdkafka: .*(twmb/franz-go|openbank/messaging/franz)' | cut -d: -f1); \
	  if [ -n "$$bad" ]; then echo "only openbank/messaging/franz and openbank/messaging/librdkafka use a client library, each its own:"; echo "$$bad"; exit 1; fi
	shellcheck -x deploy/*.sh deploy/stack/*.sh deploy/certs/*.sh deploy/compose/*.sh deploy/compose/postgres/*.sh deploy/kubernetes/base/*.sh services/graphql-endpoint/internal/ports/graphiql/update.sh .ci/run
	$(MAKE) --no-print-directory docs-check

docs-check: ## every relative link in the Markdown resolves; every make target, script, go package and loadtest flag in a shell block exists
	go test -count=1 -run '^TestDocs' openbank/deploy/checks

$(FRONTEND_DEPS): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend: $(FRONTEND_DEPS) ## build the web page into frontend/dist
	cd frontend && npm run build

frontend-test: $(FRONTEND_DEPS) ## type-check the page, its unit tests and the generated-types check
	cd frontend && npm run lint && npm test

unit-test: ## unit tests: pure logic, no I/O
	go test -count=1 $(GO_PACKAGES)

# Every integration test runs with the default Kafka client (franz-go); the
# contract suite covers both clients itself, and the command handler's crash
# tests run again with librdkafka.
OTHER_CLIENT_TESTS := go test $(INTEGRATION_FLAGS) -v -run "TestKillMidStream|TestTwoInstancesConserveMoney" openbank/services/command-handler

integration-test: frontend ## integration tests (end-to-end in Chromium too) against a fresh stack of their own
	TEST_KAFKA_TLS_PORT=$${TEST_KAFKA_TLS_PORT-19094} TEST_KAFKA_PROXY_PORT=$${TEST_KAFKA_PROXY_PORT-19095} \
		deploy/test-stack.sh bash -c 'go test $(INTEGRATION_FLAGS) $(GO_PACKAGES) && KAFKA_CLIENT=librdkafka $(OTHER_CLIENT_TESTS)'
	$(MAKE) --no-print-directory security-test

# The principals' tests need a stack with KAFKA_SECURITY=1, three nodes as in
# production, its ports moved with the SECURITY_* variables: the refusals,
# then the gateway and the command handler, each as its own principal, through
# the page's whole flow (they are enough for their jobs).
security-test: ## a principal per service: forged writes refused, the bank's flow allowed, on a fresh three-node stack with KAFKA_SECURITY=1
	KAFKA_NODES=3 KAFKA_SECURITY=1 TEST_STACK_DIR=$(CURDIR)/.local/security-stack START_TIMEOUT=$${START_TIMEOUT:-300} TEST_KAFKA_TLS_PORT= TEST_KAFKA_PROXY_PORT= \
	  TEST_KAFKA_PORT=$${SECURITY_KAFKA_PORT:-19292} TEST_KAFKA_CONTROLLER_PORT=$${SECURITY_KAFKA_CONTROLLER_PORT:-19293} \
	  TEST_SCHEMA_REGISTRY_PORT=$${SECURITY_SCHEMA_REGISTRY_PORT:-18281} TEST_DB_PORT=$${SECURITY_DB_PORT:-15632} \
	  deploy/test-stack.sh bash -c 'go test $(INTEGRATION_FLAGS) -v -run "TestPrincipals|TestOnlyTheSynchronizer" openbank/messaging && \
	    go test $(INTEGRATION_FLAGS) -v -run "^TestWithRealCommandHandler$$" openbank/services/graphql-endpoint'

test: lint unit-test frontend-test integration-test chaos-short ## everything CI runs

# The chaos run has a three-node stack of its own (its ports move with the
# CHAOS_* variables), so it can run next to `make up`; the services are run by
# the chaos tool itself. CHAOS_FLAGS take `loadtest chaos -h`'s flags.
CHAOS_STACK := STACK_DIR=$(CURDIR)/.local/chaosstack KAFKA_NODES=3 STACK_INFRA_ONLY=1 \
  KAFKA_PORT=$${CHAOS_KAFKA_PORT:-29092} KAFKA_CONTROLLER_PORT=$${CHAOS_KAFKA_CONTROLLER_PORT:-29093} \
  SCHEMA_REGISTRY_PORT=$${CHAOS_SCHEMA_REGISTRY_PORT:-28081} DB_PORT=$${CHAOS_DB_PORT:-25432}
CHAOS_FLAGS ?=

chaos: ## faults under load on a three-node stack of its own, then the invariants (CHAOS_FLAGS="-duration 10m -rate 500 -faults handler-kill=5,broker-kill=2")
	$(CHAOS_STACK) deploy/stack.sh up
	source .local/chaosstack/env && cd loadtest && go run . chaos -stack-dir $(CURDIR)/.local/chaosstack -out $(CURDIR)/.local/chaos $(CHAOS_FLAGS)

chaos-down: ## stop the chaos run's stack
	$(CHAOS_STACK) deploy/stack.sh down

# A short chaos run on a fresh three-node stack (the checks cover the whole
# history of topics and databases, so no other test may share it): three
# minutes of load with a few faults of each kind.
chaos-short: ## a short chaos run on a fresh stack of its own
	KAFKA_NODES=3 TEST_STACK_DIR=$(CURDIR)/.local/chaos-short-stack START_TIMEOUT=$${START_TIMEOUT:-300} \
	  TEST_KAFKA_PORT=$${CHAOS_SHORT_KAFKA_PORT:-29192} TEST_KAFKA_CONTROLLER_PORT=$${CHAOS_SHORT_KAFKA_CONTROLLER_PORT:-29193} \
	  TEST_SCHEMA_REGISTRY_PORT=$${CHAOS_SHORT_SCHEMA_REGISTRY_PORT:-28181} TEST_DB_PORT=$${CHAOS_SHORT_DB_PORT:-25532} \
	  deploy/test-stack.sh bash -c 'cd loadtest && go run . chaos -stack-dir "$$STACK_DIR" -out $(CURDIR)/.local/chaos-short \
	    -port-base $${CHAOS_SHORT_SERVICE_PORT_BASE:-0} -require-faults \
	    -duration 3m -rate 30 -gap-min 1s -gap-max 3s -stall 12s -broker-pause 5s \
	    -faults handler-kill=2,handler-stall=1,gateway-kill=1,broker-kill=1,postgres-stop=1'
