"""Who may read and change which opinion: the role matrix, the denouncer's identity, audit and CSRF."""
import datetime as dt

import pytest
from bs4 import BeautifulSoup

import models
from models import AuditLog, FollowUp, Opinion, Unit
from tests.conftest import ROLES, user

DENOUNCER = "Trịnh Bá Khoa"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def codes(response):
    return [row.find("td").get_text(strip=True) for row in soup(response).select("table.register tbody tr")]


def unit(code):
    return Unit.get(Unit.code == code)


def make(unit_code, status="received", **values):
    """An opinion of one unit (KTN is the demo specialist's and unit head's unit) in a given status."""
    values.setdefault("kind", "petition")
    values.setdefault("audience", "citizens")
    values.setdefault("channel", "letter")
    values.setdefault("content", "Kiến nghị sớm giải quyết hồ sơ chuyển mục đích sử dụng đất của gia đình.")
    o = models.create_opinion(user("coordinator"), assigned_unit=unit(unit_code).id, **values)
    Opinion.update(status=status).where(Opinion.id == o.id).execute()
    return Opinion.get_by_id(o.id)


def audit_rows():
    return AuditLog.select().where(AuditLog.action.not_in(("login", "logout", "login_failed"))).count()


# The status code each role gets, per kind of access. "own" = an opinion of Phòng Kinh tế ngành (the
# unit of the demo specialist and unit head); "other" = one of Phòng Nội chính.
MATRIX = {
    #                 specialist unit_head coordinator leader chief admin
    "list":          (200, 200, 200, 200, 200, 403),
    "detail_own":    (200, 200, 200, 200, 200, 403),
    "detail_other":  (404, 404, 200, 200, 200, 403),
    "create":        (303, 303, 303, 403, 303, 403),
    "check":         (200, 200, 200, 403, 200, 403),
    "assign_own":    (403, 303, 303, 403, 303, 403),
    "assign_other":  (403, 404, 303, 403, 303, 403),
    "answer_own":    (303, 303, 303, 403, 403, 403),
    "answer_other":  (404, 404, 303, 403, 403, 403),
    "status_own":    (303, 303, 303, 403, 303, 403),
    "status_other":  (404, 404, 303, 403, 303, 403),
    "followup_own":  (303, 303, 303, 403, 303, 403),
    "followup_other": (404, 404, 303, 403, 303, 403),
}
CASES = [(access, role, codes_[i]) for access, codes_ in MATRIX.items() for i, role in enumerate(ROLES)]


def request_for(access, c, own, other):
    """Perform one kind of access; returns (response, the opinion it touched or None)."""
    target = own if access.endswith("_own") else other
    if access == "list":
        return c.get("/y-kien/"), None
    if access.startswith("detail"):
        return c.get("/y-kien/%d" % target.id), None
    if access == "create":
        return c.post_form("/y-kien/moi", {
            "kind": "opinion", "channel": "unit", "audience": "staff", "content": "Đề nghị tổ chức tập huấn kỹ năng.",
            "received_on": models.today().isoformat()}), None
    if access == "check":
        return c.get("/y-kien/kiem-tra?field=content&content=abc"), None
    if access.startswith("assign"):
        people = {"KTN": user("specialist"), "NC": user("dang.thuha")}
        unit_id = target.assigned_unit_id
        person = people[Unit.get_by_id(unit_id).code]
        return c.post_form("/y-kien/%d/giao" % target.id, {
            "unit_id": str(unit_id), "assigned_to_id": str(person.id), "version": str(target.version),
            "deadline": (target.received_on + dt.timedelta(days=15)).isoformat()}), target
    if access.startswith("answer"):
        return c.post_form("/y-kien/%d/tra-loi" % target.id, {
            "draft_answer": "Dự thảo trả lời thử.", "version": str(target.version)}), target
    if access.startswith("status"):
        return c.post_form("/y-kien/%d/trang-thai" % target.id, {
            "to": "in_progress", "note": "", "version": str(target.version)}), target
    if access.startswith("followup"):
        return c.post_form("/y-kien/%d/theo-doi" % target.id, {"kind": "progress", "note": "Đang xác minh."}), target
    raise AssertionError(access)


@pytest.mark.parametrize("access, role, expected", CASES, ids=["%s-%s" % (a, r) for a, r, _ in CASES])
def test_role_matrix(login, db, access, role, expected):
    status = "concluded" if access.startswith("status") else "assigned"
    own, other = make("KTN", status), make("NC", status)
    before_audit, before_count = audit_rows(), Opinion.select().count()
    response, touched = request_for(access, login(role), own, other)
    assert response.status_code == expected
    wrote = access.split("_")[0] in ("create", "assign", "answer", "status", "followup")
    if wrote and expected == 303:
        assert audit_rows() > before_audit  # every write is in the audit log
    if wrote and expected in (403, 404):
        assert audit_rows() == before_audit
        assert Opinion.select().count() == before_count
        if touched is not None:
            stored = Opinion.get_by_id(touched.id)
            assert (stored.version, stored.status) == (touched.version, touched.status)
            assert not FollowUp.select().where(FollowUp.opinion == touched.id).exists()


def test_anonymous_is_sent_to_login(client):
    assert client.get("/y-kien/").status_code == 302
    hx = client.get("/y-kien/", headers={"HX-Request": "true"})
    assert hx.status_code == 401 and hx.headers["HX-Redirect"] == "/dang-nhap"


@pytest.mark.parametrize("role, unit_code", [("specialist", "KTN"), ("unit_head", "KTN"), ("dang.thuha", "NC")])
def test_unit_staff_list_only_their_unit(app, login, db, role, unit_code):
    app.config["PER_PAGE"] = 200
    response = login(role).get("/y-kien/")
    listed = codes(response)
    mine = [o.code for o in Opinion.select().where(Opinion.assigned_unit == unit(unit_code))]
    assert listed and sorted(listed) == sorted(mine)
    other = Opinion.select().where(Opinion.assigned_unit != unit(unit_code)).first()
    assert codes(login(role).get("/y-kien/?q=%s" % other.code)) == []


def test_specialist_cannot_filter_into_another_unit(login, db):
    response = login("specialist").get("/y-kien/?unit=%d" % unit("NC").id)
    assert codes(response) == []


# ---------------------------------------------------------------- the denouncer's identity

@pytest.fixture
def denunciation(db):
    return make("KTN", "assigned", kind="denunciation", submitter_name=DENOUNCER,
                submitter_contact="0905 777 888; CCCD 049099001122",
                content="Tố cáo hành vi nhũng nhiễu khi giải quyết hồ sơ đất đai tại bộ phận một cửa.")


@pytest.mark.parametrize("role, sees", [("specialist", False), ("unit_head", True), ("coordinator", True),
                                        ("leader", False), ("chief", True)])
def test_denouncer_identity_only_for_handlers_coordinator_chief(login, denunciation, role, sees):
    before = AuditLog.select().where(AuditLog.action == "view_identity").count()
    response = login(role).get("/y-kien/%d" % denunciation.id)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert (DENOUNCER in html) is sees
    assert ("049099001122" in html) is sees
    assert ("Thông tin người gửi được bảo mật" in html) is not sees
    logged = AuditLog.select().where(AuditLog.action == "view_identity").count() - before
    assert logged == (1 if sees else 0)


def test_assigned_specialist_becomes_a_handler(login, denunciation):
    Opinion.update(assigned_to=user("specialist").id).where(Opinion.id == denunciation.id).execute()
    assert DENOUNCER in login("specialist").get("/y-kien/%d" % denunciation.id).get_data(as_text=True)


@pytest.mark.parametrize("role, finds", [("specialist", False), ("leader", False), ("unit_head", True),
                                         ("coordinator", True), ("chief", True)])
def test_search_by_denouncer_name(login, denunciation, role, finds):
    c = login(role)
    assert (denunciation.code in codes(c.get("/y-kien/?q=trinh+ba+khoa"))) is finds
    assert (denunciation.code in codes(c.get("/y-kien/?q=049099001122"))) is finds
    assert denunciation.code in codes(c.get("/y-kien/?q=nhung+nhieu"))  # the content itself is searchable


def test_identity_is_masked_in_the_audit_log(login, db):
    c = login("coordinator")
    c.post_form("/y-kien/moi", {"kind": "denunciation", "channel": "letter", "audience": "citizens",
                                "submitter_name": DENOUNCER, "content": "Tố cáo hành vi sách nhiễu người dân.",
                                "received_on": models.today().isoformat()})
    created = Opinion.select().order_by(Opinion.id.desc()).first()
    assert created.submitter_name == DENOUNCER
    for row in AuditLog.select().where(AuditLog.object_type == "opinion", AuditLog.object_id == created.id):
        assert DENOUNCER not in row.changes and DENOUNCER not in row.summary


# ---------------------------------------------------------------- CSRF

@pytest.mark.parametrize("path, data", [
    ("/y-kien/moi", {"kind": "opinion", "channel": "unit", "audience": "staff", "content": "Nội dung đủ dài để lưu."}),
    ("/y-kien/{id}/giao", {"unit_id": "{unit}", "deadline": "2099-01-01", "version": "{version}"}),
    ("/y-kien/{id}/tra-loi", {"draft_answer": "Trả lời.", "version": "{version}"}),
    ("/y-kien/{id}/trang-thai", {"to": "in_progress", "version": "{version}"}),
    ("/y-kien/{id}/theo-doi", {"kind": "note", "note": "Ghi chú."}),
])
@pytest.mark.parametrize("htmx", [False, True])
def test_post_without_csrf_token_is_refused(login, db, path, data, htmx):
    o = make("KTN", "concluded")
    c = login("coordinator")
    fill = {"id": o.id, "unit": unit("KTN").id, "version": o.version}
    data = {k: v.format(**fill) for k, v in data.items()}
    headers = {"HX-Request": "true"} if htmx else {}
    before = (audit_rows(), Opinion.select().count(), FollowUp.select().count())
    response = c.client.post(path.format(**fill), data=data, headers=headers)
    assert response.status_code == 400
    assert (audit_rows(), Opinion.select().count(), FollowUp.select().count()) == before
    stored = Opinion.get_by_id(o.id)
    assert (stored.version, stored.status, stored.draft_answer) == (o.version, o.status, o.draft_answer)


def test_wrong_csrf_token_is_refused(login, db):
    o = make("KTN", "concluded")
    c = login("coordinator")
    response = c.client.post("/y-kien/%d/trang-thai" % o.id, data={"to": "in_progress", "version": o.version},
                             headers={"HX-Request": "true", "X-CSRFToken": "not-the-token"})
    assert response.status_code == 400
    assert Opinion.get_by_id(o.id).status == "concluded"
