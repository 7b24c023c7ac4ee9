"""A live server on 127.0.0.1 and Debian's Chromium driven by Playwright."""
import shutil
import threading

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    pytest.fail("Debian's chromium is not installed: `make test` installs it with apt-get.")


class _OneRequestPerConnection(WSGIRequestHandler):
    """HTTP/1.0: the browser's keep-alive cannot hold a request thread open after its response."""
    protocol_version = "HTTP/1.0"


@pytest.fixture
def live_server(app):
    """Serve the test app on a free port of 127.0.0.1 for the length of a test.

    At the end every request thread is waited for, so that no request is still using the
    test's database when the app fixture closes its connections (closing a SQLite connection
    under a running query crashes the interpreter)."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_OneRequestPerConnection)
    server.daemon_threads = False  # socketserver then keeps the request threads ...
    server.block_on_close = True   # ... and server_close() joins them
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_port
    server.shutdown()
    thread.join()
    server.server_close()


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
