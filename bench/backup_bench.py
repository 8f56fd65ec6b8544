#!/usr/bin/env python3
"""Backup and restore of the demo's production, side by side in one run (A B C, A B C, …).

Backup to local storage:
  A. `ocore backup create production --storage bench` (Odoo-format ZIP, streamed, verified);
  B. by hand: `pg_dump` plain to a file, then a copy of the filestore (`cp -a`);
  C. the seeds' way: `pg_dump` to dump.sql, `tar czf` of the filestore, `zip` of both, copy to storage.
Restore into a new database:
  D. `ocore restore ID --new … --preset none` (dump.sql streamed out of the ZIP into psql, filestore as tar);
  E. Odoo's way: unzip everything, createdb, `psql -f dump.sql`, move the filestore into place.
The folder format (`--format folder`) is measured the same way: its backup against B, its restore
against `pg_restore -j 2` of a `pg_dump -Fd` folder already on disk followed by `cp -a` of the filestore.

Usage: bench/backup_bench.py HOME [--runs K] [--ocore PATH]   (HOME: an `ocore demo --scale large` home)
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import demo_production, sh, timed

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=1)
ap.add_argument("--ocore", default=".build/release/ocore")
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)
H = ["--home", args.home]
PG, SRC_DB, SRC_FS = demo_production(OCORE, args.home)
FS_ROOT = os.path.dirname(SRC_FS)
STORE = tempfile.mkdtemp(prefix="ocore-bench-store-", dir="/var/tmp")
subprocess.run([OCORE, "storage", "rm", "bench"] + H, capture_output=True)
subprocess.run([OCORE, "storage", "add", "bench", "--dir", STORE] + H, check=True, capture_output=True)


def backup_ocore(i):
    out = {}
    def go():
        r = subprocess.run([OCORE, "backup", "create", "production", "--storage", "bench", "--retention", "daily", "--json"] + H,
                           check=True, capture_output=True)
        out.update(json.loads(r.stdout))
    return timed(go), out


def backup_folder(i):
    out = {}
    def go():
        r = subprocess.run([OCORE, "backup", "create", "production", "--storage", "bench", "--retention", "daily", "--format", "folder", "--json"] + H,
                           check=True, capture_output=True)
        out.update(json.loads(r.stdout))
    return timed(go), out


def backup_hand(i):
    work = tempfile.mkdtemp(prefix="ocore-bench-hand-", dir="/var/tmp")
    def go():
        sh(["pg_dump", "--no-owner", "-f", work + "/dump.sql"] + PG + [SRC_DB])
        sh(["cp", "-a", SRC_FS, work + "/filestore"])
        sh(["sync", "-f", work + "/dump.sql"])
    t = timed(go)
    shutil.rmtree(work)
    return t


def backup_seeds(i):
    work = tempfile.mkdtemp(prefix="ocore-bench-seeds-", dir="/var/tmp")
    def go():
        sh(["pg_dump", "--no-owner", "-f", work + "/dump.sql"] + PG + [SRC_DB])
        sh(["tar", "czf", work + "/filestore.tar.gz", "-C", SRC_FS, "."])
        sh(["zip", "-q", "-j", work + "/backup.zip", work + "/dump.sql", work + "/filestore.tar.gz"])
        sh(["cp", work + "/backup.zip", STORE + "/seeds-backup.zip"])
        sh(["sync", "-f", STORE + "/seeds-backup.zip"])
    t = timed(go)
    shutil.rmtree(work)
    os.unlink(STORE + "/seeds-backup.zip")
    return t


def drop(db):
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [db], check=True)
    shutil.rmtree(os.path.join(FS_ROOT, db), ignore_errors=True)


def restore_ocore(i, backup_id):
    name = f"bench_r{i}"
    t = timed(lambda: sh([OCORE, "restore", backup_id, "--new", name, "--type", "development", "--preset", "none",
                          "--i-understand-the-risk", "--yes"] + H))
    subprocess.run([OCORE, "env", "rm", name] + H, check=True, capture_output=True)
    drop(name)
    return t


def restore_hand_pg_restore(i, dump_dir):
    """By hand from a `pg_dump -Fd` folder already on disk: pg_restore -j 2, then a copy of the filestore."""
    db = f"bench_h{i}"
    def go():
        sh(["createdb"] + PG + [db])
        sh(["pg_restore", "--no-owner", "-j", "2", "-d", db] + PG + [dump_dir])
        sh(["cp", "-a", SRC_FS, os.path.join(FS_ROOT, db)])
    t = timed(go)
    drop(db)
    return t


def restore_odoo(i, zip_path):
    db, work = f"bench_o{i}", tempfile.mkdtemp(prefix="ocore-bench-odoo-", dir="/var/tmp")
    def go():
        sh(["unzip", "-q", zip_path, "-d", work])
        sh(["createdb"] + PG + [db])
        sh(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", work + "/dump.sql"] + PG + [db])
        shutil.move(work + "/filestore", os.path.join(FS_ROOT, db))
    t = timed(go)
    shutil.rmtree(work)
    drop(db)
    return t


times = {k: [] for k in ["backup_ocore", "backup_folder", "backup_hand", "backup_seeds", "restore_ocore", "restore_odoo_way",
                         "restore_folder", "restore_hand_pg_restore"]}
sizes = []
HAND_DUMP = tempfile.mkdtemp(prefix="ocore-bench-fd-", dir="/var/tmp") + "/dump"
sh(["pg_dump", "--no-owner", "-Fd", "-j", "2", "-Z", "1", "-f", HAND_DUMP] + PG + [SRC_DB])
for i in range(args.runs):
    t, b = backup_ocore(i)
    times["backup_ocore"].append(t)
    sizes.append(b.get("size", 0))
    t, fb = backup_folder(i)
    times["backup_folder"].append(t)
    times["backup_hand"].append(backup_hand(i))
    times["backup_seeds"].append(backup_seeds(i))
    times["restore_ocore"].append(restore_ocore(i, b["id"]))
    times["restore_odoo_way"].append(restore_odoo(i, os.path.join(STORE, b["key"])))
    times["restore_folder"].append(restore_ocore(i, fb["id"]))
    times["restore_hand_pg_restore"].append(restore_hand_pg_restore(i, HAND_DUMP))
shutil.rmtree(os.path.dirname(HAND_DUMP), ignore_errors=True)
med = {k: statistics.median(v) for k, v in times.items()}
print(json.dumps({
    "runs": {k: [round(x, 1) for x in v] for k, v in times.items()},
    "median_s": {k: round(v, 1) for k, v in med.items()},
    "archive_bytes": sizes[-1] if sizes else None,
    "backup_ocore_vs_hand": round(med["backup_ocore"] / med["backup_hand"], 2),
    "backup_seeds_vs_ocore_speedup": round(med["backup_seeds"] / med["backup_ocore"], 2),
    "restore_ocore_vs_odoo_way": round(med["restore_ocore"] / med["restore_odoo_way"], 2),
    "backup_folder_vs_hand": round(med["backup_folder"] / med["backup_hand"], 2),
    "restore_folder_vs_hand_pg_restore": round(med["restore_folder"] / med["restore_hand_pg_restore"], 2),
}, indent=2))
shutil.rmtree(STORE, ignore_errors=True)
