"""Every staff page loads in Chromium under the strict Content-Security-Policy with no violation,
no script error, and htmx running."""
import pytest
from playwright.sync_api import expect

import models

# Records violations as the browser reports them (an init script runs before the page's own).
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " "
                    + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def _opinion_id():
    return models.Opinion.get(models.Opinion.code == "YK-2026-0016").id


def _dialogue_id():
    return models.Dialogue.select().where(models.Dialogue.status == "held").first().id


def _signed_notice_id():
    return models.ConclusionNotice.select().where(models.ConclusionNotice.status == "signed").first().id


def _conclusion_id():
    return (models.Conclusion.select().join(models.ConclusionNotice)
            .where(models.ConclusionNotice.status == "signed").first().id)


def _proposal_id():
    return models.Proposal.select().first().id


def _report_id():
    return models.Report.select().first().id


PAGES = [
    ("coordinator", lambda: "/", "Tổng quan"),
    ("coordinator", lambda: "/y-kien/", "Sổ theo dõi ý kiến"),
    ("coordinator", lambda: "/y-kien/%d" % _opinion_id(), "YK-2026-0016"),
    ("coordinator", lambda: "/y-kien/moi", "Tiếp nhận ý kiến mới"),
    ("coordinator", lambda: "/doi-thoai/", None),
    ("coordinator", lambda: "/doi-thoai/%d" % _dialogue_id(), None),
    ("coordinator", lambda: "/quan-tri/don-vi/", None),
    ("admin", lambda: "/quan-tri/tai-khoan/", None),
    ("coordinator", lambda: "/quan-tri/nhat-ky/", None),
    ("coordinator", lambda: "/thong-bao/", None),
    ("coordinator", lambda: "/thong-bao/%d" % _signed_notice_id(), None),
    ("coordinator", lambda: "/ket-luan/", None),
    ("coordinator", lambda: "/ket-luan/%d" % _conclusion_id(), None),
    ("coordinator", lambda: "/de-xuat/", None),
    ("coordinator", lambda: "/de-xuat/%d" % _proposal_id(), None),
    ("coordinator", lambda: "/bao-cao/", None),
    ("coordinator", lambda: "/bao-cao/%d" % _report_id(), None),
    ("coordinator", lambda: "/cong-khai/", None),
    ("coordinator", lambda: "/cong-khai/xuat-ban", None),
]
IDS = ["dashboard", "register", "opinion-detail", "new-opinion", "dialogues", "dialogue-detail", "units",
       "users", "audit-log", "notices", "notice-detail", "conclusions", "conclusion-detail", "proposals",
       "proposal-detail", "reports", "report-detail", "publishing", "publish-runs"]


@pytest.mark.parametrize("role, path, heading", PAGES, ids=IDS)
def test_staff_page_has_no_csp_violation_and_runs_htmx(page, live_server, sign_in, db, role, path, heading):
    console_errors, page_errors, bad_responses = [], [], []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("response", lambda r: bad_responses.append("%d %s" % (r.status, r.url)) if r.status >= 400 else None)
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, role)
    url = live_server + path()
    response = page.goto(url)
    assert response.status == 200, url
    assert page.url == url  # not sent to the login page or elsewhere
    if heading:
        expect(page.locator("h1")).to_contain_text(heading)
    else:
        expect(page.locator("h1")).to_be_visible()
    page.wait_for_function("typeof htmx === 'object'")
    assert page.evaluate("htmx.config.allowEval") is False  # the htmx-config meta was read
    page.wait_for_load_state("load")

    csp_console = [e for e in console_errors if "Content Security Policy" in e]
    assert not csp_console, csp_console
    assert page.evaluate("window.__csp") == []
    assert not page_errors, page_errors
    assert not bad_responses, bad_responses


def test_htmx_swap_on_the_register_causes_no_csp_violation(page, live_server, sign_in, db):
    """A swapped-in fragment (search results) is held to the same policy as a page."""
    console_errors, page_errors = [], []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.add_init_script(RECORD_VIOLATIONS)
    sign_in(page, "coordinator")
    page.goto(live_server + "/y-kien/")
    with page.expect_response(lambda r: "q=" in r.url and r.request.headers.get("hx-request") == "true") as info:
        page.locator("#q").press_sequentially("de nghi", delay=20)
    assert info.value.status == 200
    expect(page.locator("#results p.count")).to_be_visible()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors
    assert page.evaluate("window.__csp") == []
    assert not page_errors, page_errors
