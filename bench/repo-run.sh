#!/usr/bin/env bash
# Side-by-side benchmark of backup's deduplicating repository against restic and borg.
#
#   RUNS=3 SIZE_MB=1000 bench/repo-run.sh
#
# Environment (all optional):
#   WORK      work dir (default /tmp/repo-bench); the corpus is cached there as corpus-$SIZE_MB
#   RUNS      rounds (default 3)          SIZE_MB  corpus size (default 1000)
#   TOOLS     default "backup restic borg borgz"  (borgz = borg --compression zstd,3)
#   BACKUP_BIN  a built backup binary (default: dotnet publish src/Backup.Cli into $WORK/bin)
#   KEEP=1    keep each round's directory (default: removed after the round)
#   CORPUS    an existing tree to use instead of gen-corpus.py's (e.g. the one bench/real-corpus.sh assembles)
#   CHANGE    command run on SRC for the mutate phase (default: python3 mutate.py SRC); SRC is appended
#   tarzstd   a tool: `tar -cf - | zstd -T0 -3` for the first backup and `zstd -d | tar -x` for the restore, the floor
#             of a full copy with no deduplication (no other phase)
#   OUT       result file (default bench/results/repo-latest.md)
#
# Each round: one fresh copy of the corpus (cp -a, untimed) and fresh repositories for every tool; each phase runs
# every tool in turn (order rotated per round) on the same tree, so noise on this shared machine hits all of them:
#   first       first backup
#   nochange    second backup of the unchanged tree (backup: the catalog's metadata-hash skip)
#   touched     after `touch SRC/.bench-touch` (backup: forces the repository code path; content unchanged)
#   mutate      after `python3 mutate.py SRC`
#   restore     full restore of the latest snapshot (round 1: diff -r --no-dereference against SRC)
# Timings and peak RSS come from /usr/bin/time -f '%e %M %U %S'. Medians over rounds are printed as Markdown.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SHARED=${SHARED:-/work/shared/bench}
WORK=${WORK:-/tmp/repo-bench}
RUNS=${RUNS:-3}
SIZE_MB=${SIZE_MB:-1000}
TOOLS=${TOOLS:-backup restic borg borgz}
OUT=${OUT:-$ROOT/bench/results/repo-latest.md}
KEEP=${KEEP:-0}
TIME=/usr/bin/time

mkdir -p "$WORK" "$(dirname "$OUT")"
WORK=$(cd "$WORK" && pwd)
RAW=$WORK/raw.tsv          # round tool metric value
LOG=$WORK/run.log          # every command's output
FAILS=$WORK/failures.txt
: >"$RAW"; : >"$LOG"; : >"$FAILS"

for t in restic borg python3 "$TIME"; do command -v "$t" >/dev/null || { echo "missing $t (apt-get install -y restic borgbackup time)" >&2; exit 1; }; done

if [[ -z "${BACKUP_BIN:-}" ]]; then
  echo "== dotnet publish $ROOT/src/Backup.Cli -> $WORK/bin" >&2
  dotnet publish "$ROOT/src/Backup.Cli" -c Release -o "$WORK/bin" >>"$LOG" 2>&1
  BACKUP_BIN=$WORK/bin/backup
fi

CHANGE=${CHANGE:-python3 $SHARED/mutate.py}
if [[ -n ${CORPUS:-} ]]; then
  CORPUS=$(cd "$CORPUS" && pwd); SIZE_MB="$(du -sm "$CORPUS" | cut -f1) ($CORPUS)"
else
  CORPUS=$WORK/corpus-$SIZE_MB
fi
if [[ $SIZE_MB == *"("* ]]; then
  :  # a given corpus is used as it is
elif [[ ! -f $CORPUS/.complete ]]; then
  rm -rf "$CORPUS"
  echo "== gen-corpus.py --size-mb $SIZE_MB" >&2
  python3 "$SHARED/gen-corpus.py" "$CORPUS" --size-mb "$SIZE_MB" >>"$LOG" 2>&1
  # marker lives outside the tree's content that is compared: remove it from each copy
  touch "$CORPUS/.complete"
fi

export BACKUP_PASSWORD=bench-pw RESTIC_PASSWORD=bench-pw BORG_PASSPHRASE=bench-pw
export BORG_RELOCATED_REPO_ACCESS_IS_OK=yes BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes

# timed ROUND TOOL METRIC -- command...: records seconds, KiB, cpu seconds; on failure records FAIL and goes on.
timed() {
  local round=$1 tool=$2 metric=$3; shift 4
  local tf; tf=$(mktemp "$WORK/time.XXXXXX")
  echo "## r$round $tool $metric: $*" >>"$LOG"
  local rc=0
  "$TIME" -o "$tf" -f '%e %M %U %S' "$@" >>"$LOG" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    { echo "round $round $tool $metric: exit $rc: $*"; tail -n 20 "$LOG" | sed 's/^/    /'; } >>"$FAILS"
    printf '%s\t%s\t%s\tFAIL\n' "$round" "$tool" "$metric" >>"$RAW"
  else
    read -r e m u s < <(tail -n 1 "$tf")
    printf '%s\t%s\t%s.s\t%s\n%s\t%s\t%s.rss\t%s\n%s\t%s\t%s.cpu\t%s\n' \
      "$round" "$tool" "$metric" "$e" "$round" "$tool" "$metric" "$m" "$round" "$tool" "$metric" \
      "$(python3 -c "print(round($u+$s,2))")" >>"$RAW"
  fi
  rm -f "$tf"
  return 0
}
size() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$(du -sb "$4" | cut -f1)" >>"$RAW"; }

# per-tool actions; $R = round dir, SRC = $R/src, repos in $R/repo-<tool>
do_init() {
  local t=$1 r=$2 repo=$R/repo-$1
  case $t in
    backup) BACKUP_DB=$R/catalog.db timed "$r" "$t" init -- "$BACKUP_BIN" init --archive "$repo"
            BACKUP_DB=$R/catalog.db "$BACKUP_BIN" add "$R/src" >>"$LOG" 2>&1 ;;
    restic) timed "$r" "$t" init -- restic -r "$repo" init ;;
    tarzstd) ;;
    borg|borgz) timed "$r" "$t" init -- borg init -e repokey "$repo" ;;
  esac
}
do_backup() {  # tool round metric
  local t=$1 r=$2 m=$3 repo=$R/repo-$1
  case $t in
    backup) BACKUP_DB=$R/catalog.db timed "$r" "$t" "$m" -- "$BACKUP_BIN" run --archive "$repo" ;;
    restic) (cd "$R" && timed "$r" "$t" "$m" -- restic -r "$repo" backup src) ;;
    borg)   (cd "$R" && timed "$r" "$t" "$m" -- borg create "$repo::$m" src) ;;
    borgz)  (cd "$R" && timed "$r" "$t" "$m" -- borg create --compression zstd,3 "$repo::$m" src) ;;
    tarzstd) if [[ $m == first ]]; then
               mkdir -p "$repo"; (cd "$R" && timed "$r" "$t" "$m" -- sh -c "tar -cf - src | zstd -q -T0 -3 -o '$repo/src.tar.zst'")
             fi ;;
  esac
}
do_restore() {  # tool round -> prints the restored copy of src
  local t=$1 r=$2 repo=$R/repo-$1 tgt=$R/restore-$1
  rm -rf "$tgt"
  case $t in
    backup)
      local id
      id=$(BACKUP_DB=$R/catalog.db "$BACKUP_BIN" snapshots --archive "$repo" --json 2>>"$LOG" |
           python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])') || id=none
      BACKUP_DB=$R/catalog.db timed "$r" "$t" restore -- "$BACKUP_BIN" restore "$id" --archive "$repo" --target "$tgt"
      RESTORED=$tgt ;;
    restic) timed "$r" "$t" restore -- restic -r "$repo" restore latest --target "$tgt"
            # `restic backup src` (relative) stores the tree as src/; an absolute argument would keep the full path
            RESTORED=$tgt/src; [[ -d $RESTORED ]] || RESTORED=$tgt$R/src ;;
    borg|borgz) mkdir -p "$tgt"; (cd "$tgt" && timed "$r" "$t" restore -- borg extract "$repo::mutate"); RESTORED=$tgt/src ;;
    # the first backup's copy, so it is compared with the tree as it was then (round 1 checks it against a fresh copy)
    tarzstd) mkdir -p "$tgt"; (cd "$tgt" && timed "$r" "$t" restore -- sh -c "zstd -q -d -c '$repo/src.tar.zst' | tar -xf -"); RESTORED=$tgt/src ;;
  esac
}

read -ra TL <<<"$TOOLS"
n=${#TL[@]}
for ((round = 1; round <= RUNS; round++)); do
  R=$WORK/round$round
  rm -rf "$R"; mkdir -p "$R"
  export BORG_BASE_DIR=$R/borg-home RESTIC_CACHE_DIR=$R/restic-cache
  cp -a "$CORPUS" "$R/src"; rm -f "$R/src/.complete"
  # rotate the order of the tools each round
  order=(); for ((i = 0; i < n; i++)); do order+=("${TL[$(((i + round - 1) % n))]}"); done
  echo "== round $round/$RUNS ($(date +%T)), order: ${order[*]}" >&2
  for t in "${order[@]}"; do do_init "$t" "$round"; done
  for t in "${order[@]}"; do do_backup "$t" "$round" first; size "$round" "$t" size.first "$R/repo-$t"; done
  for t in "${order[@]}"; do do_backup "$t" "$round" nochange; done
  touch "$R/src/.bench-touch"
  for t in "${order[@]}"; do do_backup "$t" "$round" touched; done
  $CHANGE "$R/src" >>"$LOG" 2>&1
  for t in "${order[@]}"; do do_backup "$t" "$round" mutate; size "$round" "$t" size.mutate "$R/repo-$t"; done
  for t in "${order[@]}"; do
    do_restore "$t" "$round"
    if [[ $round -eq 1 ]]; then
      want=$R/src; if [[ $t == tarzstd ]]; then want=$CORPUS; fi
      if diff -r --no-dereference -x .complete "$want" "$RESTORED" >"$WORK/diff-$t.txt" 2>&1; then
        printf '%s\t%s\tverify\tOK\n' "$round" "$t" >>"$RAW"
      else
        printf '%s\t%s\tverify\tDIFF\n' "$round" "$t" >>"$RAW"
        { echo "round 1 $t: diff -r --no-dereference $R/src $RESTORED differs:"; head -n 20 "$WORK/diff-$t.txt" | sed 's/^/    /'; } >>"$FAILS"
      fi
    fi
    rm -rf "$R/restore-$t"
  done
  if [[ $KEEP != 1 ]]; then rm -rf "$R"; fi
done

# ---- report ----
{
  echo "# Repository benchmark: backup vs restic vs borg"
  echo
  echo "\`RUNS=$RUNS SIZE_MB=$SIZE_MB TOOLS=\"$TOOLS\" bench/repo-run.sh\` — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  echo
  echo "Machine: nproc $(nproc), CPU $(lscpu | sed -n 's/^Model name: *//p' | head -n1), kernel $(uname -r)"
  echo "Memory: $(free -h | awk '/^Mem:/ {print $2" total, "$7" available"}')"
  echo "Versions: dotnet $(dotnet --version 2>/dev/null || echo ?), $(restic version | cut -d' ' -f1-2), $(borg --version)"
  echo
  python3 "$HERE/repo-report.py" "$RAW" "$TOOLS"
  if [[ -s $FAILS ]]; then
    echo
    echo "## Failures"
    echo '```'
    cat "$FAILS"
    echo '```'
  fi
} >"$OUT"
cat "$OUT"
echo "(raw: $RAW, log: $LOG, report: $OUT)" >&2
