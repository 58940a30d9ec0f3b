"""HAProxy in front of app replicas on this machine: deploy/haproxy.cfg without containers.

The compose file's ``server-template`` (and the Docker DNS resolver it needs) gives way to one ``server``
line per local port, ``app1``, ``app2``, …; the rest (the sticky cookie, the health check, the timeouts)
is the deployment's own. Used by ``bench/load.py`` and ``tests/browser/test_replicas.py``, which start
the replicas themselves.
"""

from __future__ import annotations

import contextlib
import csv
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CFG = Path(__file__).with_name("haproxy.cfg")


def loopback_config(ports) -> str:
    """deploy/haproxy.cfg with servers `app1`, `app2`, … on 127.0.0.1:`ports` in place of its template."""
    lines = []
    for line in CFG.read_text().splitlines():
        if line.strip().startswith("server-template"):
            lines += [f"    server app{k} 127.0.0.1:{port} check" for k, port in enumerate(ports, 1)]
        elif not (line.startswith("resolvers") or line.strip().startswith(("nameserver", "hold"))):
            lines.append(line)
    return "\n".join(lines) + "\n"


class Proxy:
    """A running HAProxy: its ``url``, and its servers as its statistics show them."""

    def __init__(self, url: str, cli: Path):
        self.url, self.cli = url, cli

    def servers(self) -> dict[str, dict]:
        """The backend's servers by name (``app1``, …): HAProxy's rows, with ``status`` (``UP``, ``DOWN``)
        and ``cookie`` (the value of the affinity cookie that pins a browser to that server)."""
        with socket.socket(socket.AF_UNIX) as s:  # the master CLI, passed on to the worker (@1)
            s.settimeout(5)
            s.connect(str(self.cli))
            s.sendall(b"@1 show stat\n")
            s.shutdown(socket.SHUT_WR)  # the end of the commands: the CLI answers, then closes
            out = b"".join(iter(lambda: s.recv(65536), b"")).decode()
        rows = csv.DictReader(out.removeprefix("# ").splitlines())
        return {r["svname"]: r for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")}


@contextlib.contextmanager
def haproxy(ports, port: int, *, cookie_key: str = "loopback", log=subprocess.DEVNULL, timeout: float = 30):
    """Debian's ``haproxy`` on 127.0.0.1:``port`` in front of the replicas on ``ports``, once every one of
    them passes its health check: a Proxy. Stopped, and its files removed, on exit."""
    folder = Path(tempfile.mkdtemp(prefix="byhand-haproxy-"))
    (folder / "haproxy.cfg").write_text(loopback_config(ports))
    env = {**os.environ, "BYHAND_LISTEN": f"127.0.0.1:{port}", "BYHAND_COOKIE_KEY": cookie_key}
    proc = subprocess.Popen(["haproxy", "-W", "-S", str(folder / "cli"), "-f", str(folder / "haproxy.cfg")],
                            env=env, stdout=log, stderr=subprocess.STDOUT)
    proxy = Proxy(f"http://127.0.0.1:{port}", folder / "cli")
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"haproxy exited with code {proc.returncode}")
            with contextlib.suppress(OSError, KeyError):  # not listening yet
                servers = proxy.servers()
                if len(servers) == len(ports) and all(s["status"] == "UP" for s in servers.values()):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy's servers were not all up within {timeout:.0f} s")
            time.sleep(0.2)
        yield proxy
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)
