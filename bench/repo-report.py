#!/usr/bin/env python3
"""Markdown table of medians from repo-run.sh's raw.tsv (round, tool, metric, value)."""
import statistics, sys
from collections import defaultdict

raw, tools = sys.argv[1], sys.argv[2].split()
vals = defaultdict(list)  # (tool, metric) -> [float]
flags = defaultdict(list)
for line in open(raw):
    rnd, tool, metric, v = line.rstrip("\n").split("\t")
    try:
        vals[(tool, metric)].append(float(v))
    except ValueError:
        flags[(tool, metric)].append(f"r{rnd}:{v}")

names = {"backup": "backup", "restic": "restic", "borg": "borg (lz4)", "borgz": "borg (zstd,3)", "tarzstd": "tar \\| zstd -T0"}
phases = [("first", "first backup"), ("nochange", "no-change backup (backup: metadata skip)"),
          ("touched", "no-change, touched .bench-touch"), ("mutate", "backup after mutate.py"),
          ("restore", "full restore (latest)")]


def med(tool, metric):
    v = vals.get((tool, metric))
    return statistics.median(v) if v else None


def fmt(x, kind):
    if x is None:
        return "—"
    if kind == "s":
        return f"{x:.2f} s"
    if kind == "cpu":
        return f"{x:.2f} s"
    if kind == "rss":
        return f"{x / 1024:.0f} MiB"
    if kind == "size":
        return f"{x / 1048576:.1f} MiB"
    return str(x)


def ratio(a, b):
    return f"{a / b:.2f}x" if a and b else "—"


rows = []
for p, label in phases:
    rows.append((f"{label}: time", p + ".s", "s", "time"))
for p, label in phases:
    rows.append((f"{label}: CPU (user+sys)", p + ".cpu", "cpu", "time"))
rows.append(("repository size after first", "size.first", "size", "size"))
rows.append(("repository size after mutate", "size.mutate", "size", "size"))
for p, label in phases:
    rows.append((f"{label}: peak RSS", p + ".rss", "rss", "size"))
rows.append(("init: time", "init.s", "s", "time"))

hdr = ["metric (median of %d)" % max((len(v) for v in vals.values()), default=0)] + [names.get(t, t) for t in tools]
have_b, have_r = "backup" in tools, "restic" in tools
if have_b and have_r:
    hdr.append("restic vs backup")
if have_b and "borg" in tools:
    hdr.append("borg vs backup")
print("| " + " | ".join(hdr) + " |")
print("|" + "---|" * len(hdr))
for label, metric, kind, rk in rows:
    cells = [label]
    for t in tools:
        c = fmt(med(t, metric), kind)
        if flags.get((t, metric)):
            c += " (" + ", ".join(flags[(t, metric)]) + ")"
        cells.append(c)
    b = med("backup", metric)
    for peer in [x for x in ("restic", "borg") if x in tools] if have_b else []:
        o = med(peer, metric)
        # time: peer/backup (>1 = backup faster); size, RSS: backup/peer (<1 = backup smaller)
        cells.append(ratio(o, b) if rk == "time" else ratio(b, o))
    print("| " + " | ".join(cells) + " |")
print()
print("Ratios: time and CPU rows are peer/backup (above 1 = backup faster); size and RSS rows are backup/peer "
      "(below 1 = backup smaller).")
ver = {t: (flags.get((t, "verify")) or ["not run"])[0] for t in tools}
print()
print("Restore check (round 1, `diff -r --no-dereference SRC RESTORED`): " +
      ", ".join(f"{names.get(t, t)} {ver[t]}" for t in tools))
print()
print("Per-round values:")
print()
print("| tool | metric | values |")
print("|---|---|---|")
for (t, m), v in sorted(vals.items()):
    if m.endswith(".s") or m.startswith("size"):
        print(f"| {names.get(t, t)} | {m} | {', '.join(str(x) for x in v)} |")
