"""Staff workflows in a real Chromium: following up a conclusion (htmx and plain HTML), the register's
export links after an active search, adding a conclusion to a draft notice with a deadline in
working days, and the proposals list filter."""
import csv
import datetime as dt
import re
import unicodedata

from playwright.sync_api import expect

import models

PROGRESS_FORM = "#progress-form"
NOTE, PERCENT, DAY = "#progress-note", "#progress-percent_done", "#progress-day"


# ---------------------------------------------------------------- helpers

def set_marker(page):
    page.evaluate("window.__marker = 1")


def marker_survived(page):
    return page.evaluate("window.__marker") == 1


def vn(day):
    return day.strftime("%d/%m/%Y")


def fold(text):
    """Lower case, no diacritics, đ → d (written here, not imported from the app)."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def user(username):
    return models.User.get(models.User.username == username)


def unit_conclusion(username, status):
    """A conclusion of the user's unit, in a signed notice still in force, with this status."""
    conclusion = (models.Conclusion.in_force()
                  .where(models.Conclusion.responsible_unit == user(username).unit_id,
                         models.Conclusion.status == status)
                  .order_by(models.Conclusion.id).first())
    assert conclusion is not None, "the demo data has no %s conclusion for %s's unit" % (status, username)
    return conclusion


def followups(conclusion):
    return list(models.FollowUp.select().where(models.FollowUp.conclusion == conclusion.id)
                .order_by(models.FollowUp.id))


def fill_progress(page, note, percent, day):
    page.fill(NOTE, note)
    page.fill(PERCENT, str(percent))
    page.fill(DAY, day.isoformat())  # a date input takes ISO; it shows the locale's format


def submit_progress_htmx(page, conclusion):
    """Submit the progress form and return the response, checking that htmx (not a page load) sent it."""
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/ket-luan/%d/tien-do" % conclusion.id)) as info:
        page.locator(PROGRESS_FORM).get_by_role("button", name="Ghi nhận").click()
    response = info.value
    assert response.request.headers.get("hx-request") == "true"
    return response


# ---------------------------------------------------------------- 1. conclusion follow-up

def test_progress_entry_is_appended_in_place(page, live_server, sign_in, db):
    conclusion = unit_conclusion("specialist", "open")
    before = followups(conclusion)
    assert conclusion.percent_done == 0
    day = models.today() - dt.timedelta(days=1)
    note = "Đã làm việc với UBND các xã về phương án bố trí đất tái định cư"
    sign_in(page, "specialist")
    page.goto(live_server + "/ket-luan/%d" % conclusion.id)
    expect(page.locator("#conclusion-percent")).to_have_text("0%")
    expect(page.locator("#conclusion-status-label")).to_have_text("Chưa thực hiện")
    items_before = page.locator("#timeline > li").count()
    set_marker(page)

    fill_progress(page, note, 45, day)
    response = submit_progress_htmx(page, conclusion)
    assert response.status == 200

    stored = followups(conclusion)
    assert len(stored) == len(before) + 1
    entry = stored[-1]
    assert (entry.kind, entry.note, entry.percent_done, entry.user.username) == ("progress", note, 45, "specialist")
    assert entry.at.date() == day
    saved = models.Conclusion.get_by_id(conclusion.id)
    assert (saved.percent_done, saved.status) == (45, "in_progress")

    # the entry (and the "started" status change) appended to the timeline; summary refreshed out of band
    item = page.locator("#timeline > li#followup-%d" % entry.id)
    expect(item).to_contain_text(note)
    expect(item).to_contain_text("hoàn thành 45%")
    expect(item).to_contain_text(vn(day))
    expect(page.locator("#timeline > li")).to_have_count(items_before + 2)
    expect(page.locator("#timeline > li").last).to_have_id("followup-%d" % entry.id)
    expect(page.locator("#conclusion-percent")).to_have_text("45%")
    expect(page.locator("#conclusion-status-label")).to_have_text("Đang thực hiện")
    # a fresh form: the note cleared, the percent now the recorded one
    expect(page.locator(NOTE)).to_have_value("")
    expect(page.locator(PERCENT)).to_have_value("45")
    expect(page.locator(DAY)).to_have_value(models.today().isoformat())
    expect(page.locator("#progress-form")).to_have_count(1)
    assert marker_survived(page), "the progress entry reloaded the whole page"
    assert page.url == live_server + "/ket-luan/%d" % conclusion.id


def test_invalid_progress_shows_errors_beside_the_fields_in_place(page, live_server, sign_in, db):
    conclusion = unit_conclusion("specialist", "open")
    before = followups(conclusion)
    sign_in(page, "specialist")
    page.goto(live_server + "/ket-luan/%d" % conclusion.id)
    items_before = page.locator("#timeline > li").count()
    set_marker(page)

    # percent over 100: the error beside it, what was typed kept
    note = "Đã khảo sát hiện trạng"
    fill_progress(page, note, 150, models.today())
    submit_progress_htmx(page, conclusion)
    error = page.locator("#progress-percent_done-error")
    expect(error).to_have_text("Tỷ lệ hoàn thành từ 0 đến 100.")
    expect(page.locator(PERCENT)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(PERCENT)).to_have_attribute("aria-describedby", "progress-percent_done-error")
    expect(page.locator(PERCENT)).to_have_value("150")
    expect(page.locator(NOTE)).to_have_value(note)
    expect(page.locator("#progress-note-error")).to_have_count(0)

    # empty note: its own error, the percent typed kept, the previous error gone
    page.fill(NOTE, "")
    page.fill(PERCENT, "30")
    submit_progress_htmx(page, conclusion)
    expect(page.locator("#progress-note-error")).to_have_text("Vui lòng nhập nội dung đã thực hiện.")
    expect(page.locator(NOTE)).to_have_attribute("aria-invalid", "true")
    expect(page.locator(PERCENT)).to_have_value("30")
    expect(page.locator("#progress-percent_done-error")).to_have_count(0)

    # a day after today
    page.fill(NOTE, note)
    page.fill(DAY, (models.today() + dt.timedelta(days=1)).isoformat())
    submit_progress_htmx(page, conclusion)
    expect(page.locator("#progress-day-error")).to_have_text(
        "Ngày thực hiện không được sau hôm nay (%s)." % vn(models.today()))

    expect(page.locator("#timeline > li")).to_have_count(items_before)
    expect(page.locator("#conclusion-percent")).to_have_text("0%")
    assert followups(conclusion) == before
    assert models.Conclusion.get_by_id(conclusion.id).percent_done == 0
    assert marker_survived(page)

    # corrected, it goes through and the errors disappear
    page.fill(DAY, models.today().isoformat())
    submit_progress_htmx(page, conclusion)
    expect(page.locator("#conclusion-percent")).to_have_text("30%")
    expect(page.locator("#progress-form .error")).to_have_count(0)
    assert len(followups(conclusion)) == len(before) + 1


def test_progress_on_a_stale_page_shows_the_conflict_and_saves_nothing(page, live_server, sign_in, db):
    conclusion = unit_conclusion("specialist", "open")
    sign_in(page, "specialist")
    url = live_server + "/ket-luan/%d" % conclusion.id
    page.goto(url)
    other = page.context.new_page()  # a second tab of the same person
    other.goto(url)
    fill_progress(other, "Đã gửi văn bản đôn đốc các xã", 50, models.today())
    submit_progress_htmx(other, conclusion)
    expect(other.locator("#conclusion-percent")).to_have_text("50%")
    before = followups(conclusion)

    set_marker(page)
    fill_progress(page, "Ghi nhận từ trang đã cũ", 70, models.today())
    submit_progress_htmx(page, conclusion)
    box = page.locator("#progress-form .conflict[role=alert]")
    expect(box).to_contain_text("cập nhật sau khi bạn mở")
    expect(box).to_contain_text("50%")
    expect(page.locator(NOTE)).to_have_value("Ghi nhận từ trang đã cũ")  # kept to save again
    assert followups(conclusion) == before
    assert models.Conclusion.get_by_id(conclusion.id).percent_done == 50
    assert marker_survived(page)

    submit_progress_htmx(page, conclusion)  # saving again, knowingly, goes through
    expect(page.locator("#conclusion-percent")).to_have_text("70%")
    expect(page.locator("#progress-form .conflict")).to_have_count(0)
    assert models.Conclusion.get_by_id(conclusion.id).percent_done == 70


def test_first_entry_replaces_the_empty_timeline_note(page, live_server, sign_in, db):
    conclusion = unit_conclusion("specialist", "in_progress")
    models.StatusChange.delete().where(models.StatusChange.object_type == "conclusion",
                                       models.StatusChange.object_id == conclusion.id).execute()
    models.FollowUp.delete().where(models.FollowUp.conclusion == conclusion.id).execute()
    sign_in(page, "specialist")
    page.goto(live_server + "/ket-luan/%d" % conclusion.id)
    expect(page.locator("#timeline-empty")).to_have_text("Chưa có diễn biến nào.")
    expect(page.locator("#timeline > li")).to_have_count(0)
    fill_progress(page, "Đã hoàn thành hồ sơ thẩm định", conclusion.percent_done + 10, models.today())
    submit_progress_htmx(page, conclusion)
    expect(page.locator("#timeline > li")).to_have_count(1)
    expect(page.locator("#timeline-empty")).to_have_count(0)


def test_progress_without_javascript(page_nojs, live_server, sign_in, db):
    page = page_nojs
    conclusion = unit_conclusion("unit_head", "in_progress")
    floor = conclusion.percent_done
    assert 0 < floor < 90
    before = followups(conclusion)
    day = models.today() - dt.timedelta(days=2)
    note = "Sở đã trình UBND tỉnh dự thảo quyết định điều chỉnh"
    sign_in(page, "unit_head")
    url = live_server + "/ket-luan/%d" % conclusion.id
    page.goto(url)

    # invalid: below the recorded percent, and no note
    page.fill(PERCENT, str(floor - 10))
    page.fill(NOTE, "")
    with page.expect_navigation() as nav:
        page.locator(PROGRESS_FORM).get_by_role("button", name="Ghi nhận").click()
    assert nav.value.status == 422
    expect(page.locator("#progress-percent_done-error")).to_have_text(
        "Tỷ lệ hoàn thành không được thấp hơn mức đã ghi nhận (%d%%)." % floor)
    expect(page.locator("#progress-note-error")).to_have_text("Vui lòng nhập nội dung đã thực hiện.")
    expect(page.locator(PERCENT)).to_have_value(str(floor - 10))
    assert followups(conclusion) == before

    # valid: a full page load back to the conclusion, with the entry in its timeline
    fill_progress(page, note, 90, day)
    with page.expect_navigation() as nav:
        page.locator(PROGRESS_FORM).get_by_role("button", name="Ghi nhận").click()
    assert nav.value.status == 200
    assert page.url == url + "#tien-do"
    expect(page.locator(".flash.success")).to_have_text("Đã ghi nhận tiến độ: hoàn thành 90%.")
    stored = followups(conclusion)
    assert len(stored) == len(before) + 1
    entry = stored[-1]
    assert (entry.note, entry.percent_done, entry.at.date(), entry.user.username) == (note, 90, day, "unit_head")
    item = page.locator("#followup-%d" % entry.id)
    expect(item).to_contain_text(note)
    expect(item).to_contain_text("hoàn thành 90%")
    expect(item).to_contain_text(vn(day))
    expect(page.locator("#conclusion-percent")).to_have_text("90%")
    expect(page.locator(NOTE)).to_have_value("")


# ---------------------------------------------------------------- 3. register search → export links

def test_export_links_follow_the_active_search(page, live_server, sign_in, db):
    total = models.Opinion.select().count()
    sign_in(page, "coordinator")
    page.goto(live_server + "/y-kien/")
    count = page.locator("#results p.count")
    expect(count).to_contain_text("trên %d ý kiến" % total)
    csv_link = page.locator("#results p.exports a", has_text="CSV")
    xlsx_link = page.locator("#results p.exports a", has_text="Excel (XLSX)")
    assert "q=" not in (csv_link.get_attribute("href") or "")
    set_marker(page)

    page.locator("#q").press_sequentially("dat dai", delay=20)  # the debounce fires the search
    expect(count).not_to_contain_text("trên %d ý kiến" % total)
    expect(count).to_have_text(re.compile(r"^Hiển thị 1–(\d+) trên \1 ý kiến$"))  # one page: all shown
    shown = int(re.search(r"trên (\d+) ý kiến", count.inner_text()).group(1))
    assert 0 < shown < total
    assert marker_survived(page), "the search reloaded the whole page"
    q_param = re.compile(r"^/bao-cao/so-theo-doi\.(csv|xlsx)\?(.*&)?q=dat(\+|%20)dai(&|$)")
    href = csv_link.get_attribute("href")
    assert re.match(q_param, href) and href.startswith("/bao-cao/so-theo-doi.csv"), href
    assert re.match(q_param, xlsx_link.get_attribute("href")), xlsx_link.get_attribute("href")
    codes_shown = set(page.locator("#results table.register tbody tr td:first-child a").all_inner_texts())

    with page.expect_download() as info:
        csv_link.click()
    download = info.value
    assert re.fullmatch(r"so-theo-doi-y-kien-\d{8}\.csv", download.suggested_filename)
    with open(download.path(), encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header[0] == "Số" and "Nội dung" in header
    assert len(body) == shown
    assert {r[0] for r in body} == codes_shown
    # every exported opinion is one the search finds: both words in its stored text
    for code in (r[0] for r in body):
        o = models.Opinion.get(models.Opinion.code == code)
        haystack = fold(" ".join((o.code, o.content, o.draft_answer or "", o.resolution_path or "",
                                  o.submitter_name or "", o.submitter_contact or "")))
        assert "dat" in haystack and "dai" in haystack, code
    assert marker_survived(page), "the download navigated away from the register"


def test_leaving_the_search_box_sends_no_second_search(page, live_server, sign_in, db):
    """Typing searches once; leaving the box (to click an export link) must not search again: a second
    answer swapped in between mouse-down and mouse-up replaced the link, and the click was lost."""
    sign_in(page, "coordinator")
    page.goto(live_server + "/y-kien/")
    searches = []
    page.on("request", lambda r: searches.append(r.url) if "/y-kien/?" in r.url else None)
    page.locator("#q").press_sequentially("dat dai", delay=20)
    count = page.locator("#results p.count")
    expect(count).to_have_text(re.compile(r"trên \d+ ý kiến$"))
    page.wait_for_timeout(500)  # the debounced search has answered
    assert len(searches) == 1, searches
    page.locator("#results p.exports").click(position={"x": 1, "y": 1})  # focus leaves #q: a change event
    page.wait_for_timeout(700)
    assert len(searches) == 1, searches
    page.select_option("#f-status", "received")  # the filters still search on change
    expect(page).to_have_url(re.compile(r"status=received"))
    assert len(searches) == 2, searches


# ---------------------------------------------------------------- 4. a conclusion on a draft notice

def working_days_after(start, n):
    """The n-th working day after `start`: weekdays and make-up workdays, minus holidays (written here)."""
    days = [(dt.date.fromisoformat(str(h.day)[:10]), h.kind) for h in models.Holiday.select()]
    off = {day for day, kind in days if kind != "workday"}
    on = {day for day, kind in days if kind == "workday"}
    day = start
    while n:
        day += dt.timedelta(days=1)
        if day in on or (day.weekday() < 5 and day not in off):
            n -= 1
    return day


def test_add_conclusion_with_a_deadline_in_working_days(page, live_server, sign_in, db):
    notice = models.ConclusionNotice.select().where(models.ConclusionNotice.status == "draft").first()
    assert notice is not None, "the demo data has no draft notice"
    before = {c.id for c in models.Conclusion.select().where(models.Conclusion.notice == notice.id)}
    unit = models.Unit.get_by_id(user("specialist").unit_id)
    expected = working_days_after(models.today(), 12)
    decision = "Giao Phòng rà soát quy trình cấp phép và báo cáo kết quả"
    sign_in(page, "coordinator")
    page.goto(live_server + "/thong-bao/%d" % notice.id)
    # no htmx on this page's conclusion forms: a plain link and form
    assert page.locator("#ket-luan [hx-get], #ket-luan [hx-post]").count() == 0
    page.locator("#ket-luan").get_by_role("link", name="Thêm kết luận").click()
    page.wait_for_url(live_server + "/thong-bao/%d/ket-luan/moi" % notice.id)
    expect(page.locator("#deadline_mode-working")).to_be_checked()

    # first without the number of days: refused beside the field, what was typed kept
    page.fill("#decision", decision)
    page.select_option("#unit_id", label=unit.name)
    page.fill("#deadline_days", "")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Thêm kết luận").click()
    assert nav.value.status == 422
    expect(page.locator("#deadline_days-error")).to_have_text("Vui lòng nhập số ngày.")
    expect(page.locator("#decision")).to_have_value(decision)
    expect(page.locator("#unit_id")).to_have_value(str(unit.id))
    expect(page.locator("#deadline_mode-working")).to_be_checked()

    page.fill("#deadline_days", "12")
    with page.expect_navigation():
        page.get_by_role("button", name="Thêm kết luận").click()
    page.wait_for_url(live_server + "/thong-bao/%d#ket-luan" % notice.id)
    expect(page.locator(".flash.success")).to_have_text("Đã thêm kết luận (thời hạn %s)." % vn(expected))
    added = [c for c in models.Conclusion.select().where(models.Conclusion.notice == notice.id)
             if c.id not in before]
    assert len(added) == 1
    assert (added[0].decision, added[0].responsible_unit_id, added[0].deadline) == (decision, unit.id, expected)
    row = page.locator("#conclusion-%d" % added[0].id)
    expect(row).to_contain_text(decision)
    expect(row).to_contain_text(unit.name)
    expect(row.locator("td.nowrap")).to_have_text(vn(expected))


# ---------------------------------------------------------------- 5. proposals list filter

def test_proposal_status_filter_swaps_results_and_pushes_the_url(page, live_server, sign_in, db):
    proposals = list(models.Proposal.select())
    wanted = [p for p in proposals if p.status == "accepted"]
    assert 0 < len(wanted) < len(proposals)
    rows = page.locator("#proposal-results table.proposals tbody tr")
    sign_in(page, "coordinator")
    page.goto(live_server + "/de-xuat/")
    expect(rows).to_have_count(len(proposals))
    set_marker(page)

    with page.expect_response(lambda r: "/de-xuat/?" in r.url and "status=accepted" in r.url) as info:
        page.select_option("#f-status", label="Được chấp thuận")
    response = info.value
    assert response.request.headers.get("hx-request") == "true"
    assert "<html" not in response.text() and 'id="proposal-results"' in response.text()  # only the results
    expect(rows).to_have_count(len(wanted))
    expect(page.locator("#proposal-results")).to_have_count(1)  # outerHTML: replaced, not nested
    for p in wanted:
        expect(page.locator("#proposal-results")).to_contain_text(p.title)
    expect(page.locator("#proposal-results .badge.status-accepted")).to_have_count(len(wanted))
    page.wait_for_url(re.compile(r"/de-xuat/\?(.*&)?status=accepted(&|$)"))
    assert marker_survived(page), "the filter reloaded the whole page"

    page.reload()  # the pushed URL shows the same filter on a full load
    assert not marker_survived(page)
    expect(page.locator("#f-status")).to_have_value("accepted")
    expect(rows).to_have_count(len(wanted))
    expect(page.locator("#proposal-results .badge.status-accepted")).to_have_count(len(wanted))
