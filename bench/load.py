"""Load benchmark of the internal app under the production server (gunicorn) on 127.0.0.1.

Fills a database with 100,000 opinions (bench/register.py's data), starts gunicorn on it, signs in
several staff sessions and drives a bounded mixed load for a fixed time at each asked rate: register,
search, detail and dashboard reads, with new opinions, assignments (status changes) and follow-ups.
Then it counts what was stored against what the server acknowledged (a lost write is one answered
303 and not found). Last, 20 writers save at once on the one database. Prints p50/p95/p99 per rate,
the highest rate whose p99 stays under 300 ms, errors and lost writes. Targets (issue 10): 0 errors,
0 lost writes, p99 < 300 ms at no less than 100 requests/s; 0 "database is locked" with 20 writers.

`--database postgresql` runs the same on PostgreSQL: a throw-away cluster on 127.0.0.1 (the tests'
tests/pg_cluster.py) with the server's default durability (fsync on), filled the same way.

    .venv/bin/python bench/load.py [--database sqlite|postgresql] [--opinions 100000] [--seconds 15]
                                   [--rates 50,100,150,200] [--workers 2]
"""
import argparse
import datetime as dt
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from register import fill  # noqa: E402  (bench/register.py: the same 100,000 opinions)

import models  # noqa: E402
from migrations import run_migrations  # noqa: E402
from tests import pg_cluster  # noqa: E402  (a throw-away PostgreSQL server, as on the tests' second pass)

OUT = ROOT / "bench" / "out"
PASSWORD = "doithoai-demo"
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MARK = "[tải thử %s]"


def calibrate():
    """CPU seconds of a 10-million-step Python loop: the machine's speed at this moment."""
    started, total = time.process_time(), 0
    for step in range(10_000_000):
        total += step
    return time.process_time() - started


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Session:
    """One signed-in person over one keep-alive connection: cookies and the CSRF token by hand."""

    def __init__(self, port, username):
        self.port, self.cookies, self.token = port, {}, ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        page = self.get("/dang-nhap")[1]
        self.token = TOKEN.search(page).group(1)
        status, _ = self.post("/dang-nhap", {"username": username, "password": PASSWORD})
        if status != 303:
            raise RuntimeError("sign-in of %s answered %d" % (username, status))
        self.token = TOKEN.search(self.get("/y-kien/moi")[1] if username == "coordinator" else
                                  self.get("/doi-mat-khau")[1]).group(1)

    def request(self, method, path, body=None):
        headers = {"Cookie": "; ".join("%s=%s" % kv for kv in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                data = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, values):
        return self.request("POST", path, urlencode(dict(values, csrf_token=self.token)))


def prepare(opinions, cluster=None):
    """The benchmark database, filled once (SQLite: kept in bench/out; PostgreSQL: in the cluster); its URL."""
    OUT.mkdir(exist_ok=True)
    if cluster is None:
        path = OUT / ("load-%d-v2.db" % opinions)  # v2: register numbers in the app's own format
        url = "sqlite:///%s" % path
        fresh = not path.exists()
    else:
        cluster.create("load")
        url, fresh = cluster.url("load"), True
    models.db.initialize(models.open_database(url))
    with models.db.connection_context():
        run_migrations(models.db)
        if fresh:
            t0 = time.perf_counter()
            fill(opinions, 5_000)
            print("filled %d opinions in %.1f s" % (opinions, time.perf_counter() - t0))
    if cluster is not None:
        # A database in use has been vacuumed and analysed by autovacuum; one filled a moment ago has not (no
        # planner statistics, no visibility map for index-only counts). Measure the steady state.
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")
    return url


def start_server(url, port, workers, log):
    log.write_text("", encoding="utf-8")  # this run's errors only
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench-load-secret", TRUSTED_PROXIES="0")
    config = ROOT / "deploy" / "gunicorn.conf.py"
    # The production entry point and settings (deploy/gunicorn.conf.py: wsgi:app), the address and log aside.
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(config),
               "--bind", "127.0.0.1:%d" % port, "--workers", str(workers), "--threads", "4",
               "--error-logfile", str(log)]
    server = subprocess.Popen(command, cwd=str(ROOT), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start; see %s" % log)


def work_items():
    """The opinions each kind of write works on: received ones to assign, open ones to follow up."""
    with models.db.connection_context():
        received = list(models.Opinion.select(models.Opinion.id, models.Opinion.version)
                        .where(models.Opinion.status == "received").tuples())
        open_ = [row[0] for row in models.Opinion.select(models.Opinion.id)
                 .where(models.Opinion.status.in_(models.OPEN_STATUSES)).limit(5000).tuples()]
    random.Random(3).shuffle(received)
    return received, open_


def run_rate(port, rate, seconds, clients, tag, writes, items):
    """`rate` requests a second for `seconds` over the signed-in `clients`; [(kind, status, ms)]."""
    received, open_ids, field_id, unit_id, specialist_id = items
    results, lock = [], threading.Lock()
    per_client = rate / len(clients)
    deadline_day = (dt.date.today() + dt.timedelta(days=30)).isoformat()

    def one(session, rng, n):
        pick = rng.random()
        if session.role == "coordinator" and pick < 0.10:
            marker = MARK % ("%s-%d-%d" % (tag, session.index, n))
            status, _ = session.post("/y-kien/moi", {
                "kind": "petition", "channel": "letter", "audience": "citizens", "submitter_name": "Nguyễn Văn Tải",
                "submitter_contact": "0905 000 111", "content": "Đề nghị sửa đường %s" % marker,
                "field_id": str(field_id), "dialogue_id": "", "received_on": dt.date.today().isoformat()})
            return "new", status, marker
        if session.role == "coordinator" and pick < 0.15 and session.received:
            opinion_id, version = session.received.pop()
            status, _ = session.post("/y-kien/%d/giao" % opinion_id, {
                "unit_id": str(unit_id), "assigned_to_id": str(specialist_id), "deadline": deadline_day,
                "version": str(version)})
            return "assign", status, opinion_id
        if pick < 0.25:
            marker = MARK % ("%s-%d-%d" % (tag, session.index, n))
            status, _ = session.post("/y-kien/%d/theo-doi" % rng.choice(open_ids),
                                     {"kind": "note", "note": "Ghi chú %s" % marker, "percent_done": ""})
            return "follow-up", status, marker
        if pick < 0.50:
            return "register", session.get("/y-kien/")[0], None
        if pick < 0.60:
            return "search", session.get("/y-kien/?" + urlencode({"q": rng.choice(["dat dai", "thu tuc"])}))[0], None
        if pick < 0.85:
            return "detail", session.get("/y-kien/%d" % rng.choice(open_ids))[0], None
        return "dashboard", session.get("/")[0], None

    def drive(session):
        rng, n, start = random.Random(session.index), 0, time.perf_counter()
        while True:
            due = start + n / per_client
            now = time.perf_counter()
            if due - start >= seconds:
                return
            if due > now:
                time.sleep(due - now)
            t0 = time.perf_counter()
            try:
                kind, status, what = one(session, rng, n)
            except Exception as error:  # a dropped connection counts as an error
                kind, status, what = "error", 0, repr(error)
            with lock:
                results.append((kind, status, (time.perf_counter() - t0) * 1000, what))
            n += 1

    threads = [threading.Thread(target=drive, args=(c,)) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    writes.extend(r for r in results if r[0] in ("new", "follow-up") and r[1] == 303)
    return results, elapsed


def stored(markers):
    """How many of the acknowledged writes' markers are in the database."""
    with models.db.connection_context():
        found = {row[0] for row in models.Opinion.select(models.Opinion.content)
                 .where(models.Opinion.content.contains("[tải thử")).tuples()}
        found |= {row[0] for row in models.FollowUp.select(models.FollowUp.note)
                  .where(models.FollowUp.note.contains("[tải thử")).tuples()}
    texts = "\n".join(found)
    return sum(1 for marker in markers if marker in texts)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--rates", default="50,100,150,200")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--sessions", type=int, default=16, help="signed-in staff sessions driving the load")
    args = parser.parse_args()
    cluster = None
    if args.database == "postgresql":
        cluster = pg_cluster.Cluster(tempfile.mkdtemp(prefix="doithoai-load-pg-"))
        cluster.start(durable=True)
    try:
        run(args, prepare(args.opinions, cluster))
    finally:
        if cluster is not None:
            cluster.stop()


def run(args, url):
    """Drive the load against the filled database at `url` and print the figures."""
    with models.db.connection_context():
        field_id = models.Field.select().first().id
        specialist = models.User.get(models.User.username == "specialist")
        unit_id, specialist_id = specialist.unit_id, specialist.id
        users = ["coordinator"] + [u.username for u in models.User.select().where(
            models.User.role == "specialist", models.User.unit == unit_id).order_by(models.User.id)]
    received, open_ids = work_items()
    port, log = free_port(), OUT / "load-gunicorn.log"
    print("machine speed: a 10-million-step Python loop takes %.2f s of CPU (the figures below scale with it)"
          % calibrate())
    print("database: %s" % url.split(":", 1)[0])
    server = start_server(url, port, args.workers, log)
    try:
        clients = []
        for i in range(args.sessions):
            name = users[0] if i % 2 == 0 else users[1 + (i // 2) % (len(users) - 1)]
            session = Session(port, name)
            session.index, session.role = i, "coordinator" if name == "coordinator" else "specialist"
            session.received = []
            clients.append(session)
        coordinators = [c for c in clients if c.role == "coordinator"]
        for k, item in enumerate(received[:len(coordinators) * 400]):  # disjoint: no two sessions assign one
            coordinators[k % len(coordinators)].received.append(item)
        print("gunicorn: %d workers × 4 threads on 127.0.0.1:%d; %d sessions (%d coordinators); %d s a rate"
              % (args.workers, port, len(clients), len(coordinators), args.seconds))
        print()
        # "speed": the machine-speed loop again just before each rate (the machine is shared: it changes)
        print("%8s %9s %8s %8s %8s %8s %7s %6s  %s" % ("asked/s", "served/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
                                                     "errors", "speed", "by kind (p99 ms)"))
        best, writes = None, []
        items = (received, open_ids, field_id, unit_id, specialist_id)
        for rate in [int(r) for r in args.rates.split(",")]:
            speed = calibrate()
            results, elapsed = run_rate(port, rate, args.seconds, clients, "r%d" % rate, writes, items)
            times = [r[2] for r in results]
            errors = [r for r in results if r[1] >= 500 or r[1] == 0 or (r[0] != "assign" and r[1] == 409)]
            kinds = {}
            for r in results:
                kinds.setdefault(r[0], []).append(r[2])
            p99 = percentile(times, 99)
            print("%8d %9.1f %8.1f %8.1f %8.1f %8.1f %7d %6.2f  %s" % (
                rate, len(results) / elapsed, percentile(times, 50), percentile(times, 95), p99, max(times),
                len(errors), speed, ", ".join("%s %.0f" % (k, percentile(v, 99)) for k, v in sorted(kinds.items()))))
            if p99 < 300 and not errors:
                best = max(best or 0, len(results) / elapsed)
        markers = [r[3] for r in writes]
        found = stored(markers)
        print()
        print("highest rate served with p99 < 300 ms and no error: %s requests/s" % (
            "%.0f" % best if best else "none"))
        print("writes acknowledged (303): %d, found stored: %d, lost: %d" % (len(markers), found, len(markers) - found))

        # 20 writers at once on the one database (on SQLite: one file, one writer at a time)
        writers = [Session(port, "coordinator") for _ in range(20)]
        barrier, outcome = threading.Barrier(len(writers)), []

        def write(i):
            barrier.wait()
            for j in range(5):
                marker = MARK % ("w%d-%d" % (i, j))
                status, _ = writers[i].post("/y-kien/moi", {
                    "kind": "petition", "channel": "letter", "audience": "citizens", "submitter_name": "Trần Thị Ghi",
                    "submitter_contact": "0905 222 333", "content": "Kiến nghị %s" % marker,
                    "field_id": str(field_id), "dialogue_id": "", "received_on": dt.date.today().isoformat()})
                outcome.append((status, marker))

        threads = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ok = [m for s, m in outcome if s == 303]
        locked = log.read_text(encoding="utf-8", errors="replace").count("database is locked") if log.exists() else 0
        print("20 writers × 5 new opinions at once: %d answered 303, %d other, %d stored, "
              "'database is locked' in the server log: %d" % (len(ok), len(outcome) - len(ok), stored(ok), locked))
        print("server errors in the log (Traceback): %d" % (
            log.read_text(encoding="utf-8", errors="replace").count("Traceback") if log.exists() else 0))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
