"""Acting on many opinions of the register at once: assign, move, export; refusals item by item, limits, access."""
import csv
import datetime as dt
import io

import pytest
from bs4 import BeautifulSoup

import models
from models import AuditLog, Opinion, StatusChange, Unit
from services import bulk_actions, deadlines
from tests.conftest import user

ASSIGN, MOVE, EXPORT = "/y-kien/chon/giao", "/y-kien/chon/trang-thai", "/y-kien/chon/xuat"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response):
    return soup(response).get_text(" ", strip=True)


def error_beside(response, input_id):
    tag = soup(response).find(id="%s-error" % input_id)
    return tag.get_text(" ", strip=True) if tag else None


def unit(code):
    return Unit.get(Unit.code == code)


def new_opinion(status="received", unit_code=None, **values):
    values.setdefault("kind", "opinion")
    values.setdefault("audience", "staff")
    values.setdefault("channel", "unit")
    values.setdefault("content", "Đề nghị rà soát quy trình tiếp nhận hồ sơ một cửa.")
    o = models.create_opinion(user("coordinator"), assigned_unit=unit(unit_code).id if unit_code else None, **values)
    if status != "received":
        Opinion.update(status=status).where(Opinion.id == o.id).execute()
    return Opinion.get_by_id(o.id)


def picked(opinions, **data):
    """The form as the register sends it: each ticked id with the version its row showed."""
    form = {"ids": [str(o.id) for o in opinions], "filter": ""}
    form.update({"v%d" % o.id: str(o.version) for o in opinions})
    form.update(data)
    return form


def audits(o, action=None):
    query = AuditLog.select().where(AuditLog.object_type == "opinion", AuditLog.object_id == o.id)
    return query.where(AuditLog.action == action) if action else query


# ---------------------------------------------------------------- assign

def test_coordinator_assigns_fifty_opinions_at_once(login, db):
    items = [new_opinion() for _ in range(50)]
    c = login("coordinator")
    before = AuditLog.select().count()
    data = picked(items, unit_id=str(unit("KTN").id), assigned_to_id=str(user("specialist").id),
                  deadline_days="10", deadline_unit="working", directed_by_id=str(user("chief").id))
    response = c.post_form(ASSIGN, data)
    assert response.status_code == 200
    assert "Đã giao xử lý 50 ý kiến." in text(response)
    due = deadlines.add_deadline(models.today(), 10, "working")
    for o in items:
        stored = Opinion.get_by_id(o.id)
        assert (stored.status, stored.assigned_unit_id, stored.assigned_to_id, stored.deadline) == (
            "assigned", unit("KTN").id, user("specialist").id, due)
        assert stored.directed_by_id == user("chief").id
        assert stored.version == o.version + 1
        assert audits(o, "assign").count() == 1
        last = StatusChange.for_object(stored).order_by(StatusChange.id.desc()).first()
        assert (last.from_status, last.to_status, last.user_id) == ("received", "assigned", user("coordinator").id)
    assert AuditLog.select().count() == before + 50  # one audit entry per item, no other


def test_unit_head_selecting_another_units_opinions_gets_those_refused(login, db):
    own = [new_opinion(unit_code="KTN") for _ in range(3)]
    others = [new_opinion(unit_code="NC") for _ in range(2)]
    data = picked(own + others, unit_id=str(unit("KTN").id), assigned_to_id=str(user("specialist").id),
                  deadline=(models.today() + dt.timedelta(days=15)).strftime("%d/%m/%Y"),
                  directed_by_id=str(user("unit_head").id))
    response = login("unit_head").post_form(ASSIGN, data)
    assert response.status_code == 200
    page = text(response)
    assert "Đã giao xử lý 3 ý kiến." in page
    assert "Từ chối 2 ý kiến" in page and bulk_actions.NOT_FOUND in page
    for o in own:
        assert Opinion.get_by_id(o.id).assigned_to_id == user("specialist").id
    for o in others:
        stored = Opinion.get_by_id(o.id)
        assert (stored.assigned_unit_id, stored.assigned_to_id, stored.version) == (unit("NC").id, None, o.version)
        assert not audits(o, "assign").exists()
        assert o.code not in page  # another unit's register number is not revealed


def test_unit_head_assigns_only_within_the_unit(login, db):
    o = new_opinion(unit_code="KTN")
    response = login("unit_head").post_form(ASSIGN, picked([o], unit_id=str(unit("NC").id), deadline_days="5",
                                                           directed_by_id=str(user("unit_head").id)))
    assert response.status_code == 422
    assert "chỉ giao xử lý trong đơn vị mình" in error_beside(response, "bulk-unit_id")
    assert Opinion.get_by_id(o.id).version == o.version


def test_each_item_keeps_its_own_rules_closed_and_deadline_before_receipt(login, db):
    fine = new_opinion()
    closed = new_opinion(status="resolved")
    early = new_opinion(received_on=models.today() - dt.timedelta(days=3))
    late = new_opinion(received_on=models.today() + dt.timedelta(days=5))
    deadline = models.today() + dt.timedelta(days=2)
    response = login("coordinator").post_form(ASSIGN, picked(
        [fine, closed, early, late], unit_id=str(unit("KTN").id), deadline=deadline.isoformat(),
        directed_by_id=str(user("coordinator").id)))
    assert response.status_code == 200
    page = text(response)
    assert "Đã giao xử lý 2 ý kiến." in page
    assert "Ý kiến đã kết thúc; cần mở lại trước khi giao xử lý. %s" % closed.code in page
    assert "Hạn xử lý không được trước ngày tiếp nhận (%s). %s" % (
        late.received_on.strftime("%d/%m/%Y"), late.code) in page
    assert {Opinion.get_by_id(o.id).deadline for o in (fine, early)} == {deadline}
    assert Opinion.get_by_id(closed.id).assigned_unit_id is None and Opinion.get_by_id(late.id).deadline is None


@pytest.mark.parametrize("changes, input_id, message", [
    ({"deadline_days": ""}, "bulk-deadline", "Vui lòng nhập hạn xử lý (ngày cụ thể hoặc số ngày)."),
    ({"deadline_days": "0"}, "bulk-deadline_days", "Số ngày từ 1 đến 365."),
    ({"unit_id": ""}, "bulk-unit_id", "Vui lòng chọn đơn vị xử lý."),
    ({"directed_by_id": "specialist"}, "bulk-directed_by_id", "Vui lòng chọn người chỉ đạo"),
])
def test_assign_form_errors_beside_the_fields_keep_what_was_typed(login, db, changes, input_id, message):
    items = [new_opinion(), new_opinion()]
    data = picked(items, unit_id=str(unit("KTN").id), assigned_to_id=str(user("specialist").id),
                  deadline_days="7", directed_by_id=str(user("chief").id))
    data.update(changes)
    if changes.get("directed_by_id") == "specialist":
        data["directed_by_id"] = str(user("specialist").id)  # not the chief, a deputy or the assigner
    response = login("coordinator").post_form(ASSIGN, data)
    assert response.status_code == 422
    assert message in error_beside(response, input_id)
    page = soup(response)
    ticked = {box["value"] for box in page.select('input[name=ids][checked]')}
    assert {str(o.id) for o in items} <= ticked
    if "unit_id" not in changes:
        assert page.find(id="bulk-unit_id").find("option", selected=True)["value"] == str(unit("KTN").id)
    assert page.find(id="bulk-deadline_days")["value"] == data["deadline_days"]
    assert all(Opinion.get_by_id(o.id).version == o.version for o in items)


# ---------------------------------------------------------------- status

def test_status_move_refuses_the_items_it_does_not_allow_and_moves_the_others(login, db):
    movable = [new_opinion(), new_opinion(status="assigned", unit_code="KTN"),
               new_opinion(status="answer_drafted", unit_code="NC")]
    stuck = [new_opinion(status="concluded", unit_code="KTN"), new_opinion(status="resolved", unit_code="KTN")]
    c = login("coordinator")
    before = AuditLog.select().count()
    response = c.post_form(MOVE, picked(movable + stuck, to="withdrawn", note="Người nêu rút ý kiến"))
    assert response.status_code == 200
    page = text(response)
    assert "Đã chuyển 3 ý kiến sang “Rút ý kiến”." in page
    assert "Từ chối 2 ý kiến" in page
    assert "Không thể chuyển từ “Đã có kết luận” sang “Rút ý kiến”. %s" % stuck[0].code in page
    assert "Không thể chuyển từ “Đã giải quyết” sang “Rút ý kiến”. %s" % stuck[1].code in page
    for o in movable:
        stored = Opinion.get_by_id(o.id)
        assert stored.status == "withdrawn" and stored.closed_at is not None
        last = StatusChange.for_object(stored).order_by(StatusChange.id.desc()).first()
        assert (last.from_status, last.to_status, last.note) == (o.status, "withdrawn", "Người nêu rút ý kiến")
        assert audits(o, "transition").count() == 1
    for o in stuck:
        stored = Opinion.get_by_id(o.id)
        assert (stored.status, stored.version) == (o.status, o.version)
        assert not audits(o, "transition").exists()
    assert AuditLog.select().count() == before + 3


def test_a_role_moves_only_what_its_role_and_unit_allow(login, db):
    own = new_opinion(status="in_progress", unit_code="KTN")
    other = new_opinion(status="in_progress", unit_code="NC")
    response = login("unit_head").post_form(MOVE, picked([own, other], to="resolved"))
    assert response.status_code == 200
    assert "Đã chuyển 1 ý kiến sang “Đã giải quyết”." in text(response)
    assert Opinion.get_by_id(own.id).status == "resolved"
    assert Opinion.get_by_id(other.id).status == "in_progress"
    refused = login("specialist").post_form(MOVE, picked([new_opinion(status="in_progress", unit_code="KTN")],
                                                           to="resolved"))
    assert "Vai trò “Chuyên viên” không được thực hiện thao tác này." in text(refused)


def test_an_item_changed_since_the_page_was_shown_is_a_conflict_not_overwritten(login, db):
    stale, fresh = new_opinion(), new_opinion()
    data = picked([stale, fresh], to="explained", note="Đã giải thích tại buổi đối thoại")
    Opinion.update(version=Opinion.version + 1).where(Opinion.id == stale.id).execute()  # someone saved it
    response = login("coordinator").post_form(MOVE, data)
    page = text(response)
    assert "Đã chuyển 1 ý kiến" in page
    assert "Ý kiến vừa được người khác cập nhật (hiện: Mới tiếp nhận); chưa thay đổi gì. %s" % stale.code in page
    assert Opinion.get_by_id(stale.id).status == "received"
    assert Opinion.get_by_id(fresh.id).status == "explained"


def test_a_status_that_needs_a_reason_asks_for_it_beside_the_note(login, db):
    o = new_opinion()
    response = login("coordinator").post_form(MOVE, picked([o], to="explained", note=" "))
    assert response.status_code == 422
    assert "Cần ghi lý do" in error_beside(response, "bulk-note")
    assert soup(response).find(id="bulk-to").find("option", selected=True)["value"] == "explained"
    assert Opinion.get_by_id(o.id).status == "received"


# ---------------------------------------------------------------- the selection

def test_select_all_acts_on_exactly_what_the_filter_matches(login, db):
    items = [new_opinion(kind="feedback", audience="citizens") for _ in range(4)]
    query = "kind=feedback&audience=citizens&status=received"
    matching = list(Opinion.select().where(Opinion.kind == "feedback", Opinion.audience == "citizens",
                                           Opinion.status == "received"))
    assert set(items) <= set(matching)
    c = login("coordinator")
    shown = soup(c.get("/y-kien/?" + query))
    assert shown.find(id="bulk-count").get_text(strip=True) == str(len(matching))
    assert shown.find("input", attrs={"name": "filter"})["value"] == query
    response = c.post_form(MOVE, {"all": "1", "filter": query, "to": "explained", "note": "Đã trả lời chung"})
    assert "Đã chuyển %d ý kiến" % len(matching) in text(response)
    assert all(Opinion.get_by_id(o.id).status == "explained" for o in matching)


def test_more_than_five_hundred_is_refused_with_a_clear_message(login, db):
    c = login("coordinator")
    before = AuditLog.select().count()
    data = {"ids": [str(i) for i in range(1, 502)], "to": "explained", "note": "Quá nhiều"}
    response = c.post_form(MOVE, data)
    assert response.status_code == 422
    assert error_beside(response, "bulk-ids") == ("Đã chọn 501 ý kiến: mỗi lần chỉ thao tác được tối đa 500 ý kiến. "
                                                  "Hãy lọc hẹp hơn hoặc chọn ít ý kiến hơn.")
    # "all matching" over the limit too: enough rows to pass it, the count told exactly
    missing = 501 - Opinion.select().count()
    today = models.today()
    rows = [{"code": "YK-1999-%04d" % n, "kind": "opinion", "audience": "staff", "content": "Ý kiến thử %d" % n,
             "received_on": today, "status": "received"} for n in range(max(missing, 0))]
    for start in range(0, len(rows), 100):
        Opinion.insert_many(rows[start:start + 100]).execute()
    total = Opinion.select().count()
    listed = soup(c.get("/y-kien/"))
    assert listed.find(id="bulk-count").get_text(strip=True) == str(total)
    assert "quá 500 ý kiến" in listed.find(id="bulk-select").get_text(" ", strip=True)
    response = c.post_form(ASSIGN, {"all": "1", "filter": "", "unit_id": str(unit("KTN").id), "deadline_days": "3",
                                    "directed_by_id": str(user("coordinator").id)})
    assert response.status_code == 422
    assert error_beside(response, "bulk-ids").startswith("Đã chọn %s ý kiến: mỗi lần chỉ thao tác được tối đa 500"
                                                         % f"{total:,}".replace(",", "."))
    assert AuditLog.select().count() == before
    assert not Opinion.select().where(Opinion.assigned_unit == unit("KTN"), Opinion.code.startswith("YK-1999")).exists()


def test_nothing_selected_says_so(login, db):
    response = login("coordinator").post_form(MOVE, {"to": "explained", "note": "x"})
    assert response.status_code == 422
    assert error_beside(response, "bulk-ids") == "Chưa chọn ý kiến nào."


# ---------------------------------------------------------------- export

def test_export_the_selection_as_csv_and_xlsx(login, db):
    a, b, c_ = new_opinion(content="Ý kiến A về nhà ở"), new_opinion(content="Ý kiến B"), new_opinion()
    c = login("coordinator")
    before = AuditLog.select().where(AuditLog.action == "export").count()
    response = c.post_form(EXPORT, picked([a, b], format="csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert sorted(row[0] for row in lines[1:]) == sorted([a.code, b.code])
    assert c_.code not in response.get_data(as_text=True)
    xlsx = c.post_form(EXPORT, picked([a], format="xlsx"))
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert AuditLog.select().where(AuditLog.action == "export").count() == before + 2


def test_a_unit_exports_only_what_it_may_see(login, db):
    own, other = new_opinion(unit_code="KTN"), new_opinion(unit_code="NC")
    response = login("specialist").post_form(EXPORT, picked([own, other], format="csv"))
    body = response.get_data(as_text=True)
    assert own.code in body and other.code not in body


# ---------------------------------------------------------------- htmx, CSRF, roles

def test_with_htmx_the_form_and_the_changed_rows_come_back_in_place(login, db):
    items = [new_opinion(), new_opinion()]
    c = login("coordinator")
    data = picked(items, to="explained", note="Đã giải thích", page_ids="%d,%d" % (items[0].id, 999999))
    response = c.post_form(MOVE, data, htmx=True)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    page = soup(response)
    assert page.find(id="bulk") is not None and "Đã chuyển 2 ý kiến" in page.find(id="bulk-outcome").get_text()
    row = page.find(id="opinion-%d" % items[0].id)
    assert row["hx-swap-oob"] == "true" and row.find_parent("template") is not None  # a bare <tr> would be dropped
    assert row.select_one(".badge.status")["class"][-1] == "status-explained"
    assert page.find(id="opinion-%d" % items[1].id) is None  # not on the page shown
    errors = c.post_form(MOVE, {"to": ""}, htmx=True)
    assert errors.status_code == 200 and "Vui lòng chọn trạng thái mới." in error_beside(errors, "bulk-to")


@pytest.mark.parametrize("url", [ASSIGN, MOVE, EXPORT])
def test_a_post_without_the_csrf_token_changes_nothing(login, db, url):
    o = new_opinion()
    c = login("coordinator")
    data = picked([o], unit_id=str(unit("KTN").id), deadline_days="5", directed_by_id=str(user("coordinator").id),
                  to="explained", note="x", format="csv")
    before = AuditLog.select().count()
    for token in ({}, {"csrf_token": "sai"}):
        response = c.client.post(url, data=dict(data, **token))
        assert response.status_code == 400
    assert AuditLog.select().count() == before
    assert Opinion.get_by_id(o.id).version == o.version


@pytest.mark.parametrize("role, url", [
    ("leader", ASSIGN), ("leader", MOVE), ("specialist", ASSIGN), ("admin", ASSIGN), ("admin", MOVE), ("admin", EXPORT),
])
def test_roles_without_the_right_get_403(login, db, role, url):
    o = new_opinion(unit_code="KTN")
    data = picked([o], unit_id=str(unit("KTN").id), deadline_days="5", directed_by_id=str(user(role).id),
                  to="explained", note="x", format="csv")
    response = login(role).post_form(url, data)
    assert response.status_code == 403
    assert Opinion.get_by_id(o.id).version == o.version


def test_the_register_offers_each_role_only_its_actions(login, db):
    def actions(role):
        page = soup(login(role).get("/y-kien/"))
        return {legend.get_text(strip=True) for legend in page.select("#bulk legend")}
    assert actions("coordinator") == {"Giao xử lý", "Chuyển trạng thái", "Xuất các ý kiến đã chọn"}
    assert actions("specialist") == {"Chuyển trạng thái", "Xuất các ý kiến đã chọn"}
    assert actions("leader") == {"Xuất các ý kiến đã chọn"}
