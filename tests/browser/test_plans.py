"""The plan screen in a real browser: the Markdown preview with htmx and without JavaScript, Enter saves."""
import pytest
from playwright.sync_api import expect

from tests.browser.test_public_a11y import axe_violations

BODY = "# Mục đích\n\n**Lắng nghe** ý kiến công chức.\n\n<script>alert(1)</script>"


@pytest.fixture
def page_for_axe(browser):
    """A page whose context lets axe's script in (the app's CSP allows no inline script)."""
    context = browser.new_context(locale="vi-VN", bypass_csp=True)
    yield context.new_page()
    context.close()


def fill_plan(pg, year, title):
    pg.fill("#year", str(year))
    pg.fill("#title", title)
    pg.fill("#body_md", BODY)


def test_the_preview_comes_in_place_with_htmx_and_enter_saves(live_server, sign_in, page_for_axe):
    page = page_for_axe
    sign_in(page, "coordinator")
    page.goto(live_server + "/ke-hoach/moi")
    fill_plan(page, 2031, "Kế hoạch đối thoại năm 2031")
    page.get_by_role("button", name="Xem trước").click()
    preview = page.locator("#plan-preview")
    expect(preview.locator("h1")).to_have_text("Mục đích")
    expect(preview.locator("strong")).to_have_text("Lắng nghe")
    assert preview.locator("script").count() == 0 and page.url.endswith("/ke-hoach/moi")
    assert page.input_value("#title") == "Kế hoạch đối thoại năm 2031"  # htmx swapped the preview only
    assert axe_violations(page) == []
    page.locator("#title").press("Enter")  # the form's first submit button: save, not preview
    expect(page.get_by_role("heading", name="Kế hoạch đối thoại năm 2031")).to_be_visible()
    assert "/ke-hoach/moi" not in page.url


def test_without_javascript_the_preview_redraws_the_form_keeping_what_was_typed(live_server, sign_in, page_nojs):
    sign_in(page_nojs, "chief")
    page_nojs.goto(live_server + "/ke-hoach/moi")
    fill_plan(page_nojs, 2032, "Kế hoạch đối thoại năm 2032")
    page_nojs.get_by_role("button", name="Xem trước").click()
    expect(page_nojs.locator("#plan-preview strong")).to_have_text("Lắng nghe")
    assert page_nojs.input_value("#title") == "Kế hoạch đối thoại năm 2032"
    assert page_nojs.input_value("#body_md") == BODY
    page_nojs.get_by_role("button", name="Thêm kế hoạch").click()
    expect(page_nojs.get_by_role("heading", name="Kế hoạch đối thoại năm 2032")).to_be_visible()
