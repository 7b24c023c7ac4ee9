"""The real server: gunicorn with deploy/gunicorn.conf.py serves the app, logs paths without query strings,
believes X-Forwarded-* only from TRUSTED_PROXIES hops; the deploy samples agree with the app's settings."""
import datetime as dt
import http.cookiejar
import logging
import multiprocessing
import os
import re
import runpy
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

import app as app_module
import models
from app import create_app
from tests.conftest import _TOKEN, FAST_HASH, PASSWORD, StaffClient

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
CONFIG = DEPLOY / "gunicorn.conf.py"
ID_NUMBER = "012345678901"
# What a query string or a Referer may carry, which no log line may show.
PRIVATE = [ID_NUMBER, "0912345678", "nguyen.van.a", "Nguy%E1%BB%85n", "trang-thai"]


# ---------------------------------------------------------------- gunicorn, for real


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A cookie-keeping HTTP client that does not follow redirects: (status, headers, body)."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), NoRedirect)

    def request(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=10) as response:
                return response.status, response.headers, response.read().decode()
        except urllib.error.HTTPError as answer:
            return answer.code, answer.headers, answer.read().decode()

    def log_in(self, username, password=PASSWORD, headers=None):
        status, _, page = self.request("/dang-nhap", headers=headers)
        assert status == 200
        match = _TOKEN.search(page)
        token = match.group(1) or match.group(2)
        return self.request("/dang-nhap", {"username": username, "password": password, "csrf_token": token},
                            headers=headers)


@contextmanager
def gunicorn(tmp_path, database, **environment):
    """gunicorn -c deploy/gunicorn.conf.py on a free loopback port over `database`; stopped with SIGTERM."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS")}
    env.update(DATABASE_URL="sqlite:///%s" % database, SECRET_KEY="production-test", ACCESS_LOG=str(
        tmp_path / "access.log"), ERROR_LOG=str(tmp_path / "error.log"), BIND="127.0.0.1:%d" % port,
        PYTHONDONTWRITEBYTECODE="1", **environment)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONFIG)], cwd=str(tmp_path), env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    browser = Browser("http://127.0.0.1:%d" % port)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert server.poll() is None, (tmp_path / "error.log").read_text()
            try:
                if browser.request("/dang-nhap")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer"
            time.sleep(0.1)
        server.stopped = None
        yield server, browser
    finally:
        server.terminate()
        try:
            server.stopped = server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            raise


@pytest.fixture
def database(demo_db_file, tmp_path):
    path = tmp_path / "served.db"
    shutil.copy(demo_db_file, path)
    return path


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_gunicorn_serves_the_app_and_logs_paths_without_query_strings(tmp_path, database):
    """…and, with TRUSTED_PROXIES unset, a client on the loopback saying it is another address over https
    changes nothing."""
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on"}
    with gunicorn(tmp_path, database) as (server, browser):
        status, headers, _ = browser.request("/dang-nhap", headers=forged)
        assert status == 200 and "Strict-Transport-Security" not in headers
        status, headers, _ = browser.log_in("chief", "sai-mat-khau", headers=forged)
        assert status == 401
        status, _, page = browser.request("/dang-nhap?next=/y-kien/%3Fq%3D0912345678")
        assert status == 200 and '<html lang="vi">' in page
        status, headers, _ = browser.log_in("coordinator")
        assert status == 303 and headers["Location"] == "/"
        status, _, page = browser.request("/y-kien/?q=%s" % ID_NUMBER)
        assert status == 200 and ID_NUMBER in page  # the search ran, and the page shows what was typed
        for query in ("q=nguyen.van.a%40example.com&trang-thai=open&page=1", "q=Nguy%E1%BB%85n+V%C4%83n"):
            assert browser.request("/y-kien/?" + query,
                                   headers={"Referer": "%s/y-kien/?q=%s" % (browser.base, ID_NUMBER)})[0] == 200
    assert server.stopped == 0  # SIGTERM: a clean stop
    log = (tmp_path / "access.log").read_text()
    lines = log.splitlines()
    assert sum('"GET /y-kien/ HTTP/1.1" 200' in line for line in lines) == 3, log
    assert any('"POST /dang-nhap HTTP/1.1" 303' in line for line in lines), log
    assert all(line.startswith("127.0.0.1 ") for line in lines), log
    for private in PRIVATE + ["?", "q="]:
        assert private not in log, log
    errors = (tmp_path / "error.log").read_text()
    assert "Shutting down: Master" in errors
    assert ID_NUMBER not in errors and "0912345678" not in errors
    assert "203.0.113.9" not in log
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT address FROM login_attempt").fetchall() == [("127.0.0.1",)]


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_one_trusted_proxy_gives_gunicorn_and_the_app_the_forwarded_client(tmp_path, database):
    with gunicorn(tmp_path, database, TRUSTED_PROXIES="1") as (_, browser):
        # What nginx sends (deploy/nginx.conf.sample); over https a browser's form post carries a Referer.
        proxy = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
                 "Referer": browser.base.replace("http:", "https:") + "/dang-nhap"}
        status, headers, _ = browser.request("/dang-nhap", headers=proxy)
        assert status == 200 and "Strict-Transport-Security" in headers
        status, headers, _ = browser.log_in("chief", "sai-mat-khau", headers=proxy)
        assert status == 401
    assert "203.0.113.9 " in (tmp_path / "access.log").read_text()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT address FROM login_attempt").fetchall() == [("203.0.113.9",)]


# ---------------------------------------------------------------- ProxyFix and the login limits, in process


def staff_app(app, monkeypatch, hops=None):
    if hops is None:
        monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    else:
        monkeypatch.setenv("TRUSTED_PROXIES", hops)
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "PASSWORD_HASH": FAST_HASH,
                       "DATABASE_URL": app.config["DATABASE_URL"]})


def fail_login(client, forwarded_for, username="chief"):
    client.refresh_token()
    return client.post("/dang-nhap", data={"username": username, "password": "doan-bua", "csrf_token": client.token},
                       headers={"X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https",
                                "Referer": "https://localhost/dang-nhap"})


@pytest.mark.parametrize("hops", [None, "", "0"])
def test_without_trusted_proxies_forged_addresses_still_count_against_the_real_one(app, db, monkeypatch, hops):
    client = StaffClient(staff_app(app, monkeypatch, hops).test_client())
    page = client.get("/dang-nhap", headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"})
    assert "Secure" not in page.headers["Set-Cookie"]
    for n in range(20):
        response = fail_login(client, "203.0.113.%d" % n, username="nobody%d" % n)
        assert response.status_code == 401
        assert "Secure" not in response.headers.get("Set-Cookie", "")
        assert "Strict-Transport-Security" not in response.headers
    assert fail_login(client, "198.51.100.7").status_code == 429  # a fresh forged address does not help
    addresses = {row.address for row in models.LoginAttempt.select()}
    assert addresses == {"127.0.0.1"}


def test_one_trusted_proxy_counts_the_forwarded_address(app, db, monkeypatch):
    proxied = staff_app(app, monkeypatch, "1")
    client = StaffClient(proxied.test_client())
    for n in range(20):
        # The client's own X-Forwarded-For, which a proxy that appends would pass on, is not believed:
        # only the last hop, the one the trusted proxy added.
        response = fail_login(client, "10.9.9.%d, 203.0.113.9" % n, username="nobody%d" % n)
        assert response.status_code == 401 and "Strict-Transport-Security" in response.headers
    assert fail_login(client, "203.0.113.9").status_code == 429
    assert fail_login(client, "198.51.100.7").status_code == 401  # another client behind the same proxy goes on
    addresses = {row.address for row in models.LoginAttempt.select()}
    assert addresses == {"203.0.113.9", "198.51.100.7"}
    colleague = StaffClient(proxied.test_client())
    page = colleague.get("/dang-nhap", headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"})
    assert "Secure" in page.headers["Set-Cookie"]  # https, as the proxy says
    colleague.refresh_token()
    signed_in = colleague.post("/dang-nhap", data={"username": "coordinator", "password": PASSWORD,
                                                   "csrf_token": colleague.token},
                               headers={"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https",
                                        "Referer": "https://localhost/dang-nhap"})
    assert signed_in.status_code == 303


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "one", "1;2"])
def test_a_trusted_proxies_that_is_no_number_stops_the_start(app, monkeypatch, value):
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        staff_app(app, monkeypatch, value)


def _secret_key_of(instance, barrier, results):
    barrier.wait()
    results.put(app_module._secret_key(instance))


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_workers_starting_together_share_one_generated_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        instance = tmp_path / str(attempt)
        instance.mkdir()
        barrier, results = context.Barrier(6), context.Queue()
        workers = [context.Process(target=_secret_key_of, args=(str(instance), barrier, results)) for _ in range(6)]
        for worker in workers:
            worker.start()
        keys = {results.get(timeout=20) for _ in workers}
        for worker in workers:
            worker.join(timeout=20)
        assert len(keys) == 1 and keys == {(instance / "secret_key").read_text().strip()}
        assert len(keys.pop()) == 64
        assert [p.name for p in instance.iterdir()] == ["secret_key"]
        assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600


# ---------------------------------------------------------------- the configuration files


def gunicorn_settings(monkeypatch, **environment):
    for key in ("TRUSTED_PROXIES", "FORWARDED_ALLOW_IPS", "WEB_WORKERS", "WEB_THREADS", "BIND"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environment.items():
        monkeypatch.setenv(key, value)
    namespace = runpy.run_path(str(CONFIG))
    config = Config()
    for name, value in namespace.items():
        if name in config.settings:
            config.set(name, value)  # gunicorn's own validation of each setting
    return config, namespace


def readme_section(title):
    return (ROOT / "README.md").read_text(encoding="utf-8").split("\n### %s\n" % title, 1)[1].split("\n## ", 1)[0]


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_the_gunicorn_config_is_what_readme_says(monkeypatch):
    config, _ = gunicorn_settings(monkeypatch)
    match = re.search(r"(\d+) workers × (\d+) threads", readme_section("Real use"))
    assert match, "README's Real use names the workers and threads"
    assert (config.workers, config.threads) == (int(match.group(1)), int(match.group(2))) == (2, 4)
    assert config.worker_class_str == "gthread"
    assert config.address == [("127.0.0.1", 5000)]
    assert config.wsgi_app == "wsgi:app" and Path(config.chdir) == ROOT
    assert config.timeout > 0 and config.graceful_timeout > 0
    assert config.control_socket_disable
    assert "make dev" in readme_section("Real use") or "make dev" in (ROOT / "README.md").read_text()


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_forwarded_allow_ips_follow_trusted_proxies(monkeypatch):
    config, _ = gunicorn_settings(monkeypatch)
    assert config.forwarded_allow_ips == []
    config, _ = gunicorn_settings(monkeypatch, TRUSTED_PROXIES="0")
    assert config.forwarded_allow_ips == []
    config, _ = gunicorn_settings(monkeypatch, TRUSTED_PROXIES="1")
    assert config.forwarded_allow_ips == ["127.0.0.1", "::1"]
    config, _ = gunicorn_settings(monkeypatch, TRUSTED_PROXIES="1", FORWARDED_ALLOW_IPS="10.0.0.5")
    assert config.forwarded_allow_ips == ["10.0.0.5"]
    assert config.secure_scheme_headers == {"X-FORWARDED-PROTO": "https"} and config.forwarder_headers == []


class Response:
    status, headers, sent = "200 OK", [], 512


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
@pytest.mark.parametrize("query", ["q=%s" % ID_NUMBER, "q=0912345678&page=2", "trang-thai=open&q=nguyen.van.a"])
def test_no_access_log_line_carries_a_query_or_the_referer(monkeypatch, query):
    config, _ = gunicorn_settings(monkeypatch)
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/y-kien/?" + query, "PATH_INFO": "/y-kien/",
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
               "HTTP_REFERER": "https://x/y-kien/?" + query, "HTTP_USER_AGENT": "test"}
    atoms = Logger(config).atoms(Response(), {"referer": environ["HTTP_REFERER"]}, environ,
                                 dt.timedelta(milliseconds=3))
    line = config.access_log_format % atoms
    assert '"GET /y-kien/ HTTP/1.1" 200' in line
    assert query not in line and "?" not in line and "x/y-kien" not in line


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_the_error_log_cuts_query_strings(monkeypatch, tmp_path):
    _, namespace = gunicorn_settings(monkeypatch)
    record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s %s",
                               ("GET", "/y-kien/?q=%s&page=2" % ID_NUMBER), None)
    try:
        raise ValueError("Invalid request line: 'GET /y-kien/?q=%s HTTP/1.1'" % ID_NUMBER)
    except ValueError:
        record.exc_info = sys.exc_info()
    assert namespace["QueryFreeLogger"].redact(record) is True
    text = logging.Formatter().format(record)
    assert "/y-kien/" in text and "Error handling request GET" in text and "ValueError" in text
    assert ID_NUMBER not in text and "page=2" not in text


# ---------------------------------------------------------------- the deploy samples


def test_nginx_sample_agrees_with_the_app(app):
    conf = (DEPLOY / "nginx.conf.sample").read_text()
    directives = [line.split("#", 1)[0].strip() for line in conf.splitlines()]
    size = re.search(r"client_max_body_size (\d+)m;", conf)
    assert int(size.group(1)) * 1024 * 1024 == app.config["MAX_CONTENT_LENGTH"]
    formats = re.findall(r"log_format (\w+) ((?:'[^']*'\s*)+);", conf)
    assert [name for name, _ in formats] == ["doithoai"]
    for variable in ("$request ", "$request\"", "$request_uri", "$args", "$query_string", "$arg_", "$http_referer"):
        assert variable not in formats[0][1]
    assert "$uri" in formats[0][1]
    logs = [d for d in directives if d.startswith("access_log")]
    assert logs and all(d.endswith(" doithoai;") for d in logs)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in directives
    assert any(d.startswith("add_header Strict-Transport-Security") for d in directives)
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in directives  # overwritten, never appended
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in directives
    assert "disable_symlinks off;" in directives and "open_file_cache" not in "\n".join(directives)
    assert re.search(r"alias /var/www/doithoai/site/;", conf)
    assert "proxy_pass http://127.0.0.1:5000;" in directives


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_the_unit_and_the_cron_lines_are_complete():
    unit = (DEPLOY / "doithoai.service").read_text().splitlines()
    for line in ("User=doithoai", "EnvironmentFile=/etc/doithoai/doithoai.env", "NoNewPrivileges=yes",
                 "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "Type=notify",
                 "ExecStart=/srv/doithoai/.venv/bin/gunicorn -c /srv/doithoai/deploy/gunicorn.conf.py"):
        assert line in unit
    cron = [line for line in (DEPLOY / "crontab.sample").read_text().splitlines()
            if line and not line.startswith("#") and "=" not in line.split()[0]]
    assert any(line.endswith("flask --app app remind") for line in cron)
    assert any(line.startswith("10 * * * *") and "flask --app app sweep-imports" in line for line in cron)
    assert any("flask --app app backup /var/backups/doithoai/$(date +\\%F).tar" in line for line in cron)
    for line in cron:
        assert line.split()[5] == "doithoai"
        assert not re.search(r"(?<!\\)%", line), "an unescaped % ends a cron command: %s" % line
    env = (DEPLOY / "doithoai.env.sample").read_text()
    assert "TRUSTED_PROXIES=1" in env and "PREFER_HTTPS=1" in env


def make_dry_run(target):
    """What `make <target>` would run, set-up steps aside (make -n: nothing is run)."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}  # under make test
    result = subprocess.run(["make", "-n", "--no-print-directory", "-o", ".venv/.installed",
                             "-o", "static/vendor/htmx.min.js", target, "PORT=5123"],
                            cwd=ROOT, capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_serves_through_gunicorn_and_make_dev_through_flask():
    run = make_dry_run("run")
    assert run[-3:] == [".venv/bin/python -m flask --app app migrate",
                        ".venv/bin/python -m flask --app app load-demo --if-empty",
                        ".venv/bin/python -m gunicorn -c deploy/gunicorn.conf.py --bind 127.0.0.1:5123"]
    dev = make_dry_run("dev")
    assert dev[-1] == ".venv/bin/python -m flask --app app run --debug --host 127.0.0.1 --port 5123"
    assert "--debug" not in " ".join(run)


@pytest.mark.first_pass_only  # SQLite or no database at all: the same on either pass
def test_the_production_entry_compiles_every_template_before_its_first_request(tmp_path):
    """wsgi:app (gunicorn's) holds every page template compiled: a fresh worker's first requests don't compile."""
    script = ("import wsgi\n"
              "print('\\n'.join(sorted(key[1] for key in wsgi.app.jinja_env.cache.keys())))\n")
    env = dict(os.environ, DATABASE_URL="sqlite:///%s" % (tmp_path / "entry.db"), SECRET_KEY="entry-test")
    result = subprocess.run([sys.executable, "-c", script], cwd=str(ROOT), env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    compiled = set(result.stdout.split())
    templates = {str(path.relative_to(ROOT / "templates")) for path in (ROOT / "templates").rglob("*.html")}
    assert templates and templates <= compiled, sorted(templates - compiled)[:5]
