#!/usr/bin/env python3
"""A sanitized backup against a plain Odoo-ZIP backup of the same database, interleaved in one
run (A B, B A, …): both database only (a sanitized backup leaves the filestore out), both to the
same local storage, both verified by reading the archive back.

  A. `ocore backup create production --no-filestore`
  B. `ocore backup create production --sanitized` (Recommended; the attestation's verdict reported)

Usage: bench/sanitized_backup_bench.py HOME [--runs K] [--ocore PATH]   (HOME: an `ocore demo --scale large` home)
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import summary

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--ocore", default=".build/release/ocore")
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)
H = ["--home", args.home]
STORE = tempfile.mkdtemp(prefix="ocore-bench-sanitized-", dir="/var/tmp")
subprocess.run([OCORE, "storage", "rm", "benchsan"] + H, capture_output=True)
subprocess.run([OCORE, "storage", "add", "benchsan", "--dir", STORE] + H, check=True, capture_output=True)
KINDS = {"plain": ["--no-filestore"], "sanitized": ["--sanitized"]}


def run(kind):
    t = time.monotonic()
    out = subprocess.run([OCORE, "backup", "create", "production", "--storage", "benchsan", "--retention", "daily", "--json"] + KINDS[kind] + H,
                         check=True, capture_output=True)
    elapsed = time.monotonic() - t
    doc = json.loads(out.stdout)
    subprocess.run([OCORE, "backup", "rm", doc["id"], "--confirm", doc["id"]] + H, check=True, capture_output=True)
    return elapsed, doc.get("sanitized"), doc.get("size")


times = {k: [] for k in KINDS}
verdicts, sizes = [], {k: [] for k in KINDS}
try:
    for i in range(args.runs):
        for kind in (list(KINDS) if i % 2 == 0 else list(KINDS)[::-1]):
            elapsed, verdict, size = run(kind)
            times[kind].append(elapsed)
            sizes[kind].append(size)
            if kind == "sanitized":
                verdicts.append(verdict)
            print(f"round {i + 1}: {kind} {elapsed:.1f} s", file=sys.stderr)
finally:
    subprocess.run([OCORE, "storage", "rm", "benchsan"] + H, capture_output=True)
    shutil.rmtree(STORE, ignore_errors=True)
result = {
    "backup": {k: summary(v) for k, v in times.items()},
    "ratio": round(summary(times["sanitized"])["median"] / summary(times["plain"])["median"], 2),
    "archive_bytes": {k: v[-1] for k, v in sizes.items()},
    "verdicts": verdicts,
}
print(json.dumps(result, indent=2))
