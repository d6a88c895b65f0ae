"""The course server under load: simulated students SUBMITting at a fixed arrival rate.

Starts `gdlab serve` on 127.0.0.1 (a fresh SQLite gradebook, or ``--db``), enrols the students,
then for each rate sends SUBMITs of varied `gradient_basic` files — right answers and every
catalogued mistake, each file different from all others, so no cache can stand in for grading —
at that rate for a fixed time (open loop: arrivals do not wait for answers). A SUBMIT's latency
is from sending to having its graded result. The CPU time per SUBMIT of the web process (app ms)
and of the grading workers with their sandboxes (grading ms) is printed too. A rate is
*sustained* when the 95th percentile is at most 0.5 s and every submission is recorded and
graded. Only 127.0.0.1 is contacted; every loop is bounded in count and time.

    .venv/bin/python bench/server_load.py [--rates 4,6,8,10] [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.load import exercise as exercises  # noqa: E402
from autograder.record.gradebook import Gradebook  # noqa: E402
from autograder.server.store import Store  # noqa: E402

MAX_REQUESTS = 20_000
#: A connection idle this long is not reused (uvicorn closes one idle for 5 s).
KEEP_ALIVE = 3.0
P95_GOAL = 0.5


def variants(count: int) -> list[str]:
    """`count` different gradient_basic answers: right ones and each catalogued mistake."""
    exercise = exercises.get("gradient_basic")
    forms = [exercise.reference] * 3 + [m.apply(exercise.reference) for m in exercise.mistakes]
    return [
        f"{forms[i % len(forms)]}\n# student answer {i}: {i * 7919 % 104729}\n"
        for i in range(count)
    ]


def cpu(pid: int) -> tuple[float, float, float, float]:
    """CPU seconds so far of: the web process; the grading workers (the judge and the
    gradebook writes); the sandbox workers (which fork and watch the cases); the case
    processes (confinement and the student's program), counted when their worker reaps them."""
    import psutil

    server = psutil.Process(pid)
    app = server.cpu_times()
    grading = sandbox = cases = 0.0
    for worker in server.children():
        try:
            times = worker.cpu_times()
            grading += times.user + times.system
            for process in worker.children(recursive=True):
                own = process.cpu_times()
                sandbox += own.user + own.system
                cases += own.children_user + own.children_system
        except psutil.NoSuchProcess:
            continue
    return app.user + app.system, grading, sandbox, cases


def _own_cpu() -> float:
    """CPU seconds of this process (the load generator: its HTTP client shares the cores)."""
    times = os.times()
    return times.user + times.system


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    """A minimal keep-alive HTTP/1.1 client for 127.0.0.1, just what the benchmark sends.

    httpx cost the load generator 6 ms of CPU a SUBMIT (15 at 60/s), on the same two cores as
    the server it measures; this costs a fraction of that. Bounded: headers up to asyncio's
    64 KiB line limit, bodies up to `MAX_BODY`, at most `MAX_CONNECTIONS` connections."""

    MAX_BODY = 4 * 2**20
    MAX_CONNECTIONS = 1000

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.opened = 0

    async def request(self, method: str, path: str, token: str, body: dict | None = None) -> dict:
        while self.idle:
            reader, writer, since = self.idle.pop()
            if time.monotonic() - since < KEEP_ALIVE:
                break
            writer.close()  # the server may be closing it: idle longer than it keeps one
            self.opened -= 1
        else:
            if self.opened >= self.MAX_CONNECTIONS:
                raise OSError("too many connections")
            reader, writer = await asyncio.open_connection(self.host, self.port)
            self.opened += 1
        payload = b"" if body is None else json.dumps(body).encode()
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        writer.write(head.encode() + payload)
        try:
            headers = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
            length = next(
                int(line.split(":", 1)[1])
                for line in headers.split("\r\n")
                if line.startswith("content-length:")
            )
            if not 0 <= length <= self.MAX_BODY:
                raise ValueError("body too large")
            answer = json.loads(await reader.readexactly(length))
        except BaseException:
            writer.close()
            self.opened -= 1
            raise
        self.idle.append((reader, writer, time.monotonic()))
        return answer

    def close(self) -> None:
        for _, writer, _ in self.idle:
            writer.close()
        self.idle.clear()


async def one(client: Client, token: str, code: str) -> tuple[float, bool]:
    started = time.perf_counter()
    try:
        answer = await client.request(
            "POST", "/api/exercises/gradient_basic/submit?wait=30", token, {"code": code}
        )
        while answer.get("state") != "done":
            answer = await client.request("GET", f"/api/jobs/{answer['job']}?wait=30", token)
    except (OSError, asyncio.IncompleteReadError, StopIteration, KeyError, ValueError):
        return time.perf_counter() - started, False
    return time.perf_counter() - started, answer["result"].get("score") is not None


async def at_rate(
    port: int, tokens: list[str], codes: list[str], rate: float, seconds: float
) -> list[tuple[float, bool]]:
    count = min(int(rate * seconds), MAX_REQUESTS)
    client = Client("127.0.0.1", port)
    try:
        start = time.perf_counter()
        tasks = []
        for i in range(count):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, tokens[i % len(tokens)], codes[i])))
        return await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 120)
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="10,20,40,60,80,100")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--students", type=int, default=500)
    parser.add_argument("--db", help="gradebook URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="gdlab-load-")
    url = args.db or f"sqlite:///{home}/gradebook.db"
    with Gradebook(url) as book:
        store = Store(book)
        tokens = [store.add_person(f"student{i:04d}") for i in range(args.students)]
    rates = [float(r) for r in args.rates.split(",")]
    codes = variants(sum(min(int(r * args.seconds), MAX_REQUESTS) for r in rates))
    assert len(set(codes)) == len(codes)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GDLAB_HOME": home}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "serve",
            "--db",
            url,
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--submit-limit",
            "0",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/static/gdlab.css", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("gdlab serve did not start") from None
                time.sleep(0.2)
        # warm up: the workers boot their sandboxes and load the exercise (not measured)
        warm = [f"{c}\n# warm-up {i}\n" for i, c in enumerate(variants(2 * args.workers))]
        asyncio.run(at_rate(port, tokens, warm, 2 * args.workers, 1.0))
        print(
            f"{os.cpu_count()} cores, {args.workers} grading workers, 1 app process, "
            f"{'PostgreSQL' if url.startswith('postgresql') else 'SQLite'}; "
            f"{args.seconds:g} s per rate; load average before: {os.getloadavg()[0]:.1f} "
            "(anything above 0 is other work sharing the cores)"
        )
        print(
            f"{'rate/s':>7} {'sent':>6} {'graded':>6} {'p50 s':>7} {'p95 s':>7} "
            f"{'max s':>7} {'recorded':>8}   CPU ms per SUBMIT: {'web':>5} {'judge':>5} "
            f"{'sandbox':>7} {'cases':>5} {'total':>5}  (load generator: {'client':>6})"
        )
        best = best_cpu = 0.0
        used = failures = 0
        for rate in rates:
            count = min(int(rate * args.seconds), MAX_REQUESTS)
            before = len(Gradebook(url).rows())
            cpu_before, client_before = cpu(server.pid), _own_cpu()
            results = asyncio.run(
                at_rate(port, tokens, codes[used : used + count], rate, args.seconds)
            )
            used += count
            rows = Gradebook(url).rows()[before:]
            recorded = len(rows) == count and all(r.status == "graded" for r in rows)
            latencies = sorted(t for t, _ in results)
            graded = sum(ok for _, ok in results)
            p95 = latencies[int(0.95 * (len(latencies) - 1))]
            spent = [
                (b - a) / count * 1000 for a, b in zip(cpu_before, cpu(server.pid), strict=True)
            ]
            client = (_own_cpu() - client_before) / count * 1000
            print(
                f"{rate:7g} {count:6d} {graded:6d} {statistics.median(latencies):7.3f} "
                f"{p95:7.3f} {latencies[-1]:7.3f} {'all' if recorded else 'NO':>8}   "
                f"{'':>18} {spent[0]:5.1f} {spent[1]:5.1f} {spent[2]:7.1f} {spent[3]:5.1f} "
                f"{sum(spent):5.1f}  {'':>18}{client:6.1f}",
                flush=True,
            )
            if p95 <= P95_GOAL and recorded and graded == count:
                best, best_cpu, failures = rate, sum(spent), 0
            else:
                failures += 1
                if failures == 2:  # two rates in a row missed: higher ones will too
                    break
        print(
            f"highest rate sustained (p95 <= {P95_GOAL} s, every SUBMIT recorded): "
            f"{best:g} SUBMITs/s, {best_cpu:.1f} ms CPU per SUBMIT there; "
            f"load average after: {os.getloadavg()[0]:.1f}"
        )
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
