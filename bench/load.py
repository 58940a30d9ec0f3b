"""Capacity (issue 14 §6): N students at once on one server, or on two replicas behind HAProxy.

Each student is a real Streamlit session, driven through Streamlit's own websocket protocol (the
``BackMsg`` / ``ForwardMsg`` protobufs a browser sends and receives) on the residual page. Every 2–4 s
(at random) it clicks Next or Previous (a rerun of the step player's fragment, as the browser sends
it) and every fourth action "New random example" (a whole rerun with new matrices, like an edit). A
response time runs from the click until the server says the script run has finished, with every
element of the new step received. Memory per session is the growth of the servers' resident memory
with all N sessions open, divided by N.

Students are protocol clients rather than browser tabs because this machine has two cores: 60 tabs of
Chromium drawing Vega charts on one core measure the browser, not the server (tried: 30 tabs could
not open the page within 2 minutes). Each student's own device draws its page; the server's work is
what this measures. The server runs on core 0 and the clients on the last core; with two replicas
each replica has a core and the clients share them. This is a benchmark, not a test:

    python bench/load.py                  # N = 10, 30, 60 on one server, then 30 and 60 on two replicas
    python bench/load.py --sessions 10 --replicated --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import statistics
import subprocess
import sys
import time

from chromium import ROOT, _wait_healthy

sys.path.insert(0, str(ROOT))
from deploy.loopback import haproxy  # noqa: E402  (deploy/haproxy.cfg on loopback, as the replica test)

PORTS = (8631, 8632)  # the replicas; HAProxy listens on 8630
PROXY = 8630
CORES = os.cpu_count() or 1
STEP = re.compile(r"^Step (\d+) of (\d+)")


def _rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (the streamlit server), in MB."""
    total = 0
    for p in [pid, *_children(pid)]:
        with contextlib.suppress(OSError), open(f"/proc/{p}/status") as f:
            total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS"))
    return total / 1024


def _children(pid: int) -> list[int]:
    with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(c) for c in f.read().split()]
    return []


@contextlib.contextmanager
def _replicas(n: int):
    """``n`` streamlit servers, replica k pinned to core k (of 2): their pids and URLs."""
    procs = []
    try:
        for k in range(n):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                 "--server.port", str(PORTS[k]), "--server.address", "127.0.0.1",
                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=lambda core=k % CORES: os.sched_setaffinity(0, {core})))
        for port in PORTS[:n]:
            _wait_healthy(f"http://127.0.0.1:{port}")
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=10)


class Session:
    """One student's Streamlit session over the websocket: the buttons on the page (label → widget id
    and the fragment that drew it) and the step shown."""

    def __init__(self, ws, page: str):
        self.ws, self.page, self.buttons, self.step = ws, page, {}, (1, 1)

    async def rerun(self, button: str | None = None) -> None:
        """Run the page (clicking ``button``) and read every message until the run has finished."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        msg.rerun_script.page_name = self.page
        if button is not None:
            widget_id, fragment = self.buttons[button]
            w = msg.rerun_script.widget_states.widgets.add()
            w.id, w.trigger_value = widget_id, True
            msg.rerun_script.fragment_id = fragment
        await self.ws.send(msg.SerializeToString())
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await self.ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "script_finished":
                return
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                if el.WhichOneof("type") == "button":
                    self.buttons[el.button.label] = (el.button.id, fm.delta.fragment_id)
                elif el.WhichOneof("type") == "heading" and (m := STEP.match(el.heading.body)):
                    self.step = (int(m.group(1)), int(m.group(2)))


async def _student(url: str, seconds: float, seed: int, times: dict, ready: asyncio.Event,
                   opened: list) -> None:
    import websockets

    rng = random.Random(seed)
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2 ** 24,
                                  open_timeout=120) as ws:
        student = Session(ws, "residual_block")
        await asyncio.wait_for(student.rerun(), 120)
        opened.append(1)
        if not seconds:
            return
        await ready.wait()
        end = time.monotonic() + seconds
        k, direction = 0, "Next"
        while time.monotonic() < end:
            await asyncio.sleep(rng.uniform(2, 4))
            k += 1
            step, n = student.step
            direction = "Previous" if step == n else "Next" if step == 1 else direction
            action = "new example" if k % 4 == 0 else "step"
            t0 = time.perf_counter()
            try:
                await asyncio.wait_for(student.rerun("New random example" if action == "new example"
                                                     else direction), 30)
                times.setdefault(action, []).append((time.perf_counter() - t0) * 1000)
            except asyncio.TimeoutError:
                times.setdefault("timed out", []).append(1)
                return


async def _run(url: str, n: int, seconds: float, pids: list[int]) -> dict:
    os.sched_setaffinity(0, {os.cpu_count() - 1})  # the clients on the last core
    times: dict = {}
    for _ in pids:  # a first session on each replica imports the engine: not counted per student
        await _student(url, 0, 0, {}, asyncio.Event(), [])
    before = sum(_rss_mb(p) for p in pids)
    ready, opened = asyncio.Event(), []
    tasks = [asyncio.create_task(_student(url, seconds, 100 + i, times, ready, opened)) for i in range(n)]
    while len(opened) < n and not any(t.done() for t in tasks):
        await asyncio.sleep(0.5)
    after = sum(_rss_mb(p) for p in pids)
    ready.set()
    await asyncio.gather(*tasks)
    os.sched_setaffinity(0, set(range(os.cpu_count())))
    return {"times": times, "mb_per_session": (after - before) / n, "rss_mb": after}


def _row(label: str, n: int, result: dict) -> str:
    t = result["times"]
    cells = []
    for action in ("step", "new example"):
        xs = sorted(t.get(action, []))
        if xs:
            p95 = xs[min(len(xs) - 1, int(0.95 * len(xs)))]
            cells.append(f"{action}: p50 {statistics.median(xs):.0f} ms, p95 {p95:.0f} ms ({len(xs)})")
    timed_out = len(t.get("timed out", []))
    return (f"| {label} | {n} | {' · '.join(cells)} | {result['mb_per_session']:.1f} | "
            f"{result['rss_mb']:.0f} | {timed_out} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, nargs="*", default=[10, 30, 60])
    ap.add_argument("--replicated", type=int, nargs="*", default=[30, 60],
                    help="session counts to run on two replicas behind HAProxy")
    ap.add_argument("--seconds", type=float, default=60)
    a = ap.parse_args()
    print("| servers | sessions | response times | MB per session | server MB | timed out |")
    print("|---|---:|---|---:|---:|---:|")
    for n in a.sessions:
        with _replicas(1) as pids:
            print(_row("one server, one core", n, asyncio.run(_run(f"http://127.0.0.1:{PORTS[0]}", n,
                                                                  a.seconds, pids))), flush=True)
    for n in a.replicated:
        with _replicas(2) as pids, haproxy(PORTS, PROXY, cookie_key="bench") as proxy:
            print(_row("two replicas + HAProxy", n, asyncio.run(_run(proxy.url, n, a.seconds, pids))),
                  flush=True)


if __name__ == "__main__":
    main()
