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

# Import paths of Kafka client libraries, which only openbank/topology may use.
KAFKA_LIBRARIES := confluent-kafka-go|twmb/franz-go|segmentio/kafka-go|IBM/sarama|Shopify/sarama

FRONTEND_DEPS := frontend/node_modules/.package-lock.json
# What the Results page of `make up` shows: the committed measurements, or
# your own with `make up RESULTS=report/results.json`.
RESULTS ?= docs/loadtest/results.json

.PHONY: help up down status clean test unit-test integration-test lint generate build frontend frontend-test

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

up: ## install what is missing (also for make test), then start Kafka, schema registry, PostgreSQL, the synchronizer, the services and the page on :8181
	deploy/install-prereqs.sh test
	$(MAKE) --no-print-directory frontend
	cp "$(RESULTS)" frontend/dist/results.json
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

lint: ## gofmt, go vet and staticcheck on every module; shellcheck on the scripts
	@unformatted=$$(gofmt -l $$(go list -f '{{.Dir}}' -m)); \
	  if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet $(GO_PACKAGES)
	go vet -tags $(INTEGRATION_TAGS) $(GO_PACKAGES)
	go run $(STATICCHECK) $(GO_PACKAGES)
	@# Kafka is reached only through topology: no other package, tests included, imports a client library.
	@bad=$$(go list -tags $(INTEGRATION_TAGS) -f '{{.ImportPath}}: {{join .Imports " "}} {{join .TestImports " "}} {{join .XTestImports " "}}' $(GO_PACKAGES) \
	  | grep -v '^openbank/topology: ' | grep -E '$(KAFKA_LIBRARIES)' | cut -d: -f1); \
	  if [ -n "$$bad" ]; then echo "these packages import a Kafka client library; use openbank/topology instead:"; echo "$$bad"; exit 1; fi
	shellcheck deploy/*.sh deploy/certs/*.sh deploy/compose/*.sh deploy/compose/postgres/*.sh deploy/kubernetes/base/*.sh services/graphql-endpoint/internal/graphiql/update.sh .ci/run

$(FRONTEND_DEPS): frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend: $(FRONTEND_DEPS) ## build the web page into frontend/dist
	cd frontend && npm run build

frontend-test: $(FRONTEND_DEPS) ## type-check the page, its unit tests and the generated-types check
	cd frontend && npm run lint && npm test

unit-test: ## unit tests: pure logic, no I/O
	go test -count=1 $(GO_PACKAGES)

# Every integration test runs with the default Kafka client (librdkafka); the
# contract suite covers both clients itself, and the command handler's crash
# tests run again with franz-go.
OTHER_CLIENT_TESTS := go test $(INTEGRATION_FLAGS) -run "TestKillMidStream|TestTwoInstancesConserveMoney" openbank/services/command-handler

integration-test: frontend ## integration tests (end-to-end in Chromium too) against a fresh stack of their own
	TEST_KAFKA_TLS_PORT=$${TEST_KAFKA_TLS_PORT-19094} TEST_KAFKA_PROXY_PORT=$${TEST_KAFKA_PROXY_PORT-19095} \
		deploy/test-stack.sh bash -c 'go test $(INTEGRATION_FLAGS) $(GO_PACKAGES) && KAFKA_CLIENT=franz $(OTHER_CLIENT_TESTS)'

test: lint unit-test frontend-test integration-test ## everything CI runs
