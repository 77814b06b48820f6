#!/usr/bin/env bash
# Side-by-side benchmark of `backup` against the naive peers (zip/unzip, find), see bench/README.md.
#
#   bench/run.sh                          # full run: RUNS=5, 300 MiB corpus, 100,000-file tree
#   RUNS=3 SIZE_MB=50 MANY=10000 bench/run.sh    # quick run
#
# Environment:
#   BENCH_WORK     work dir for binaries, corpora and scratch (default bench/work); corpora are kept and reused
#   RUNS           rounds per measurement (default 5); every sample is kept, none is dropped
#   SIZE_MB        size of the archive/restore corpus (default 300)
#   MANY           tiny files in the tree for the no-change walk (default 100000); WALK_SIZE_MB its base size (default 20)
#   BENCH_RESULTS  where the Markdown report goes (default bench/results/latest.md)
#   SKIP_BUILD=1   reuse $BENCH_WORK/bin/backup as it is
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

RUNS=${RUNS:-5}
SIZE_MB=${SIZE_MB:-300}
MANY=${MANY:-100000}
WALK_SIZE_MB=${WALK_SIZE_MB:-20}
work=${BENCH_WORK:-$repo/bench/work}
results=${BENCH_RESULTS:-$repo/bench/results/latest.md}
gen=${GEN_CORPUS:-/work/shared/bench/gen-corpus.py}

die() { printf 'run.sh: FAIL: %s\n' "$*" >&2; exit 1; }
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

for tool in zip unzip find python3 dotnet diff /usr/bin/time; do
    command -v "$tool" >/dev/null || die "missing tool: $tool (apt-get install -y zip unzip time)"
done
[[ -f $gen ]] || die "corpus generator not found: $gen (set GEN_CORPUS)"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer, got '$RUNS'"

mkdir -p "$work"
work=$(cd "$work" && pwd)
bin=$work/bin/backup
corpus=$work/corpus-$SIZE_MB
tree=$work/tree-many-$MANY
scratch=$work/scratch
raw=$work/raw
mkdir -p "$(dirname "$results")"

cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------------------------------
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    log "publishing backup (Release) to $work/bin"
    dotnet publish src/Backup.Cli -c Release -o "$work/bin" --nologo -v quiet >"$work/publish.log" 2>&1 \
        || { cat "$work/publish.log" >&2; die "dotnet publish failed"; }
fi
[[ -x $bin ]] || die "no backup executable at $bin"

# --- corpora (generated once, into a temporary name, so that a half-built tree is never reused) -----------------------
generate() { # DIR ARGS...
    local dir=$1; shift
    if [[ -d $dir ]]; then
        log "reusing $dir"
        return
    fi
    log "generating $dir ($*)"
    rm -rf "$dir.tmp"
    python3 "$gen" "$dir.tmp" "$@" >/dev/null || die "gen-corpus.py failed for $dir"
    mv "$dir.tmp" "$dir"
}
generate "$corpus" --size-mb "$SIZE_MB"
generate "$tree" --size-mb "$WALK_SIZE_MB" --many "$MANY"

# --- measurement helpers ---------------------------------------------------------------------------------------------
rm -rf "$raw" "$scratch"
mkdir -p "$raw" "$scratch"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# measure NAME CMD... : runs CMD once under /usr/bin/time after a sync; appends "wall-seconds peak-RSS-KiB user-seconds
# system-seconds" to $raw/NAME. CPU time is kept too: on a shared machine it moves less than wall time.
# The command's stdout goes to $OUT if set, else to $scratch/NAME.out (checked by callers); stderr to $scratch/NAME.err.
measure() {
    local name=$1; shift
    local t=$scratch/time.$name out=${OUT:-$scratch/$name.out}
    sync
    if ! /usr/bin/time -f '%e %M %U %S' -o "$t" "$@" >"$out" 2>"$scratch/$name.err"; then
        cat "$scratch/$name.err" >&2
        die "$name failed: $*"
    fi
    tail -n 1 "$t" >>"$raw/$name"
}

# The round's order alternates (backup first in odd rounds, the peer first in even ones) so neither side always runs
# on a cache or CPU state left by the other.
in_order() { # ROUND A B : runs the functions A and B in the round's order
    if (( $1 % 2 == 1 )); then "$2"; "$3"; else "$3"; "$2"; fi
}

# A listing of names, types, modes, sizes (files only: a directory's size depends on its history), mtimes in ns and
# link targets, NUL-separated so that names with newlines compare exactly.
metadata() {
    (cd "$1" && find . -mindepth 1 \( -type d -printf '%P\t%y\t%m\t-\t%T@\t\0' \) -o -printf '%P\t%y\t%m\t%s\t%T@\t%l\0' \
        | sort -z | tr '\0\n' '\n\001')
}

size_of() { stat -c %s "$1"; }

# --- 1 and 2: first run vs zip -r, restore vs unzip --------------------------------------------------------------------
corpus_parent=$(dirname "$corpus")
corpus_name=$(basename "$corpus")
: >"$raw/size.backup"
: >"$raw/size.zip"

for ((round = 1; round <= RUNS; round++)); do
    log "archive/restore round $round/$RUNS"
    cut -d' ' -f1 /proc/loadavg >>"$raw/load.archive"
    r=$scratch/round
    rm -rf "$r"
    mkdir -p "$r"
    export BACKUP_DB=$r/catalog.db

    backup_first_run() {
        measure add "$bin" add "$corpus"
        measure first_run "$bin" run --archive "$r/archive"
        grep -q '^archived 1 of 1 directories' "$scratch/first_run.out" || die "backup run did not archive: $(cat "$scratch/first_run.out")"
        [[ ! -s $scratch/first_run.err ]] || die "backup run warned: $(cat "$scratch/first_run.err")"
    }
    zip_r() {
        (cd "$corpus_parent" && measure zip zip -r -q -y "$r/peer.zip" "$corpus_name")
    }
    in_order "$round" backup_first_run zip_r

    mapfile -t zips < <(find "$r/archive" -name '*.zip' -type f)
    (( ${#zips[@]} == 1 )) || die "expected one archive under $r/archive, found ${#zips[@]}"
    own_zip=${zips[0]}
    size_of "$own_zip" >>"$raw/size.backup"
    size_of "$r/peer.zip" >>"$raw/size.zip"

    id=$("$bin" snapshots --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')

    backup_restore() {
        rm -rf "$r/t-backup"
        measure restore "$bin" restore "$id" --target "$r/t-backup"
    }
    unzip_peer() {
        rm -rf "$r/t-unzip"
        measure unzip unzip -q "$r/peer.zip" -d "$r/t-unzip"
    }
    unzip_own() {
        rm -rf "$r/t-unzip-own"
        measure unzip_own unzip -q "$own_zip" -d "$r/t-unzip-own"
    }
    if (( round % 2 == 1 )); then backup_restore; unzip_peer; unzip_own; else unzip_own; unzip_peer; backup_restore; fi

    if (( round == 1 )); then
        log "verifying round 1: unzip -tq of both archives, diff -r and metadata of the restored tree"
        unzip -tq "$own_zip" >/dev/null || die "unzip -tq rejects backup's archive $own_zip"
        unzip -tq "$r/peer.zip" >/dev/null || die "unzip -tq rejects zip's archive"
        diff -r --no-dereference "$corpus" "$r/t-backup" >"$scratch/diff.txt" 2>&1 \
            || { head -n 20 "$scratch/diff.txt" >&2; die "restored tree differs from the corpus"; }
        diff <(metadata "$corpus") <(metadata "$r/t-backup") >"$scratch/meta.txt" \
            || { head -n 20 "$scratch/meta.txt" >&2; die "restored tree's metadata (mode, mtime, link) differs from the corpus"; }
        # unzip itself rewrites control characters in names (newline, tab), so its trees are checked by count only.
        want=$(find "$corpus" -mindepth 1 -type f -printf . | wc -c)
        got=$(find "$r/t-unzip-own" -mindepth 1 -type f -printf . | wc -c)
        (( want == got )) || die "unzip of backup's archive gave $got files, want $want"
    fi
    rm -rf "$r"
done
unset BACKUP_DB

# --- 3: no-change run over the many-file tree vs one find walk ---------------------------------------------------------
log "no-change walk over $tree"
w=$scratch/walk
rm -rf "$w"
mkdir -p "$w"
export BACKUP_DB=$w/catalog.db
"$bin" add "$tree" >/dev/null
measure walk_initial_run "$bin" run --archive "$w/archive"
grep -q '^archived 1 of 1 directories' "$scratch/walk_initial_run.out" || die "initial run over the tree did not archive"
mapfile -t zips < <(find "$w/archive" -name '*.zip' -type f)
(( ${#zips[@]} == 1 )) || die "expected one archive after the initial run, found ${#zips[@]}"
tree_files=$(find "$tree" -mindepth 1 -printf . | wc -c)
for ((round = 1; round <= RUNS; round++)); do
    log "walk round $round/$RUNS"
    cut -d' ' -f1 /proc/loadavg >>"$raw/load.walk"
    backup_nochange() {
        measure nochange "$bin" run --archive "$w/archive"
        grep -q '^archived 0 of 1 directories' "$scratch/nochange.out" || die "no-change run archived something: $(cat "$scratch/nochange.out")"
    }
    find_walk() {
        OUT=/dev/null measure find find "$tree" -printf '%s %T@ %m %p\n'
    }
    in_order "$round" backup_nochange find_walk
done
mapfile -t zips < <(find "$w/archive" -name '*.zip' -type f)
(( ${#zips[@]} == 1 )) || die "no-change runs wrote archives: ${#zips[@]} now"
unset BACKUP_DB
rm -rf "$w"

# --- report ----------------------------------------------------------------------------------------------------------
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
corpus_bytes=$(du -sb "$corpus" | cut -f1)
corpus_files=$(find "$corpus" -mindepth 1 -type f -printf . | wc -c)
{
    echo "# backup benchmark: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo
    echo "## Machine"
    echo
    echo '```'
    echo "nproc:    $(nproc)"
    echo "cpu:      $cpu"
    echo "kernel:   $(uname -sr)"
    echo "dotnet:   $(dotnet --version)"
    echo "backup:   $(git -C "$repo" rev-parse --short HEAD) ($(git -C "$repo" rev-parse --abbrev-ref HEAD))"
    echo "zip:      $(zip -v | sed -n 2p | sed 's/^ *//')"
    echo "unzip:    $(unzip -v | head -n 1)"
    echo "find:     $(find --version | head -n 1)"
    echo "load:     $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (1/5/15 min)"
    free -h
    echo '```'
    echo
    echo "Runs: $RUNS per measurement, tools interleaved in each round, order alternating; every sample kept; page cache warm."
    echo "Corpus: gen-corpus.py --size-mb $SIZE_MB: $corpus_files files, $corpus_bytes bytes."
    echo "Walk tree: gen-corpus.py --size-mb $WALK_SIZE_MB --many $MANY: $tree_files entries."
    echo
    python3 - "$raw" "$MANY" <<'EOF'
import os, statistics, sys
raw, many = sys.argv[1], int(sys.argv[2])
med = statistics.median
def lines(name):
    with open(os.path.join(raw, name)) as f:
        return [l.split() for l in f if l.strip()]
def load(name):
    rows = lines(name)
    return ([float(r[0]) for r in rows], [int(r[1]) for r in rows], [float(r[2]) + float(r[3]) for r in rows])
def mib(kib): return f"{kib / 1024:.1f} MiB"
def sizes(name): return [int(r[0]) for r in lines(name)]
rows = [
    ("first run vs `zip -r -q -y`", "first_run", "zip", True),
    ("restore vs `unzip -q` (zip's archive)", "restore", "unzip", False),
    ("restore vs `unzip -q` (backup's own archive)", "restore", "unzip_own", False),
    (f"no-change run ({many:,}-file tree) vs `find -printf`", "nochange", "find", False),
]
print("Wall time: medians of all runs; \"paired\" is the median of the per-round ratios (both tools measured in the same round).")
print()
print("| measurement | backup median | peer median | peer/backup (speed) | paired peer/backup | backup size | peer size | size backup/peer | backup peak RSS (median / max) | peer peak RSS (max) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for title, b, p, sized in rows:
    bt, bm, _ = load(b)
    pt, pm, _ = load(p)
    paired = med([y / x for x, y in zip(bt, pt)])
    if sized:
        bs, ps = med(sizes("size.backup")), med(sizes("size.zip"))
        size_cols = f"{bs / 2**20:.1f} MiB | {ps / 2**20:.1f} MiB | {bs / ps:.3f}"
    else:
        size_cols = " | | "
    print(f"| {title} | {med(bt):.2f} s | {med(pt):.2f} s | {med(pt) / med(bt):.2f}x | {paired:.2f}x | {size_cols} | {mib(med(bm))} / {mib(max(bm))} | {mib(max(pm))} |")
print()
print("CPU time (user + system, medians): less disturbed by other load than wall time, but blind to parallelism.")
print()
print("| measurement | backup CPU | peer CPU | peer/backup |")
print("|---|---:|---:|---:|")
for title, b, p, _ in rows:
    bc, pc = load(b)[2], load(p)[2]
    print(f"| {title} | {med(bc):.2f} s | {med(pc):.2f} s | {med(pc) / med(bc):.2f}x |")
print()
print("Every backup command:")
print()
print("| command | median wall time | median CPU time | peak RSS (median / max) |")
print("|---|---:|---:|---:|")
for title, name in [("backup add", "add"), ("backup run (first, corpus)", "first_run"), ("backup restore", "restore"),
                    (f"backup run (first, {many:,}-file tree, 1 sample)", "walk_initial_run"), (f"backup run (no change, {many:,}-file tree)", "nochange")]:
    t, m, c = load(name)
    print(f"| {title} | {med(t):.2f} s | {med(c):.2f} s | {mib(med(m))} / {mib(max(m))} |")
print()
print("All samples (wall s / peak RSS KiB / CPU s), in run order, with the 1-minute load average at the start of each round:")
print()
print("```")
for name in ["first_run", "zip", "restore", "unzip", "unzip_own", "nochange", "find", "add", "walk_initial_run"]:
    t, m, c = load(name)
    print(f"{name:17} " + "  ".join(f"{a:.2f}/{b}/{x:.2f}" for a, b, x in zip(t, m, c)))
print(f"{'size.backup':17} " + "  ".join(map(str, sizes("size.backup"))))
print(f"{'size.zip':17} " + "  ".join(map(str, sizes("size.zip"))))
print(f"{'load (archive)':17} " + "  ".join(r[0] for r in lines("load.archive")))
print(f"{'load (walk)':17} " + "  ".join(r[0] for r in lines("load.walk")))
print("```")
EOF
} >"$results.tmp"
mv "$results.tmp" "$results"
cat "$results"
log "report written to $results"
