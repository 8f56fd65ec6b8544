#!/usr/bin/env python3
"""Golden copies on the large demo, interleaved in one run (each round runs every case, the order
turned each round):

  refresh   `ocore golden refresh production` (a sanitizing copy sealed as a template)
  online    `ocore clone production --new … --preset recommended` (today's online Recommended clone)
  golden    `ocore clone production --new … --from-golden`
  by hand   `createdb -T golden_… --strategy FILE_COPY` + `cp -al` of its filestore (the primitive)

Targets: a clone from the golden copy ≤ 5 s, ≤ 1.2× by hand and ≥ 5× faster than the online
Recommended clone; a golden refresh ≤ 1.1× the online Recommended clone.

Usage: bench/golden_bench.py HOME [--runs K] [--ocore PATH] [--only refresh,online,golden,by_hand]   (HOME: an `ocore demo --scale large` home)
"""
import argparse, json, os, shutil, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import demo_production, sh, summary

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--ocore", default=".build/release/ocore")
ap.add_argument("--only", default="refresh,online,golden,by_hand")
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)
H = ["--home", args.home]
PG, SRC_DB, SRC_FS = demo_production(OCORE, args.home)
FS_ROOT = os.path.dirname(SRC_FS)
GOLDEN = "golden_" + SRC_DB


def drop(db):
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [db], check=True)
    shutil.rmtree(os.path.join(FS_ROOT, db), ignore_errors=True)


def timed(cmd):
    t = time.monotonic()
    sh(cmd, stderr=subprocess.DEVNULL)
    return time.monotonic() - t


def clone(name, extra):
    elapsed = timed([OCORE, "clone", "production", "--new", name, "--type", "staging", "--yes"] + extra + H)
    subprocess.run([OCORE, "env", "rm", name] + H, check=True, capture_output=True)
    drop(name)
    return elapsed


def refresh(i):
    return timed([OCORE, "golden", "refresh", "production"] + H)


def online(i):
    return clone(f"bench_online{i}", ["--preset", "recommended"])


def checkpoint():
    """CREATE DATABASE … FILE_COPY checkpoints first: whatever ran before (a 1.4 GB clone) would
    be paid by the copy that follows it. Both sides of the pair start from a clean checkpoint."""
    sh(["psql"] + PG + ["-d", "postgres", "-c", "CHECKPOINT"])


def golden(i):
    checkpoint()
    return clone(f"bench_golden{i}", ["--from-golden"])


def by_hand(i):
    checkpoint()
    db = f"bench_hand{i}"
    t = time.monotonic()
    sh(["createdb", "-T", GOLDEN, "--strategy", "FILE_COPY"] + PG + [db])
    sh(["cp", "-al", os.path.join(FS_ROOT, GOLDEN), os.path.join(FS_ROOT, db)])
    elapsed = time.monotonic() - t
    drop(db)
    return elapsed


# A golden copy to clone from in the first round.
subprocess.run([OCORE, "golden", "refresh", "production"] + H, check=True, capture_output=True)
cases = {k: f for k, f in {"refresh": refresh, "online": online, "golden": golden, "by_hand": by_hand}.items() if k in args.only.split(",")}
times = {k: [] for k in cases}
for i in range(args.runs):
    for name in (list(cases) if i % 2 == 0 else list(cases)[::-1]):
        times[name].append(cases[name](i))
        print(f"round {i + 1}: {name} {times[name][-1]:.2f} s", file=sys.stderr)
med = {k: summary(v)["median"] for k, v in times.items()}
ratio = lambda a, b: round(med[a] / med[b], 3) if a in med and b in med else None
result = {
    "times": {k: summary(v) for k, v in times.items()},
    "golden_vs_by_hand": ratio("golden", "by_hand"),
    "golden_vs_online_recommended": ratio("golden", "online"),
    "refresh_vs_online_recommended": ratio("refresh", "online"),
    "golden_copy": json.loads(subprocess.run([OCORE, "golden", "show", "production", "--json"] + H, check=True, capture_output=True).stdout),
}
result["golden_copy"].pop("modules", None)
print(json.dumps(result, indent=2))
