"""Login, logout, sessions, lockout, CSRF and the security headers."""
import datetime as dt
import re

import pytest

import models
from app import create_app
from tests.conftest import FAST_HASH, PASSWORD, ROLES, StaffClient, user


def test_login_page_is_vietnamese(client):
    response = client.get("/dang-nhap")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="vi">' in html
    assert "Đăng nhập" in html


def test_anonymous_is_sent_to_login(client):
    response = client.get("/y-kien/?status=received")
    assert response.status_code == 302
    assert "/dang-nhap?next=" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_each_demo_account_signs_in(client, role):
    response = client.login(role)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert user(role).full_name in page.get_data(as_text=True)


def test_wrong_password_is_refused_and_keeps_username(client):
    response = client.login("specialist", "sai-mat-khau")
    assert response.status_code == 401
    html = response.get_data(as_text=True)
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in html
    assert 'value="specialist"' in html
    assert client.get("/").status_code == 302


def test_repeated_failures_lock_the_account(client, db):
    for _ in range(5):
        client.login("specialist", "sai")
    response = client.login("specialist")  # right password, but locked
    assert response.status_code == 401
    assert "tạm khóa" in response.get_data(as_text=True)
    assert user("specialist").locked_until > models.now()


def test_login_without_csrf_token_is_refused(client):
    response = client.post("/dang-nhap", data={"username": "chief", "password": "doithoai-demo"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_ends_session(login):
    c = login("coordinator")
    assert c.get("/").status_code == 200
    response = c.logout()
    assert response.status_code == 303
    assert c.get("/").status_code == 302


def test_logout_needs_a_post_with_token(login):
    c = login("coordinator")
    assert c.get("/dang-xuat").status_code == 200  # a confirmation form, not a logout
    assert c.get("/").status_code == 200
    assert c.client.post("/dang-xuat").status_code == 400
    assert c.get("/").status_code == 200


def test_idle_session_ends_after_30_minutes(login):
    c = login("chief")
    with c.client.session_transaction() as session:
        session["last_seen"] = (models.now() - dt.timedelta(minutes=31)).isoformat()
    response = c.get("/")
    assert response.status_code == 302
    assert "Phiên làm việc đã kết thúc" in c.get("/dang-nhap").get_data(as_text=True)


def test_disabled_account_loses_its_session_at_once(login, db):
    c = login("specialist")
    models.User.update(active=False).where(models.User.username == "specialist").execute()
    assert c.get("/").status_code == 302
    assert c.login("specialist").status_code == 401


def test_session_cookie_flags(client):
    response = client.login("leader")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_staff_pages_are_not_cached_and_csp_is_strict(login):
    c = login("coordinator")
    response = c.get("/")
    assert response.headers["Cache-Control"] == "no-store"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "HX-Request" in response.headers["Vary"]


def test_passwords_are_hashed_with_argon2(db):
    stored = user("chief").password_hash
    assert stored.startswith("$argon2id$")
    assert "doithoai-demo" not in stored


def test_open_redirect_is_refused(client):
    client.refresh_token()
    response = client.post("/dang-nhap", data={"username": "chief", "password": "doithoai-demo",
                                               "next": "//evil.example/", "csrf_token": client.token})
    assert response.headers["Location"] == "/"


def test_unknown_page_gives_vietnamese_404(login):
    c = login("chief")
    response = c.get("/khong-co")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_static_files_stay_cacheable_for_signed_in_staff(login):
    c = login("coordinator")
    response = c.get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def _login_over(client, base_url):
    client.token = re.search(r'name="csrf_token" value="([^"]+)"',
                             client.get("/dang-nhap", base_url=base_url).get_data(as_text=True)).group(1)
    return client.post("/dang-nhap", base_url=base_url, headers={"Referer": base_url + "/dang-nhap"},
                       data={"username": "leader", "password": PASSWORD, "csrf_token": client.token})


def test_plain_http_cookie_is_not_secure_and_has_no_hsts(client):
    response = _login_over(client, "http://127.0.0.1:5000")
    assert response.status_code == 303
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers
    assert client.get("/", base_url="http://127.0.0.1:5000").status_code == 200  # `make run` works on http


def test_over_https_the_cookie_is_secure_and_hsts_is_sent(client):
    response = _login_over(client, "https://doithoai.example")
    assert response.status_code == 303
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    page = client.get("/", base_url="https://doithoai.example")
    assert page.status_code == 200
    assert int(page.headers["Strict-Transport-Security"].split("=")[1]) >= 180 * 24 * 3600


@pytest.mark.parametrize("variable", ["PREFER_HTTPS", "SESSION_COOKIE_SECURE"])
def test_https_preferred_from_the_environment(app, monkeypatch, variable):
    """Behind a proxy that ends TLS the request looks like http: the setting still marks the cookie Secure."""
    monkeypatch.setenv(variable, "1")
    behind_proxy = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "PASSWORD_HASH": FAST_HASH,
                               "DATABASE_URL": app.config["DATABASE_URL"]})
    c = StaffClient(behind_proxy.test_client())
    response = _login_over(c, "http://127.0.0.1:5000")
    assert response.status_code == 303
    assert "Secure" in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in response.headers
