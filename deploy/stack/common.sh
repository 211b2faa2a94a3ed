# shellcheck shell=bash
# Part of deploy/stack.sh, sourced by it (it sets the variables): the helpers every part uses (polling, ports, pid files, starting and stopping processes).

# ---------------------------------------------------------------- helpers

# poll SECONDS CMD...: retry CMD every 0.2 s until it succeeds or time is up.
poll() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  # shellcheck disable=SC2016 # $0 belongs to the inner bash.
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

# Fail unless PORT is free; VAR names the variable that moves it.
require_free_port() {
  local port=$1 var=$2 what=$3
  if port_open "$port"; then
    die "port $port (for $what) is already in use by a process that is not this stack; stop it or choose another port with $var=..."
  fi
}

# cmdline PID: the process's argv joined by spaces (empty for zombies/gone).
cmdline() {
  { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true
}

# alive_pid PIDFILE PATTERN: print the pid from PIDFILE if that process still
# exists and its command line contains PATTERN (guards against PID reuse).
alive_pid() {
  local pidfile=$1 pattern=$2 pid
  [[ -r $pidfile ]] || return 1
  pid=$(head -n1 "$pidfile" | tr -dc '0-9')
  [[ -n $pid ]] || return 1
  [[ $(cmdline "$pid") == *"$pattern"* ]] || return 1
  printf '%s\n' "$pid"
}

# start_bg PIDFILE LOGFILE CMD...: run CMD detached in its own session (so a
# Ctrl-C or hang-up in the calling terminal does not reach it); the pid file is
# written by the process itself right before it execs CMD.
start_bg() {
  local pidfile=$1 logfile=$2
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner sh.
  setsid sh -c 'echo $$ >"$0" && exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 &
  poll 10 test -s "$pidfile" || die "could not start $1 (see $logfile)"
}

# stop_pid NAME PIDFILE PATTERN GRACE: SIGTERM, wait GRACE s, then SIGKILL.
stop_pid() {
  local name=$1 pidfile=$2 pattern=$3 grace=$4 pid
  if ! pid=$(alive_pid "$pidfile" "$pattern"); then
    rm -f "$pidfile"
    return 0
  fi
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! poll "$grace" pid_gone "$pid" "$pattern"; then
    say "$name did not stop within ${grace}s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    poll 10 pid_gone "$pid" "$pattern" || die "$name (pid $pid) survived SIGKILL"
  fi
  rm -f "$pidfile"
}

pid_gone() { [[ $(cmdline "$1") != *"$2"* ]]; }

show_log() {
  local log=$1
  [[ -s $log ]] || return 0
  printf -- '--- last lines of %s ---\n' "$log" >&2
  tail -n 25 "$log" >&2
  printf -- '---\n' >&2
}

# need CMD HINT: fail early, saying how to get CMD.
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found; $2"
}
