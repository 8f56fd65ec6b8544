#!/usr/bin/env python3
"""Engine and executor figures, measured side by side in one run (interleaved A B A B):

- streaming through ocore's SSH channel (`ocore server exec … head -c N /dev/zero`) against
  OpenSSH's own client (`ssh host head -c N /dev/zero`), same bytes, same sshd on 127.0.0.2;
- engine overhead per step: a 50-step diagnostic job whose steps do nothing but run `sleep 0`,
  minus the cost of spawning those 50 processes.

Usage: bench/engine_bench.py [path/to/ocore] [--bytes N] [--runs K]
"""
import argparse, json, os, shutil, socket, sqlite3, statistics, subprocess, tempfile, time
from datetime import datetime

ap = argparse.ArgumentParser()
ap.add_argument("ocore", nargs="?", default=".build/release/ocore")
ap.add_argument("--bytes", type=int, default=1 << 30)
ap.add_argument("--runs", type=int, default=3)
args = ap.parse_args()
OCORE = os.path.abspath(args.ocore)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def start_sshd(work):
    for name, kind in [("host", "ed25519"), ("id", "ed25519")]:
        subprocess.run(["ssh-keygen", "-q", "-t", kind, "-N", "", "-f", f"{work}/{name}"], check=True)
    shutil.copy(f"{work}/id.pub", f"{work}/authorized_keys")
    port = free_port()
    os.makedirs("/run/sshd", exist_ok=True) if os.geteuid() == 0 else None
    open(f"{work}/sshd.conf", "w").write(f"""Port {port}\nListenAddress 127.0.0.2\nHostKey {work}/host\nAuthorizedKeysFile {work}/authorized_keys
StrictModes no\nUsePAM no\nPasswordAuthentication no\nPidFile {work}/sshd.pid\nLogLevel ERROR\n""")
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", f"{work}/sshd.conf"])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.2", port), 0.2).close(); break
        except OSError:
            time.sleep(0.05)
    key = open(f"{work}/host.pub").read().split()
    open(f"{work}/known_hosts", "w").write(f"[127.0.0.2]:{port} {key[0]} {key[1]}\n")
    return proc, port


def timed(cmd, env=None):
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.monotonic() - t


def main():
    work = tempfile.mkdtemp(prefix="ocore-bench-engine-")
    home = work + "/home"
    sshd, port = start_sshd(work)
    user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    try:
        subprocess.run([OCORE, "server", "add", "erp", "--home", home, "--ssh", f"{user}@127.0.0.2:{port}", "--identity", f"{work}/id",
                        "--known-hosts", f"{work}/known_hosts"], check=True, stdout=subprocess.DEVNULL)
        n = str(args.bytes)
        ssh = ["ssh", "-q", "-i", f"{work}/id", "-o", f"UserKnownHostsFile={work}/known_hosts", "-o", "BatchMode=yes", "-p", str(port),
               f"{user}@127.0.0.2", "head", "-c", n, "/dev/zero"]
        mine = [OCORE, "server", "exec", "erp", "--home", home, "--", "head", "-c", n, "/dev/zero"]
        a, b = [], []
        for _ in range(args.runs):
            a.append(timed(ssh)); b.append(timed(mine))
        mib = args.bytes / (1 << 20)
        result = {
            "ssh_stream_mib_s_openssh": round(mib / statistics.median(a), 1),
            "ssh_stream_mib_s_ocore": round(mib / statistics.median(b), 1),
            "ssh_stream_ratio_ocore_vs_openssh": round(statistics.median(a) / statistics.median(b), 3),
            "ssh_stream_runs": {"openssh_s": [round(x, 2) for x in a], "ocore_s": [round(x, 2) for x in b]},
        }
        # Engine overhead per step.
        steps = 50
        out = subprocess.run([OCORE, "jobs", "diagnose", "--home", home, "--steps", str(steps), "--seconds", "0", "--scratch", work + "/s",
                              "--follow"], check=True, capture_output=True, text=True).stdout
        job_id = int(out.split()[1])
        db = sqlite3.connect(home + "/ocore.db")
        started, ended = db.execute("SELECT started_at, ended_at FROM job WHERE id = ?", (job_id,)).fetchone()
        parse = lambda s: datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()
        total = parse(ended) - parse(started)
        spawn = timed(["sh", "-c", f"for i in $(seq {steps}); do sleep 0; done"])
        result["engine_job_seconds_50_steps"] = round(total, 3)
        result["engine_overhead_ms_per_step"] = round((total - spawn) / steps * 1000, 2)
        print(json.dumps(result, indent=2))
    finally:
        sshd.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
