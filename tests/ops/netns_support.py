"""Test hosts in network namespaces: a bridge in the root namespace, one namespace per host
joined to it by a veth pair, a private PostgreSQL instance in one of them, nginx in another.

Everything is named with a per-run tag and removed by ``Lab.close()``, so runs on a shared
machine neither collide nor leave anything behind.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

PG_BIN = Path("/usr/lib/postgresql/15/bin")


def missing_prerequisite() -> str | None:
    """Why the multi-host test cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "nginx", "runuser"):
        if shutil.which(tool) is None:
            return f"needs {tool} (Debian: apt-get install -y iproute2 nginx)"
    if not (PG_BIN / "initdb").exists():
        return f"needs PostgreSQL 15 server binaries in {PG_BIN}"
    probe = f"amprobe{secrets.token_hex(2)}"
    if subprocess.run(["ip", "netns", "add", probe], capture_output=True).returncode != 0:
        return "ip netns is not permitted here"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def sh(*cmd: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120)
    if check and out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {out.stderr.strip()}")
    return out


class Lab:
    """A bridge ``amb<tag>`` at 10.<net>.<sub>.1/24 and hosts at .<n> in namespaces."""

    def __init__(self, root: Path) -> None:
        self.tag = secrets.token_hex(2)
        self.root = root
        self.net = f"10.{200 + secrets.randbelow(50)}.{secrets.randbelow(250)}"
        self.bridge = f"amb{self.tag}"
        self.hosts: dict[str, tuple[str, str]] = {}  # name -> (namespace, veth inside)
        self.procs: list[subprocess.Popen[bytes]] = []
        self.pgdata: Path | None = None
        self.pgroot: Path | None = None
        sh("ip", "link", "add", self.bridge, "type", "bridge")
        sh("ip", "addr", "add", f"{self.net}.1/24", "dev", self.bridge)
        sh("ip", "link", "set", self.bridge, "up")

    def ip(self, host: str) -> str:
        return f"{self.net}.{list(self.hosts).index(host) + 10}"

    def add_host(self, name: str) -> str:
        ns = f"am{self.tag}{name}"
        inside, outside = f"ami{self.tag}{name}"[:15], f"amo{self.tag}{name}"[:15]
        self.hosts[name] = (ns, inside)
        sh("ip", "netns", "add", ns)
        sh("ip", "link", "add", inside, "type", "veth", "peer", "name", outside)
        sh("ip", "link", "set", inside, "netns", ns)
        sh("ip", "link", "set", outside, "master", self.bridge)
        sh("ip", "link", "set", outside, "up")
        sh("ip", "netns", "exec", ns, "ip", "addr", "add", f"{self.ip(name)}/24", "dev", inside)
        sh("ip", "netns", "exec", ns, "ip", "link", "set", inside, "up")
        sh("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up")
        return self.ip(name)

    def cut(self, name: str) -> None:
        """Pull the host's cable: its interface goes down, in-flight traffic is lost."""
        ns, inside = self.hosts[name]
        sh("ip", "netns", "exec", ns, "ip", "link", "set", inside, "down")

    def spawn(self, host: str, cmd: list[str], env: dict[str, str], log: Path,
              user: str | None = None) -> subprocess.Popen[bytes]:
        ns = self.hosts[host][0]
        prefix = ["ip", "netns", "exec", ns] + (["runuser", "-u", user, "--"] if user else [])
        with log.open("ab") as out:
            proc = subprocess.Popen(prefix + cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=str(self.root), start_new_session=True)
        self.procs.append(proc)
        return proc

    # ------------------------------------------------------------------ PostgreSQL
    def start_postgres(self, host: str) -> str:
        """A private PostgreSQL instance in ``host`` (stopping it harms no one else)."""
        # Outside pytest's private (0700) temporary directory: the server runs as postgres.
        self.pgroot = Path(tempfile.mkdtemp(prefix="amity-lab-pg-"))
        self.pgroot.chmod(0o755)
        data = self.pgroot / "data"
        data.mkdir()
        shutil.chown(self.pgroot, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
        sh("runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(data),
           "-A", "trust", "-U", "postgres", "--no-sync")
        with (data / "pg_hba.conf").open("a") as f:
            f.write(f"host all all {self.net}.0/24 trust\n")
        with (data / "postgresql.conf").open("a") as f:
            f.write(f"listen_addresses = '{self.ip(host)}'\nport = 5432\n"
                    f"unix_socket_directories = '{data}'\nfsync = off\n"
                    "shared_buffers = 32MB\nmax_connections = 60\n")
        self.pgdata = data
        self.pg_ctl(host, "start")
        return f"postgresql://postgres@{self.ip(host)}:5432/postgres"

    def pg_ctl(self, host: str, action: str) -> None:
        assert self.pgdata is not None
        ns = self.hosts[host][0]
        extra = ["-m", "fast"] if action == "stop" else ["-l", str(self.pgdata / "pg.log")]
        sh("ip", "netns", "exec", ns, "runuser", "-u", "postgres", "--",
           str(PG_BIN / "pg_ctl"), "-D", str(self.pgdata), "-w", "-t", "60", *extra, action)

    # ------------------------------------------------------------------ teardown
    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, 15)
        deadline = time.monotonic() + 30
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
        if self.pgdata is not None and (self.pgdata / "postmaster.pid").exists():
            sh("runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D",
               str(self.pgdata), "-m", "immediate", "stop", check=False)
        if self.pgroot is not None:
            shutil.rmtree(self.pgroot, ignore_errors=True)
        for ns, _ in self.hosts.values():
            sh("ip", "netns", "del", ns, check=False)
        sh("ip", "link", "del", self.bridge, check=False)
