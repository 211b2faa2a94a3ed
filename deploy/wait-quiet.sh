#!/usr/bin/env bash
# Waits until the machine is quiet: the 1-minute load average (/proc/loadavg)
# below a threshold. Put it before each measuring step, so a figure is not the
# load of another program:
#   deploy/wait-quiet.sh && go run ./loadtest floor --out floor.json
#
# Usage: deploy/wait-quiet.sh [--below LOAD] [--max-wait SECONDS] [--interval SECONDS]
#   --below     the threshold (default 1.0, or WAIT_QUIET_BELOW)
#   --max-wait  give up after this many seconds and exit 1 (default 900, or WAIT_QUIET_MAX_WAIT)
#   --interval  seconds between two readings (default 5, or WAIT_QUIET_INTERVAL)
# Exits 0 as soon as the load average is below the threshold, 1 when the
# maximum wait passed first, 2 on a bad argument.
set -euo pipefail

below=${WAIT_QUIET_BELOW:-1.0}
max_wait=${WAIT_QUIET_MAX_WAIT:-900}
interval=${WAIT_QUIET_INTERVAL:-5}

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
die() { printf 'wait-quiet: %s\n' "$*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case $1 in
    --below) [ $# -ge 2 ] || die "--below needs a value"; below=$2; shift 2 ;;
    --max-wait) [ $# -ge 2 ] || die "--max-wait needs a value"; max_wait=$2; shift 2 ;;
    --interval) [ $# -ge 2 ] || die "--interval needs a value"; interval=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument $1 (want --below, --max-wait or --interval)" ;;
  esac
done

[[ $below =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "--below wants a number such as 1.0, not '$below'"
[[ $max_wait =~ ^[0-9]+$ ]] || die "--max-wait wants whole seconds, not '$max_wait'"
[[ $interval =~ ^[0-9]+$ && $interval -gt 0 ]] || die "--interval wants whole seconds above 0, not '$interval'"

# load1 prints the 1-minute load average.
load1() { read -r one _ </proc/loadavg && printf '%s\n' "$one"; }
# lower A B is true when A < B (decimals).
lower() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

start=$SECONDS
announced=0
while true; do
  now=$(load1)
  if lower "$now" "$below"; then
    [ "$announced" -eq 0 ] || printf 'wait-quiet: load average %s, below %s after %d s\n' "$now" "$below" $((SECONDS - start)) >&2
    exit 0
  fi
  waited=$((SECONDS - start))
  if [ "$waited" -ge "$max_wait" ]; then
    printf 'wait-quiet: the load average is still %s after %d s (want below %s); stop what else runs, or raise --below or --max-wait\n' \
      "$now" "$waited" "$below" >&2
    exit 1
  fi
  if [ "$announced" -eq 0 ]; then
    printf 'wait-quiet: load average %s, waiting until it is below %s (at most %d s)\n' "$now" "$below" "$max_wait" >&2
    announced=1
  fi
  sleep "$interval"
done
