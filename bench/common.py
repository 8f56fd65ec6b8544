"""Helpers shared by the benchmark scripts: running commands, timing, statistics, and loopback
servers (OpenSSH) started the way the tests start theirs."""
import json, os, shutil, socket, statistics, subprocess, tempfile, time


def demo_production(ocore, home):
    """The demo's production as `env show --json` resolves it: psql's connection arguments, its
    database and its filestore."""
    env = json.loads(subprocess.run([ocore, "env", "show", "production", "--json", "--home", home], check=True, capture_output=True).stdout)
    return ["-h", env["pg_host"], "-p", str(env["pg_port"]), "-U", env["pg_user"]], env["db_name"], env["filestore"]


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


def timed(f):
    t = time.monotonic()
    f()
    return time.monotonic() - t


def summary(values):
    """Median, min and max, rounded, of a list of seconds."""
    return {"median": round(statistics.median(values), 2), "min": round(min(values), 2), "max": round(max(values), 2),
            "runs": [round(v, 2) for v in values]}


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_port(host, port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {host}:{port}")


class SSHD:
    """An OpenSSH server on a loopback address with throwaway host and user keys."""

    def __init__(self, address="127.0.0.4"):
        self.work = tempfile.mkdtemp(prefix="ocore-bench-sshd-", dir="/var/tmp")
        self.address = address
        for k in ("host", "user"):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", f"{self.work}/{k}"], check=True)
        shutil.copy(f"{self.work}/user.pub", f"{self.work}/authorized_keys")
        self.port = free_port(address)
        open(f"{self.work}/sshd.conf", "w").write(f"""Port {self.port}
ListenAddress {address}
HostKey {self.work}/host
AuthorizedKeysFile {self.work}/authorized_keys
PidFile {self.work}/sshd.pid
StrictModes no
UsePAM no
PasswordAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
MaxSessions 50
""")
        os.makedirs("/run/sshd", exist_ok=True)
        self.proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", f"{self.work}/sshd.conf"],
                                     stdout=subprocess.DEVNULL, stderr=open(f"{self.work}/sshd.log", "w"))
        host_key = open(f"{self.work}/host.pub").read().split()
        open(f"{self.work}/known_hosts", "w").write(f"[{address}]:{self.port} {host_key[0]} {host_key[1]}\n")
        wait_port(address, self.port)
        self.user = os.environ.get("USER") or subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()

    @property
    def identity(self):
        return f"{self.work}/user"

    @property
    def known_hosts(self):
        return f"{self.work}/known_hosts"

    def ssh(self, *command):
        """An argument vector running `command` on the server through the OpenSSH client."""
        return ["ssh", "-q", "-i", self.identity, "-o", f"UserKnownHostsFile={self.known_hosts}", "-o", "BatchMode=yes",
                "-p", str(self.port), f"{self.user}@{self.address}", *command]

    def stop(self):
        self.proc.terminate()
        shutil.rmtree(self.work, ignore_errors=True)
