#!/usr/bin/env python3
"""Measures the dashboard as a terminal sees it, through a pty:

- time to first frame with 1,000 environments, 100,000 job rows and 100,000 backups in the store;
- keystroke-to-frame latency (median of 40 `j` presses) and bytes per such frame;
- the Jobs view (J) over those jobs: time to open, and each filter keystroke to its frame;
- bytes written while idle, and per progress update while a job runs;
- CPU of the dashboard and the probes it runs, over 20 s with 1,000 environments;
- resident memory.

Usage: bench/tui_bench.py [path/to/ocore]   (default .build/release/ocore)
"""
import json, os, pty, select, signal, sqlite3, statistics, struct, subprocess, sys, tempfile, termios, fcntl, time

OCORE = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/ocore")


def make_home(envs, jobs, backups=0):
    home = tempfile.mkdtemp(prefix="ocore-bench-tui-")
    lines = ['[[servers]]\nname = "local"\npg_host = "/nonexistent"\n']
    for i in range(envs):
        kind = ["production", "staging", "development"][i % 3]
        lines.append(f'[[environments]]\nname = "env-{i:04d}"\nproject = "project-{i // 20:03d}"\ntype = "{kind}"\nserver = "local"\ndb = "db_{i:04d}"\n')
    path = os.path.join(home, "inv.toml")
    open(path, "w").write("\n".join(lines))
    subprocess.run([OCORE, "inventory", "import", path, "--home", home], check=True, capture_output=True)
    if jobs or backups:
        db = sqlite3.connect(os.path.join(home, "ocore.db"))
        db.executemany("INSERT INTO job (kind, environment, status, created_by, progress) VALUES ('backup', ?, 'completed', 'bench', 100)",
                       ((f"env-{i % envs:04d}",) for i in range(jobs)))
        # Backups spread over the environments, one a day going back in time.
        db.executemany("INSERT INTO backup (id, environment, project, storage, key, format, type, status, include_filestore, created_at, "
                       "completed_at, size, sha256, tier, expires_at, verified_at, database_name) VALUES "
                       "(?, ?, ?, 'nas', ?, 'odoo-zip', 'scheduled', 'completed', 1, ?, ?, 1073741824, 'x', 'daily', ?, ?, ?)",
                       ((f"b{i:06d}", f"env-{i % envs:04d}", f"project-{(i % envs) // 20:03d}", f"backups/b{i:06d}.zip",
                         time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 86400 * (i // envs))),
                         time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 86400 * (i // envs) + 60)),
                         time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 86400 * 7)),
                         time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - 86400 * (i // envs) + 90)),
                         f"db_{i % envs:04d}") for i in range(backups)))
        db.commit()
        db.close()
    return home


class Pty:
    def __init__(self, args, cols=120, rows=40):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ.update(TERM="xterm-256color", LANG="C.UTF-8", ESCDELAY="25")
            os.execv(args[0], args)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def read_for(self, seconds):
        data, end = b"", time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return data
            r, _, _ = select.select([self.fd], [], [], left)
            if r:
                try:
                    data += os.read(self.fd, 65536)
                except OSError:
                    return data

    def wait_for(self, marker, timeout=10):
        data, start = b"", time.monotonic()
        while marker not in data and time.monotonic() - start < timeout:
            r, _, _ = select.select([self.fd], [], [], 0.05)
            if r:
                data += os.read(self.fd, 65536)
        return time.monotonic() - start, data

    def rss_kib(self):
        for line in open(f"/proc/{self.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])

    def cpu_seconds(self):
        """User + system time of the process and of the children it reaped (the probes' psql, du)."""
        fields = open(f"/proc/{self.pid}/stat").read().rsplit(")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")

    def close(self):
        os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)


def main():
    results = {}
    home = make_home(1000, 100_000, backups=100_000)
    start = time.monotonic()
    term = Pty([OCORE, "--home", home])
    _, data = term.wait_for(b"1000 environments")
    results["first_frame_ms"] = round((time.monotonic() - start) * 1000, 1)
    term.read_for(1.0)
    latencies, sizes = [], []
    for _ in range(40):
        t0 = time.monotonic()
        os.write(term.fd, b"j")
        r, _, _ = select.select([term.fd], [], [], 1)
        if r:
            latencies.append((time.monotonic() - t0) * 1000)
            sizes.append(len(term.read_for(0.03)))
    results["keystroke_to_frame_ms_median"] = round(statistics.median(latencies), 2)
    results["bytes_per_keystroke_frame_median"] = int(statistics.median(sizes))
    results["rss_mib_1000_envs"] = round(term.rss_kib() / 1024, 1)
    # The Jobs view over 100,000 job rows: J to its first frame, then each filter keystroke to its frame.
    t0 = time.monotonic()
    os.write(term.fd, b"J")
    # The title counts the rows once they are there ("Jobs · 2000 of 2000 (the newest 2000)");
    # ncurses sends only the cells that change, so the marker is the new part of it.
    opened, data = term.wait_for(b"the newest 2000")
    results["jobs_view_open_ms"] = round(opened * 1000, 1) if b"the newest 2000" in data else None
    term.read_for(0.5)
    os.write(term.fd, b"/")
    term.read_for(0.3)
    filter_latencies = []
    for ch in b"env-0042":
        t0 = time.monotonic()
        os.write(term.fd, bytes([ch]))
        r, _, _ = select.select([term.fd], [], [], 1)
        if r:
            filter_latencies.append((time.monotonic() - t0) * 1000)
            term.read_for(0.05)
    results["jobs_filter_keystroke_ms_median"] = round(statistics.median(filter_latencies), 2) if filter_latencies else None
    term.close()

    # What probing 1,000 environments costs: CPU over 20 s once the dashboard is up.
    term = Pty([OCORE, "--home", home])
    term.wait_for(b"1000 environments")
    term.read_for(3.0)
    before = term.cpu_seconds()
    term.read_for(20.0)
    results["cpu_percent_of_a_core_1000_envs"] = round((term.cpu_seconds() - before) / 20 * 100, 1)
    term.close()

    # Idle and progress updates, on a small inventory whose probes have settled.
    small = make_home(3, 0)
    term = Pty([OCORE, "--home", small])
    term.wait_for(b"3 environments")
    term.read_for(3.0)
    idle = term.read_for(10.0)
    results["idle_bytes_per_second"] = round(len(idle) / 10.0, 1)
    subprocess.run([OCORE, "jobs", "diagnose", "--home", small, "--env", "env-0001", "--steps", "20", "--seconds", "0.5",
                    "--scratch", small + "/scratch"], check=True, capture_output=True)
    term.wait_for(b"#1 diagnostic")
    term.read_for(0.5)
    # A frame is one burst of output (doupdate writes it at once); bursts are > 50 ms apart.
    bursts, end, last = [], time.monotonic() + 6, 0.0
    while time.monotonic() < end:
        r, _, _ = select.select([term.fd], [], [], 0.05)
        if r:
            chunk, now = os.read(term.fd, 65536), time.monotonic()
            if bursts and now - last < 0.05:
                bursts[-1] += len(chunk)
            else:
                bursts.append(len(chunk))
            last = now
    results["progress_updates_measured"] = len(bursts)
    results["bytes_per_progress_update_median"] = int(statistics.median(bursts)) if bursts else None
    results["rss_mib_3_envs"] = round(term.rss_kib() / 1024, 1)
    term.close()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
