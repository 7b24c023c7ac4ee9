"""Reports: figures against independent counts, the lists behind them, approval (chief only, numbered,
frozen), narrative conflicts, exports (DOCX, XLSX, CSV) and the register export's privacy."""
import csv
import datetime as dt
import io
import json
import re
import threading
from collections import Counter

import pytest
from bs4 import BeautifulSoup
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

import models
from services import report_exports, reports
from tests.conftest import user
from tests.test_minutes import docx_text

PERIODS = {"midyear": dt.date(2022, 6, 13), "annual": dt.date(2022, 11, 23)}


def soup(response):
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def plan(year=2022):
    return models.Plan.get(models.Plan.year == year)


def create(client, year=2022, kind="annual", cutoff=""):
    response = client.post_form("/bao-cao/moi", {"plan_id": plan(year).id, "kind": kind, "cutoff": cutoff})
    assert response.status_code == 303, response.get_data(as_text=True)
    return models.Report.get(models.Report.plan == plan(year).id, models.Report.kind == kind)


def submit(client, report):
    report = models.Report.get_by_id(report.id)
    response = client.post_form("/bao-cao/%d/trang-thai" % report.id, {"to": "submitted",
                                                                       "version": report.version})
    assert response.status_code == 303, response.get_data(as_text=True)
    return models.Report.get_by_id(report.id)


def approve(client, report):
    report = models.Report.get_by_id(report.id)
    return client.post_form("/bao-cao/%d/phe-duyet" % report.id, {"version": report.version, "note": "Đồng ý"})


def page_tables(response):
    """{table key: {row label: {column label: number}}} as the detail page shows them."""
    out = {}
    for table in soup(response).select("#figures table"):
        headers = [th.get_text(strip=True) for th in table.select("thead th")][1:]
        rows = {}
        for tr in table.select("tbody tr"):
            label = tr.find("th").get_text(strip=True)
            rows[label] = {h: int(td.get_text(strip=True)) for h, td in zip(headers, tr.find_all("td"), strict=True)}
        out[table["id"].removeprefix("table-")] = rows
    return out


# ---------------------------------------------------------------- independent counts

def _last_status(object_type, object_id, before, initial):
    """The status at `before` from the history, by a plain loop."""
    status, at = initial, None
    for change in (models.StatusChange.select()
                   .where(models.StatusChange.object_type == object_type, models.StatusChange.object_id == object_id)
                   .order_by(models.StatusChange.at, models.StatusChange.id)):
        if change.at < before:
            status, at = change.to_status, change.at
    return status, at


def expected_counts(cutoff):
    """The figures counted here by loops over every record, independently of reports.py."""
    start = dt.date(2022, 1, 1)
    end = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time())
    kinds, audiences = models.DIALOGUE_KINDS, models.AUDIENCES
    dialogues = {kinds[k]: {audiences["staff"]: 0, audiences["citizens"]: 0, "Tổng số": 0} for k in kinds}
    dialogues["Tổng cộng"] = {audiences["staff"]: 0, audiences["citizens"]: 0, "Tổng số": 0}
    for d in models.Dialogue.select():
        if start <= d.starts_at.date() <= cutoff and d.status in ("held", "concluded", "completed"):
            for row in (kinds[d.kind], "Tổng cộng"):
                dialogues[row][audiences[d.audience]] += 1
                dialogues[row]["Tổng số"] += 1

    by_field, by_unit, by_audience = {}, {}, {}
    by_channel = {label: Counter() for label in models.CHANNELS.values()}
    for f in models.Field.select():
        by_field[f.name] = Counter()
    for o in models.Opinion.select():
        if not start <= o.received_on <= cutoff:
            continue
        status, _ = _last_status("opinion", o.id, end, "received")
        columns = ["Tiếp nhận"]
        if status in ("concluded", "in_progress", "resolved", "referred", "explained"):
            columns.append("Đã trả lời")
        if status in ("resolved", "referred", "explained"):
            columns.append("Đã giải quyết xong")
        if status in ("received", "assigned", "answer_drafted", "concluded", "in_progress"):
            columns.append("Đang giải quyết")
            if o.deadline is not None and o.deadline < cutoff:
                columns.append("Quá hạn")
        if status == "withdrawn":
            columns.append("Rút ý kiến")
        if status == "refused":
            columns.append("Không tiếp nhận")
        field = o.field.name if o.field_id else "Chưa xác định lĩnh vực"
        unit = o.assigned_unit.name if o.assigned_unit_id else "Chưa giao đơn vị"
        for table, row in ((by_field, field), (by_unit, unit), (by_audience, audiences[o.audience]),
                           (by_channel, models.CHANNELS[o.channel])):
            for row_label in (row, "Tổng cộng"):
                table.setdefault(row_label, Counter()).update(columns)

    conclusions = {}
    signed = [n for n in models.ConclusionNotice.select() if n.status == "signed" and n.signed_at < end]
    replaced = {n.supersedes_id for n in signed if n.supersedes_id}
    for notice in signed:
        if notice.id in replaced or notice.signed_at.date() < start:
            continue
        for c in notice.conclusions:
            status, at = _last_status("conclusion", c.id, end, "open")
            columns = ["Số kết luận"]
            if status in ("resolved", "referred", "explained"):
                if c.deadline is None or at.date() <= c.deadline:
                    columns.append("Hoàn thành đúng hạn")
                else:
                    columns += ["Chậm", "Hoàn thành sau hạn"]
            elif c.deadline is not None and c.deadline < cutoff:
                columns += ["Chậm", "Quá hạn, chưa hoàn thành"]
            else:
                columns.append("Chưa đến hạn")
            unit = c.responsible_unit.name if c.responsible_unit_id else "Chưa giao đơn vị"
            for row_label in (unit, "Tổng cộng"):
                conclusions.setdefault(row_label, Counter()).update(columns)
    return {"dialogues": dialogues, "opinions_field": by_field, "opinions_unit": by_unit,
            "opinions_audience": by_audience, "opinions_channel": by_channel, "conclusions": conclusions}


def as_plain(table, columns):
    return {row: {c: counts[c] for c in columns} for row, counts in table.items()}


@pytest.mark.parametrize("kind", ["midyear", "annual"])
def test_figures_match_independent_counts(login, db, kind):
    coordinator = login("coordinator")
    if kind == "midyear":  # the demo's approved 2022 six-month report: frozen at load, same data since
        report = models.Report.get(models.Report.plan == plan().id, models.Report.kind == "midyear")
        assert report.status == "approved"
    else:
        report = create(coordinator, kind=kind)
    assert report.cutoff == PERIODS[kind]
    shown = page_tables(coordinator.get("/bao-cao/%d" % report.id))
    expected = expected_counts(PERIODS[kind])
    assert shown["dialogues"] == expected["dialogues"]
    opinion_columns = ["Tiếp nhận", "Đã trả lời", "Đã giải quyết xong", "Đang giải quyết", "Quá hạn", "Rút ý kiến"]
    for key in ("opinions_field", "opinions_unit", "opinions_audience"):
        assert shown[key] == as_plain(expected[key], opinion_columns), key
    assert shown["opinions_channel"] == as_plain(expected["opinions_channel"], opinion_columns + ["Không tiếp nhận"])
    conclusion_columns = ["Số kết luận", "Hoàn thành đúng hạn", "Chậm", "Hoàn thành sau hạn",
                          "Quá hạn, chưa hoàn thành", "Chưa đến hạn"]
    assert shown["conclusions"] == as_plain(expected["conclusions"], conclusion_columns)
    # The demo data make these figures worth checking: none of them is trivially zero.
    total = shown["opinions_audience"]["Tổng cộng"]
    assert total["Tiếp nhận"] > total["Đã giải quyết xong"] > 0 and total["Quá hạn"] > 0
    assert shown["dialogues"]["Tổng cộng"]["Tổng số"] >= 6
    if kind == "annual":
        assert shown["conclusions"]["Tổng cộng"]["Hoàn thành sau hạn"] >= 1
        assert total["Rút ý kiến"] >= 1


def test_each_figure_link_lists_what_it_counts(login, db):
    coordinator = login("coordinator")
    report = create(coordinator, kind="annual")
    links = soup(coordinator.get("/bao-cao/%d" % report.id)).select("#figures td a")
    assert len(links) > 40
    for link in links:
        count = int(link.get_text(strip=True))
        listing = coordinator.get(link["href"])
        assert listing.status_code == 200, link["href"]
        page = soup(listing)
        assert int(page.find(id="figure-total").get_text(strip=True)) == count, link["href"]
        assert len(page.select("#figure-items tbody tr")) == min(count, 25), link["href"]
    # One figure checked item by item: the opinions overdue at the cut-off.
    cutoff_end = dt.datetime(2022, 11, 24)
    expected = sorted(o.code for o in models.Opinion.select()
                      if dt.date(2022, 1, 1) <= o.received_on <= PERIODS["annual"] and o.deadline
                      and o.deadline < PERIODS["annual"]
                      and _last_status("opinion", o.id, cutoff_end, "received")[0] in models.OPEN_STATUSES)
    listing = soup(coordinator.get("/bao-cao/%d/danh-sach/opinions_audience.all.overdue" % report.id))
    assert sorted(a.get_text(strip=True) for a in listing.select("#figure-items tbody td:first-child a")) == expected
    assert coordinator.get("/bao-cao/%d/danh-sach/opinions_audience.all.nothing" % report.id).status_code == 404
    assert coordinator.get("/bao-cao/%d/danh-sach/bogus" % report.id).status_code == 404


def test_figure_lists_are_paginated(login, db):
    coordinator = login("coordinator")
    report = create(coordinator, kind="annual")
    for n in range(30):
        models.create_opinion(user("coordinator"), kind="opinion", channel="unit", audience="staff",
                              content="Ý kiến thử số %d về chế độ làm thêm giờ." % n,
                              received_on=dt.date(2022, 3, 1))
    first = soup(coordinator.get("/bao-cao/%d/danh-sach/opinions_audience.all.received" % report.id))
    total = int(first.find(id="figure-total").get_text(strip=True))
    assert total > 30 and len(first.select("#figure-items tbody tr")) == 25
    last_page = (total + 24) // 25
    last = soup(coordinator.get("/bao-cao/%d/danh-sach/opinions_audience.all.received?page=%d"
                                % (report.id, last_page)))
    assert len(last.select("#figure-items tbody tr")) == total - 25 * (last_page - 1)


# ---------------------------------------------------------------- creating

def test_create_uses_the_default_cutoff_and_recipients(login, db):
    coordinator = login("coordinator")
    form = soup(coordinator.get("/bao-cao/moi?plan=%d&kind=annual" % plan().id))
    assert form.find(id="cutoff")["value"] == "2022-11-23"
    report = create(coordinator, kind="annual")
    assert report.cutoff == dt.date(2022, 11, 23) and report.status == "draft"
    assert report.recipients.splitlines() == ["UBND tỉnh;", "Ban Dân vận Tỉnh ủy;", "Sở Nội vụ;", "LĐVP;"]
    page = soup(coordinator.get("/bao-cao/%d" % report.id))
    assert "Từ 01/01/2022 đến 23/11/2022" in page.get_text(" ", strip=True)
    assert models.AuditLog.select().where(models.AuditLog.object_type == "report",
                                          models.AuditLog.object_id == report.id,
                                          models.AuditLog.action == "create").count() == 1
    listing = soup(coordinator.get("/bao-cao/"))
    assert listing.find("a", href="/bao-cao/%d" % report.id)


def test_create_refuses_a_second_report_and_a_cutoff_outside_the_year(login, db):
    coordinator = login("coordinator")
    before = models.Report.select().count()
    response = coordinator.post_form("/bao-cao/moi", {"plan_id": plan().id, "kind": "midyear", "cutoff": ""})
    assert response.status_code == 422
    assert "đã có báo cáo 6 tháng" in soup(response).find(id="kind-error").get_text()
    response = coordinator.post_form("/bao-cao/moi", {"plan_id": plan().id, "kind": "annual",
                                                      "cutoff": "2023-01-05"})
    assert response.status_code == 422
    assert "năm 2022" in soup(response).find(id="cutoff-error").get_text()
    assert soup(response).find(id="kind").find("option", selected=True)["value"] == "annual"
    assert models.Report.select().count() == before


# ---------------------------------------------------------------- roles

def test_who_may_see_create_and_approve(login, db):
    for role in ("specialist", "unit_head", "admin"):
        assert login(role).get("/bao-cao/").status_code == 403
    leader = login("leader")
    report = models.Report.get(models.Report.plan == plan().id, models.Report.kind == "midyear")
    assert leader.get("/bao-cao/%d" % report.id).status_code == 200
    assert leader.get("/bao-cao/moi").status_code == 403
    assert leader.post_form("/bao-cao/moi", {"plan_id": plan().id, "kind": "annual"}).status_code == 403

    coordinator = login("coordinator")
    draft = submit(coordinator, create(coordinator, kind="annual"))
    assert approve(coordinator, draft).status_code == 403
    assert approve(leader, draft).status_code == 403
    assert models.Report.get_by_id(draft.id).status == "submitted"
    assert approve(login("chief"), draft).status_code == 303
    assert models.Report.get_by_id(draft.id).status == "approved"


def test_a_draft_is_not_approved_directly(login, db):
    coordinator = login("coordinator")
    draft = create(coordinator, kind="annual")
    response = approve(login("chief"), draft)
    assert response.status_code == 409
    assert "đã trình duyệt" in soup(response).select_one("#steps .error").get_text()
    assert models.Report.get_by_id(draft.id).number is None


# ---------------------------------------------------------------- approval: number and freezing

def test_approval_numbers_reports_per_year(login, db):
    coordinator, chief = login("coordinator"), login("chief")
    first = submit(coordinator, create(coordinator, kind="annual"))
    current = models.Report.get(models.Report.plan == plan(models.today().year).id)
    second = submit(coordinator, current)
    assert approve(chief, first).status_code == 303
    assert approve(chief, second).status_code == 303
    first, second = models.Report.get_by_id(first.id), models.Report.get_by_id(second.id)
    year = models.today().year
    assert (first.year, first.number, second.year, second.number) == (year, 1, year, 2)
    assert first.approved_by_id == user("chief").id and first.approved_at is not None
    page = soup(chief.get("/bao-cao/%d" % second.id))
    assert page.find(id="report-number").get_text(strip=True) == "Số: 02/BC-VP"
    assert page.find(id="report-status").get_text(strip=True) == "Đã phê duyệt"
    assert reports.number_text(5) == "05/BC-VP" and reports.number_text(12) == "12/BC-VP"
    # The 2022 report of the demo keeps its own number in its own year.
    demo = models.Report.get(models.Report.plan == plan().id, models.Report.kind == "midyear")
    assert (demo.year, demo.number) == (2022, 1)
    history = [c.to_status for c in models.StatusChange.for_object(first)]
    assert history == ["draft", "submitted", "approved"]


def test_an_approved_report_is_frozen(login, db):
    coordinator, chief = login("coordinator"), login("chief")
    report = submit(coordinator, create(coordinator, kind="annual"))
    assert approve(chief, report).status_code == 303
    report = models.Report.get_by_id(report.id)
    before = page_tables(coordinator.get("/bao-cao/%d" % report.id))
    stored = json.loads(report.figures_json)
    assert stored["cutoff"] == "2022-11-23" and stored["tables"]

    # Data change: opinions received in the period, and a dialogue marked held in it.
    for n in range(3):
        models.create_opinion(user("coordinator"), kind="petition", channel="letter", audience="citizens",
                              content="Kiến nghị bổ sung số %d về thủ tục đất đai." % n,
                              received_on=dt.date(2022, 8, 1))
    live = reports.compute_figures(plan(), "annual", dt.date(2022, 11, 23))
    assert live["tables"][1]["rows"][-1]["counts"]["received"] == \
        before["opinions_audience"]["Tổng cộng"]["Tiếp nhận"] + 3  # the live figures moved…
    assert page_tables(coordinator.get("/bao-cao/%d" % report.id)) == before  # …the report did not
    listing = soup(coordinator.get("/bao-cao/%d/danh-sach/opinions_audience.all.received" % report.id))
    assert int(listing.find(id="figure-total").get_text()) == before["opinions_audience"]["Tổng cộng"]["Tiếp nhận"]
    assert coordinator.get("/bao-cao/%d.csv" % report.id).data == report_exports.report_csv(stored)
    # XLSX carries the time it was written (openpyxl stamps it on save): compare what the cells hold.
    def cells(data):
        book = load_workbook(io.BytesIO(data))
        return [[list(r) for r in sheet.iter_rows(values_only=True)] for sheet in book.worksheets]
    assert cells(coordinator.get("/bao-cao/%d.xlsx" % report.id).data) == cells(report_exports.report_xlsx(stored))

    # The narrative can no longer be edited, nor the report sent back.
    assert coordinator.get("/bao-cao/%d/sua" % report.id).status_code == 409
    response = coordinator.post_form("/bao-cao/%d/sua" % report.id, {
        "cutoff": "2022-11-23", "narrative_md": "Sửa sau khi duyệt", "recipients": "UBND tỉnh;",
        "version": report.version})
    assert response.status_code == 409
    assert "đã được phê duyệt" in response.get_data(as_text=True)
    response = coordinator.post_form("/bao-cao/%d/trang-thai" % report.id, {
        "to": "draft", "note": "Sửa lại", "version": report.version})
    assert response.status_code == 409
    after = models.Report.get_by_id(report.id)
    assert (after.status, after.narrative_md, after.version, after.figures_json) == (
        "approved", report.narrative_md, report.version, report.figures_json)


# ---------------------------------------------------------------- narrative

def test_narrative_edit_detects_a_conflict_and_renders_safely(login, db):
    first, second = login("coordinator"), login("chief")
    report = create(first, kind="annual")
    version = report.version
    data = {"cutoff": "2022-11-23", "recipients": "UBND tỉnh;\nSở Nội vụ;", "version": version}
    response = first.post_form("/bao-cao/%d/sua" % report.id, dict(data, narrative_md=(
        "## I. KẾT QUẢ\n\nĐã tổ chức **đối thoại** định kỳ.<script>alert(1)</script>")))
    assert response.status_code == 303
    response = second.post_form("/bao-cao/%d/sua" % report.id, dict(data, narrative_md="Bản của người thứ hai"))
    assert response.status_code == 409
    page = soup(response)
    assert "Phạm Thị Minh Thư" in page.select_one(".conflict").get_text()
    assert page.find(id="narrative_md").get_text() == "Bản của người thứ hai"  # what was typed is kept
    stored = models.Report.get_by_id(report.id)
    assert "Đã tổ chức **đối thoại**" in stored.narrative_md and stored.version == version + 1
    assert stored.recipients == "UBND tỉnh;\nSở Nội vụ;"
    detail = first.get("/bao-cao/%d" % report.id).get_data(as_text=True)
    narrative = soup(first.get("/bao-cao/%d" % report.id)).find(id="narrative")
    assert narrative.find("h2", string="I. KẾT QUẢ") and narrative.find("strong", string="đối thoại")
    assert "<script>alert(1)</script>" not in detail
    response = first.post_form("/bao-cao/%d/sua" % report.id, dict(data, version=stored.version, recipients=" "))
    assert response.status_code == 422
    assert soup(response).find(id="recipients-error")


def test_a_submitted_report_is_returned_with_a_reason(login, db):
    coordinator, chief = login("coordinator"), login("chief")
    report = submit(coordinator, create(coordinator, kind="annual"))
    response = coordinator.post_form("/bao-cao/%d/sua" % report.id, {
        "cutoff": "2022-11-23", "narrative_md": "x", "recipients": "UBND tỉnh;", "version": report.version})
    assert response.status_code == 409 and "đang trình duyệt" in response.get_data(as_text=True)
    response = chief.post_form("/bao-cao/%d/trang-thai" % report.id, {"to": "draft", "note": "",
                                                                      "version": report.version})
    assert response.status_code == 422
    assert models.Report.get_by_id(report.id).status == "submitted"
    response = chief.post_form("/bao-cao/%d/trang-thai" % report.id, {
        "to": "draft", "note": "Bổ sung phần kiến nghị.", "version": report.version})
    assert response.status_code == 303
    assert models.Report.get_by_id(report.id).status == "draft"
    page = soup(coordinator.get("/bao-cao/%d" % report.id)).find(id="steps").get_text(" ", strip=True)
    assert "Bổ sung phần kiến nghị." in page


# ---------------------------------------------------------------- exports of a report

def test_report_tables_as_xlsx_and_csv(login, db):
    coordinator = login("coordinator")
    report = create(coordinator, kind="annual")
    shown = page_tables(coordinator.get("/bao-cao/%d" % report.id))
    response = coordinator.get("/bao-cao/%d.xlsx" % report.id)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Hình thức đối thoại", "Ý kiến theo đối tượng", "Ý kiến theo lĩnh vực",
                               "Ý kiến theo đơn vị xử lý", "Ý kiến theo nguồn tiếp nhận",
                               "Kết luận theo đơn vị chủ trì"]
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Số buổi đối thoại đã tổ chức, theo hình thức và đối tượng"
    assert rows[1] == ("STT", "Hình thức đối thoại", "Công chức, viên chức, người lao động", "Nhân dân, công dân",
                       "Tổng số")
    assert all(cell.font.bold for cell in sheet[2])
    assert sheet.column_dimensions["B"].width >= len("Đối thoại trực tiếp (theo yêu cầu)")
    by_label = {r[1]: r[2:] for r in rows[2:]}
    assert by_label["Tổng cộng"] == tuple(shown["dialogues"]["Tổng cộng"].values())
    fields = book.worksheets[2]
    field_rows = {r[1]: r[2:] for r in fields.iter_rows(min_row=3, values_only=True)}
    assert field_rows["Đất đai"] == tuple(shown["opinions_field"]["Đất đai"].values())

    response = coordinator.get("/bao-cao/%d.csv" % report.id)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines[0] == ["Số buổi đối thoại đã tổ chức, theo hình thức và đối tượng"]
    assert lines[1][:2] == ["STT", "Hình thức đối thoại"]
    units_at = lines.index(["Ý kiến, kiến nghị theo đơn vị xử lý"])
    assert lines[units_at + 1][2:] == list(shown["opinions_unit"]["Tổng cộng"].keys())
    total = next(line for line in lines[units_at:] if len(line) > 1 and line[1] == "Tổng cộng")
    assert [int(v) for v in total[2:]] == list(shown["opinions_unit"]["Tổng cộng"].values())
    exports = models.AuditLog.select().where(models.AuditLog.object_type == "report",
                                             models.AuditLog.action == "export")
    assert exports.count() == 2


def test_report_as_docx(login, db):
    coordinator, chief = login("coordinator"), login("chief")
    draft = create(coordinator, kind="annual")
    response = coordinator.get("/bao-cao/%d.docx" % draft.id)
    assert response.status_code == 200
    text = "\n".join(p.text for p in Document(io.BytesIO(response.data)).paragraphs)
    assert "DỰ THẢO" in text
    report = submit(coordinator, draft)
    assert approve(chief, report).status_code == 303
    response = coordinator.get("/bao-cao/%d.docx" % report.id)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(response.data))
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    joined = "\n".join(texts)
    assert "Số: 01/BC-VP" in joined
    assert "BÁO CÁO" in texts
    assert "Kết quả thực hiện công tác đối thoại năm 2022" in joined
    assert "Nguyễn Huy Anh" in joined and "Sở Nội vụ;" in joined and "DỰ THẢO" not in joined
    assert "Bảng 1. Số buổi đối thoại đã tổ chức, theo hình thức và đối tượng" in joined
    # each table in the section citing it: the dialogues under I.1, the opinions and conclusions under I.2
    body = [child for child in document.element.body.iterchildren()]
    text_of = ["".join(t.text or "" for t in child.iter(qn("w:t"))) if child.tag == qn("w:p") else "[table]"
               for child in body]
    first, second = (text_of.index(h) for h in ("1. Công tác triển khai, tổ chức đối thoại",
                                                "2. Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị"))
    assessment = text_of.index("II. ĐÁNH GIÁ CHUNG")
    assert text_of[first:second].count("[table]") == 1
    assert text_of[second:assessment].count("[table]") == 5
    figures = document.tables[1:-1]
    assert len(figures) == 6
    for table in figures:
        rows = table._tbl.findall(qn("w:tr"))
        assert rows[0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
        assert all(row.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for row in rows)
        stt, name = table.rows[0].cells[:2]
        assert stt.text == "STT" and stt.width < name.width / 2
        assert table.rows[-1].cells[1].text == "Tổng cộng"
        assert all(run.font.bold for cell in table.rows[-1].cells for p in cell.paragraphs for run in p.runs)


# ---------------------------------------------------------------- the register export

def _register_csv(client, query=""):
    response = client.get("/bao-cao/so-theo-doi.csv" + query)
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    return rows


def test_register_export_respects_a_specialists_visibility(login, db):
    specialist = user("specialist")
    rows = _register_csv(login("specialist"))
    visible = {o.code for o in models.Opinion.visible_to(specialist)}
    assert visible and {r["Số"] for r in rows} == visible
    assert len(visible) < models.Opinion.select().count()
    own = {o.code: o for o in models.Opinion.visible_to(specialist)}
    for row in rows:  # their own unit's opinions: they may see who raised them
        contact = own[row["Số"]].submitter_contact
        if contact.startswith("+"):  # "+84 …" would be read as a formula: CSV keeps it text with an apostrophe
            contact = "'" + contact
        assert (row["Người nêu ý kiến"], row["Liên hệ"]) == (own[row["Số"]].submitter_name, contact)
    assert any(row["Người nêu ý kiến"] for row in rows)
    # A denunciation given to their unit but to another handler: listed, its denouncer withheld.
    secret = models.create_opinion(user("coordinator"), kind="denunciation", channel="letter", audience="citizens",
                                   submitter_name="Người Tố Cáo Thử", submitter_contact="0987 654 321",
                                   content="Tố cáo hành vi nhũng nhiễu khi giải quyết hồ sơ.",
                                   assigned_unit=specialist.unit_id, assigned_to=user("unit_head").id)
    rows = _register_csv(login("specialist"))
    row = next(r for r in rows if r["Số"] == secret.code)
    assert (row["Người nêu ý kiến"], row["Liên hệ"]) == ("[bảo mật]", "[bảo mật]")
    assert "Người Tố Cáo Thử" not in login("specialist").get("/bao-cao/so-theo-doi.csv").data.decode("utf-8-sig")
    book = load_workbook(io.BytesIO(login("specialist").get("/bao-cao/so-theo-doi.xlsx").data))
    sheet = book.active
    assert [c.value for c in sheet[1]][:3] == ["Số", "Ngày tiếp nhận", "Loại"] and sheet["A1"].font.bold
    assert {r[0] for r in sheet.iter_rows(min_row=2, values_only=True)} == visible | {secret.code}
    assert login("admin").get("/bao-cao/so-theo-doi.csv").status_code == 403


def test_register_export_hides_a_denouncers_identity_and_follows_the_filters(login, db):
    denunciation = models.Opinion.get(models.Opinion.kind == "denunciation")
    coordinator = login("coordinator")
    rows = _register_csv(coordinator)
    assert len(rows) == models.Opinion.select().count()
    row = next(r for r in rows if r["Số"] == denunciation.code)
    assert row["Người nêu ý kiến"] == "[bảo mật]" and row["Liên hệ"] == "[bảo mật]"
    data = coordinator.get("/bao-cao/so-theo-doi.xlsx").data
    book = load_workbook(io.BytesIO(data))
    values = [str(v) for r in book.active.iter_rows(values_only=True) for v in r if v]
    assert denunciation.submitter_name not in values and denunciation.submitter_contact not in values
    complaint = models.Opinion.get(models.Opinion.kind == "complaint")
    assert next(r for r in rows if r["Số"] == complaint.code)["Người nêu ý kiến"] == complaint.submitter_name
    # The register's own filters: status and overdue.
    resolved = _register_csv(coordinator, "?status=resolved")
    assert {r["Số"] for r in resolved} == {o.code for o in models.Opinion.select().where(
        models.Opinion.status == "resolved")}
    overdue = _register_csv(coordinator, "?overdue=1")
    assert {r["Số"] for r in overdue} == {o.code for o in models.Opinion.overdue()}
    assert all(r["Quá hạn"] == "Có" for r in overdue)
    audits = list(models.AuditLog.select().where(models.AuditLog.action == "export",
                                                 models.AuditLog.object_type == "opinion")
                  .order_by(models.AuditLog.id))
    assert len(audits) == 4 and audits[0].user_id == user("coordinator").id
    assert re.search(r"CSV, %d dòng" % len(resolved), audits[2].summary) and "resolved" in audits[2].summary
    # Words searched may name a person: the log keeps that a search was made, not the words.
    searched = _register_csv(coordinator, "?q=" + denunciation.submitter_name.split()[-1])
    logged = models.AuditLog.select().order_by(models.AuditLog.id.desc()).first()
    assert "[bảo mật]" in logged.summary and denunciation.submitter_name.split()[-1] not in logged.summary
    assert all(r["Người nêu ý kiến"] != denunciation.submitter_name for r in searched)


def test_two_approvals_at_the_same_moment_get_distinct_consecutive_numbers(login, db, monkeypatch):
    """The barrier holds each approval between reading the last number and writing its own: without the
    write lock taken at BEGIN, both would read the same number. With it, the second waits for the first."""
    coordinator = login("coordinator")
    first = submit(coordinator, create(coordinator, kind="annual"))
    second = submit(coordinator, models.Report.get(models.Report.plan == plan(models.today().year).id))
    barrier = threading.Barrier(2)
    compute = reports.compute_figures

    def held(*args, **kwargs):
        try:
            barrier.wait(timeout=1.5)
        except threading.BrokenBarrierError:
            pass
        return compute(*args, **kwargs)

    monkeypatch.setattr(reports, "compute_figures", held)
    chief, errors = user("chief"), []
    db.close()

    def run(report):
        try:
            models.db.connect(reuse_if_open=True)
            reports.approve(report, chief, report.version)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            models.db.close()

    threads = [threading.Thread(target=run, args=(r,)) for r in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    models.db.connect(reuse_if_open=True)
    assert errors == []
    numbers = sorted(models.Report.get_by_id(r.id).number for r in (first, second))
    assert numbers == [1, 2]


def test_register_export_never_turns_text_into_formulas(login, db):
    opinion = models.create_opinion(user("coordinator"), kind="feedback", channel="hotline", audience="citizens",
                                    submitter_name="=HYPERLINK(\"http://x\")", content="=1+2 phản ánh thử nghiệm dài")
    coordinator = login("coordinator")
    book = load_workbook(io.BytesIO(coordinator.get("/bao-cao/so-theo-doi.xlsx").data))
    row = next(r for r in book.active.iter_rows(min_row=2) if r[0].value == opinion.code)
    assert row[7].value == "=1+2 phản ánh thử nghiệm dài" and row[7].data_type == "s"
    assert row[5].data_type == "s"
    rows = _register_csv(coordinator)
    assert next(r for r in rows if r["Số"] == opinion.code)["Nội dung"] == "'=1+2 phản ánh thử nghiệm dài"


def test_the_dashboard_links_each_report_deadline_to_its_report_or_to_starting_it(login, db):
    on = models.today()
    current = models.Plan.get(models.Plan.year == on.year)
    existing = {r.kind: r for r in models.Report.select().where(models.Report.plan == current.id)}
    assert existing, "the demo has a draft report for the current plan"
    page = soup(login("coordinator").get("/"))
    hrefs = [a["href"] for a in page.find_all("a")]
    for report in existing.values():
        assert "/bao-cao/%d" % report.id in hrefs
    missing = {"midyear", "annual"} - set(existing)
    for kind in missing:
        assert any(h.startswith("/bao-cao/moi") and "kind=%s" % kind in h for h in hrefs), hrefs
    # A specialist sees the deadlines but no link into the reports (they are not theirs to read).
    specialist = login("specialist").get("/").get_data(as_text=True)
    assert "Báo cáo 6 tháng" in specialist and "/bao-cao/" not in specialist


# ---------------------------------------------------------------- reports for any period

OPEN = ("received", "assigned", "answer_drafted", "concluded", "in_progress")
RESOLVED = ("resolved", "referred", "explained")
PERIOD_COLUMNS = ["Kỳ trước chuyển sang", "Tiếp nhận trong kỳ", "Đã giải quyết xong trong kỳ",
                  "Đang giải quyết cuối kỳ", "Quá hạn cuối kỳ"]


def expected_period_counts(start, end):
    """The period's figures counted here by a plain loop over every opinion and its history."""
    begin = dt.datetime.combine(start, dt.time())
    after = dt.datetime.combine(end + dt.timedelta(days=1), dt.time())
    tables = {"opinions_audience": {label: Counter() for label in models.AUDIENCES.values()},
              "opinions_kind": {label: Counter() for label in models.OPINION_KINDS.values()},
              "opinions_field": {f.name: Counter() for f in models.Field.select()}, "opinions_unit": {},
              "opinions_channel": {label: Counter() for label in models.CHANNELS.values()}}
    for o in models.Opinion.select():
        if o.received_on < start:
            if _last_status("opinion", o.id, begin, "received")[0] not in OPEN:
                continue
            columns = ["Kỳ trước chuyển sang"]
        elif o.received_on <= end:
            columns = ["Tiếp nhận trong kỳ"]
        else:
            continue
        status = _last_status("opinion", o.id, after, "received")[0]
        if status in RESOLVED:
            columns.append("Đã giải quyết xong trong kỳ")
        if status in OPEN:
            columns.append("Đang giải quyết cuối kỳ")
            if o.deadline is not None and o.deadline < end:
                columns.append("Quá hạn cuối kỳ")
        if status == "refused":
            columns.append("Không tiếp nhận")
        rows = {"opinions_channel": models.CHANNELS[o.channel],
                "opinions_audience": models.AUDIENCES[o.audience], "opinions_kind": models.OPINION_KINDS[o.kind],
                "opinions_field": o.field.name if o.field_id else "Chưa xác định lĩnh vực",
                "opinions_unit": o.assigned_unit.name if o.assigned_unit_id else "Chưa giao đơn vị"}
        for key, row in rows.items():
            for label in (row, "Tổng cộng"):
                tables[key].setdefault(label, Counter()).update(columns)
    return tables


def create_periodic(client, kind, expect=303, **values):
    data = {"plan_id": plan().id, "kind": kind}
    data.update(values)
    response = client.post_form("/bao-cao/moi", data)
    assert response.status_code == expect, response.get_data(as_text=True)
    return response


@pytest.mark.parametrize("kind, values, start, end", [
    ("quarterly", {"quarter": "2"}, dt.date(2022, 4, 1), dt.date(2022, 6, 30)),
    ("monthly", {"month": "3"}, dt.date(2022, 3, 1), dt.date(2022, 3, 31)),
    ("nine_month", {}, dt.date(2022, 1, 1), dt.date(2022, 9, 30)),
    ("range", {"period_start": "2022-02-15", "period_end": "2022-05-10"}, dt.date(2022, 2, 15),
     dt.date(2022, 5, 10)),
])
def test_period_figures_match_counts_made_from_the_status_history(login, db, kind, values, start, end):
    coordinator = login("coordinator")
    response = create_periodic(coordinator, kind, **values)
    report = models.Report.get(models.Report.kind == kind)
    assert response.headers["Location"].endswith("/bao-cao/%d" % report.id)
    assert (report.period_start, report.period_end, report.cutoff) == (start, end, end)
    page = coordinator.get("/bao-cao/%d" % report.id)
    assert soup(page).find(id="report-period").get_text(strip=True) == "Từ %s đến %s" % (
        start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y"))
    shown = page_tables(page)
    expected = expected_period_counts(start, end)
    for key in ("opinions_audience", "opinions_kind", "opinions_field", "opinions_unit"):
        assert shown[key] == as_plain(expected[key], PERIOD_COLUMNS), key
    assert shown["opinions_channel"] == as_plain(expected["opinions_channel"], PERIOD_COLUMNS + ["Không tiếp nhận"])
    held = sum(1 for d in models.Dialogue.select() if start <= d.starts_at.date() <= end
               and d.status in ("held", "concluded", "completed"))
    assert shown["dialogues"]["Tổng cộng"]["Tổng số"] == held
    total = shown["opinions_audience"]["Tổng cộng"]
    assert total["Tiếp nhận trong kỳ"] > 0 and total["Đã giải quyết xong trong kỳ"] > 0
    if kind in ("quarterly", "range"):  # the demo data carry opinions over into these periods
        assert total["Kỳ trước chuyển sang"] > 0


def test_one_report_per_kind_and_period_and_a_range_belongs_to_its_end_years_plan(login, db):
    coordinator = login("coordinator")
    create_periodic(coordinator, "quarterly", quarter="1")
    again = create_periodic(coordinator, "quarterly", expect=422, quarter="1")
    assert soup(again).find(id="kind-error").get_text(strip=True) == "Đã có báo cáo quý I năm 2022."
    create_periodic(coordinator, "quarterly", quarter="2")
    assert models.Report.select().where(models.Report.kind == "quarterly").count() == 2
    reversed_range = create_periodic(coordinator, "range", expect=422, period_start="2022-05-01",
                                     period_end="2022-04-01")
    assert soup(reversed_range).find(id="period_end-error").get_text(strip=True) == \
        "Ngày cuối kỳ phải từ ngày đầu kỳ trở đi."
    assert soup(reversed_range).find(id="period_start")["value"] == "2022-05-01"
    newest = models.Plan.select().order_by(models.Plan.year.desc()).first()
    create_periodic(coordinator, "range", period_start="%d-12-01" % (newest.year - 1),
                    period_end="%d-01-31" % newest.year)
    crossing = models.Report.get(models.Report.kind == "range")
    assert crossing.plan_id == newest.id and crossing.period_start.year == newest.year - 1
    listed = soup(coordinator.get("/bao-cao/")).find(id="periodic-reports").get_text(" ", strip=True)
    assert "Báo cáo quý I năm 2022" in listed and "Báo cáo quý II năm 2022" in listed
    assert "Báo cáo từ ngày 01/12/%d đến ngày 31/01/%d" % (newest.year - 1, newest.year) in listed


def test_a_period_report_is_numbered_frozen_and_exported(login, db):
    coordinator, chief = login("coordinator"), login("chief")
    create_periodic(coordinator, "quarterly", quarter="2")
    report = submit(coordinator, models.Report.get(models.Report.kind == "quarterly"))
    assert approve(chief, report).status_code == 303
    approved = models.Report.get_by_id(report.id)
    assert approved.status == "approved" and approved.number == 1 and approved.figures_json
    frozen = json.loads(approved.figures_json)
    assert (frozen["start"], frozen["cutoff"]) == ("2022-04-01", "2022-06-30")
    before = page_tables(coordinator.get("/bao-cao/%d" % report.id))
    models.Opinion.create(code="YK-2022-9999", kind="petition", audience="staff", content="Thêm sau khi chốt.",
                          received_on=dt.date(2022, 5, 2), status="received")
    assert page_tables(coordinator.get("/bao-cao/%d" % report.id)) == before  # frozen
    text, _ = docx_text(coordinator.get("/bao-cao/%d.docx" % report.id).data)
    assert "Số: 01/BC-VP" in text
    assert "Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị quý II năm 2022" in text
    assert "Kỳ trước chuyển sang" in text and "DỰ THẢO" not in text
    book = load_workbook(io.BytesIO(coordinator.get("/bao-cao/%d.xlsx" % report.id).data))
    assert book.sheetnames == ["Hình thức đối thoại", "Ý kiến theo đối tượng", "Ý kiến theo loại",
                               "Ý kiến theo lĩnh vực", "Ý kiến theo đơn vị xử lý", "Ý kiến theo nguồn tiếp nhận"]
    rows = list(book.worksheets[1].iter_rows(values_only=True))
    assert rows[1] == ("STT", "Đối tượng", *PERIOD_COLUMNS)
    assert {r[1]: list(r[2:]) for r in rows[2:]}["Tổng cộng"] == list(before["opinions_audience"]["Tổng cộng"].values())
    lines = list(csv.reader(io.StringIO(coordinator.get("/bao-cao/%d.csv" % report.id).data.decode("utf-8-sig"))))
    assert ["Ý kiến, kiến nghị trong kỳ, theo loại"] in lines

