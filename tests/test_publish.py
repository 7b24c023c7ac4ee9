"""Publishing a built site to the web host: a real FTP server on 127.0.0.1 (pyftpdlib), and a folder."""
import datetime as dt
import io
import ipaddress
import json
import os
import posixpath
import re
import threading
import warnings

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sitebuild import publish

with warnings.catch_warnings():  # pyftpdlib 2.2 still imports asyncore/asynchat (deprecated in Python 3.11)
    warnings.simplefilter("ignore", DeprecationWarning)
    from pyftpdlib.authorizers import DummyAuthorizer
    from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
    from pyftpdlib.servers import FTPServer

USER, PASSWORD = "webhost", "mat-khau-thu-7Q"


def _tree(root):
    """{relative path: bytes} of every file under root, the manifest and temporary files aside."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            if relative != publish.MANIFEST:
                with open(path, "rb") as handle:
                    files[relative] = handle.read()
    return files


def _folders(root):
    return sorted(os.path.relpath(folder, root) for folder, _, _ in os.walk(root) if folder != str(root))


@pytest.fixture
def site(tmp_path):
    """A small fake build: nested pages, assets, a feed, data."""
    root = tmp_path / "site"
    files = {
        "index.html": '<a href="ket-luan/">Kết luận</a> <a href="lich-doi-thoai/">Lịch</a>',
        "404.html": "<p>Không tìm thấy trang</p>",
        "ket-luan/index.html": '<a href="1/">1</a> <a href="2/">2</a> <a href="nam/2022/">2022</a>',
        "ket-luan/1/index.html": "<h1>Kết luận 1: đất đai</h1>",
        "ket-luan/2/index.html": "<h1>Kết luận 2</h1>",
        "ket-luan/nam/2022/index.html": "<h1>Năm 2022</h1>",
        "lich-doi-thoai/index.html": "<h1>Lịch đối thoại</h1>",
        "lich-doi-thoai/hoi-nghi-2022/index.html": "<h1>Hội nghị</h1>",
        "static/site.css": "body { font-family: sans-serif }",
        "static/img/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
        "feed.xml": "<feed xmlns='http://www.w3.org/2005/Atom'/>",
        "du-lieu/ket-luan.csv": "id,tom_tat\n1,đất đai\n",
        "du-lieu/ket-luan.json": "[]",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    return root


class _Server:
    """pyftpdlib on a free port of 127.0.0.1, serving `home`; records the files stored (STOR)."""

    def __init__(self, home):
        self.home = home
        self.stored = []
        self.fail_after = None  # number of STOR commands accepted before the connection is dropped
        server_state = self

        class Handler(FTPHandler):
            def ftp_STOR(self, file, mode="w"):
                if server_state.fail_after is not None and len(server_state.stored) >= server_state.fail_after:
                    self.respond("421 Máy chủ ngắt kết nối (thử nghiệm).")
                    self.close_when_done()
                    return None
                server_state.stored.append(os.path.relpath(file, home).replace(os.sep, "/"))
                return super().ftp_STOR(file, mode)

        authorizer = DummyAuthorizer()
        authorizer.add_user(USER, PASSWORD, str(home), perm="elradfmwMT")
        Handler.authorizer = authorizer
        Handler.auth_failed_timeout = 0.01
        self.server = FTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.address[1]
        # The loop serve_forever runs, without its first log line: that line reads the socket's address,
        # and a test that stops the server at once had closed it (a thread's OSError, a warning).
        self.thread = threading.Thread(target=self.server.ioloop.loop, kwargs={"timeout": 0.05, "blocking": True},
                                       daemon=True)
        self.thread.start()

    def url(self, folder="/dan-biet"):
        return "ftp://%s@127.0.0.1:%d%s" % (USER, self.port, folder)

    def stop(self):
        # Closed from its own loop: closed from this thread, the poller went while the loop was in poll()
        # (an OSError in the server's thread, a warning).
        self.server.ioloop.call_later(0, self.server.close_all)
        self.thread.join(5)
        if self.thread.is_alive():
            self.server.close_all()
            self.thread.join(5)

    def sent(self):
        """The final names of the files stored since the last call (temporary suffix removed)."""
        names = [name.removeprefix("dan-biet/") for name in self.stored]
        names = [name.removesuffix(publish.TEMP_SUFFIX) for name in names]
        self.stored = []
        return names


@pytest.fixture
def ftp_server(tmp_path):
    home = tmp_path / "ftp-home"
    home.mkdir()
    server = _Server(home)
    yield server
    server.stop()


@pytest.fixture
def password_env(monkeypatch):
    monkeypatch.setenv(publish.PASSWORD_VARIABLE, PASSWORD)


def _publish(site, target, **options):
    return publish.publish(site, target, out=io.StringIO(), **options)


def test_first_publish_sends_every_file_and_the_target_equals_the_build(site, ftp_server, password_env):
    progress = []
    summary = _publish(site, ftp_server.url(), progress=lambda *args: progress.append(args))
    target = ftp_server.home / "dan-biet"
    assert _tree(target) == _tree(site)
    assert summary.count("+") == summary.sent == 13 and summary.removed == 0
    assert summary.bytes == sum(len(data) for data in _tree(site).values())
    # Assets first, then pages deepest first, the root index.html very last; the manifest after all.
    sent = ftp_server.sent()
    pages = [name for name in sent if name.endswith(".html")]
    assert sent[:5] == sorted(name for name in _tree(site) if not name.endswith(".html"))
    assert pages[:2] == ["ket-luan/nam/2022/index.html", "ket-luan/1/index.html"]
    assert pages[-4:] == ["ket-luan/index.html", "lich-doi-thoai/index.html", "404.html", "index.html"]
    for position, name in enumerate(sent):  # every link of a page points to a file already sent
        if name.endswith(".html"):
            for href in re.findall(r'href="([^"]+)"', (site / name).read_text(encoding="utf-8")):
                linked = posixpath.normpath(posixpath.join(posixpath.dirname(name), href, "index.html"))
                assert linked in sent[:position], (name, href)
    assert sent[-1] == publish.MANIFEST
    manifest = json.loads((target / publish.MANIFEST).read_text(encoding="utf-8"))["files"]
    assert set(manifest) == set(_tree(site))
    # The progress line: files done/total and bytes.
    assert progress[-1][:2] == (13, 13) and progress[-1][3] == progress[-1][4] == summary.bytes
    assert "13 tệp mới" in summary.line()


def test_incremental_publish_sends_only_the_changed_file_and_removes_the_removed_one(site, ftp_server, password_env):
    _publish(site, ftp_server.url())
    ftp_server.sent()
    target = ftp_server.home / "dan-biet"
    old_time = 1_000_000_000
    for path in target.rglob("*"):
        os.utime(path, (old_time, old_time))
    (site / "ket-luan/1/index.html").write_text("<h1>Kết luận 1: đã giải quyết</h1>", encoding="utf-8")
    (site / "ket-luan/2/index.html").unlink()
    (site / "ket-luan/2").rmdir()

    summary = _publish(site, ftp_server.url())

    assert ftp_server.sent() == ["ket-luan/1/index.html", publish.MANIFEST]
    assert summary.changes == [("~", "ket-luan/1/index.html"), ("-", "ket-luan/2/index.html")]
    assert _tree(target) == _tree(site)
    assert not (target / "ket-luan/2").exists()  # the emptied folder went too
    untouched = [path for path in _tree(site) if path != "ket-luan/1/index.html"]
    assert all((target / path).stat().st_mtime == old_time for path in untouched)
    # Nothing changed: nothing but the manifest is sent.
    again = _publish(site, ftp_server.url())
    assert again.changes == [] and ftp_server.sent() == [publish.MANIFEST]


def test_an_interrupted_publish_keeps_the_old_manifest_and_the_next_run_completes_it(site, ftp_server, password_env):
    _publish(site, ftp_server.url())
    target = ftp_server.home / "dan-biet"
    old_manifest = (target / publish.MANIFEST).read_bytes()
    (site / "static/site.css").write_text("body { color: #222 }", encoding="utf-8")
    (site / "ket-luan/3/index.html").parent.mkdir()
    (site / "ket-luan/3/index.html").write_text("<h1>Kết luận 3</h1>", encoding="utf-8")
    (site / "ket-luan/index.html").write_text('<a href="1/">1</a> <a href="3/">3</a>', encoding="utf-8")
    (site / "feed.xml").unlink()
    ftp_server.sent()
    ftp_server.fail_after = 2  # the css and the new page arrive, then the server drops the connection

    with pytest.raises(publish.PublishError, match="gián đoạn"):
        _publish(site, ftp_server.url())

    assert ftp_server.sent() == ["static/site.css", "ket-luan/3/index.html"]
    assert (target / publish.MANIFEST).read_bytes() == old_manifest
    assert (target / "feed.xml").exists()  # removals come after all sending
    assert "3/" not in (target / "ket-luan/index.html").read_text(encoding="utf-8")  # no link to it yet
    ftp_server.fail_after = None
    summary = _publish(site, ftp_server.url())
    assert _tree(target) == _tree(site)
    assert summary.removed == 1 and (target / publish.MANIFEST).read_bytes() != old_manifest
    assert not [path for path in _tree(target) if path.endswith(publish.TEMP_SUFFIX)]


def test_dry_run_lists_the_changes_and_sends_nothing(site, ftp_server, password_env):
    _publish(site, ftp_server.url())
    target = ftp_server.home / "dan-biet"
    before = _tree(target)
    manifest = (target / publish.MANIFEST).read_bytes()
    ftp_server.sent()
    (site / "static/site.css").write_text("body { color: #000 }", encoding="utf-8")
    (site / "static/new.js").write_text("// tìm kiếm", encoding="utf-8")
    (site / "du-lieu/ket-luan.json").unlink()
    out = io.StringIO()

    summary = publish.publish(site, ftp_server.url(), dry_run=True, out=out)

    assert out.getvalue().splitlines() == ["+ static/new.js", "~ static/site.css", "- du-lieu/ket-luan.json"]
    assert ftp_server.sent() == []
    assert _tree(target) == before and (target / publish.MANIFEST).read_bytes() == manifest
    assert "Chạy thử" in summary.line()


def test_a_folder_target_works_the_same_way(site, tmp_path):
    target = tmp_path / "share" / "dan-biet"
    first = _publish(site, str(target))
    assert _tree(target) == _tree(site) and first.count("+") == 13
    old_time = 1_000_000_000
    for path in target.rglob("*"):
        os.utime(path, (old_time, old_time))
    (site / "lich-doi-thoai/hoi-nghi-2022/index.html").write_text("<h1>Hội nghị (đã họp)</h1>", encoding="utf-8")
    (site / "ket-luan/nam/2022/index.html").unlink()

    summary = _publish(site, str(target))

    assert summary.changes == [("~", "lich-doi-thoai/hoi-nghi-2022/index.html"), ("-", "ket-luan/nam/2022/index.html")]
    assert _tree(target) == _tree(site)
    assert "ket-luan/nam" not in _folders(target)
    assert (target / "lich-doi-thoai/hoi-nghi-2022/index.html").stat().st_mtime != old_time
    assert (target / "ket-luan/1/index.html").stat().st_mtime == old_time


def test_a_url_with_a_password_is_refused_and_nothing_is_sent(site, ftp_server, monkeypatch):
    monkeypatch.delenv(publish.PASSWORD_VARIABLE, raising=False)
    url = "ftp://%s:%s@127.0.0.1:%d/dan-biet" % (USER, PASSWORD, ftp_server.port)
    with pytest.raises(publish.PublishError, match="mật khẩu"):
        _publish(site, url)
    assert publish.main([str(site), url]) == 1
    assert ftp_server.sent() == [] and not (ftp_server.home / "dan-biet").exists()


def test_a_missing_password_or_a_missing_build_is_refused(site, tmp_path, ftp_server, monkeypatch):
    monkeypatch.delenv(publish.PASSWORD_VARIABLE, raising=False)
    with pytest.raises(publish.PublishError, match=publish.PASSWORD_VARIABLE):
        _publish(site, ftp_server.url())
    monkeypatch.setenv(publish.PASSWORD_VARIABLE, "sai-mat-khau")
    with pytest.raises(publish.PublishError):
        _publish(site, ftp_server.url())
    # An empty build must not wipe the host.
    monkeypatch.setenv(publish.PASSWORD_VARIABLE, PASSWORD)
    _publish(site, ftp_server.url())
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(publish.PublishError, match="index.html"):
        _publish(empty, ftp_server.url())
    assert _tree(ftp_server.home / "dan-biet") == _tree(site)


def test_main_publishes_and_prints_a_summary(site, ftp_server, password_env, capsys):
    assert publish.main([str(site), ftp_server.url(), "--dry-run"]) == 0
    output = capsys.readouterr().out
    assert "+ index.html" in output and "Chạy thử" in output
    assert not (ftp_server.home / "dan-biet" / "index.html").exists()
    assert publish.main([str(site), ftp_server.url()]) == 0
    assert "Đã đăng: 13 tệp mới" in capsys.readouterr().out
    assert _tree(ftp_server.home / "dan-biet") == _tree(site)


def _self_signed_certificate(folder):
    """A certificate for 127.0.0.1 and its key, as PEM files; the certificate is its own authority."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "host.pem", folder / "host.key"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def test_ftps_publishes_over_tls_and_refuses_an_untrusted_certificate(site, tmp_path, password_env, monkeypatch):
    certfile, keyfile = _self_signed_certificate(tmp_path)
    home = tmp_path / "ftps-home"
    home.mkdir()
    authorizer = DummyAuthorizer()
    authorizer.add_user(USER, PASSWORD, str(home), perm="elradfmwMT")

    class Handler(TLS_FTPHandler):
        tls_control_required = tls_data_required = True  # plain FTP is refused: the client must use TLS

    Handler.certfile, Handler.keyfile, Handler.authorizer = str(certfile), str(keyfile), authorizer
    server = FTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"timeout": 0.05, "handle_exit": False},
                              daemon=True)
    thread.start()
    url = "ftps://%s@127.0.0.1:%d/dan-biet" % (USER, server.address[1])
    try:
        monkeypatch.delenv(publish.CA_FILE_VARIABLE, raising=False)
        with pytest.raises(publish.PublishError, match="Không kết nối được"):
            _publish(site, url)  # not signed by an authority the system trusts
        assert not (home / "dan-biet").exists()
        monkeypatch.setenv(publish.CA_FILE_VARIABLE, str(certfile))
        summary = _publish(site, url)
        assert summary.sent == 13 and _tree(home / "dan-biet") == _tree(site)
        (site / "static/site.css").write_text("body { color: #111 }", encoding="utf-8")
        assert _publish(site, url).changes == [("~", "static/site.css")]
        assert _tree(home / "dan-biet") == _tree(site)
    finally:
        server.close_all()
        thread.join(5)


def test_a_dry_run_against_an_empty_host_lists_everything_and_creates_nothing(site, ftp_server, tmp_path,
                                                                             password_env):
    out = io.StringIO()
    summary = publish.publish(site, ftp_server.url(), dry_run=True, out=out)
    assert summary.count("+") == 13 and len(out.getvalue().splitlines()) == 13
    assert out.getvalue().splitlines()[-1] == "+ index.html"
    assert list(ftp_server.home.iterdir()) == []
    publish.publish(site, tmp_path / "share", dry_run=True, out=io.StringIO())
    assert not (tmp_path / "share").exists()


def test_a_tampered_manifest_cannot_remove_files_outside_the_target(site, tmp_path):
    target = tmp_path / "share" / "dan-biet"
    _publish(site, str(target))
    outside = tmp_path / "share" / "khac.html"
    outside.write_text("trang của đơn vị khác", encoding="utf-8")
    manifest = json.loads((target / publish.MANIFEST).read_text(encoding="utf-8"))
    manifest["files"]["../khac.html"] = {"sha256": "0" * 64, "size": 1}
    manifest["files"][str(outside)] = {"sha256": "0" * 64, "size": 1}
    (target / publish.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert _publish(site, str(target)).changes == []
    assert outside.exists() and _tree(target) == _tree(site)
