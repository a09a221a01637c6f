"""Inquiries in parallel while the mail server is slow, on SQLite (issue 12).

Starts, against a new SQLite database with the demo directory in a temporary directory: the loopback SMTP
server of the tests (`tests/smtp.py`), answering QUIT only after `--quit-delay` seconds; the web server; and
`--workers` task workers (`crosscluster db_worker`). Then `--inquiries` companies each open the form and ask
who fits (one after the other), and all of them send their inquiry at the same moment. It prints the answers
(status codes and times), how many inquiries were stored, and once the workers are done, how many mails the
server received and whether every company's confirmation arrived exactly once. It is not a test;
docs/operations.md quotes its figures.

`--server gunicorn` (the default) serves as docs/operations.md does, with 4 sync worker processes (gunicorn
is in the `production` extra); `--server runserver` uses the development server of `make run`, which takes
10 waiting connections and handles all requests in one process.

Usage: .venv/bin/python bench/mail_under_load.py [--inquiries 50] [--quit-delay 2] [--workers 1]
       [--server gunicorn|runserver]
"""

from __future__ import annotations

import argparse
import collections
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.smtp import SMTPServer  # noqa: E402

CROSSCLUSTER = [sys.executable, "-m", "crosscluster"]
HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)"')
CHECKED = re.compile(r'<input type="radio" name="recipient"[^>]* value="(?P<value>[^"]+)"[^>]*checked')


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # the 302 itself is the answer we measure
        return None


class Company:
    """One visitor with its own cookies, going through the form's two steps."""

    def __init__(self, base: str, number: int) -> None:
        self.base = base
        self.email = f"firma{number}@bench.example"
        self.number = number
        cookies = urllib.request.HTTPCookieProcessor(CookieJar())
        self.opener = urllib.request.build_opener(cookies, NoRedirect())
        self.second_step: dict[str, str] = {}

    def _post(self, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(f"{self.base}/anfrage/", data=body, method="POST")
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.read().decode(errors="replace")

    def prepare(self) -> None:
        """Open the form and ask who fits; keep what the browser would post when "Send" is pressed."""
        with self.opener.open(f"{self.base}/anfrage/", timeout=60) as response:
            page = response.read().decode()
        fields = {match["name"]: match["value"] for match in HIDDEN.finditer(page)}
        values = {
            "text": f"Wir suchen Beratung zum Recycling von Kunststoffabfällen (Anfrage {self.number}).",
            "company_name": f"Bench GmbH {self.number}",
            "contact_name": "Max Mustermann",
            "email": self.email,
            "consent": "on",
        }
        status, page = self._post({**fields, **values, "step": "suggest"})
        if status != 200:
            raise RuntimeError(f"first step answered {status}")
        fields = {match["name"]: match["value"] for match in HIDDEN.finditer(page)}
        recipient = CHECKED.search(page)
        self.second_step = {**fields, **values, "step": "send", "recipient": recipient["value"]}

    def send(self) -> tuple[int, float]:
        started = time.monotonic()
        status, _page = self._post(self.second_step)
        return status, time.monotonic() - started


def run(command: list[str], environment: dict[str, str]) -> None:
    subprocess.run(command, env=environment, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def count(database: Path, query: str) -> int:
    with sqlite3.connect(database, timeout=30) as connection:
        return connection.execute(query).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inquiries", type=int, default=50)
    parser.add_argument("--quit-delay", type=float, default=2.0, help="seconds until the server answers QUIT")
    parser.add_argument("--workers", type=int, default=1, help="task workers (crosscluster db_worker)")
    parser.add_argument("--server", choices=["gunicorn", "runserver"], default="gunicorn")
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for every mail")
    args = parser.parse_args()

    directory = Path(tempfile.mkdtemp(prefix="crosscluster-mail-bench-"))
    database = directory / "bench.sqlite3"
    web_port = free_port()
    with SMTPServer(quit_delay=args.quit_delay) as smtp:
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DJANGO_SETTINGS_MODULE": "crosscluster.settings.dev",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only",
            "DATABASE_URL": f"sqlite:///{database}",
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}?timeout=20",
            "COORDINATION_EMAIL": "koordination@bench.example",
            # One client address sends every inquiry here; the limits are not what is measured.
            "INQUIRY_LIMIT_PER_CLIENT": "100000",
            "ROUTING_LIMIT_PER_CLIENT": "100000",
            "LOG_LEVEL": "WARNING",
        }
        print(
            f"setup: SQLite {database}; {args.server}; SMTP on port {smtp.port}, answering QUIT after "
            f"{args.quit_delay} s"
        )
        run([*CROSSCLUSTER, "migrate", "-v0"], environment)
        run([*CROSSCLUSTER, "createcachetable"], environment)
        run([*CROSSCLUSTER, "load-demo"], environment)
        server_log = (directory / "server.log").open("w")
        if args.server == "gunicorn":
            server = [sys.executable, "-m", "gunicorn", "crosscluster.wsgi:application", "--workers", "4"]
            server += ["--bind", f"127.0.0.1:{web_port}", "--timeout", "60"]
        else:
            server = [*CROSSCLUSTER, "runserver", f"127.0.0.1:{web_port}", "--noreload"]
        processes = [
            subprocess.Popen(
                server,
                env=environment,
                cwd=ROOT,
                stdout=server_log,
                stderr=subprocess.STDOUT,
            )
        ]
        for number in range(args.workers):
            processes.append(
                subprocess.Popen(
                    [*CROSSCLUSTER, "db_worker", "--no-reload", "--worker-id", f"bench-{number}"],
                    env=environment,
                    cwd=ROOT,
                    stdout=(directory / f"worker-{number}.log").open("w"),
                    stderr=subprocess.STDOUT,
                )
            )
        try:
            base = f"http://127.0.0.1:{web_port}"
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(f"{base}/anfrage/", timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.5)

            companies = [Company(base, number) for number in range(args.inquiries)]
            started = time.monotonic()
            for company in companies:
                company.prepare()
            took = time.monotonic() - started
            print(f"first steps: {len(companies)} forms with suggestions in {took:.1f} s")

            answers: list[tuple[int, float] | None] = [None] * len(companies)
            barrier = threading.Barrier(len(companies))

            def send(index: int) -> None:
                barrier.wait()
                try:
                    answers[index] = companies[index].send()
                except Exception as exc:  # reported below
                    answers[index] = (0, 0.0)
                    print(f"company {index}: {exc!r}")

            threads = [threading.Thread(target=send, args=(index,)) for index in range(len(companies))]
            burst = time.monotonic()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            burst_took = time.monotonic() - burst
            statuses = collections.Counter(status for status, _took in answers)
            times = sorted(took for _status, took in answers)
            stored = count(database, "SELECT count(*) FROM inquiries_inquiry")
            print(
                f"second steps at once: {dict(statuses)} in {burst_took:.1f} s; answer times median "
                f"{statistics.median(times):.2f} s, max {times[-1]:.2f} s"
            )
            print(f"stored: {stored} of {len(companies)} inquiries")

            queued = count(database, "SELECT count(*) FROM core_outgoingmail")
            waiting_since = time.monotonic()
            while count(database, "SELECT count(*) FROM core_outgoingmail WHERE sent_at IS NULL"):
                if time.monotonic() - waiting_since > args.timeout:
                    break
                time.sleep(1)
            unsent = count(database, "SELECT count(*) FROM core_outgoingmail WHERE sent_at IS NULL")
            delivery_took = time.monotonic() - burst
            time.sleep(args.quit_delay + 1)  # the last goodbyes
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(30)

        received = collections.Counter(str(message["To"]) for message in smtp.messages)
        message_ids = collections.Counter(smtp.message_ids())
        confirmations = [received.get(company.email, 0) for company in companies]
        locked = (directory / "server.log").read_text().count("database is locked")
        print(
            f"mails: {queued} queued, {queued - unsent} sent in {delivery_took:.0f} s after the burst "
            f"({args.workers} worker(s)), {unsent} still waiting; the server received {len(smtp.messages)} "
            f"over {smtp.connections} connections"
        )
        print(
            "confirmations: "
            f"{confirmations.count(1)} companies got theirs exactly once, {confirmations.count(0)} none, "
            f"{sum(1 for number in confirmations if number > 1)} more than once; "
            f"{sum(1 for number in message_ids.values() if number > 1)} Message-IDs received twice"
        )
        print(f"'database is locked' in the server's log: {locked}; files in {directory}")
        ok = (
            statuses == {302: len(companies)}
            and stored == len(companies)
            and confirmations.count(1) == len(companies)
            and not locked
        )
        print("result: " + ("all stored, every confirmation once" if ok else "FAILED"))
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
