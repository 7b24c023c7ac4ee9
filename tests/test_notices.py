"""Conclusion notices: drafting from a held dialogue, conclusions, the lifecycle and who may do what,
numbering (proposed, from the register, never twice, the signing race), corrections, print and DOCX."""
import datetime as dt
import io
import threading

import docx
import pytest
from bs4 import BeautifulSoup

import models
from services import deadlines, documents, notice_drafts, numbering
from services import notices as notices_service
from tests.conftest import user

CANARY_NAME = "Canary Trần Văn Bí Mật"
CANARY_CONTACT = "0912 345 678, canary@example.vn"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text_of(response):
    return soup(response).get_text(" ", strip=True)


def error_of(response, name):
    node = soup(response).find(id="%s-error" % name)
    return node.get_text(strip=True) if node else None


def make_dialogue(status="held", **values):
    row = {"title": "Đối thoại thử nghiệm về chế độ làm việc", "kind": "ad_hoc", "audience": "staff",
           "place": "Phòng họp số 1", "chair": "Chánh Văn phòng",
           "starts_at": models.now() - dt.timedelta(days=1), "status": status}
    row.update(values)
    row.setdefault("slug", "thong-bao-thu-%d" % (models.Dialogue.select().count() + 1))
    return models.Dialogue.create(**row)


def make_opinion(dialogue, unit_code="KTN", kind="petition", status="answer_drafted", **values):
    unit = models.Unit.get(models.Unit.code == unit_code) if unit_code else None
    row = {"kind": kind, "channel": "dialogue", "audience": "staff", "dialogue": dialogue,
           "content": "Đề nghị bố trí lại chỗ để xe cho công chức khối nội dung.", "status": status,
           "assigned_unit": unit, "draft_answer": "Giao phòng Quản trị bố trí lại khu để xe trong tháng.",
           "deadline": models.today() + dt.timedelta(days=20)}
    row.update(values)
    return models.create_opinion(user("coordinator"), **row)


def specialist_unit():
    return user("specialist").unit


def other_unit():
    return models.Unit.select().where(models.Unit.id != specialist_unit().id, models.Unit.active == True).first()  # noqa: E712


def make_notice(dialogue=None, status="draft", unit=None, conclusions=1, **values):
    dialogue = dialogue or make_dialogue()
    row = {"dialogue": dialogue, "title": "Thông báo ý kiến kết luận thử nghiệm", "body_md": "Nội dung.\n",
           "status": status, "created_by": user("coordinator"), "recipients": "Lãnh đạo Văn phòng"}
    row.update(values)
    notice = models.ConclusionNotice.create(**row)
    for i in range(conclusions):
        models.Conclusion.create(notice=notice, decision="Kết luận số %d" % (i + 1),
                                 responsible_unit=unit or specialist_unit(),
                                 deadline=models.today() + dt.timedelta(days=30))
    return notice


def reload(obj):
    return type(obj).get_by_id(obj.id)


def sign_form(notice, **values):
    data = {"number_mode": "auto", "number": "", "version": str(reload(notice).version)}
    data.update(values)
    return data


def highest(year):
    return (models.ConclusionNotice.select(models.pw.fn.MAX(models.ConclusionNotice.number))
            .where(models.ConclusionNotice.year == year, models.ConclusionNotice.doc_type == "TB").scalar() or 0)


# ---------------------------------------------------------------- list and access

def test_list_newest_first_filtered_by_status_and_year(login, db):
    coordinator = login("coordinator")
    response = coordinator.get("/thong-bao/")
    assert response.status_code == 200
    rows = soup(response).select("#notice-results tbody tr")
    total = models.ConclusionNotice.select().count()
    assert len(rows) == min(total, 25)
    dates = [dt.datetime.strptime(r.find_all("td")[1].get_text(strip=True), "%d/%m/%Y") for r in rows]
    assert dates == sorted(dates, reverse=True)

    drafts = coordinator.get("/thong-bao/?status=draft")
    titles = [r.find("a").get_text(strip=True) for r in soup(drafts).select("#notice-results tbody tr")]
    expected = [n.title for n in models.ConclusionNotice.select().where(models.ConclusionNotice.status == "draft")]
    assert sorted(titles) == sorted(expected) and titles

    numbers = {r.find("td").get_text(strip=True)
               for r in soup(coordinator.get("/thong-bao/?year=2022&status=signed")).select("#notice-results tbody tr")}
    assert numbers == {n.number_text for n in models.ConclusionNotice.select().where(
        models.ConclusionNotice.year == 2022)}

    empty = coordinator.get("/thong-bao/?year=1999")
    assert "Chưa có thông báo kết luận nào khớp với bộ lọc" in text_of(empty)
    fragment = coordinator.hx_get("/thong-bao/?status=submitted")
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)


def test_unit_staff_see_only_signed_notices_of_their_unit_and_admin_none(login, db):
    unit = specialist_unit()
    mine_draft = make_notice(unit=unit, title="Dự thảo của đơn vị tôi")
    theirs = make_notice(status="signed", unit=other_unit(), year=2022, number=900, title="Thông báo đơn vị khác")
    specialist = login("specialist")
    response = specialist.get("/thong-bao/?year=2022")
    shown = {r.find("a").get_text(strip=True) for r in soup(response).select("#notice-results tbody tr")}
    expected = {n.title for n in models.ConclusionNotice.select().join(models.Conclusion).where(
        models.Conclusion.responsible_unit == unit.id, models.ConclusionNotice.status == "signed",
        models.ConclusionNotice.year == 2022)}
    assert shown == expected and shown
    assert specialist.get("/thong-bao/%d" % theirs.id).status_code == 404
    assert specialist.get("/thong-bao/%d" % mine_draft.id).status_code == 404
    assert specialist.get("/thong-bao/%d.docx" % theirs.id).status_code == 404
    assert login("admin").get("/thong-bao/").status_code == 403
    # read-only: no editing, no drafting, no signing
    signed_mine = models.ConclusionNotice.select().join(models.Conclusion).where(
        models.Conclusion.responsible_unit == unit.id, models.ConclusionNotice.status == "signed").first()
    page = specialist.get("/thong-bao/%d" % signed_mine.id)
    assert page.status_code == 200 and "Tạo bản đính chính" not in text_of(page)
    for head in ("unit_head", "specialist"):
        c = login(head)
        assert c.post_form("/thong-bao/%d/sua" % mine_draft.id, {"title": "x", "body_md": "y"}).status_code == 403
        assert c.post_form("/thong-bao/%d/ket-luan/moi" % mine_draft.id, {"decision": "x"}).status_code == 403
        assert c.post_form("/thong-bao/%d/dinh-chinh" % signed_mine.id).status_code == 403
        assert c.get("/thong-bao/moi").status_code == 403
    assert reload(mine_draft).title == "Dự thảo của đơn vị tôi"


# ---------------------------------------------------------------- drafting

def test_new_notice_is_prefilled_from_the_held_dialogue_without_identities(login, db):
    dialogue = make_dialogue(attendance=42, directions="Các đơn vị khẩn trương khắc phục.")
    drafted = make_opinion(dialogue, submitter_name=CANARY_NAME, submitter_contact=CANARY_CONTACT)
    assigned = make_opinion(dialogue, status="assigned", content="Phản ánh máy photocopy tầng 2 thường xuyên hỏng.",
                            kind="feedback", draft_answer="")
    denunciation = make_opinion(dialogue, kind="denunciation", submitter_name=CANARY_NAME, status="assigned",
                                draft_answer="",
                                content="Tố cáo hành vi sách nhiễu khi giải quyết hồ sơ của một công chức.")
    response = login("coordinator").get("/thong-bao/moi?dialogue=%d" % dialogue.id)
    assert response.status_code == 200
    page = soup(response)
    title = page.find(id="title")["value"]
    assert title.startswith("Thông báo ý kiến kết luận của Chánh Văn phòng tại buổi đối thoại thử nghiệm")
    body = page.find(id="body_md").get_text()
    assert drafted.code in body and assigned.code in body and "máy photocopy" in body
    assert "42 người" in body and "Các đơn vị khẩn trương khắc phục." in body
    assert denunciation.code not in body  # a denunciation is not written into a document sent to units
    assert page.find(id="recipients").get_text().splitlines() == list(notice_drafts.DEFAULT_RECIPIENTS)
    html = response.get_data(as_text=True)
    assert CANARY_NAME not in html and "0912 345 678" not in html and "canary@example.vn" not in html
    ticked = {box["value"] for box in page.select("input[name=opinion_ids][checked]")}
    assert ticked == {str(drafted.id)}  # opinions with a draft answer are proposed for a conclusion


def test_new_notice_creates_a_draft_with_a_conclusion_per_ticked_opinion(login, db):
    dialogue = make_dialogue()
    first, second = make_opinion(dialogue), make_opinion(dialogue, unit_code="TCHCQT", draft_answer="")
    coordinator = login("coordinator")
    response = coordinator.post_form("/thong-bao/moi?dialogue=%d" % dialogue.id, {
        "title": "Thông báo kết luận buổi đối thoại thử", "body_md": "Đoạn mở đầu.",
        "recipients": "Lãnh đạo Văn phòng\n\nPhòng Quản trị", "opinion_ids": [str(first.id), str(second.id)]})
    assert response.status_code == 303
    notice = models.ConclusionNotice.select().order_by(models.ConclusionNotice.id.desc()).first()
    assert response.headers["Location"].endswith("/thong-bao/%d" % notice.id)
    assert (notice.status, notice.number, notice.dialogue_id, notice.recipients) == (
        "draft", None, dialogue.id, "Lãnh đạo Văn phòng\nPhòng Quản trị")
    conclusions = list(notice.conclusions.order_by(models.Conclusion.id))
    assert [c.decision for c in conclusions] == [
        first.draft_answer, "Giao %s nghiên cứu, giải quyết ý kiến %s." % (second.assigned_unit.name, second.code)]
    assert [c.responsible_unit_id for c in conclusions] == [first.assigned_unit_id, second.assigned_unit_id]
    assert [[link.opinion_id for link in c.opinion_links] for c in conclusions] == [[first.id], [second.id]]
    assert models.StatusChange.select().where(models.StatusChange.object_type == "conclusion_notice",
                                              models.StatusChange.object_id == notice.id,
                                              models.StatusChange.to_status == "draft").exists()
    assert models.AuditLog.select().where(models.AuditLog.object_type == "conclusion_notice",
                                          models.AuditLog.object_id == notice.id,
                                          models.AuditLog.action == "create").exists()
    detail = coordinator.get("/thong-bao/%d" % notice.id)
    assert first.code in text_of(detail) and "Chưa có số" in text_of(detail)


def test_drafting_is_refused_for_a_dialogue_not_held_and_for_other_roles(login, db):
    scheduled = make_dialogue(status="scheduled", starts_at=models.now() + dt.timedelta(days=3),
                              title="Đối thoại sắp tới chưa tổ chức")
    coordinator = login("coordinator")
    response = coordinator.get("/thong-bao/moi?dialogue=%d" % scheduled.id)
    assert response.status_code == 409 and "Đã lên lịch" in text_of(response)
    before = models.ConclusionNotice.select().count()
    assert coordinator.post_form("/thong-bao/moi?dialogue=%d" % scheduled.id,
                                 {"title": "x", "body_md": "y"}).status_code == 409
    assert coordinator.get("/thong-bao/moi?dialogue=999999").status_code == 404
    held = make_dialogue()
    for role in ("leader", "chief", "specialist"):
        assert login(role).get("/thong-bao/moi?dialogue=%d" % held.id).status_code == 403
    assert models.ConclusionNotice.select().count() == before
    chooser = coordinator.get("/thong-bao/moi")
    assert held.title in text_of(chooser) and scheduled.title not in text_of(chooser)


def test_invalid_notice_keeps_what_was_typed(login, db):
    dialogue = make_dialogue()
    response = login("coordinator").post_form("/thong-bao/moi?dialogue=%d" % dialogue.id, {
        "title": "   ", "body_md": "Nội dung đã gõ **giữ lại**", "recipients": "Nơi nhận đã gõ"})
    assert response.status_code == 422
    assert error_of(response, "title") == "Vui lòng nhập tiêu đề thông báo."
    page = soup(response)
    assert page.find(id="body_md").get_text() == "Nội dung đã gõ **giữ lại**"
    assert page.find(id="recipients").get_text() == "Nơi nhận đã gõ"
    assert not models.ConclusionNotice.select().where(models.ConclusionNotice.dialogue == dialogue.id).exists()


# ---------------------------------------------------------------- conclusions

def conclusion_form(**values):
    unit = specialist_unit()
    data = {"decision": "Giao phòng rà soát quy trình tiếp nhận hồ sơ.", "unit_id": str(unit.id), "user_id": "",
            "deadline_mode": "date", "deadline_on": (models.today() + dt.timedelta(days=15)).isoformat(),
            "deadline_days": "", "field_id": "", "public_summary": "Rà soát quy trình tiếp nhận hồ sơ."}
    data.update(values)
    return data


def test_conclusion_deadline_in_working_or_calendar_days(login, db):
    notice = make_notice(conclusions=0)
    coordinator = login("coordinator")
    url = "/thong-bao/%d/ket-luan/moi" % notice.id
    assert coordinator.post_form(url, conclusion_form(deadline_mode="working", deadline_days="7",
                                                      decision="Theo ngày làm việc")).status_code == 303
    assert coordinator.post_form(url, conclusion_form(deadline_mode="calendar", deadline_days="7",
                                                      decision="Theo ngày lịch")).status_code == 303
    rows = {c.decision: c.deadline for c in reload(notice).conclusions}
    calendar = deadlines.Calendar.load()
    assert rows["Theo ngày làm việc"] == calendar.working_days_after(models.today(), 7)
    assert rows["Theo ngày lịch"] == models.today() + dt.timedelta(days=7)
    assert rows["Theo ngày làm việc"] > rows["Theo ngày lịch"]  # 7 working days span a weekend at least

    missing = coordinator.post_form(url, conclusion_form(deadline_mode="working", deadline_days=""))
    assert missing.status_code == 422 and error_of(missing, "deadline_days") == "Vui lòng nhập số ngày."
    past = coordinator.post_form(url, conclusion_form(deadline_on="2020-01-01"))
    assert past.status_code == 422 and "không được trước ngày hôm nay" in error_of(past, "deadline_on")


def test_conclusion_specialist_must_belong_to_the_unit_and_input_is_kept(login, db):
    notice = make_notice(conclusions=0)
    stranger = models.User.get(models.User.unit == other_unit().id, models.User.role == "specialist") \
        if models.User.select().where(models.User.unit == other_unit().id, models.User.role == "specialist").exists() \
        else models.User.select().where(models.User.unit != specialist_unit().id,
                                        models.User.role.in_(("specialist", "unit_head"))).first()
    coordinator = login("coordinator")
    response = coordinator.post_form("/thong-bao/%d/ket-luan/moi" % notice.id,
                                     conclusion_form(user_id=str(stranger.id), decision="Nội dung cần giữ lại"))
    assert response.status_code == 422
    assert error_of(response, "user_id") == "%s không thuộc đơn vị đã chọn." % stranger.full_name
    assert soup(response).find(id="decision").get_text() == "Nội dung cần giữ lại"
    assert reload(notice).conclusions.count() == 0
    leaked = coordinator.post_form("/thong-bao/%d/ket-luan/moi" % notice.id,
                                   conclusion_form(public_summary="Liên hệ anh Nam 0912345678 để biết thêm."))
    assert leaked.status_code == 422 and "số điện thoại" in error_of(leaked, "public_summary")
    ok = coordinator.post_form("/thong-bao/%d/ket-luan/moi" % notice.id,
                               conclusion_form(user_id=str(user("specialist").id)))
    assert ok.status_code == 303
    assert reload(notice).conclusions.get().responsible_user_id == user("specialist").id


def test_conclusion_edit_conflict_links_and_removal(login, db):
    dialogue = make_dialogue()
    opinion = make_opinion(dialogue)
    notice = make_notice(dialogue)
    conclusion = notice.conclusions.get()
    coordinator = login("coordinator")
    url = "/thong-bao/%d/ket-luan/%d/sua" % (notice.id, conclusion.id)
    form = soup(coordinator.get(url))
    version = form.find("input", attrs={"name": "version"})["value"]
    saved = coordinator.post_form(url, conclusion_form(decision="Bản sửa thứ nhất", version=version,
                                                       opinion_ids=[str(opinion.id)]))
    assert saved.status_code == 303
    assert [link.opinion_id for link in reload(conclusion).opinion_links] == [opinion.id]
    stale = coordinator.post_form(url, conclusion_form(decision="Bản sửa cũ ghi đè", version=version))
    assert stale.status_code == 409
    assert "Bản sửa thứ nhất" in text_of(stale) and "chưa được lưu" in text_of(stale)
    assert reload(conclusion).decision == "Bản sửa thứ nhất"
    removed = coordinator.post_form("/thong-bao/%d/ket-luan/%d/xoa" % (notice.id, conclusion.id),
                                    {"version": str(reload(conclusion).version)})
    assert removed.status_code == 303 and reload(notice).conclusions.count() == 0
    assert models.AuditLog.select().where(models.AuditLog.object_type == "conclusion",
                                          models.AuditLog.object_id == conclusion.id,
                                          models.AuditLog.action == "delete").exists()


# ---------------------------------------------------------------- lifecycle and roles

def test_submit_sign_and_return_by_role(login, db):
    empty = make_notice(conclusions=0)
    coordinator, chief, leader = login("coordinator"), login("chief"), login("leader")
    refused = coordinator.post_form("/thong-bao/%d/trinh-ky" % empty.id, {"version": str(empty.version)})
    assert refused.status_code == 422 and "Cần ít nhất một kết luận" in text_of(refused)

    notice = make_notice()
    assert chief.post_form("/thong-bao/%d/trinh-ky" % notice.id, {"version": "1"}).status_code == 403
    assert coordinator.post_form("/thong-bao/%d/trinh-ky" % notice.id,
                                 {"version": str(notice.version)}).status_code == 303
    assert reload(notice).status == "submitted"
    # only the chief signs or returns
    for other in (coordinator, leader, login("unit_head")):
        assert other.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice)).status_code == 403
        assert other.post_form("/thong-bao/%d/tra-lai" % notice.id,
                               {"note": "x", "version": str(reload(notice).version)}).status_code == 403
    assert reload(notice).status == "submitted"
    no_reason = chief.post_form("/thong-bao/%d/tra-lai" % notice.id,
                                {"note": " ", "version": str(reload(notice).version)})
    assert no_reason.status_code == 422 and error_of(no_reason, "return_note").startswith("Vui lòng ghi lý do")
    back = chief.post_form("/thong-bao/%d/tra-lai" % notice.id,
                           {"note": "Bổ sung thời hạn cụ thể.", "version": str(reload(notice).version)})
    assert back.status_code == 303 and reload(notice).status == "draft"
    history = [(h.from_status, h.to_status, h.note) for h in models.StatusChange.for_object(notice)]
    assert history[-2:] == [("draft", "submitted", ""), ("submitted", "draft", "Bổ sung thời hạn cụ thể.")]
    # sent back: editable again, then submitted and signed
    assert coordinator.post_form("/thong-bao/%d/ket-luan/moi" % notice.id, conclusion_form()).status_code == 303
    assert coordinator.post_form("/thong-bao/%d/trinh-ky" % notice.id,
                                 {"version": str(reload(notice).version)}).status_code == 303
    assert chief.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice)).status_code == 303
    signed = reload(notice)
    assert (signed.status, signed.signed_by_id, signed.year) == ("signed", user("chief").id, models.today().year)
    assert models.AuditLog.select().where(models.AuditLog.object_type == "conclusion_notice",
                                          models.AuditLog.object_id == notice.id,
                                          models.AuditLog.action == "sign").exists()


def test_signing_proposes_the_next_number_and_shows_it(login, db):
    year = models.today().year
    expected = notices_service.next_number(year)
    assert expected == highest(year) + 1
    notice = make_notice(status="submitted")
    chief = login("chief")
    page = chief.get("/thong-bao/%d" % notice.id)
    assert soup(page).find(id="proposed-number").get_text(strip=True) == "%02d/TB-VP" % expected
    assert chief.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice)).status_code == 303
    assert reload(notice).number == expected
    shown = chief.get("/thong-bao/%d" % notice.id)
    assert soup(shown).find(id="notice-number").get_text(strip=True).startswith("Số: %02d/TB-VP" % expected)
    assert notices_service.next_number(year) == expected + 1


def test_manual_number_from_the_register_must_be_unique(login, db):
    year = models.today().year
    taken = make_notice(status="signed", year=year, number=41, signed_at=models.now())
    notice = make_notice(status="submitted")
    chief = login("chief")
    duplicate = chief.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice, number_mode="manual", number="41"))
    assert duplicate.status_code == 422
    assert error_of(duplicate, "number") == (
        "Số 41/TB-VP năm %d đã cấp cho thông báo “%s”. Vui lòng nhập số khác theo sổ văn thư." % (year, taken.title))
    assert soup(duplicate).find(id="number")["value"] == "41"
    assert (reload(notice).status, reload(notice).number) == ("submitted", None)
    blank = chief.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice, number_mode="manual", number=""))
    assert blank.status_code == 422 and error_of(blank, "number") == "Vui lòng nhập số thông báo theo sổ văn thư."
    ok = chief.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice, number_mode="manual", number="57"))
    assert ok.status_code == 303 and reload(notice).number == 57
    assert notices_service.next_number(year) == 58  # never reused: the series continues after the highest


def test_signing_concludes_opinions_and_the_dialogue_and_freezes_the_notice(login, db):
    dialogue = make_dialogue()
    drafted, received = make_opinion(dialogue), make_opinion(dialogue, status="received", draft_answer="")
    notice = make_notice(dialogue, status="submitted")
    conclusion = notice.conclusions.get()
    for opinion in (drafted, received):
        models.ConclusionOpinion.create(conclusion=conclusion, opinion=opinion)
    chief = login("chief")
    assert chief.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice)).status_code == 303
    assert reload(drafted).status == "concluded"
    assert reload(received).status == "received"  # its lifecycle does not allow it yet
    assert models.StatusChange.select().where(models.StatusChange.object_type == "opinion",
                                              models.StatusChange.object_id == drafted.id,
                                              models.StatusChange.to_status == "concluded").exists()
    assert reload(dialogue).status == "concluded"
    assert models.StatusChange.select().where(models.StatusChange.object_type == "conclusion",
                                              models.StatusChange.object_id == conclusion.id,
                                              models.StatusChange.to_status == "open").exists()
    coordinator = login("coordinator")
    edit = coordinator.post_form("/thong-bao/%d/sua" % notice.id, {"title": "Đổi", "body_md": "Đổi",
                                                                   "version": str(reload(notice).version)})
    assert edit.status_code == 409 and "không sửa được" in text_of(edit)
    assert coordinator.post_form("/thong-bao/%d/ket-luan/moi" % notice.id, conclusion_form()).status_code == 409
    assert coordinator.post_form("/thong-bao/%d/ket-luan/%d/xoa" % (notice.id, conclusion.id),
                                 {"version": str(conclusion.version)}).status_code == 409
    again = chief.post_form("/thong-bao/%d/ky" % notice.id, sign_form(notice))
    assert again.status_code == 409
    stored = reload(notice)
    assert (stored.title, stored.conclusions.count()) == (notice.title, 1)


# ---------------------------------------------------------------- the signing race

def _sign_in_threads(app, login, notices, stall_after_read):
    """Sign two submitted notices from two threads released together by a barrier.

    `stall_after_read` holds each signing just after it read the highest number, until both have read it
    (or 2 s pass): without a lock taken when the transaction begins, both read the same highest number.
    """
    clients = [login("chief"), login("chief")]
    forms = [sign_form(n) for n in notices]
    start = threading.Barrier(2)
    results = [None, None]

    def run(index):
        try:
            start.wait(timeout=10)
            response = clients[index].post_form("/thong-bao/%d/ky" % notices[index].id, forms[index])
            results[index] = response.status_code
        except Exception as error:  # noqa: BLE001 - the test reports what went wrong
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return results


@pytest.fixture
def stall_after_read(monkeypatch):
    barrier = threading.Barrier(2)
    real = notices_service.next_number

    def stalling(year, doc_type="TB"):
        number = real(year, doc_type)
        try:
            barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass  # the other signing is waiting for the lock: it cannot come here first
        return number

    monkeypatch.setattr(notices_service, "next_number", stalling)
    return barrier


def test_signing_race_gives_distinct_consecutive_numbers(app, login, db, stall_after_read):
    year = models.today().year
    before = highest(year)
    notices = [make_notice(status="submitted", title="Thông báo A"),
               make_notice(status="submitted", title="Thông báo B")]
    db.close()  # the test's own connection stays out of the way; each thread takes its own from the pool
    results = _sign_in_threads(app, login, notices, stall_after_read)
    assert results == [303, 303], results
    models.db.connect(reuse_if_open=True)
    numbers = sorted(reload(n).number for n in notices)
    assert numbers == [before + 1, before + 2]
    assert all(reload(n).status == "signed" for n in notices)


@pytest.mark.sqlite_only  # a deferred SQLite transaction's stale snapshot is what it shows
def test_signing_race_would_collide_without_the_lock(app, login, db, stall_after_read, monkeypatch):
    """The race test can fail: with a plain (deferred) transaction both signings read the same number."""
    # deferred explicitly: models.open_database begins SQLite transactions IMMEDIATE by default
    monkeypatch.setattr(numbering, "numbering_transaction",
                        lambda database, year, doc_type: database.atomic(lock_type="DEFERRED"))
    notices = [make_notice(status="submitted"), make_notice(status="submitted")]
    db.close()
    results = _sign_in_threads(app, login, notices, stall_after_read)
    models.db.connect(reuse_if_open=True)
    # both read the same highest number; the second writer's snapshot is stale and SQLite refuses it
    assert results.count(303) == 1, results
    failure = next(r for r in results if r != 303)
    assert isinstance(failure, (models.pw.OperationalError, models.pw.IntegrityError)), failure
    assert sorted(reload(n).status for n in notices) == ["signed", "submitted"]


# ---------------------------------------------------------------- corrections

def test_correction_is_a_new_revision_and_the_old_one_stays_readable(login, db):
    dialogue = make_dialogue(status="concluded")
    opinion = make_opinion(dialogue, status="concluded")
    original = make_notice(dialogue, status="signed", year=models.today().year, number=70, signed_at=models.now(),
                           signed_by=user("chief"), conclusions=2)
    first = original.conclusions.order_by(models.Conclusion.id).first()
    models.ConclusionOpinion.create(conclusion=first, opinion=opinion)
    models.Conclusion.update(status="resolved", percent_done=100).where(
        models.Conclusion.id != first.id, models.Conclusion.notice == original.id).execute()
    coordinator = login("coordinator")
    response = coordinator.post_form("/thong-bao/%d/dinh-chinh" % original.id)
    assert response.status_code == 303
    correction = models.ConclusionNotice.get(models.ConclusionNotice.supersedes == original.id)
    assert response.headers["Location"].endswith("/thong-bao/%d" % correction.id)
    assert (correction.revision, correction.status, correction.number, correction.title) == (
        2, "draft", None, original.title)
    copied = list(correction.conclusions.order_by(models.Conclusion.id))
    assert [(c.decision, c.status) for c in copied] == [
        (c.decision, c.status) for c in original.conclusions.order_by(models.Conclusion.id)]
    assert [link.opinion_id for link in copied[0].opinion_links] == [opinion.id]
    # a second correction of the same notice leads to the existing one
    assert coordinator.post_form("/thong-bao/%d/dinh-chinh" % original.id).headers["Location"].endswith(
        "/thong-bao/%d" % correction.id)

    old_page = coordinator.get("/thong-bao/%d" % original.id)
    assert old_page.status_code == 200
    note = soup(old_page).find(id="corrected")
    assert "Đã có bản đính chính" in note.get_text()
    assert note.find("a")["href"].endswith("/thong-bao/%d" % correction.id)
    new_page = soup(coordinator.get("/thong-bao/%d" % correction.id))
    assert "70/TB-VP" in new_page.find(id="supersedes").get_text()

    # the correction is edited, submitted and signed; it then replaces the old revision
    models.Conclusion.update(decision="Kết luận đã đính chính").where(models.Conclusion.id == copied[0].id).execute()
    assert coordinator.post_form("/thong-bao/%d/trinh-ky" % correction.id,
                                 {"version": str(reload(correction).version)}).status_code == 303
    assert login("chief").post_form("/thong-bao/%d/ky" % correction.id, sign_form(correction)).status_code == 303
    assert reload(correction).number == notices_service.next_number(models.today().year) - 1
    assert reload(original).status == "signed"  # unchanged, still readable
    notes = list(models.FollowUp.select().where(models.FollowUp.conclusion == first.id))
    assert len(notes) == 1 and reload(correction).number_text in notes[0].note
    open_ids = {c.id for c in reload(dialogue).open_conclusions()}
    assert first.id not in open_ids and copied[0].id in open_ids
    old_after = soup(coordinator.get("/thong-bao/%d" % original.id)).find(id="corrected").get_text()
    assert "thay thế thông báo này" in old_after


# ---------------------------------------------------------------- print and DOCX

def test_docx_export_of_a_signed_notice(login, db, app):
    app.config.update(PROVINCE_NAME="Bình Định", DOCUMENT_PLACE="Quy Nhơn")
    notice = make_notice(status="signed", year=2023, number=5, signed_at=dt.datetime(2022, 3, 5, 9, 0),
                         signed_by=user("chief"), title="Thông báo ý kiến kết luận của Chánh Văn phòng tại buổi thử")
    response = login("coordinator").get("/thong-bao/%d.docx" % notice.id)
    assert response.status_code == 200
    assert response.mimetype == documents.DOCX_CONTENT_TYPE
    assert response.headers["Content-Disposition"] == 'attachment; filename="thong-bao-05-TB-VP-2023.docx"'
    document = docx.Document(io.BytesIO(response.data))
    head = document.tables[0]
    assert head.rows[0].cells[0].text.startswith("UBND TỈNH BÌNH ĐỊNH")
    assert head.rows[1].cells[0].text == "Số: 05/TB-VP"
    assert head.rows[1].cells[1].text == "Quy Nhơn, ngày 05 tháng 3 năm 2022"
    texts = [p.text for p in document.paragraphs]
    assert "THÔNG BÁO" in texts and "Ý kiến kết luận của Chánh Văn phòng tại buổi thử" in texts
    assert "DỰ THẢO" not in texts
    closing = document.tables[-1].rows[0].cells
    assert user("chief").full_name in closing[1].text and "- Lãnh đạo Văn phòng;" in closing[0].text
    conclusions = document.tables[1]
    assert [c.text for c in conclusions.rows[0].cells] == ["TT", "Nội dung kết luận", "Đơn vị thực hiện", "Thời hạn"]
    assert conclusions.rows[1].cells[1].text == "Kết luận số 1"


def test_draft_docx_has_a_blank_number_and_is_marked(login, db):
    notice = make_notice()
    response = login("coordinator").get("/thong-bao/%d.docx" % notice.id)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="du-thao-thong-bao-%d.docx"' % notice.id
    document = docx.Document(io.BytesIO(response.data))
    assert document.paragraphs[0].text == "DỰ THẢO"
    assert document.tables[0].rows[1].cells[0].text == "Số:      /TB-VP"
    assert login("admin").get("/thong-bao/%d.docx" % notice.id).status_code == 403


def test_printable_page_shows_the_number_and_the_document_parts(login, db):
    notice = make_notice(status="signed", year=2021, number=7, signed_at=dt.datetime(2022, 1, 7, 9, 0),
                         signed_by=user("chief"), body_md="## Kết luận\n\nĐoạn **quan trọng**.\n")
    response = login("leader").get("/thong-bao/%d/in" % notice.id)
    assert response.status_code == 200
    page = soup(response)
    assert page.find(id="doc-number").get_text(strip=True) == "Số: 07/TB-VP"
    assert "ngày 07 tháng 01 năm 2022" in page.find(class_="doc-date").get_text()
    assert page.find(class_="doc-type").get_text(strip=True) == "THÔNG BÁO"
    assert page.select_one(".doc-body strong").get_text() == "quan trọng"
    assert page.find(class_="recipients").get_text(" ", strip=True).endswith("- Lưu: VT, TCHCQT.")
    assert 'href="/static/css/notices.css' in response.get_data(as_text=True)
    other = make_notice(status="signed", year=2021, number=8, unit=other_unit())
    assert login("specialist").get("/thong-bao/%d/in" % other.id).status_code == 404


def test_signing_a_correction_keeps_what_happened_to_the_conclusions_since_it_was_drafted(login, db):
    """A take-down or a closing done on the signed revision after its correction was drafted is
    carried over when the correction is signed, never undone by the copy made earlier."""
    dialogue = make_dialogue(status="concluded")
    original = make_notice(dialogue, status="signed", year=models.today().year, number=71, signed_at=models.now(),
                           signed_by=user("chief"), conclusions=2)
    first, second = original.conclusions.order_by(models.Conclusion.id)
    models.Conclusion.update(status="in_progress", percent_done=40, is_public=True, publish_in_progress=True,
                             public_summary="Đang sửa chữa đường vào thôn.").where(
        models.Conclusion.notice == original.id).execute()
    coordinator = login("coordinator")
    assert coordinator.post_form("/thong-bao/%d/dinh-chinh" % original.id).status_code == 303
    correction = models.ConclusionNotice.get(models.ConclusionNotice.supersedes == original.id)
    copies = {c.copied_from_id: c for c in correction.conclusions}
    assert set(copies) == {first.id, second.id}
    assert all(c.is_public and c.status == "in_progress" for c in copies.values())
    # Meanwhile, on the revision in force: the first is taken down, the second resolved.
    models.Conclusion.update(is_public=False, publish_in_progress=False).where(
        models.Conclusion.id == first.id).execute()
    closed_at = models.now()
    models.Conclusion.update(status="resolved", percent_done=100, closed_at=closed_at).where(
        models.Conclusion.id == second.id).execute()
    assert coordinator.post_form("/thong-bao/%d/trinh-ky" % correction.id,
                                 {"version": str(reload(correction).version)}).status_code == 303
    assert login("chief").post_form("/thong-bao/%d/ky" % correction.id, sign_form(correction)).status_code == 303
    taken_down, resolved = reload(copies[first.id]), reload(copies[second.id])
    assert (taken_down.is_public, taken_down.publish_in_progress, taken_down.status) == (False, False, "in_progress")
    assert (resolved.status, resolved.percent_done, resolved.closed_at) == ("resolved", 100, closed_at)
    published = {row.id for row in models.Conclusion.publishable()}
    assert taken_down.id not in published
    assert models.AuditLog.select().where(models.AuditLog.object_type == "conclusion",
                                          models.AuditLog.object_id == resolved.id,
                                          models.AuditLog.action == "update").exists()


def test_a_notice_has_one_correction_even_when_asked_twice_at_once(app, login, db):
    original = make_notice(make_dialogue(status="concluded"), status="signed", year=models.today().year, number=72,
                           signed_at=models.now(), signed_by=user("chief"))
    coordinator = user("coordinator")
    first = notices_service.correction_of(original, coordinator)
    with pytest.raises(models.pw.IntegrityError):
        notices_service.correction_of(original, coordinator)  # what a second request racing the first would do
    response = login("coordinator").post_form("/thong-bao/%d/dinh-chinh" % original.id)
    assert response.headers["Location"].endswith("/thong-bao/%d" % first.id)
    assert models.ConclusionNotice.select().where(models.ConclusionNotice.supersedes == original.id).count() == 1


def test_the_dialogue_page_links_only_the_notices_the_reader_may_open(login, db):
    dialogue = make_dialogue(status="concluded")
    mine = make_notice(dialogue, status="signed", year=models.today().year, number=73, signed_at=models.now(),
                       signed_by=user("chief"))
    theirs = make_notice(dialogue, status="signed", year=models.today().year, number=74, signed_at=models.now(),
                         signed_by=user("chief"), unit=other_unit())
    page = soup(login("specialist").get("/doi-thoai/%d" % dialogue.id))
    hrefs = {a["href"] for a in page.find_all("a")}
    assert "/thong-bao/%d" % mine.id in hrefs and "/thong-bao/%d" % theirs.id not in hrefs
    assert "74/TB-VP" in page.get_text()  # still listed, just not a link the reader would find closed
    coordinator = soup(login("coordinator").get("/doi-thoai/%d" % dialogue.id))
    assert "/thong-bao/%d" % theirs.id in {a["href"] for a in coordinator.find_all("a")}
