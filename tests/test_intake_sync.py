"""The internal side of online requests: intake-sync into the register (idempotent, audited), statuses pushed
and mailed, triage of a dialogue request, search by code or phone, receipts, codes for the counter's requests.

The intake app here is the real one, called through WSGI in the same process (tests/test_intake_e2e.py runs
both as real servers)."""
import datetime as dt
import io
import json
import re
from pathlib import Path

import pytest

import models
import publication
from intake import models as im
from services import deadlines, intake_sync
from tests.conftest import user
from tests.intake_support import EMAIL, NAME, PDF, TITLE, Citizen, bearer, close_intake_db, make_app, valid_form
from tests.test_remind import inbox  # noqa: F401  (the SMTP server fixture)
from tests.test_reports import page_tables


class WsgiClient(intake_sync.Client):
    """intake_sync's client, talking to the intake app through its WSGI interface instead of a socket."""

    def __init__(self, app, token="test-intake-token"):
        super().__init__("http://intake.test", token)
        self.wsgi = app.test_client()

    def call(self, method, path, payload=None, raw=False):
        response = self.wsgi.open(path, method=method, json=payload, headers=bearer(self.token))
        if response.status_code == 401:
            raise intake_sync.IntakeError("Dịch vụ tiếp nhận từ chối mã truy cập (401).")
        if response.status_code >= 400:
            raise intake_sync.IntakeError("Dịch vụ tiếp nhận trả lỗi %d." % response.status_code)
        return response.data if raw else json.loads(response.data)


@pytest.fixture
def intake_app(tmp_path):
    folder = tmp_path / "intake_side"
    folder.mkdir()
    app = make_app(folder)
    yield app
    close_intake_db()


def sync(app, intake_app, **kwargs):
    client = kwargs.pop("client", None) or WsgiClient(intake_app)
    return intake_sync.run(app.config, app.instance_path, client=client, **kwargs)


def lookup_text(intake_app, code):
    return Citizen(intake_app, address="192.0.2.50").lookup(code).get_data(as_text=True)


@pytest.fixture
def submitted(intake_app):
    """One dialogue request with a PDF, sent through the intake form; its code."""
    citizen = Citizen(intake_app)
    assert citizen.submit(valid_form(field="quyen-loi"), files=[(io.BytesIO(PDF), "don.pdf")]).status_code == 303
    return citizen.receipt_code()


def test_a_sync_enters_the_request_in_the_register_and_the_intake_forgets_the_person(app, db, intake_app,
                                                                                       submitted, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    result = sync(app, intake_app)
    assert (result.status, result.fetched, result.created, result.acked) == ("succeeded", 1, 1, 1)
    opinion = models.Opinion.get(models.Opinion.tracking_code == submitted)
    assert (opinion.channel, opinion.kind, opinion.audience, opinion.status) == (
        "online", "dialogue_request", "citizens", "received")
    assert (opinion.submitter_name, opinion.submitter_phone, opinion.submitter_email) == (
        NAME, "+84912345678", EMAIL)
    assert opinion.consent_version and opinion.consent_at is not None
    assert TITLE in opinion.content and re.fullmatch(r"YK-\d{4}-\d{4}", opinion.code)
    assert opinion.deadline == deadlines.add_deadline(opinion.received_on, 15, "working")
    assert opinion.field.code == "quyen-loi"
    [file] = models.Attachment.select().where(models.Attachment.object_type == "opinion",
                                              models.Attachment.object_id == opinion.id)
    assert (file.filename, file.content_type) == ("don.pdf", "application/pdf")
    assert (Path(app.config["ATTACHMENTS_DIR"]) / file.stored_name).read_bytes() == PDF
    entry = models.AuditLog.select().where(models.AuditLog.action == "intake_sync").get()
    assert "nhận 1, vào sổ 1, xác nhận 1" in entry.summary
    with im.db.connection_context():
        kept = im.Submission.get(im.Submission.code == submitted)
        assert kept.full_name == "" and kept.email == "" and im.SubmissionFile.select().count() == 0
        assert [f.code for f in im.FieldChoice.ordered()] == [f.code for f in models.Field.select().order_by(
            models.Field.position, models.Field.name)]


def test_a_sync_stopped_between_storing_and_acknowledging_resumes_without_duplicates(app, db, intake_app, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    codes = []
    for n in range(3):
        citizen = Citizen(intake_app, address="198.51.100.%d" % n)
        citizen.submit(valid_form(phone="09123456%02d" % n, email=""))
        codes.append(citizen.receipt_code())

    class Killed(BaseException):
        pass

    def stop_at_second(code):
        if code == codes[1]:
            raise Killed

    with pytest.raises(Killed):
        sync(app, intake_app, after_store=stop_at_second)
    def stored():
        return sorted(o.tracking_code for o in models.Opinion.select().where(models.Opinion.tracking_code.in_(codes)))

    assert stored() == sorted(codes[:2])
    again = sync(app, intake_app)
    assert (again.status, again.fetched, again.created, again.acked) == ("succeeded", 2, 1, 2)
    assert stored() == sorted(codes)
    assert sync(app, intake_app).fetched == 0


def test_a_wrong_token_fails_the_sync_in_the_audit_log(app, db, intake_app, submitted):
    result = sync(app, intake_app, client=WsgiClient(intake_app, token="wrong"))
    assert result.status == "failed" and "401" in result.error
    assert not models.Opinion.select().where(models.Opinion.tracking_code == submitted).exists()
    entry = models.AuditLog.select().where(models.AuditLog.action == "intake_sync").get()
    assert "Lỗi" in entry.summary and "401" in entry.summary


def test_an_unconfigured_sync_says_so(app, db):
    app.config.update(INTAKE_URL="", INTAKE_API_TOKEN="")
    result = intake_sync.run(app.config, app.instance_path)
    assert result.status == "failed" and "INTAKE_URL" in result.error
    cli = app.test_cli_runner().invoke(args=["intake-sync"])
    assert cli.exit_code != 0 and "INTAKE_URL" in cli.output


def test_the_token_file_of_make_intake_is_read_when_no_token_is_set(tmp_path):
    (tmp_path / "intake_token").write_text("from-the-file\n")
    assert intake_sync.api_token({"INTAKE_API_TOKEN": ""}, tmp_path) == "from-the-file"
    assert intake_sync.api_token({"INTAKE_API_TOKEN": "set"}, tmp_path) == "set"


# ---------------------------------------------------------------- triage, statuses pushed and mailed

@pytest.fixture
def mailbox(app, inbox):  # noqa: F811  (the fixture imported above)
    """test_remind's SMTP server on 127.0.0.1, with the lookup's public address set."""
    app.config["INTAKE_PUBLIC_URL"] = "https://yeucau.example.gov.vn/"
    return inbox


def opinion_of(code):
    return models.Opinion.get(models.Opinion.tracking_code == code)


def test_scheduling_creates_a_linked_dialogue_the_citizen_reads_and_is_mailed(app, db, login, intake_app, submitted,
                                                                             mailbox, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    sync(app, intake_app)
    opinion = opinion_of(submitted)
    coordinator = login("coordinator")
    page = coordinator.get("/tiep-nhan-truc-tuyen/%d/xu-ly" % opinion.id)
    assert page.status_code == 200 and "Đã tiếp nhận" in page.get_data(as_text=True)
    day = models.today() + dt.timedelta(days=9)
    refused = coordinator.post_form("/tiep-nhan-truc-tuyen/%d/lich" % opinion.id, {
        "version": opinion.version, "day": "", "time": "14:30", "place": ""})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Vui lòng nhập ngày đối thoại" in html and "Vui lòng nhập địa điểm" in html
    response = coordinator.post_form("/tiep-nhan-truc-tuyen/%d/lich" % opinion.id, {
        "version": opinion.version, "day": day.isoformat(), "time": "14:30", "place": "Phòng họp số 2"})
    assert response.status_code == 303
    opinion = opinion_of(submitted)
    dialogue = opinion.dialogue
    assert (dialogue.kind, dialogue.audience, dialogue.status, dialogue.place) == (
        "on_request", "citizens", "scheduled", "Phòng họp số 2")
    assert dialogue.starts_at == dt.datetime.combine(day, dt.time(14, 30))
    result = sync(app, intake_app)
    assert result.statuses == 1 and result.mails == 1
    text = lookup_text(intake_app, submitted)
    assert "Đã lên lịch đối thoại" in text and "14:30 ngày %s" % day.strftime("%d/%m/%Y") in text
    assert "Phòng họp số 2" in text
    [message] = mailbox.to(EMAIL)
    body = message.get_body(("plain",)).get_content()
    assert submitted in body and "Đã lên lịch đối thoại" in message["Subject"]
    assert "https://yeucau.example.gov.vn/tra-cuu/" in body and TITLE not in body and NAME not in body
    # Nothing changed: the next sync pushes and mails nothing.
    again = sync(app, intake_app)
    assert (again.statuses, again.mails) == (0, 0) and len(mailbox.messages) == 1


@pytest.mark.parametrize("action, data, status, words", [
    ("tra-loi", {"public_note": "Hồ sơ đã được cấp phép ngày 02/05."}, "explained", "Hồ sơ đã được cấp phép"),
    ("chuyen", {"referred_to": "Sở Xây dựng tỉnh"}, "referred", "Sở Xây dựng tỉnh"),
    ("tu-choi", {"reason": "Nội dung không thuộc thẩm quyền giải quyết của Văn phòng UBND tỉnh"}, "refused",
     "không thuộc thẩm quyền"),
])
def test_answer_refer_and_refuse_close_the_request_with_what_the_citizen_reads(
        app, db, login, intake_app, submitted, tmp_path, action, data, status, words):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    sync(app, intake_app)
    opinion = opinion_of(submitted)
    response = login("coordinator").post_form("/tiep-nhan-truc-tuyen/%d/%s" % (opinion.id, action),
                                              dict(data, version=opinion.version))
    assert response.status_code == 303
    assert opinion_of(submitted).status == status
    sync(app, intake_app)
    label = {"explained": "Đã trả lời", "referred": "Đã chuyển cơ quan có thẩm quyền", "refused": "Không tiếp nhận"}
    text = lookup_text(intake_app, submitted)
    assert label[status] in text and words in text


def test_a_reason_outside_the_list_and_a_stale_version_are_refused(app, db, login, intake_app, submitted, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    sync(app, intake_app)
    opinion = opinion_of(submitted)
    coordinator = login("coordinator")
    response = coordinator.post_form("/tiep-nhan-truc-tuyen/%d/tu-choi" % opinion.id,
                                     {"version": opinion.version, "reason": "Tôi không thích"})
    assert response.status_code == 422 and "Vui lòng chọn lý do trong danh sách" in response.get_data(as_text=True)
    response = coordinator.post_form("/tiep-nhan-truc-tuyen/%d/chuyen" % opinion.id,
                                     {"version": opinion.version - 1 or 99, "referred_to": "Sở Tư pháp"})
    assert response.status_code == 409
    assert opinion_of(submitted).status == "received"


def test_the_status_wording_follows_the_internal_status(app, db):
    opinion = models.Opinion(status="received", kind="petition")
    view = intake_sync.public_status
    assert view(opinion)["status"] == "received"
    for internal, public in (("assigned", "reviewing"), ("answer_drafted", "reviewing"), ("concluded", "implementing"),
                             ("in_progress", "implementing"), ("resolved", "answered"), ("explained", "answered"),
                             ("referred", "referred"), ("refused", "refused"), ("withdrawn", "withdrawn")):
        opinion.status = internal
        assert view(opinion)["status"] == public, internal
    opinion.status = "assigned"
    scheduled = models.Dialogue(kind="on_request", status="scheduled", starts_at=dt.datetime(2026, 5, 12, 14, 30),
                                place="Hội trường")
    assert view(opinion, scheduled) == {"status": "scheduled", "public_note": "",
                                        "dialogue_at": "2026-05-12T14:30:00", "dialogue_place": "Hội trường"}
    opinion.status = "received"
    scheduled.status = "postponed"
    assert view(opinion, scheduled)["status"] == "reviewing"  # no date shown that no longer holds
    scheduled.status = "held"
    assert view(opinion, scheduled) == {"status": "reviewing", "public_note": "", "dialogue_at": None,
                                        "dialogue_place": ""}


# ---------------------------------------------------------------- the screens

def test_the_coordinator_finds_a_request_by_code_or_phone_and_prints_its_receipt(app, db, login, intake_app,
                                                                                  submitted, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    sync(app, intake_app)
    opinion = opinion_of(submitted)
    coordinator = login("coordinator")
    for query in (submitted.lower().replace("-", " "), "0912 345 678", "+84 912 345 678"):
        html = coordinator.get("/tiep-nhan-truc-tuyen/", query_string={"q": query}).get_data(as_text=True)
        assert opinion.code in html, query
    html = coordinator.get("/tiep-nhan-truc-tuyen/", query_string={"q": "0987 000 111"}).get_data(as_text=True)
    assert "Không tìm thấy yêu cầu nào" in html
    receipt = coordinator.get("/tiep-nhan-truc-tuyen/%d/bien-nhan" % opinion.id).get_data(as_text=True)
    assert "Giấy biên nhận" in receipt and submitted in receipt and NAME in receipt
    dashboard = coordinator.get("/").get_data(as_text=True)
    assert opinion.code in dashboard  # a new request on the coordinator's dashboard
    detail = coordinator.get("/y-kien/%d" % opinion.id).get_data(as_text=True)
    assert "+84912345678" in detail and EMAIL in detail and submitted in detail and "don.pdf" in detail
    hidden = login("leader").get("/y-kien/%d" % opinion.id).get_data(as_text=True)
    assert "don.pdf" in hidden and EMAIL in hidden  # leaders read contact details too (DESIGN.md)


def test_a_specialist_of_another_unit_neither_finds_nor_opens_it(app, db, login, intake_app, submitted, tmp_path):
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    sync(app, intake_app)
    opinion = opinion_of(submitted)
    specialist = login("specialist")
    assert specialist.get("/tiep-nhan-truc-tuyen/%d/bien-nhan" % opinion.id).status_code == 404
    assert specialist.get("/y-kien/%d" % opinion.id).status_code == 404
    [file] = models.Attachment.select().where(models.Attachment.object_type == "opinion")
    assert specialist.get("/tep/%d" % file.id).status_code in (403, 404)
    assert login("coordinator").get("/tep/%d" % file.id).status_code == 200


def test_the_dashboard_warns_when_the_last_good_sync_is_over_an_hour_old(app, db, login):
    app.config["INTAKE_URL"] = "https://yeucau.example.gov.vn/"
    coordinator = login("coordinator")
    assert "Chưa có lần đồng bộ tiếp nhận trực tuyến nào thành công" in coordinator.get("/").get_data(as_text=True)
    models.IntakeSync.create(status="succeeded", started_at=models.now() - dt.timedelta(hours=2),
                             finished_at=models.now() - dt.timedelta(hours=2))
    assert "đã quá 2 giờ" in coordinator.get("/").get_data(as_text=True)
    models.IntakeSync.create(status="succeeded", finished_at=models.now())
    assert "đồng bộ tiếp nhận" not in coordinator.get("/").get_data(as_text=True)
    models.IntakeSync.create(status="failed", finished_at=models.now() + dt.timedelta(minutes=1), error="x")
    assert "đồng bộ tiếp nhận" not in coordinator.get("/").get_data(as_text=True)  # the last good one counts


def test_the_sync_button_runs_a_sync_and_says_what_happened(app, db, login):
    app.config.update(INTAKE_URL="http://127.0.0.1:9/", INTAKE_API_TOKEN="x")
    coordinator = login("coordinator")
    response = coordinator.post_form("/tiep-nhan-truc-tuyen/dong-bo")
    assert response.status_code == 303
    page = coordinator.get("/tiep-nhan-truc-tuyen/").get_data(as_text=True)
    assert "Đồng bộ không thành công" in page and "Không kết nối được dịch vụ tiếp nhận" in page
    assert models.IntakeSync.get().started_by_id == user("coordinator").id


def test_requests_at_the_counter_by_phone_or_portal_get_a_code_and_a_receipt(app, db, login):
    coordinator = login("coordinator")
    made = []
    refused = coordinator.post_form("/y-kien/moi", {
        "kind": "petition", "channel": "portal", "audience": "citizens", "national_code": "",
        "content": "Kiến nghị về việc giải quyết hồ sơ đất đai chậm.", "received_on": ""})
    assert refused.status_code == 422 and "cần ghi mã PAKN" in refused.get_data(as_text=True)
    for channel in ("reception", "hotline", "portal"):
        response = coordinator.post_form("/y-kien/moi", {
            "kind": "petition", "channel": channel, "audience": "citizens", "submitter_name": "Lê Văn Quầy",
            "national_code": "H12.34-260501-0001" if channel == "portal" else "",
            "content": "Kiến nghị về việc giải quyết hồ sơ đất đai chậm.", "received_on": ""})
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        made.append(models.Opinion.select().order_by(models.Opinion.id.desc()).first())
    assert all(re.fullmatch(r"YC-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", o.tracking_code) for o in made)
    assert len({o.tracking_code for o in made}) == 3
    receipt = coordinator.get("/tiep-nhan-truc-tuyen/%d/bien-nhan" % made[0].id).get_data(as_text=True)
    assert made[0].tracking_code in receipt and "Tiếp công dân" in receipt
    assert made[2].national_code == "H12.34-260501-0001"
    html = coordinator.get("/tiep-nhan-truc-tuyen/", query_string={"q": "H12.34-260501-0001"}).get_data(as_text=True)
    assert made[2].code in html
    assert "Mã PAKN" in coordinator.get("/tiep-nhan-truc-tuyen/%d/bien-nhan" % made[2].id).get_data(as_text=True)
    staff_opinion = models.Opinion.select().where(models.Opinion.audience == "staff",
                                                  models.Opinion.tracking_code.is_null()).first()
    page = coordinator.get("/tiep-nhan-truc-tuyen/%d/bien-nhan" % staff_opinion.id).get_data(as_text=True)
    assert "chưa có mã tra cứu" in page
    response = coordinator.post_form("/tiep-nhan-truc-tuyen/%d/cap-ma" % staff_opinion.id,
                                     {"version": staff_opinion.version})
    assert response.status_code == 303
    assert models.Opinion.get_by_id(staff_opinion.id).tracking_code


def test_a_code_issued_at_the_counter_is_known_to_the_lookup_after_a_sync(app, db, login, intake_app):
    opinion = models.create_opinion(user("coordinator"), kind="petition", channel="reception", audience="citizens",
                                    content="Kiến nghị tại quầy tiếp công dân.", received_on=models.today())
    result = sync(app, intake_app)
    assert result.statuses >= 1
    text = lookup_text(intake_app, opinion.tracking_code)
    assert "Đã tiếp nhận" in text and "Kiến nghị" in text


def test_online_requests_and_their_outcomes_count_in_the_reports_and_the_statistics(app, db, login, intake_app,
                                                                                    submitted, tmp_path):
    """A request sent online, synced and refused counts under "Trực tuyến" in a period report (received in the
    period, not taken in) and in the public statistics."""
    app.config["ATTACHMENTS_DIR"] = str(tmp_path / "files")
    online_label = models.CHANNELS["online"]
    online_before = models.Opinion.select().where(models.Opinion.channel == "online").count()
    sync(app, intake_app)
    opinion = opinion_of(submitted)
    coordinator = login("coordinator")
    response = coordinator.post_form("/tiep-nhan-truc-tuyen/%d/tu-choi" % opinion.id, {
        "version": opinion.version, "reason": "Nội dung không thuộc thẩm quyền giải quyết của Văn phòng UBND tỉnh"})
    assert response.status_code == 303
    day = models.today()
    plan = models.Plan.get(models.Plan.year == day.year)
    response = coordinator.post_form("/bao-cao/moi", {"plan_id": plan.id, "kind": "range",
                                                     "period_start": (day - dt.timedelta(days=3)).isoformat(),
                                                     "period_end": day.isoformat()})
    assert response.status_code == 303, response.get_data(as_text=True)
    tables = page_tables(coordinator.get(response.headers["Location"]))
    online = tables["opinions_channel"][online_label]
    expected_received = models.Opinion.select().where(
        models.Opinion.channel == "online", models.Opinion.received_on >= day - dt.timedelta(days=3),
        models.Opinion.received_on <= day).count()
    assert online["Tiếp nhận trong kỳ"] == expected_received >= 1
    assert online["Không tiếp nhận"] == 1  # this one; the demo's online request is still open
    assert tables["opinions_channel"]["Tổng cộng"]["Không tiếp nhận"] >= 2  # and the demo's portal petition
    statistics = dict(publication.statistics().figures)
    assert statistics["Yêu cầu, kiến nghị gửi trực tuyến"] == online_before + 1


@pytest.mark.parametrize("version, status", [("abc", 422), ("stale", 409)])
def test_a_refused_code_request_shows_the_receipt_with_the_reason(app, db, login, version, status):
    """A version that is not a number, or one someone else has saved past: the receipt page again, the reason
    above its button, and no code issued (not a redirect page sent with an error status)."""
    opinion = models.Opinion.get(models.Opinion.channel == "hotline", models.Opinion.tracking_code.is_null())
    if version == "stale":
        version = opinion.version + 1  # as if another coordinator had saved it since
    response = login("coordinator").post_form("/tiep-nhan-truc-tuyen/%d/cap-ma" % opinion.id, {"version": version})
    assert response.status_code == status and "Location" not in response.headers
    page = response.get_data(as_text=True)
    assert "Giấy biên nhận" in page and 'id="code-error"' in page and "Cấp mã tra cứu" in page
    assert models.Opinion.get_by_id(opinion.id).tracking_code is None
