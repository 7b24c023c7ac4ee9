"""The citizens' intake service alone: checks of the form, robots refused, limits, files by content, codes, lookup."""
import datetime as dt
import io
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import itsdangerous.timed
import pytest
from aiosmtpd.controller import Controller
from bs4 import BeautifulSoup

from intake import models as im
from services import tracking as codes
from services.text import is_blank
from tests.intake_support import (
    ADDRESS,
    CODE,
    CONTENT,
    EMAIL,
    JPEG,
    NAME,
    PDF,
    PNG,
    TITLE,
    Citizen,
    bearer,
    close_intake_db,
    hidden_fields,
    make_app,
    valid_form,
)
from tests.test_remind import Inbox, free_port
from tests.test_site_checks import CANARY, describe, run_vnu

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def intake_app(tmp_path):
    app = make_app(tmp_path)
    yield app
    close_intake_db()


@pytest.fixture
def citizen(intake_app):
    return Citizen(intake_app)


def stored():
    with im.db.connection_context():
        return im.Submission.select().count()


def error_beside(html, field):
    node = BeautifulSoup(html, "html.parser").find(id="%s-error" % field)
    return node.get_text(" ", strip=True) if node else None


# ---------------------------------------------------------------- separation from the internal app

def test_the_intake_app_never_imports_the_internal_models_or_a_staff_view(tmp_path):
    """In a fresh interpreter: build the app, serve every page and the API once, then look at sys.modules."""
    script = (
        "import sys\n"
        "from tests.intake_support import Citizen, make_app, bearer\n"
        "import pathlib\n"
        "app = make_app(pathlib.Path(%r))\n"
        "c = Citizen(app)\n"
        "assert c.submit().status_code == 303\n"
        "c.lookup(c.receipt_code()); c.get('/tra-cuu/')\n"
        "app.test_client().get('/api/v1/submissions', headers=bearer())\n"
        "bad = sorted(m for m in sys.modules if m in ('models', 'app', 'filters', 'publication', 'commands')\n"
        "             or m.startswith(('views', 'forms', 'demo', 'sitebuild')))\n"
        "print('LOADED', bad)\n" % str(tmp_path))
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "LOADED []" in result.stdout, result.stdout


# ---------------------------------------------------------------- the form

def test_the_form_has_every_field_labelled_and_the_consent_text(citizen):
    html = citizen.get("/").get_data(as_text=True)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.html["lang"] == "vi"
    names = {tag["name"] for tag in soup.select("form input, form select, form textarea")}
    assert {"kind", "full_name", "phone", "email", "address", "title", "content", "attachments", "consent",
            "csrf_token", "website", "started"} <= names
    for tag in soup.select("form input:not([type=hidden]), form textarea, form select"):
        assert soup.find("label", attrs={"for": tag["id"]}), tag
    consent = soup.find(id="consent-text").get_text(" ", strip=True)
    for words in ("Mục đích", "Bên xử lý", "Thời gian lưu", "30 ngày", "91/2025/QH15", "rút lại sự đồng ý"):
        assert words in consent


def test_a_valid_request_gives_a_receipt_with_a_code_not_in_its_url(citizen):
    response = citizen.submit(files=[(io.BytesIO(PDF), "don.pdf")])
    assert response.status_code == 303
    assert response.headers["Location"] == "/bien-nhan/"
    code = citizen.receipt_code()
    assert CODE.fullmatch(code)
    with im.db.connection_context():
        row = im.Submission.get(im.Submission.code == code)
        assert (row.full_name, row.phone, row.email, row.kind) == (NAME, "+84912345678", EMAIL, "dialogue_request")
        assert row.consent_version and row.consent_at is not None
        assert [f.filename for f in row.files] == ["don.pdf"]
    page = citizen.get("/bien-nhan/").get_data(as_text=True)
    assert "Giấy biên nhận" in page and "Đề nghị đối thoại trực tiếp" in page and "/tra-cuu/" in page


def test_the_receipt_page_without_a_request_goes_back_to_the_form(citizen):
    response = citizen.get("/bien-nhan/")
    assert response.status_code == 302 and response.headers["Location"] == "/"


LONG = "x" * 5001
CASES = [
    ("kind", {"kind": ""}, "Vui lòng chọn loại yêu cầu"),
    ("kind", {"kind": "complaint"}, "Vui lòng chọn loại yêu cầu"),
    ("full_name", {"full_name": "   "}, "Vui lòng nhập họ và tên"),
    ("full_name", {"full_name": "A" * 201}, "Tối đa 200 ký tự"),
    ("phone", {"phone": "12345"}, "không đúng dạng số Việt Nam"),
    ("phone", {"phone": "+1 202 555 0143"}, "không đúng dạng số Việt Nam"),
    ("phone", {"phone": "", "email": ""}, "số điện thoại hoặc thư điện tử"),
    ("email", {"phone": "", "email": ""}, "số điện thoại hoặc thư điện tử"),
    ("email", {"email": "hong.nhung@"}, "Địa chỉ thư điện tử không hợp lệ"),
    ("address", {"address": "đ" * 301}, "Tối đa 300 ký tự"),
    ("title", {"title": "\u200b"}, "Vui lòng nhập tiêu đề"),
    ("title", {"title": "t" * 301}, "Tối đa 300 ký tự"),
    ("content", {"content": ""}, "Vui lòng nhập nội dung"),
    ("content", {"content": LONG}, "Nội dung tối đa 5.000 ký tự (đã nhập 5.001)"),
    ("consent", {"consent": None}, "Cần đồng ý"),
    ("consent", {"consent": "no"}, "Cần đồng ý"),
]


@pytest.mark.parametrize("field, changes, message", CASES)
def test_each_refusal_is_beside_its_field_and_the_form_keeps_what_was_typed(citizen, field, changes, message):
    response = citizen.submit(valid_form(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in (error_beside(html, field) or "")
    soup = BeautifulSoup(html, "html.parser")
    target = soup.find(id=field) or soup.find(id="kind-dialogue_request")
    assert "%s-error" % field in (target.get("aria-describedby") or target.find_parent("fieldset").get(
        "aria-describedby") or "")
    typed = valid_form(**changes)
    kept = {k: v for k, v in typed.items() if k in ("full_name", "title", "address") and not is_blank(v)}
    for name, value in kept.items():
        assert soup.find(id=name)["value"] == value.strip()
    assert soup.find(id="content").get_text() == valid_form(**changes).get("content", "")
    assert stored() == 0
    assert CODE.search(html) is None


def test_a_phone_alone_or_an_email_alone_is_enough(citizen):
    assert citizen.submit(valid_form(email="")).status_code == 303
    assert citizen.submit(valid_form(phone="", email="mot.nguoi@example.vn")).status_code == 303
    assert stored() == 2


def test_the_field_must_be_one_of_the_pushed_list(intake_app, citizen):
    with im.db.connection_context():
        im.FieldChoice.replace_all([{"code": "thu-tuc", "name": "Thủ tục hành chính"}])
    response = citizen.submit(valid_form(field="khong-co"))
    assert response.status_code == 422
    assert "Vui lòng chọn lĩnh vực" in error_beside(response.get_data(as_text=True), "field")
    assert citizen.submit(valid_form(field="thu-tuc")).status_code == 303
    with im.db.connection_context():
        assert im.Submission.get().field_code == "thu-tuc"


# ---------------------------------------------------------------- robots: honeypot and fill time

def test_the_honeypot_refuses_without_a_code_and_stores_nothing(citizen):
    response = citizen.submit(valid_form(website="http://spam.example"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Không gửi được yêu cầu" in html and CODE.search(html) is None
    assert stored() == 0
    assert BeautifulSoup(html, "html.parser").find(id="full_name")["value"] == NAME


def test_a_form_sent_faster_than_the_minimum_fill_time_is_refused(tmp_path, monkeypatch):
    app = make_app(tmp_path, INTAKE_MIN_FILL_SECONDS=3)
    citizen = Citizen(app)
    response = citizen.submit()
    assert response.status_code == 400
    assert "quá nhanh" in response.get_data(as_text=True)
    assert stored() == 0
    # The same form shown 10 seconds ago passes.
    real = time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real() - 10)
    hidden = hidden_fields(citizen.get("/").get_data(as_text=True))
    monkeypatch.setattr(itsdangerous.timed.time, "time", real)
    assert citizen.submit(hidden=hidden).status_code == 303
    assert stored() == 1


def test_a_post_without_a_signed_start_time_or_csrf_token_is_refused(citizen):
    hidden = hidden_fields(citizen.get("/").get_data(as_text=True))
    assert citizen.submit(hidden={"csrf_token": hidden["csrf_token"], "started": "forged"}).status_code == 400
    assert citizen.submit(hidden={"started": hidden["started"]}).status_code == 400
    assert stored() == 0


# ---------------------------------------------------------------- attachments by content

def test_attachments_are_judged_by_content_not_by_name(citizen):
    response = citizen.submit(files=[(io.BytesIO(b"MZ\x90\x00 not a pdf"), "giay-to.pdf")])
    assert response.status_code == 422
    assert "không phải PDF, JPEG hoặc PNG" in error_beside(response.get_data(as_text=True), "attachments")
    assert stored() == 0
    response = citizen.submit(files=[(io.BytesIO(PNG), "anh.txt"), (io.BytesIO(JPEG), "chup"),
                                     (io.BytesIO(PDF), "x.exe")])
    assert response.status_code == 303
    with im.db.connection_context():
        files = list(im.SubmissionFile.select().order_by(im.SubmissionFile.position))
    assert [f.content_type for f in files] == ["image/png", "image/jpeg", "application/pdf"]
    assert bytes(files[0].data) == PNG


def test_at_most_three_files_of_five_megabytes(citizen):
    four = [(io.BytesIO(PDF), "%d.pdf" % i) for i in range(4)]
    response = citizen.submit(files=four)
    assert "tối đa 3 tệp" in error_beside(response.get_data(as_text=True), "attachments")
    big = PDF + b"0" * (5 * 1024 * 1024)
    response = citizen.submit(files=[(io.BytesIO(big), "lon.pdf")])
    assert "lớn hơn 5 MB" in error_beside(response.get_data(as_text=True), "attachments")
    assert stored() == 0


# ---------------------------------------------------------------- codes

def test_codes_have_the_prefix_three_groups_of_crockford_and_sixty_bits():
    assert codes.BITS >= 60
    drawn = {codes.new_code() for _ in range(20000)}
    assert len(drawn) == 20000
    assert all(re.fullmatch(r"YC-[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){2}", c) for c in drawn)
    # every symbol of the alphabet turns up somewhere: the bits are spread over all 12 places
    assert set("".join(drawn).replace("YC-", "").replace("-", "")) == set(codes.ALPHABET)


@pytest.mark.parametrize("typed, code", [
    ("YC-7K3M-9QXD-4F2A", "YC-7K3M-9QXD-4F2A"),
    ("yc 7k3m 9qxd 4f2a", "YC-7K3M-9QXD-4F2A"),
    ("7K3M9QXD4F2A", "YC-7K3M-9QXD-4F2A"),
    ("  YC–7K3M–9QXD–4F2A ", "YC-7K3M-9QXD-4F2A"),
    ("YC-IL0O-9QXD-4F2A", "YC-1100-9QXD-4F2A"),
    ("YC-il0o-9qxd-4f2a", "YC-1100-9QXD-4F2A"),
    ("YC-7K3M-9QXD-4F2U", None),
    ("YC-7K3M-9QXD", None),
    ("", None),
])
def test_typed_codes_are_read_the_crockford_way(typed, code):
    assert codes.normalize(typed) == code


def test_a_drawn_code_already_taken_is_drawn_again(citizen, monkeypatch):
    draws = iter(["YC-AAAA-AAAA-AAAA", "YC-AAAA-AAAA-AAAA", "YC-BBBB-BBBB-BBBB"])
    monkeypatch.setattr(codes, "new_code", lambda: next(draws))
    assert citizen.submit().status_code == 303
    assert citizen.submit().status_code == 303
    with im.db.connection_context():
        assert sorted(s.code for s in im.Submission.select()) == ["YC-AAAA-AAAA-AAAA", "YC-BBBB-BBBB-BBBB"]


# ---------------------------------------------------------------- lookup

def test_the_lookup_shows_the_status_and_no_personal_data(citizen):
    citizen.submit(files=[(io.BytesIO(PDF), "so-do-thua-dat.pdf")])
    code = citizen.receipt_code()
    response = citizen.lookup(code.lower().replace("-", " ").replace("1", "l"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert code in html and "Đã tiếp nhận" in html and "Văn phòng đang xem xét" in html
    assert "Đề nghị đối thoại trực tiếp" in html
    for secret in (NAME, "0912", "345 678", "+8491", EMAIL, ADDRESS, TITLE, CONTENT, "so-do-thua-dat"):
        assert secret not in html


def test_the_lookup_code_travels_in_the_body_and_unknown_codes_are_told_apart(citizen):
    assert citizen.get("/tra-cuu/?code=YC-7K3M-9QXD-4F2A").get_data(as_text=True).count("YC-7K3M") == 1  # hint only
    response = citizen.lookup("YC-7K3M-9QXD-4F2A")
    assert response.status_code == 404
    assert "Không tìm thấy yêu cầu có mã YC-7K3M-9QXD-4F2A" in error_beside(response.get_data(as_text=True), "code")
    response = citizen.lookup("abc")
    assert response.status_code == 422
    assert "gồm “YC-” và 12 ký tự" in error_beside(response.get_data(as_text=True), "code")


def test_a_scheduled_request_shows_date_time_and_place(intake_app, citizen):
    citizen.submit()
    code = citizen.receipt_code()
    api = intake_app.test_client()
    response = api.post("/api/v1/statuses", headers=bearer(), json={"statuses": [
        {"code": code, "status": "scheduled", "status_at": "2026-05-04T08:00:00",
         "dialogue_at": "2026-05-12T14:30:00", "dialogue_place": "Phòng họp số 2, Văn phòng UBND tỉnh",
         "public_note": ""}]})
    assert response.json == {"created": 0, "updated": 1}
    html = citizen.lookup(code).get_data(as_text=True)
    assert "Đã lên lịch đối thoại" in html and "14:30 ngày 12/05/2026" in html and "Phòng họp số 2" in html


# ---------------------------------------------------------------- rate limits

def test_submissions_are_limited_per_address_an_hour(tmp_path):
    app = make_app(tmp_path, INTAKE_SUBMIT_LIMIT=2)
    citizen = Citizen(app)
    for n in range(2):
        assert citizen.submit(valid_form(phone="09123456%02d" % n, email="")).status_code == 303
    response = citizen.submit(valid_form(phone="0912345699", email=""))
    assert response.status_code == 429
    assert "Quá nhiều yêu cầu" in response.get_data(as_text=True) and response.headers["Retry-After"] == "3600"
    assert stored() == 2
    assert Citizen(app, address="198.51.100.4").submit(valid_form(phone="0912345699", email="")).status_code == 303


def test_submissions_are_limited_per_phone_and_email_even_after_erasure(tmp_path):
    app = make_app(tmp_path, INTAKE_SUBMIT_LIMIT=2)
    for n in range(2):
        assert Citizen(app, address="198.51.100.%d" % n).submit().status_code == 303
    api = app.test_client()
    for row in api.get("/api/v1/submissions", headers=bearer()).json["submissions"]:
        api.post("/api/v1/submissions/%s/ack" % row["code"], headers=bearer())
    same_phone = Citizen(app, address="198.51.100.9").submit(valid_form(email=""))
    assert same_phone.status_code == 429
    same_mail = Citizen(app, address="198.51.100.10").submit(valid_form(phone="", email=EMAIL.upper()))
    assert same_mail.status_code == 429
    with im.db.connection_context():
        keys = [e.key for e in im.RateEvent.select()]
    assert keys and all(re.fullmatch(r"[0-9a-f]{64}", k) for k in keys)  # HMACs, never the values


def test_lookups_are_limited_per_address_a_minute(tmp_path):
    app = make_app(tmp_path, INTAKE_LOOKUP_LIMIT=3)
    citizen = Citizen(app)
    for _ in range(3):
        assert citizen.lookup("YC-7K3M-9QXD-4F2A").status_code == 404
    response = citizen.lookup("YC-7K3M-9QXD-4F2A")
    assert response.status_code == 429 and "Vui lòng thử lại sau 1 phút" in response.get_data(as_text=True)
    assert Citizen(app, address="192.0.2.1").lookup("YC-7K3M-9QXD-4F2A").status_code == 404


def test_behind_a_trusted_proxy_the_forwarded_address_counts(tmp_path):
    app = make_app(tmp_path, INTAKE_LOOKUP_LIMIT=1, TRUSTED_PROXIES=1)
    client = app.test_client()
    token = hidden_fields(client.get("/tra-cuu/").get_data(as_text=True))["csrf_token"]
    for address, expected in (("192.0.2.1", 404), ("192.0.2.2", 404), ("192.0.2.1", 429)):
        response = client.post("/tra-cuu/", data={"csrf_token": token, "code": "YC-7K3M-9QXD-4F2A"},
                               headers={"X-Forwarded-For": address})
        assert response.status_code == expected


# ---------------------------------------------------------------- the API

def test_the_api_refuses_a_missing_or_wrong_token(intake_app):
    client = intake_app.test_client()
    for headers in ({}, bearer("wrong"), {"Authorization": "Basic dGVzdA=="}, bearer("")):
        assert client.get("/api/v1/submissions", headers=headers).status_code == 401
        assert client.post("/api/v1/statuses", headers=headers, json={"statuses": []}).status_code == 401
        assert client.put("/api/v1/fields", headers=headers, json={"fields": []}).status_code == 401
    assert client.get("/api/v1/submissions", headers=bearer()).status_code == 200


def test_an_empty_configured_token_refuses_everyone(tmp_path):
    app = make_app(tmp_path, INTAKE_API_TOKEN="")
    assert app.test_client().get("/api/v1/submissions", headers=bearer("")).status_code == 401


def test_pending_submissions_their_files_and_the_acknowledgement_that_erases(intake_app, citizen):
    citizen.submit(files=[(io.BytesIO(PDF), "don.pdf")])
    api = intake_app.test_client()
    [row] = api.get("/api/v1/submissions", headers=bearer()).json["submissions"]
    assert (row["full_name"], row["phone"], row["content"]) == (NAME, "+84912345678", CONTENT)
    assert row["attachments"][0]["filename"] == "don.pdf"
    got = api.get("/api/v1/submissions/%s/attachments/1" % row["code"], headers=bearer())
    assert got.data == PDF and got.mimetype == "application/pdf"
    assert api.post("/api/v1/submissions/%s/ack" % row["code"], headers=bearer()).json["erased"] is True
    assert api.get("/api/v1/submissions", headers=bearer()).json["submissions"] == []
    assert api.get("/api/v1/submissions/%s/attachments/1" % row["code"], headers=bearer()).status_code == 404
    again = api.post("/api/v1/submissions/%s/ack" % row["code"], headers=bearer())
    assert again.status_code == 200 and again.json["already"] is True
    with im.db.connection_context():
        kept = im.Submission.get()
        assert (kept.full_name, kept.phone, kept.email, kept.address, kept.title, kept.content) == ("",) * 6
        assert im.SubmissionFile.select().count() == 0
    assert "Đã tiếp nhận" in citizen.lookup(row["code"]).get_data(as_text=True)


def test_statuses_for_codes_issued_at_the_counter_are_created(intake_app, citizen):
    api = intake_app.test_client()
    response = api.post("/api/v1/statuses", headers=bearer(), json={"statuses": [
        {"code": "YC-QUAY-0000-0001".replace("U", "V"), "status": "refused", "kind": "petition",
         "received_at": "2026-04-01T09:00:00", "public_note": "Nội dung đã được giải quyết bằng quyết định số 12."}]})
    assert response.json == {"created": 1, "updated": 0}
    html = citizen.lookup("yc-qvay-0000-0001").get_data(as_text=True)
    assert "Không tiếp nhận" in html and "quyết định số 12" in html and "01/04/2026" in html
    assert api.get("/api/v1/submissions", headers=bearer()).json["submissions"] == []
    bad = api.post("/api/v1/statuses", headers=bearer(), json={"statuses": [{"code": "YC-1", "status": "x"}]})
    assert bad.status_code == 400


def test_the_field_list_is_replaced_by_a_put(intake_app, citizen):
    api = intake_app.test_client()
    response = api.put("/api/v1/fields", headers=bearer(), json={"fields": [
        {"code": "a", "name": "Lĩnh vực A"}, {"code": "b", "name": "Lĩnh vực B"}]})
    assert response.json == {"fields": 2}
    options = BeautifulSoup(citizen.get("/").get_data(as_text=True), "html.parser").select("#field option")
    assert [o.get_text() for o in options][1:] == ["Lĩnh vực A", "Lĩnh vực B"]
    assert api.put("/api/v1/fields", headers=bearer(), json={"fields": [{"code": ""}]}).status_code == 400


# ---------------------------------------------------------------- erasure on disk, purge

def raw_bytes(db_file):
    """The database file and its WAL (when there is one), as bytes on disk."""
    wal = db_file.with_name(db_file.name + "-wal")
    return db_file.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.mark.sqlite_only
def test_after_the_acknowledgement_neither_the_file_nor_its_wal_holds_the_person(tmp_path):
    app = make_app(tmp_path)
    db_file = tmp_path / "intake.db"
    # A connection of our own stays open, so the WAL is not removed when the app closes its connection.
    watcher = sqlite3.connect(db_file)
    watcher.execute("SELECT count(*) FROM submission").fetchall()
    citizen = Citizen(app)
    marker_pdf = PDF + ("Tệp của %s" % NAME).encode()
    citizen.submit(files=[(io.BytesIO(marker_pdf), "to-khai.pdf")])
    code = citizen.receipt_code()
    assert (tmp_path / "intake.db-wal").stat().st_size > 0
    assert NAME.encode() in raw_bytes(db_file)  # the check can see the name while it is there
    app.test_client().post("/api/v1/submissions/%s/ack" % code, headers=bearer())
    assert (tmp_path / "intake.db-wal").exists()
    raw = raw_bytes(db_file)
    for secret in (NAME, "+84912345678", EMAIL, ADDRESS, TITLE, CONTENT, "to-khai.pdf"):
        assert secret.encode() not in raw, secret
    assert code.encode() in raw
    watcher.close()


def test_purge_deletes_unacknowledged_requests_older_than_the_setting(intake_app, citizen):
    citizen.submit()
    citizen.submit(valid_form(phone="0987654321", email=""))
    with im.db.connection_context():
        old, new = im.Submission.select().order_by(im.Submission.id)
        im.Submission.update(received_at=im.now() - dt.timedelta(days=31)).where(
            im.Submission.id == old.id).execute()
    result = intake_app.test_cli_runner().invoke(args=["purge"])
    assert result.exit_code == 0 and "Đã xóa 1 yêu cầu" in result.output
    with im.db.connection_context():
        assert [s.code for s in im.Submission.select()] == [new.code]


def test_setup_loads_demo_fields_only_into_an_empty_list(intake_app):
    runner = intake_app.test_cli_runner()
    assert "Đã nạp 5 lĩnh vực mẫu" in runner.invoke(args=["setup", "--demo-fields"]).output
    assert "đã sẵn sàng" in runner.invoke(args=["setup", "--demo-fields"]).output
    with im.db.connection_context():
        assert im.FieldChoice.select().count() == 5


# ---------------------------------------------------------------- the confirmation mail

def test_a_given_email_gets_the_code_and_the_lookup_address_never_the_content(tmp_path):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = make_app(tmp_path, MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port,
                       MAIL_SENDER="Văn phòng UBND tỉnh <tiepnhan@vpubnd.example.vn>",
                       INTAKE_PUBLIC_URL="https://yeucau.example.gov.vn/")
        citizen = Citizen(app)
        citizen.submit()
        code = citizen.receipt_code()
        citizen.submit(valid_form(email="", phone="0987654321"))
    finally:
        controller.stop()
    [message] = inbox.to(EMAIL)
    assert len(inbox.messages) == 1  # no e-mail given, no mail
    body = message.get_body(("plain",)).get_content()
    assert code in message["Subject"] and code in body
    assert "https://yeucau.example.gov.vn/tra-cuu/" in body
    for secret in (TITLE, CONTENT, ADDRESS, "0912"):
        assert secret not in body and secret not in message["Subject"]


# ---------------------------------------------------------------- valid HTML

def test_every_intake_page_is_valid_html(tmp_path):
    app = make_app(tmp_path, INTAKE_LOOKUP_LIMIT=2)
    with im.db.connection_context():
        im.FieldChoice.replace_all([{"code": "khac", "name": "Lĩnh vực khác"}])
    citizen = Citizen(app)
    pages = {"form": citizen.get("/").get_data(as_text=True),
             "form-errors": citizen.submit({"phone": "1", "content": LONG}).get_data(as_text=True),
             "robot": citizen.submit(valid_form(website="x")).get_data(as_text=True)}
    citizen.submit(valid_form(field="khac"), files=[(io.BytesIO(PDF), "don.pdf")])
    pages["receipt"] = citizen.get("/bien-nhan/").get_data(as_text=True)
    pages["lookup"] = citizen.lookup(citizen.receipt_code()).get_data(as_text=True)
    pages["lookup-error"] = citizen.lookup("abc").get_data(as_text=True)
    pages["too-many"] = citizen.lookup("abc").get_data(as_text=True)
    pages["not-found"] = citizen.get("/khong-co/").get_data(as_text=True)
    assert "Quá nhiều yêu cầu" in pages["too-many"] and "Không tìm thấy trang" in pages["not-found"]
    paths = []
    for name, html in pages.items():
        path = tmp_path / ("%s.html" % name)
        path.write_text(html, encoding="utf-8")
        paths.append(path)
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    messages = run_vnu([*paths, canary])
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error") or m.get("subType") == "fatal"]
    assert any(m.get("url", "").endswith("/canary.html") for m in errors), messages
    errors = [m for m in errors if not m.get("url", "").endswith("/canary.html")]
    assert errors == [], "\n".join(describe(m, tmp_path) for m in errors)
