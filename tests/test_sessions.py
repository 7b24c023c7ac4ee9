"""Sessions kept on the server: logout ends the session it came from, "everywhere" ends them all, a
password change ends the others; a copy of a cookie taken before never signs in again."""
import datetime as dt
import json

import pytest
from bs4 import BeautifulSoup

import models
from app import create_app
from tests.conftest import FAST_HASH, PASSWORD, StaffClient, user

COOKIE = "doithoai_session"
NEW_PASSWORD = "mat-khau-moi-rat-dai"


def cookie_of(c):
    return c.client.get_cookie(COOKIE).value


def replay(app, value):
    """A fresh browser holding a copy of a session cookie."""
    thief = app.test_client()
    thief.set_cookie(COOKIE, value)
    return thief


def signed_out(response):
    return response.status_code == 302 and response.headers["Location"].startswith("/dang-nhap")


def test_a_cookie_saved_before_logout_no_longer_signs_in(app, login):
    c = login("coordinator")
    saved = cookie_of(c)
    assert replay(app, saved).get("/").status_code == 200  # the copy works while the session is open
    assert c.logout().status_code == 303
    for path in ("/", "/y-kien/", "/doi-mat-khau", "/xem-truoc/"):
        assert signed_out(replay(app, saved).get(path)), path
    c.client.set_cookie(COOKIE, saved)  # the same browser putting its old cookie back
    assert signed_out(c.get("/"))


def test_a_cookie_saved_before_logout_cannot_post(app, login, db):
    c = login("admin")
    saved, token = cookie_of(c), c.token
    c.logout()
    thief = replay(app, saved)
    response = thief.post("/quan-tri/don-vi/moi", data={"csrf_token": token, "code": "MOI", "name": "Đơn vị mới",
                                                       "kind": "content", "active": "y"})
    assert response.status_code in (302, 400)
    assert not models.Unit.select().where(models.Unit.code == "MOI").exists()


def test_logout_on_one_device_keeps_the_other(login):
    first, second = login("chief"), login("chief")
    assert first.logout().status_code == 303
    assert signed_out(first.get("/"))
    assert second.get("/").status_code == 200
    assert second.get("/y-kien/").status_code == 200


def test_logout_everywhere_ends_every_session_of_the_account(app, login):
    first, second, other = login("leader"), login("leader"), login("coordinator")
    saved = cookie_of(second)
    page = first.get("/doi-mat-khau").get_data(as_text=True)
    assert "Đăng xuất khỏi mọi nơi" in page
    response = first.post_form("/dang-xuat/moi-noi")
    assert response.status_code == 303 and response.headers["Location"] == "/dang-nhap"
    assert signed_out(first.get("/"))
    assert signed_out(second.get("/"))
    assert signed_out(replay(app, saved).get("/"))
    assert other.get("/").status_code == 200  # another account is not touched
    assert StaffClient(app.test_client()).login("leader").status_code == 303  # signing in again works


def test_logout_everywhere_needs_a_token(login):
    c = login("leader")
    assert c.client.post("/dang-xuat/moi-noi").status_code == 400
    assert c.get("/").status_code == 200


def test_the_user_menu_offers_password_change_and_the_logout_page_everywhere(login):
    c = login("specialist")
    soup = BeautifulSoup(c.get("/").get_data(as_text=True), "html.parser")
    assert soup.select_one('.whoami a[href="/doi-mat-khau"]').get_text(strip=True) == "Đổi mật khẩu"
    logout_page = BeautifulSoup(c.get("/dang-xuat").get_data(as_text=True), "html.parser")
    assert logout_page.select_one('form[action="/dang-xuat/moi-noi"] button')


def change(c, current=PASSWORD, password=NEW_PASSWORD, confirm=None):
    return c.post_form("/doi-mat-khau", {"current": current, "password": password,
                                         "confirm": password if confirm is None else confirm})


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app, login, db):
    here, elsewhere = login("unit_head"), login("unit_head")
    saved = cookie_of(elsewhere)
    assert here.get("/doi-mat-khau").status_code == 200
    response = change(here)
    assert response.status_code == 303
    page = here.get(response.headers["Location"])
    assert page.status_code == 200 and "Đã đổi mật khẩu" in page.get_data(as_text=True)
    assert signed_out(elsewhere.get("/"))
    assert signed_out(replay(app, saved).get("/"))
    assert StaffClient(app.test_client()).login("unit_head", PASSWORD).status_code == 401
    assert StaffClient(app.test_client()).login("unit_head", NEW_PASSWORD).status_code == 303
    row = models.AuditLog.get(models.AuditLog.action == "password_change")
    assert row.user_id == user("unit_head").id and row.object_id == user("unit_head").id
    assert json.loads(row.changes)["password_hash"] == [models.MASK, models.MASK]
    assert NEW_PASSWORD not in row.changes and user("unit_head").password_hash not in row.changes


@pytest.mark.parametrize("current, password, confirm, field, message", [
    ("sai-mat-khau", NEW_PASSWORD, NEW_PASSWORD, "current", "Mật khẩu hiện tại không đúng."),
    ("", NEW_PASSWORD, NEW_PASSWORD, "current", "Vui lòng nhập mật khẩu hiện tại."),
    (PASSWORD, "ngan", "ngan", "password", "Mật khẩu cần ít nhất 10 ký tự."),
    (PASSWORD, "x" * 201, "x" * 201, "password", "Mật khẩu tối đa 200 ký tự."),
    (PASSWORD, "", "", "password", "Vui lòng nhập mật khẩu."),
    (PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm", "Hai lần nhập mật khẩu không khớp."),
    (PASSWORD, PASSWORD, PASSWORD, "password", "Mật khẩu mới cần khác mật khẩu hiện tại."),
])
def test_password_change_refuses_with_the_message_beside_the_field(login, db, current, password, confirm, field,
                                                                    message):
    here, elsewhere = login("specialist"), login("specialist")
    before = user("specialist").password_hash
    response = change(here, current, password, confirm)
    assert response.status_code == 422
    soup = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    beside = soup.select_one("#%s-error" % field)
    assert beside is not None and beside.get_text(strip=True) == message
    assert soup.select_one("#%s" % field)["aria-describedby"] == "%s-error" % field
    assert password not in response.get_data(as_text=True) or password == ""  # passwords are not echoed
    assert user("specialist").password_hash == before
    assert elsewhere.get("/").status_code == 200  # nothing ended
    assert not models.AuditLog.select().where(models.AuditLog.action == "password_change").exists()


def test_password_change_needs_login(client):
    response = client.get("/doi-mat-khau")
    assert signed_out(response)
    client.refresh_token()
    response = client.post("/doi-mat-khau", data={"csrf_token": client.token, "current": PASSWORD,
                                                  "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert signed_out(response)


def test_sessions_are_stored_on_the_server_without_the_cookie_id(login, db):
    c = login("chief")
    with c.client.session_transaction() as session:
        sid = session["sid"]
    rows = list(models.UserSession.select().where(models.UserSession.user == user("chief").id))
    assert len(rows) == 1 and rows[0].ended_at is None
    assert sid not in rows[0].key  # only a hash of the cookie's id is kept
    c.logout()
    assert models.UserSession.get_by_id(rows[0].key).ended_at is not None


def test_a_session_idle_on_the_server_ends_even_with_a_fresh_cookie(login, db):
    c = login("chief")
    old = models.now() - dt.timedelta(minutes=45)
    models.UserSession.update(last_seen_at=old).execute()
    assert signed_out(c.get("/"))
    assert "Phiên làm việc đã kết thúc" in c.get("/dang-nhap").get_data(as_text=True)


def test_a_logout_holds_for_every_worker(app, login):
    """Two workers (two app instances on one database): a logout on one ends the session on the other."""
    other_worker = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "PASSWORD_HASH": FAST_HASH,
                               "DATABASE_URL": app.config["DATABASE_URL"]})
    c = login("coordinator")
    saved = cookie_of(c)
    assert replay(other_worker, saved).get("/").status_code == 200
    c.logout()
    assert signed_out(replay(other_worker, saved).get("/"))


def test_guessing_the_current_password_is_slowed_down_like_a_login(login, db):
    """A borrowed session cannot try current passwords faster than the login form allows."""
    here = login("coordinator")
    for _ in range(4):
        assert change(here, current="doan-bua").status_code == 422
    fifth = change(here, current="doan-bua")
    beside = BeautifulSoup(fifth.get_data(as_text=True), "html.parser").select_one("#current-error")
    assert "Vui lòng chờ" in beside.get_text()
    right = change(here)  # even the right one waits now
    assert right.status_code == 422 and "Vui lòng chờ" in right.get_data(as_text=True)
    assert user("coordinator").failed_logins == 5
    assert not models.AuditLog.select().where(models.AuditLog.action == "password_change").exists()
