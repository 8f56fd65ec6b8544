#!/usr/bin/env python3
"""A restore that sanitizes as it loads against a restore without sanitization, and against the
previous build's (which sanitized with UPDATE passes after the load), interleaved in one run
(each round in a rotated order), all from the same backup into a new staging environment,
filestore included, a CHECKPOINT and sync before each.

  none      `ocore restore ID --new … --preset none --i-understand-the-risk`
  instream  `ocore restore ID --new … --preset recommended` (this build: rows rewritten as they load)
  before    with `--before PATH`: the previous build's restore `--preset none` (the same load)
  update    with `--before PATH --update`: the previous build's Recommended (sanitized by UPDATEs
            after the load), in the first round only (minutes: UPDATE passes over 1.5 M rows)

Usage: bench/sanitized_restore_bench.py HOME [--runs K] [--ocore PATH] [--before PATH [--update]] [--format odoo-zip|folder]
(HOME: an `ocore demo --scale large` home)
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import demo_production, sh, summary

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--ocore", default=".build/release/ocore")
ap.add_argument("--before", help="a previous build's ocore (its restores sanitize by UPDATEs)")
ap.add_argument("--update", action="store_true", help="also the previous build's Recommended, once")
ap.add_argument("--format", default="odoo-zip")
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)
H = ["--home", args.home]
PG, DB, FS = demo_production(OCORE, args.home)
FS_ROOT = os.path.dirname(FS)
STORE = tempfile.mkdtemp(prefix="ocore-bench-sanrestore-", dir="/var/tmp")
subprocess.run([OCORE, "storage", "rm", "benchsr"] + H, capture_output=True)
sh([OCORE, "storage", "add", "benchsr", "--dir", STORE] + H)
KINDS = {"none": (OCORE, ["--preset", "none", "--i-understand-the-risk"]), "instream": (OCORE, ["--preset", "recommended"])}
if args.before:
    KINDS["before"] = (os.path.abspath(args.before), ["--preset", "none", "--i-understand-the-risk"])
if args.before and args.update:
    KINDS["update"] = (os.path.abspath(args.before), ["--preset", "recommended"])


def psql(sql):
    return subprocess.run(["psql", "-X", "-Atq", "-v", "ON_ERROR_STOP=1"] + PG + ["-d", "postgres", "-c", sql], check=True, capture_output=True, text=True).stdout


def wait_idle():
    while json.loads(subprocess.run([OCORE, "jobs", "list", "--json"] + H, check=True, capture_output=True).stdout):
        time.sleep(0.2)


def stop_workers():
    """Jobs run in a detached worker that outlives the command: one left by the other build would
    run this build's restore. Idle workers of the home are stopped before each restore."""
    subprocess.run(["pkill", "-TERM", "-f", f"ocore worker --home {args.home}"], capture_output=True)
    time.sleep(0.5)


def run(kind, i, backup):
    binary, extra = KINDS[kind]
    stop_workers()
    name = f"bench_sr_{kind}{i}"
    psql("CHECKPOINT")
    os.sync()
    t = time.monotonic()
    out = subprocess.run([binary, "restore", backup, "--new", name, "--type", "staging", "--url", f"https://{name}.example", "--yes", "--json"] + extra + H,
                         capture_output=True)
    elapsed = time.monotonic() - t
    wait_idle()
    if out.returncode != 0:
        sys.exit(f"{kind}: {out.stdout.decode()} {out.stderr.decode()}")
    doc = json.loads(out.stdout)
    results = {r["option_key"]: r for r in doc.get("sanitization_result", [])}
    subprocess.run([OCORE, "env", "rm", name] + H, check=True, capture_output=True)
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [name], check=True)
    shutil.rmtree(os.path.join(FS_ROOT, name), ignore_errors=True)
    return elapsed, (doc.get("proof") or {}).get("verdict"), results.get("anonymize_emails", {}).get("reason", "")


times = {k: [] for k in KINDS}
verdicts, reasons = {k: [] for k in KINDS}, {}
try:
    backup = json.loads(subprocess.run([OCORE, "backup", "create", "production", "--storage", "benchsr", "--format", args.format, "--json"] + H,
                                       check=True, capture_output=True).stdout)["id"]
    wait_idle()  # the backup's retention sweep holds production a moment
    order = list(KINDS)
    for i in range(args.runs):
        for kind in order[i % len(order):] + order[:i % len(order)]:
            if kind == "update" and times["update"]:
                continue
            elapsed, verdict, reason = run(kind, i, backup)
            times[kind].append(elapsed)
            verdicts[kind].append(verdict)
            reasons[kind] = reason
            print(f"round {i + 1}: {kind} {elapsed:.1f} s ({verdict})", file=sys.stderr)
finally:
    subprocess.run([OCORE, "storage", "rm", "benchsr"] + H, capture_output=True)
    shutil.rmtree(STORE, ignore_errors=True)
result = {"format": args.format, "restore": {k: summary(v) for k, v in times.items()}, "verdicts": verdicts, "emails": reasons}
result["ratio_instream_vs_none"] = round(summary(times["instream"])["median"] / summary(times["none"])["median"], 2)
if "before" in times:
    result["ratio_none_vs_before"] = round(summary(times["none"])["median"] / summary(times["before"])["median"], 2)
if "update" in times:
    result["ratio_update_vs_none"] = round(summary(times["update"])["median"] / summary(times["none"])["median"], 2)
print(json.dumps(result, indent=2))
