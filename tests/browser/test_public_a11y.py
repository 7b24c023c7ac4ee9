"""Accessibility (axe-core, WCAG 2.1 A and AA) in headless Chromium: one page of every type of the
frozen public site, at a phone's 360 px and a desktop's 1280 px, and the main staff screens.

The frozen site is served from a sub-folder (/dan-biet/) by http.server, as the province host would.
"""
import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest

import models
from tests.test_site_checks import freeze_demo

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PREFIX = "/dan-biet/"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
WIDTHS = {"phone": 360, "desktop": 1280}

# One page of every type: (name, a regular expression on the site path, or a fixed path).
PAGE_TYPES = [
    ("home", ""),
    ("plans", "ke-hoach/"),
    ("plan", re.compile(r"ke-hoach/\d{4}/")),
    ("schedule", "lich-doi-thoai/"),
    ("schedule-year", re.compile(r"lich-doi-thoai/nam/\d{4}/")),
    ("dialogue", re.compile(r"lich-doi-thoai/(?!nam/)[a-z0-9-]+/")),
    ("conclusions", "ket-luan/"),
    ("conclusion", re.compile(r"ket-luan/\d+/")),
    ("conclusions-field", re.compile(r"ket-luan/linh-vuc/[a-z0-9-]+/")),
    ("conclusions-year", re.compile(r"ket-luan/nam/\d{4}/")),
    ("statistics", "thong-ke/"),
    ("request", "yeu-cau-doi-thoai/"),
    ("search", "tim-kiem/"),
    ("open-data", "du-lieu/"),
    ("not-found", "khong-co/trang-nay/"),  # a missing address: the host serves 404.html
]


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files; a missing address gets the site's 404.html, as the web host is set up to do."""

    def log_message(self, *args):
        pass

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / PREFIX.strip("/") / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


@pytest.fixture(scope="module")
def public_site(tmp_path_factory, demo_db_file):
    """(base URL, site folder): the demo data frozen into <folder>/dan-biet, served on 127.0.0.1."""
    served = tmp_path_factory.mktemp("served")
    handler = functools.partial(SiteHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base_url = "http://127.0.0.1:%d%s" % (server.server_port, PREFIX)
    site = freeze_demo(tmp_path_factory, demo_db_file, base_url=base_url)
    shutil.move(str(site.resolve()), str(served / PREFIX.strip("/")))  # site/ is a link to its build
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base_url, served / PREFIX.strip("/")
    server.shutdown()
    server.server_close()
    thread.join()


def site_path(site, pattern):
    if isinstance(pattern, str):
        return pattern
    for path in sorted(p.parent.relative_to(site).as_posix() + "/" for p in site.rglob("index.html")):
        if pattern.fullmatch(path):
            return path
    pytest.fail("Bản dựng không có trang nào dạng %s" % pattern.pattern)


def axe_violations(pg):
    """axe-core's WCAG 2.1 A/AA violations on the page, one line each (rule, impact, targets)."""
    if not AXE.is_file():
        pytest.fail("Thiếu %s: chạy `npm ci` để cài axe-core." % AXE.relative_to(ROOT))
    pg.add_script_tag(path=str(AXE))
    result = pg.evaluate(RUN_AXE, WCAG)
    return ["%s (%s): %s — %s" % (v["id"], v["impact"], v["help"],
                                  "; ".join(" ".join(map(str, n["target"])) for n in v["nodes"]))
            for v in result["violations"]]


@pytest.fixture(scope="module")
def contexts(browser):
    made = {name: browser.new_context(locale="vi-VN", viewport={"width": width, "height": 800})
            for name, width in WIDTHS.items()}
    yield made
    for context in made.values():
        context.close()


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("kind,pattern", PAGE_TYPES, ids=[name for name, _ in PAGE_TYPES])
def test_public_page_passes_axe(public_site, contexts, kind, pattern, width):
    base_url, site = public_site
    path = site_path(site, pattern)
    pg = contexts[width].new_page()
    try:
        response = pg.goto(base_url + path)
        assert response.status == (404 if kind == "not-found" else 200), path
        assert pg.evaluate("document.documentElement.lang") == "vi"
        # The style sheet loaded (axe's colour contrast would otherwise judge the browser's defaults).
        assert pg.evaluate("[...document.styleSheets].some(s => s.href && s.cssRules.length > 0)"), path
        violations = axe_violations(pg)
        assert violations == [], "axe, /%s ở %d px:\n%s" % (path, WIDTHS[width], "\n".join(violations))
        if width == "phone":
            scroll = pg.evaluate("document.documentElement.scrollWidth")
            assert scroll <= 360, "/%s cuộn ngang ở 360 px: rộng %d px" % (path, scroll)
    finally:
        pg.close()


def test_axe_reports_violations(public_site, contexts):
    """The check above can fail: an image without text and an unlabelled field are violations."""
    base_url, _ = public_site
    pg = contexts["phone"].new_page()
    try:
        pg.goto(base_url)
        pg.evaluate("""() => { const main = document.querySelector('main') || document.body;
            main.insertAdjacentHTML('beforeend', '<img src="x.png"><input type="text">'); }""")
        rules = {line.split(" ")[0] for line in axe_violations(pg)}
        assert {"image-alt", "label"} <= rules
    finally:
        pg.close()


# ---------------------------------------------------------------- the staff app


def _opinion_url():
    with models.db.connection_context():
        return "/y-kien/%d" % models.Opinion.select().order_by(models.Opinion.id).first().id


def _dialogue_url():
    with models.db.connection_context():
        return "/doi-thoai/%d" % models.Dialogue.select().order_by(models.Dialogue.id).first().id


STAFF_PAGES = [
    ("login", None),
    ("dashboard", lambda: "/"),
    ("register", lambda: "/y-kien/"),
    ("opinion", _opinion_url),
    ("dialogue", _dialogue_url),
]


@pytest.fixture
def staff_page(browser):
    # The staff app's strict CSP would block the injected axe script: bypass it in this context only
    # (a page of its own context: closing it closes the context).
    pg = browser.new_page(locale="vi-VN", bypass_csp=True)
    yield pg
    pg.close()


@pytest.mark.parametrize("name,url", STAFF_PAGES, ids=[name for name, _ in STAFF_PAGES])
def test_staff_page_passes_axe(app, live_server, sign_in, staff_page, name, url):
    if url is None:
        staff_page.goto(live_server + "/dang-nhap")
    else:
        sign_in(staff_page, "coordinator")
        response = staff_page.goto(live_server + url())
        assert response.status == 200
    violations = axe_violations(staff_page)
    assert violations == [], "axe, %s:\n%s" % (staff_page.url, "\n".join(violations))
