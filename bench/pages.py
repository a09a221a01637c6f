"""Public pages under load, side by side with a bare Django "hello world" (issue 18).

One run serves, each in turn under the same gunicorn (2 sync workers; `--workers`), with the production
settings and the demo data (`crosscluster load-demo`):

- `hello`: a bare Django hello world (bench/hello_django.py: no middleware, no database), the yardstick;
- the public mix — home, directory, calendar, an organisation, topics, notices, the organisations API — on
  SQLite and on PostgreSQL, each three times: the page cache off (every request renders: what a page costs
  uncached), `cold` (the cache on, a new version just bumped, the processes fresh: every page is rendered
  once, then served) and `warm` (the same server again, every page cached).

and prints requests/s, p50 and p95 at 20 and 100 connections. The load client runs in `--client-processes`
processes of threads, each thread one connection (`http.client`, keep-alive where the server keeps it;
gunicorn's sync workers close after every answer), asking like a browser (gzip and brotli accepted,
`X-Forwarded-Proto: https` as from the proxy, a browser's user agent, so page views are counted). It prints
its own share of the machine's CPU and the server's, so that a client that is itself the bottleneck shows.
The machine's load (`uptime`) is printed at the start and the end. It is not a test; docs/operations.md
quotes its figures.

Needs gunicorn, the `production` extra: `.venv/bin/pip install -e ".[production,dev]"` (`make install`
installs `dev` only). PostgreSQL: `--postgres-url` (default
postgres://postgres@127.0.0.1:5432/pages_bench_h18), dropped and created anew; `--databases sqlite` skips it.

Usage: .venv/bin/python bench/pages.py [--seconds 8] [--connections 20,100] [--databases sqlite,postgres]
       [--workers 2] [--client-processes 2] [--modes off,cold,warm]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CROSSCLUSTER = [sys.executable, "-m", "crosscluster"]
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0"
HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br",
    "User-Agent": BROWSER,
    "X-Forwarded-Proto": "https",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


# --- The load client -------------------------------------------------------------------------------------


def _client_process(
    port: int, paths: list[str], threads: int, offset: int, seconds: float, start: float, out
):
    """`threads` connections asking for `paths` in turn until `start + seconds`; sends back the latencies."""
    latencies: list[float] = []
    failures = [0]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    end = start + seconds

    def loop(number: int) -> None:
        own: list[float] = []
        own_statuses: dict[int, int] = {}
        connection = None
        index = number + offset
        while True:
            now = time.perf_counter()
            if now >= end:
                break
            path = paths[index % len(paths)]
            index += 1
            try:
                if connection is None:
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                connection.request("GET", path, headers=HEADERS)
                response = connection.getresponse()
                response.read()
                if response.will_close:
                    connection.close()
                    connection = None
            except (OSError, http.client.HTTPException):
                if connection is not None:
                    connection.close()
                connection = None
                with lock:
                    failures[0] += 1
                continue
            if time.perf_counter() <= end:
                own.append(time.perf_counter() - now)
                own_statuses[response.status] = own_statuses.get(response.status, 0) + 1
        with lock:
            latencies.extend(own)
            for status, count in own_statuses.items():
                statuses[status] = statuses.get(status, 0) + count

    while time.perf_counter() < start:
        time.sleep(0.001)
    workers = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.put((latencies, failures[0], statuses, usage.ru_utime + usage.ru_stime))


def _cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (gunicorn's master and workers), from /proc."""
    total = 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except (OSError, IndexError):
            pass
    return total


@dataclass
class Result:
    label: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    failures: int
    statuses: dict[int, int]
    client_share: float
    server_share: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def line(self) -> str:
        codes = " ".join(f"{status}:{count}" for status, count in sorted(self.statuses.items()))
        return (
            f"{self.label:<22} {self.connections:>5} {self.per_second:>9.0f} {self.p50_ms:>8.1f} "
            f"{self.p95_ms:>8.1f} {self.client_share:>7.0%} {self.server_share:>7.0%}  {codes}"
            + (f"  failures:{self.failures}" if self.failures else "")
        )


def load(
    label: str, port: int, paths: list[str], connections: int, seconds: float, processes: int, server_pid
):
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    start = time.perf_counter() + 0.5
    shares = [connections // processes + (1 if n < connections % processes else 0) for n in range(processes)]
    children = [
        context.Process(target=_client_process, args=(port, paths, share, n * 7, seconds, start, out))
        for n, share in enumerate(shares)
        if share
    ]
    server_before = _cpu_seconds(server_pid)
    for child in children:
        child.start()
    results = [out.get() for _ in children]
    for child in children:
        child.join()
    server_cpu = _cpu_seconds(server_pid) - server_before
    latencies = sorted(latency for result in results for latency in result[0])
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result[2].items():
            statuses[status] = statuses.get(status, 0) + count
    cores = os.cpu_count() or 1
    client_cpu = sum(result[3] for result in results)
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return Result(
        label=label,
        connections=connections,
        requests=len(latencies),
        seconds=seconds,
        p50_ms=quantiles[49] * 1000,
        p95_ms=quantiles[94] * 1000,
        failures=sum(result[1] for result in results),
        statuses=statuses,
        client_share=client_cpu / (seconds * cores),
        server_share=server_cpu / (seconds * cores),
    )


# --- The servers -----------------------------------------------------------------------------------------


class Server:
    def __init__(self, application: str, environment: dict[str, str], workers: int, log: Path) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "gunicorn", application, "--workers", str(workers)]
        command += ["--bind", f"127.0.0.1:{self.port}", "--timeout", "120", "--backlog", "2048"]
        command += ["--forwarded-allow-ips", "127.0.0.1"]
        self.process = subprocess.Popen(
            command, env=environment, cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("GET", "/healthz", headers=HEADERS)
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start, see {log}") from None
                time.sleep(0.3)

    def get(self, path: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        connection.request("GET", path, headers=HEADERS)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def run(command: list[str], environment: dict[str, str]) -> None:
    subprocess.run(command, env=environment, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def recreate_postgres(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def mix(environment: dict[str, str]) -> list[str]:
    """The public mix: one published organisation and the pages every visitor of a crisis day opens."""
    code = (
        "from crosscluster.directory.models import Organization;"
        "print(Organization.objects.filter(published=True).order_by('slug')"
        ".values_list('slug', flat=True)[0])"
    )
    slug = (
        subprocess.run(
            [*CROSSCLUSTER, "shell", "-c", code],
            env=environment,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )  # after whatever the start-up prints
    return [
        "/",
        "/verzeichnis/",
        "/veranstaltungen/",
        f"/organisationen/{slug}/",
        "/themen/",
        "/hinweise/",
        "/api/v1/organizations",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each measurement")
    parser.add_argument("--connections", default="20,100")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/pages_bench_h18")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--modes", default="off,cold,warm", help="page cache: off, cold, warm")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--robot", action="store_true", help="ask as a robot: no page views counted (what counting costs)"
    )
    parser.add_argument("--workdir", help="reuse the directory that --keep kept (SQLite and static files)")
    args = parser.parse_args()
    connections = [int(n) for n in args.connections.split(",")]
    if args.robot:
        HEADERS["User-Agent"] = "pages-bench-bot"
    modes = args.modes.split(",")

    if args.workdir:  # a kept directory of an earlier run: its databases are set up already
        directory = Path(args.workdir)
        args.keep = True
    else:
        directory = Path(tempfile.mkdtemp(prefix="crosscluster-pages-bench-"))
    print(f"load at start: {uptime()}")
    print(
        f"machine: {os.cpu_count()} CPUs; gunicorn {args.workers} sync workers; client: "
        f"{args.client_processes} processes of threads; {args.seconds:.0f} s per measurement"
    )
    results: list[Result] = []

    def measure(label: str, server: Server, paths: list[str]) -> None:
        for count in connections:
            result = load(
                label, server.port, paths, count, args.seconds, args.client_processes, server.process.pid
            )
            results.append(result)
            print(result.line(), flush=True)

    columns = f"{'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'client':>7} {'server':>7}  statuses"
    print(f"\n{'':<22} {columns}")
    hello_environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    hello = Server("bench.hello_django:application", hello_environment, args.workers, directory / "hello.log")
    try:
        measure("hello world", hello, ["/"])
    finally:
        hello.stop()

    static_root = directory / "static"
    for database in args.databases.split(","):
        var = directory / database
        ready = var / "ready"
        var.mkdir(exist_ok=True)
        if database == "postgres":
            url = args.postgres_url
            if not ready.exists():
                recreate_postgres(url)
        else:
            url = f"sqlite:///{var / 'bench.sqlite3'}"
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "crosscluster.settings.production",
            "SECRET_KEY": "bench-only-" + "x" * 50,
            "DATABASE_URL": url,
            "CROSSCLUSTER_VAR_DIR": str(var),
            # The encoder artefact `make` built (build-encoder), not one per bench directory.
            "ROUTING_MODEL_DIR": os.environ.get("ROUTING_MODEL_DIR", str(ROOT / "var" / "models")),
            "STATIC_ROOT": str(static_root),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
            # The mix asks for no search; each worker would load the encoder for nothing.
            "ROUTING_PRELOAD_ENCODER": "false",
        }
        started = time.monotonic()
        run([*CROSSCLUSTER, "migrate", "-v0"], environment)  # also after a code change with --workdir
        if not ready.exists():
            run([*CROSSCLUSTER, "createcachetable"], environment)
            if not static_root.exists():
                run([*CROSSCLUSTER, "collectstatic", "--noinput", "-v0"], environment)
            run([*CROSSCLUSTER, "load-demo"], environment)
            ready.touch()
        paths = mix(environment)
        print(f"({database}: set up in {time.monotonic() - started:.0f} s; mix: {' '.join(paths)})")
        for mode in modes:
            env = {**environment, "PAGE_CACHE_ENABLED": "false" if mode == "off" else "true"}
            if mode == "warm" and "cold" in modes:
                continue  # measured right after cold, on the same server
            if mode != "off":
                run(
                    [
                        *CROSSCLUSTER,
                        "shell",
                        "-c",
                        "from crosscluster.core.page_cache import bump_version; bump_version()",
                    ],
                    env,
                )
            server = Server(
                "crosscluster.wsgi:application", env, args.workers, directory / f"{database}-{mode}.log"
            )
            try:
                if mode == "warm":
                    for path in paths * args.workers * 2:
                        server.get(path)
                label = {"off": "cache off", "cold": "cache cold", "warm": "cache warm"}[mode]
                measure(f"{database} {label}", server, paths)
                if mode == "cold" and "warm" in modes:
                    measure(f"{database} cache warm", server, paths)
            finally:
                server.stop()

    print(f"\nload at end: {uptime()}")
    hello_by_connections = {r.connections: r.per_second for r in results if r.label == "hello world"}
    print("\nratio to hello world (req/s):")
    for result in results:
        if result.label != "hello world":
            ratio = result.per_second / hello_by_connections[result.connections]
            print(f"  {result.label:<22} at {result.connections:>3} connections: {ratio:.2f}")
    if args.keep:
        print(f"kept: {directory}")
    else:
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
