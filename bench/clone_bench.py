#!/usr/bin/env python3
"""Clones of the demo's production, side by side in one run (interleaved: A B C A B C …):

Online, same server:
  A. `ocore clone production --new … --preset minimal`
  B. the best primitives by hand: `pg_dump -Fd -j2 -Z0` + `pg_restore -j2`, with `cp -al` of the
     filestore running concurrently;
  C. the seeds' pipeline: `pg_dump -Fc -Z9` to a file, serial `pg_restore`, `tar czf` + `tar xzf`.
Fast copy (`--fast-copy`): `ocore clone --fast-copy --preset minimal` vs `createdb -T` + `cp -al`.
Cross-server, to a server over a loopback sshd (127.0.0.4, same PostgreSQL cluster, its own data
dir): `ocore clone --server far --preset minimal` vs `pg_dump -Fc -Z0 | ssh … pg_restore` with
`tar | ssh … tar x` of the filestore by hand, concurrently.
Sanitization: `ocore clone --preset recommended` and `--preset full`: total and time per option;
with `after-copy`, Recommended once more with `--sanitize-after-copy` (UPDATE passes after the copy).
Impact preview: `ocore clone preview production --json` (all options).

Usage: bench/clone_bench.py HOME [--runs K] [--ocore PATH] [--only online,fast,cross,sanitize,preview,after-copy]
(HOME: an `ocore demo --scale large` home)
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SSHD, sh, summary

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=1)
ap.add_argument("--ocore", default=".build/release/ocore")
ap.add_argument("--only", default="online,fast,cross,sanitize,preview")
args = ap.parse_args()
CASES = set(args.only.split(","))
OCORE = os.path.abspath(args.ocore)
H = ["--home", args.home]
env = json.loads(subprocess.run([OCORE, "env", "show", "production", "--json", "--home", args.home], check=True, capture_output=True).stdout)
PG = ["-h", env["pg_host"], "-p", str(env["pg_port"]), "-U", env["pg_user"]]
SRC_DB, SRC_FS = env["db_name"], env["filestore"]
FS_ROOT = os.path.dirname(SRC_FS)


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


def rm_env(name):
    subprocess.run([OCORE, "env", "rm", name] + H, capture_output=True)


def run_fast_ocore(i):
    name = f"bench_f{i}"
    t = time.monotonic()
    sh([OCORE, "clone", "production", "--new", name, "--type", "staging", "--preset", "minimal", "--fast-copy", "--yes"] + H,
       stderr=subprocess.DEVNULL)
    elapsed = time.monotonic() - t
    rm_env(name)
    drop(name)
    return elapsed


def run_fast_hand(i):
    db = f"bench_g{i}"
    t = time.monotonic()
    sh(["createdb", "-T", SRC_DB] + PG + [db])
    sh(["cp", "-al", SRC_FS, os.path.join(FS_ROOT, db)])
    elapsed = time.monotonic() - t
    drop(db)
    return elapsed


def run_cross_ocore(i, far_data):
    name = f"bench_x{i}"
    t = time.monotonic()
    sh([OCORE, "clone", "production", "--new", name, "--type", "staging", "--server", "bench-far", "--preset", "minimal", "--yes"] + H)
    elapsed = time.monotonic() - t
    rm_env(name)
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [name], check=True)
    shutil.rmtree(os.path.join(far_data, "filestore", name), ignore_errors=True)
    return elapsed


def run_cross_hand(i, sshd, far_data):
    db = f"bench_y{i}"
    dest = os.path.join(far_data, "filestore", db)
    t = time.monotonic()
    subprocess.run(sshd.ssh("createdb", *PG, db), check=True)
    os.makedirs(dest, exist_ok=True)
    tar_out = subprocess.Popen(["tar", "-C", SRC_FS, "-cf", "-", "."], stdout=subprocess.PIPE)
    tar_in = subprocess.Popen(sshd.ssh("tar", "-C", dest, "-xf", "-"), stdin=tar_out.stdout)
    tar_out.stdout.close()
    dump = subprocess.Popen(["pg_dump", "-Fc", "-Z0", "--no-owner"] + PG + [SRC_DB], stdout=subprocess.PIPE)
    restore = subprocess.Popen(sshd.ssh("pg_restore", "--no-owner", *PG, "-d", db), stdin=dump.stdout)
    dump.stdout.close()
    for p in (dump, restore, tar_out, tar_in):
        if p.wait() != 0:
            raise SystemExit(f"cross-server by hand failed: {p.args}")
    elapsed = time.monotonic() - t
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [db], check=True)
    shutil.rmtree(dest, ignore_errors=True)
    return elapsed


def run_sanitize(preset, i, after_copy=False):
    name = f"bench_s{preset[0]}{i}{'u' if after_copy else ''}"
    t = time.monotonic()
    out = subprocess.run([OCORE, "clone", "production", "--new", name, "--type", "staging", "--preset", preset, "--yes", "--json"] + H
                         + (["--sanitize-after-copy"] if after_copy else []), check=True, capture_output=True)
    elapsed = time.monotonic() - t
    doc = json.loads(out.stdout)
    options = {r["option_key"]: round(r.get("duration_ms", 0) / 1000, 2) for r in doc.get("sanitization_result", [])}
    steps = {s["name"]: s.get("duration_ms") for s in doc.get("steps", [])} if isinstance(doc.get("steps"), list) else {}
    rm_env(name)
    drop(name)
    return elapsed, options, steps


def run_preview():
    return timed_run([OCORE, "clone", "preview", "production", "--preset", "full", "--json"] + H)


def timed_run(cmd):
    t = time.monotonic()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.monotonic() - t


times = {}
extra = {}
def add(key, value):
    times.setdefault(key, []).append(value)


sshd = far_data = None
if "cross" in CASES:
    sshd = SSHD("127.0.0.4")
    far_data = tempfile.mkdtemp(prefix="ocore-bench-far-", dir="/var/tmp")
    os.chmod(far_data, 0o755)
    subprocess.run([OCORE, "server", "rm", "bench-far"] + H, capture_output=True)
    sh([OCORE, "server", "add", "bench-far", "--ssh", f"{sshd.user}@127.0.0.4:{sshd.port}", "--identity", sshd.identity,
        "--known-hosts", sshd.known_hosts, "--pg-host", env["pg_host"], "--pg-port", str(env["pg_port"]), "--pg-user", env["pg_user"],
        "--data-dir", far_data] + H)
try:
    for i in range(args.runs):
        if "online" in CASES:
            add("clone_ocore_minimal", run_a(i))
            add("clone_best_primitives", run_b(i))
            add("clone_seeds_pipeline", run_c(i))
        if "fast" in CASES:
            # A 3-second copy is sensitive to the I/O the previous case left behind (checkpoints
            # after drops): alternate who goes first.
            pair = [("fast_copy_ocore", run_fast_ocore), ("fast_copy_createdb_T_cp_al", run_fast_hand)]
            for key, run in (pair if i % 2 == 0 else pair[::-1]):
                add(key, run(i))
        if "cross" in CASES:
            add("cross_server_ocore", run_cross_ocore(i, far_data))
            add("cross_server_by_hand", run_cross_hand(i, sshd, far_data))
        if "preview" in CASES:
            for _ in range(3):
                add("impact_preview_all_options", run_preview())
    if "sanitize" in CASES:
        for preset in ("recommended", "full"):
            elapsed, options, steps = run_sanitize(preset, 0)
            add(f"clone_{preset}", elapsed)
            extra[f"{preset}_seconds_per_option"] = options
            extra[f"{preset}_step_ms"] = steps
        if "after-copy" in CASES:
            # The way before the sanitizing copy: copy, then UPDATE passes on the target.
            elapsed, options, steps = run_sanitize("recommended", 0, after_copy=True)
            add("clone_recommended_update_pass", elapsed)
            extra["recommended_update_pass_seconds_per_option"] = options
finally:
    if sshd:
        subprocess.run([OCORE, "server", "rm", "bench-far"] + H, capture_output=True)
        sshd.stop()
        shutil.rmtree(far_data, ignore_errors=True)

result = {"cases": {k: summary(v) for k, v in times.items()}, **extra}
med = {k: v["median"] for k, v in result["cases"].items()}
ratios = {}
if "clone_ocore_minimal" in med:
    ratios["online_vs_best_primitives"] = round(med["clone_ocore_minimal"] / med["clone_best_primitives"], 2)
    ratios["seeds_vs_online_speedup"] = round(med["clone_seeds_pipeline"] / med["clone_ocore_minimal"], 2)
if "fast_copy_ocore" in med:
    ratios["fast_copy_vs_createdb_T"] = round(med["fast_copy_ocore"] / med["fast_copy_createdb_T_cp_al"], 2)
if "clone_recommended_update_pass" in med and "clone_recommended" in med:
    ratios["recommended_update_pass_vs_in_copy"] = round(med["clone_recommended_update_pass"] / med["clone_recommended"], 2)
if "cross_server_ocore" in med:
    ratios["cross_server_vs_by_hand"] = round(med["cross_server_ocore"] / med["cross_server_by_hand"], 2)
result["ratios"] = ratios
print(json.dumps(result, indent=2))
