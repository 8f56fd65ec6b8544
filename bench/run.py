#!/usr/bin/env python3
"""Every benchmark in one command: builds the release binary and the demo dataset once, runs each
case with its competitors interleaved, prints one table (medians, min–max, ratios, the issues'
targets with ✓/✗) and writes the same as JSON.

Usage:
  bench/run.py [--home DIR] [--runs K] [--out FILE] [--skip clone,backup,incremental,storage,tui,sanitize,golden]
  bench/run.py --quick        # the small dataset, one round, everything: keeps the harness from rotting

Defaults: --home /var/tmp/ocore-bench-large (built with `ocore demo --scale large` if missing),
--runs 3, --out bench/results.json. A full run on 2 cores takes about an hour, most of it the
two sanitizing clones (Recommended and Full) of 1.5 M partners.
"""
import argparse, statistics, json, os, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ap = argparse.ArgumentParser()
ap.add_argument("--home")
ap.add_argument("--runs", type=int)
ap.add_argument("--out")
ap.add_argument("--skip", default="")
ap.add_argument("--quick", action="store_true")
args = ap.parse_args()
skip = set(filter(None, args.skip.split(",")))
runs = args.runs or (1 if args.quick else 3)
home = args.home or (tempfile.mkdtemp(prefix="ocore-bench-quick-") if args.quick else "/var/tmp/ocore-bench-large")
out_path = args.out or (os.path.join(tempfile.gettempdir(), "ocore-bench-quick.json") if args.quick else os.path.join(HERE, "results.json"))
OCORE = os.path.join(ROOT, ".build/release/ocore")


def step(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


step("building the release binary")
subprocess.run(["swift", "build", "-c", "release", "--product", "ocore"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
step(f"demo dataset in {home} ({'small' if args.quick else 'large'}; reused when present)")
subprocess.run([OCORE, "demo", "--no-tui", "--scale", "small" if args.quick else "large", "--home", home], check=True, stdout=subprocess.DEVNULL)


def run(script, *extra):
    step(f"{script} {' '.join(extra)}")
    t = time.monotonic()
    out = subprocess.run([sys.executable, os.path.join(HERE, script), *extra], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"bench: {script} failed:\n{out.stderr[-3000:]}")
    step(f"{script} done in {time.monotonic() - t:.0f} s")
    return json.loads(out.stdout)


results = {"runs": runs, "quick": args.quick, "home": home, "machine": os.uname().nodename, "cpus": os.cpu_count(),
           "date": time.strftime("%Y-%m-%d %H:%M")}
if "clone" not in skip:
    only = "online,fast,cross,preview" + ("" if "sanitize" in skip else ",sanitize")
    results["clone"] = run("clone_bench.py", home, "--runs", str(runs), "--ocore", OCORE, "--only", only)
if "backup" not in skip:
    results["backup"] = run("backup_bench.py", home, "--runs", str(runs), "--ocore", OCORE)
if "incremental" not in skip:
    results["incremental"] = run("incremental_bench.py", home, "--runs", str(runs), "--ocore", OCORE)
if "storage" not in skip:
    results["storage"] = run("storage_bench.py", home, "--runs", "1", "--ocore", OCORE)
if "tui" not in skip:
    results["tui"] = run("tui_bench.py", OCORE)
if "golden" not in skip:
    results["golden"] = run("golden_bench.py", home, "--runs", str(runs), "--ocore", OCORE)


def row(case, ours, base, target=None, better=lambda r, t: r <= t, note=""):
    return {"case": case, "ocore": ours, "baseline": base, "target": target, "better": better, "note": note}


rows = []
c = results.get("clone", {}).get("cases", {})
def cs(key):
    v = c.get(key)
    return (v["median"], v["min"], v["max"]) if v else None
if cs("clone_ocore_minimal"):
    rows.append(row("clone online, same server (minimal)", cs("clone_ocore_minimal"), ("best primitives", cs("clone_best_primitives")), 1.1))
    rows.append(row("clone online vs the seeds' pipeline", cs("clone_ocore_minimal"), ("seeds' pipeline", cs("clone_seeds_pipeline")), 1 / 5,
                    note="target: ≥ 5× faster"))
if cs("fast_copy_ocore"):
    rows.append(row("clone --fast-copy", cs("fast_copy_ocore"), ("createdb -T + cp -al", cs("fast_copy_createdb_T_cp_al")), 1.2))
if cs("cross_server_ocore"):
    rows.append(row("clone cross-server (loopback sshd)", cs("cross_server_ocore"), ("ssh pg_dump | ssh pg_restore", cs("cross_server_by_hand")), None))
if cs("impact_preview_all_options"):
    rows.append(row("impact preview, all options", cs("impact_preview_all_options"), None, 1.0, better=lambda v, t: v < t, note="target: < 1 s"))
for preset in ("recommended", "full"):
    if cs(f"clone_{preset}"):
        rows.append(row(f"clone --preset {preset} (sanitizing)", cs(f"clone_{preset}"), None, None))
b = results.get("backup", {})
bm = b.get("median_s", {})
def bs(key):
    runs_ = b.get("runs", {}).get(key)
    return (bm[key], min(runs_), max(runs_)) if runs_ else None
if bm:
    rows.append(row("backup to local dir (odoo-zip)", bs("backup_ocore"), ("pg_dump + cp -a", bs("backup_hand")), 1.2))
    rows.append(row("backup to local dir (folder)", bs("backup_folder"), ("pg_dump + cp -a", bs("backup_hand")), 1.2))
    rows.append(row("backup vs the seeds' way", bs("backup_ocore"), ("seeds' way", bs("backup_seeds")), 1 / 3, note="target: ≥ 3× faster"))
    rows.append(row("restore odoo-zip into a new db", bs("restore_ocore"), ("Odoo's way (unzip, psql -f)", bs("restore_odoo_way")), 1.0,
                    better=lambda r, t: r < t, note="target: faster"))
    rows.append(row("restore folder into a new db", bs("restore_folder"), ("pg_restore -j2 + cp -a", bs("restore_hand_pg_restore")), 1.15))
n = results.get("incremental", {})
def ns(key):
    runs_ = n.get("runs", {}).get(key)
    return (statistics.median(runs_), min(runs_), max(runs_)) if runs_ else None
if n.get("runs"):
    rows.append(row("second incremental backup (unchanged)", ns("second_incremental"), ("pg_dump -Fd -j2 alone", ns("pg_dump_fd_j2")), 1.2))
    rows.append(row("first incremental backup", ns("first_incremental"), ("folder backup", ns("folder_backup")), 1.2))
    rows.append(row("restore from incremental", ns("restore_incremental"), ("restore from folder", ns("restore_folder")), 1.1))
    rows.append(row("export incremental → Odoo zip", ns("export_incremental"), ("odoo-zip backup", ns("odoo_zip_backup")), 1.2))

g = results.get("golden", {}).get("times", {})
def gs(key):
    t = g.get(key)
    return (t["median"], t["min"], t["max"]) if t else None
if g:
    rows.append(row("clone --from-golden", gs("golden"), ("createdb -T golden + cp -al", gs("by_hand")), 1.2))
    rows.append(row("clone --from-golden vs online Recommended", gs("golden"), ("online Recommended clone", gs("online")), 0.2, note="≥ 5× faster"))
    rows.append(row("golden refresh", gs("refresh"), ("online Recommended clone", gs("online")), 1.1))

print()
print(f"{'case':40} {'ocore s (min–max)':>20} {'baseline s (min–max)':>22}  {'ratio':>6}  target")
for r in rows:
    o = r["ocore"]
    base = r["baseline"]
    ratio = o[0] / base[1][0] if base and base[1] else None
    value = ratio if ratio is not None else o[0]
    verdict = "" if r["target"] is None else ("✓" if r["better"](value, r["target"]) else "✗")
    target = r["note"] or (f"≤ {r['target']}×" if r["target"] and base else "")
    r["ratio"] = round(ratio, 2) if ratio else None
    r["verdict"] = verdict
    base_text = f"{base[1][0]:.1f} ({base[1][1]:.1f}–{base[1][2]:.1f})" if base and base[1] else "-"
    print(f"{r['case']:40} {o[0]:>8.1f} ({o[1]:.1f}–{o[2]:.1f}) {base_text:>22}  {(f'{ratio:.2f}×' if ratio else '-'):>6}  {target} {verdict}"
          + (f"   [{base[0]}]" if base else ""))
for name, p in results.get("storage", {}).get("providers", {}).items():
    print(f"{'backup to ' + name + ' (folder, loopback)':40} {p['backup_s']:>8.1f} s = {p['backup_MBps']} MB/s; download {p['export_MBps']} MB/s")
if n.get("runs"):
    print(f"{'second incremental: objects written':40} {n['second_objects_share_of_filestore_pct']} % of the filestore (target < 1 %); added {n['second_added_bytes']} bytes")
    v = n.get("verify_s3_20000_objects")
    if v:
        print(f"{'verify (sizes) on S3 (moto)':40} {v['verify']['median']} s ({v['objects']}; target < 10 s)")
t = results.get("tui", {})
if t:
    print(f"{'TUI, 1,000 envs + 100,000 backups':40} first frame {t.get('first_frame_ms')} ms, key→frame {t.get('keystroke_to_frame_ms_median')} ms, "
          f"{t.get('bytes_per_keystroke_frame_median')} B/frame, RSS {t.get('rss_mib_1000_envs')} MiB")
for preset in ("recommended", "full"):
    per = results.get("clone", {}).get(f"{preset}_seconds_per_option")
    if per:
        print(f"{preset} per option (s): " + ", ".join(f"{k} {v}" for k, v in sorted(per.items(), key=lambda kv: -kv[1])))
results["table"] = [{k: v for k, v in r.items() if k != "better"} for r in rows]
with open(out_path, "w") as f:
    json.dump(results, f, indent=2)
step(f"results written to {out_path}")
