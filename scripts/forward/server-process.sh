# Shared by scripts/forward-server.sh and scripts/forward-auth-server.sh (sourced, not run):
# start a server in the background with a pid file, wait for its port, stop it.
# Expects: port, pid_file, log_file, timeout, and a die() function.

running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid; pid="$(cat "$pid_file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

accepts_connections() {
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# launch_and_wait CMD ARGS...: runs the server detached (logs appended to $log_file) and waits
# until 127.0.0.1:$port accepts connections; prints the pid.
launch_and_wait() {
  accepts_connections && die "something else already listens on 127.0.0.1:$port"
  nohup "$@" >>"$log_file" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$pid_file"
  local deadline=$((SECONDS + timeout))
  until accepts_connections; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -20 "$log_file" >&2
      die "the server exited during start-up; log: $log_file"
    fi
    if (( SECONDS >= deadline )); then
      kill "$pid" 2>/dev/null || true
      die "not accepting on 127.0.0.1:$port after ${timeout}s; log: $log_file"
    fi
    sleep 0.1
  done
  echo "$pid"
}

# SIGTERM (servers flush and close), then SIGKILL after $timeout seconds.
stop_server() {
  local pid
  pid="$(running_pid)" || { rm -f "$pid_file"; return 0; }
  kill -TERM "$pid"
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      echo "pid $pid did not exit after ${timeout}s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
  done
  rm -f "$pid_file"
}
