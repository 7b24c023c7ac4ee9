"""Text and numbers at the boundary: control characters, invisible-only and decomposed text, numbers too large
for the database, date-shaped text on the audit page, and formulas in every CSV and XLSX the apps write."""
import csv
import datetime as dt
import importlib
import io
import json
import pkgutil
import re
import unicodedata
import xml.etree.ElementTree as ET

import docx
import icalendar
import pytest
from openpyxl import load_workbook
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField, PasswordField, SelectMultipleField, StringField

import forms
import models
import publication
from forms import BaseForm, IdSelectField
from migrations import run_migrations
from tests.conftest import ON_POSTGRESQL, raw_sql, user
from tests.test_conclusions import make_conclusion
from tests.test_notices import error_of, make_dialogue, make_notice, make_opinion, reload, soup
from tests.test_opinions import valid_opinion as opinion_data
from views.public import create_public_app

ATOM = "{http://www.w3.org/2005/Atom}"
NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Ánh Tuyết")
assert NFD_NAME != "Nguyễn Thị Ánh Tuyết"  # the payload really is decomposed
DIRTY = [
    pytest.param("Có ký tự NUL\x00 ở giữa câu", id="nul"),
    pytest.param("\x01Bắt đầu bằng SOH, rồi \x02STX và \x03ETX", id="soh"),
    pytest.param("Màu \x1b[31mđỏ\x1b[0m của thiết bị", id="esc"),
    pytest.param("Ký tự DEL\x7f và C1\x85\x9b ở giữa câu", id="del-c1"),
    pytest.param("Tên \u202eđảo chiều\u202c và \u2066cô lập\u2069 trong câu", id="bidi"),
    pytest.param(NFD_NAME + " phản ánh về chỗ để xe", id="nfd"),
    pytest.param("Dòng một\x0bdòng hai\x0cdòng ba\x1fhết dòng", id="vt-ff-us"),
    pytest.param("Dòng một\r\ndòng hai\rdòng ba cuối cùng", id="cr"),
    pytest.param("Ký tự \ufffe và \uffff không phải chữ", id="nonchar"),
    pytest.param("\x00\x08\x0e\x1a\x1b\x7f" + NFD_NAME + "\x00", id="mixed"),
]
INVISIBLE = [
    pytest.param("\u200b", id="zwsp"), pytest.param("\u200c\u200d", id="zwnj-zwj"),
    pytest.param("\u2060", id="word-joiner"), pytest.param("\ufeff", id="bom"),
    pytest.param(" \u200b\u00a0\u2060 ", id="mixed-spaces"), pytest.param("\u3164\u2800", id="fillers"),
    pytest.param("\u00ad\u034f\u180e", id="soft-hyphen-cgj"), pytest.param("\x00\u200b\x1b", id="controls"),
]
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")


def cleaned(text):
    """What the app should store for a typed text (written here, not imported from the app)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", CONTROL.sub("", text)).strip()


def cleaned_line(text):
    """What a one-line field should store: line breaks and tabs posted into it are spaces."""
    return cleaned(text).replace("\n", " ").replace("\t", " ")


def assert_clean(stored):
    assert stored == unicodedata.normalize("NFC", stored), "stored text is not NFC: %r" % stored
    assert not CONTROL.search(stored), "stored text keeps a control character: %r" % stored


def footprint():
    """How many rows each table holds: a refused form leaves every count (the audit log's too) as it was."""
    return {model.__name__: model.select().count() for model in models.MODELS}


def public_site(app):
    public = create_public_app({"DATABASE_URL": app.config["DATABASE_URL"], "TESTING": True,
                                "PUBLIC_BASE_URL": "https://dan-biet.example.vn/"})
    return public.test_client()


def csv_rows(response):
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))


def workbook(response):
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data))


def docx_text(response):
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def dialogue_data(**changes):
    data = {"title": "Đối thoại về đất đai và tái định cư", "kind": "ad_hoc", "audience": "citizens",
            "occasion": "", "plan_id": "", "starts_on": "2022-09-15", "starts_time": "08:30", "ends_on": "",
            "ends_time": "11:00", "place": "Hội trường UBND tỉnh", "chair": "Chánh Văn phòng",
            "description": "Chương trình làm việc.", "is_public": "y"}
    data.update(changes)
    return data


def draft_report():
    return models.Report.select().where(models.Report.status == "draft").first()


# ---------------------------------------------------------------- control characters through the forms

@pytest.mark.parametrize("text", DIRTY)
def test_an_opinion_typed_with_control_characters_is_stored_clean_and_the_register_exports(login, db, text):
    c = login("coordinator")
    response = c.post_form("/y-kien/moi", opinion_data(content="Nội dung: " + text, submitter_name=text,
                                                       submitter_contact=text))
    assert response.status_code == 303, response.get_data(as_text=True)
    opinion = models.Opinion.select().order_by(models.Opinion.id.desc()).first()
    for stored in (opinion.content, opinion.submitter_name, opinion.submitter_contact):
        assert_clean(stored)
    assert opinion.content == cleaned("Nội dung: " + text) and opinion.submitter_name == cleaned_line(text)
    assert c.get("/y-kien/%d" % opinion.id).status_code == 200
    sheet = workbook(c.get("/bao-cao/so-theo-doi.xlsx")).active
    row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == opinion.code)
    assert row[7] == opinion.content
    rows = csv_rows(c.get("/bao-cao/so-theo-doi.csv"))
    assert next(r for r in rows if r[0] == opinion.code)[7] == opinion.content


@pytest.mark.parametrize("text", DIRTY)
def test_a_dialogue_typed_with_control_characters_keeps_the_feed_calendar_and_open_data_readable(
        app, login, db, text):
    c = login("coordinator")
    response = c.post_form("/doi-thoai/moi", dialogue_data(title="Đối thoại: " + text, place=text, chair=text,
                                                           description=text))
    assert response.status_code == 303, response.get_data(as_text=True)
    dialogue = models.Dialogue.select().order_by(models.Dialogue.id.desc()).first()
    for stored in (dialogue.title, dialogue.place, dialogue.chair, dialogue.description):
        assert_clean(stored)
    assert (dialogue.place, dialogue.description) == (cleaned_line(text), cleaned(text))
    assert dialogue.id in {d.id for d in publication.dialogues()}
    site = public_site(app)
    feed = site.get("/feed.xml")
    assert feed.status_code == 200
    titles = [e.findtext(ATOM + "title") for e in ET.fromstring(feed.data).iter(ATOM + "entry")]
    assert any(dialogue.title in title for title in titles)
    calendar = site.get("/lich-doi-thoai.ics")
    assert calendar.status_code == 200
    events = [e for e in icalendar.Calendar.from_ical(calendar.data).walk("VEVENT")
              if e["uid"] == "doi-thoai-%d@dan-biet" % dialogue.id]
    assert events and str(events[0]["location"]) == dialogue.place
    rows = csv_rows(site.get("/du-lieu/lich-doi-thoai.csv"))
    assert str(dialogue.id) in {r[0] for r in rows}
    records = json.loads(site.get("/du-lieu/lich-doi-thoai.json").data)["du_lieu"]
    assert next(r for r in records if r["id"] == dialogue.id)["dia_diem"] == dialogue.place
    assert site.get("/").status_code == 200


@pytest.mark.parametrize("text", DIRTY)
def test_a_notice_typed_with_control_characters_is_stored_clean_and_its_docx_opens(login, db, text):
    dialogue = make_dialogue()
    c = login("coordinator")
    response = c.post_form("/thong-bao/moi?dialogue=%d" % dialogue.id, {
        "title": "Thông báo: " + text, "body_md": "Đoạn một: %s\n\n- Gạch đầu dòng %s" % (text, text),
        "recipients": "Phòng %s\nSở Nội vụ" % text})
    assert response.status_code == 303, response.get_data(as_text=True)
    notice = models.ConclusionNotice.select().order_by(models.ConclusionNotice.id.desc()).first()
    for stored in (notice.title, notice.body_md, notice.recipients):
        assert_clean(stored)
    assert notice.title == cleaned_line("Thông báo: " + text)
    assert notice.title in docx_text(c.get("/thong-bao/%d.docx" % notice.id))
    assert c.get("/thong-bao/%d/in" % notice.id).status_code == 200


@pytest.mark.parametrize("text", DIRTY)
def test_a_report_typed_with_control_characters_is_stored_clean_and_its_files_open(login, db, text):
    report = draft_report()
    c = login("coordinator")
    response = c.post_form("/bao-cao/%d/sua" % report.id, {
        "cutoff": report.cutoff.isoformat(), "narrative_md": "## Kết quả %s\n\nĐoạn: %s" % (text, text),
        "recipients": "Sở %s\nVăn phòng Tỉnh ủy" % text, "version": str(report.version)})
    assert response.status_code == 303, response.get_data(as_text=True)
    saved = reload(report)
    assert_clean(saved.narrative_md)
    assert_clean(saved.recipients)
    assert cleaned("Đoạn: " + text).splitlines()[0] in docx_text(c.get("/bao-cao/%d.docx" % report.id))
    workbook(c.get("/bao-cao/%d.xlsx" % report.id))
    csv_rows(c.get("/bao-cao/%d.csv" % report.id))


# ---------------------------------------------------------------- the writers' own guard

@pytest.mark.parametrize("text", DIRTY)
def test_text_stored_before_the_forms_cleaned_it_still_gives_files_that_open(app, login, db, text):
    """Rows written straight into the database (an older version, an import): every file still opens."""
    if ON_POSTGRESQL and "\x00" in text:
        pytest.skip("PostgreSQL refuses a NUL in text: no stored row can hold one")
    opinion = models.Opinion.select().where(models.Opinion.kind != "denunciation").first()
    models.Opinion.update(content=text, draft_answer=text).where(models.Opinion.id == opinion.id).execute()
    public = next(d for d in publication.dialogues())
    models.Dialogue.update(title="Đối thoại " + text, place=text, chair=text).where(
        models.Dialogue.id == public.id).execute()
    conclusion = publication.conclusions()[0]
    models.Conclusion.update(public_summary="Tóm tắt " + text).where(models.Conclusion.id == conclusion.id).execute()
    unit = models.Unit.get(models.Unit.code == "KTN")
    models.Unit.update(name="Phòng " + text).where(models.Unit.id == unit.id).execute()
    notice = make_notice(title="Thông báo " + text, body_md=text, recipients=text)
    report = draft_report()
    models.Report.update(narrative_md=text, recipients=text).where(models.Report.id == report.id).execute()
    c = login("coordinator")
    sheet = workbook(c.get("/bao-cao/so-theo-doi.xlsx")).active
    assert any(r[0] == opinion.code for r in sheet.iter_rows(min_row=2, values_only=True))
    csv_rows(c.get("/bao-cao/so-theo-doi.csv"))
    docx_text(c.get("/thong-bao/%d.docx" % notice.id))
    docx_text(c.get("/bao-cao/%d.docx" % report.id))
    workbook(c.get("/bao-cao/%d.xlsx" % report.id))
    csv_rows(c.get("/bao-cao/%d.csv" % report.id))
    site = public_site(app)
    feed = site.get("/feed.xml")
    assert feed.status_code == 200
    ET.fromstring(feed.data)
    icalendar.Calendar.from_ical(site.get("/lich-doi-thoai.ics").data)
    for path in ("/du-lieu/ket-luan.csv", "/du-lieu/lich-doi-thoai.csv"):
        body = site.get(path)
        assert body.status_code == 200 and not re.search(b"[\x00-\x08\x0b\x0c\x0e-\x1f]", body.data)
    for path in ("/du-lieu/ket-luan.json", "/du-lieu/lich-doi-thoai.json"):
        json.loads(site.get(path).data)


# ---------------------------------------------------------------- text that shows nothing

@pytest.mark.parametrize("blank", INVISIBLE)
def test_invisible_characters_do_not_make_up_a_minimum_length(login, db, blank):
    """Content needs 10 characters that show: "Ý kiến" (6) padded with invisible ones or spaces is refused, and kept."""
    c = login("coordinator")
    before = footprint()
    typed = "Ý kiến" + (blank * 10)
    response = c.post_form("/y-kien/moi", opinion_data(content=typed))
    assert response.status_code == 422
    assert error_of(response, "content") == "Nội dung cần từ 10 đến 5.000 ký tự."
    assert soup(response).find(id="content").get_text().startswith("Ý kiến")
    assert footprint() == before
    assert c.post_form("/y-kien/moi", opinion_data(content="Ý kiến hay" + blank)).status_code == 303


@pytest.mark.parametrize("blank", INVISIBLE)
def test_a_required_field_of_invisible_characters_only_is_refused(login, db, blank):
    c, admin = login("coordinator"), login("admin")
    dialogue = make_dialogue()
    before = footprint()
    response = c.post_form("/y-kien/moi", opinion_data(content=blank * 12))
    assert response.status_code == 422
    assert error_of(response, "content") == "Vui lòng nhập nội dung ý kiến."
    response = c.post_form("/doi-thoai/moi", dialogue_data(title=blank, place=blank + blank))
    assert response.status_code == 422
    assert error_of(response, "title") == "Vui lòng nhập tên buổi đối thoại."
    assert error_of(response, "place") == "Vui lòng nhập địa điểm."
    assert soup(response).find(id="description").get_text().strip() == "Chương trình làm việc."  # the rest kept
    response = c.post_form("/thong-bao/moi?dialogue=%d" % dialogue.id,
                           {"title": blank, "body_md": "Nội dung đã gõ", "recipients": "Sở Nội vụ"})
    assert response.status_code == 422
    assert error_of(response, "title") == "Vui lòng nhập tiêu đề thông báo."
    response = admin.post_form("/quan-tri/don-vi/moi", {"code": "MOI", "name": blank, "kind": "content",
                                                                 "active": "y"})
    assert response.status_code == 422
    assert error_of(response, "name") == "Vui lòng nhập tên đơn vị."
    assert footprint() == before


# ---------------------------------------------------------------- the migration

@pytest.mark.sqlite_only  # migration 009 cleans SQLite files: PostgreSQL databases began with the forms cleaning
def test_the_migration_cleans_text_already_stored(db):
    opinion = models.Opinion.select().order_by(models.Opinion.id).first()
    untouched = models.Opinion.select().order_by(models.Opinion.id.desc()).first()
    dialogue = models.Dialogue.select().first()
    unit = models.Unit.get(models.Unit.code == "KTN")
    dirty = "Ý kiến\x00 của \x1b[1m" + NFD_NAME + "\x7f\r\nhết\x01"
    raw_sql("UPDATE opinion SET content = ?, submitter_name = ? WHERE id = ?", [dirty, NFD_NAME, opinion.id])
    raw_sql("UPDATE dialogue SET place = ?, description = ? WHERE id = ?", [dirty, "\x0c" + dirty, dialogue.id])
    raw_sql("UPDATE unit SET name = ? WHERE id = ?", ["Phòng\x1f " + NFD_NAME, unit.id])
    raw_sql("INSERT INTO audit_log (at, action, object_type, summary, changes) VALUES (?, ?, ?, ?, ?)",
            [str(models.now()), "update", "unit", "Sửa\x00 " + NFD_NAME, ""])
    raw_sql("DELETE FROM migratehistory WHERE name = ?", ["009_clean_stored_text"])
    assert run_migrations(db) == ["009_clean_stored_text"]
    stored = reload(opinion)
    assert stored.content == "Ý kiến của [1mNguyễn Thị Ánh Tuyết\nhết"
    assert stored.submitter_name == "Nguyễn Thị Ánh Tuyết"
    place, description = raw_sql("SELECT place, description FROM dialogue WHERE id = ?", [dialogue.id]).fetchone()
    assert place == description == "Ý kiến của [1mNguyễn Thị Ánh Tuyết\nhết"
    assert reload(unit).name == "Phòng Nguyễn Thị Ánh Tuyết"
    assert models.AuditLog.select().order_by(models.AuditLog.id.desc()).first().summary == "Sửa Nguyễn Thị Ánh Tuyết"
    assert (reload(untouched).content, reload(untouched).version) == (untouched.content, untouched.version)
    assert stored.version == opinion.version  # cleaning is not an edit


# ---------------------------------------------------------------- the audit page

DATE_SHAPED = ["2026-02-30", "2026-13-01", "2026-02-28T25:61:00", "9999-99-99", "0000-00-00",
               "2026-02-28 10:61", "2026-02-29"]


@pytest.mark.parametrize("role", ["coordinator", "chief"])
def test_the_audit_page_shows_date_shaped_text_as_typed(login, db, role):
    opinion = make_opinion(make_dialogue(), status="assigned")
    c = login("coordinator")
    for value in DATE_SHAPED:
        assert c.post_form("/y-kien/%d/theo-doi" % opinion.id, {"kind": "note", "note": value}).status_code == 303
    dialogue = models.Dialogue.select().first()
    models.audit(user("coordinator"), "update", dialogue, {"place": ("2026-02-30", "9999-99-99"),
                                                           "title": ("2026-13-01", "2026-02-28T25:61:00")})
    # A date column holding what is no date is shown as stored; a real date as a Vietnamese date.
    models.audit(user("coordinator"), "update", opinion, {"deadline": ("2026-02-30", "2026-02-28"),
                                                          "closed_at": ("2026-02-28T25:61:00", "2026-02-28T09:05:00")})
    response = login(role).get("/quan-tri/nhat-ky/")
    assert response.status_code == 200
    text = soup(response).get_text(" ", strip=True)
    for value in DATE_SHAPED:
        assert value in text, value
    assert "28/02/2026" in text and "28/02/2026 09:05" in text
    assert login(role).get("/quan-tri/nhat-ky/", query_string={"object_type": "follow_up"}).status_code == 200


# ---------------------------------------------------------------- numbers too large for the database

HUGE = [str(2 ** 63), str(2 ** 64), str(10 ** 30), "-1", str(-2 ** 63 - 1)]
NOT_A_CHOICE = "Lựa chọn không hợp lệ."


def _opinion_new(value, name):
    return "coordinator", "/y-kien/moi", opinion_data(**{name: value})


def _assign(value, name):
    opinion = models.create_opinion(user("coordinator"), kind="petition", channel="letter", audience="citizens",
                                    content="Đề nghị sửa chữa đường vào khu dân cư.")
    data = {"unit_id": str(user("specialist").unit_id), "assigned_to_id": "", "deadline": "",
            "deadline_days": "10", "deadline_unit": "working", "version": str(opinion.version)}
    data[name] = value
    return "coordinator", "/y-kien/%d/giao" % opinion.id, data


def _followup(value, name):
    opinion = make_opinion(make_dialogue(), status="assigned")
    return "coordinator", "/y-kien/%d/theo-doi" % opinion.id, {"kind": "progress", "note": "Đã làm.", name: value}


def _dialogue_new(value, name):
    return "coordinator", "/doi-thoai/moi", dialogue_data(**{name: value})


def _minutes(value, name):
    dialogue = make_dialogue(status="held")
    data = {"attendance": "40", "discussion": "Trao đổi.", "directions": "", "version": str(dialogue.version)}
    data[name] = value
    return "chief", "/doi-thoai/%d/bien-ban" % dialogue.id, data


def _report_new(value, name):
    return "coordinator", "/bao-cao/moi", {"plan_id": value, "kind": "annual", "cutoff": ""}


def _user_new(value, name):
    data = {"username": "tran.thi.hoa", "full_name": "Trần Thị Hoa", "role": "specialist", "unit_id": value,
            "email": "", "title": "", "password": "mat-khau-ban-dau", "confirm": "mat-khau-ban-dau"}
    return "admin", "/quan-tri/tai-khoan/moi", data


def _user_edit(value, name):
    account = user("specialist")
    data = {"username": account.username, "full_name": account.full_name, "role": "specialist", "unit_id": value,
            "email": account.email, "title": account.title, "version": str(account.version)}
    return "admin", "/quan-tri/tai-khoan/%d/sua" % account.id, data


def _conclusion_new(value, name):
    notice = make_notice(conclusions=0)
    data = {"decision": "Giao phòng rà soát quy trình.", "unit_id": str(user("specialist").unit_id),
            "user_id": "", "deadline_mode": "working", "deadline_on": "", "deadline_days": "10", "field_id": "",
            "public_summary": "", name: value}
    return "coordinator", "/thong-bao/%d/ket-luan/moi" % notice.id, data


def _sign(value, name):
    notice = make_notice(status="submitted")
    return "chief", "/thong-bao/%d/ky" % notice.id, {"number_mode": "manual", "number": value,
                                                     "version": str(notice.version)}


def _progress(value, name):
    c = make_conclusion(unit_code=user("specialist").unit.code)
    data = {"version": str(c.version), "percent_done": "40", "day": models.today().isoformat(),
            "note": "Đã họp với các đơn vị liên quan.", name: value}
    return "specialist", "/ket-luan/%d/tien-do" % c.id, data


def _proposal_new(value, name):
    return "coordinator", "/de-xuat/moi", {"agency_id": value, "title": "Đề xuất đối thoại",
                                           "content": "Nội dung đề xuất.", "document_ref": "12/SNV",
                                           "received_on": models.today().isoformat()}


NUMBER_FORMS = [
    pytest.param(_opinion_new, "field_id", id="opinion-field"),
    pytest.param(_opinion_new, "dialogue_id", id="opinion-dialogue"),
    pytest.param(_assign, "unit_id", id="assign-unit"),
    pytest.param(_assign, "assigned_to_id", id="assign-person"),
    pytest.param(_assign, "deadline_days", id="assign-days"),
    pytest.param(_assign, "version", id="assign-version"),
    pytest.param(_followup, "percent_done", id="followup-percent"),
    pytest.param(_dialogue_new, "plan_id", id="dialogue-plan"),
    pytest.param(_dialogue_new, "field_ids", id="dialogue-fields"),
    pytest.param(_dialogue_new, "attendee_ids", id="dialogue-attendees"),
    pytest.param(_minutes, "attendance", id="minutes-attendance"),
    pytest.param(_minutes, "version", id="minutes-version"),
    pytest.param(_report_new, "plan_id", id="report-plan"),
    pytest.param(_user_new, "unit_id", id="user-new-unit"),
    pytest.param(_user_edit, "unit_id", id="user-edit-unit"),
    pytest.param(_conclusion_new, "unit_id", id="conclusion-unit"),
    pytest.param(_conclusion_new, "user_id", id="conclusion-person"),
    pytest.param(_conclusion_new, "field_id", id="conclusion-field"),
    pytest.param(_conclusion_new, "deadline_days", id="conclusion-days"),
    pytest.param(_conclusion_new, "opinion_ids", id="conclusion-opinions"),
    pytest.param(_sign, "number", id="sign-number"),
    pytest.param(_progress, "percent_done", id="progress-percent"),
    pytest.param(_progress, "version", id="progress-version"),
    pytest.param(_proposal_new, "agency_id", id="proposal-agency"),
]


@pytest.mark.parametrize("make, name", NUMBER_FORMS)
def test_a_number_too_large_for_the_database_is_a_field_error(login, db, make, name):
    for value in HUGE:
        role, url, data = make(value, name)
        client = login(role)
        before = footprint()
        response = client.post_form(url, data)
        assert response.status_code in (400, 409, 422), (name, value, response.status_code)
        assert "Lỗi hệ thống" not in response.get_data(as_text=True)
        assert footprint() == before, (name, value)
        if response.status_code == 422 and name != "version":
            errors = [p.get_text(strip=True) for p in soup(response).select(".error")]
            assert errors, (name, value)


@pytest.mark.parametrize("value", HUGE)
def test_an_id_beyond_the_database_is_not_a_valid_choice(login, db, value):
    c = login("coordinator")
    response = c.post_form("/y-kien/moi", opinion_data(field_id=value))
    assert response.status_code == 422 and error_of(response, "field_id") == NOT_A_CHOICE
    response = c.post_form("/doi-thoai/moi", dialogue_data(plan_id=value))
    assert response.status_code == 422 and error_of(response, "plan_id") == NOT_A_CHOICE
    dialogue = make_dialogue(status="held")
    response = login("chief").post_form("/doi-thoai/%d/bien-ban" % dialogue.id, {
        "attendance": value, "discussion": "", "directions": "", "version": str(dialogue.version)})
    assert response.status_code == 422
    assert error_of(response, "attendance") in ("Số vượt quá giới hạn cho phép.", "Số người dự không được âm.",
                                                "Số người dự tối đa 100.000.")
    assert reload(dialogue).attendance is None
    assert login("coordinator").get("/quan-tri/nhat-ky/", query_string={"user": value}).status_code in (200, 422)
    # The inline checks read a form from the query string too.
    for name in ("field_id", "dialogue_id"):
        response = c.get("/y-kien/kiem-tra", query_string={"field": name, name: value})
        assert response.status_code == 200 and NOT_A_CHOICE in response.get_data(as_text=True)
    response = login("admin").get("/quan-tri/tai-khoan/kiem-tra", query_string={"field": "unit_id", "unit_id": value,
                                                                                "role": "specialist"})
    assert response.status_code in (200, 422) and NOT_A_CHOICE in response.get_data(as_text=True)


def test_attendance_has_an_upper_bound(login, db):
    dialogue = make_dialogue(status="held")
    c = login("chief")
    response = c.post_form("/doi-thoai/%d/bien-ban" % dialogue.id, {
        "attendance": "100001", "discussion": "", "directions": "", "version": str(dialogue.version)})
    assert response.status_code == 422 and error_of(response, "attendance") == "Số người dự tối đa 100.000."
    response = c.post_form("/doi-thoai/%d/bien-ban" % dialogue.id, {
        "attendance": "100000", "discussion": "", "directions": "", "version": str(dialogue.version)})
    assert response.status_code == 303 and reload(dialogue).attendance == 100000


# ---------------------------------------------------------------- formulas in the files

FORMULAS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://x.example/\",\"Bấm\")", "+SUM(A1:A2)", "-SUM(A1:A2)",
            "- cmd|' /C calc'!A0", "@SUM(A1)", "\t=1+1", "\r=1+1", "\uff1dSUM(A1)"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def assert_no_formula_cells(rows):
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_START), "a cell a spreadsheet would run: %r" % cell


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_public_csv_files_neutralise_formulas_and_the_json_keeps_them(app, db, formula):
    dialogue = next(d for d in publication.dialogues())
    models.Dialogue.update(place=formula, chair=formula, title=formula).where(
        models.Dialogue.id == dialogue.id).execute()
    conclusion = publication.conclusions()[0]
    models.Conclusion.update(public_summary=formula).where(models.Conclusion.id == conclusion.id).execute()
    site = public_site(app)
    rows = csv_rows(site.get("/du-lieu/lich-doi-thoai.csv"))
    assert_no_formula_cells(rows)
    header = rows[0]
    row = next(r for r in rows if r[0] == str(dialogue.id))
    assert row[header.index("dia_diem")] == row[header.index("tieu_de")] == "'" + formula
    records = json.loads(site.get("/du-lieu/lich-doi-thoai.json").data)["du_lieu"]
    assert next(r for r in records if r["id"] == dialogue.id)["dia_diem"] == formula
    rows = csv_rows(site.get("/du-lieu/ket-luan.csv"))
    assert_no_formula_cells(rows)
    header = rows[0]
    summary = formula.strip()  # the gate publishes the summary without surrounding spaces
    assert next(r for r in rows if r[0] == str(conclusion.id))[header.index("tom_tat")] == "'" + summary
    records = json.loads(site.get("/du-lieu/ket-luan.json").data)["du_lieu"]
    assert next(r for r in records if r["id"] == conclusion.id)["tom_tat"] == summary


@pytest.mark.parametrize("formula", FORMULAS)
def test_the_staff_csv_and_xlsx_files_neutralise_formulas(login, db, formula):
    opinion = models.create_opinion(user("coordinator"), kind="petition", channel="letter", audience="citizens",
                                    submitter_name=formula, submitter_contact=formula,
                                    content=formula + " phản ánh thử nghiệm", draft_answer=formula)
    field = models.Field.get(models.Field.code == "dat-dai")
    models.Field.update(name=formula).where(models.Field.id == field.id).execute()
    models.Opinion.update(field=field.id).where(models.Opinion.id == opinion.id).execute()
    models.Unit.update(name=formula).where(models.Unit.code == "KTN").execute()
    c = login("coordinator")
    rows = csv_rows(c.get("/bao-cao/so-theo-doi.csv"))
    assert_no_formula_cells(rows)
    row = next(r for r in rows if r[0] == opinion.code)
    assert (row[5], row[7], row[8]) == ("'" + formula, "'" + formula + " phản ánh thử nghiệm", "'" + formula)
    sheet = workbook(c.get("/bao-cao/so-theo-doi.xlsx")).active
    assert all(cell.data_type != "f" for line in sheet.iter_rows() for cell in line)
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == opinion.code)
    assert (row[5].value, row[5].data_type) == (formula, "s")
    report = draft_report()
    assert_no_formula_cells(csv_rows(c.get("/bao-cao/%d.csv" % report.id)))
    book = workbook(c.get("/bao-cao/%d.xlsx" % report.id))
    assert all(cell.data_type != "f" for sheet in book.worksheets for line in sheet.iter_rows() for cell in line)
    assert any(cell.value == formula for sheet in book.worksheets for line in sheet.iter_rows() for cell in line)


def test_ordinary_text_with_tabs_and_newlines_is_stored_as_typed(login, db):
    """The cleaning leaves ordinary Vietnamese text alone (tabs and newlines too)."""
    text = "Dòng một\tcó tab\nDòng hai: Nguyễn Thị Ánh, ngày %s" % dt.date(2026, 2, 28).strftime("%d/%m/%Y")
    response = login("coordinator").post_form("/y-kien/moi", opinion_data(content=text))
    assert response.status_code == 303
    assert models.Opinion.select().order_by(models.Opinion.id.desc()).first().content == text


# ---------------------------------------------------------------- every form, by its fields

def _all_forms():
    """Every form class of the forms package (each of its modules imported)."""
    for module in pkgutil.iter_modules(forms.__path__):
        importlib.import_module("forms." + module.name)
    found, todo = [], [BaseForm]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted({cls for cls in found if cls is not BaseForm}, key=lambda cls: (cls.__module__, cls.__qualname__))


FORM_CLASSES = [pytest.param(cls, id="%s.%s" % (cls.__module__, cls.__qualname__)) for cls in _all_forms()]


def _posted(form_class, value_of):
    """The form after a POST that puts value_of(field) in every field it names."""
    names = form_class(formdata=None)._fields
    data = MultiDict()
    for name, field in names.items():
        value = value_of(field)
        if value is not None:
            data.add(name, value)
    return form_class(formdata=data)


@pytest.mark.parametrize("form_class", FORM_CLASSES)
def test_every_text_field_of_every_form_is_cleaned(app, db, form_class):
    dirty = "\x00\x1b[1m" + NFD_NAME + "\x7f\u202e\r\nhết\x01"
    with app.test_request_context(method="POST"):
        form = _posted(form_class, lambda field: dirty if isinstance(field, StringField) else None)
        texts = [f for f in form if isinstance(f, StringField)]
        for field in texts:
            if isinstance(field, PasswordField):
                assert field.data == dirty  # a password is never changed
                continue
            assert_clean(field.data)
            assert "Nguyễn Thị Ánh Tuyết" in field.data
        blank = _posted(form_class, lambda field: "\u200b\u2060\ufeff" if isinstance(field, StringField) else None)
        assert all(f.data == "" for f in blank if isinstance(f, StringField) and not isinstance(f, PasswordField))


@pytest.mark.parametrize("form_class", FORM_CLASSES)
def test_every_number_and_id_field_of_every_form_refuses_what_the_database_cannot_hold(app, db, form_class):
    def numeric(field):
        return isinstance(field, (IntegerField, IdSelectField)) or (
            isinstance(field, SelectMultipleField) and field.coerce is int)

    for value in HUGE:
        with app.test_request_context(method="POST"):
            form = _posted(form_class, lambda field, value=value: value if numeric(field) else None)
            for field in form:
                if numeric(field):
                    assert field.data in (None, []) or (value == "-1" and field.data in (-1, [-1])), field.name
                    if field.data in (None, []):
                        assert field.process_errors, (field.name, value)
