#!/usr/bin/env bash
# Run CMD against a fresh, isolated infrastructure stack and always stop it:
#   deploy/test-stack.sh go test ./...
#   deploy/test-stack.sh bash -c 'curl -s "$SCHEMA_REGISTRY_URL/subjects"'
# The stack lives in <repo>/.local/test-stack (TEST_STACK_DIR) on its own ports
# (TEST_KAFKA_PORT, TEST_KAFKA_CONTROLLER_PORT, TEST_SCHEMA_REGISTRY_PORT,
# TEST_DB_PORT), so it can run next to the stack of deploy/stack.sh; runs that
# share a folder wait for each other. Opt-in: TEST_KAFKA_TLS_PORT adds a TLS
# listener that requires client certificates, TEST_KAFKA_PROXY_PORT a listener
# on the next port that advertises this one for a test's TCP proxy (the
# topology contract tests use both; see KAFKA_TLS_* and KAFKA_PROXY_* in the
# env file). Only the infrastructure (and the
# synchronizer) is started; CMD runs with the stack's env file sourced, and its
# exit code is returned. Progress goes to stderr. KAFKA_NODES=3 runs CMD against
# a three-node Kafka cluster (see deploy/stack.sh help for its ports);
# KAFKA_SECURITY=1 against one where each service is its own principal.
set -euo pipefail

DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$DEPLOY_DIR/.." && pwd -P)

if (($# == 0)); then
  echo "usage: $(basename "$0") CMD [ARGS...]" >&2
  exit 2
fi

STACK_DIR=$(realpath -m -- "${TEST_STACK_DIR:-$REPO_ROOT/.local/test-stack}")
export STACK_DIR
export KAFKA_PORT=${TEST_KAFKA_PORT:-19092}
export KAFKA_CONTROLLER_PORT=${TEST_KAFKA_CONTROLLER_PORT:-19093}
export SCHEMA_REGISTRY_PORT=${TEST_SCHEMA_REGISTRY_PORT:-18081}
export DB_PORT=${TEST_DB_PORT:-15432}
# Opt-in listeners for the topology contract tests (TLS, a proxied one): off unless set.
export KAFKA_TLS_PORT=${TEST_KAFKA_TLS_PORT:-}
export KAFKA_PROXY_PORT=${TEST_KAFKA_PROXY_PORT:-}
export STACK_INFRA_ONLY=1

# fd 7 (the lock below) is closed for children: the stack's daemons must not
# hold it.
stack() { "$DEPLOY_DIR/stack.sh" "$@" >&2 7>&-; }

# A second run on the same folder would wipe this one's stack: take turns.
mkdir -p "$(dirname "$STACK_DIR")"
exec 7>"$STACK_DIR.lock"
if ! flock -n 7; then
  echo "test-stack: waiting for another run that uses $STACK_DIR" >&2
  flock 7
fi

# Fresh data each time; down first in case an earlier run was killed hard and
# left its processes behind (they are found through the folder's pid files).
stack down --clean

port_open() {
  # shellcheck disable=SC2016 # $0 belongs to the inner bash.
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}
for pair in "$KAFKA_PORT:TEST_KAFKA_PORT" "$KAFKA_CONTROLLER_PORT:TEST_KAFKA_CONTROLLER_PORT" \
  "$SCHEMA_REGISTRY_PORT:TEST_SCHEMA_REGISTRY_PORT" "$DB_PORT:TEST_DB_PORT" \
  ${KAFKA_TLS_PORT:+"$KAFKA_TLS_PORT:TEST_KAFKA_TLS_PORT"} \
  ${KAFKA_PROXY_PORT:+"$KAFKA_PROXY_PORT:TEST_KAFKA_PROXY_PORT" "$((KAFKA_PROXY_PORT + 1)):TEST_KAFKA_PROXY_PORT"}; do
  if port_open "${pair%%:*}"; then
    echo "test-stack: error: port ${pair%%:*} is already in use by another process; stop it or choose another port with ${pair#*:}=..." >&2
    exit 1
  fi
done

# From here on the stack is stopped however we leave: normal exit, error,
# Ctrl-C or SIGTERM (the signal traps exit, which runs the EXIT trap).
# shellcheck disable=SC2317 # invoked through the trap
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stack down || echo "test-stack: warning: stopping the test stack failed; run STACK_DIR=$STACK_DIR $DEPLOY_DIR/stack.sh down" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

stack up
# shellcheck source=/dev/null
source "$STACK_DIR/env"

rc=0
"$@" 7>&- || rc=$?
exit "$rc"
