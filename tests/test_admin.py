"""Units, user accounts and the audit log: access per role, order, validation, conflicts, sessions, audit."""
import datetime as dt
import json
import re

import pytest
from bs4 import BeautifulSoup
from flask import url_for

import models
from tests.conftest import PASSWORD, ROLES, StaffClient, count_queries, user

NEW_PASSWORD = "mat-khau-moi-2024"


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def error_beside(response, name):
    """The message printed beside a field (the `_macros.field_error` paragraph)."""
    tag = soup(response).find(id="%s-error" % name)
    return tag.get_text(strip=True) if tag else None


def column(response, table_id, index):
    """The text of one column of a table, top to bottom."""
    rows = soup(response).select("#%s tbody tr" % table_id)
    return [row.find_all("td")[index].get_text(" ", strip=True) for row in rows]


def version_of(html_response):
    return soup(html_response).find("input", attrs={"name": "version"})["value"]


def fresh_client(app):
    return StaffClient(app.test_client())


def unit_form(**changes):
    data = {"code": "PHAPCHE", "name": "Phòng Pháp chế", "kind": "content", "active": "y"}
    data.update(changes)
    return data


def user_form(**changes):
    data = {"username": "tran.thi.hoa", "full_name": "Trần Thị Hoa", "role": "specialist",
            "unit_id": str(user("specialist").unit_id), "email": "hoa@vpubnd.gov.vn", "title": "Chuyên viên",
            "password": "mat-khau-ban-dau", "confirm": "mat-khau-ban-dau"}
    data.update(changes)
    return data


# ---------------------------------------------------------------- access per role

UNIT_READERS = {"admin", "coordinator", "chief", "leader"}
AUDIT_READERS = {"coordinator", "chief"}


@pytest.mark.parametrize("role", ROLES)
def test_each_screen_by_role(login, db, role):
    unit_id, user_id = models.Unit.select().first().id, user("specialist").id
    expected = {
        "/quan-tri/don-vi/": 200 if role in UNIT_READERS else 403,
        "/quan-tri/don-vi/moi": 200 if role == "admin" else 403,
        "/quan-tri/don-vi/%d/sua" % unit_id: 200 if role == "admin" else 403,
        "/quan-tri/tai-khoan/": 200 if role == "admin" else 403,
        "/quan-tri/tai-khoan/moi": 200 if role == "admin" else 403,
        "/quan-tri/tai-khoan/%d/sua" % user_id: 200 if role == "admin" else 403,
        "/quan-tri/nhat-ky/": 200 if role in AUDIT_READERS else 403,
    }
    c = login(role)
    assert {url: c.get(url).status_code for url in expected} == expected


def test_anonymous_is_sent_to_login(client):
    for url in ("/quan-tri/don-vi/", "/quan-tri/tai-khoan/", "/quan-tri/nhat-ky/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/dang-nhap" in response.headers["Location"]


@pytest.mark.parametrize("role", ["coordinator", "chief", "unit_head"])
def test_only_admin_may_write_accounts_and_units(login, db, role):
    target = user("specialist")
    unit = models.Unit.select().first()
    c = login(role)
    assert c.post_form("/quan-tri/tai-khoan/%d/khoa" % target.id).status_code == 403
    assert c.post_form("/quan-tri/tai-khoan/%d/dat-lai-mat-khau" % target.id,
                       {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 403
    assert c.post_form("/quan-tri/tai-khoan/moi", user_form()).status_code == 403
    assert c.post_form("/quan-tri/don-vi/%d/sua" % unit.id,
                       unit_form(code=unit.code, version=unit.version)).status_code == 403
    assert user("specialist").active and user("specialist").password_hash == target.password_hash
    assert models.Unit.get_by_id(unit.id).name == unit.name
    assert not models.User.select().where(models.User.username == "tran.thi.hoa").exists()


# ---------------------------------------------------------------- units


def test_units_in_vietnamese_order_with_user_counts(app, login, db):
    app.config["PER_PAGE"] = 500
    names = ["Em Út", "Đông Á", "Dân Vận", "Ăn Khang", "Ánh Dương"]
    with db.atomic():
        for i, name in enumerate(names):
            models.Unit.create(code="ORD%d" % i, name=name)
        counted = models.Unit.get(models.Unit.code == "ORD1")
        for i in range(3):
            models.User.create(username="u%d" % i, full_name="Người %d" % i, role="specialist", unit=counted,
                               password_hash="x")
    response = login("leader").get("/quan-tri/don-vi/")
    assert response.status_code == 200
    shown = column(response, "units", 1)
    mine = [n for n in shown if n in names]
    assert mine == ["Ánh Dương", "Ăn Khang", "Dân Vận", "Đông Á", "Em Út"]
    assert sorted(names) != mine  # code-point order would differ
    row = soup(response).find(id="unit-%d" % counted.id)
    assert row.find_all("td")[4].get_text(strip=True) == "3"
    assert models.UNIT_KINDS["content"] in row.get_text()
    assert soup(response).find("a", href=re.compile(r"/sua$")) is None  # the leader reads, does not edit


def test_units_page_runs_a_constant_number_of_queries(app, login, db):
    app.config["PER_PAGE"] = 500
    c = login("coordinator")
    with count_queries() as before:
        assert c.get("/quan-tri/don-vi/").status_code == 200
    with db.atomic():
        for i in range(15):
            unit = models.Unit.create(code="Q%d" % i, name="Đơn vị %d" % i)
            models.User.create(username="q%d" % i, full_name="Người %d" % i, role="specialist", unit=unit,
                               password_hash="x")
    with count_queries() as after:
        assert c.get("/quan-tri/don-vi/").status_code == 200
    assert len(after) == len(before)


def test_admin_creates_a_unit(login, db):
    c = login("admin")
    response = c.post_form("/quan-tri/don-vi/moi", unit_form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/quan-tri/don-vi/"
    unit = models.Unit.get(models.Unit.code == "PHAPCHE")
    assert (unit.name, unit.kind, unit.active) == ("Phòng Pháp chế", "content", True)
    row = models.AuditLog.get(models.AuditLog.object_type == "unit", models.AuditLog.object_id == unit.id)
    assert row.action == "create" and row.user_id == user("admin").id
    assert json.loads(row.changes)["name"] == [None, "Phòng Pháp chế"]
    assert "Phòng Pháp chế" in c.get("/quan-tri/don-vi/").get_data(as_text=True)


def _existing_code():
    return models.Unit.select().order_by(models.Unit.id).first().code


@pytest.mark.parametrize("changes, field, message", [
    ({"code": _existing_code}, "code", "đã được dùng"),
    ({"code": lambda: _existing_code().lower()}, "code", "đã được dùng"),
    ({"code": "Phòng 1"}, "code", "không dấu"),
    ({"code": ""}, "code", "Vui lòng nhập mã đơn vị"),
    ({"name": "   "}, "name", "Vui lòng nhập tên đơn vị"),
    ({"kind": "khac"}, "kind", "Vui lòng chọn loại đơn vị"),
])
def test_unit_validation(login, db, changes, field, message):
    data = unit_form(**{k: v() if callable(v) else v for k, v in changes.items()})
    before = models.Unit.select().count()
    response = login("admin").post_form("/quan-tri/don-vi/moi", data)
    assert response.status_code == 422
    assert message in (error_beside(response, field) or "")
    assert error_beside(response, field)
    assert soup(response).find(id="name")["value"] == data["name"].strip()  # what was typed is kept
    assert models.Unit.select().count() == before


def test_unit_inline_check_uses_the_form_rules(login, db):
    c = login("admin")
    taken = c.hx_get("/quan-tri/don-vi/kiem-tra?field=code&code=%s" % _existing_code())
    assert taken.status_code == 200 and "đã được dùng" in taken.get_data(as_text=True)
    assert "<html" not in taken.get_data(as_text=True)
    free = c.hx_get("/quan-tri/don-vi/kiem-tra?field=code&code=MOI123")
    assert free.get_data(as_text=True).strip() == ""


def test_unit_edit_conflict_shows_the_other_version(login, db):
    unit = models.Unit.select().order_by(models.Unit.id).first()
    c = login("admin")
    page = c.get("/quan-tri/don-vi/%d/sua" % unit.id)
    opened_at = version_of(page)
    models.save_versioned(unit, unit.version, user("coordinator"), {"name": "Tên do người khác sửa"})

    response = c.post_form("/quan-tri/don-vi/%d/sua" % unit.id,
                           unit_form(code=unit.code, name="Tên tôi vừa gõ", version=opened_at))
    assert response.status_code == 409
    box = soup(response).select_one(".conflict")
    assert "Tên do người khác sửa" in box.get_text()
    assert user("coordinator").full_name in box.get_text()
    assert soup(response).find(id="name")["value"] == "Tên tôi vừa gõ"
    assert models.Unit.get_by_id(unit.id).name == "Tên do người khác sửa"

    again = c.post_form("/quan-tri/don-vi/%d/sua" % unit.id,
                        unit_form(code=unit.code, name="Tên tôi vừa gõ", version=version_of(response)))
    assert again.status_code == 303
    saved = models.Unit.get_by_id(unit.id)
    assert saved.name == "Tên tôi vừa gõ" and saved.version == unit.version + 2
    row = (models.AuditLog.select().where(models.AuditLog.object_type == "unit")
           .order_by(models.AuditLog.id.desc()).get())
    assert json.loads(row.changes)["name"] == ["Tên do người khác sửa", "Tên tôi vừa gõ"]


def test_unit_can_be_deactivated(login, db):
    unit = models.Unit.select().order_by(models.Unit.id).first()
    c = login("admin")
    data = unit_form(code=unit.code, name=unit.name, kind=unit.kind, version=unit.version)
    del data["active"]  # an unticked checkbox is not sent
    assert c.post_form("/quan-tri/don-vi/%d/sua" % unit.id, data).status_code == 303
    assert models.Unit.get_by_id(unit.id).active is False
    assert "Ngừng hoạt động" in soup(c.get("/quan-tri/don-vi/")).find(id="unit-%d" % unit.id).get_text()


# ---------------------------------------------------------------- users


def test_users_in_order_of_given_name(app, login, db):
    app.config["PER_PAGE"] = 500
    names = ["Trần Văn Đức", "Lê Thị Dũng", "Phạm Văn Ăn", "Vũ Thị Ánh", "Hồ Văn An"]
    with db.atomic():
        for i, name in enumerate(names):
            models.User.create(username="order%d" % i, full_name=name, role="leader", password_hash="x")
    response = login("admin").get("/quan-tri/tai-khoan/")
    assert response.status_code == 200
    shown = [n for n in column(response, "users", 0) if n in names]
    assert shown == ["Hồ Văn An", "Vũ Thị Ánh", "Phạm Văn Ăn", "Lê Thị Dũng", "Trần Văn Đức"]


def test_users_list_shows_role_unit_state_and_never_a_hash(login, db):
    models.User.update(last_login_at=dt.datetime(2022, 3, 5, 8, 30)).where(models.User.username == "leader").execute()
    response = login("admin").get("/quan-tri/tai-khoan/")
    html = response.get_data(as_text=True)
    specialist = user("specialist")
    row = soup(response).find(id="user-%d" % specialist.id).get_text(" ", strip=True)
    assert models.ROLES["specialist"] in row and specialist.unit.name in row and "Đang hoạt động" in row
    assert "05/03/2022 08:30" in soup(response).find(id="user-%d" % user("leader").id).get_text()
    assert "$argon2" not in html
    edit = login("admin").get("/quan-tri/tai-khoan/%d/sua" % specialist.id).get_data(as_text=True)
    assert "$argon2" not in edit and specialist.password_hash not in edit


def test_users_filter_by_role_and_unit(login, db):
    c = login("admin")
    chiefs = c.get("/quan-tri/tai-khoan/?role=chief")
    assert column(chiefs, "users", 2) and set(column(chiefs, "users", 2)) == {models.ROLES["chief"]}
    unit = user("specialist").unit
    members = column(c.get("/quan-tri/tai-khoan/?unit=%d" % unit.id), "users", 3)
    assert members and set(members) == {unit.name}
    empty = c.get("/quan-tri/tai-khoan/?role=chief&unit=%d" % unit.id)
    assert "Không có tài khoản nào khớp bộ lọc" in empty.get_data(as_text=True)


def test_users_filter_answers_htmx_with_the_table_fragment(login):
    response = login("admin").hx_get("/quan-tri/tai-khoan/?role=admin")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="users-table"' in html


def test_users_page_runs_a_constant_number_of_queries(app, login, db):
    app.config["PER_PAGE"] = 500
    c = login("admin")
    with count_queries() as before:
        assert c.get("/quan-tri/tai-khoan/").status_code == 200
    unit = models.Unit.select().first()
    with db.atomic():
        for i in range(20):
            models.User.create(username="n%d" % i, full_name="Người %d" % i, role="specialist", unit=unit,
                               password_hash="x")
    with count_queries() as after:
        assert c.get("/quan-tri/tai-khoan/").status_code == 200
    assert len(after) == len(before)


def test_admin_creates_an_account_that_can_sign_in(app, login, db):
    c = login("admin")
    response = c.post_form("/quan-tri/tai-khoan/moi", user_form())
    assert response.status_code == 303
    assert response.headers["Location"] == "/quan-tri/tai-khoan/"
    created = user("tran.thi.hoa")
    assert (created.full_name, created.role, created.unit_id) == ("Trần Thị Hoa", "specialist",
                                                                  user("specialist").unit_id)
    assert created.password_hash.startswith("$argon2id$")
    assert fresh_client(app).login("tran.thi.hoa", "mat-khau-ban-dau").status_code == 303
    row = models.AuditLog.get(models.AuditLog.object_type == "user", models.AuditLog.object_id == created.id,
                              models.AuditLog.action == "create")
    changes = json.loads(row.changes)
    assert changes["password_hash"] == ["", models.MASK]
    assert changes["username"] == [None, "tran.thi.hoa"]


@pytest.mark.parametrize("changes, field, message", [
    ({"username": "chief"}, "username", "đã có người dùng"),
    ({"username": "Tran Thi Hoa"}, "username", "chữ thường không dấu"),
    ({"username": ""}, "username", "Vui lòng nhập tên đăng nhập"),
    ({"full_name": ""}, "full_name", "Vui lòng nhập họ và tên"),
    ({"email": "hoa@"}, "email", "không hợp lệ"),
    ({"email": "hoa vpubnd.gov.vn"}, "email", "không hợp lệ"),
    ({"password": "ngan", "confirm": "ngan"}, "password", "ít nhất 10 ký tự"),
    ({"password": "", "confirm": ""}, "password", "Vui lòng nhập mật khẩu"),
    ({"confirm": "mat-khau-khac-han"}, "confirm", "không khớp"),
    ({"unit_id": ""}, "unit_id", "cần thuộc một đơn vị"),
    ({"role": "unit_head", "unit_id": ""}, "unit_id", "cần thuộc một đơn vị"),
    ({"unit_id": "99999"}, "unit_id", "không tồn tại"),
    ({"unit_id": "abc"}, "unit_id", "Lựa chọn không hợp lệ"),
    ({"role": "superuser"}, "role", "Vui lòng chọn vai trò"),
])
def test_account_validation(login, db, changes, field, message):
    data = user_form(**changes)
    before = models.User.select().count()
    response = login("admin").post_form("/quan-tri/tai-khoan/moi", data)
    assert response.status_code == 422
    assert message in (error_beside(response, field) or "")
    page = soup(response)
    assert page.find(id="full_name")["value"] == data["full_name"]  # what was typed is kept
    assert page.find(id="password").get("value") is None  # passwords are never sent back
    assert models.User.select().count() == before


def test_account_cannot_join_an_inactive_unit(login, db):
    unit = models.Unit.create(code="CU", name="Phòng đã giải thể", active=False)
    response = login("admin").post_form("/quan-tri/tai-khoan/moi", user_form(unit_id=str(unit.id)))
    assert response.status_code == 422
    assert "ngừng hoạt động" in error_beside(response, "unit_id")
    assert not models.User.select().where(models.User.username == "tran.thi.hoa").exists()


def test_account_without_unit_is_fine_for_a_leader(login, db):
    response = login("admin").post_form("/quan-tri/tai-khoan/moi", user_form(role="leader", unit_id="", email=""))
    assert response.status_code == 303
    assert user("tran.thi.hoa").unit_id is None


def test_account_inline_check(login, db):
    c = login("admin")
    taken = c.hx_get("/quan-tri/tai-khoan/kiem-tra?field=username&username=chief")
    assert "đã có người dùng" in taken.get_data(as_text=True)
    own = c.hx_get("/quan-tri/tai-khoan/kiem-tra?field=username&username=chief&user_id=%d" % user("chief").id)
    assert own.get_data(as_text=True).strip() == ""
    email = c.hx_get("/quan-tri/tai-khoan/kiem-tra?field=email&email=khong-hop-le")
    assert "không hợp lệ" in email.get_data(as_text=True)


def test_account_edit_saves_and_audits(login, db):
    target = user("leader")
    c = login("admin")
    page = c.get("/quan-tri/tai-khoan/%d/sua" % target.id)
    assert soup(page).find(id="full_name")["value"] == target.full_name
    data = user_form(username="leader", full_name="Phó Chánh Văn phòng Mới", role="leader", unit_id="",
                     version=version_of(page))
    response = c.post_form("/quan-tri/tai-khoan/%d/sua" % target.id, data)
    assert response.status_code == 303
    saved = user("leader")
    assert saved.full_name == "Phó Chánh Văn phòng Mới" and saved.password_hash == target.password_hash
    row = models.AuditLog.select().where(models.AuditLog.object_type == "user", models.AuditLog.object_id == target.id,
                                         models.AuditLog.action == "update").get()
    assert json.loads(row.changes)["full_name"] == [target.full_name, "Phó Chánh Văn phòng Mới"]


def test_account_edit_conflict(login, db):
    target = user("unit_head")
    c = login("admin")
    opened_at = version_of(c.get("/quan-tri/tai-khoan/%d/sua" % target.id))
    models.save_versioned(target, target.version, user("admin"), {"full_name": "Tên đã đổi trước"})
    data = user_form(username="unit_head", full_name="Tên của tôi", role="unit_head",
                     unit_id=str(target.unit_id), version=opened_at)
    response = c.post_form("/quan-tri/tai-khoan/%d/sua" % target.id, data)
    assert response.status_code == 409
    assert "Tên đã đổi trước" in soup(response).select_one(".conflict").get_text()
    assert soup(response).find(id="full_name")["value"] == "Tên của tôi"
    assert user("unit_head").full_name == "Tên đã đổi trước"


def test_admin_cannot_drop_own_admin_role(login, db):
    me = user("admin")
    c = login("admin")
    data = user_form(username="admin", full_name=me.full_name, role="leader", unit_id="",
                     version=version_of(c.get("/quan-tri/tai-khoan/%d/sua" % me.id)))
    response = c.post_form("/quan-tri/tai-khoan/%d/sua" % me.id, data)
    assert response.status_code == 422
    assert "vai trò quản trị" in error_beside(response, "role")
    assert user("admin").role == "admin"


# ---------------------------------------------------------------- password reset, disable


def reset(c, account, password=NEW_PASSWORD, confirm=None, **kwargs):
    return c.post_form("/quan-tri/tai-khoan/%d/dat-lai-mat-khau" % account.id,
                       {"password": password, "confirm": confirm or password}, **kwargs)


def test_reset_password_ends_sessions_and_swaps_password(app, login, db):
    specialist = login("specialist")
    assert specialist.get("/").status_code == 200
    target = user("specialist")
    models.User.update(locked_until=models.now() + dt.timedelta(minutes=10), failed_logins=3).where(
        models.User.id == target.id).execute()

    response = reset(login("admin"), target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/quan-tri/tai-khoan/%d/sua" % target.id

    assert specialist.get("/").status_code == 302  # the open session has ended
    assert fresh_client(app).login("specialist", PASSWORD).status_code == 401
    assert fresh_client(app).login("specialist", NEW_PASSWORD).status_code == 303  # lockout lifted
    row = models.AuditLog.get(models.AuditLog.action == "password_reset", models.AuditLog.object_id == target.id)
    assert json.loads(row.changes)["password_hash"] == [models.MASK, models.MASK]
    assert row.user_id == user("admin").id


@pytest.mark.parametrize("password, confirm, field", [
    ("ngan", "ngan", "password"),
    (NEW_PASSWORD, NEW_PASSWORD + "x", "confirm"),
])
def test_reset_password_validation(login, db, password, confirm, field):
    target = user("specialist")
    response = reset(login("admin"), target, password, confirm)
    assert response.status_code == 422
    assert error_beside(response, field)
    assert user("specialist").password_hash == target.password_hash
    assert user("specialist").session_epoch == target.session_epoch


def test_reset_password_with_htmx_returns_the_section(login, db):
    target = user("leader")
    response = reset(login("admin"), target, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="password-section"' in html and "Đã đặt lại mật khẩu" in html
    assert user("leader").session_epoch == target.session_epoch + 1


def test_admin_resetting_own_password_stays_signed_in(login, db):
    c = login("admin")
    assert reset(c, user("admin")).status_code == 303
    assert c.get("/quan-tri/tai-khoan/").status_code == 200


def test_disable_ends_session_at_once_and_refuses_login(app, login, db):
    specialist = login("specialist")
    target = user("specialist")
    admin = login("admin")
    response = admin.post_form("/quan-tri/tai-khoan/%d/khoa" % target.id)
    assert response.status_code == 303
    assert response.headers["Location"] == "/quan-tri/tai-khoan/"
    assert user("specialist").active is False
    assert specialist.get("/").status_code == 302
    assert fresh_client(app).login("specialist").status_code == 401
    row = models.AuditLog.get(models.AuditLog.action == "disable", models.AuditLog.object_id == target.id)
    assert json.loads(row.changes)["active"] == [True, False]

    assert admin.post_form("/quan-tri/tai-khoan/%d/khoa" % target.id).status_code == 303  # enable again
    assert user("specialist").active is True
    assert fresh_client(app).login("specialist").status_code == 303
    assert models.AuditLog.select().where(models.AuditLog.action == "enable").count() == 1


def test_disable_with_htmx_returns_the_row(login, db):
    target = user("leader")
    page = login("admin")
    button = soup(page.get("/quan-tri/tai-khoan/")).find(id="user-%d" % target.id).find("button")
    assert button.get("hx-confirm") and button["hx-post"] == "/quan-tri/tai-khoan/%d/khoa" % target.id
    response = page.post_form("/quan-tri/tai-khoan/%d/khoa" % target.id, htmx=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and html.strip().startswith('<tr id="user-%d"' % target.id)
    assert "Đã khóa" in html and "Mở khóa" in html


def test_admin_cannot_disable_self(login, db):
    me = user("admin")
    c = login("admin")
    assert soup(c.get("/quan-tri/tai-khoan/")).find(id="user-%d" % me.id).find("button") is None
    response = c.post_form("/quan-tri/tai-khoan/%d/khoa" % me.id)
    assert response.status_code == 403
    assert "Không thể tự khóa" in response.get_data(as_text=True)
    assert user("admin").active is True
    assert c.get("/quan-tri/tai-khoan/").status_code == 200


def test_no_password_or_hash_in_the_audit_log(login, db):
    c = login("admin")
    assert c.post_form("/quan-tri/tai-khoan/moi", user_form()).status_code == 303
    assert reset(c, user("tran.thi.hoa")).status_code == 303
    hashes = [u.password_hash for u in models.User.select()]
    for row in models.AuditLog.select():
        assert "mat-khau-ban-dau" not in row.changes and NEW_PASSWORD not in row.changes
        assert "$argon2" not in row.changes and not any(h in row.changes for h in hashes)
    logged = models.AuditLog.select().where(models.AuditLog.object_type == "user",
                                            models.AuditLog.object_id == user("tran.thi.hoa").id)
    assert {row.action for row in logged} == {"create", "password_reset"}


# ---------------------------------------------------------------- CSRF


def test_posts_without_csrf_token_are_refused(login, db):
    c = login("admin")
    target = user("specialist")
    before = models.AuditLog.select().count()
    assert c.client.post("/quan-tri/don-vi/moi", data=unit_form()).status_code == 400
    assert c.client.post("/quan-tri/tai-khoan/moi", data=user_form()).status_code == 400
    assert c.client.post("/quan-tri/tai-khoan/%d/khoa" % target.id).status_code == 400
    assert c.client.post("/quan-tri/tai-khoan/%d/dat-lai-mat-khau" % target.id,
                         data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 400
    assert c.client.post("/quan-tri/tai-khoan/%d/khoa" % target.id,
                         headers={"HX-Request": "true", "X-CSRFToken": "sai"}).status_code == 400
    after = user("specialist")
    assert after.active and after.password_hash == target.password_hash
    assert not models.Unit.select().where(models.Unit.code == "PHAPCHE").exists()
    assert not models.User.select().where(models.User.username == "tran.thi.hoa").exists()
    assert models.AuditLog.select().count() == before


# ---------------------------------------------------------------- the audit log


def test_audit_log_rows_are_readable(login, db):
    admin = login("admin")
    assert admin.post_form("/quan-tri/don-vi/moi", unit_form()).status_code == 303
    unit = models.Unit.get(models.Unit.code == "PHAPCHE")
    assert admin.post_form("/quan-tri/don-vi/%d/sua" % unit.id,
                           unit_form(name="Phòng Pháp chế và Kiểm tra", version=unit.version)).status_code == 303
    response = login("chief").get("/quan-tri/nhat-ky/?object_type=unit")
    assert response.status_code == 200
    rows = soup(response).select("#audit tbody tr")
    newest = [td.get_text(" ", strip=True) for td in rows[0].find_all("td")]
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", newest[0])
    assert newest[1] == user("admin").full_name
    assert newest[2] == "Cập nhật"
    assert newest[3].startswith("Đơn vị #%d" % unit.id)
    assert "Tên : Phòng Pháp chế → thành Phòng Pháp chế và Kiểm tra" in newest[4]
    created = [td.get_text(" ", strip=True) for td in rows[1].find_all("td")]
    assert created[2] == "Tạo mới"
    assert "Loại : — → thành %s" % models.UNIT_KINDS["content"] in created[4]
    assert "Đang hoạt động : — → thành Có" in created[4]


def test_audit_log_names_actions_in_vietnamese_and_links_records(app, login, db):
    opinion = models.Opinion.select().first()
    dialogue = models.Dialogue.select().first()
    chief, coordinator = user("chief"), user("coordinator")
    with db.atomic():
        models.audit(chief, "view_identity", opinion, summary="Xem người tố cáo")
        models.audit(chief, "transition", dialogue, {"status": ("scheduled", "held")})
        models.audit(chief, "update", dialogue, {"attendees": ([], [chief.id, coordinator.id])})
        models.audit(chief, "update", opinion, {"submitter_name": ("Nguyễn Văn Tố", "Nguyễn Văn Cáo"),
                                                "assigned_unit": (None, user("specialist").unit_id)})
    response = login("coordinator").get("/quan-tri/nhat-ky/?user=%d" % chief.id)
    rows = [tr.find_all("td") for tr in soup(response).select("#audit tbody tr")[:4]]
    with app.test_request_context():
        opinion_url = url_for("opinions.detail_get", opinion_id=opinion.id)
        dialogue_url = url_for("dialogues.detail_get", dialogue_id=dialogue.id)
    update, attendees, transition, view = rows
    assert view[2].get_text(strip=True) == "Xem thông tin người tố cáo"
    assert view[3].find("a")["href"] == opinion_url
    assert transition[2].get_text(strip=True) == "Chuyển trạng thái"
    assert transition[3].find("a")["href"] == dialogue_url
    assert "%s → thành %s" % (models.DIALOGUE_STATUSES["scheduled"], models.DIALOGUE_STATUSES["held"]) in \
        transition[4].get_text(" ", strip=True)
    assert "Người dự : — → thành %s, %s" % (chief.full_name, coordinator.full_name) in \
        attendees[4].get_text(" ", strip=True)
    changes = update[4].get_text(" ", strip=True)
    assert "[bảo mật]" in changes and "Nguyễn Văn Tố" not in changes and "Nguyễn Văn Cáo" not in changes
    assert "Đơn vị xử lý : — → thành %s" % user("specialist").unit.name in changes


def test_audit_log_filters(login, db):
    chief = user("chief")
    old = models.AuditLog.create(at=dt.datetime(2020, 1, 15, 9, 5), user=chief.id, action="update",
                                 object_type="plan", object_id=1, summary="Bản ghi cũ")
    models.AuditLog.create(at=dt.datetime(2020, 1, 16, 0, 0), user=chief.id, action="update",
                           object_type="plan", object_id=1, summary="Ngày sau")
    c = login("coordinator")
    for query in ("date_from=15/01/2020&date_to=15/01/2020", "date_from=2020-01-15&date_to=2020-01-15"):
        response = c.get("/quan-tri/nhat-ky/?" + query)
        assert response.status_code == 200
        rows = soup(response).select("#audit tbody tr")
        assert len(rows) == 1 and "Bản ghi cũ" in rows[0].get_text()
        assert "15/01/2020 09:05" in rows[0].get_text()
    logins = c.get("/quan-tri/nhat-ky/?action=login")
    actions = column(logins, "audit", 2)
    assert actions and set(actions) == {"Đăng nhập"}
    assert old.id  # the row exists; filtering by user leaves only that user's rows
    mine = column(c.get("/quan-tri/nhat-ky/?user=%d" % chief.id), "audit", 1)
    assert mine and set(mine) == {chief.full_name}


@pytest.mark.parametrize("query, field, message", [
    ("date_from=32/01/2020", "date_from", "Ngày không hợp lệ"),
    ("date_to=hom-qua", "date_to", "Ngày không hợp lệ"),
    ("date_from=20/01/2020&date_to=10/01/2020", "date_to", "phải sau hoặc bằng"),
    ("user=abc", "user", "Lựa chọn không hợp lệ"),
])
def test_audit_log_bad_filters_are_shown_beside_the_field(login, query, field, message):
    response = login("chief").get("/quan-tri/nhat-ky/?" + query)
    assert response.status_code == 422
    assert message in error_beside(response, field)
    if field != "user":
        assert soup(response).find(id=field)["value"]  # what was typed is kept


def test_audit_log_is_paginated_newest_first_with_constant_queries(login, db):
    c = login("coordinator")
    with count_queries() as before:
        assert c.get("/quan-tri/nhat-ky/").status_code == 200
    chief = user("chief")
    unit = user("specialist").unit
    base = models.now() + dt.timedelta(days=1)
    models.AuditLog.insert_many([
        {"at": base + dt.timedelta(minutes=i), "user": chief.id, "action": "update", "object_type": "opinion",
         "object_id": i + 1, "summary": "Dòng %d" % i,
         "changes": json.dumps({"assigned_unit": [None, unit.id], "field": [None, 1]})}
        for i in range(120)]).execute()
    with count_queries() as after:
        response = c.get("/quan-tri/nhat-ky/")
    rows = soup(response).select("#audit tbody tr")
    assert len(rows) == 50
    assert "Dòng 119" in rows[0].get_text() and "Dòng 70" in rows[49].get_text()
    assert len(after) <= len(before) + 2  # the names behind referenced ids: one query per table
    page2 = soup(c.get("/quan-tri/nhat-ky/?page=2")).select("#audit tbody tr")
    assert "Dòng 69" in page2[0].get_text()
    with count_queries() as page3:
        c.get("/quan-tri/nhat-ky/?page=3")
    assert len(page3) <= len(before) + 2


def test_audit_log_filter_answers_htmx_with_the_panel(login):
    response = login("chief").hx_get("/quan-tri/nhat-ky/?action=login")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="audit-panel"' in html
