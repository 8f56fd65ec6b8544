#!/usr/bin/env python3
"""Backup throughput per storage provider, over loopback, on the demo's production.

Starts its own servers (like the tests): OpenSSH on 127.0.0.4 for SFTP, moto_server for S3,
pyftpdlib for FTP. For each provider, in one run, interleaved: `ocore backup create production
--storage P` (the whole backup: dump, filestore, upload, read-back verification) and `ocore backup
export ID FILE` (download + SHA-256). Prints seconds and MB/s of archive; the local directory is
the baseline.

Usage: bench/storage_bench.py HOME [--runs K] [--ocore PATH] [--format odoo-zip|folder]
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import SSHD, free_port, wait_port

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=1)
ap.add_argument("--ocore", default=".build/release/ocore")
ap.add_argument("--format", default="folder")
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)
H = ["--home", args.home]
WORK = tempfile.mkdtemp(prefix="ocore-storage-bench-", dir="/var/tmp")
procs = []


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(WORK + "/servers.log", "a"), **kw)
    procs.append(p)
    return p


def ocore(*a, env=None, check=True):
    out = subprocess.run([OCORE, *a, *H], capture_output=True, env={**os.environ, **(env or {})})
    if check and out.returncode != 0:
        raise SystemExit(f"ocore {' '.join(a)} failed: {out.stderr.decode()[-2000:]} {out.stdout.decode()[-2000:]}")
    return out


sshd = SSHD("127.0.0.4")
# S3: moto (no signature checking: this measures transfer, the tests check signing).
s3_port = free_port()
spawn(["moto_server", "-H", "127.0.0.1", "-p", str(s3_port)])
# FTP: pyftpdlib.
ftp_port = free_port()
os.makedirs(WORK + "/ftp", exist_ok=True)
spawn(["python3", "-c", f"""
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer
a = DummyAuthorizer(); a.add_user('bench', 'bench', '{WORK}/ftp', perm='elradfmwMT'); FTPHandler.authorizer = a
FTPServer(('127.0.0.1', {ftp_port}), FTPHandler).serve_forever()
"""])
wait_port("127.0.0.1", s3_port)
wait_port("127.0.0.1", ftp_port)
subprocess.run(["python3", "-c", f"import boto3; boto3.client('s3', endpoint_url='http://127.0.0.1:{s3_port}', region_name='us-east-1', "
                f"aws_access_key_id='a', aws_secret_access_key='b').create_bucket(Bucket='bench')"], check=True)

ENV = {"B_AK": "a", "B_SK": "b", "B_FTP": "bench"}
targets = {
    "dir": ["--dir", WORK + "/dir"],
    "sftp": ["--sftp", f"{sshd.user}@127.0.0.4:{sshd.port}:{WORK}/sftp", "--identity", sshd.identity, "--known-hosts", sshd.known_hosts],
    "s3": ["--s3", "bench/ocore", "--endpoint", f"http://127.0.0.1:{s3_port}", "--region", "us-east-1", "--access-key-env", "B_AK", "--secret-key-env", "B_SK"],
    "ftp": ["--ftp", f"bench@127.0.0.1:{ftp_port}:/b", "--password-env", "B_FTP"],
}
for name, flags in targets.items():
    ocore("storage", "rm", "sb-" + name, check=False)
    ocore("storage", "add", "sb-" + name, *flags, env=ENV)

results = {name: {"backup_s": [], "export_s": [], "bytes": 0} for name in targets}
try:
    for i in range(args.runs):
        for name in targets:
            t = time.monotonic()
            out = ocore("backup", "create", "production", "--storage", "sb-" + name, "--retention", "daily", "--format", args.format, "--json", env=ENV)
            results[name]["backup_s"].append(time.monotonic() - t)
            b = json.loads(out.stdout)
            results[name]["bytes"] = b["size"]
            dest = f"{WORK}/export-{name}-{i}.zip"
            t = time.monotonic()
            ocore("backup", "export", b["id"], dest, env=ENV)
            results[name]["export_s"].append(time.monotonic() - t)
            os.unlink(dest)
            ocore("backup", "rm", b["id"], "--confirm", b["id"], env=ENV)
finally:
    for p in procs:
        p.terminate()
    sshd.stop()
    for name in targets:
        ocore("storage", "rm", "sb-" + name, check=False)

table = {}
base = statistics.median(results["dir"]["backup_s"])
for name, r in results.items():
    b, e = statistics.median(r["backup_s"]), statistics.median(r["export_s"])
    table[name] = {"backup_s": round(b, 1), "backup_MBps": round(r["bytes"] / b / 1e6, 1), "vs_dir": round(b / base, 2),
                   "export_s": round(e, 1), "export_MBps": round(r["bytes"] / e / 1e6, 1), "archive_bytes": r["bytes"]}
print(json.dumps({"format": args.format, "runs": args.runs, "providers": table}, indent=2))
shutil.rmtree(WORK, ignore_errors=True)
