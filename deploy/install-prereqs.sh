#!/usr/bin/env bash
# Installs the Debian packages the bank needs that this machine lacks: the one
# list of prerequisites, used by `make up` (runtime) and by .ci/run (test).
#
# Usage: deploy/install-prereqs.sh [up|test] [--check]
#   up     what `make up` needs: PostgreSQL, Java, Maven, gcc, Node.js and npm, curl
#   test   that plus what `make test` needs: shellcheck and Chromium (default)
#   --check  only print what is missing; exit 1 if something is
# As root it runs apt-get; otherwise through sudo when sudo is there; otherwise
# it prints the one command to run and exits 1. Go is not a Debian package here
# (Debian's is too old): it is checked, not installed.
set -euo pipefail

GO_MIN=1.26

purpose=test check=0
for arg in "$@"; do
  case $arg in
    up | test) purpose=$arg ;;
    --check) check=1 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-prereqs: unknown argument $arg (want up, test or --check)" >&2; exit 2 ;;
  esac
done

say() { printf 'install-prereqs: %s\n' "$*"; }
has() { command -v "$1" >/dev/null 2>&1; }

# The packages whose tool is absent; each line says why the bank needs it.
missing=()
want() { missing+=("$@"); }
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || want postgresql # balancedb, transactiondb, the registry's storage
has java || want openjdk-17-jre-headless                              # the Kafka broker
has mvn || want maven                                                 # fetches the broker's jars once
has gcc || want gcc libc6-dev                                         # confluent-kafka-go links librdkafka through cgo
has npm || want nodejs npm                                            # builds the web page
has curl || want curl                                                 # readiness checks of deploy/stack.sh
has setsid || want util-linux                                         # starts the stack's processes detached
if [[ $purpose == test ]]; then
  has shellcheck || want shellcheck # make lint checks the scripts
  has chromium || want chromium     # end-to-end tests drive Debian's Chromium
fi

# Go: checked only.
go_ok=1
if ! has go; then
  go_ok=0
  say "Go $GO_MIN or newer is not on PATH: install it from the Go project's release archive and add its bin folder to PATH"
else
  v=$(go env GOVERSION 2>/dev/null || true)
  v=${v#go}
  if [[ ! $v =~ ^([0-9]+)\.([0-9]+) ]] || ((BASH_REMATCH[1] == 1 && BASH_REMATCH[2] < ${GO_MIN#1.})); then
    go_ok=0
    say "Go ${v:-unknown} is too old; the bank needs Go $GO_MIN or newer"
  fi
fi

if ((${#missing[@]} == 0)); then
  ((go_ok)) || exit 1
  exit 0
fi

command_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if ((check)); then
  say "missing: ${missing[*]}"
  say "install them with: $command_line"
  exit 1
fi

if ((EUID == 0)); then
  as_root=()
elif has sudo && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
elif has sudo && [[ -t 0 ]]; then
  as_root=(sudo) # asks for the password on this terminal
else
  say "missing: ${missing[*]}" >&2
  say "not root and no sudo: run this as root, then the same make command again:" >&2
  printf '  %s\n' "$command_line" >&2
  exit 1
fi
say "installing ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
say "installed ${missing[*]}"
((go_ok)) || exit 1
