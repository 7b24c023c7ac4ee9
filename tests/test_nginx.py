"""deploy/nginx.conf.sample for real: `nginx -t` accepts it, and a real nginx in front of gunicorn serves the
public site's files over HTTPS, sends plain http to https, overwrites a forged X-Forwarded-For and logs no query.

The sample is used as shipped, with only what a server names itself (ports, certificate, folders) replaced;
each replacement must find its text, so a changed sample fails here rather than going untested.
"""
import re
import shutil
import sqlite3
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.test_production import DEPLOY, ID_NUMBER, NoRedirect, free_port, gunicorn

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = [pytest.mark.sqlite_only,  # the served database is a SQLite file (gunicorn's own test)
              pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx (make test installs it)")]
HOST = "doithoai.example.gov.vn"


@pytest.fixture
def served(demo_db_file, tmp_path):
    """The SQLite file gunicorn serves: a copy of the demo database."""
    path = tmp_path / "served.db"
    shutil.copy(demo_db_file, path)
    return path


def adapted_sample(tmp_path, http_port, https_port, app_port):
    """The sample with this machine's ports, a self-signed certificate and temporary folders."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + HOST,
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    text = (DEPLOY / "nginx.conf.sample").read_text(encoding="utf-8")
    replacements = [
        (r"listen 80;", "listen 127.0.0.1:%d;" % http_port),
        (r"listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https_port),
        (r"listen \[::\]:80;\n", ""),  # the loopback of IPv4 only
        (r"listen \[::\]:443 ssl http2;\n", ""),
        (r"/etc/letsencrypt/live/%s/fullchain\.pem" % HOST, str(tmp_path / "cert.pem")),
        (r"/etc/letsencrypt/live/%s/privkey\.pem" % HOST, str(tmp_path / "key.pem")),
        (r"/var/log/nginx/", str(tmp_path / "logs") + "/"),
        (r"/var/www/doithoai/site/", str(tmp_path / "site") + "/"),
        (r"/var/www/letsencrypt", str(tmp_path / "acme")),
        (r"http://127\.0\.0\.1:5000", "http://127.0.0.1:%d" % app_port),
    ]
    for pattern, replacement in replacements:
        text, found = re.subn(pattern, replacement.replace("\\", "\\\\"), text)
        assert found, "the sample no longer has %r" % pattern
    (tmp_path / "logs").mkdir()
    (tmp_path / "doithoai.conf").write_text(text, encoding="utf-8")
    main = tmp_path / "nginx.conf"
    # What Debian's /etc/nginx/nginx.conf provides around sites-enabled/ (user root: pytest's folders are 0700).
    main.write_text("""user root;
worker_processes 1;
daemon off;
pid %(t)s/nginx.pid;
error_log %(t)s/logs/main-error.log;
events { worker_connections 64; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path %(t)s/body; proxy_temp_path %(t)s/proxy; fastcgi_temp_path %(t)s/fcgi;
    uwsgi_temp_path %(t)s/uwsgi; scgi_temp_path %(t)s/scgi;
    access_log %(t)s/logs/main-access.log;
    include %(t)s/doithoai.conf;
}
""" % {"t": tmp_path}, encoding="utf-8")
    return main


def public_site(tmp_path):
    """A built site as sitebuild leaves it: site → site.builds/<id>/ (a symbolic link)."""
    build = tmp_path / "site.builds" / "b1"
    build.mkdir(parents=True)
    (build / "index.html").write_text('<!doctype html><html lang="vi"><title>Dân biết</title>', encoding="utf-8")
    (build / "404.html").write_text("<p>Không tìm thấy trang</p>", encoding="utf-8")
    (tmp_path / "site").symlink_to(build)


def fetch(url, data=None, headers=None):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # the test's own certificate
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect)
    # As a browser at https://doithoai.example.gov.vn/ sends it: nginx's $host (no port) is what the app sees.
    request = urllib.request.Request(url, data=data, headers={"Host": HOST, **(headers or {})})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.headers, answer.read().decode()


def test_nginx_accepts_the_sample_and_serves_the_site_and_the_app_as_readme_says(tmp_path, served):
    http_port, https_port = free_port(), free_port()
    public_site(tmp_path)
    with gunicorn(tmp_path, served, TRUSTED_PROXIES="1", PREFER_HTTPS="1") as (_, app):
        app_port = int(app.base.rsplit(":", 1)[1])
        config = adapted_sample(tmp_path, http_port, https_port, app_port)
        checked = subprocess.run([NGINX, "-t", "-c", str(config)], capture_output=True, text=True)
        assert checked.returncode == 0 and "syntax is ok" in checked.stderr, checked.stderr
        server = subprocess.Popen([NGINX, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            base = "https://127.0.0.1:%d" % https_port
            deadline = time.monotonic() + 15
            while True:
                assert server.poll() is None, server.stderr.read().decode()
                try:
                    fetch(base + "/dan-biet/")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "nginx did not answer"
                    time.sleep(0.1)

            status, headers, body = fetch(base + "/dan-biet/")
            assert status == 200 and "Dân biết" in body
            assert headers.get_all("Strict-Transport-Security") == ["max-age=63072000"]
            assert fetch(base + "/dan-biet")[:2][0] == 301
            status, _, body = fetch(base + "/dan-biet/khong-co/")
            assert status == 404 and "Không tìm thấy trang" in body
            status, headers, _ = fetch("http://127.0.0.1:%d/y-kien/?q=%s" % (http_port, ID_NUMBER))
            assert status == 301 and headers["Location"] == "https://%s/y-kien/?q=%s" % (HOST, ID_NUMBER)

            # The staff app behind it: https seen (HSTS once, nginx's), a forged client address overwritten.
            status, headers, page = fetch(base + "/dang-nhap", headers={"X-Forwarded-For": "203.0.113.9"})
            assert status == 200 and '<html lang="vi">' in page
            assert headers.get_all("Strict-Transport-Security") == ["max-age=63072000"]
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            cookie = headers["Set-Cookie"].split(";", 1)[0]
            status, _, _ = fetch(base + "/dang-nhap", data=(
                "username=chief&password=sai-mat-khau&csrf_token=%s" % token).encode(), headers={
                "Cookie": cookie, "X-Forwarded-For": "203.0.113.9", "Referer": "https://%s/dang-nhap" % HOST,
                "Content-Type": "application/x-www-form-urlencoded"})
            assert status == 401
            assert fetch(base + "/y-kien/?q=%s" % ID_NUMBER)[0] in (302, 303)  # signed out: to the login page
        finally:
            server.terminate()
            server.wait(timeout=15)
    with sqlite3.connect(served) as connection:
        assert connection.execute("SELECT address FROM login_attempt").fetchall() == [("127.0.0.1",)]
    log = (tmp_path / "logs" / "doithoai.access.log").read_text(encoding="utf-8")
    assert "GET /y-kien/ HTTP/1.1" in log and "GET /dan-biet/index.html HTTP/1.1" in log  # $uri: after index
    assert ID_NUMBER not in log and "?" not in log and "203.0.113.9" not in log
