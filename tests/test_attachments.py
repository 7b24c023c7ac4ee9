"""Attachments: PDF and images only (by their bytes), size limit, storage outside the web root,
downloads only for those who may see the record, deletes by the uploader or the coordinator."""
import datetime as dt
import io
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import models
from models import Attachment, AuditLog, Conclusion, ConclusionNotice, Proposal, Report, Unit
from tests.conftest import user

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40


@pytest.fixture
def store(app, tmp_path):
    """A folder of its own for the stored files (the config is restored after the test)."""
    folder = tmp_path / "tep"
    app.config["ATTACHMENTS_DIR"] = str(folder)
    return folder


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def text(response):
    return soup(response).get_text(" ", strip=True)


def upload(client, object_type, object_id, content, name="bien-ban.pdf", htmx=False, **data):
    data = dict(data, file=(io.BytesIO(content), name))
    return client.post_form("/tep/%s/%d" % (object_type, object_id), data, htmx=htmx,
                            content_type="multipart/form-data")


def dialogue():
    return models.Dialogue.select().order_by(models.Dialogue.id).first()


def proposal_of(code):
    return Proposal.select().join(Unit, on=(Proposal.content_unit == Unit.id)).where(Unit.code == code).first()


def report(status="draft"):
    plan = models.Plan.select().order_by(models.Plan.year).first()
    row = Report.get_or_none(Report.plan == plan, Report.kind == "midyear")
    if row is None:
        row = Report.create(plan=plan, kind="midyear", cutoff=dt.date(plan.year, 6, 10))
    Report.update(status=status).where(Report.id == row.id).execute()
    return Report.get_by_id(row.id)


def notice_with_conclusion_for(unit_code, status="signed"):
    """A notice with one conclusion for the unit."""
    notice = ConclusionNotice.create(dialogue=dialogue(), title="Thông báo thử", status=status)
    Conclusion.create(notice=notice, decision="Giao đơn vị thực hiện.",
                      responsible_unit=Unit.get(Unit.code == unit_code))
    return notice


def error_of_file(response):
    node = soup(response).select_one("p.error[id$='-file-error']")
    return node.get_text(strip=True) if node else None


# ---------------------------------------------------------------- upload and download

def test_pdf_upload_is_stored_outside_the_web_root_and_downloads_with_safe_headers(app, login, db, store):
    d = dialogue()
    coordinator = login("coordinator")
    response = upload(coordinator, "dialogue", d.id, PDF, name="Biên bản họp.pdf",
                      next="/doi-thoai/%d" % d.id)
    assert response.status_code == 303
    assert response.headers["Location"] == "/doi-thoai/%d" % d.id
    row = Attachment.get(Attachment.object_type == "dialogue", Attachment.object_id == d.id)
    assert (row.filename, row.content_type, row.size, row.uploaded_by_id) == (
        "Biên bản họp.pdf", "application/pdf", len(PDF), user("coordinator").id)
    stored = store / row.stored_name
    assert stored.read_bytes() == PDF
    assert "Biên" not in row.stored_name and len(row.stored_name) >= 32
    log = AuditLog.get(AuditLog.object_type == "attachment", AuditLog.object_id == row.id)
    assert log.action == "upload" and "Biên bản họp.pdf" in log.summary

    download = login("specialist").get("/tep/%d" % row.id)
    assert download.status_code == 200
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20h%E1%BB%8Dp.pdf" in disposition


def test_files_are_not_reachable_under_static(app, login, db, store):
    d = dialogue()
    upload(login("coordinator"), "dialogue", d.id, PDF)
    row = Attachment.get(Attachment.object_type == "dialogue")
    static = Path(app.static_folder).resolve()
    assert not (store / row.stored_name).resolve().is_relative_to(static)
    c = login("coordinator")
    for url in ("/static/%s" % row.stored_name, "/static/attachments/%s" % row.stored_name,
                "/static/../instance/attachments/%s" % row.stored_name):
        assert c.get(url).status_code == 404
    # the default folder too lies outside the static folder
    default = Path(app.instance_path) / "attachments"
    assert not default.resolve().is_relative_to(static)


def test_a_text_file_renamed_pdf_is_refused(login, db, store):
    d = dialogue()
    response = upload(login("coordinator"), "dialogue", d.id, b"Day la van ban thuong, khong phai PDF.\n",
                      name="gia-mao.pdf")
    assert response.status_code == 422
    assert "Chỉ nhận tệp PDF hoặc ảnh" in error_of_file(response)
    assert not Attachment.select().exists()
    assert not store.exists() or not any(store.iterdir())


def test_html_named_png_is_refused_and_a_png_named_pdf_is_stored_as_png(login, db, store):
    d = dialogue()
    c = login("coordinator")
    assert upload(c, "dialogue", d.id, b"<html><script>alert(1)</script>", name="anh.png").status_code == 422
    for content, name, kind in ((PNG, "scan.pdf", "image/png"), (JPEG, "anh", "image/jpeg"),
                                (WEBP, "anh.webp", "image/webp")):
        assert upload(c, "dialogue", d.id, content, name=name).status_code == 303
        row = Attachment.select().order_by(Attachment.id.desc()).first()
        assert row.content_type == kind
        assert c.get("/tep/%d" % row.id).headers["Content-Type"] == kind


def test_oversize_file_is_refused_with_a_message_beside_the_field(app, login, db, store):
    d = dialogue()
    limit = app.config["ATTACHMENT_MAX_BYTES"]
    assert limit == 10 * 1024 * 1024
    response = upload(login("coordinator"), "dialogue", d.id, PDF + b"0" * (limit - len(PDF) + 1))
    assert response.status_code == 422
    assert error_of_file(response) == "Tệp quá lớn: dung lượng tối đa 10 MB."
    assert not Attachment.select().exists()
    assert not any(store.iterdir())
    exact = upload(login("coordinator"), "dialogue", d.id, PDF + b"0" * (limit - len(PDF)))
    assert exact.status_code == 303


def test_a_body_over_the_request_limit_gets_the_same_message(app, login, db, store):
    app.config.update(ATTACHMENT_MAX_BYTES=1000, MAX_CONTENT_LENGTH=2000)
    response = upload(login("coordinator"), "dialogue", dialogue().id, PDF + b"0" * 5000)
    assert response.status_code == 413
    assert "Tệp quá lớn" in text(response)
    assert not Attachment.select().exists()


def test_htmx_upload_returns_the_panel_with_the_new_file(login, db, store):
    d = dialogue()
    response = upload(login("coordinator"), "dialogue", d.id, PDF, name="to-trinh.pdf", htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<html" not in html
    panel = soup(response).find(id="attachments-dialogue-%d" % d.id)
    assert panel is not None and "to-trinh.pdf" in panel.get_text()
    refused = upload(login("coordinator"), "dialogue", d.id, b"not a pdf", htmx=True)
    assert refused.status_code == 200 and "Chỉ nhận tệp PDF" in error_of_file(refused)


@pytest.mark.parametrize("name, shown", [
    ("../../etc/bao-cao.pdf", "bao-cao.pdf"),
    ("C:\\Users\\An\\Tờ trình  số 5.pdf", "Tờ trình số 5.pdf"),
    ("bao\x07 cao <b>:x.pdf", "bao cao bx.pdf"),
    ("...", "tep-dinh-kem.pdf"),
    ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
])
def test_display_name_is_sanitised(name, shown):
    from services.attachments import clean_filename
    assert clean_filename(name, "application/pdf") == shown


def test_uploaded_path_keeps_only_the_file_name(login, db, store):
    upload(login("coordinator"), "dialogue", dialogue().id, PDF, name="../../static/tai-lieu.pdf")
    assert Attachment.get().filename == "tai-lieu.pdf"


def test_panel_page_lists_files_with_size_date_and_uploader(login, db, store):
    d = dialogue()
    c = login("coordinator")
    upload(c, "dialogue", d.id, PDF, name="giay-moi.pdf")
    page = c.get("/tep/dialogue/%d" % d.id)
    assert page.status_code == 200
    row = soup(page).select_one("#attachments-dialogue-%d tbody tr" % d.id).get_text(" ", strip=True)
    assert "giay-moi.pdf" in row and "%d B" % len(PDF) in row and user("coordinator").full_name in row
    assert models.today().strftime("%d/%m/%Y") in row
    form = soup(page).find("form", enctype="multipart/form-data")
    assert form is not None and form.find("input", {"name": "csrf_token"}) is not None
    # a reader without upload rights sees the files but no upload form
    leader_page = login("leader").get("/tep/dialogue/%d" % d.id)
    assert "giay-moi.pdf" in text(leader_page)
    assert soup(leader_page).find("form", enctype="multipart/form-data") is None


# ---------------------------------------------------------------- who may see, upload and delete

def test_dialogue_files_for_all_staff_but_not_admin(login, db, store):
    upload(login("coordinator"), "dialogue", dialogue().id, PDF)
    row = Attachment.get()
    for role in ("specialist", "unit_head", "leader", "chief"):
        assert login(role).get("/tep/%d" % row.id).status_code == 200
    assert login("admin").get("/tep/%d" % row.id).status_code == 403
    assert upload(login("specialist"), "dialogue", dialogue().id, PDF).status_code == 403


def test_proposal_files_for_readers_and_the_content_unit_only(login, db, store):
    proposal = proposal_of("KTN")
    assert upload(login("specialist"), "proposal", proposal.id, PDF).status_code == 303  # the content unit
    row = Attachment.get()
    assert login("unit_head").get("/tep/%d" % row.id).status_code == 200
    assert login("leader").get("/tep/%d" % row.id).status_code == 200
    assert login("dang.thuha").get("/tep/%d" % row.id).status_code == 404  # another unit
    assert upload(login("dang.thuha"), "proposal", proposal.id, PDF).status_code == 404
    assert login("dang.thuha").get("/tep/proposal/%d" % proposal.id).status_code == 404


def test_notice_files_for_units_with_a_conclusion_in_it_once_signed(login, db, store):
    notice = notice_with_conclusion_for("KTN", status="draft")
    assert upload(login("coordinator"), "conclusion_notice", notice.id, PDF).status_code == 303
    row = Attachment.get()
    specialist = login("specialist")
    # A draft is the office's own business: its unit sees neither its files nor its title.
    assert specialist.get("/tep/%d" % row.id).status_code == 404
    assert specialist.get("/tep/conclusion_notice/%d" % notice.id).status_code == 404
    assert login("chief").get("/tep/%d" % row.id).status_code == 200
    ConclusionNotice.update(status="signed").where(ConclusionNotice.id == notice.id).execute()
    assert specialist.get("/tep/%d" % row.id).status_code == 200
    assert login("dang.thuha").get("/tep/%d" % row.id).status_code == 404


def test_report_files_for_coordinator_leaders_and_chief(login, db, store):
    r = report()
    assert upload(login("coordinator"), "report", r.id, PDF).status_code == 303
    row = Attachment.get()
    assert login("leader").get("/tep/%d" % row.id).status_code == 200
    assert login("unit_head").get("/tep/%d" % row.id).status_code == 404
    assert login("specialist").get("/tep/report/%d" % r.id).status_code == 404


def test_unknown_records_and_types_are_404(login, db, store):
    c = login("coordinator")
    assert upload(c, "dialogue", 999999, PDF).status_code == 404
    assert upload(c, "user", 1, PDF).status_code == 404
    assert c.get("/tep/999999").status_code == 404


def test_delete_by_uploader_or_coordinator_audited_and_removed_from_disk(login, db, store):
    proposal = proposal_of("KTN")
    upload(login("specialist"), "proposal", proposal.id, PDF)
    first = Attachment.get()
    assert login("unit_head").post_form("/tep/%d/xoa" % first.id).status_code == 403  # not the uploader
    assert login("chief").post_form("/tep/%d/xoa" % first.id).status_code == 403
    response = login("specialist").post_form("/tep/%d/xoa" % first.id, {"next": "/tep/proposal/%d" % proposal.id})
    assert response.status_code == 303
    assert not Attachment.select().where(Attachment.id == first.id).exists()
    assert not (store / first.stored_name).exists()
    log = AuditLog.get(AuditLog.object_type == "attachment", AuditLog.object_id == first.id,
                       AuditLog.action == "delete")
    assert "bien-ban.pdf" in log.summary
    upload(login("specialist"), "proposal", proposal.id, PDF)
    second = Attachment.get()
    assert login("coordinator").post_form("/tep/%d/xoa" % second.id).status_code == 303
    assert not Attachment.select().exists()


@pytest.mark.parametrize("kind", ["notice", "report"])
def test_frozen_records_keep_their_files(login, db, store, kind):
    obj = notice_with_conclusion_for("KTN", status="draft") if kind == "notice" else report()
    object_type = "conclusion_notice" if kind == "notice" else "report"
    c = login("coordinator")
    assert upload(c, object_type, obj.id, PDF).status_code == 303
    row = Attachment.get()
    type(obj).update(status="signed" if kind == "notice" else "approved").where(type(obj).id == obj.id).execute()
    response = c.post_form("/tep/%d/xoa" % row.id)
    assert response.status_code == 409
    assert "không xóa được" in text(response)
    assert Attachment.select().where(Attachment.id == row.id).exists()
    assert (store / row.stored_name).exists()
    assert upload(c, object_type, obj.id, PNG, name="ban-ky.png").status_code == 303  # the signed scan
    page = c.get("/tep/%s/%d" % (object_type, obj.id))
    assert not soup(page).select("form[action$='/xoa']")


def test_upload_without_a_file_says_so(login, db, store):
    response = login("coordinator").post_form("/tep/dialogue/%d" % dialogue().id, {},
                                              content_type="multipart/form-data")
    assert response.status_code == 422
    assert error_of_file(response) == "Vui lòng chọn tệp cần tải lên."


def test_upload_needs_the_csrf_token(login, db, store):
    c = login("coordinator")
    response = c.client.post("/tep/dialogue/%d" % dialogue().id, data={"file": (io.BytesIO(PDF), "a.pdf")},
                             content_type="multipart/form-data")
    assert response.status_code == 400
    assert not Attachment.select().exists()


@pytest.mark.parametrize("kind", ["dialogue", "proposal", "conclusion_notice", "report"])
def test_each_record_page_lists_its_files_with_an_upload_form(login, db, store, kind):
    if kind == "dialogue":
        obj, page = dialogue(), "/doi-thoai/%d"
    elif kind == "proposal":
        obj, page = Proposal.select().first(), "/de-xuat/%d"
    elif kind == "conclusion_notice":
        obj, page = notice_with_conclusion_for("TCHCQT", status="draft"), "/thong-bao/%d"
    else:
        obj, page = report(), "/bao-cao/%d"
    coordinator = login("coordinator")
    assert upload(coordinator, kind, obj.id, PDF, name="Văn bản kèm theo.pdf").status_code == 303
    row = Attachment.get(Attachment.object_type == kind, Attachment.object_id == obj.id)
    html = soup(coordinator.get(page % obj.id))
    assert html.find("a", href="/tep/%d" % row.id) is not None
    assert "Văn bản kèm theo.pdf" in html.get_text()
    assert html.find("form", action="/tep/%s/%d" % (kind, obj.id)) is not None
