"""The opinion register /y-kien/ in a real Chromium: active search, inline status changes,
inline validation, follow-ups, and what the back button shows after logout. Each htmx behaviour
is checked again with JavaScript off where the page promises a plain-HTML fallback."""
import re
import unicodedata

from playwright.sync_api import expect

import models

ROLE = "coordinator"
COUNT = "#results p.count"
Q_DAT_DAI = re.compile(r"[?&]q=dat(\+|%20)dai(&|$)")


# ---------------------------------------------------------------- helpers

def fold(text):
    """Lower case, no diacritics, đ → d (written here, not imported from the app)."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


def expected_codes(words):
    """Codes of the opinions holding every word in their text or submitter (coordinator sees all)."""
    codes = set()
    for o in models.Opinion.select():
        haystack = fold(" ".join((o.code, o.content, o.draft_answer, o.resolution_path,
                                  o.submitter_name, o.submitter_contact)))
        if all(w in haystack for w in words):
            codes.add(o.code)
    return codes


def shown_codes(page):
    return set(page.locator("#results table.register tbody tr td:first-child a").all_inner_texts())


def set_marker(page):
    page.evaluate("window.__marker = 1")


def marker_survived(page):
    return page.evaluate("window.__marker") == 1


def opinion(code):
    return models.Opinion.get(models.Opinion.code == code)


def transitions(o):
    return list(models.StatusChange.select().where(models.StatusChange.object_type == "opinion",
                                                   models.StatusChange.object_id == o.id)
                .order_by(models.StatusChange.id))


# ---------------------------------------------------------------- 1–2. active search

def test_active_search_without_diacritics_pushes_url_and_back_restores(page, live_server, sign_in, db):
    total = models.Opinion.select().count()
    expected = expected_codes(["dat", "dai"])
    assert 0 < len(expected) < total  # the search must narrow the list for the test to mean anything
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/")
    expect(page.locator(COUNT)).to_contain_text("trên %d ý kiến" % total)
    set_marker(page)

    page.locator("#q").press_sequentially("dat dai", delay=20)  # no Enter: the debounce fires the search
    expect(page.locator(COUNT)).to_have_text("Hiển thị 1–%d trên %d ý kiến" % (len(expected), len(expected)))
    assert shown_codes(page) == expected
    expect(page.locator("#results td.content-cell", has_text="đất đai").first).to_be_visible()
    page.wait_for_url(Q_DAT_DAI)  # htmx writes the space as %20, a form submit as +: both mean "dat dai"
    assert marker_survived(page), "the search reloaded the whole page"
    filtered_url = page.url

    page.go_back()  # htmx keeps no history snapshot: the previous URL is fetched again
    expect(page.locator(COUNT)).to_have_text(re.compile(r"trên %d ý kiến$" % total))
    assert "q=" not in page.url
    expect(page.locator("#q")).to_have_value("")

    page.goto(filtered_url)  # the pushed URL, loaded afresh, shows the same results
    expect(page.locator(COUNT)).to_have_text("Hiển thị 1–%d trên %d ý kiến" % (len(expected), len(expected)))
    assert shown_codes(page) == expected
    expect(page.locator("#q")).to_have_value("dat dai")


def test_filter_select_change_updates_results(page, live_server, sign_in, db):
    wanted = {o.code for o in models.Opinion.select().where(models.Opinion.status == "answer_drafted")}
    assert wanted
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/")
    set_marker(page)
    page.select_option("#f-status", label="Đã có dự thảo trả lời")
    expect(page.locator(COUNT)).to_have_text("Hiển thị 1–%d trên %d ý kiến" % (len(wanted), len(wanted)))
    assert shown_codes(page) == wanted
    badges = page.locator("#results tbody tr .badge.status").all_inner_texts()
    assert badges and set(badges) == {"Đã có dự thảo trả lời"}
    page.wait_for_url(re.compile(r"[?&]status=answer_drafted(&|$)"))
    assert marker_survived(page)


def test_search_without_javascript(page_nojs, live_server, sign_in, db):
    expected = expected_codes(["dat", "dai"])
    page = page_nojs
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/")
    page.fill("#q", "dat dai")
    page.locator("#opinion-search button[type=submit]").click()
    page.wait_for_url(Q_DAT_DAI)
    expect(page.locator(COUNT)).to_have_text("Hiển thị 1–%d trên %d ý kiến" % (len(expected), len(expected)))
    assert shown_codes(page) == expected
    expect(page.locator("#q")).to_have_value("dat dai")


# ---------------------------------------------------------------- 3–4. status changes

def test_inline_status_change_on_a_list_row(page, live_server, sign_in, db):
    o = opinion("YK-2026-0016")
    assert o.status == "answer_drafted"
    before = len(transitions(o))
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/?status=answer_drafted")
    set_marker(page)
    row = page.locator("#opinion-%d" % o.id)
    row.locator("select[name=to]").select_option(label="Đã có kết luận")
    with page.expect_response(lambda r: r.url.endswith("/y-kien/%d/trang-thai" % o.id)) as info:
        row.get_by_role("button", name="Chuyển").click()
    assert info.value.status == 200
    expect(row.locator(".badge.status")).to_have_text("Đã có kết luận")
    assert marker_survived(page), "the row change reloaded the whole page"
    assert page.url.endswith("/y-kien/?status=answer_drafted")
    assert opinion(o.code).status == "concluded"
    history = transitions(o)
    assert len(history) == before + 1
    assert (history[-1].from_status, history[-1].to_status) == ("answer_drafted", "concluded")
    assert history[-1].user.username == ROLE


def test_refused_row_change_shows_the_reason_and_changes_nothing(page, live_server, sign_in, db):
    o = opinion("YK-2026-0014")
    assert o.status == "answer_drafted"
    before = (o.version, len(transitions(o)))
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/?status=answer_drafted")
    set_marker(page)
    row = page.locator("#opinion-%d" % o.id)
    row.locator("select[name=to]").select_option(label="Đã giải thích")  # needs a reason; none given
    row.get_by_role("button", name="Chuyển").click()
    expect(row.get_by_role("alert")).to_have_text("Cần ghi lý do khi chọn “Đã giải thích”.")
    expect(row.locator(".badge.status")).to_have_text("Đã có dự thảo trả lời")
    assert marker_survived(page)
    after = opinion(o.code)
    assert after.status == "answer_drafted"
    assert (after.version, len(transitions(o))) == before


def test_status_change_on_the_detail_page_updates_status_and_history(page, live_server, sign_in, db):
    o = opinion("YK-2026-0015")
    assert o.status == "answer_drafted"
    before = len(transitions(o))
    note = "Chuyển Sở Tài nguyên và Môi trường giải quyết theo thẩm quyền"
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/%d" % o.id)
    set_marker(page)
    expect(page.locator("#history li")).to_have_count(before)

    # refused first: a note-required target without a note
    page.select_option("#status-to", label="Rút ý kiến")
    page.locator("#opinion-status").get_by_role("button", name="Chuyển trạng thái").click()
    expect(page.locator("#status-note-error")).to_have_text("Cần ghi lý do khi chọn “Rút ý kiến”.")
    expect(page.locator("#opinion-status .badge.status")).to_have_text("Đã có dự thảo trả lời")
    assert opinion(o.code).status == "answer_drafted"
    assert len(transitions(o)) == before

    page.select_option("#status-to", label="Đã chuyển cơ quan có thẩm quyền")
    page.fill("#status-note", note)
    page.locator("#opinion-status").get_by_role("button", name="Chuyển trạng thái").click()
    expect(page.locator("#opinion-status .badge.status")).to_have_text("Đã chuyển cơ quan có thẩm quyền")
    expect(page.locator("#history li")).to_have_count(before + 1)
    last = page.locator("#history li").last
    expect(last).to_contain_text("Đã có dự thảo trả lời → Đã chuyển cơ quan có thẩm quyền")
    expect(last).to_contain_text(note)
    expect(page.locator("#status-note-error")).to_have_count(0)
    assert marker_survived(page), "the status change reloaded the whole page"
    assert opinion(o.code).status == "referred"
    history = transitions(o)
    assert len(history) == before + 1 and history[-1].note == note

    # the swapped-in form carries the new version: a second change goes through without a reload
    page.select_option("#status-to", label="Mở lại")
    page.fill("#status-note", "Sở trả lại, không thuộc thẩm quyền")
    page.locator("#opinion-status").get_by_role("button", name="Chuyển trạng thái").click()
    expect(page.locator("#opinion-status .badge.status")).to_have_text("Đã giao xử lý")
    expect(page.locator("#history li")).to_have_count(before + 2)
    expect(page.locator("#history li").last).to_contain_text("Mở lại: Sở trả lại, không thuộc thẩm quyền")
    assert opinion(o.code).status == "assigned"
    assert marker_survived(page)


def test_status_change_without_javascript(page_nojs, live_server, sign_in, db):
    page = page_nojs
    o = opinion("YK-2026-0009")
    assert o.status == "answer_drafted"
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/%d" % o.id)
    page.select_option("#status-to", label="Đã có kết luận")
    with page.expect_navigation() as nav:
        page.locator("#opinion-status").get_by_role("button", name="Chuyển trạng thái").click()
    assert nav.value.status == 200 and nav.value.request.redirected_from is not None  # POST → 303 → GET
    assert page.url == live_server + "/y-kien/%d" % o.id
    expect(page.locator("#opinion-status .badge.status")).to_have_text("Đã có kết luận")
    expect(page.locator(".flash.success")).to_have_text("Ý kiến %s: Đã có kết luận." % o.code)
    expect(page.locator("#history li").last).to_contain_text("→ Đã có kết luận")
    assert opinion(o.code).status == "concluded"


def test_row_status_change_without_javascript_returns_to_the_filtered_list(page_nojs, live_server, sign_in, db):
    page = page_nojs
    o = opinion("YK-2026-0019")
    assert o.status == "answer_drafted"
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/?status=answer_drafted")
    row = page.locator("#opinion-%d" % o.id)
    row.locator("select[name=to]").select_option(label="Đã có kết luận")
    row.get_by_role("button", name="Chuyển").click()
    page.wait_for_url(live_server + "/y-kien/?status=answer_drafted")
    expect(page.locator(".flash.success")).to_have_text("Ý kiến %s: Đã có kết luận." % o.code)
    assert opinion(o.code).status == "concluded"
    expect(page.locator("#opinion-%d" % o.id)).to_have_count(0)  # no longer "answer_drafted"


# ---------------------------------------------------------------- 5. inline validation

def test_new_opinion_inline_validation_and_invalid_submit(page, live_server, sign_in, db):
    count = models.Opinion.select().count()
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/moi")
    set_marker(page)

    page.locator("#content").click()
    page.keyboard.type("Ngắn quá")
    page.keyboard.press("Tab")  # leaving the field checks it on the server
    expect(page.locator("#content-msg")).to_have_text("Nội dung cần từ 10 đến 5.000 ký tự.")
    assert page.url == live_server + "/y-kien/moi" and marker_survived(page), "the check submitted the form"

    page.select_option("#kind", label="Khiếu nại")  # a complaint needs the submitter's name
    expect(page.locator("#submitter_name-msg")).to_have_text(
        "Khiếu nại, tố cáo cần ghi họ tên người gửi (được bảo mật).")
    page.fill("#submitter_name", "Nguyễn Thị Kiểm Thử")
    page.locator("#submitter_name").blur()
    expect(page.locator("#submitter_name-msg")).to_have_text("")
    assert models.Opinion.select().count() == count

    with page.expect_navigation() as nav:  # no dialogue chosen although raised at a dialogue
        page.get_by_role("button", name="Lưu ý kiến").click()
    assert nav.value.status == 422
    expect(page.get_by_role("alert")).to_contain_text("vui lòng sửa 2 lỗi")
    expect(page.locator("#content-error")).to_have_text("Nội dung cần từ 10 đến 5.000 ký tự.")
    expect(page.locator("#dialogue_id-error")).to_have_text("Ý kiến nêu tại buổi đối thoại cần chọn buổi đối thoại.")
    expect(page.locator("#content")).to_have_value("Ngắn quá")
    expect(page.locator("#submitter_name")).to_have_value("Nguyễn Thị Kiểm Thử")
    expect(page.locator("#kind")).to_have_value("complaint")
    assert models.Opinion.select().count() == count


def test_new_opinion_errors_without_javascript(page_nojs, live_server, sign_in, db):
    page = page_nojs
    count = models.Opinion.select().count()
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/moi")
    page.fill("#content", "Ngắn quá")
    page.fill("#submitter_name", "Trần Văn Thử")
    page.select_option("#channel", label="Đơn thư")
    with page.expect_navigation() as nav:
        page.get_by_role("button", name="Lưu ý kiến").click()
    assert nav.value.status == 422
    expect(page.locator("#content-error")).to_have_text("Nội dung cần từ 10 đến 5.000 ký tự.")
    expect(page.locator("#content")).to_have_value("Ngắn quá")
    expect(page.locator("#submitter_name")).to_have_value("Trần Văn Thử")
    expect(page.locator("#channel")).to_have_value("letter")
    assert models.Opinion.select().count() == count


# ---------------------------------------------------------------- 6. follow-ups

def test_follow_up_is_appended_in_place_and_the_form_clears(page, live_server, sign_in, db):
    o = opinion("YK-2026-0016")
    before = models.FollowUp.select().where(models.FollowUp.opinion == o.id).count()
    note = "Đã đôn đốc Trung tâm Phục vụ hành chính công bố trí thêm quầy đất đai sáng thứ Hai"
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/%d" % o.id)
    set_marker(page)
    log = page.locator("#followup-log > li")
    expect(log).to_have_count(before)

    page.get_by_role("button", name="Ghi nhận").click()  # empty: refused beside the field
    expect(page.locator("#fu-note-error")).to_have_text("Vui lòng nhập nội dung theo dõi.")
    expect(log).to_have_count(before)

    page.select_option("#fu-kind", label="Đôn đốc")
    page.fill("#fu-percent_done", "40")
    page.fill("#fu-note", note)
    page.get_by_role("button", name="Ghi nhận").click()
    expect(log).to_have_count(before + 1)
    expect(log.last).to_contain_text(note)
    expect(log.last).to_contain_text("Đôn đốc")
    expect(log.last).to_contain_text("hoàn thành 40%")
    expect(page.locator("#fu-note")).to_have_value("")
    expect(page.locator("#fu-percent_done")).to_have_value("")
    expect(page.locator("#fu-note-error")).to_have_count(0)
    assert marker_survived(page), "adding a follow-up reloaded the whole page"
    entries = list(models.FollowUp.select().where(models.FollowUp.opinion == o.id).order_by(models.FollowUp.id))
    assert len(entries) == before + 1
    assert (entries[-1].note, entries[-1].kind, entries[-1].percent_done) == (note, "reminder", 40)


# ---------------------------------------------------------------- 7. back button after logout

def test_back_button_after_logout_shows_no_staff_data(page, live_server, sign_in, db):
    o = opinion("YK-2026-0023")
    name = o.submitter_name
    assert name
    sign_in(page, ROLE)
    page.goto(live_server + "/y-kien/")
    page.locator("#q").press_sequentially(o.code, delay=10)  # an htmx search: a pushed history entry
    expect(page.locator(COUNT)).to_have_text("Hiển thị 1–1 trên 1 ý kiến")
    snippet = page.locator("#opinion-%d td.content-cell" % o.id).inner_text()[:40]
    page.goto(live_server + "/y-kien/%d" % o.id)
    expect(page.locator(".identity")).to_contain_text(name)
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(live_server + "/dang-nhap")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()

    page.go_back()  # the detail page: fetched again (no-store), hence the login page
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    assert "/dang-nhap" in page.url
    expect(page.get_by_text(name)).to_have_count(0)
    assert name not in page.content()

    page.go_back()  # the htmx-pushed search: no snapshot kept, so fetched again too
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    assert "/dang-nhap" in page.url
    assert snippet not in page.content()
    assert page.evaluate("localStorage.getItem('htmx-history-cache')") is None
