#!/usr/bin/env bash
# Peak RSS (and wall time) of every command, backup side by side with restic (issue 12's memory targets).
#
#   bench/memory.sh BIN [TREE...]
#
# BIN is a folder with a published `backup` (dotnet publish src/Backup.Cli -c Release -o BIN). Each TREE (default: the
# real corpus /tmp/real/corpus, built by bench/real-corpus.sh, and the 1,000,000-file tree
# /tmp/wb/work/watch-tree-1000000, made by gen-corpus.py --size-mb 50 --many 1000000) goes through the same phases for
# each tool, one after the other within a phase:
#   first        first backup into a fresh repository
#   nochange     the same tree again
#   touched      after `touch TREE/.bench-touch` (backup: its repository path runs; content unchanged)
#   change       after the change: a tree with bin/large-a.bin (the real corpus) gets `real-corpus.sh --change` on a
#                copy; any other tree gets one line appended to its first file (undone at the end)
#   restore      full restore of the last snapshot into WORK/restore-TOOL (round 1 checked with diff -r --no-dereference)
#   heap64       backup only: a first backup into another fresh repository with DOTNET_GCHeapHardLimit=0x4000000
#                (64 MiB of managed heap); "failed" when it does not complete
# Environment: WORK (default /tmp/memwork), TOOLS (default "backup restic"), DIFF=0 to skip the restore check.
# Prints one markdown table per tree: peak RSS (MiB, /usr/bin/time %M) and wall seconds. Times on a shared machine are
# only indicative: memory is robust to load, wall time is not (bench/README.md says how the times were taken).
set -euo pipefail
BIN=$(realpath "${1:?usage: memory.sh BIN [TREE...]}"); shift
TREES=("$@"); [[ ${#TREES[@]} -gt 0 ]] || TREES=(/tmp/real/corpus /tmp/wb/work/watch-tree-1000000)
WORK=${WORK:-/tmp/memwork}
TOOLS=${TOOLS:-backup restic}
HERE=$(cd "$(dirname "$0")" && pwd)
export BACKUP_PASSWORD=bench RESTIC_PASSWORD=bench
command -v restic >/dev/null || TOOLS=${TOOLS//restic/}

declare -A RSS SECS
# timed KEY CMD...: runs CMD under /usr/bin/time, records peak RSS (MiB) and wall seconds; a failure records "failed"
timed() {
  local key=$1; shift
  local out=$WORK/time.out
  if /usr/bin/time -f '%e %M' -o "$out" "$@" >"$WORK/$key.log" 2>&1; then
    read -r s k <"$out"; RSS[$key]=$((k / 1024)); SECS[$key]=$s
  else
    RSS[$key]=failed; SECS[$key]=failed
  fi
}

backup_new() {
  rm -rf "$WORK/$1-repo" "$WORK/$1.db"*
  BACKUP_DB=$WORK/$1.db "$BIN/backup" init --archive "$WORK/$1-repo" >/dev/null
  BACKUP_DB=$WORK/$1.db "$BIN/backup" add "$2" >/dev/null
}
backup_restore() {
  local id
  id=$(BACKUP_DB=$WORK/b.db "$BIN/backup" snapshots --archive "$WORK/b-repo" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')
  timed "$1" env BACKUP_DB="$WORK/b.db" "$BIN/backup" restore "$id" --archive "$WORK/b-repo" --target "$WORK/restore-backup"
}

phase() {
  local name=$1 src=$2 tool
  for tool in $TOOLS; do
    case $tool in
      backup) timed "backup-$name" env BACKUP_DB="$WORK/b.db" BACKUP_ARCHIVE="$WORK/b-repo" "$BIN/backup" run ;;
      restic) timed "restic-$name" restic -r "$WORK/restic-repo" --cache-dir "$WORK/restic-cache" backup --quiet "$src" ;;
    esac
  done
}

one_tree() {
  local tree=$1 src undo=""
  rm -rf "$WORK"; mkdir -p "$WORK"
  if [[ -f $tree/bin/large-a.bin ]]; then
    src=$WORK/src; cp -a "$tree" "$src"; rm -f "$src/.complete"
  else
    src=$tree
  fi
  for tool in $TOOLS; do
    case $tool in
      backup) backup_new b "$src" ;;
      restic) restic -r "$WORK/restic-repo" init >/dev/null ;;
    esac
  done
  phase first "$src"
  phase nochange "$src"
  touch "$src/.bench-touch"
  phase touched "$src"
  if [[ $src == "$WORK/src" ]]; then
    "$HERE/real-corpus.sh" --change "$src" >/dev/null
  else
    undo=$(find "$src" -type f -name '*' -not -name .bench-touch -print -quit)
    echo x >>"$undo"
  fi
  phase change "$src"
  for tool in $TOOLS; do
    case $tool in
      backup) backup_restore backup-restore ;;
      restic) timed restic-restore restic -r "$WORK/restic-repo" --cache-dir "$WORK/restic-cache" restore latest --target "$WORK/restore-restic" ;;
    esac
  done
  if [[ ${DIFF:-1} != 0 && -d $WORK/restore-backup ]]; then
    if diff -r --no-dereference "$src" "$WORK/restore-backup/$(basename "$src")" >"$WORK/diff.out" 2>&1 || diff -r --no-dereference "$src" "$WORK/restore-backup" >"$WORK/diff.out" 2>&1; then
      echo "restore of $tree checked: diff -r --no-dereference finds no difference" >&2
    else
      echo "restore of $tree DIFFERS: see $WORK/diff.out" >&2
    fi
  fi
  rm -rf "$WORK/restore-backup" "$WORK/restore-restic"
  if [[ $TOOLS == *backup* ]]; then
    backup_new h "$src"
    timed backup-heap64 env DOTNET_GCHeapHardLimit=0x4000000 BACKUP_DB="$WORK/h.db" BACKUP_ARCHIVE="$WORK/h-repo" "$BIN/backup" run
  fi
  [[ -n $undo ]] && truncate -s -2 "$undo"
  rm -f "$src/.bench-touch"
  echo
  echo "### $tree ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  echo "| peak RSS, MiB (wall s) | backup | restic |"
  echo "|---|---:|---:|"
  for p in first nochange touched change restore heap64; do
    printf '| %s | %s (%s) | %s (%s) |\n' "$p" "${RSS[backup-$p]:--}" "${SECS[backup-$p]:--}" "${RSS[restic-$p]:--}" "${SECS[restic-$p]:--}"
  done
  RSS=(); SECS=()
}

for tree in "${TREES[@]}"; do one_tree "$tree"; done
