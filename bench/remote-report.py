#!/usr/bin/env python3
"""remote-run.sh's helper.

  remote-report.py count s3|sftp SLICE   requests in a slice of radosgw's / sftp-server's log, as "key value" lines:
      requests N            S3: beast access lines; SFTP: logged operations (open, close, stat, rename, ...)
      m.<METHOD|op> N       per HTTP method / SFTP operation
      k.<METHOD|op>.<kind> N  per method and object kind (config, keys, locks, snapshots, index, data, list, bucket...)
      err N                 S3: replies with status >= 400; SFTP: "sent status" lines (failed operations)
      sessions N            SFTP: sftp sessions opened (one per SSH connection's sftp channel)
  remote-report.py report RAW "s3 sftp"  Markdown tables of medians from raw.tsv (store round tool metric value)
"""
import re, statistics, sys
from collections import Counter, defaultdict

KINDS = {"config", "keys", "key", "locks", "lock", "snapshots", "index", "data", "packs", "trees", "tmp"}


def kind_of_path(parts):
    for p in parts:
        if p in KINDS:
            return p
    return None


def count_s3(path):
    c = Counter()
    line_re = re.compile(r' beast: \S+ \S+ - (\S+) \[[^\]]*\] "([A-Z]+) (\S+) [^"]*" (\d+)')
    for line in open(path, errors="replace"):
        m = line_re.search(line)
        if not m:
            continue
        user, method, target, status = m.groups()
        c["requests"] += 1
        c["m." + method] += 1
        if int(status) >= 400:
            c["err"] += 1
            c[f"e.{method}.{status}"] += 1
        p, _, q = target.partition("?")
        parts = [x for x in p.split("/") if x]
        if "uploads" in q or "uploadId" in q or "partNumber" in q:
            kind = "multipart"
        elif len(parts) <= 1 and ("list-type" in q or "prefix" in q or method == "GET"):
            kind = "list" if parts else "service"
        elif len(parts) <= 1:
            kind = "bucket"
        else:
            kind = kind_of_path(parts[1:]) or "/".join(parts[1:2]) or "?"
        c[f"k.{method}.{kind}"] += 1
    return c


def count_sftp(path):
    c = Counter()
    skip = ("received client version", "session closed")
    for line in open(path, errors="replace"):
        line = line.strip()
        if not line or line.startswith(skip):
            continue
        if line.startswith("session opened"):
            c["sessions"] += 1
            continue
        if line.startswith("sent status"):
            c["err"] += 1
            c["e." + line[len("sent status "):].replace(" ", "_")] += 1
            continue
        op = line.split()[0].rstrip(":")
        c["requests"] += 1
        c["m." + op] += 1
        m = re.search(r'"([^"]*)"', line)
        kind = None
        if m:
            rel = re.split(r"/(?:backup|restic)-r\d+/?", m.group(1), maxsplit=1)
            kind = kind_of_path([x for x in rel[-1].split("/") if x]) if len(rel) == 2 else None
            if kind is None and len(rel) == 2:
                kind = rel[1].split("/")[0] or "root"
        c[f"k.{op}.{kind or '-'}"] += 1
    return c


def count(store, path):
    c = count_s3(path) if store == "s3" else count_sftp(path)
    c.setdefault("requests", 0)
    c.setdefault("err", 0)
    for k, v in sorted(c.items()):
        print(k, v)


STEPS = [("init", "init"), ("first", "first backup"), ("nochange", "no-change backup"),
         ("mutate", "backup after mutate.py"), ("restore", "full restore"), ("check", "check --read-data")]


def report(raw, stores):
    vals = defaultdict(list)   # (store, tool, metric) -> [(round, value)]
    flags = defaultdict(list)
    for line in open(raw):
        store, rnd, tool, metric, v = line.rstrip("\n").split("\t")
        try:
            vals[(store, tool, metric)].append((int(rnd), float(v)))
        except ValueError:
            flags[(store, tool, metric)].append(f"r{rnd}:{v}")

    def med(s, t, m):
        v = [x for _, x in vals.get((s, t, m), [])]
        return statistics.median(v) if v else None

    def paired(s, m):
        b = dict(vals.get((s, "backup", m), []))
        r = dict(vals.get((s, "restic", m), []))
        q = [r[k] / b[k] for k in b if k in r and b[k] > 0]
        return statistics.median(q) if q else None

    def f_s(x):
        return "—" if x is None else f"{x:.2f} s"

    def f_rss(x):
        return "—" if x is None else f"{x / 1024:.0f} MiB"

    def f_n(x):
        return "—" if x is None else (f"{x:.0f}" if x == int(x) else f"{x:.1f}")

    def f_r(x):
        return "—" if x is None else f"{x:.2f}x"

    names = {"s3": "S3 (Ceph RGW 16, memstore, beast)", "sftp": "SFTP (OpenSSH sshd + sftp-server)"}
    for s in stores.split():
        if not any(k[0] == s for k in vals):
            continue
        nr = max((len(v) for k, v in vals.items() if k[0] == s and k[2] == "first.s"), default=0)
        cal = [x for _, x in vals.get((s, "calibration", "issued"), [])], \
              [x for _, x in vals.get((s, "calibration", "counted"), [])]
        print(f"### {names.get(s, s)}")
        print()
        if cal[0]:
            print(f"Request count check: issued {f_n(cal[0][0])} known requests, the log slice counted "
                  f"{f_n(cal[1][0]) if cal[1] else '?'}.")
            print()
        print(f"| step (median of {nr}) | backup | restic | restic/backup | paired | backup RSS | restic RSS "
              "| backup requests | restic requests | requests restic/backup |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for m, label in STEPS:
            b, r = med(s, "backup", m + ".s"), med(s, "restic", m + ".s")
            if b is None and r is None and not flags.get((s, "backup", m)) and not flags.get((s, "restic", m)):
                continue
            bq, rq = med(s, "backup", m + ".requests"), med(s, "restic", m + ".requests")
            cells = [label, f_s(b), f_s(r), f_r(r / b if b and r else None), f_r(paired(s, m + ".s")),
                     f_rss(med(s, "backup", m + ".rss")), f_rss(med(s, "restic", m + ".rss")),
                     f_n(bq), f_n(rq), f_r(rq / bq if bq and rq else None)]
            for t, i in (("backup", 1), ("restic", 2)):
                if flags.get((s, t, m)):
                    cells[i] += " (" + ", ".join(flags[(s, t, m)]) + ")"
            print("| " + " | ".join(cells) + " |")
        print()
        ver = {t: sorted(set(flags.get((s, t, "verify"), ["not run"]))) for t in ("backup", "restic")}
        chk = {t: flags.get((s, t, "checked"), ["not run"]) for t in ("backup", "restic")}
        print("Restore vs source (`diff -r --no-dereference`, every round): " +
              ", ".join(f"{t} {'/'.join(ver[t])}" for t in ver) +
              ". Check (last round): " + ", ".join(f"{t} {chk[t][0]}" for t in chk) + ".")
        print()
        print("CPU (user+sys, median): " + "; ".join(
            f"{label}: backup {f_s(med(s, 'backup', m + '.cpu'))}, restic {f_s(med(s, 'restic', m + '.cpu'))}"
            for m, label in STEPS if med(s, "backup", m + ".cpu") is not None))
        print()
        print("Requests by method and object kind, per step (median over rounds; err = status >= 400 or a failed "
              "SFTP operation):")
        print()
        print("| step | tool | requests | by method | by method and kind | err |")
        print("|---|---|---:|---|---|---|")
        for m, label in STEPS:
            for t in ("backup", "restic"):
                keys = sorted({k[2] for k in vals if k[0] == s and k[1] == t and k[2].startswith(m + ".")})
                if not keys:
                    continue
                by_m = [(k[len(m) + 3:], med(s, t, k)) for k in keys if k.startswith(m + ".m.")]
                by_k = [(k[len(m) + 3:], med(s, t, k)) for k in keys if k.startswith(m + ".k.")]
                errs = [(k[len(m) + 3:], med(s, t, k)) for k in keys if k.startswith(m + ".e.")]
                sess = med(s, t, m + ".sessions")
                print(f"| {label} | {t} | {f_n(med(s, t, m + '.requests'))} | "
                      + ", ".join(f"{k} {f_n(v)}" for k, v in by_m) + " | "
                      + ", ".join(f"{k} {f_n(v)}" for k, v in by_k) + " | "
                      + f_n(med(s, t, m + ".err")) + (" (" + ", ".join(f"{k} {f_n(v)}" for k, v in errs) + ")" if errs else "")
                      + (f"; {f_n(sess)} sftp sessions" if sess is not None else "") + " |")
        print()
        print("Per-round samples (wall s; round order):")
        print()
        print("| step | backup | restic |")
        print("|---|---|---|")
        for m, label in STEPS:
            b = vals.get((s, "backup", m + ".s"), [])
            r = vals.get((s, "restic", m + ".s"), [])
            if b or r:
                print(f"| {label} | {', '.join(str(x) for _, x in b)} | {', '.join(str(x) for _, x in r)} |")
        loads = vals.get((s, "all", "load.start"), []), vals.get((s, "all", "load.end"), [])
        print()
        print("1-minute load average at the start / end of each round: " + ", ".join(
            f"r{a[0]} {a[1]:.2f} / {b[1]:.2f}" for a, b in zip(*loads)))
        print()


if __name__ == "__main__":
    if sys.argv[1] == "count":
        count(sys.argv[2], sys.argv[3])
    else:
        report(sys.argv[2], sys.argv[3])
