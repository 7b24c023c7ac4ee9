"""The app in a real headless Chromium: sign in, with htmx loaded under a strict CSP."""


def test_sign_in_and_dashboard_in_chromium(page, live_server, sign_in):
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    sign_in(page, "coordinator")
    assert page.locator("h1").inner_text() == "Tổng quan"
    assert page.evaluate("typeof htmx") == "object", "htmx.min.js was not served"
    assert page.evaluate("htmx.config.historyCacheSize") == 0
    assert page.evaluate("htmx.config.allowEval") is False
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_sign_in_works_without_javascript(page_nojs, live_server, sign_in):
    sign_in(page_nojs, "specialist")
    assert "Tổng quan" in page_nojs.content()
