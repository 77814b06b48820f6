#!/usr/bin/env bash
# Assembles a corpus that nobody here wrote, from what this Debian machine has installed (issue 12's "real corpus"):
# the .NET SDK (/usr/share/dotnet), documentation (/usr/share/doc), headers (/usr/include), a Python library
# (/usr/lib/python3, /usr/lib/python3.11) and two 200 MiB binaries cut from the shared libraries of
# /usr/lib/x86_64-linux-gnu (sorted, concatenated: deterministic on one machine). About 1.4 GB, 24,000 files.
#
#   bench/real-corpus.sh DIR            # builds DIR once (DIR/.complete marks it done)
#   bench/real-corpus.sh --change SRC   # the mutate phase: mutate.py SRC --percent 1, then 1 MiB appended to both binaries
#
# Then: CORPUS=DIR CHANGE="bench/real-corpus.sh --change" RUNS=3 TOOLS="backup restic borgz tarzstd" bench/repo-run.sh
set -euo pipefail
SHARED=${SHARED:-/work/shared/bench}
if [[ ${1:-} == --change ]]; then
  src=$2
  python3 "$SHARED/mutate.py" "$src" --percent 1
  for b in "$src"/bin/large-a.bin "$src"/bin/large-b.bin; do
    head -c 1048576 /dev/urandom >>"$b"
  done
  echo "appended 1 MiB to each of the two large binaries"
  exit 0
fi
dir=${1:?usage: real-corpus.sh DIR | --change SRC}
if [[ -f $dir/.complete ]]; then exit 0; fi
rm -rf "$dir"; mkdir -p "$dir/bin"
cp -a /usr/share/dotnet "$dir/sdk"
cp -a /usr/share/doc "$dir/doc"
cp -a /usr/include "$dir/include"
mkdir -p "$dir/python"; cp -a /usr/lib/python3 /usr/lib/python3.11 "$dir/python/"
# head closes the pipe once it has 400 MiB: cat's SIGPIPE is expected, the size is checked instead
(find /usr/lib/x86_64-linux-gnu -maxdepth 1 -type f -name '*.so*' -print0 | sort -z | xargs -0 cat | head -c 419430400 >"$dir/bin/libs") || true
[[ $(stat -c %s "$dir/bin/libs") -eq 419430400 ]] || { echo "real-corpus.sh: less than 400 MiB of shared libraries" >&2; exit 1; }
head -c 209715200 "$dir/bin/libs" >"$dir/bin/large-a.bin"
tail -c 209715200 "$dir/bin/libs" >"$dir/bin/large-b.bin"
rm "$dir/bin/libs"
touch "$dir/.complete"
echo "$(du -sh "$dir" | cut -f1), $(find "$dir" -type f | wc -l) files, $(find "$dir" -type d | wc -l) directories in $dir"
