# Shared functions of .ci/servers/{start,stop,rgw,sshd}; sourced, not run.
# Every daemon runs in the background with its stdio on a log file under DIR, and its pid in DIR/pids/NAME.pid.

servers_log() { echo "servers: $*" >&2; }

# servers_dir DIR: the absolute state directory (default /tmp/backup-test-servers).
servers_dir() {
  local dir=${1:-/tmp/backup-test-servers}
  mkdir -p "$dir"
  (cd "$dir" && pwd -P)
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on, below the ephemeral range
# (so no outgoing connection takes it meanwhile) and outside Ceph's 6800-7300.
free_port() {
  local port i
  for i in $(seq 1 200); do
    port=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  servers_log "no free port found"
  return 1
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# spawn DIR NAME LOG CMD...: starts CMD in its own session, stdio on LOG, pid in DIR/pids/NAME.pid.
spawn() {
  local dir=$1 name=$2 log=$3
  shift 3
  mkdir -p "$dir/pids"
  setsid "$@" </dev/null >>"$log" 2>&1 &
  echo $! >"$dir/pids/$name.pid"
}

# running PID: the process exists and is not a zombie (a daemon whose starter exited is reparented to
# pid 1, which in a container may be slow to reap it).
running() {
  local stat
  kill -0 "$1" 2>/dev/null || return 1
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# alive DIR NAME: the process recorded for NAME still runs.
alive() {
  local pidfile="$1/pids/$2.pid" pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && running "$pid"
}

# descendants PID: the pids of PID's children, grandchildren, ... (for sshd's per-connection processes).
descendants() {
  local child
  for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# halt DIR NAME [SIGNAL] [WITH_CHILDREN]: stops the recorded process (TERM by default, KILL after 15 s),
# optionally with its descendants, waits for it to go, and removes its pid file. Quiet when it is not running.
halt() {
  local dir=$1 name=$2 signal=${3:-TERM} children=${4:-no} pidfile="$1/pids/$2.pid" pid kids i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && running "$pid"; then
    kids=""
    [ "$children" = yes ] && kids=$(descendants "$pid")
    kill "-$signal" "$pid" $kids 2>/dev/null || true
    for i in $(seq 1 150); do
      running "$pid" || break
      sleep 0.1
    done
    if running "$pid"; then
      servers_log "$name (pid $pid) ignored SIG$signal for 15 s; killing it"
      kill -KILL "$pid" $kids 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$pidfile"
}

# fail DIR MESSAGE: prints MESSAGE and the tails of every log under DIR, then exits 1.
fail() {
  local dir=$1 log
  shift
  servers_log "FAILED: $*"
  for log in "$dir"/log/*.log; do
    [ -s "$log" ] || continue
    echo "----- tail of $log" >&2
    tail -n 25 "$log" >&2
  done
  exit 1
}

# state DIR KEY: a value written to DIR/state by start (ports, keys).
state() { sed -n "s/^$2=//p" "$1/state"; }

# ---------------------------------------------------------------- radosgw

# rgw_answers PORT: the S3 endpoint returns S3 XML (an anonymous ListAllMyBuckets).
rgw_answers() { curl -s -m 3 "http://127.0.0.1:$1/" 2>/dev/null | grep -q 'ListAllMyBucketsResult'; }

# rgw_start DIR: starts radosgw against the running cluster and waits until S3 answers (90 s at most).
rgw_start() {
  local dir=$1 port i
  port=$(state "$dir" RGW_PORT)
  if alive "$dir" radosgw && rgw_answers "$port"; then
    return 0
  fi
  halt "$dir" radosgw KILL
  port_open "$port" && fail "$dir" "port $port for radosgw is taken by another program"
  spawn "$dir" radosgw "$dir/log/radosgw.out" radosgw -f -c "$dir/ceph.conf" -n client.rgw
  for i in $(seq 1 900); do
    rgw_answers "$port" && return 0
    alive "$dir" radosgw || fail "$dir" "radosgw exited while starting"
    sleep 0.1
  done
  fail "$dir" "radosgw did not answer on http://127.0.0.1:$port/ within 90 s"
}

rgw_stop() { halt "$1" radosgw "${2:-TERM}"; }

# ---------------------------------------------------------------- sshd

# sshd_answers DIR: a key login through the test's known_hosts runs a command.
sshd_answers() {
  local dir=$1
  ssh -i "$dir/id_ed25519" -o UserKnownHostsFile="$dir/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=3 -o LogLevel=ERROR \
    -p "$(state "$dir" SSH_PORT)" "$(state "$dir" SSH_USER)@127.0.0.1" true </dev/null >/dev/null 2>&1
}

# sshd_start DIR: starts sshd with DIR/sshd_config and waits until a key login works (30 s at most).
sshd_start() {
  local dir=$1 port i
  port=$(state "$dir" SSH_PORT)
  if alive "$dir" sshd && sshd_answers "$dir"; then
    return 0
  fi
  halt "$dir" sshd KILL
  port_open "$port" && fail "$dir" "port $port for sshd is taken by another program"
  # sshd's privilege separation needs its empty folder (made by systemd-tmpfiles on a booted system).
  if [ ! -d /run/sshd ]; then
    mkdir -p /run/sshd && chmod 755 /run/sshd || servers_log "could not create /run/sshd"
  fi
  spawn "$dir" sshd "$dir/log/sshd.log" "$(command -v sshd || echo /usr/sbin/sshd)" -D -e -f "$dir/sshd_config"
  for i in $(seq 1 300); do
    if port_open "$port" && sshd_answers "$dir"; then
      return 0
    fi
    alive "$dir" sshd || fail "$dir" "sshd exited while starting"
    sleep 0.1
  done
  fail "$dir" "ssh login to 127.0.0.1:$port did not work within 30 s"
}

# sshd_stop DIR [SIGNAL]: stops the listener and its per-connection processes, so open sessions break too.
sshd_stop() { halt "$1" sshd "${2:-TERM}" yes; }
