"""The login's defences: `next` stays on this site, unknown names cost the same work, failures slow a name
down without locking out its owner, and an address that fails too often gets 429."""
import datetime as dt
import re
import unicodedata
from urllib.parse import unquote, urljoin, urlsplit

import argon2
import pytest
from argon2 import PasswordHasher
from bs4 import BeautifulSoup

import models
from app import create_app
from services import accounts
from tests.conftest import FAST_HASH, PASSWORD, StaffClient, user

HOSTILE_NEXT = [
    "/\t/other.example/x", "/%09/other.example/", "\t//other.example/", "/\r\n/evil.example/", "/%0d%0a/evil.example",
    "/\n/evil.example", "/\r/evil.example", "/%0a/evil", "/x%0d%0aSet-Cookie:%20a=b", "/x\r\nSet-Cookie: a=b",
    "/\\evil.example", "\\/evil.example", "\\\\evil.example", "/\\/evil.example", "/%5Cevil.example",
    "/%5C%5Cevil.example", "/%255Cevil.example", "//evil.example", "///evil.example", "////evil.example",
    "/%2F%2Fevil.example", "/%2f/evil.example", "https:evil.example", "https://evil.example/", "http:/evil.example",
    "HTTPS://evil.example", "javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,<b>x</b>",
    "/\uff0f/evil.example", "\uff0f\uff0fevil.example", "/\uff3cevil.example", "/%EF%BC%8F/evil.example",
    "/\u2024/evil.example", "/\x00/evil", "/%00", " //evil.example", "%2F%2Fevil.example", "/" + "a" * 5000,
    "/y-kien/?q=" + "x" * 3000, "/đối-thoại/\u202e", "/?next=//evil.example", "",
]


def same_site_path(location):
    """What a browser would make of a Location: a path on this host, never another one."""
    cleaned = re.sub(r"[\t\r\n]", "", location)
    assert cleaned.isascii(), location
    assert cleaned.startswith("/") and not cleaned.startswith("//"), location
    assert "\\" not in cleaned, location
    parts = urlsplit(cleaned)
    assert not parts.scheme and not parts.netloc, location
    for spelling in (unquote(cleaned), unicodedata.normalize("NFKC", unquote(cleaned))):
        path = re.split(r"[?#]", spelling, maxsplit=1)[0]
        assert not path.startswith("//") and "\\" not in path, location
    assert urlsplit(urljoin("https://staff.example/dang-nhap", cleaned)).netloc == "staff.example", location


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_after_login_stays_on_this_site(client, target):
    client.refresh_token()
    response = client.post("/dang-nhap", data={"username": "chief", "password": PASSWORD, "next": target,
                                               "csrf_token": client.token})
    assert response.status_code == 303
    same_site_path(response.headers["Location"])


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_through_the_login_form_stays_on_this_site(client, target):
    page = client.get("/dang-nhap", query_string={"next": target})
    assert page.status_code == 200
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    carried = soup.select_one('input[name="next"]')["value"]
    if carried:
        same_site_path(carried)
    client.token = soup.select_one('input[name="csrf_token"]')["value"]
    response = client.post("/dang-nhap", data={"username": "chief", "password": PASSWORD, "next": carried,
                                               "csrf_token": client.token})
    assert response.status_code == 303
    same_site_path(response.headers["Location"])
    again = client.get("/dang-nhap", query_string={"next": target})  # signed in: straight on
    assert again.status_code == 302
    same_site_path(again.headers["Location"])


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_next_with_a_wrong_password_gives_the_form_again(client, target):
    client.refresh_token()
    response = client.post("/dang-nhap", data={"username": "chief", "password": "sai", "next": target,
                                               "csrf_token": client.token})
    assert response.status_code == 401
    carried = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one('input[name="next"]')["value"]
    if carried:
        same_site_path(carried)


@pytest.mark.parametrize("target, expected", [
    ("/y-kien/?status=received", "/y-kien/?status=received"),
    ("/y-kien/?q=Nguy%E1%BB%85n", "/y-kien/?q=Nguy%E1%BB%85n"),
    ("/doi-thoai/12", "/doi-thoai/12"),
    ("/y-kien/?q=Nguyễn", "/y-kien/?q=Nguy%E1%BB%85n"),
])
def test_a_page_of_this_site_is_where_login_goes_on(client, target, expected):
    client.refresh_token()
    response = client.post("/dang-nhap", data={"username": "chief", "password": PASSWORD, "next": target,
                                               "csrf_token": client.token})
    assert response.headers["Location"] == expected


def test_login_required_sends_back_to_the_page_asked_for(client):
    response = client.get("/y-kien/?status=received")
    page = client.get(response.headers["Location"])
    client.token = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one(
        'input[name="csrf_token"]')["value"]
    carried = BeautifulSoup(page.get_data(as_text=True), "html.parser").select_one('input[name="next"]')["value"]
    response = client.post("/dang-nhap", data={"username": "chief", "password": PASSWORD, "next": carried,
                                               "csrf_token": client.token})
    assert response.headers["Location"] == "/y-kien/?status=received"


# ---------------------------------------------------------------- the same work for every name


@pytest.fixture
def verify_calls(monkeypatch):
    """The hashes the login checked a password against (PasswordHasher.verify wrapped)."""
    calls = []
    original = PasswordHasher.verify

    def counting(self, stored, password):
        calls.append(stored)
        return original(self, stored, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


@pytest.mark.parametrize("username", ["khong-co-ai", "CHIEF", "chief ", "x" * 300, "nguyễn", "a\x00b", ""])
def test_an_unknown_name_is_checked_against_a_hash_like_a_real_one(client, db, verify_calls, username):
    response = client.login(username, "sai-mat-khau")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert len(verify_calls) == 1
    real = client.login("chief", "sai-mat-khau")
    assert len(verify_calls) == 2
    assert argon2.extract_parameters(verify_calls[0]) == argon2.extract_parameters(verify_calls[1])
    same = BeautifulSoup(real.get_data(as_text=True), "html.parser").select_one("#login-error").get_text()
    assert same == BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#login-error").get_text()


def test_a_disabled_account_is_checked_like_any_other(client, db, verify_calls):
    models.User.update(active=False).where(models.User.username == "leader").execute()
    for password in ("sai-mat-khau", PASSWORD):
        response = client.login("leader", password)
        assert response.status_code == 401
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert len(verify_calls) == 2


def test_the_dummy_hash_follows_the_configured_parameters(db):
    assert argon2.extract_parameters(accounts._dummy_hash(FAST_HASH)) == argon2.extract_parameters(
        accounts.hash_password("x", FAST_HASH))
    assert argon2.extract_parameters(accounts._dummy_hash({})) == argon2.extract_parameters(
        accounts.hash_password("x"))


# ---------------------------------------------------------------- slowing names down, stopping addresses


@pytest.fixture
def clock(monkeypatch):
    """The login's clock, moved on by hand: clock.advance(seconds=6)."""
    class Clock:
        at = models.now()

        def advance(self, **kwargs):
            self.at += dt.timedelta(**kwargs)

    fake = Clock()
    monkeypatch.setattr(accounts, "now", lambda: fake.at)
    return fake


def from_address(app, address):
    c = StaffClient(app.test_client())
    c.client.environ_base["REMOTE_ADDR"] = address
    return c


def error_text(response):
    found = BeautifulSoup(response.get_data(as_text=True), "html.parser").select_one("#login-error")
    return found.get_text(strip=True) if found else ""


def test_failures_from_one_address_do_not_lock_the_owner_out(app, db, clock):
    attacker, owner = from_address(app, "203.0.113.9"), from_address(app, "10.1.2.3")
    for _ in range(5):
        assert attacker.login("chief", "doan-bua").status_code == 401
    waiting = owner.login("chief")  # the right password at once: asked to wait a few seconds, not 15 minutes
    assert waiting.status_code == 401
    assert re.search(r"Vui lòng chờ \d+ giây", error_text(waiting))
    clock.advance(seconds=6)
    assert owner.login("chief").status_code == 303
    assert owner.get("/").status_code == 200
    assert user("chief").locked_until is None and user("chief").failed_logins == 0


def test_a_delay_of_zero_in_the_settings_lets_the_right_password_in_at_once(app, db):
    app.config["LOGIN_DELAY_SECONDS"] = 0
    attacker, owner = from_address(app, "203.0.113.9"), from_address(app, "10.1.2.3")
    for _ in range(5):
        attacker.login("chief", "doan-bua")
    assert owner.login("chief").status_code == 303


def test_the_delay_grows_with_each_failure_and_is_capped(app, db, clock, verify_calls):
    attacker = from_address(app, "203.0.113.9")
    for _ in range(5):
        attacker.login("coordinator", "doan-bua")
    waits = []
    for _ in range(8):
        refused = attacker.login("coordinator", "doan-bua")  # within the delay: refused without a check
        assert refused.status_code == 401
        seconds = int(re.search(r"chờ (\d+) (giây|phút)", error_text(refused)).group(1))
        unit = re.search(r"chờ \d+ (giây|phút)", error_text(refused)).group(1)
        waits.append(seconds * (60 if unit == "phút" else 1))
        calls = len(verify_calls)
        assert attacker.login("coordinator", "doan-bua").status_code == 401
        assert len(verify_calls) == calls  # no hashing while the name waits
        clock.advance(seconds=waits[-1])
        attacker.login("coordinator", "doan-bua")  # a real failure: the next delay doubles
        assert len(verify_calls) == calls + 1
    assert waits[:4] == [5, 10, 20, 40]
    assert max(waits) == 300 and waits[-1] == 300
    clock.advance(seconds=301)
    assert from_address(app, "10.1.2.3").login("coordinator").status_code == 303


def test_unknown_and_real_names_are_slowed_down_alike(app, db, clock):
    attacker = from_address(app, "203.0.113.9")
    answers = {}
    for name in ("chief", "khong-co-ai"):
        texts = [error_text(attacker.login(name, "doan-bua")) for _ in range(6)]
        answers[name] = [re.sub(r"\d+", "N", text) for text in texts]
    assert answers["chief"] == answers["khong-co-ai"]
    assert "tạm khóa" in answers["chief"][-1]


def test_an_admin_reset_lifts_the_delay(app, db, login):
    attacker = from_address(app, "203.0.113.9")
    for _ in range(6):
        attacker.login("specialist", "doan-bua")
    admin = login("admin")
    target = user("specialist")
    response = admin.post_form("/quan-tri/tai-khoan/%d/dat-lai-mat-khau" % target.id,
                               {"password": "mat-khau-moi-rat-dai", "confirm": "mat-khau-moi-rat-dai"})
    assert response.status_code == 303
    assert from_address(app, "10.1.2.3").login("specialist", "mat-khau-moi-rat-dai").status_code == 303


def test_many_failures_from_one_address_get_a_vietnamese_429(app, db, clock, verify_calls):
    attacker, colleague = from_address(app, "198.51.100.7"), from_address(app, "10.1.2.3")
    for i in range(20):
        assert attacker.login("ten-%d" % i, "doan-bua").status_code == 401
    calls = len(verify_calls)
    for name, password in (("ten-99", "doan-bua"), ("chief", PASSWORD)):
        response = attacker.login(name, password)
        assert response.status_code == 429
        html = response.get_data(as_text=True)
        assert '<html lang="vi">' in html and "Tạm ngừng đăng nhập" in html
        assert "quá nhiều lần đăng nhập sai" in html
        assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert len(verify_calls) == calls  # no hashing for a stopped address
    assert attacker.get("/").status_code == 302  # not signed in
    assert colleague.login("chief").status_code == 303  # other addresses go on
    clock.advance(minutes=16)
    assert attacker.login("chief").status_code == 303  # the failures aged out


def test_the_limits_are_kept_in_the_database_for_every_worker(app, db):
    attacker = from_address(app, "198.51.100.7")
    for i in range(20):
        attacker.login("ten-%d" % i, "doan-bua")
    assert models.LoginAttempt.select().where(models.LoginAttempt.address == "198.51.100.7").count() == 20
    other_worker = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "PASSWORD_HASH": FAST_HASH,
                               "DATABASE_URL": app.config["DATABASE_URL"]})
    c = StaffClient(other_worker.test_client())
    c.client.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert c.login("chief").status_code == 429


@pytest.mark.parametrize("typed", ["a\x00b", "chief\x00", "\x00", "ad\x1bmin", "spe\u200bcialist\x07"])
def test_a_user_name_with_control_characters_is_stored_without_them(client, db, typed):
    """A failed attempt is stored with the name typed: never with a control character (PostgreSQL refuses a NUL
    in text, which made such a sign-in a 500 there); the login page answers as for any wrong name."""
    response = client.post("/dang-nhap", data={"username": typed, "password": "sai-mat-khau",
                                               "csrf_token": client.refresh_token()})
    assert response.status_code == 401
    stored = [a.username for a in models.LoginAttempt.select()]
    assert stored and not any(any(ord(ch) < 32 for ch in name) for name in stored)
