"""Acting on many opinions of the register at once in a real Chromium: "select all matching" with its count and
htmx updating the rows in place; the same form as plain HTML with JavaScript off."""
from playwright.sync_api import expect

import models
from models import Opinion, Unit

ROLE = "coordinator"


def received():
    return list(Opinion.select().where(Opinion.status == "received"))


def test_select_all_counts_what_the_filter_matches_and_moves_them_in_place(page, live_server, sign_in, db):
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/")
    expect(page.locator("#bulk-count")).to_have_text(str(Opinion.select().count()))
    with page.expect_response(lambda r: "status=received" in r.url):
        page.select_option("#f-status", "received")  # the search form's htmx swaps the results and the count
    matching = received()
    assert 1 < len(matching) <= 25, "the demo data should hold a page of received opinions"
    expect(page.locator("#bulk-count")).to_have_text(str(len(matching)))
    page.evaluate("window.__marker = 1")
    page.check("#bulk-all")
    page.select_option("#bulk-to", "explained")
    page.fill("#bulk-note", "Đã trả lời chung tại hội nghị")
    with page.expect_response(lambda r: r.url.endswith("/y-kien/chon/trang-thai")) as info:
        page.get_by_role("button", name="Chuyển trạng thái các ý kiến đã chọn").click()
    assert info.value.status == 200
    expect(page.locator("#bulk-outcome")).to_contain_text("Đã chuyển %d ý kiến sang “Đã giải thích”." % len(matching))
    for o in matching:  # every row of the page changed where it stands
        expect(page.locator("#opinion-%d .badge.status" % o.id)).to_have_text("Đã giải thích")
    assert page.evaluate("window.__marker") == 1, "the action reloaded the whole page"
    assert all(Opinion.get_by_id(o.id).status == "explained" for o in matching)
    assert models.AuditLog.select().where(models.AuditLog.action == "transition",
                                          models.AuditLog.object_id.in_([o.id for o in matching])).count() == len(
        matching)
    # the swapped form still owns the rows' checkboxes: a second action on one ticked row
    page.uncheck("#bulk-all")
    page.check("#opinion-%d input[name=ids]" % matching[0].id)
    page.select_option("#bulk-to", "reopen")
    page.fill("#bulk-note", "Cần xem xét lại")
    page.get_by_role("button", name="Chuyển trạng thái các ý kiến đã chọn").click()
    expect(page.locator("#bulk-outcome")).to_contain_text("Đã chuyển 1 ý kiến sang “Mở lại”.")
    expect(page.locator("#opinion-%d .badge.status" % matching[0].id)).to_have_text("Mới tiếp nhận")
    assert Opinion.get_by_id(matching[0].id).status == "received"


def test_the_bulk_form_works_without_javascript(page_nojs, live_server, sign_in, db):
    page = page_nojs
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/?status=received")
    chosen = received()[:2]
    page.get_by_role("button", name="Giao xử lý các ý kiến đã chọn").click()  # nothing ticked yet
    expect(page.locator("#bulk-ids-error")).to_have_text("Chưa chọn ý kiến nào.")
    for o in chosen:
        page.check("#opinion-%d input[name=ids]" % o.id)
    unit = Unit.get(Unit.code == "KTN")
    page.select_option("#bulk-unit_id", str(unit.id))
    page.fill("#bulk-deadline_days", "5")
    chief = models.User.get(models.User.role == "chief")
    page.select_option("#bulk-directed_by_id", str(chief.id))
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Giao xử lý các ý kiến đã chọn").click()
    assert nav.value.status == 200
    expect(page.locator("#bulk-outcome")).to_contain_text("Đã giao xử lý 2 ý kiến.")
    for o in chosen:
        stored = Opinion.get_by_id(o.id)
        assert (stored.status, stored.assigned_unit_id, stored.directed_by_id) == ("assigned", unit.id, chief.id)
    expect(page.locator("#bulk-count")).to_have_text(str(len(received())))  # the filter's list, shown again
