#!/usr/bin/env python3
"""A change against its baseline: the same sanitizing clone of the large demo with two ocore
builds (say the commit before a change, built in a worktree, and this one), interleaved so a noisy
minute hits both, plus the coverage scan's own time from `clone preview --json`.

Usage: bench/versus_bench.py HOME --baseline PATH [--ocore PATH] [--runs K] [--preset recommended]

Prints one JSON document: seconds per run for each build, medians, the ratio (this build over the
baseline), the proof verdicts, and the coverage scan in milliseconds.
"""
import argparse, json, os, shutil, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import summary

ap = argparse.ArgumentParser()
ap.add_argument("home")
ap.add_argument("--baseline", required=True)
ap.add_argument("--ocore", default=".build/release/ocore")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--preset", default="recommended")
args = ap.parse_args()
H = ["--home", args.home]
BUILDS = {"baseline": os.path.abspath(args.baseline), "this": os.path.abspath(args.ocore)}
env = json.loads(subprocess.run([BUILDS["this"], "env", "show", "production", "--json"] + H, check=True, capture_output=True).stdout)
PG = ["-h", env["pg_host"], "-p", str(env["pg_port"]), "-U", env["pg_user"]]
FS_ROOT = os.path.dirname(env["filestore"])


def stop_workers():
    """Jobs run in a detached worker that outlives the command: the one left by the other build
    would run this build's clone. Idle workers of the demo home are stopped before each clone."""
    subprocess.run(["pkill", "-TERM", "-f", f"ocore worker --home {args.home}"], capture_output=True)
    time.sleep(0.5)


def clone(build, i):
    name = f"bench_v{build[0]}{i}"
    stop_workers()
    t = time.monotonic()
    out = subprocess.run([BUILDS[build], "clone", "production", "--new", name, "--type", "staging", "--preset", args.preset,
                          "--yes", "--json"] + H, check=True, capture_output=True)
    elapsed = time.monotonic() - t
    verdict = (json.loads(out.stdout).get("proof") or {}).get("verdict")
    subprocess.run([BUILDS[build], "env", "rm", name] + H, check=True, capture_output=True)
    subprocess.run(["dropdb", "--if-exists", "--force"] + PG + [name], check=True)
    shutil.rmtree(os.path.join(FS_ROOT, name), ignore_errors=True)
    return elapsed, verdict


times = {b: [] for b in BUILDS}
verdicts = {b: [] for b in BUILDS}
for i in range(args.runs):
    order = list(BUILDS) if i % 2 == 0 else list(BUILDS)[::-1]
    for build in order:
        elapsed, verdict = clone(build, i)
        times[build].append(elapsed)
        verdicts[build].append(verdict)
        print(f"round {i + 1}: {build} {elapsed:.1f} s ({verdict})", file=sys.stderr)
preview = json.loads(subprocess.run([BUILDS["this"], "clone", "preview", "production", "--preset", args.preset, "--json"] + H,
                                    check=True, capture_output=True).stdout)
result = {
    "preset": args.preset,
    "clone": {b: summary(v) for b, v in times.items()},
    "ratio": round(summary(times["this"])["median"] / summary(times["baseline"])["median"], 2),
    "verdicts": verdicts,
    "coverage_scan_ms": (preview.get("coverage") or {}).get("scan_ms"),
}
print(json.dumps(result, indent=2))
