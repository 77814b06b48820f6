#!/usr/bin/env bash
# Where backup's time goes (run after repo-run.sh; uses its built binary). Not a benchmark: one run each, small corpus.
#   WORK=/tmp/repo-bench SIZE_MB=200 bench/repo-diag.sh
set -euo pipefail
WORK=${WORK:-/tmp/repo-bench}
SIZE_MB=${SIZE_MB:-200}
B=${BACKUP_BIN:-$WORK/bin/backup}
D=$WORK/diag
T='%e s wall, %U u + %S s cpu, %M KiB'
rm -rf "$D"; mkdir -p "$D"
python3 /work/shared/bench/gen-corpus.py "$D/src" --size-mb "$SIZE_MB" >/dev/null
export BACKUP_PASSWORD=pw RESTIC_PASSWORD=pw
nfiles=$(find "$D/src" -type f | wc -l)
echo "corpus: $SIZE_MB MiB, $nfiles files"

echo "--- process floor: backup --version, backup list (no repository)"
BACKUP_DB=$D/c0.db /usr/bin/time -f "version: $T" "$B" --version >/dev/null
BACKUP_DB=$D/c0.db /usr/bin/time -f "list:    $T" "$B" list >/dev/null || true  # exits 1 without a catalog
echo "--- metadata walk floor: find -printf"
/usr/bin/time -f "find:    $T" find "$D/src" -printf '%s %T@ %m %p\n' >/dev/null

echo "--- backup first run under strace -c -f (syscall counts; times are inflated by strace)"
export BACKUP_DB=$D/c1.db
"$B" init --archive "$D/repo" >/dev/null; "$B" add "$D/src" >/dev/null
strace -c -f -o "$D/strace-first.txt" "$B" run --archive "$D/repo" >/dev/null
head -n 25 "$D/strace-first.txt"

echo "--- backup first run without strace, then restic, same corpus"
BACKUP_DB=$D/c2.db "$B" init --archive "$D/repo2" >/dev/null; BACKUP_DB=$D/c2.db "$B" add "$D/src" >/dev/null
BACKUP_DB=$D/c2.db /usr/bin/time -f "backup first: $T" "$B" run --archive "$D/repo2" >/dev/null
restic -r "$D/rr" init -q
/usr/bin/time -f "restic first: $T" restic -r "$D/rr" backup -q "$D/src"

echo "--- per-file cost: small files (code/) vs large files (everything else), separate repositories"
for part in code media vm; do
  [[ -d $D/src/$part ]] || continue
  n=$(find "$D/src/$part" -type f | wc -l); sz=$(du -sm "$D/src/$part" | cut -f1)
  BACKUP_DB=$D/c-$part.db "$B" init --archive "$D/repo-$part" >/dev/null
  BACKUP_DB=$D/c-$part.db "$B" add "$D/src/$part" >/dev/null
  BACKUP_DB=$D/c-$part.db /usr/bin/time -f "backup $part ($n files, $sz MiB): $T" "$B" run --archive "$D/repo-$part" >/dev/null
  restic -r "$D/rr-$part" init -q
  /usr/bin/time -f "restic $part ($n files, $sz MiB): $T" restic -r "$D/rr-$part" backup -q "$D/src/$part"
done

echo "--- no-change run (metadata skip) vs opening the repository alone (snapshots = KDF + index)"
BACKUP_DB=$D/c2.db /usr/bin/time -f "run, no change: $T" "$B" run --archive "$D/repo2" >/dev/null
BACKUP_DB=$D/c2.db /usr/bin/time -f "snapshots:      $T" "$B" snapshots --archive "$D/repo2" >/dev/null
strace -f -c -o "$D/strace-nochange.txt" env BACKUP_DB=$D/c2.db "$B" run --archive "$D/repo2" >/dev/null
head -n 12 "$D/strace-nochange.txt"
rm -rf "$D"
