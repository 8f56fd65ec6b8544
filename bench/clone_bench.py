#!/usr/bin/env python3
"""Same-server online clone of the demo's production, side by side in one run (A B C A B C …):

A. `ocore clone production --new … --preset minimal`
B. the best primitives by hand: `pg_dump -Fd -j2 -Z0` + `pg_restore -j2`, with `cp -al` of the
   filestore running concurrently;
C. the seeds' pipeline: `pg_dump -Fc -Z9` to a file, serial `pg_restore`, `tar czf` + `tar xzf`.

Usage: bench/clone_bench.py HOME [--runs K] [--ocore PATH]   (HOME: an `ocore demo --scale large` home)
"""
import argparse, json, os, shutil, statistics, subprocess, tempfile, time

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=1)
ap.add_argument("--ocore", default=".build/release/ocore")
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)
env = json.loads(subprocess.run([OCORE, "env", "show", "production", "--json", "--home", args.home], check=True, capture_output=True).stdout)
PG = ["-h", env["pg_host"], "-p", str(env["pg_port"]), "-U", env["pg_user"]]
SRC_DB, SRC_FS = env["db_name"], env["filestore"]
FS_ROOT = os.path.dirname(SRC_FS)


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


def drop(db):
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [db], check=True)
    shutil.rmtree(os.path.join(FS_ROOT, db), ignore_errors=True)


def run_a(i):
    name = f"bench_a{i}"
    t = time.monotonic()
    sh([OCORE, "clone", "production", "--new", name, "--type", "staging", "--preset", "minimal", "--yes", "--home", args.home])
    elapsed = time.monotonic() - t
    subprocess.run([OCORE, "env", "rm", name, "--home", args.home], check=True, capture_output=True)
    drop(name)
    return elapsed


def run_b(i):
    db, work = f"bench_b{i}", tempfile.mkdtemp(prefix="ocore-bench-")
    t = time.monotonic()
    fs = subprocess.Popen(["cp", "-al", SRC_FS, os.path.join(FS_ROOT, db)])
    sh(["pg_dump", "-Fd", "-j2", "-Z0", "-f", work + "/d"] + PG + [SRC_DB])
    sh(["createdb"] + PG + [db])
    sh(["pg_restore", "-j2", "--no-owner", "-d", db] + PG + [work + "/d"])
    fs.wait()
    elapsed = time.monotonic() - t
    shutil.rmtree(work)
    drop(db)
    return elapsed


def run_c(i):
    db, work = f"bench_c{i}", tempfile.mkdtemp(prefix="ocore-bench-")
    t = time.monotonic()
    sh(["pg_dump", "-Fc", "-Z9", "-f", work + "/db.dump"] + PG + [SRC_DB])
    sh(["tar", "czf", work + "/fs.tgz", "-C", FS_ROOT, os.path.basename(SRC_FS)])
    sh(["createdb"] + PG + [db])
    sh(["pg_restore", "--no-owner", "-d", db] + PG + [work + "/db.dump"])
    os.makedirs(work + "/x")
    sh(["tar", "xzf", work + "/fs.tgz", "-C", work + "/x"])
    os.rename(os.path.join(work, "x", os.path.basename(SRC_FS)), os.path.join(FS_ROOT, db))
    elapsed = time.monotonic() - t
    shutil.rmtree(work)
    drop(db)
    return elapsed


times = {"ocore_minimal": [], "best_primitives": [], "seeds_pipeline": []}
for i in range(args.runs):
    times["ocore_minimal"].append(run_a(i))
    times["best_primitives"].append(run_b(i))
    times["seeds_pipeline"].append(run_c(i))
med = {k: statistics.median(v) for k, v in times.items()}
print(json.dumps({"runs": {k: [round(x, 1) for x in v] for k, v in times.items()},
                  "median_s": {k: round(v, 1) for k, v in med.items()},
                  "ocore_vs_best_primitives": round(med["ocore_minimal"] / med["best_primitives"], 2),
                  "seeds_vs_ocore_speedup": round(med["seeds_pipeline"] / med["ocore_minimal"], 2)}, indent=2))
