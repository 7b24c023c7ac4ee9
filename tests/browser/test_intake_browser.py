"""The intake service in headless Chromium: the form works with and without JavaScript, and its pages pass axe."""
import threading

import pytest
from werkzeug.serving import make_server

from intake import models as im
from tests.browser.conftest import _OneRequestPerConnection
from tests.browser.test_public_a11y import axe_violations
from tests.intake_support import CODE, CONTENT, NAME, PDF, TITLE, close_intake_db, make_app


@pytest.fixture
def intake_server(tmp_path):
    """The intake app on a free port of 127.0.0.1, with two fields, for the length of a test."""
    app = make_app(tmp_path, INTAKE_LOOKUP_LIMIT=3)
    with im.db.connection_context():
        im.FieldChoice.replace_all([{"code": "thu-tuc", "name": "Thủ tục hành chính"},
                                    {"code": "khac", "name": "Lĩnh vực khác"}])
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_OneRequestPerConnection)
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://127.0.0.1:%d" % server.server_port
    server.shutdown()
    thread.join()
    server.server_close()
    close_intake_db()


def fill_and_send(pg, base, tmp_path):
    pg.goto(base + "/")
    pg.get_by_label("Đề nghị đối thoại trực tiếp").check()
    pg.get_by_label("Họ và tên").fill(NAME)
    pg.get_by_label("Số điện thoại").fill("0912 345 678")
    pg.get_by_label("Lĩnh vực").select_option("thu-tuc")
    pg.get_by_label("Tiêu đề").fill(TITLE)
    pg.locator("#content").fill(CONTENT)
    attachment = tmp_path / "don.pdf"
    attachment.write_bytes(PDF)
    pg.set_input_files("#attachments", str(attachment))
    pg.get_by_label("Tôi đã đọc và đồng ý").check()
    pg.get_by_role("button", name="Gửi yêu cầu").click()
    pg.wait_for_url(base + "/bien-nhan/")
    return pg.locator("#tracking-code").inner_text()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_citizen_sends_a_request_and_looks_it_up(browser, intake_server, tmp_path, javascript):
    context = browser.new_context(locale="vi-VN", java_script_enabled=javascript)
    pg = context.new_page()
    try:
        code = fill_and_send(pg, intake_server, tmp_path)
        assert CODE.fullmatch(code)
        assert code not in pg.url
        pg.get_by_role("link", name="Tra cứu tình trạng").click()
        pg.get_by_label("Mã tra cứu").fill(code.lower().replace("-", " "))
        pg.get_by_role("button", name="Tra cứu").click()
        result = pg.locator(".result").inner_text()
        assert "Đã tiếp nhận" in result and "Đề nghị đối thoại trực tiếp" in result
        assert NAME not in pg.content() and code not in pg.url
        with im.db.connection_context():
            row = im.Submission.get(im.Submission.code == code)
            assert (row.full_name, row.field_code, row.files.count()) == (NAME, "thu-tuc", 1)
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_refusals_show_beside_the_fields_and_keep_what_was_typed(browser, intake_server, javascript):
    context = browser.new_context(locale="vi-VN", java_script_enabled=javascript)
    pg = context.new_page()
    try:
        pg.goto(intake_server + "/")
        pg.get_by_label("Họ và tên").fill(NAME)
        pg.get_by_label("Số điện thoại").fill("12345")
        pg.get_by_role("button", name="Gửi yêu cầu").click()
        pg.wait_for_load_state()
        assert "không đúng dạng số Việt Nam" in pg.locator("#phone-error").inner_text()
        assert "Cần đồng ý" in pg.locator("#consent-error").inner_text()
        assert pg.get_by_label("Họ và tên").input_value() == NAME
        assert pg.get_by_label("Số điện thoại").input_value() == "12345"
        assert "phone-error" in pg.get_by_label("Số điện thoại").get_attribute("aria-describedby")
        with im.db.connection_context():
            assert im.Submission.select().count() == 0
    finally:
        context.close()


def _visit(pg, base, tmp_path, name):
    if name == "form":
        pg.goto(base + "/")
    elif name == "form-errors":
        pg.goto(base + "/")
        pg.get_by_role("button", name="Gửi yêu cầu").click()
        pg.wait_for_load_state()
        assert pg.locator(".error").count() >= 4
    elif name == "receipt":
        fill_and_send(pg, base, tmp_path)
    elif name == "lookup":
        code = fill_and_send(pg, base, tmp_path)
        pg.goto(base + "/tra-cuu/")
        pg.get_by_label("Mã tra cứu").fill(code)
        pg.get_by_role("button", name="Tra cứu").click()
        pg.wait_for_selector(".result")
    elif name == "lookup-error":
        pg.goto(base + "/tra-cuu/")
        pg.get_by_label("Mã tra cứu").fill("abc")
        pg.get_by_role("button", name="Tra cứu").click()
        pg.wait_for_selector("#code-error")
    elif name == "too-many":
        for _ in range(4):
            pg.goto(base + "/tra-cuu/")
            pg.get_by_label("Mã tra cứu").fill("YC-7K3M-9QXD-4F2A")
            pg.get_by_role("button", name="Tra cứu").click()
            pg.wait_for_load_state()
        assert "Quá nhiều yêu cầu" in pg.content()


AXE_CASES = [(name, 360) for name in ("form", "form-errors", "receipt", "lookup", "lookup-error", "too-many")]
AXE_CASES += [("form-errors", 1280), ("lookup", 1280)]


@pytest.mark.parametrize("name, width", AXE_CASES)
def test_intake_pages_pass_axe(browser, intake_server, tmp_path, name, width):
    # The intake's strict CSP would block the injected axe script: bypass it in this context only.
    pg = browser.new_page(locale="vi-VN", bypass_csp=True, viewport={"width": width, "height": 800})
    try:
        _visit(pg, intake_server, tmp_path, name)
        assert pg.evaluate("document.documentElement.lang") == "vi"
        assert pg.evaluate("[...document.styleSheets].some(s => s.href && s.cssRules.length > 0)")
        violations = axe_violations(pg)
        assert violations == [], "axe, %s at %d px:\n%s" % (name, width, "\n".join(violations))
        assert pg.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        pg.close()
