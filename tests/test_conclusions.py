"""Conclusions as follow-up work: list, detail, progress entries, closing and reopening, the dashboard."""
import datetime as dt
import io
import re

import pytest
from bs4 import BeautifulSoup

import models
from models import AuditLog, Conclusion, ConclusionNotice, FollowUp, StatusChange, Unit
from services import deadlines
from tests.conftest import count_queries, user

COUNT = re.compile(r"Hiển thị (\d+)–(\d+) trên (\d+) kết luận")


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response):
    return soup(response).get_text(" ", strip=True)


def listed_ids(response):
    return [int(tr["id"].split("-")[1]) for tr in soup(response).select("#conclusion-table tbody tr")]


def error_beside(response, input_id):
    tag = soup(response).find(id="%s-error" % input_id)
    return tag.get_text(strip=True) if tag else None


def unit(code):
    return Unit.get(Unit.code == code)


_numbers = iter(range(900, 2000))


def make_conclusion(unit_code="KTN", status="open", deadline=None, notice_status="signed", percent=0,
                    responsible_user=None, decision="Giao đơn vị rà soát và báo cáo kết quả thực hiện."):
    """A conclusion of our own in a known state, in a notice of its own."""
    dialogue = models.Dialogue.select().order_by(models.Dialogue.id).first()
    signed = notice_status == "signed"
    notice = ConclusionNotice.create(
        dialogue=dialogue, title="Thông báo kết luận thử", status=notice_status,
        year=models.today().year if signed else None, number=next(_numbers) if signed else None,
        signed_at=models.now() - dt.timedelta(days=30) if signed else None)
    c = Conclusion.create(notice=notice, decision=decision, responsible_unit=unit(unit_code),
                          responsible_user=responsible_user, status=status, percent_done=percent,
                          deadline=deadline if deadline is not None else models.today() + dt.timedelta(days=60),
                          closed_at=models.now() if status in models.CONCLUSION_CLOSED else None)
    models.record_transition(c, user("chief"), "", "open", at=notice.signed_at)
    return Conclusion.get_by_id(c.id)


def reload(c):
    return Conclusion.get_by_id(c.id)


def progress(c, **changes):
    data = {"version": str(c.version), "percent_done": "40", "day": models.today().isoformat(),
            "note": "Đã họp với các đơn vị liên quan, thống nhất phương án."}
    data.update(changes)
    return data


# ---------------------------------------------------------------- who sees what

@pytest.mark.parametrize("role, own, other", [
    ("specialist", 200, 404), ("unit_head", 200, 404),
    ("coordinator", 200, 200), ("leader", 200, 200), ("chief", 200, 200),
    ("admin", 403, 403),
])
def test_detail_access_by_role_and_unit(login, db, role, own, other):
    mine, theirs = make_conclusion("KTN"), make_conclusion("TCHCQT")
    c = login(role)
    assert c.get("/ket-luan/%d" % mine.id).status_code == own
    assert c.get("/ket-luan/%d" % theirs.id).status_code == other


def test_conclusions_of_unsigned_or_replaced_notices_are_not_follow_up_work(login, db):
    draft = make_conclusion("KTN", notice_status="draft")
    old = make_conclusion("KTN")
    correction = make_conclusion("KTN")
    ConclusionNotice.update(supersedes=old.notice_id).where(ConclusionNotice.id == correction.notice_id).execute()
    c = login("coordinator")
    assert c.get("/ket-luan/%d" % draft.id).status_code == 404
    assert c.get("/ket-luan/%d" % old.id).status_code == 404
    assert c.get("/ket-luan/%d" % correction.id).status_code == 200
    ids = listed_ids(c.get("/ket-luan/?unit=%d&year=%d" % (unit("KTN").id, models.today().year)))
    assert correction.id in ids and old.id not in ids and draft.id not in ids


def test_unit_staff_list_only_their_units_conclusions(login, db):
    make_conclusion("TCHCQT")
    response = login("specialist").get("/ket-luan/")
    ids = listed_ids(response)
    assert ids
    assert {reload(Conclusion(id=i)).responsible_unit_id for i in ids} == {unit("KTN").id}
    # asking for another unit changes nothing for unit staff
    assert listed_ids(login("specialist").get("/ket-luan/?unit=%d" % unit("TCHCQT").id)) == ids


def test_list_sorted_by_deadline_with_flags_and_filters(login, db):
    on = models.today()
    cal = deadlines.Calendar.load()
    severe = make_conclusion("VX", deadline=on - dt.timedelta(days=60))
    late = make_conclusion("VX", deadline=cal.nth_working_day_back(on - dt.timedelta(days=1), 1))
    soon = make_conclusion("VX", deadline=cal.working_days_after(on, 2))
    later = make_conclusion("VX", deadline=on + dt.timedelta(days=90))
    done = make_conclusion("VX", status="resolved", deadline=on - dt.timedelta(days=60))
    c = login("coordinator")
    response = c.get("/ket-luan/?unit=%d" % unit("VX").id)
    assert listed_ids(response) == [severe.id, done.id, late.id, soon.id, later.id]
    rows = {int(tr["id"].split("-")[1]): tr.get_text(" ", strip=True)
            for tr in soup(response).select("#conclusion-table tbody tr")}
    assert "quá hạn nghiêm trọng" in rows[severe.id]
    assert "quá hạn" in rows[late.id] and "nghiêm trọng" not in rows[late.id]
    assert "sắp đến hạn" in rows[soon.id]
    assert "quá hạn" not in rows[done.id] and "sắp đến hạn" not in rows[later.id]
    base = "/ket-luan/?unit=%d&flag=" % unit("VX").id
    assert listed_ids(c.get(base + "overdue")) == [severe.id, late.id]
    assert listed_ids(c.get(base + "severe")) == [severe.id]
    assert listed_ids(c.get(base + "due_soon")) == [soon.id]
    assert listed_ids(c.get("/ket-luan/?unit=%d&status=resolved" % unit("VX").id)) == [done.id]
    assert listed_ids(c.get("/ket-luan/?unit=%d&status=active" % unit("VX").id)) == [
        severe.id, late.id, soon.id, later.id]


def test_list_is_paginated_and_htmx_gets_only_the_results(app, login, db):
    app.config["PER_PAGE"] = 5
    c = login("coordinator")
    total = Conclusion.select().join(ConclusionNotice).where(ConclusionNotice.status == "signed").count()
    response = c.get("/ket-luan/")
    assert COUNT.search(text(response)).groups() == ("1", "5", str(total))
    second = c.get("/ket-luan/?page=2")
    assert len(listed_ids(second)) == 5 and not set(listed_ids(second)) & set(listed_ids(response))
    fragment = c.hx_get("/ket-luan/?page=2")
    assert "<html" not in fragment.get_data(as_text=True) and listed_ids(fragment) == listed_ids(second)


def test_empty_list_says_so(login, db):
    response = login("coordinator").get("/ket-luan/?year=1990")
    assert "Không có kết luận nào phù hợp" in text(response)


# ---------------------------------------------------------------- the detail page

def test_detail_shows_facts_notice_link_opinions_and_timeline(login, db):
    c = make_conclusion("KTN", percent=20, responsible_user=user("specialist"))
    theirs = models.create_opinion(user("coordinator"), kind="opinion", audience="staff", channel="unit",
                                   content="Ý kiến của đơn vị khác về chế độ trực.", assigned_unit=unit("NC").id)
    ours = models.create_opinion(user("coordinator"), kind="opinion", audience="staff", channel="unit",
                                 content="Đề nghị công khai danh mục thủ tục.", assigned_unit=unit("KTN").id)
    for o in (theirs, ours):
        models.ConclusionOpinion.create(conclusion=c, opinion=o)
    FollowUp.create(conclusion=c, kind="progress", note="Đã xây dựng dự thảo kế hoạch.", percent_done=20,
                    user=user("specialist"), at=models.now() - dt.timedelta(days=2))
    response = login("specialist").get("/ket-luan/%d" % c.id)
    assert response.status_code == 200
    page = soup(response)
    link = page.find("a", href="/thong-bao/%d" % c.notice_id)
    assert link is not None and "%02d/TB-VP" % c.notice.number in link.get_text()
    body = text(response)
    assert "Phòng Kinh tế ngành" in body and user("specialist").full_name in body
    assert page.find(id="conclusion-percent").get_text(strip=True) == "20%"
    assert ours.code in body and theirs.code not in body
    assert "Còn 1 ý kiến liên quan thuộc đơn vị khác" in body
    timeline = page.select("#timeline li")
    assert len(timeline) == 2
    assert "Chưa thực hiện" in timeline[0].get_text() and "Đã xây dựng dự thảo" in timeline[1].get_text()


# ---------------------------------------------------------------- progress entries

def test_specialist_adds_progress_without_js(login, db):
    c = make_conclusion("KTN")
    response = login("specialist").post_form("/ket-luan/%d/tien-do" % c.id, progress(c))
    assert response.status_code == 303
    now = reload(c)
    assert (now.status, now.percent_done, now.version) == ("in_progress", 40, c.version + 1)
    entry = FollowUp.get(FollowUp.conclusion == c.id)
    assert (entry.percent_done, entry.user_id, entry.at.date()) == (40, user("specialist").id, models.today())
    change = StatusChange.for_object(now).where(StatusChange.to_status == "in_progress").get()
    assert change.from_status == "open" and change.user_id == user("specialist").id
    actions = {a.action for a in AuditLog.select().where(AuditLog.user == user("specialist").id)}
    assert {"progress", "create"} <= actions
    page = login("specialist").get(response.headers["Location"])
    assert "Đã họp với các đơn vị liên quan" in text(page)


def test_progress_with_htmx_appends_the_entry_and_refreshes_the_form(login, db):
    c = make_conclusion("KTN", status="in_progress", percent=30)
    staff = login("unit_head")
    response = staff.post_form("/ket-luan/%d/tien-do" % c.id, progress(c, percent_done="55"), htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    fragment = soup(response)
    entry = FollowUp.get(FollowUp.conclusion == c.id)
    assert fragment.find(id="followup-%d" % entry.id) is not None
    form = fragment.find(id="progress-form")
    assert form["hx-swap-oob"] == "true"
    assert form.find("input", {"name": "version"})["value"] == str(reload(c).version)
    assert form.find("textarea").get_text() == ""  # cleared for the next entry
    assert fragment.find(id="conclusion-percent").get_text(strip=True) == "55%"
    status = fragment.find(id="conclusion-status")  # the close form carries the new version too
    assert status["hx-swap-oob"] == "true"
    assert status.find("input", {"name": "version"})["value"] == str(reload(c).version)


@pytest.mark.parametrize("changes, field, message", [
    ({"percent_done": "150"}, "percent_done", "từ 0 đến 100"),
    ({"percent_done": "abc"}, "percent_done", "số nguyên"),
    ({"percent_done": ""}, "percent_done", "Vui lòng nhập tỷ lệ"),
    ({"percent_done": "10"}, "percent_done", "không được thấp hơn mức đã ghi nhận (30%)"),
    ({"day": "tomorrow"}, "day", "không được sau hôm nay"),  # worked out when the test runs, not when collected
    ({"day": ""}, "day", "Vui lòng nhập ngày"),
    ({"day": "2001-01-01"}, "day", "trước ngày ký thông báo"),
    ({"note": "   "}, "note", "Vui lòng nhập nội dung"),
])
def test_progress_validation_keeps_input(login, db, changes, field, message):
    if changes.get("day") == "tomorrow":  # a date taken at collection is today after Vietnam's midnight
        changes = dict(changes, day=(models.today() + dt.timedelta(days=1)).isoformat())
    c = make_conclusion("KTN", status="in_progress", percent=30)
    data = progress(c, note="Nội dung đã gõ, cần giữ lại.", **changes) if "note" not in changes \
        else progress(c, **changes)
    response = login("specialist").post_form("/ket-luan/%d/tien-do" % c.id, data)
    assert response.status_code == 422
    assert message in error_beside(response, "progress-" + field)
    page = soup(response)
    if field != "note":
        assert page.find(id="progress-note").get_text() == "Nội dung đã gõ, cần giữ lại."
    if field == "percent_done":
        assert page.find(id="progress-percent_done")["value"] == changes["percent_done"]
    assert reload(c).percent_done == 30 and reload(c).version == c.version
    assert not FollowUp.select().where(FollowUp.conclusion == c.id).exists()


def test_progress_from_outside_the_unit_is_refused(login, db):
    c = make_conclusion("KTN")
    assert login("dang.thuha").post_form("/ket-luan/%d/tien-do" % c.id, progress(c)).status_code == 404
    assert login("leader").post_form("/ket-luan/%d/tien-do" % c.id, progress(c)).status_code == 403
    assert login("coordinator").post_form("/ket-luan/%d/tien-do" % c.id, progress(c)).status_code == 303
    assert FollowUp.select().where(FollowUp.conclusion == c.id).count() == 1


def test_progress_on_a_closed_conclusion_is_refused(login, db):
    c = make_conclusion("KTN", status="resolved", percent=100)
    response = login("specialist").post_form("/ket-luan/%d/tien-do" % c.id, progress(c, percent_done="100"))
    assert response.status_code == 422
    assert "cần mở lại trước khi ghi nhận tiến độ" in text(response)
    assert not FollowUp.select().where(FollowUp.conclusion == c.id).exists()


def test_progress_on_a_stale_version_shows_the_conflict(login, db):
    c = make_conclusion("KTN", status="in_progress", percent=30)
    stale = progress(c, percent_done="50")
    assert login("unit_head").post_form("/ket-luan/%d/tien-do" % c.id, progress(c, percent_done="70")).status_code \
        == 303
    response = login("specialist").post_form("/ket-luan/%d/tien-do" % c.id, stale)
    assert response.status_code == 409
    assert "đã được Trần Văn Dũng cập nhật" in text(response)
    assert soup(response).find(id="progress-percent_done")["value"] == "50"
    assert reload(c).percent_done == 70
    assert FollowUp.select().where(FollowUp.conclusion == c.id).count() == 1


# ---------------------------------------------------------------- closing and reopening

def test_unit_head_closes_with_a_required_note(login, db):
    c = make_conclusion("KTN", status="in_progress", percent=80)
    head = login("unit_head")
    url = "/ket-luan/%d/trang-thai" % c.id
    missing = head.post_form(url, {"version": c.version, "to": "resolved", "note": ""})
    assert missing.status_code == 422
    assert "Cần ghi kết quả" in error_beside(missing, "status-note")
    assert reload(c).status == "in_progress"
    done = head.post_form(url, {"version": c.version, "to": "resolved", "note": "Đã công khai danh mục."})
    assert done.status_code == 303
    now = reload(c)
    assert (now.status, now.percent_done) == ("resolved", 100) and now.closed_at is not None
    change = StatusChange.for_object(now).order_by(StatusChange.id.desc()).first()
    assert (change.from_status, change.to_status, change.note) == ("in_progress", "resolved", "Đã công khai danh mục.")
    assert AuditLog.select().where(AuditLog.object_type == "conclusion", AuditLog.object_id == c.id,
                                   AuditLog.action == "transition").exists()


def test_who_may_close(login, db):
    c = make_conclusion("KTN", status="in_progress")
    data = {"version": c.version, "to": "explained", "note": "Đã giải thích."}
    assert login("specialist").post_form("/ket-luan/%d/trang-thai" % c.id, data).status_code == 403
    assert login("do.minhdat").post_form("/ket-luan/%d/trang-thai" % c.id, data).status_code == 404
    assert login("leader").post_form("/ket-luan/%d/trang-thai" % c.id, data).status_code == 403
    assert reload(c).status == "in_progress"
    assert login("chief").post_form("/ket-luan/%d/trang-thai" % c.id, data).status_code == 303
    assert reload(c).status == "explained"


def test_reopen_requires_a_reason_and_the_coordinator_or_chief(login, db):
    c = make_conclusion("KTN", status="resolved", percent=100)
    url = "/ket-luan/%d/trang-thai" % c.id
    assert login("unit_head").post_form(url, {"version": c.version, "to": "reopen", "note": "Lý do"}).status_code == 403
    coordinator = login("coordinator")
    response = coordinator.post_form(url, {"version": c.version, "to": "reopen", "note": ""})
    assert response.status_code == 422
    assert "Cần ghi lý do mở lại" in error_beside(response, "status-note")
    assert reload(c).status == "resolved"
    response = coordinator.post_form(url, {"version": c.version, "to": "reopen",
                                           "note": "Công dân phản ánh chưa thực hiện xong."})
    assert response.status_code == 303
    now = reload(c)
    assert now.status == "in_progress" and now.closed_at is None
    change = StatusChange.for_object(now).order_by(StatusChange.id.desc()).first()
    assert change.note == "Mở lại: Công dân phản ánh chưa thực hiện xong."
    assert "Mở lại: Công dân phản ánh" in text(coordinator.get("/ket-luan/%d" % c.id))


def test_closing_an_open_conclusion_on_a_stale_version_conflicts(login, db):
    c = make_conclusion("KTN", status="in_progress")
    Conclusion.update(version=Conclusion.version + 1).where(Conclusion.id == c.id).execute()
    response = login("coordinator").post_form("/ket-luan/%d/trang-thai" % c.id,
                                              {"version": c.version, "to": "resolved", "note": "Xong."})
    assert response.status_code == 409
    assert "Thay đổi của bạn chưa được lưu" in text(response)
    assert reload(c).status == "in_progress"


# ---------------------------------------------------------------- the dashboard

def dashboard_items(response):
    section = soup(response).find(id="conclusion-work")
    return [int(a["href"].rsplit("/", 1)[1]) for a in section.select("li > a")] if section else None


def test_dashboard_lists_the_units_open_conclusions_the_specialists_own_first(login, db):
    on = models.today()
    earlier = make_conclusion("KTN", deadline=dt.date(2000, 1, 31))
    own = make_conclusion("KTN", deadline=on + dt.timedelta(days=300), responsible_user=user("specialist"))
    closed = make_conclusion("KTN", status="resolved")
    other = make_conclusion("NC")
    items = dashboard_items(login("specialist").get("/"))
    assert items[0] == own.id
    assert earlier.id in items and closed.id not in items and other.id not in items
    head_items = dashboard_items(login("unit_head").get("/"))
    assert head_items[0] == earlier.id  # the unit head sees them by deadline
    section = soup(login("specialist").get("/")).find(id="conclusion-work").get_text(" ", strip=True)
    assert "quá hạn nghiêm trọng" in section


def test_dashboard_counts_open_and_overdue_by_unit_for_the_coordinator(login, db):
    on = models.today()
    make_conclusion("VX", deadline=on - dt.timedelta(days=3))
    make_conclusion("VX", deadline=on + dt.timedelta(days=30))
    make_conclusion("VX", status="resolved", deadline=on - dt.timedelta(days=30))
    response = login("leader").get("/")
    rows = {tr.find("td").get_text(strip=True): [td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in soup(response).select("#conclusion-work tbody tr")}
    assert rows[unit("VX").name][1:] == ["2", "1 quá hạn"]
    open_total = (Conclusion.select().join(ConclusionNotice)
                  .where(ConclusionNotice.status == "signed", Conclusion.status.in_(("open", "in_progress"))).count())
    assert sum(int(r[1]) for r in rows.values()) == open_total
    link = soup(response).find("a", string=unit("VX").name)
    assert link["href"] == "/ket-luan/?unit=%d&status=active" % unit("VX").id


def test_admin_dashboard_has_no_conclusions(login, db):
    assert dashboard_items(login("admin").get("/")) is None


@pytest.mark.parametrize("role", ["coordinator", "specialist"])
def test_dashboard_queries_do_not_grow_with_the_rows(login, db, role):
    c = login(role)
    c.get("/")
    with count_queries() as before:
        assert c.get("/").status_code == 200
    for code in ("KTN", "VX", "NC", "TCD", "KTTH"):
        for _ in range(3):
            make_conclusion(code, responsible_user=user("specialist") if code == "KTN" else None)
    with count_queries() as after:
        response = c.get("/")
    assert len(after) == len(before)
    assert dashboard_items(response) is not None


def test_detail_lists_the_notices_files_read_only(app, login, db, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "tep")
    c = make_conclusion("KTN")
    coordinator = login("coordinator")
    response = coordinator.post_form("/tep/conclusion_notice/%d" % c.notice_id,
                                     {"file": (io.BytesIO(b"%PDF-1.4 ban ky"), "ban-ky.pdf")},
                                     content_type="multipart/form-data")
    assert response.status_code == 303
    page = login("specialist").get("/ket-luan/%d" % c.id)
    panel = soup(page).find(id="attachments-conclusion-notice-%d" % c.notice_id)
    assert "ban-ky.pdf" in panel.get_text()
    assert panel.find("form") is None  # no upload or delete from here
    assert login("specialist").get(panel.find("a")["href"]).status_code == 200


def test_after_reopening_the_first_entry_may_restate_the_percent(login, db):
    c = make_conclusion("KTN", status="in_progress", percent=60)
    coordinator = login("coordinator")
    url = "/ket-luan/%d/trang-thai" % c.id
    assert coordinator.post_form(url, {"version": c.version, "to": "resolved", "note": "Xong."}).status_code == 303
    assert reload(c).percent_done == 100
    assert coordinator.post_form(url, {"version": reload(c).version, "to": "reopen",
                                       "note": "Chưa công khai đủ."}).status_code == 303
    staff = login("specialist")
    assert staff.post_form("/ket-luan/%d/tien-do" % c.id, progress(reload(c), percent_done="70")).status_code == 303
    assert reload(c).percent_done == 70
    lower = staff.post_form("/ket-luan/%d/tien-do" % c.id, progress(reload(c), percent_done="50"))
    assert lower.status_code == 422 and "(70%)" in error_beside(lower, "progress-percent_done")


def test_progress_is_not_dated_before_the_latest_entry(login, db):
    """The timeline reads in date order; an entry dated before the latest would read as progress going back."""
    c = make_conclusion("KTN", status="in_progress", percent=30)
    latest = models.now() - dt.timedelta(days=3)
    FollowUp.create(conclusion=c, kind="progress", note="Lần trước.", percent_done=30, at=latest)
    specialist = login("specialist")
    earlier = (latest - dt.timedelta(days=2)).date()
    response = specialist.post_form("/ket-luan/%d/tien-do" % c.id, progress(c, day=earlier.isoformat()))
    assert response.status_code == 422
    assert "không được trước lần ghi tiến độ gần nhất (%s)" % latest.strftime("%d/%m/%Y") in error_beside(
        response, "progress-day")
    assert FollowUp.select().where(FollowUp.conclusion == c.id).count() == 1
    same_day = specialist.post_form("/ket-luan/%d/tien-do" % c.id, progress(c, day=latest.date().isoformat()))
    assert same_day.status_code == 303


def test_a_late_conclusion_is_flagged_wherever_it_is_listed(login, db):
    c = make_conclusion("KTN", status="in_progress", deadline=models.today() - dt.timedelta(days=60))
    opinion = models.Opinion.select().where(models.Opinion.assigned_unit == unit("KTN")).first()
    models.ConclusionOpinion.create(conclusion=c, opinion=opinion)
    coordinator = login("coordinator")
    for url in ("/ket-luan/%d" % c.id, "/ket-luan/?unit=%d" % unit("KTN").id):
        assert "quá hạn nghiêm trọng" in text(coordinator.get(url)), url
    related = soup(coordinator.get("/y-kien/%d" % opinion.id)).find(id="conclusions-h").find_parent("section")
    item = next(li for li in related.find_all("li") if c.decision in li.get_text())
    assert "quá hạn nghiêm trọng" in item.get_text()
