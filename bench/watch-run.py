#!/usr/bin/env python3
"""Benchmark of `backup daemon --watch` (continuous protection) against full walks, see bench/README.md.

    bench/watch-run.py                         # 1,000,000-file tree, 60 edits, 300 s idle
    MANY=100000 EDITS=20 IDLE_S=30 bench/watch-run.py    # quick run

A tree made by gen-corpus.py --many MANY is watched by `backup daemon --watch` (default quiet 1 s, max delay 10 s) into a
local repository. Measured from outside the daemon, through its status file (CATALOG.daemon.json) and /proc:
  * change -> snapshot committed latency for one file edited per second, a burst of 100 and of 10,000 new files, and a
    directory rename: the time from the change to the status file showing a new snapshot with nothing pending;
  * CPU seconds (user + system of the daemon) per snapshot;
  * idle CPU over IDLE_S seconds with no change;
  * peak RSS (VmHWM), watches, and the kernel memory they take (Slab in /proc/meminfo before and after the watches
    are added, with the tree's inodes already cached by a `find`);
and, side by side after the same one-file change: `backup run` (a full walk) and `restic backup` of the same tree.
Environment: BENCH_WORK (default bench/work), MANY, WALK_SIZE_MB (20), EDITS (60), IDLE_S (300), SKIP_BUILD=1,
BENCH_RESULTS (default bench/results/watch-latest.md).
"""
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.abspath(os.environ.get("BENCH_WORK", os.path.join(REPO, "bench", "work")))
MANY = int(os.environ.get("MANY", "1000000"))
SIZE_MB = os.environ.get("WALK_SIZE_MB", "20")
EDITS = int(os.environ.get("EDITS", "60"))
IDLE_S = int(os.environ.get("IDLE_S", "300"))
RESULTS = os.environ.get("BENCH_RESULTS", os.path.join(REPO, "bench", "results", "watch-latest.md"))
GEN = os.environ.get("GEN_CORPUS", "/work/shared/bench/gen-corpus.py")
TICK = os.sysconf("SC_CLK_TCK")


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(argv, env=None, check=True):
    started = time.monotonic()
    before = os.times()
    result = subprocess.run(argv, env=env, capture_output=True, text=True)
    after = os.times()
    if check and result.returncode != 0:
        sys.exit(f"watch-run: {' '.join(argv)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return result, time.monotonic() - started, cpu


def cpu_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status_of(pid_file):
    try:
        with open(pid_file) as f:
            return json.load(f)["paths"][0]
    except (OSError, ValueError, KeyError, IndexError):
        return None


def slab_kib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("Slab:"):
                return int(line.split()[1])
    return 0


def vm(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    os.makedirs(WORK, exist_ok=True)
    binary = os.path.join(WORK, "bin", "backup")
    if os.environ.get("SKIP_BUILD") != "1" or not os.path.exists(binary):
        log("publishing backup (Release)")
        run(["dotnet", "publish", os.path.join(REPO, "src", "Backup.Cli"), "-c", "Release", "-o", os.path.join(WORK, "bin"), "-v", "q"])
    tree = os.path.join(WORK, f"watch-tree-{MANY}")
    if not os.path.isdir(tree):
        log(f"generating a {MANY}-file tree")
        run(["python3", GEN, "--size-mb", SIZE_MB, "--many", str(MANY), tree + ".tmp"])
        os.rename(tree + ".tmp", tree)
    scratch = os.path.join(WORK, "watch-scratch")
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    env = dict(os.environ, HOME=scratch, BACKUP_DB=os.path.join(scratch, "catalog.db"), BACKUP_PASSWORD="bench",
               RESTIC_PASSWORD="bench", RESTIC_REPOSITORY=os.path.join(scratch, "restic"), RESTIC_CACHE_DIR=os.path.join(scratch, "restic-cache"))
    repo = os.path.join(scratch, "repo")
    run([binary, "init", "--archive", repo], env)
    run([binary, "add", tree], env)
    status_file = env["BACKUP_DB"] + ".daemon.json"
    directories = sum(1 for _ in os.walk(tree))
    log(f"tree: {MANY} files in {directories} directories; caching its inodes")
    run(["find", tree, "-printf", ""], env)
    slab_before = slab_kib()

    log("starting the daemon")
    started = time.monotonic()
    daemon = subprocess.Popen([binary, "daemon", "--watch", "--archive", repo], env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(scratch, "daemon.log"), "w"))
    def wait(condition, what, deadline=900):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            s = status_of(status_file)
            if s is not None and condition(s):
                return s
            time.sleep(0.005)
        sys.exit(f"watch-run: timed out waiting for {what}; see {scratch}/daemon.log")
    first = wait(lambda s: s["snapshots"] >= 1, "the first snapshot")
    first_time = time.monotonic() - started
    first_cpu = cpu_of(daemon.pid)
    slab_after = slab_kib()
    watches = first["watches"]
    log(f"first snapshot (full walk) after {first_time:.1f} s, {first_cpu:.1f} CPU s, {watches} watches")

    def snapshot_after(change, what):
        s = status_of(status_file)
        count = s["snapshots"]
        cpu = cpu_of(daemon.pid)
        t0 = time.monotonic()
        change()
        done = wait(lambda s: s["snapshots"] > count and s["pending_changes"] == 0, what)
        latency = time.monotonic() - t0
        return latency, cpu_of(daemon.pid) - cpu, done["snapshots"] - count

    edits = []
    target_dir = next(os.path.join(root, d) for root, dirs, _ in os.walk(tree) for d in sorted(dirs) if root.count(os.sep) - tree.count(os.sep) >= 2)
    edit_file = os.path.join(target_dir, "bench-edit.txt")
    log(f"{EDITS} edits, one per second, of {edit_file}")
    for i in range(EDITS):
        t = time.monotonic()
        def edit():
            with open(edit_file, "a") as f:
                f.write(f"edit {i}\n")
        edits.append(snapshot_after(edit, f"edit {i}"))
        time.sleep(max(0, 1 - (time.monotonic() - t)))

    def burst(n, name):
        def make():
            folder = os.path.join(target_dir, name)
            os.makedirs(folder)
            for k in range(n):
                with open(os.path.join(folder, f"f{k}"), "w") as f:
                    f.write(str(k))
        return make
    log("bursts and a directory rename")
    burst100 = snapshot_after(burst(100, "burst100"), "a burst of 100")
    burst10k = snapshot_after(burst(10000, "burst10k"), "a burst of 10,000")
    top = sorted(d for d in os.listdir(tree) if os.path.isdir(os.path.join(tree, d)))[0]
    renamed = snapshot_after(lambda: os.rename(os.path.join(tree, top), os.path.join(tree, top + "-renamed")), "a directory rename")
    os.rename(os.path.join(tree, top + "-renamed"), os.path.join(tree, top))
    wait(lambda s: s["pending_changes"] == 0, "the rename back")
    time.sleep(2)

    log(f"idle for {IDLE_S} s")
    idle_cpu = cpu_of(daemon.pid)
    time.sleep(IDLE_S)
    idle_cpu = cpu_of(daemon.pid) - idle_cpu
    hwm = vm(daemon.pid, "VmHWM")
    rss = vm(daemon.pid, "VmRSS")
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=60)

    log("full walks after the same one-file change: backup run, restic backup")
    def append_once(tag):
        with open(edit_file, "a") as f:
            f.write(f"{tag}\n")
    append_once("run")
    _, run_time, run_cpu = run([binary, "run", "--archive", repo], env)
    run(["restic", "init"], env)
    run(["restic", "backup", "-q", tree], env)
    append_once("restic")
    _, restic_time, restic_cpu = run(["restic", "backup", "-q", tree], env)
    with open(edit_file, "rb") as f:
        pass
    os.remove(edit_file)
    for name in ("burst100", "burst10k"):
        shutil.rmtree(os.path.join(target_dir, name))

    lat = sorted(e[0] for e in edits)
    cpu_per = statistics.median(e[1] / max(1, e[2]) for e in edits)
    def pct(values, p):
        return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]
    kernel_kib = max(0, slab_after - slab_before)
    report = f"""## Continuous protection: `daemon --watch` on a {MANY:,}-file tree ({directories:,} directories)

One run, {time.strftime('%Y-%m-%d')}, this 2-core machine; the daemon with its defaults (quiet 1 s, max delay 10 s), a
local repository. Latency is from the change to the status file showing the snapshot committed with nothing pending.

| | value |
|---|---:|
| first snapshot (full walk, watches added) | {first_time:.1f} s, {first_cpu:.1f} CPU s |
| one file edited per second, {EDITS} edits: latency p50 / p95 / max | {pct(lat, 50):.2f} / {pct(lat, 95):.2f} / {lat[-1]:.2f} s |
| CPU per single-file snapshot (median) | {cpu_per * 1000:.0f} ms |
| burst of 100 new files: latency, CPU | {burst100[0]:.2f} s, {burst100[1]:.2f} s |
| burst of 10,000 new files: latency, CPU | {burst10k[0]:.2f} s, {burst10k[1]:.2f} s |
| directory rename (`{top}`): latency, CPU | {renamed[0]:.2f} s, {renamed[1]:.2f} s |
| idle CPU over {IDLE_S} s | {idle_cpu:.2f} s ({idle_cpu / IDLE_S * 100:.3f}% of a core) |
| peak RSS / RSS at the end | {hwm / 1024:.0f} / {rss / 1024:.0f} MiB |
| watches; kernel memory they take (Slab delta) | {watches:,}; {kernel_kib / 1024:.1f} MiB ({kernel_kib * 1024 / max(1, watches):.0f} B per watch) |

Side by side, after the same one-file change:

| | wall | CPU | ratio of CPU to the watch's snapshot |
|---|---:|---:|---:|
| `daemon --watch` snapshot | {pct(lat, 50):.2f} s (with the 1 s quiet period) | {cpu_per:.3f} s | 1 |
| `backup run` (full walk) | {run_time:.2f} s | {run_cpu:.2f} s | {run_cpu / max(cpu_per, 1e-6):.0f}x |
| `restic backup` (full walk) | {restic_time:.2f} s | {restic_cpu:.2f} s | {restic_cpu / max(cpu_per, 1e-6):.0f}x |

CPU per single-file snapshot is {cpu_per / max(run_cpu, 1e-6) * 100:.2f}% of a full walk's (`backup run`).
"""
    os.makedirs(os.path.dirname(RESULTS), exist_ok=True)
    with open(RESULTS, "w") as f:
        f.write(report)
    print(report)


if __name__ == "__main__":
    main()
