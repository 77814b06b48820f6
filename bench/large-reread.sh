#!/usr/bin/env bash
# Reading changed large files again (issue 12, "chunking on every core"): two 200 MiB files are backed up, then both
# are touched (mtime changes, content does not) and backed up again, ROUNDS times. Prints wall, user and sys seconds
# and peak RSS of each `backup run`.
#
#   bench/large-reread.sh BIN [SRC]
#
# BIN is a folder with a published `backup`; SRC holds the large files (default: the real corpus's bin/, built by
# bench/real-corpus.sh). Environment: WORK (default /tmp/large-reread), ROUNDS (default 3).
set -euo pipefail
BIN=$(realpath "${1:?usage: large-reread.sh BIN [SRC]}")
SRC=${2:-/tmp/real/corpus/bin}
WORK=${WORK:-/tmp/large-reread}
ROUNDS=${ROUNDS:-3}
export BACKUP_PASSWORD=bench BACKUP_DB=$WORK/b.db BACKUP_ARCHIVE=$WORK/repo
rm -rf "$WORK"; mkdir -p "$WORK/src"
cp "$SRC"/large-a.bin "$SRC"/large-b.bin "$WORK/src/"
"$BIN/backup" init --archive "$WORK/repo" >/dev/null
"$BIN/backup" add "$WORK/src" >/dev/null
/usr/bin/time -f "first backup: %e s wall, %U s user, %S s sys, %M KB" "$BIN/backup" run 2>&1 >/dev/null | tail -1
for ((i = 1; i <= ROUNDS; i++)); do
  touch "$WORK/src/large-a.bin" "$WORK/src/large-b.bin"
  /usr/bin/time -f "both touched: %e s wall, %U s user, %S s sys, %M KB" "$BIN/backup" run 2>&1 >/dev/null | tail -1
done
rm -rf "$WORK"
