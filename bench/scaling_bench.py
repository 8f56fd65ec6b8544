#!/usr/bin/env python3
"""The cost curve: every everyday operation at four dataset sizes, each beside the primitive an
operator would run by hand, interleaved (at each size, each pair runs back to back, who goes first
turned each round):

  clone minimal      `ocore clone --preset minimal`  vs  `pg_dump -Fd -j2 -Z0` + `pg_restore -j2`, `cp -al` beside it
  clone recommended  `ocore clone --preset recommended`  vs  the same copy, then the UPDATE passes an
                     operator would write (addresses and numbers rewritten, queued mail deleted, the
                     addons' neutralize.sql files)
  clone from golden  `ocore clone --from-golden`  vs  `createdb -T golden_… --strategy FILE_COPY` + `cp -al`
  backup             `ocore backup create` (odoo-zip, verified)  vs  `pg_dump` to a file + `cp -a` + sync
  restore            `ocore restore ID --new … --preset none`  vs  Odoo's way from the same ZIP (unzip, `psql -f`)
  impact preview     `ocore clone preview --preset full`  vs  one `count(*) … WHERE` per option, as written by hand

Sizes: the demo's small, medium and large, and xl (≈5 GB database, ≈3 GB filestore), each in its own
home (`/var/tmp/ocore-bench-SCALE`, built by `ocore demo --scale SCALE` when missing; xl takes ~8 min).
For each operation and tool a least-squares line `seconds = fixed + per_GB × GB` over the sizes
(GB = database + filestore) gives the fixed overhead and the seconds per GB; the target is
ocore's seconds per GB within 1.15× of its primitive's. Writes bench/scaling.json and, with
matplotlib, bench/scaling.png (`--plot-only` redraws it from the JSON).

Usage: bench/scaling_bench.py [--scales small,medium,large,xl] [--runs small=3,medium=3,large=2,xl=1]
                              [--only clone_minimal,clone_recommended,clone_golden,backup,restore,preview] [--ocore PATH]
"""
import argparse, glob, json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import demo_production, sh, summary

HERE = os.path.dirname(os.path.abspath(__file__))
OPERATIONS = ["clone_minimal", "clone_recommended", "clone_golden", "backup", "restore", "preview"]
TITLES = {"clone_minimal": "clone, minimal", "clone_recommended": "clone, Recommended", "clone_golden": "clone from the golden copy",
          "backup": "backup (odoo-zip)", "restore": "restore into a new database", "preview": "impact preview"}
PRIMITIVES = {"clone_minimal": "pg_dump -Fd -j2, pg_restore -j2, cp -al", "clone_recommended": "same + UPDATE passes by hand",
              "clone_golden": "createdb -T FILE_COPY + cp -al", "backup": "pg_dump + cp -a", "restore": "unzip + psql -f (Odoo's way)",
              "preview": "one count(*) per option"}

# What an operator sanitizes by hand after copying: every customer address and number rewritten,
# the messages' senders and addresses in bodies, queued mail dropped, tracking values cleared.
HAND_SANITIZE = r"""
UPDATE res_partner SET email = 'partner' || id || '@example.invalid', email_normalized = 'partner' || id || '@example.invalid',
       phone = CASE WHEN phone IS NOT NULL THEN '+32 400 ' || lpad((id % 1000000)::text, 6, '0') END,
       mobile = CASE WHEN mobile IS NOT NULL THEN '+32 470 ' || lpad((id % 1000000)::text, 6, '0') END,
       street = NULL, street2 = NULL, vat = NULL, comment = NULL
 WHERE id NOT IN (SELECT partner_id FROM res_users) AND id NOT IN (SELECT partner_id FROM res_company);
UPDATE mail_message SET email_from = 'sender' || coalesce(author_id, 0) || '@example.invalid', reply_to = NULL,
       body = regexp_replace(body, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+', 'someone@example.invalid', 'g');
DELETE FROM mail_mail;
UPDATE mail_tracking_value SET old_value_char = NULL, new_value_char = NULL, old_value_text = NULL, new_value_text = NULL;
UPDATE ir_cron SET active = false;
"""


class Site:
    """One demo home: its production, the bench storage and what is cleaned between cases."""

    def __init__(self, ocore, scale, root):
        self.ocore, self.scale = ocore, scale
        self.home = os.path.join(root, f"ocore-bench-{scale}")
        print(f"[{scale}] demo in {self.home}", file=sys.stderr)
        t = time.monotonic()
        sh([ocore, "demo", "--no-tui", "--scale", scale, "--home", self.home])
        print(f"[{scale}] demo ready in {time.monotonic() - t:.0f} s", file=sys.stderr)
        self.H = ["--home", self.home]
        self.pg, self.db, self.fs = demo_production(ocore, self.home)
        self.fs_root = os.path.dirname(self.fs)
        self.addons = glob.glob(os.path.join(self.home, "demo", "addons", "*", "data", "neutralize.sql"))
        self.store = tempfile.mkdtemp(prefix=f"ocore-bench-scaling-{scale}-", dir="/var/tmp")
        subprocess.run([ocore, "storage", "rm", "scaling"] + self.H, capture_output=True)
        sh([ocore, "storage", "add", "scaling", "--dir", self.store] + self.H)
        db_bytes = int(self.psql("postgres", f"SELECT pg_database_size('{self.db}')"))
        fs_bytes = int(subprocess.run(["du", "-sb", self.fs], check=True, capture_output=True, text=True).stdout.split()[0])
        self.size = {"database_bytes": db_bytes, "filestore_bytes": fs_bytes, "gb": round((db_bytes + fs_bytes) / 1e9, 3)}
        self.golden, self.golden_made = "golden_" + self.db, False
        # The source's filestore read once: the first backup would otherwise read it from disk
        # and leave it cached for `cp -a` by hand (a copy by hard links never reads it).
        sh(["sh", "-c", 'find "$1" -type f -exec cat {} + > /dev/null', "warm", self.fs])
        self.backup_id = self.backup_key = None

    def psql(self, db, sql):
        return subprocess.run(["psql", "-X", "-Atq", "-v", "ON_ERROR_STOP=1"] + self.pg + ["-d", db, "-c", sql],
                              check=True, capture_output=True, text=True).stdout.strip()

    def checkpoint(self):
        """Whatever the case before wrote is flushed now (PostgreSQL's buffers, then the system's
        dirty pages: a gigabyte left by `cp -a` turns the next case's first fsync into seconds),
        not paid by the next case."""
        self.psql("postgres", "CHECKPOINT")
        os.sync()

    def drop(self, db):
        subprocess.run(["dropdb", "--if-exists", "--force"] + self.pg + [db], check=True)
        shutil.rmtree(os.path.join(self.fs_root, db), ignore_errors=True)

    def timed(self, f):
        self.checkpoint()
        t = time.monotonic()
        f()
        return time.monotonic() - t

    def ocore_clone(self, name, extra):
        elapsed = self.timed(lambda: sh([self.ocore, "clone", "production", "--new", name, "--type", "staging", "--yes"] + extra + self.H,
                                        stderr=subprocess.DEVNULL))
        subprocess.run([self.ocore, "env", "rm", name] + self.H, check=True, capture_output=True)
        self.drop(name)
        return elapsed

    def hand_copy(self, db, then=None):
        work = tempfile.mkdtemp(prefix="ocore-bench-scaling-", dir="/var/tmp")
        def go():
            fs = subprocess.Popen(["cp", "-al", self.fs, os.path.join(self.fs_root, db)])
            sh(["pg_dump", "-Fd", "-j2", "-Z0", "-f", work + "/d"] + self.pg + [self.db])
            sh(["createdb"] + self.pg + [db])
            sh(["pg_restore", "-j2", "--no-owner", "-d", db] + self.pg + [work + "/d"])
            fs.wait()
            if then:
                then(db)
        elapsed = self.timed(go)
        shutil.rmtree(work)
        self.drop(db)
        return elapsed

    def hand_sanitize(self, db):
        sh(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + self.pg + ["-d", db, "-c", HAND_SANITIZE], stderr=subprocess.DEVNULL)
        for f in self.addons:
            sh(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"] + self.pg + ["-d", db, "-f", f], stderr=subprocess.DEVNULL)

    # The pairs: (ocore, primitive), two functions each returning seconds.
    def clone_minimal(self, i):
        return (lambda: self.ocore_clone(f"bench_sm{i}", ["--preset", "minimal"]), lambda: self.hand_copy(f"bench_hm{i}"))

    def clone_recommended(self, i):
        return (lambda: self.ocore_clone(f"bench_sr{i}", ["--preset", "recommended"]),
                lambda: self.hand_copy(f"bench_hr{i}", then=self.hand_sanitize))

    def clone_golden(self, i):
        def by_hand(db=f"bench_hg{i}"):
            t = self.timed(lambda: (sh(["createdb", "-T", self.golden, "--strategy", "FILE_COPY"] + self.pg + [db]),
                                    sh(["cp", "-al", os.path.join(self.fs_root, self.golden), os.path.join(self.fs_root, db)])))
            self.drop(db)
            return t
        if not self.golden_made:
            sh([self.ocore, "golden", "refresh", "production"] + self.H, stderr=subprocess.DEVNULL)
            # One copy untimed first: whoever went first would otherwise read the golden copy's
            # files from disk and leave them cached for the other (5 GB at xl: 14 s against 6 s).
            by_hand("bench_warmup")
            self.golden_made = True
        return (lambda: self.ocore_clone(f"bench_sg{i}", ["--from-golden"]), by_hand)

    def take_backup(self):
        out = {}
        def go():
            r = subprocess.run([self.ocore, "backup", "create", "production", "--storage", "scaling", "--retention", "daily", "--json"] + self.H,
                               check=True, capture_output=True)
            out.update(json.loads(r.stdout))
        t = self.timed(go)
        if self.backup_id:
            subprocess.run([self.ocore, "backup", "rm", self.backup_id, "--confirm", self.backup_id] + self.H, capture_output=True)
        self.backup_id, self.backup_key = out["id"], out["key"]
        return t

    def backup(self, i):
        def hand():
            work = tempfile.mkdtemp(prefix="ocore-bench-scaling-hand-", dir="/var/tmp")
            def go():
                sh(["pg_dump", "--no-owner", "-f", work + "/dump.sql"] + self.pg + [self.db])
                sh(["cp", "-a", self.fs, work + "/filestore"])
                sh(["sync", "-f", work + "/dump.sql"])
            t = self.timed(go)
            shutil.rmtree(work)
            return t
        return (self.take_backup, hand)

    def restore(self, i):
        if not self.backup_id:
            self.take_backup()
        def ocore():
            name = f"bench_rr{i}"
            t = self.timed(lambda: sh([self.ocore, "restore", self.backup_id, "--new", name, "--type", "development", "--preset", "none",
                                       "--i-understand-the-risk", "--yes"] + self.H, stderr=subprocess.DEVNULL))
            subprocess.run([self.ocore, "env", "rm", name] + self.H, check=True, capture_output=True)
            self.drop(name)
            return t
        def odoo_way():
            db, work = f"bench_ro{i}", tempfile.mkdtemp(prefix="ocore-bench-scaling-odoo-", dir="/var/tmp")
            def go():
                sh(["unzip", "-q", os.path.join(self.store, self.backup_key), "-d", work])
                sh(["createdb"] + self.pg + [db])
                sh(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", work + "/dump.sql"] + self.pg + [db], stderr=subprocess.DEVNULL)
                shutil.move(work + "/filestore", os.path.join(self.fs_root, db))
            t = self.timed(go)
            shutil.rmtree(work)
            self.drop(db)
            return t
        return (ocore, odoo_way)

    def preview(self, i):
        # By hand: one count per option, each with its condition (the way an operator finds out
        # how many rows an option would change); ocore counts them in one scan per table, plus
        # the coverage of every text column, which nothing by hand does.
        not_user = "id <> ALL(ARRAY(SELECT partner_id FROM res_users WHERE active))"
        not_company = "id NOT IN (SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL)"
        counts = [f"SELECT count(*) FROM res_partner WHERE email IS NOT NULL AND email <> '' AND {not_user};",
                  f"SELECT count(*) FROM res_partner WHERE (phone IS NOT NULL OR mobile IS NOT NULL) AND {not_user} AND {not_company};",
                  f"SELECT count(*) FROM res_partner WHERE street IS NOT NULL AND {not_user};",
                  f"SELECT count(*) FROM res_partner WHERE is_company AND {not_company};",
                  "SELECT count(*) FROM mail_mail WHERE state IN ('outgoing', 'exception');",
                  "SELECT count(*) FROM ir_mail_server WHERE active;", "SELECT count(*) FROM ir_cron WHERE active;",
                  "SELECT count(*) FROM res_users WHERE active;", "SELECT count(*) FROM sms_sms WHERE state = 'outgoing';",
                  "SELECT count(*) FROM ir_config_parameter WHERE key ILIKE '%secret%' OR key ILIKE '%token%' OR key ILIKE '%api_key%';"]
        return (lambda: self.timed(lambda: subprocess.run([self.ocore, "clone", "preview", "production", "--preset", "full", "--json"] + self.H,
                                                          check=True, capture_output=True)),
                lambda: self.timed(lambda: self.psql(self.db, " ".join(counts))))

    def close(self):
        subprocess.run([self.ocore, "storage", "rm", "scaling"] + self.H, capture_output=True)
        shutil.rmtree(self.store, ignore_errors=True)


def fit(points):
    """Least squares `seconds = fixed + per_gb × gb` over (gb, seconds) points."""
    n = len(points)
    mx, my = sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    sxx = sum((p[0] - mx) ** 2 for p in points)
    slope = sum((p[0] - mx) * (p[1] - my) for p in points) / sxx if sxx else 0.0
    return {"fixed_s": round(my - slope * mx, 2), "s_per_gb": round(slope, 2)}


def analyse(result):
    table = {}
    for op in OPERATIONS:
        rows = [(s["size"]["gb"], s["cases"][op]) for s in result["scales"].values() if op in s.get("cases", {})]
        if len(rows) < 2:
            continue
        o = fit([(gb, c["ocore"]["median"]) for gb, c in rows])
        p = fit([(gb, c["primitive"]["median"]) for gb, c in rows])
        table[op] = {"ocore": o, "primitive": p,
                     "per_gb_ratio": round(o["s_per_gb"] / p["s_per_gb"], 2) if p["s_per_gb"] > 0 else None}
    result["fit"] = table
    return result


def plot(result, path):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed (pip install matplotlib): no plot", file=sys.stderr)
        return
    ops = [op for op in OPERATIONS if op in result.get("fit", {})]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    for ax, op in zip(axes.flat, ops):
        rows = sorted((s["size"]["gb"], s["cases"][op]) for s in result["scales"].values() if op in s.get("cases", {}))
        xs = [gb for gb, _ in rows]
        for tool, label, style in (("ocore", "ocore", "o-"), ("primitive", PRIMITIVES[op], "s--")):
            ax.plot(xs, [c[tool]["median"] for _, c in rows], style, label=label)
        f = result["fit"][op]
        ax.set_title(f"{TITLES[op]}\nocore {f['ocore']['s_per_gb']} s/GB, by hand {f['primitive']['s_per_gb']} s/GB", fontsize=9)
        ax.set_xlabel("database + filestore (GB)")
        ax.set_ylabel("seconds")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(ops):]:
        ax.axis("off")
    fig.suptitle(f"ocore against the primitives, time against size ({result.get('date', '')})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"plot: {path}", file=sys.stderr)


def markdown(result):
    """The README's tables: medians at each size, then the fitted lines."""
    scales = [k for k in ("small", "medium", "large", "xl") if k in result["scales"]]
    sizes = " | ".join(f"{k} ({result['scales'][k]['size']['gb']:.2f} GB)" for k in scales)
    lines = [f"| operation | tool | {sizes} |", "|---|---|" + "---|" * len(scales)]
    for op in OPERATIONS:
        for tool, label in (("ocore", "ocore"), ("primitive", PRIMITIVES[op])):
            cells = []
            for k in scales:
                c = result["scales"][k].get("cases", {}).get(op)
                cells.append(f"{c[tool]['median']:.2f} s" if c else "")
            lines.append(f"| {TITLES[op] if tool == 'ocore' else ''} | {label} | " + " | ".join(cells) + " |")
    lines += ["", "| operation | ocore fixed | ocore s/GB | by hand fixed | by hand s/GB | s/GB ratio | target ≤ 1.15× |", "|---|---|---|---|---|---|---|"]
    for op, f in result.get("fit", {}).items():
        r = f["per_gb_ratio"]
        lines.append(f"| {TITLES[op]} | {f['ocore']['fixed_s']} s | {f['ocore']['s_per_gb']} | {f['primitive']['fixed_s']} s | "
                     f"{f['primitive']['s_per_gb']} | {r}× | {'✓' if r is not None and r <= 1.15 else '✗'} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scales", default="small,medium,large,xl")
    ap.add_argument("--runs", default="small=3,medium=3,large=2,xl=1")
    ap.add_argument("--only", default=",".join(OPERATIONS))
    ap.add_argument("--ocore", default=".build/release/ocore")
    ap.add_argument("--root", default="/var/tmp")
    ap.add_argument("--json", default=os.path.join(HERE, "scaling.json"))
    ap.add_argument("--png", default=os.path.join(HERE, "scaling.png"))
    ap.add_argument("--plot-only", action="store_true")
    args = ap.parse_args()
    if args.plot_only:
        result = analyse(json.load(open(args.json)))
        plot(result, args.png)
        return print(markdown(result))
    ocore = os.path.abspath(args.ocore)
    runs = {k: int(v) for k, v in (kv.split("=") for kv in args.runs.split(","))}
    ops = [op for op in OPERATIONS if op in args.only.split(",")]
    # A partial run (say one size) merges into the results already there.
    result = json.load(open(args.json)) if os.path.exists(args.json) else {"scales": {}}
    result["date"] = time.strftime("%Y-%m-%d")
    for scale in args.scales.split(","):
        site = Site(ocore, scale, args.root)
        times = {op: {"ocore": [], "primitive": []} for op in ops}
        try:
            for i in range(runs.get(scale, 1)):
                for op in ops:
                    ocore_side, hand_side = getattr(site, op)(i)
                    if i % 2 == 0:
                        a = ocore_side(); b = hand_side()
                    else:
                        b = hand_side(); a = ocore_side()
                    times[op]["ocore"].append(a)
                    times[op]["primitive"].append(b)
                    print(f"[{scale} {site.size['gb']} GB] round {i + 1}: {op} ocore {a:.2f} s, by hand {b:.2f} s", file=sys.stderr)
        finally:
            site.close()
        entry = result["scales"].setdefault(scale, {})
        entry["size"] = site.size
        entry.setdefault("cases", {}).update({op: {tool: summary(v) for tool, v in t.items()} for op, t in times.items()})
        json.dump(result, open(args.json, "w"), indent=1)
    result = analyse(result)
    json.dump(result, open(args.json, "w"), indent=1)
    plot(result, args.png)
    print(json.dumps(result["fit"], indent=2))


main()
