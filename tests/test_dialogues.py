"""Dialogues: list, detail, create, edit, lifecycle, minutes and fast entry of opinions."""
import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup

import models
from tests.conftest import user

NEW = {  # a valid new dialogue; tests change one value at a time
    "title": "Đối thoại về đất đai và tái định cư",
    "kind": "ad_hoc", "audience": "citizens", "occasion": "", "plan_id": "",
    "starts_on": "2022-09-15", "starts_time": "08:30", "ends_on": "", "ends_time": "11:00",
    "place": "Hội trường UBND tỉnh", "chair": "Chánh Văn phòng", "description": "Chương trình làm việc.",
}


def make_dialogue(**values):
    """A dialogue of our own, so each test states the facts it depends on."""
    row = {"title": "Đối thoại thử nghiệm", "kind": "ad_hoc", "audience": "staff", "place": "Phòng họp số 1",
           "starts_at": models.now() - dt.timedelta(hours=2), "status": "scheduled"}
    row.update(values)
    row.setdefault("slug", "thu-%d-%s" % (models.Dialogue.select().count() + 1,
                                          row["starts_at"].strftime("%Y%m%d%H%M")))
    return models.Dialogue.create(**row)


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def error_of(response, name):
    """The message printed beside a field (the `_macros.field_error` paragraph)."""
    node = soup(response).find(id="%s-error" % name)
    return node.get_text(strip=True) if node else None


def reload(dialogue):
    return models.Dialogue.get_by_id(dialogue.id)


def audits(obj, action=None):
    query = models.AuditLog.select().where(models.AuditLog.object_type == obj._meta.table_name,
                                           models.AuditLog.object_id == obj.id)
    if action:
        query = query.where(models.AuditLog.action == action)
    return list(query.order_by(models.AuditLog.id))


# ---------------------------------------------------------------- list

def test_list_shows_rows_newest_first_with_opinion_counts(login, db):
    response = login("coordinator").get("/doi-thoai/")
    assert response.status_code == 200
    rows = soup(response).select("#dialogue-results tbody tr")
    assert len(rows) == min(25, models.Dialogue.select().count())
    starts = [dt.datetime.strptime(r.find("td").get_text(strip=True), "%d/%m/%Y %H:%M") for r in rows]
    assert starts == sorted(starts, reverse=True)
    newest = models.Dialogue.select().order_by(models.Dialogue.starts_at.desc()).first()
    first = rows[0].find_all("td")
    assert first[1].get_text(strip=True).startswith(newest.title)
    assert first[4].get_text(strip=True) == newest.status_label
    assert first[5].get_text(strip=True) == newest.place
    assert int(first[6].get_text(strip=True)) == newest.opinions.count()


@pytest.mark.parametrize("query, condition", [
    ("kind=periodic", lambda d: d.kind == "periodic"),
    ("audience=citizens", lambda d: d.audience == "citizens"),
    ("status=completed", lambda d: d.status == "completed"),
    ("year=2022", lambda d: d.starts_at.year == 2022),
    ("when=upcoming", lambda d: d.starts_at >= models.now()),
    ("when=past", lambda d: d.starts_at < models.now()),
    ("year=2022&kind=ad_hoc&audience=staff",
     lambda d: (d.starts_at.year, d.kind, d.audience) == (2022, "ad_hoc", "staff")),
])
def test_list_filters(login, db, query, condition):
    expected = [d for d in models.Dialogue.select() if condition(d)]
    assert 0 < len(expected) < models.Dialogue.select().count()  # the filter really filters
    response = login("leader").get("/doi-thoai/?" + query)
    assert response.status_code == 200
    titles = {a.get_text(strip=True) for a in soup(response).select("#dialogue-results tbody td:nth-of-type(2) a")}
    assert titles == {d.title for d in expected}
    assert "trong %d buổi đối thoại" % len(expected) in response.get_data(as_text=True)


def test_list_filter_with_no_match_shows_empty_state(login, db):
    response = login("coordinator").get("/doi-thoai/?year=1999")
    assert response.status_code == 200
    assert "Không có buổi đối thoại nào khớp với bộ lọc" in response.get_data(as_text=True)
    assert not soup(response).select("#dialogue-results tbody tr")


def test_list_paginates(login, db):
    for i in range(30):
        make_dialogue(title="Giao ban tuần %02d" % i, starts_at=dt.datetime(2021, 1, 4, 8) + dt.timedelta(weeks=i))
    total = models.Dialogue.select().count()
    c = login("coordinator")
    last_page = (total + 24) // 25
    first, last = c.get("/doi-thoai/"), c.get("/doi-thoai/?page=%d" % last_page)
    assert len(soup(first).select("#dialogue-results tbody tr")) == 25
    assert len(soup(last).select("#dialogue-results tbody tr")) == total - 25 * (last_page - 1)
    assert soup(first).select_one('.pager a[rel="next"]')["href"] == "/doi-thoai/?page=2"
    assert not soup(last).select_one('.pager a[rel="next"]')
    assert "Giao ban tuần 00" in last.get_data(as_text=True)  # the oldest is last


def test_list_htmx_gets_only_the_results(login):
    response = login("coordinator").hx_get("/doi-thoai/?kind=periodic")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert soup(response).find(id="dialogue-results") is not None
    restore = login("coordinator").hx_get("/doi-thoai/", headers={"HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_list_query_count_does_not_grow_with_rows(login, db, monkeypatch):
    for i in range(25 - min(25, models.Dialogue.select().count())):
        make_dialogue(title="Bổ sung %d" % i)
    c = login("specialist")

    def count_queries(url):
        database, seen = models.db.obj, []
        original = database.execute_sql

        def counting(sql, *args, **kwargs):
            seen.append(sql)
            return original(sql, *args, **kwargs)
        monkeypatch.setattr(database, "execute_sql", counting)
        response = c.get(url)
        monkeypatch.undo()
        return len(soup(response).select("#dialogue-results tbody tr")), len(seen)

    one_row, few = count_queries("/doi-thoai/?status=cancelled")
    full_page, many = count_queries("/doi-thoai/")
    assert (one_row, full_page) == (1, 25)
    assert many == few <= 6  # session user, years, count, page: the opinion counts ride in the page query


@pytest.mark.parametrize("role", ["specialist", "unit_head", "coordinator", "leader", "chief"])
def test_every_role_but_admin_reads_dialogues(login, db, role):
    c = login(role)
    assert c.get("/doi-thoai/").status_code == 200
    dialogue = models.Dialogue.select().first()
    assert c.get("/doi-thoai/%d" % dialogue.id).status_code == 200


@pytest.mark.parametrize("url", ["/doi-thoai/", "/doi-thoai/1", "/doi-thoai/moi", "/doi-thoai/1/sua",
                                 "/doi-thoai/1/bien-ban"])
def test_admin_sees_no_content(login, url):
    assert login("admin").get(url).status_code == 403


def test_unknown_dialogue_is_404(login):
    assert login("coordinator").get("/doi-thoai/99999").status_code == 404


def test_anonymous_is_sent_to_login(client):
    response = client.get("/doi-thoai/")
    assert response.status_code == 302 and "/dang-nhap" in response.headers["Location"]


# ---------------------------------------------------------------- detail

def test_detail_shows_facts_fields_attendees_history_notices_and_opinions(login, db):
    dialogue = (models.Dialogue.select().join(models.ConclusionNotice)
                .where(models.Dialogue.status == "completed").order_by(models.Dialogue.id).first())
    response = login("coordinator").get("/doi-thoai/%d" % dialogue.id)
    assert response.status_code == 200
    page = soup(response)
    text = page.get_text(" ", strip=True)
    assert dialogue.title in text
    assert dialogue.starts_at.strftime("%d/%m/%Y %H:%M") in text
    assert dialogue.place in text
    for link in dialogue.field_links:
        assert link.field.name in text
    for link in dialogue.attendee_links:
        assert link.user.full_name in text
    history = page.select("#dialogue-status .timeline li")
    assert len(history) == models.StatusChange.for_object(dialogue).count() > 0
    assert "Hoàn thành" in history[-1].get_text()
    for notice in dialogue.notices:
        assert notice.title in text and notice.status_label in text
    rows = page.select("#opinion-rows tr")
    codes = [o.code for o in dialogue.opinions.order_by(models.Opinion.id)]
    assert [r.find("td").get_text(strip=True) for r in rows] == codes
    assert "Biên bản" in text and str(dialogue.attendance) in text


def test_detail_shows_specialist_only_own_unit_opinions(login, db):
    specialist = user("specialist")
    other = models.Unit.select().where(models.Unit.id != specialist.unit_id).first()
    dialogue = make_dialogue()
    mine = models.create_opinion(None, kind="opinion", audience="staff", content="Ý kiến của đơn vị tôi",
                                 dialogue=dialogue, assigned_unit=specialist.unit_id)
    theirs = models.create_opinion(None, kind="opinion", audience="staff", content="Ý kiến của đơn vị khác",
                                   dialogue=dialogue, assigned_unit=other.id)
    html = login("specialist").get("/doi-thoai/%d" % dialogue.id).get_data(as_text=True)
    assert mine.code in html and theirs.code not in html
    assert "Ý kiến của đơn vị khác" not in html


def test_denouncer_is_never_shown_in_the_dialogue_table(login, db):
    dialogue = make_dialogue()
    models.create_opinion(None, kind="denunciation", audience="staff", submitter_name="Phạm Văn Tố",
                          content="Tố cáo hành vi nhũng nhiễu", dialogue=dialogue)
    html = login("chief").get("/doi-thoai/%d" % dialogue.id).get_data(as_text=True)
    assert "Phạm Văn Tố" not in html and "[bảo mật]" in html


# ---------------------------------------------------------------- create

def test_create_form_is_for_coordinator_and_chief(login):
    response = login("chief").get("/doi-thoai/moi")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("input", {"name": "starts_on", "type": "date"})
    assert page.find("input", {"name": "starts_time", "type": "time"})
    assert page.find_all("input", {"name": "field_ids", "type": "checkbox"})
    assert page.find_all("input", {"name": "attendee_ids", "type": "checkbox"})


def test_create_stores_dialogue_links_history_and_audit(login, db):
    fields = [f.id for f in models.Field.select().limit(2)]
    people = [user("unit_head").id, user("specialist").id]
    plan = models.Plan.get(models.Plan.year == 2022)
    c = login("coordinator")
    response = c.post_form("/doi-thoai/moi", dict(NEW, plan_id=plan.id, field_ids=fields, attendee_ids=people,
                                                  is_public="y"))
    assert response.status_code == 303
    dialogue = models.Dialogue.select().order_by(models.Dialogue.id.desc()).first()
    assert response.headers["Location"] == "/doi-thoai/%d" % dialogue.id
    assert dialogue.title == NEW["title"] and dialogue.plan_id == plan.id and dialogue.is_public
    assert dialogue.starts_at == dt.datetime(2022, 9, 15, 8, 30)
    assert dialogue.ends_at == dt.datetime(2022, 9, 15, 11, 0)
    assert dialogue.slug == "doi-thoai-ve-dat-dai-va-tai-dinh-cu-2022-09-15"
    assert dialogue.status == "scheduled" and dialogue.created_by_id == user("coordinator").id
    assert sorted(link.field_id for link in dialogue.field_links) == sorted(fields)
    assert sorted(link.user_id for link in dialogue.attendee_links) == sorted(people)
    assert [(h.from_status, h.to_status) for h in models.StatusChange.for_object(dialogue)] == [("", "scheduled")]
    created = audits(dialogue, "create")
    assert len(created) == 1 and created[0].user_id == user("coordinator").id
    assert dict(created[0].change_list)["title"] == [None, NEW["title"]]
    assert "Đã tạo buổi đối thoại" in c.get(response.headers["Location"]).get_data(as_text=True)


def test_chairman_dialogue_starts_as_proposed_and_slug_stays_unique(login, db):
    c = login("chief")
    data = dict(NEW, is_chairman="y")
    assert c.post_form("/doi-thoai/moi", data).status_code == 303
    assert c.post_form("/doi-thoai/moi", data).status_code == 303
    first, second = models.Dialogue.select().order_by(models.Dialogue.id.desc()).limit(2)[::-1]
    assert first.status == "proposed" and first.is_chairman
    assert second.slug == first.slug + "-2"
    assert re.fullmatch(r"[a-z0-9-]+", second.slug)


@pytest.mark.parametrize("changes, field, message", [
    ({"title": "  "}, "title", "Vui lòng nhập tên buổi đối thoại."),
    ({"place": ""}, "place", "Vui lòng nhập địa điểm."),
    ({"starts_on": ""}, "starts_on", "Vui lòng nhập ngày bắt đầu."),
    ({"starts_on": "15/09/2022"}, "starts_on", "Ngày không hợp lệ."),
    ({"starts_time": ""}, "starts_time", "Vui lòng nhập giờ bắt đầu."),
    ({"ends_time": "08:00"}, "ends_time", "Thời gian kết thúc phải sau thời gian bắt đầu."),
    ({"ends_on": "2022-09-14", "ends_time": "09:00"}, "ends_time", "Thời gian kết thúc phải sau thời gian bắt đầu."),
    ({"ends_on": "2022-09-16", "ends_time": ""}, "ends_on", "Có ngày kết thúc thì cần nhập cả giờ kết thúc."),
    ({"kind": "periodic"}, "occasion", "Đối thoại định kỳ cần chọn hội nghị hoặc buổi giao ban gắn kèm."),
    ({"occasion": "weekly_briefing"}, "occasion", "Chỉ đối thoại định kỳ mới gắn với hội nghị, giao ban."),
    ({"audience": "staff", "is_chairman": "y"}, "is_chairman",
     "Đối thoại của Chủ tịch UBND tỉnh chỉ dành cho đối tượng Nhân dân."),
    ({"plan_id": "99999"}, "plan_id", "Kế hoạch không tồn tại."),
    ({"plan_id": "abc"}, "plan_id", "Lựa chọn không hợp lệ."),
    ({"kind": "weekly"}, "kind", "Hình thức đối thoại không hợp lệ."),
    ({"field_ids": "99999"}, "field_ids", "Lĩnh vực không tồn tại."),
    ({"title": "x" * 301}, "title", "Tối đa 300 ký tự."),
])
def test_create_validation(login, db, changes, field, message):
    before = models.Dialogue.select().count()
    response = login("coordinator").post_form("/doi-thoai/moi", dict(NEW, **changes))
    assert response.status_code == 422
    assert error_of(response, field) == message
    page = soup(response)
    if field != "title":
        assert page.find("input", {"name": "title"})["value"] == NEW["title"]  # what was typed is kept
    assert models.Dialogue.select().count() == before


def test_plan_year_must_match_the_dialogue(login, db):
    plan = models.Plan.select().where(models.Plan.year != 2022).first()
    response = login("coordinator").post_form("/doi-thoai/moi", dict(NEW, plan_id=plan.id))
    assert response.status_code == 422
    assert error_of(response, "plan_id") == "Thời gian đối thoại phải thuộc năm của kế hoạch (%d)." % plan.year


# ---------------------------------------------------------------- edit and conflicts

def edit_data(dialogue, **changes):
    data = dict(NEW, title=dialogue.title, kind=dialogue.kind, audience=dialogue.audience, place=dialogue.place,
                starts_on=dialogue.starts_at.strftime("%Y-%m-%d"), starts_time=dialogue.starts_at.strftime("%H:%M"),
                ends_on="", ends_time="", version=dialogue.version)
    data.update(changes)
    return data


def test_edit_form_is_filled_with_the_stored_values(login, db):
    dialogue = make_dialogue(chair="Phó Chánh Văn phòng")
    field = models.Field.select().first()
    models.DialogueField.create(dialogue=dialogue, field=field)
    page = soup(login("coordinator").get("/doi-thoai/%d/sua" % dialogue.id))
    assert page.find("input", {"name": "title"})["value"] == dialogue.title
    assert page.find("input", {"name": "chair"})["value"] == "Phó Chánh Văn phòng"
    assert page.find("input", {"name": "starts_on"})["value"] == dialogue.starts_at.strftime("%Y-%m-%d")
    assert page.find("input", {"name": "version"})["value"] == "1"
    assert page.find("input", {"name": "field_ids", "value": str(field.id)}).has_attr("checked")


def test_edit_saves_changes_bumps_version_and_audits(login, db):
    dialogue = make_dialogue()
    response = login("chief").post_form("/doi-thoai/%d/sua" % dialogue.id,
                                        edit_data(dialogue, title="Tên mới", place="Hội trường tầng 3"))
    assert response.status_code == 303
    saved = reload(dialogue)
    assert (saved.title, saved.place, saved.version, saved.slug) == ("Tên mới", "Hội trường tầng 3", 2, dialogue.slug)
    changes = dict(audits(saved, "update")[-1].change_list)
    assert changes["title"] == [dialogue.title, "Tên mới"]


def test_edit_of_links_only_still_bumps_version(login, db):
    dialogue = make_dialogue()
    person = user("unit_head")
    response = login("coordinator").post_form("/doi-thoai/%d/sua" % dialogue.id,
                                              edit_data(dialogue, attendee_ids=[person.id]))
    assert response.status_code == 303
    assert reload(dialogue).version == 2
    assert [a.user_id for a in reload(dialogue).attendee_links] == [person.id]
    assert any("attendees" in dict(a.change_list) for a in audits(dialogue, "update"))


def test_second_edit_from_the_same_version_gets_409_and_nothing_is_overwritten(login, db):
    dialogue = make_dialogue()
    first, second = login("coordinator"), login("chief")
    url = "/doi-thoai/%d/sua" % dialogue.id
    assert first.post_form(url, edit_data(dialogue, title="Sửa lần một")).status_code == 303
    response = second.post_form(url, edit_data(dialogue, title="Sửa lần hai"))
    assert response.status_code == 409
    page = soup(response)
    box = page.select_one(".conflict").get_text(" ", strip=True)
    assert "Sửa lần một" in box and user("coordinator").full_name in box
    assert page.find("input", {"name": "title"})["value"] == "Sửa lần hai"  # what they typed is kept
    assert page.find("input", {"name": "version"})["value"] == "2"
    saved = reload(dialogue)
    assert saved.title == "Sửa lần một" and saved.version == 2


def test_edit_validation_changes_nothing(login, db):
    dialogue = make_dialogue()
    response = login("coordinator").post_form("/doi-thoai/%d/sua" % dialogue.id, edit_data(dialogue, place=""))
    assert response.status_code == 422
    assert error_of(response, "place") == "Vui lòng nhập địa điểm."
    assert reload(dialogue).version == 1


@pytest.mark.parametrize("role", ["specialist", "unit_head", "leader"])
def test_only_coordinator_and_chief_create_edit_transition_and_write_minutes(login, db, role):
    dialogue = make_dialogue(status="held")
    c = login(role)
    assert c.get("/doi-thoai/moi").status_code == 403
    assert c.post_form("/doi-thoai/moi", NEW).status_code == 403
    assert c.get("/doi-thoai/%d/sua" % dialogue.id).status_code == 403
    assert c.post_form("/doi-thoai/%d/sua" % dialogue.id, edit_data(dialogue)).status_code == 403
    assert c.post_form("/doi-thoai/%d/trang-thai" % dialogue.id, {"to": "concluded", "version": 1}).status_code == 403
    assert c.get("/doi-thoai/%d/bien-ban" % dialogue.id).status_code == 403
    assert c.post_form("/doi-thoai/%d/bien-ban" % dialogue.id, {"attendance": 5, "version": 1}).status_code == 403
    assert reload(dialogue).version == 1 and reload(dialogue).status == "held"
    assert "Sửa thông tin" not in c.get("/doi-thoai/%d" % dialogue.id).get_data(as_text=True)


def test_post_without_csrf_token_is_refused(login, db):
    c = login("coordinator")
    before = models.Dialogue.select().count()
    assert c.client.post("/doi-thoai/moi", data=NEW).status_code == 400
    assert models.Dialogue.select().count() == before


# ---------------------------------------------------------------- lifecycle

def transition(c, dialogue, to, note="", htmx=False, version=None):
    return c.post_form("/doi-thoai/%d/trang-thai" % dialogue.id,
                       {"to": to, "note": note, "version": version or reload(dialogue).version}, htmx=htmx)


def test_held_transition_is_recorded_with_history_and_audit(login, db):
    dialogue = make_dialogue()
    response = transition(login("coordinator"), dialogue, "held", note="Đã tổ chức đúng kế hoạch")
    assert response.status_code == 303
    assert response.headers["Location"] == "/doi-thoai/%d" % dialogue.id
    saved = reload(dialogue)
    assert saved.status == "held" and saved.version == 2
    change = models.StatusChange.for_object(saved).first()
    assert (change.from_status, change.to_status, change.note, change.user_id) == (
        "scheduled", "held", "Đã tổ chức đúng kế hoạch", user("coordinator").id)
    assert dict(audits(saved, "status")[-1].change_list)["status"] == ["scheduled", "held"]


@pytest.mark.parametrize("values, to, reason", [
    ({"starts_at": dt.datetime(2099, 1, 1, 8)}, "held", "Buổi đối thoại chưa diễn ra"),
    ({}, "appraised", "Chỉ đối thoại của Chủ tịch UBND tỉnh với Nhân dân mới qua bước thẩm định."),
    ({}, "completed", "Không thể chuyển từ “Đã lên lịch” sang “Hoàn thành”."),
    ({"status": "cancelled"}, "scheduled", "Không thể chuyển từ “Hủy” sang “Đã lên lịch”."),
    ({"status": "held"}, "scheduled", "Không thể chuyển từ “Đã tổ chức” sang “Đã lên lịch”."),
])
def test_refused_transitions_give_the_reason_and_change_nothing(login, db, values, to, reason):
    dialogue = make_dialogue(**values)
    response = transition(login("chief"), dialogue, to)
    assert response.status_code == 422
    assert reason in soup(response).select_one("#dialogue-status #to-error").get_text()
    saved = reload(dialogue)
    assert saved.status == dialogue.status and saved.version == 1
    assert models.StatusChange.for_object(saved).count() == 0


def test_chairman_dialogue_goes_through_appraisal(login, db):
    dialogue = make_dialogue(status="proposed", is_chairman=True, audience="citizens")
    c = login("chief")
    page = soup(c.get("/doi-thoai/%d" % dialogue.id))
    assert page.find("button", {"name": "to", "value": "appraised"})
    assert transition(c, dialogue, "appraised").status_code == 303
    assert transition(c, dialogue, "scheduled").status_code == 303
    assert reload(dialogue).status == "scheduled"


@pytest.mark.parametrize("to", ["postponed", "cancelled"])
def test_postpone_and_cancel_need_a_reason(login, db, to):
    dialogue = make_dialogue()
    c = login("coordinator")
    response = transition(c, dialogue, to)
    assert response.status_code == 422
    assert "Vui lòng ghi lý do" in response.get_data(as_text=True)
    assert reload(dialogue).status == "scheduled"
    assert transition(c, dialogue, to, note="Lãnh đạo bận công tác đột xuất").status_code == 303
    assert reload(dialogue).status == to


def test_completed_only_when_every_conclusion_of_signed_notices_is_closed(login, db):
    dialogue = make_dialogue(status="concluded")
    notice = models.ConclusionNotice.create(dialogue=dialogue, title="Thông báo kết luận", status="signed", year=2099)
    draft = models.ConclusionNotice.create(dialogue=dialogue, title="Dự thảo bổ sung", status="draft")
    models.Conclusion.create(notice=draft, decision="Chưa ký: không tính", status="open")
    done = models.Conclusion.create(notice=notice, decision="Đã giải quyết", status="resolved")
    pending = models.Conclusion.create(notice=notice, decision="Đang thực hiện", status="in_progress")
    c = login("coordinator")
    response = transition(c, dialogue, "completed")
    assert response.status_code == 422
    assert "Còn 1 kết luận chưa xong" in response.get_data(as_text=True)
    assert reload(dialogue).status == "concluded"
    models.Conclusion.update(status="explained").where(models.Conclusion.id == pending.id).execute()
    assert done.status == "resolved"
    assert transition(c, dialogue, "completed").status_code == 303
    assert reload(dialogue).status == "completed"


def test_transition_with_htmx_returns_the_status_panel(login, db):
    dialogue = make_dialogue()
    c = login("chief")
    response = transition(c, dialogue, "held", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    panel = soup(response).find(id="dialogue-status")
    assert "Đã tổ chức" in panel.find("h2").get_text()
    assert panel.find("input", {"name": "version"})["value"] == "2"
    refused = transition(c, dialogue, "completed", htmx=True)
    assert refused.status_code == 200 and "<html" not in refused.get_data(as_text=True)
    assert "Không thể chuyển" in soup(refused).find(id="to-error").get_text()


def test_transition_from_a_stale_version_is_a_conflict(login, db):
    dialogue = make_dialogue()
    models.save_versioned(dialogue, 1, user("chief"), {"place": "Phòng họp tầng 2"})  # saved by someone else
    response = transition(login("coordinator"), dialogue, "held", version=1)
    assert response.status_code == 409
    assert "vừa được người khác cập nhật" in response.get_data(as_text=True)
    saved = reload(dialogue)
    assert (saved.status, saved.version) == ("scheduled", 2)
    assert models.StatusChange.for_object(saved).count() == 0


# ---------------------------------------------------------------- minutes

def test_minutes_only_once_held(login, db):
    dialogue = make_dialogue()
    c = login("coordinator")
    response = c.get("/doi-thoai/%d/bien-ban" % dialogue.id)
    assert response.status_code == 409
    assert "Chỉ ghi biên bản khi buổi đối thoại đã tổ chức" in response.get_data(as_text=True)
    assert c.post_form("/doi-thoai/%d/bien-ban" % dialogue.id, {"attendance": 5, "version": 1}).status_code == 409
    assert reload(dialogue).attendance is None


def test_minutes_are_saved_and_shown(login, db):
    dialogue = make_dialogue(status="held")
    c = login("chief")
    assert c.get("/doi-thoai/%d/bien-ban" % dialogue.id).status_code == 200
    response = c.post_form("/doi-thoai/%d/bien-ban" % dialogue.id, {
        "attendance": "42", "discussion": "Trao đổi về chế độ phụ cấp.",
        "directions": "Giao Phòng TCHCQT rà soát.", "version": "1"})
    assert response.status_code == 303
    saved = reload(dialogue)
    assert (saved.attendance, saved.directions, saved.version) == (42, "Giao Phòng TCHCQT rà soát.", 2)
    assert audits(saved, "minutes")
    text = soup(c.get("/doi-thoai/%d" % dialogue.id)).find(id="bien-ban").get_text(" ", strip=True)
    assert "42" in text and "Giao Phòng TCHCQT rà soát." in text


@pytest.mark.parametrize("attendance, message", [
    ("-1", "Số người dự không được âm."),
    ("mười", "Số người dự phải là số nguyên."),
    ("", "Vui lòng nhập số người dự."),
])
def test_minutes_validation(login, db, attendance, message):
    dialogue = make_dialogue(status="held")
    response = login("coordinator").post_form("/doi-thoai/%d/bien-ban" % dialogue.id, {
        "attendance": attendance, "discussion": "Nội dung đã gõ", "version": "1"})
    assert response.status_code == 422
    assert error_of(response, "attendance") == message
    assert "Nội dung đã gõ" in soup(response).find(id="discussion").get_text()
    assert reload(dialogue).version == 1


def test_minutes_conflict(login, db):
    dialogue = make_dialogue(status="held")
    first, second = login("coordinator"), login("chief")
    url = "/doi-thoai/%d/bien-ban" % dialogue.id
    assert first.post_form(url, {"attendance": "30", "discussion": "Bản thứ nhất", "version": "1"}).status_code == 303
    response = second.post_form(url, {"attendance": "31", "discussion": "Bản thứ hai", "version": "1"})
    assert response.status_code == 409
    assert "Bản thứ nhất" in soup(response).select_one(".conflict").get_text()
    assert reload(dialogue).discussion == "Bản thứ nhất"


# ---------------------------------------------------------------- fast entry

ENTRY = {"kind": "petition", "submitter_name": "Nguyễn Văn Bình", "submitter_contact": "0912 345 678",
         "content": "Đề nghị công khai tiến độ giải quyết hồ sơ đất đai."}


def entries(dialogue):
    return list(models.Opinion.select().where(models.Opinion.dialogue == dialogue.id).order_by(models.Opinion.id))


def test_fast_entry_without_javascript_redirects_with_a_message(login, db):
    dialogue = make_dialogue(audience="citizens")
    field = models.Field.select().first()
    c = login("coordinator")
    response = c.post_form("/doi-thoai/%d/y-kien" % dialogue.id, dict(ENTRY, field_id=field.id))
    assert response.status_code == 303
    assert response.headers["Location"] == "/doi-thoai/%d#nhap-nhanh" % dialogue.id
    [opinion] = entries(dialogue)
    assert (opinion.channel, opinion.audience, opinion.kind, opinion.field_id, opinion.status) == (
        "dialogue", "citizens", "petition", field.id, "received")
    assert opinion.submitter_name == "Nguyễn Văn Bình" and opinion.created_by_id == user("coordinator").id
    assert opinion.received_on == dialogue.starts_at.date()
    assert audits(opinion, "create")
    page = c.get("/doi-thoai/%d" % dialogue.id).get_data(as_text=True)
    assert "Đã ghi nhận ý kiến %s." % opinion.code in page
    assert opinion.code in page


def test_fast_entry_with_htmx_appends_the_row_and_clears_the_form(login, db):
    dialogue = make_dialogue()
    c = login("chief")
    response = c.post_form("/doi-thoai/%d/y-kien" % dialogue.id, ENTRY, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    [opinion] = entries(dialogue)
    page = soup(response)
    form = page.find("form", id="fast-entry")
    assert form["hx-target"] == "this"
    content = form.find("textarea", {"name": "content"})
    assert content.get_text() == "" and content.has_attr("autofocus")
    assert form.find("input", {"name": "submitter_name"})["value"] == ""
    appended = page.find(attrs={"hx-swap-oob": "beforeend:#opinion-rows"})
    assert appended.find("tr", id="opinion-%d" % opinion.id)
    assert opinion.code in str(appended)
    assert page.find(attrs={"hx-swap-oob": "delete"})["id"] == "no-opinions"  # first one: the empty row goes
    second = c.post_form("/doi-thoai/%d/y-kien" % dialogue.id, dict(ENTRY, content="Ý kiến thứ hai về thủ tục."),
                         htmx=True)
    assert not soup(second).find(attrs={"hx-swap-oob": "delete"})
    assert len(entries(dialogue)) == 2


@pytest.mark.parametrize("changes, field, message", [
    ({"content": "Ngắn"}, "content", "Nội dung cần từ 10 đến 5.000 ký tự."),
    ({"content": ""}, "content", "Vui lòng nhập nội dung ý kiến."),
    ({"kind": "complaint", "submitter_name": ""}, "submitter_name",
     "Khiếu nại, tố cáo cần ghi họ tên người gửi (được bảo mật)."),
    ({"field_id": "99999"}, "field_id", "Lĩnh vực không tồn tại."),
])
def test_fast_entry_validation_keeps_what_was_typed(login, db, changes, field, message):
    dialogue = make_dialogue()
    c = login("coordinator")
    data = dict(ENTRY, **changes)
    htmx = c.post_form("/doi-thoai/%d/y-kien" % dialogue.id, data, htmx=True)
    assert htmx.status_code == 200 and "<html" not in htmx.get_data(as_text=True)
    assert error_of(htmx, field) == message
    assert not soup(htmx).find(attrs={"hx-swap-oob": True})
    plain = c.post_form("/doi-thoai/%d/y-kien" % dialogue.id, data)
    assert plain.status_code == 422 and "<html" in plain.get_data(as_text=True)
    assert error_of(plain, field) == message
    form = soup(plain).find("form", id="fast-entry")
    assert form.find("textarea", {"name": "content"}).get_text() == data["content"]
    assert form.find("input", {"name": "submitter_contact"})["value"] == ENTRY["submitter_contact"]
    assert entries(dialogue) == []


def test_fast_entry_cannot_choose_channel_or_dialogue(login, db):
    dialogue, other = make_dialogue(audience="staff"), make_dialogue(audience="citizens")
    c = login("coordinator")
    response = c.post_form("/doi-thoai/%d/y-kien" % dialogue.id,
                           dict(ENTRY, channel="letter", dialogue_id=other.id, audience="citizens"))
    assert response.status_code == 303
    [opinion] = entries(dialogue)
    assert (opinion.channel, opinion.audience) == ("dialogue", "staff")
    assert entries(other) == []


@pytest.mark.parametrize("role, status", [("specialist", 303), ("unit_head", 303), ("leader", 403), ("admin", 403)])
def test_fast_entry_roles(login, db, role, status):
    dialogue = make_dialogue()
    c = login(role)
    assert c.post_form("/doi-thoai/%d/y-kien" % dialogue.id, ENTRY).status_code == status
    assert len(entries(dialogue)) == (1 if status == 303 else 0)
    if role != "admin":
        has_form = soup(c.get("/doi-thoai/%d" % dialogue.id)).find("form", id="fast-entry") is not None
        assert has_form == (status == 303)


@pytest.mark.parametrize("role", ["specialist", "unit_head"])
def test_unit_staff_keep_seeing_what_they_recorded(login, db, role):
    dialogue = make_dialogue()
    c = login(role)
    assert c.post_form("/doi-thoai/%d/y-kien" % dialogue.id, ENTRY).status_code == 303
    [opinion] = entries(dialogue)
    assert opinion.assigned_unit_id == user(role).unit_id
    assert opinion.code in c.get("/doi-thoai/%d" % dialogue.id).get_data(as_text=True)
    assert c.get("/y-kien/%d" % opinion.id).status_code == 200
