"""One's own account in a real browser: the password change page, its errors, and ending the sessions."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_public_a11y import axe_violations

NEW_PASSWORD = "mat-khau-moi-rat-dai"


@pytest.fixture
def two_browsers(browser):
    """Two separate browsers (contexts: cookies of their own) of the same person."""
    made = [browser.new_context(locale="vi-VN", bypass_csp=True) for _ in range(2)]
    yield [context.new_page() for context in made]
    for context in made:
        context.close()


def test_password_change_page_passes_axe_with_and_without_errors(live_server, sign_in, two_browsers):
    pg = two_browsers[0]
    sign_in(pg, "coordinator")
    pg.get_by_role("link", name="Đổi mật khẩu").click()
    expect(pg.get_by_role("heading", name="Đổi mật khẩu")).to_be_visible()
    assert axe_violations(pg) == []
    pg.fill("#current", "sai-mat-khau")
    pg.fill("#password", "ngan")
    pg.fill("#confirm", "ngan")
    pg.get_by_role("button", name="Đổi mật khẩu").click()
    expect(pg.locator("#password-error")).to_have_text("Mật khẩu cần ít nhất 10 ký tự.")
    expect(pg.locator("#password")).to_have_attribute("aria-invalid", "true")
    assert axe_violations(pg) == []


def test_changing_the_password_ends_the_other_browser_and_everywhere_ends_all(live_server, sign_in, two_browsers):
    here, there = two_browsers
    sign_in(here, "leader")
    sign_in(there, "leader")
    here.goto(live_server + "/doi-mat-khau")
    here.fill("#current", "doithoai-demo")
    here.fill("#password", NEW_PASSWORD)
    here.fill("#confirm", NEW_PASSWORD)
    here.get_by_role("button", name="Đổi mật khẩu").click()
    expect(here.get_by_text("Đã đổi mật khẩu")).to_be_visible()
    there.goto(live_server + "/y-kien/")
    expect(there.get_by_role("heading", name="Đăng nhập")).to_be_visible()

    sign_in(there, "leader", NEW_PASSWORD)
    here.goto(live_server + "/doi-mat-khau")
    here.get_by_role("button", name="Đăng xuất khỏi mọi nơi").click()
    expect(here.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    there.goto(live_server + "/")
    expect(there.get_by_role("heading", name="Đăng nhập")).to_be_visible()
