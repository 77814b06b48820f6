#!/usr/bin/env bash
# Side-by-side benchmark of backup and restic against remote repositories on loopback: S3 (Ceph RGW, memstore) and
# SFTP (OpenSSH sshd), both from .ci/servers/start.
#
#   RUNS=3 SIZE_MB=1000 bench/remote-run.sh
#
# Environment (all optional):
#   WORK      work dir (default /tmp/remote-bench); the corpus is cached there as corpus-$SIZE_MB
#   RUNS      rounds per store (default 3)        SIZE_MB  corpus size (default 1000)
#   STORES    default "s3 sftp"
#   BACKUP_BIN  a built backup binary (default: dotnet publish src/Backup.Cli into $WORK/bin)
#   OUT       result file (default bench/results/remote-latest.md)
#   RGW_TCP_NODELAY  1 (default): restart radosgw with `rgw_frontends = beast ... tcp_nodelay=1`. Without it, RGW 16's
#             beast frontend leaves Nagle on, and every request on a reused keep-alive connection whose reply is
#             written in two pieces waits ~40 ms for the client's delayed ACK (measured: curl, 20 ranged GETs of 20 KB on
#             one connection, 3.5 ms for the first, 44 ms for each later one). 0 keeps .ci/servers' configuration.
#
# Per store and round: fresh servers (.ci/servers/start $WORK/srv; memstore keeps every object in the OSD's RAM, so
# restarting is what frees it), one `cp -a` of the corpus (untimed), a fresh catalog, HOME (backup's cache) and
# restic cache. Each step runs both tools one after the other, backup first in odd rounds, restic first in even ones:
#   first     first backup (empty caches)
#   nochange  the same backup again (caches kept)
#   mutate    after `python3 mutate.py SRC`
#   restore   full restore of the latest snapshot into a fresh folder; diff -r --no-dereference against SRC
# Each timed command: /usr/bin/time -f '%e %M %U %S' after a sync. Requests per step are counted in the server's log:
#   S3:   radosgw with debug_rgw=1 logs one "beast: ... "METHOD /path HTTP/1.1" STATUS" line per request
#   SFTP: sshd runs the external sftp-server with -e -l VERBOSE, logging every open, close, stat, rename, mkdir...
#         (reads, writes and readdir are not logged by sftp-server, at any level: "close" carries their byte counts)
# The last round of each store ends with `backup check --read-data` and `restic check --read-data` (timed too).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-/work/shared/bench}
WORK=${WORK:-/tmp/remote-bench}
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1000}
STORES=${STORES:-s3 sftp}
OUT=${OUT:-$ROOT/bench/results/remote-latest.md}
TIME=/usr/bin/time
SERVERS=$ROOT/.ci/servers
RGW_TCP_NODELAY=${RGW_TCP_NODELAY:-1}

mkdir -p "$WORK" "$(dirname "$OUT")"
WORK=$(cd "$WORK" && pwd)
SRV=$WORK/srv
RAW=$WORK/raw.tsv          # store round tool metric value
LOG=$WORK/run.log          # every command's output
FAILS=$WORK/failures.txt
REQ=$WORK/requests         # the server log slice of every step
: >"$RAW"; : >"$LOG"; : >"$FAILS"
rm -rf "$REQ"; mkdir -p "$REQ"

for t in restic python3 curl "$TIME"; do command -v "$t" >/dev/null || { echo "missing $t (apt-get install -y restic time curl)" >&2; exit 1; }; done

if [[ -z "${BACKUP_BIN:-}" ]]; then
  echo "== dotnet publish $ROOT/src/Backup.Cli -> $WORK/bin" >&2
  dotnet publish "$ROOT/src/Backup.Cli" -c Release -o "$WORK/bin" >>"$LOG" 2>&1
  BACKUP_BIN=$WORK/bin/backup
fi

CORPUS=$WORK/corpus-$SIZE_MB
if [[ ! -f $CORPUS/.complete ]]; then
  rm -rf "$CORPUS"
  echo "== gen-corpus.py --size-mb $SIZE_MB" >&2
  python3 "$SHARED/gen-corpus.py" "$CORPUS" --size-mb "$SIZE_MB" >>"$LOG" 2>&1
  touch "$CORPUS/.complete"
fi

export BACKUP_PASSWORD=bench-pw RESTIC_PASSWORD=bench-pw
raw() { printf '%s\t%s\t%s\t%s\t%s\n' "$STORE" "$@" >>"$RAW"; }
loadavg() { cut -d' ' -f1 /proc/loadavg; }
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- servers
servers_up() {
  "$SERVERS/start" "$SRV" >>"$LOG" 2>&1 || { echo "servers did not start; see $LOG" >&2; exit 1; }
  # shellcheck disable=SC1091
  . "$SRV/env"
  # RGW: one access line per request (beast frontend) at debug_rgw 1; also in ceph.conf for an rgw restart.
  sed -i 's/^rgw_enable_usage_log = false$/&\ndebug_rgw = 1/' "$SRV/ceph.conf"
  if [[ $RGW_TCP_NODELAY == 1 ]]; then
    sed -i 's/^rgw_frontends = beast endpoint=[0-9.:]*$/& tcp_nodelay=1/' "$SRV/ceph.conf"
    "$SERVERS/rgw" stop "$SRV" >>"$LOG" 2>&1
    "$SERVERS/rgw" start "$SRV" >>"$LOG" 2>&1
  fi
  RGW_FRONTENDS=$(grep '^rgw_frontends' "$SRV/ceph.conf" | sed 's/endpoint=[0-9.:]*/endpoint=127.0.0.1:PORT/')
  echo "$RGW_FRONTENDS" >>"$LOG"
  ceph --admin-daemon "$SRV/run/radosgw.asok" config set debug_rgw 1/1 >>"$LOG" 2>&1
  # SFTP: the external sftp-server (the same code as internal-sftp) logging every operation to a file.
  touch "$SRV/log/sftp.log"
  sed -i "s|^Subsystem sftp .*|Subsystem sftp /usr/lib/openssh/sftp-server -e -l VERBOSE 2>>$SRV/log/sftp.log|" "$SRV/sshd_config"
  "$SERVERS/sshd" stop "$SRV" >>"$LOG" 2>&1
  "$SERVERS/sshd" start "$SRV" >>"$LOG" 2>&1
  export AWS_ACCESS_KEY_ID=$BACKUP_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BACKUP_TEST_S3_SECRET_KEY
  export AWS_ENDPOINT_URL_S3=$BACKUP_TEST_S3_ENDPOINT AWS_REGION=us-east-1
  export BACKUP_SSH_IDENTITY=$BACKUP_TEST_SFTP_IDENTITY BACKUP_SSH_KNOWN_HOSTS=$BACKUP_TEST_SFTP_KNOWN_HOSTS
}
servers_down() { "$SERVERS/stop" "$SRV" >>"$LOG" 2>&1 || true; }
trap servers_down EXIT

reqlog() { case $STORE in s3) echo "$SRV/log/radosgw.log" ;; sftp) echo "$SRV/log/sftp.log" ;; esac; }

# calibrate: N known requests must be counted as N (curl for S3, an sftp batch for SFTP).
calibrate() {
  local f off n slice=$REQ/$STORE-calibration.log
  f=$(reqlog); off=$(stat -c %s "$f")
  case $STORE in
    s3)
      n=7
      curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT "$AWS_ENDPOINT_URL_S3/calibration"
      for i in 1 2 3 4 5 6; do
        curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
          -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' "$AWS_ENDPOINT_URL_S3/calibration?list-type=2"
      done ;;
    sftp)
      # open+close (put), posix-rename, remove: the batch below makes exactly these logged operations plus the
      # client's own realpath/stat/lstat; count what is logged and compare with the batch's known set.
      n=4
      mkdir -p "$BACKUP_TEST_SFTP_ROOT/cal"
      printf 'put /etc/hostname %s/cal/a\nrename %s/cal/a %s/cal/b\nrm %s/cal/b\n' "$BACKUP_TEST_SFTP_ROOT" \
        "$BACKUP_TEST_SFTP_ROOT" "$BACKUP_TEST_SFTP_ROOT" "$BACKUP_TEST_SFTP_ROOT" >"$WORK/cal.batch"
      sftp -q -b "$WORK/cal.batch" -P "$BACKUP_TEST_SFTP_PORT" -i "$BACKUP_TEST_SFTP_IDENTITY" \
        -o UserKnownHostsFile="$BACKUP_TEST_SFTP_KNOWN_HOSTS" root@127.0.0.1 >>"$LOG" 2>&1 ;;
  esac
  sleep 1
  tail -c +$((off + 1)) "$f" >"$slice"
  local got
  case $STORE in
    s3) got=$(python3 "$HERE/remote-report.py" count s3 "$slice" | awk '$1=="requests"{print $2}') ;;
    sftp) got=$(python3 "$HERE/remote-report.py" count sftp "$slice" | awk '$1=="m.open"||$1=="m.close"||$1=="m.posix-rename"||$1=="m.remove"{s+=$2} END{print s+0}') ;;
  esac
  echo "calibration $STORE: issued $n, counted $got" >&2
  raw 0 calibration issued "$n"; raw 0 calibration counted "$got"
  [[ $got == "$n" ]] || { echo "round 0 $STORE calibration: issued $n requests, counted $got ($slice)" >>"$FAILS"; }
}

# timed ROUND TOOL METRIC -- command...: seconds, KiB, CPU seconds, and the requests the server logged meanwhile.
timed() {
  local round=$1 tool=$2 metric=$3; shift 4
  local tf f off rc=0 slice=$REQ/$STORE-r$round-$tool-$metric.log
  tf=$(mktemp "$WORK/time.XXXXXX")
  f=$(reqlog)
  echo "## $STORE r$round $tool $metric: $*" >>"$LOG"
  sync
  off=$(stat -c %s "$f")
  "$TIME" -o "$tf" -f '%e %M %U %S' "$@" >>"$LOG" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    { echo "$STORE round $round $tool $metric: exit $rc: $*"; tail -n 20 "$LOG" | sed 's/^/    /'; } >>"$FAILS"
    raw "$round" "$tool" "$metric" FAIL
  else
    read -r e m u s < <(tail -n 1 "$tf")
    raw "$round" "$tool" "$metric.s" "$e"; raw "$round" "$tool" "$metric.rss" "$m"
    raw "$round" "$tool" "$metric.cpu" "$(python3 -c "print(round($u+$s,2))")"
  fi
  rm -f "$tf"
  sleep 1   # radosgw's log thread writes a moment after the reply
  tail -c +$((off + 1)) "$f" >"$slice"
  python3 "$HERE/remote-report.py" count "$STORE" "$slice" | while read -r k v; do raw "$round" "$tool" "$metric.$k" "$v"; done
  return 0
}

url_of() {  # tool round -> repository address
  case $STORE/$1 in
    s3/backup) echo "s3://bench-backup-r$2/repo" ;;
    s3/restic) echo "s3:$AWS_ENDPOINT_URL_S3/bench-restic-r$2" ;;
    sftp/backup) echo "sftp://root@127.0.0.1:$BACKUP_TEST_SFTP_PORT$BACKUP_TEST_SFTP_ROOT/backup-r$2" ;;
    sftp/restic) echo "sftp:root@127.0.0.1:$BACKUP_TEST_SFTP_ROOT/restic-r$2" ;;
  esac
}
# /usr/bin/time runs programs, not shell functions: two small wrappers (an exec, so RSS is the tool's own).
mkdir -p "$WORK/wrap"
cat >"$WORK/wrap/backup" <<EOF
#!/bin/sh
# fresh per round: catalog, HOME (~/.cache/backup)
unset XDG_CACHE_HOME XDG_DATA_HOME
HOME=\$BENCH_R/home BACKUP_DB=\$BENCH_R/catalog.db exec "$BACKUP_BIN" "\$@"
EOF
cat >"$WORK/wrap/restic" <<'EOF'
#!/bin/sh
if [ "$BENCH_STORE" = sftp ]; then
  exec restic -o sftp.command="ssh -p $BACKUP_TEST_SFTP_PORT -i $BACKUP_TEST_SFTP_IDENTITY -o UserKnownHostsFile=$BACKUP_TEST_SFTP_KNOWN_HOSTS -o GlobalKnownHostsFile=/dev/null -o BatchMode=yes root@127.0.0.1 -s sftp" "$@"
fi
exec restic "$@"
EOF
chmod +x "$WORK/wrap/backup" "$WORK/wrap/restic"
backup_=$WORK/wrap/backup restic_=$WORK/wrap/restic

do_init() {
  local t=$1 r=$2 url; url=$(url_of "$t" "$r")
  case $t in
    backup) timed "$r" "$t" init -- "$backup_" init --archive "$url"
            "$backup_" add "$R/src" >>"$LOG" 2>&1 ;;
    restic) timed "$r" "$t" init -- "$restic_" -r "$url" init ;;
  esac
}
do_backup() {
  local t=$1 r=$2 m=$3 url; url=$(url_of "$t" "$r")
  case $t in
    backup) timed "$r" "$t" "$m" -- "$backup_" run --archive "$url" ;;
    restic) (cd "$R" && timed "$r" "$t" "$m" -- "$restic_" -r "$url" backup src) ;;
  esac
}
do_restore() {
  local t=$1 r=$2 url tgt=$R/restore-$1; url=$(url_of "$t" "$r")
  rm -rf "$tgt"
  case $t in
    backup)
      local id
      id=$("$backup_" snapshots --archive "$url" --json 2>>"$LOG" | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])') || id=none
      timed "$r" "$t" restore -- "$backup_" restore "$id" --archive "$url" --target "$tgt"
      RESTORED=$tgt ;;
    restic)
      timed "$r" "$t" restore -- "$restic_" -r "$url" restore latest --target "$tgt"
      RESTORED=$tgt/src ;;
  esac
  if diff -r --no-dereference "$R/src" "$RESTORED" >"$WORK/diff-$STORE-$t.txt" 2>&1; then
    raw "$r" "$t" verify OK
  else
    raw "$r" "$t" verify DIFF
    { echo "$STORE round $r $t: diff -r --no-dereference $R/src $RESTORED differs:"; head -n 20 "$WORK/diff-$STORE-$t.txt" | sed 's/^/    /'; } >>"$FAILS"
  fi
  rm -rf "$tgt"
}
do_check() {
  local t=$1 r=$2 url; url=$(url_of "$t" "$r")
  case $t in
    backup) timed "$r" "$t" check -- "$backup_" check --read-data --archive "$url" ;;
    restic) timed "$r" "$t" check -- "$restic_" -r "$url" check --read-data ;;
  esac
  grep -q "^$STORE	$r	$t	check	FAIL" "$RAW" && raw "$r" "$t" checked FAIL || raw "$r" "$t" checked OK
}

for STORE in $STORES; do
  for ((round = 1; round <= RUNS; round++)); do
    R=$WORK/round-$STORE-$round
    export BENCH_R=$R BENCH_STORE=$STORE
    rm -rf "$R"; mkdir -p "$R/home"
    servers_down
    servers_up
    [[ $round -eq 1 ]] && calibrate
    export RESTIC_CACHE_DIR=$R/restic-cache
    cp -a "$CORPUS" "$R/src"; rm -f "$R/src/.complete"
    if ((round % 2)); then order=(backup restic); else order=(restic backup); fi
    echo "== $STORE round $round/$RUNS ($(date +%T), load $(loadavg)), order: ${order[*]}" >&2
    raw "$round" all load.start "$(loadavg)"
    for t in "${order[@]}"; do do_init "$t" "$round"; done
    for t in "${order[@]}"; do do_backup "$t" "$round" first; done
    for t in "${order[@]}"; do do_backup "$t" "$round" nochange; done
    python3 "$SHARED/mutate.py" "$R/src" >>"$LOG" 2>&1
    for t in "${order[@]}"; do do_backup "$t" "$round" mutate; done
    for t in "${order[@]}"; do do_restore "$t" "$round"; done
    if [[ $round -eq $RUNS ]]; then for t in "${order[@]}"; do do_check "$t" "$round"; done; fi
    raw "$round" all load.end "$(loadavg)"
    rm -rf "$R"
  done
  servers_down
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- report
{
  echo "# Remote repository benchmark: backup vs restic on S3 (Ceph RGW) and SFTP (sshd), loopback"
  echo
  echo "\`RUNS=$RUNS SIZE_MB=$SIZE_MB STORES=\"$STORES\" bench/remote-run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  echo
  echo "Machine: nproc $(nproc), CPU $(lscpu | sed -n 's/^Model name: *//p' | head -n1), kernel $(uname -r); memory $(free -h | awk '/^Mem:/ {print $2" total, "$7" available"}')"
  echo "Versions: dotnet $(dotnet --version 2>/dev/null || echo ?), $(restic version | cut -d' ' -f1-2), $(ceph --version | cut -d' ' -f1-3), $(ssh -V 2>&1)"
  echo "Corpus: gen-corpus.py --size-mb $SIZE_MB: $(find "$CORPUS" -type f | wc -l) files, $(du -sb --exclude=.complete "$CORPUS" | cut -f1) bytes"
  echo "Load average (1/5/15 min): $LOAD_START at the start, $LOAD_END at the end"
  echo "RGW: \`${RGW_FRONTENDS:-?}\`"
  echo
  python3 "$HERE/remote-report.py" report "$RAW" "$STORES"
  if [[ -s $FAILS ]]; then
    echo
    echo "## Failures"
    echo '```'
    cat "$FAILS"
    echo '```'
  fi
} >"$OUT"
cat "$OUT"
echo "(raw: $RAW, log: $LOG, request logs: $REQ, report: $OUT)" >&2
