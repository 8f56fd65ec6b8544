#!/usr/bin/env python3
"""Incremental backups of the demo's production, side by side in one run (interleaved rounds).

Each round, to fresh local directories on the same disk:
  A. first incremental backup (every object new)      vs  B. a folder backup (`--format folder`)
  C. second incremental backup of the unchanged demo  vs  D. `pg_dump -Fd -j 2 -Z 1` of the database alone
     (and the bytes C added to storage, read from the storage itself, against the filestore's size)
  E. restore from the incremental backup into a new database  vs  F. restore from the folder backup
  G. `backup export` of the incremental backup to an Odoo ZIP  vs  H. an odoo-zip backup
Once, on S3 (moto on loopback): an incremental backup of the demo's 20,000 files, then
  I. `backup verify` (sizes of every object, one listing)  — target < 10 s.

Usage: bench/incremental_bench.py HOME [--runs K] [--ocore PATH] [--skip-s3]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import demo_production, sh, timed, summary, free_port, wait_port

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=1)
ap.add_argument("--ocore", default=".build/release/ocore")
ap.add_argument("--skip-s3", action="store_true")
ap.add_argument("--backups-only", action="store_true", help="only A–D (the backups and pg_dump), no restores, exports or S3")
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)
H = ["--home", args.home]
PG, SRC_DB, SRC_FS = demo_production(OCORE, args.home)
FS_ROOT = os.path.dirname(SRC_FS)


def ocore(*a, extra_env=None):
    out = subprocess.run([OCORE, *a, *H], capture_output=True, env={**os.environ, **(extra_env or {})})
    if out.returncode != 0:
        raise SystemExit(f"ocore {' '.join(a)} failed: {out.stderr.decode()[-2000:]} {out.stdout.decode()[-2000:]}")
    return out


def storage(name, *flags, extra_env=None):
    subprocess.run([OCORE, "storage", "rm", name] + H, capture_output=True)
    ocore("storage", "add", name, *flags, extra_env=extra_env)


def backup(store, fmt, extra_env=None):
    out = {}
    def go():
        out.update(json.loads(ocore("backup", "create", "production", "--storage", store, "--retention", "daily", "--format", fmt, "--json",
                                    extra_env=extra_env).stdout))
    return timed(go), out


def tree_bytes(path):
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def drop(db):
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [db], check=True)
    shutil.rmtree(os.path.join(FS_ROOT, db), ignore_errors=True)


def restore(i, backup_id, tag):
    name = f"bench_{tag}{i}"
    t = timed(lambda: ocore("restore", backup_id, "--new", name, "--type", "development", "--preset", "none", "--i-understand-the-risk", "--yes"))
    ocore("env", "rm", name)
    drop(name)
    return t


def wait_idle():
    """Each backup queues its retention sweep: let it end before the next timing."""
    for _ in range(600):
        jobs = json.loads(ocore("jobs", "list", "--json").stdout)
        if not jobs:
            return
        time.sleep(0.2)


filestore_bytes = tree_bytes(SRC_FS)
times = {k: [] for k in ["first_incremental", "folder_backup", "second_incremental", "pg_dump_fd_j2", "restore_incremental", "restore_folder",
                         "export_incremental", "odoo_zip_backup"]}
added, uploaded = [], []
for i in range(args.runs):
    inc_dir = tempfile.mkdtemp(prefix="ocore-bench-inc-", dir="/var/tmp")
    fold_dir = tempfile.mkdtemp(prefix="ocore-bench-fold-", dir="/var/tmp")
    storage("bench-inc", "--dir", inc_dir)
    storage("bench-fold", "--dir", fold_dir)
    t, first = backup("bench-inc", "incremental"); times["first_incremental"].append(t); wait_idle()
    t, folder = backup("bench-fold", "folder"); times["folder_backup"].append(t); wait_idle()
    objects_before = tree_bytes(inc_dir + "/objects")
    t, second = backup("bench-inc", "incremental"); times["second_incremental"].append(t); wait_idle()
    added.append(second.get("added_bytes", 0))
    uploaded.append(tree_bytes(inc_dir + "/objects") - objects_before)
    work = tempfile.mkdtemp(prefix="ocore-bench-fd-", dir="/var/tmp")
    times["pg_dump_fd_j2"].append(timed(lambda: sh(["pg_dump", "--no-owner", "-Fd", "-j", "2", "-Z", "1", "-f", work + "/dump"] + PG + [SRC_DB])))
    shutil.rmtree(work)
    if args.backups_only:
        for b in (first, second, folder):
            subprocess.run([OCORE, "backup", "rm", b["id"], "--confirm", b["id"]] + H, capture_output=True)
        shutil.rmtree(inc_dir, ignore_errors=True)
        shutil.rmtree(fold_dir, ignore_errors=True)
        continue
    times["restore_incremental"].append(restore(i, second["id"], "i"))
    times["restore_folder"].append(restore(i, folder["id"], "f"))
    out = tempfile.mkdtemp(prefix="ocore-bench-exp-", dir="/var/tmp") + "/export.zip"
    times["export_incremental"].append(timed(lambda: ocore("backup", "export", second["id"], out)))
    shutil.rmtree(os.path.dirname(out))
    t, _ = backup("bench-fold", "odoo-zip"); times["odoo_zip_backup"].append(t); wait_idle()
    for b in (first, second, folder):
        subprocess.run([OCORE, "backup", "rm", b["id"], "--confirm", b["id"]] + H, capture_output=True)
    shutil.rmtree(inc_dir, ignore_errors=True)
    shutil.rmtree(fold_dir, ignore_errors=True)

verify_s3 = None
if not args.skip_s3 and not args.backups_only:
    work = tempfile.mkdtemp(prefix="ocore-bench-moto-", dir="/var/tmp")
    port = free_port()
    moto = subprocess.Popen(["moto_server", "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=open(work + "/moto.log", "w"))
    try:
        wait_port("127.0.0.1", port)
        subprocess.run(["python3", "-c", f"import boto3; boto3.client('s3', endpoint_url='http://127.0.0.1:{port}', region_name='us-east-1', "
                        f"aws_access_key_id='a', aws_secret_access_key='b').create_bucket(Bucket='bench')"], check=True)
        keys = {"B_AK": "a", "B_SK": "b"}
        storage("bench-s3", "--s3", "bench/ocore", "--endpoint", f"http://127.0.0.1:{port}", "--region", "us-east-1",
                "--access-key-env", "B_AK", "--secret-key-env", "B_SK", extra_env=keys)
        t, b = backup("bench-s3", "incremental", extra_env=keys)
        wait_idle()
        listed = json.loads(ocore("backup", "verify", b["id"], "--json", extra_env=keys).stdout)
        times_verify = [timed(lambda: ocore("backup", "verify", b["id"], extra_env=keys)) for _ in range(3)]
        objects = next((c["detail"] for c in listed["checks"] if c["name"] == "objects"), "")
        verify_s3 = {"backup_s": round(t, 1), "verify": summary(times_verify), "objects": objects}
    finally:
        moto.terminate()
        shutil.rmtree(work, ignore_errors=True)

times = {k: v for k, v in times.items() if v}
med = {k: statistics.median(v) for k, v in times.items()}
def ratio(a, b):
    return round(med[a] / med[b], 2) if a in med and b in med else None
print(json.dumps({
    "runs": {k: [round(x, 1) for x in v] for k, v in times.items()},
    "median_s": {k: round(v, 1) for k, v in med.items()},
    "filestore_bytes": filestore_bytes,
    "second_added_bytes": added,
    "second_objects_bytes_written": uploaded,
    "second_objects_share_of_filestore_pct": [round(100 * u / filestore_bytes, 3) for u in uploaded],
    "second_vs_pg_dump_fd_j2": ratio("second_incremental", "pg_dump_fd_j2"),
    "first_incremental_vs_folder": ratio("first_incremental", "folder_backup"),
    "restore_incremental_vs_folder": ratio("restore_incremental", "restore_folder"),
    "export_vs_odoo_zip_backup": ratio("export_incremental", "odoo_zip_backup"),
    "verify_s3_20000_objects": verify_s3,
}, indent=2))
