#!/usr/bin/env bash
# Installs the Debian packages the bank needs that this machine lacks: the one
# list of prerequisites, used by `make up` and by .ci/run (both with test).
#
# Usage: deploy/install-prereqs.sh [up|test] [--check]
#   up     what running the stack needs: PostgreSQL, Java, Maven, gcc, Node.js (20.19+) and npm, curl
#   test   that plus what `make test` needs: shellcheck and Chromium (the default)
#   --check  only print what is missing; exit 1 if something is
# With STACK_METRICS=1 also Prometheus, which deploy/stack.sh then starts.
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
if [[ ${STACK_METRICS:-0} == 1 ]]; then
  [[ -x ${PROMETHEUS:-/usr/bin/prometheus} ]] || want prometheus # STACK_METRICS=1: the stack's metrics
fi
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

# as_root CMD...: run CMD as root: directly, through sudo, or not at all (then
# print WHAT to run and stop).
as_root() {
  if ((EUID == 0)); then
    "$@"
  elif has sudo && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  elif has sudo && [[ -t 0 ]]; then
    sudo "$@" # asks for the password on this terminal
  else
    say "not root and no sudo: run this as root, then the same make command again:" >&2
    printf '  %s\n' "$command_line" >&2
    exit 1
  fi
}

command_line="apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
if ((${#missing[@]} > 0)); then
  if ((check)); then
    say "missing: ${missing[*]}"
    say "install them with: $command_line"
    exit 1
  fi
  say "installing ${missing[*]}"
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    # The bank runs PostgreSQL itself (deploy/stack.sh); Debian's default
    # cluster would only take port 5432 from it.
    as_root mkdir -p /etc/postgresql-common/createcluster.d
    echo 'create_main_cluster = off # deploy/install-prereqs.sh: the bank runs its own PostgreSQL' |
      as_root tee /etc/postgresql-common/createcluster.d/open-bank.conf >/dev/null
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" prometheus "* && -d /run/systemd/system ]]; then
    # deploy/stack.sh runs its own Prometheus; Debian's service would only
    # take port 9090 from it and scrape nothing of the bank.
    as_root systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
  say "installed ${missing[*]}"
fi

# The page's build tool (Vite) needs Node.js 20.19+ or 22.12+; Debian 12 ships
# 18. The npm registry carries Node's own Linux build as the package node.
node_fits() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number);
    process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)' 2>/dev/null
}
if has node && ! node_fits; then
  command_line="npm install -g --no-audit --no-fund node@20"
  if ((check)); then
    say "Node.js $(node --version) is too old for the page's build (20.19 or newer); install Node 20 with: $command_line"
    exit 1
  fi
  say "Node.js $(node --version) is too old for the page's build: installing Node 20 from the npm registry"
  as_root npm install -g --no-audit --no-fund node@20 >/dev/null
  hash -r
  node_fits || {
    say "Node.js 20 is installed in $(npm prefix -g)/bin, but $(command -v node) ($(node --version)) comes first on PATH" >&2
    exit 1
  }
  say "Node.js $(node --version) at $(command -v node)"
fi
((go_ok)) || exit 1
