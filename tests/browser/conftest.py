"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright."""
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Debian's chromium is not installed: `make test` installs it with apt-get.")


@pytest.fixture
def live_server(app):
    """Serve the test app on a free port of 127.0.0.1 for the length of a test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_port
    server.shutdown()
    thread.join()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="vi-VN")
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def page_nojs(browser):
    context = browser.new_context(locale="vi-VN", java_script_enabled=False)
    pg = context.new_page()
    yield pg
    context.close()


@pytest.fixture
def sign_in(live_server):
    """sign_in(page, "coordinator"): log in through the real form."""
    def _sign_in(pg, username, password="doithoai-demo"):
        pg.goto(live_server + "/dang-nhap")
        pg.fill("#username", username)
        pg.fill("#password", password)
        pg.click("button[type=submit]")
        pg.wait_for_url(live_server + "/")
    return _sign_in
