"""Proposals of content for the Chairman's dialogue with the People: record, appraise, decide, make the dialogue."""
import datetime as dt

import pytest
from bs4 import BeautifulSoup

import models
from forms import proposals as proposal_forms
from models import Agency, Appraisal, AuditLog, Dialogue, DialogueAttendee, Proposal, StatusChange, Unit
from tests.conftest import user

BDV, MTTQ = "Ban Dân vận Tỉnh ủy", "Ủy ban MTTQ Việt Nam tỉnh"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response):
    return soup(response).get_text(" ", strip=True)


def error_of(response, name):
    node = soup(response).find(id="%s-error" % name)
    return node.get_text(strip=True) if node else None


def agency(name):
    return Agency.get(Agency.name == name)


def unit(code):
    return Unit.get(Unit.code == code)


def reload(proposal):
    return Proposal.get_by_id(proposal.id)


def history(obj):
    return [(c.from_status, c.to_status) for c in StatusChange.for_object(obj)]


def make_proposal(status="received", unit_code="KTN", appraisals=(), **values):
    """A proposal of our own in a given state, so each test states the facts it depends on."""
    row = {"agency": agency("Sở Nội vụ"), "title": "Đề xuất đối thoại về chế độ cán bộ không chuyên trách cấp xã",
           "content": "Nhiều ý kiến về phụ cấp cán bộ không chuyên trách.", "document_ref": "Công văn số 12/SNV-TCCB",
           "received_on": models.today() - dt.timedelta(days=20), "status": status,
           "content_unit": unit(unit_code) if unit_code else None}
    row.update(values)
    proposal = Proposal.create(**row)
    models.record_transition(proposal, user("coordinator"), "", "received")
    if status != "received":
        models.record_transition(proposal, user("unit_head"), "received", "appraising")
    for body, agrees in appraisals:
        Appraisal.create(proposal=proposal, body=agency(body), agrees=agrees, opinion="Ý kiến của %s." % body,
                         at=models.today() - dt.timedelta(days=5))
    return proposal


NEW = {"agency_id": None, "title": "Đề xuất đối thoại về chính sách hỗ trợ nhà ở cho người có công",
       "content": "Một số hộ gia đình người có công kiến nghị về hỗ trợ cải thiện nhà ở.",
       "document_ref": "Công văn số 88/SLĐTBXH-NCC ngày 02/3/2022", "received_on": None}


def new_values(**changes):
    values = dict(NEW, agency_id=agency("Sở Lao động - Thương binh và Xã hội").id,
                  received_on=(models.today() - dt.timedelta(days=3)).isoformat())
    values.update(changes)
    return values


# ---------------------------------------------------------------- list

def test_list_shows_the_proposals_newest_first(login, db):
    response = login("leader").get("/de-xuat/")
    assert response.status_code == 200
    rows = soup(response).select("#proposal-results tbody tr")
    expected = list(Proposal.select().order_by(Proposal.received_on.desc(), Proposal.id.desc()))
    assert len(rows) == len(expected) == 3
    assert [r.select_one("td:nth-of-type(2) a").get_text(strip=True) for r in rows] == [p.title for p in expected]
    returned = next(r for r in rows if "Sở Xây dựng" in r.get_text())
    assert "Trả lại" in returned.get_text()
    accepted = next(r for r in rows if "UBND huyện An Hòa" in r.get_text())
    assert "Đã tạo buổi đối thoại" in accepted.get_text()
    assert "2/2" in accepted.get_text()  # both appraising bodies gave their opinion


@pytest.mark.parametrize("query, condition", [
    ("status=returned", lambda p: p.status == "returned"),
    ("status=accepted", lambda p: p.status == "accepted"),
    ("year=2022", lambda p: p.received_on.year == 2022),
])
def test_list_filters(login, db, query, condition):
    expected = {p.title for p in Proposal.select() if condition(p)}
    assert 0 < len(expected) < Proposal.select().count()
    response = login("coordinator").get("/de-xuat/?" + query)
    titles = {a.get_text(strip=True) for a in soup(response).select("#proposal-results tbody td:nth-of-type(2) a")}
    assert titles == expected


def test_list_filter_by_agency(login, db):
    builders = agency("Sở Xây dựng")
    response = login("coordinator").get("/de-xuat/?agency=%d" % builders.id)
    rows = soup(response).select("#proposal-results tbody tr")
    assert len(rows) == 1 and "Sở Xây dựng" in rows[0].get_text()


def test_list_empty_state(login, db):
    response = login("coordinator").get("/de-xuat/?year=1999")
    assert response.status_code == 200
    assert "Không có đề xuất nào khớp với bộ lọc" in text(response)
    Proposal.delete().execute()
    response = login("coordinator").get("/de-xuat/")
    assert "Không có đề xuất nào. Ghi nhận đề xuất đầu tiên" in text(response)


def test_list_paginates(login, db):
    for i in range(30):
        make_proposal(title="Đề xuất số %02d" % i, received_on=dt.date(2021, 1, 1) + dt.timedelta(days=i))
    total = Proposal.select().count()
    c = login("coordinator")
    first, second = c.get("/de-xuat/"), c.get("/de-xuat/?page=2")
    assert len(soup(first).select("#proposal-results tbody tr")) == 25
    assert len(soup(second).select("#proposal-results tbody tr")) == total - 25
    assert soup(first).select_one('.pager a[rel="next"]')["href"] == "/de-xuat/?page=2"
    assert "Đề xuất số 00" in second.get_data(as_text=True)  # the oldest is last


def test_list_htmx_gets_only_the_results(login):
    response = login("coordinator").hx_get("/de-xuat/?status=received")
    assert response.status_code == 200
    assert "<html" not in response.get_data(as_text=True)
    assert soup(response).find(id="proposal-results") is not None


def test_unit_staff_see_only_their_units_proposals(login, db):
    ktn = {p.title for p in Proposal.select().where(Proposal.content_unit == unit("KTN"))}
    other = Proposal.get(Proposal.content_unit == unit("VX"))
    for username in ("specialist", "unit_head"):
        c = login(username)
        response = c.get("/de-xuat/")
        titles = {a.get_text(strip=True) for a in soup(response).select("#proposal-results tbody td:nth-of-type(2) a")}
        assert titles == ktn
        assert c.get("/de-xuat/%d" % other.id).status_code == 404
    assert login("doan.ngocanh").get("/de-xuat/%d" % other.id).status_code == 200  # VX's own specialist
    assert login("admin").get("/de-xuat/").status_code == 403


# ---------------------------------------------------------------- record and edit

def test_coordinator_records_a_proposal(login, db):
    c = login("coordinator")
    assert c.get("/de-xuat/moi").status_code == 200
    response = c.post_form("/de-xuat/moi", new_values())
    assert response.status_code == 303
    proposal = Proposal.get(Proposal.title == NEW["title"])
    assert (proposal.status, proposal.document_ref, proposal.agency.name) == (
        "received", NEW["document_ref"], "Sở Lao động - Thương binh và Xã hội")
    assert proposal.received_on == models.today() - dt.timedelta(days=3)
    assert history(proposal) == [("", "received")]
    assert AuditLog.select().where(AuditLog.object_type == "proposal", AuditLog.object_id == proposal.id,
                                   AuditLog.action == "create").count() == 1
    page = c.get(response.headers["Location"])
    assert NEW["document_ref"] in text(page) and "Đã tiếp nhận" in text(page)


@pytest.mark.parametrize("changes, field, message", [
    ({"received_on": (dt.date.today() + dt.timedelta(days=3)).isoformat()}, "received_on", "không được sau hôm nay"),
    ({"agency_id": ""}, "agency_id", "Vui lòng chọn cơ quan đề xuất"),
    ({"agency_id": "APPRAISER"}, "agency_id", "Cơ quan đề xuất không hợp lệ"),
    ({"title": "  "}, "title", "Vui lòng nhập tên đề xuất"),
    ({"document_ref": ""}, "document_ref", "Vui lòng nhập số, ký hiệu văn bản"),
])
def test_record_refuses_invalid_input_and_keeps_what_was_typed(login, db, changes, field, message):
    if changes.get("agency_id") == "APPRAISER":
        changes["agency_id"] = agency(MTTQ).id
    before = Proposal.select().count()
    response = login("coordinator").post_form("/de-xuat/moi", new_values(**changes))
    assert response.status_code == 422
    assert message in (error_of(response, field) or "")
    assert Proposal.select().count() == before
    if field != "document_ref":
        assert soup(response).find(id="document_ref")["value"] == NEW["document_ref"]


@pytest.mark.parametrize("username", ["specialist", "unit_head", "leader", "chief", "admin"])
def test_only_the_coordinator_records(login, db, username):
    c = login(username)
    before = Proposal.select().count()
    assert c.get("/de-xuat/moi").status_code == 403
    assert c.post_form("/de-xuat/moi", new_values()).status_code == 403
    assert Proposal.select().count() == before


def test_concurrent_edit_is_a_conflict(login, db):
    proposal = make_proposal()
    first, second = login("coordinator"), login("coordinator")
    url = "/de-xuat/%d/sua" % proposal.id
    form = soup(first.get(url))
    assert form.find("input", {"name": "version"})["value"] == "1"
    base = {"agency_id": proposal.agency_id, "content": proposal.content, "document_ref": proposal.document_ref,
            "received_on": proposal.received_on.isoformat(), "version": "1"}
    assert first.post_form(url, dict(base, title="Tiêu đề của người thứ nhất")).status_code == 303
    response = second.post_form(url, dict(base, title="Tiêu đề của người thứ hai"))
    assert response.status_code == 409
    box = soup(response).select_one(".conflict").get_text()
    assert "Tiêu đề của người thứ nhất" in box and "Phạm Thị Minh Thư" in box
    assert soup(response).find(id="title")["value"] == "Tiêu đề của người thứ hai"  # what was typed stays
    assert (reload(proposal).title, reload(proposal).version) == ("Tiêu đề của người thứ nhất", 2)
    # Saving again from the conflict page (it now carries version 2) overwrites knowingly.
    assert soup(response).find("input", {"name": "version"})["value"] == "2"
    assert second.post_form(url, dict(base, title="Tiêu đề của người thứ hai", version="2")).status_code == 303
    assert reload(proposal).title == "Tiêu đề của người thứ hai"


def test_a_decided_proposal_is_not_edited(login, db):
    proposal = Proposal.get(Proposal.status == "returned")
    c = login("coordinator")
    assert c.get("/de-xuat/%d/sua" % proposal.id).status_code == 409
    response = c.post_form("/de-xuat/%d/sua" % proposal.id, new_values(version=str(proposal.version)))
    assert response.status_code == 409
    assert reload(proposal).title == proposal.title


# ---------------------------------------------------------------- content department

def test_assign_a_content_department(login, db):
    proposal = make_proposal(unit_code=None)
    c = login("chief")
    response = c.post_form("/de-xuat/%d/don-vi" % proposal.id, {"unit-content_unit": unit("NC").id,
                                                                 "unit-version": "1"})
    assert response.status_code == 303
    assert reload(proposal).content_unit.code == "NC"
    page = c.get("/de-xuat/%d" % proposal.id)
    assert "Giao Phòng Nội chính chủ trì tham mưu" in soup(page).find(id="dien-bien").get_text()
    # Not a content department: refused beside the field.
    response = c.post_form("/de-xuat/%d/don-vi" % proposal.id, {"unit-content_unit": unit("TCHCQT").id,
                                                                 "unit-version": "2"})
    assert response.status_code == 422
    assert "khối nội dung" in error_of(response, "unit-content_unit")
    assert reload(proposal).content_unit.code == "NC"
    assert login("specialist").post_form("/de-xuat/%d/don-vi" % proposal.id, {
        "unit-content_unit": unit("KTN").id, "unit-version": "2"}).status_code == 403


def test_appraisal_needs_a_content_department(login, db):
    proposal = make_proposal(unit_code=None)
    response = login("coordinator").post_form("/de-xuat/%d/tham-dinh" % proposal.id, {"start-version": "1"})
    assert response.status_code == 409
    assert "Cần giao phòng, ban khối nội dung chủ trì" in text(response)
    assert reload(proposal).status == "received"


# ---------------------------------------------------------------- the whole path

def test_whole_path_from_proposal_to_dialogue(login, db):
    coordinator, head, specialist, chief = login("coordinator"), login("unit_head"), login("specialist"), login("chief")
    coordinator.post_form("/de-xuat/moi", new_values())
    proposal = Proposal.get(Proposal.title == NEW["title"])
    url = "/de-xuat/%d" % proposal.id
    assert specialist.get(url).status_code == 404  # not yet given to the specialist's department

    assert coordinator.post_form(url + "/don-vi", {"unit-content_unit": unit("KTN").id,
                                                   "unit-version": "1"}).status_code == 303
    assert specialist.get(url).status_code == 200
    # The content department starts the appraisal.
    assert head.post_form(url + "/tham-dinh", {"start-version": "2"}).status_code == 303
    assert reload(proposal).status == "appraising"

    day = models.today() - dt.timedelta(days=1)
    for client, body, note in ((specialist, BDV, "Thống nhất; mời Mặt trận xã tham dự."),
                               (coordinator, MTTQ, "Thống nhất; thông báo rộng rãi cho nhân dân.")):
        response = client.post_form(url + "/y-kien-tham-dinh", {
            "appr-body": agency(body).id, "appr-agrees": "yes", "appr-opinion": note, "appr-at": day.isoformat()})
        assert response.status_code == 303, error_of(response, "appr-body")
    assert sorted((a.body.name, a.agrees, a.at) for a in proposal.appraisals) == sorted(
        [(BDV, True, day), (MTTQ, True, day)])

    response = chief.post_form(url + "/quyet-dinh", {
        "dec-decision": "accepted", "dec-version": "3",
        "dec-decision_note": "Giao Phòng Kinh tế ngành xây dựng chương trình."})
    assert response.status_code == 303
    assert reload(proposal).status == "accepted"
    assert history(proposal) == [("", "received"), ("received", "appraising"), ("appraising", "accepted")]

    # The dialogue form comes pre-filled from the proposal.
    form = soup(coordinator.get(url + "/doi-thoai"))
    assert form.find(id="title")["value"] == ("Đối thoại của Chủ tịch UBND tỉnh với Nhân dân về chính sách hỗ trợ "
                                              "nhà ở cho người có công")
    assert form.find(id="chair")["value"] == "Chủ tịch UBND tỉnh"
    assert "Sở Lao động - Thương binh và Xã hội báo cáo" in form.find(id="agenda").get_text()
    assert "thông báo rộng rãi" in form.find(id="briefing").get_text()
    checked = {int(i["value"]) for i in form.select('input[name="attendee_ids"][checked]')}
    assert {user("unit_head").id, user("specialist").id, user("coordinator").id} <= checked
    assert not form.select('select#kind option[value="periodic"]')

    people = [user("chief").id, user("unit_head").id, user("specialist").id]
    starts = models.today() + dt.timedelta(days=20)
    response = coordinator.post_form(url + "/doi-thoai", {
        "title": "Đối thoại về hỗ trợ nhà ở cho người có công", "kind": "ad_hoc", "plan_id": "",
        "starts_on": starts.isoformat(), "starts_time": "08:00", "ends_on": "", "ends_time": "11:00",
        "place": "Hội trường UBND tỉnh", "chair": "Chủ tịch UBND tỉnh", "description": "",
        "agenda": "1. Khai mạc.\n2. Sở Lao động - Thương binh và Xã hội báo cáo.\n3. Nhân dân nêu ý kiến.",
        "briefing": "Tóm tắt vụ việc và hướng trả lời.", "field_ids": [], "attendee_ids": people,
        "proposal_version": "4", "audience": "staff"})  # audience and is_chairman are fixed, not typed
    assert response.status_code == 303, text(response)
    dialogue = reload(proposal).dialogue
    assert response.headers["Location"].endswith("/doi-thoai/%d" % dialogue.id)
    assert (dialogue.status, dialogue.is_chairman, dialogue.audience, dialogue.kind) == (
        "appraised", True, "citizens", "ad_hoc")
    assert dialogue.starts_at == dt.datetime.combine(starts, dt.time(8, 0))
    assert dialogue.agenda.startswith("1. Khai mạc.") and dialogue.briefing == "Tóm tắt vụ việc và hướng trả lời."
    assert {a.user_id for a in DialogueAttendee.select().where(DialogueAttendee.dialogue == dialogue.id)} == set(people)
    assert dialogue.slug.startswith("doi-thoai-ve-ho-tro-nha-o-cho-nguoi-co-cong-")
    assert history(dialogue) == [("", "proposed"), ("proposed", "appraised")]
    assert StatusChange.for_object(dialogue)[1].user.username == "chief"  # who accepted it

    page = coordinator.get(response.headers["Location"])
    assert page.status_code == 200
    assert "Đối thoại về hỗ trợ nhà ở cho người có công" in text(page)
    assert "Lê Thị Thanh Tâm" in soup(page).find(id="attendees-h").find_parent("section").get_text()
    program = soup(page).find(id="chuong-trinh")
    assert "Khai mạc." in program.get_text() and "Tóm tắt vụ việc và hướng trả lời." in program.get_text()
    assert program.find(id="proposal-link")["href"] == url
    # The proposal page links to the dialogue; the dialogue goes on in its normal lifecycle.
    link = soup(coordinator.get(url)).find(id="dialogue-link")
    assert link["href"] == "/doi-thoai/%d" % dialogue.id
    assert dialogue.next_statuses() == ("scheduled", "cancelled")
    assert chief.post_form("/doi-thoai/%d/trang-thai" % dialogue.id, {
        "to": "scheduled", "version": str(dialogue.version)}).status_code == 303
    assert Dialogue.get_by_id(dialogue.id).status == "scheduled"
    # Only one dialogue per proposal.
    assert coordinator.get(url + "/doi-thoai").status_code == 303
    again = coordinator.post_form(url + "/doi-thoai", {"title": "Lần hai", "proposal_version": "5"})
    assert again.status_code == 409
    assert Dialogue.select().where(Dialogue.title == "Lần hai").count() == 0


# ---------------------------------------------------------------- appraisal and decision

def test_returned_without_reason_is_refused(login, db):
    proposal = make_proposal("appraising", appraisals=[(BDV, False), (MTTQ, True)])
    c = login("chief")
    changes, audits = StatusChange.select().count(), AuditLog.select().count()
    response = c.post_form("/de-xuat/%d/quyet-dinh" % proposal.id, {
        "dec-decision": "returned", "dec-decision_note": "   ", "dec-version": "1"})
    assert response.status_code == 422
    assert error_of(response, "dec-decision_note") == "Trả lại đề xuất phải nêu rõ lý do."
    assert soup(response).find(id="dec-decision-returned").has_attr("checked")  # the choice stays
    assert (reload(proposal).status, reload(proposal).decision_note, reload(proposal).version) == ("appraising", "", 1)
    assert (StatusChange.select().count(), AuditLog.select().count()) == (changes, audits)

    reason = "Vụ việc đang giải quyết theo trình tự khiếu nại; chưa đưa ra đối thoại."
    response = c.post_form("/de-xuat/%d/quyet-dinh" % proposal.id, {
        "dec-decision": "returned", "dec-decision_note": reason, "dec-version": "1"})
    assert response.status_code == 303
    saved = reload(proposal)
    assert (saved.status, saved.decision_note) == ("returned", reason)
    assert history(saved)[-1] == ("appraising", "returned")
    assert StatusChange.for_object(saved)[-1].note == reason
    page = c.get("/de-xuat/%d" % proposal.id)
    assert reason in soup(page).find(id="decision-note").get_text()
    assert not soup(page).find(id="dialogue-link")


def test_decision_before_both_appraisals_is_refused(login, db):
    proposal = make_proposal("appraising", appraisals=[(BDV, True)])
    c = login("chief")
    page = c.get("/de-xuat/%d" % proposal.id)
    assert MTTQ in soup(page).find(id="decision-refusal").get_text()
    response = c.post_form("/de-xuat/%d/quyet-dinh" % proposal.id, {
        "dec-decision": "accepted", "dec-decision_note": "", "dec-version": "1"})
    assert response.status_code == 409
    assert "còn chờ ý kiến thẩm định của %s" % MTTQ in soup(response).find(id="proposal-message").get_text()
    assert reload(proposal).status == "appraising"
    # Not even out for appraisal yet.
    fresh = make_proposal()
    response = c.post_form("/de-xuat/%d/quyet-dinh" % fresh.id, {"dec-decision": "accepted", "dec-version": "1"})
    assert response.status_code == 409
    assert reload(fresh).status == "received"


@pytest.mark.parametrize("username", ["coordinator", "leader", "unit_head", "specialist"])
def test_only_the_chief_decides(login, db, username):
    proposal = make_proposal("appraising", appraisals=[(BDV, True), (MTTQ, True)])
    response = login(username).post_form("/de-xuat/%d/quyet-dinh" % proposal.id, {
        "dec-decision": "accepted", "dec-version": "1"})
    assert response.status_code == 403
    assert reload(proposal).status == "appraising"


def test_decision_from_a_stale_page_is_a_conflict(login, db):
    proposal = make_proposal("appraising", appraisals=[(BDV, True), (MTTQ, True)])
    models.save_versioned(proposal, 1, user("coordinator"), {"title": "Tên đã sửa"})
    response = login("chief").post_form("/de-xuat/%d/quyet-dinh" % proposal.id, {
        "dec-decision": "accepted", "dec-version": "1"})
    assert response.status_code == 409
    assert "vừa được Phạm Thị Minh Thư cập nhật" in text(response)
    assert reload(proposal).status == "appraising"


def test_appraisal_input_is_checked(login, db):
    proposal = make_proposal("appraising", appraisals=[(BDV, True)])
    c = login("unit_head")
    url = "/de-xuat/%d/y-kien-tham-dinh" % proposal.id
    ok = {"appr-body": agency(MTTQ).id, "appr-agrees": "no", "appr-opinion": "Chưa thống nhất.",
          "appr-at": models.today().isoformat()}
    cases = [
        ({"appr-body": agency(BDV).id}, "appr-body", "đã có ý kiến thẩm định"),
        ({"appr-body": agency("Sở Xây dựng").id}, "appr-body", "không hợp lệ"),
        ({"appr-at": (dt.date.today() + dt.timedelta(days=2)).isoformat()}, "appr-at", "không được sau hôm nay"),
        ({"appr-at": (proposal.received_on - dt.timedelta(days=1)).isoformat()}, "appr-at", "trước ngày tiếp nhận"),
        ({"appr-opinion": ""}, "appr-opinion", "Vui lòng nhập ý kiến thẩm định"),
        ({"appr-agrees": ""}, "appr-agrees", "thống nhất"),
    ]
    for changes, field, message in cases:
        response = c.post_form(url, dict(ok, **changes))
        assert response.status_code == 422, field
        assert message in (error_of(response, field) or ""), (field, error_of(response, field))
        assert proposal.appraisals.count() == 1
    assert c.post_form(url, ok).status_code == 303
    saved = Appraisal.get(Appraisal.proposal == proposal.id, Appraisal.body == agency(MTTQ))
    assert (saved.agrees, saved.opinion) == (False, "Chưa thống nhất.")


def test_appraisal_only_while_appraising_and_by_the_right_people(login, db):
    proposal = make_proposal()  # received: not out for appraisal yet
    form = {"appr-body": agency(BDV).id, "appr-agrees": "yes", "appr-opinion": "Thống nhất.",
            "appr-at": models.today().isoformat()}
    assert login("coordinator").post_form("/de-xuat/%d/y-kien-tham-dinh" % proposal.id, form).status_code == 409
    appraising = make_proposal("appraising")
    url = "/de-xuat/%d/y-kien-tham-dinh" % appraising.id
    assert login("dang.thuha").post_form(url, form).status_code == 404  # staff of another unit
    assert login("dang.thuha").get("/de-xuat/%d" % appraising.id).status_code == 404
    assert login("leader").post_form(url, form).status_code == 403  # reads everything, appraises nothing
    assert Appraisal.select().where(Appraisal.proposal << [proposal.id, appraising.id]).count() == 0


def test_demo_accepted_proposal_links_its_dialogue(login, db):
    proposal = Proposal.get(Proposal.status == "accepted")
    page = login("specialist").get("/de-xuat/%d" % proposal.id)  # KTN staff: their department's proposal
    assert page.status_code == 200
    assert soup(page).find(id="dialogue-link")["href"] == "/doi-thoai/%d" % proposal.dialogue_id
    timeline = soup(page).find(id="dien-bien").get_text()
    assert "Ý kiến thẩm định của %s: thống nhất" % BDV in timeline
    assert "Được chấp thuận" in timeline


def test_dialogue_only_from_an_accepted_proposal(login, db):
    proposal = make_proposal("appraising", appraisals=[(BDV, True), (MTTQ, True)])
    c = login("coordinator")
    before = Dialogue.select().count()
    assert c.get("/de-xuat/%d/doi-thoai" % proposal.id).status_code == 303
    response = c.post_form("/de-xuat/%d/doi-thoai" % proposal.id, {"title": "X", "proposal_version": "1"})
    assert response.status_code == 409
    assert "Chỉ đề xuất được chấp thuận" in text(response)
    assert login("specialist").get("/de-xuat/%d/doi-thoai" % proposal.id).status_code == 403
    assert Dialogue.select().count() == before


def test_dialogue_from_a_stale_proposal_creates_nothing(login, db):
    proposal = make_proposal("accepted", appraisals=[(BDV, True), (MTTQ, True)])
    models.record_transition(proposal, user("chief"), "appraising", "accepted")
    models.save_versioned(proposal, 1, user("chief"), {"decision_note": "Ghi chú bổ sung."})
    before = Dialogue.select().count()
    response = login("coordinator").post_form("/de-xuat/%d/doi-thoai" % proposal.id, {
        "title": "Đối thoại thử", "kind": "ad_hoc", "starts_on": (models.today() + dt.timedelta(days=9)).isoformat(),
        "starts_time": "08:00", "place": "Hội trường", "agenda": "1. Khai mạc.", "briefing": "Nội dung.",
        "proposal_version": "1"})
    assert response.status_code == 409
    assert "vừa được Nguyễn Huy Anh cập nhật" in text(response)
    assert Dialogue.select().count() == before
    assert reload(proposal).dialogue_id is None


def test_dialogue_form_errors_beside_fields(login, db):
    proposal = make_proposal("accepted", appraisals=[(BDV, True), (MTTQ, True)])
    response = login("coordinator").post_form("/de-xuat/%d/doi-thoai" % proposal.id, {
        "title": "Đối thoại thử", "kind": "ad_hoc", "starts_on": "", "starts_time": "08:00", "place": "Hội trường",
        "agenda": "", "briefing": "Nội dung chuẩn bị.", "proposal_version": "1"})
    assert response.status_code == 422
    assert error_of(response, "agenda") == "Vui lòng nhập chương trình đối thoại."
    assert error_of(response, "starts_on") == "Vui lòng nhập ngày bắt đầu."
    assert soup(response).find(id="briefing").get_text().strip() == "Nội dung chuẩn bị."
    assert reload(proposal).dialogue_id is None


def test_program_is_edited_with_conflict_detection(login, db):
    proposal = Proposal.get(Proposal.status == "accepted")
    dialogue = proposal.dialogue
    url = "/de-xuat/%d/chuong-trinh" % proposal.id
    first, second = login("coordinator"), login("chief")
    version = soup(first.get(url)).find("input", {"name": "version"})["value"]
    assert first.post_form(url, {"agenda": "1. Khai mạc.\n2. Đối thoại.", "briefing": "Bản của người thứ nhất.",
                                 "version": version}).status_code == 303
    response = second.post_form(url, {"agenda": "1. Khai mạc.", "briefing": "Bản của người thứ hai.",
                                      "version": version})
    assert response.status_code == 409
    assert "Bản của người thứ nhất." in soup(response).select_one(".conflict").get_text()
    saved = Dialogue.get_by_id(dialogue.id)
    assert (saved.agenda, saved.briefing) == ("1. Khai mạc.\n2. Đối thoại.", "Bản của người thứ nhất.")
    response = second.post_form(url, {"agenda": "", "briefing": "x", "version": str(saved.version)})
    assert response.status_code == 422
    assert error_of(response, "agenda") == "Vui lòng nhập chương trình đối thoại."
    assert login("specialist").get(url).status_code == 403
    assert login("coordinator").get("/de-xuat/%d/chuong-trinh" % make_proposal().id).status_code == 404


def test_a_body_recorded_twice_at_once_keeps_one_opinion(login, db, monkeypatch):
    """Two requests that both pass the form's check: the unique index refuses the second, with a message."""
    proposal = make_proposal("appraising", appraisals=[(BDV, True)])
    url = "/de-xuat/%d/y-kien-tham-dinh" % proposal.id
    form = {"appr-body": agency(MTTQ).id, "appr-agrees": "yes", "appr-opinion": "Thống nhất.",
            "appr-at": models.today().isoformat()}
    c = login("coordinator")
    assert c.post_form(url, form).status_code == 303
    monkeypatch.setattr(proposal_forms.AppraisalForm, "validate_body", lambda self, field: None)
    response = c.post_form(url, dict(form, **{"appr-opinion": "Lần thứ hai."}))
    assert response.status_code == 409
    assert "đã có ý kiến thẩm định cho đề xuất; ý kiến vừa gửi không được ghi" in response.get_data(as_text=True)
    assert [a.opinion for a in Appraisal.select().where(Appraisal.proposal == proposal.id,
                                                        Appraisal.body == agency(MTTQ))] == ["Thống nhất."]
