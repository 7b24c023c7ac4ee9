"""Benchmark of the citizens' intake service under the production server (gunicorn, deploy/gunicorn.conf.py).

Starts the intake app on 127.0.0.1 over a fresh database with TRUSTED_PROXIES=1 and INTAKE_MIN_FILL_SECONDS=0,
then simulated citizens, each with its own X-Forwarded-For address (so the per-address limits see distinct
clients, as behind nginx), send requests through the real form (GET for the CSRF token and start time, then
POST) from several threads at once, and afterwards look codes up (POST /tra-cuu/), by 2 clients at once and
by --threads clients at once (the server's 8 threads all busy). Prints the machine-speed line, submissions per
second (whole GET + POST cycles answered 303), errors, and lookup p50/p95/p99.
Targets (issue 11): 50 submissions a second without an error; lookups p95 under 20 ms.

    .venv/bin/python bench/intake.py [--submissions 600] [--lookups 2000] [--threads 8] [--workers 2]
"""
import argparse
import http.client
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import calibrate, free_port  # noqa: E402  (bench/load.py: the same machine-speed line and ports)

HIDDEN = re.compile(r'name="(csrf_token|started)" value="([^"]+)"')
CODE = re.compile(r"YC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}")


class Citizen:
    """One simulated person: an address of their own, a cookie, one keep-alive connection."""

    def __init__(self, port, address):
        self.port, self.address, self.cookie = port, address, ""
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, method, path, form=None):
        headers = {"X-Forwarded-For": self.address}
        if self.cookie:
            headers["Cookie"] = self.cookie
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, text

    def hidden(self, path):
        status, page = self.request("GET", path)
        if status != 200:
            raise RuntimeError("GET %s answered %d" % (path, status))
        return dict(HIDDEN.findall(page))

    def close(self):
        self.connection.close()


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else float("nan")


def run_threads(worker, threads):
    """Run worker(1) … worker(threads) at once; the seconds until the last one ends."""
    pool = [threading.Thread(target=worker, args=(i + 1,)) for i in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started


def submit_all(port, total, threads):
    """`total` submissions by `threads` threads; each citizen (address) sends at most 4. Returns codes, errors."""
    codes, errors, lock = [], [], threading.Lock()
    counter = iter(range(total))

    def worker(index):
        citizen = None
        sent = 0
        for n in counter:
            if citizen is None or sent == 4:
                if citizen:
                    citizen.close()
                citizen = Citizen(port, "10.%d.%d.%d" % (index, (n // 250) % 250, n % 250 + 1))
                sent = 0
            try:
                form = citizen.hidden("/")
                form.update(kind="petition", full_name="Người thử %d" % n, phone="09%08d" % (10_000_000 + n),
                            email="", title="Kiến nghị thử %d" % n, content="Nội dung kiến nghị thử nghiệm số %d." % n,
                            consent="yes", website="")
                status, _ = citizen.request("POST", "/", form)
                if status != 303:
                    raise RuntimeError("POST / answered %d" % status)
                status, receipt = citizen.request("GET", "/bien-nhan/")
                code = CODE.search(receipt)
                with lock:
                    codes.append(code.group(0))
            except Exception as error:  # noqa: BLE001  (every failure is counted and shown)
                with lock:
                    errors.append(str(error))
                citizen.close()
                citizen = None
            sent += 1
        if citizen:
            citizen.close()

    return codes, errors, run_threads(worker, threads)


def lookup_all(port, codes, total, threads, phase=0):
    """`total` lookups of known codes; each citizen (address) looks up 8 times (the limit is 10 a minute)."""
    timings, errors, lock = [], [], threading.Lock()
    counter = iter(range(total))

    def worker(index):
        citizen, done = None, 0
        for n in counter:
            if citizen is None or done == 8:
                if citizen:
                    citizen.close()
                citizen = Citizen(port, "172.%d.%d.%d" % (16 + index, (n // 250) % 50 + 50 * phase, n % 250 + 1))
                token = citizen.hidden("/tra-cuu/")["csrf_token"]
                done = 0
            code = codes[n % len(codes)]
            started = time.perf_counter()
            status, page = citizen.request("POST", "/tra-cuu/", {"csrf_token": token, "code": code})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                if status == 200 and code in page:
                    timings.append(elapsed)
                else:
                    errors.append(status)
            done += 1
        if citizen:
            citizen.close()

    return timings, errors, run_threads(worker, threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=600)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print("machine speed: a 10-million-step Python loop takes %.2f s of CPU (the figures below scale with it)"
          % calibrate())
    folder = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INTAKE_", "MAIL_"))}
    env.update(INTAKE_DATABASE_URL="sqlite:///%s" % (folder / "intake.db"), INTAKE_SECRET_KEY="bench",
               INTAKE_API_TOKEN="bench", INTAKE_MIN_FILL_SECONDS="0", TRUSTED_PROXIES="1",
               BIND="127.0.0.1:%d" % port, WEB_WORKERS=str(args.workers), ACCESS_LOG=str(folder / "access.log"),
               ERROR_LOG=str(folder / "error.log"))
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                               "intake:create_intake_app()"], cwd=str(ROOT), env=env, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                probe = Citizen(port, "192.0.2.1")
                if probe.request("GET", "/")[0] == 200:
                    probe.close()
                    break
            except OSError:
                time.sleep(0.1)
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the intake server did not start: %s" % (folder / "error.log"))
        print("gunicorn: %d workers × 4 threads on 127.0.0.1:%d, TRUSTED_PROXIES=1, a distinct X-Forwarded-For "
              "per simulated citizen, %d client threads" % (args.workers, port, args.threads))
        codes, errors, seconds = submit_all(port, args.submissions, args.threads)
        print("submissions: %d answered 303 in %.1f s = %.1f submissions/s (GET form + POST each), %d errors%s"
              % (len(codes), seconds, len(codes) / seconds, len(errors), (": " + errors[0]) if errors else ""))
        print("codes unique: %s" % (len(set(codes)) == len(codes)))
        for phase, clients in enumerate(sorted({2, args.threads})):  # new addresses each phase (10 a minute each)
            timings, failed, seconds = lookup_all(port, codes, args.lookups, clients, phase)
            print("lookups, %d clients at once: %d in %.1f s = %.1f/s, p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, "
                  "max %.1f ms, %d errors" % (
                      clients, len(timings), seconds, len(timings) / seconds, percentile(timings, 0.5),
                      percentile(timings, 0.95), percentile(timings, 0.99), max(timings) if timings else float("nan"),
                      len(failed)))
        tracebacks = (folder / "error.log").read_text().count("Traceback")
        print("server errors in the log (Traceback): %d" % tracebacks)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
