"""The exports, each audited: a report as DOCX, its tables as XLSX and CSV; the opinion register as XLSX and CSV."""
import csv
import io
import json

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from models import (
    AUDIENCES,
    CHANNELS,
    CLOSED_STATUSES,
    MASK,
    OPINION_KINDS,
    OPINION_STATUSES,
    Opinion,
    User,
    audit,
    db,
    today,
)
from services import reports
from services.documents import DOCX_CONTENT_TYPE, AdministrativeDocument, DocumentTable, render_docx
from services.text import csv_safe, xml_text

CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8", "docx": DOCX_CONTENT_TYPE}


# ---------------------------------------------------------------- tables for the exports

def table_rows(figures):
    """[(caption, headers, rows)] with the counts as numbers: for XLSX, CSV and DOCX."""
    out = []
    for table in figures["tables"]:
        headers = ["STT", table["row_header"]] + [c["label"] for c in table["columns"]]
        rows = []
        for index, row in enumerate(table["rows"], start=1):
            number = "" if row["key"] == reports.TOTAL else index
            rows.append([number, row["label"]] + [row["counts"][c["key"]] for c in table["columns"]])
        out.append((table["caption"], headers, rows))
    return out


SECTIONS = {"dialogues": "Công tác triển khai, tổ chức đối thoại"}  # the others: under the opinions' results
RESULTS_SECTION = "Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị"


def document_tables(figures):
    """The tables of the DOCX, each in the narrative's section that cites its figures, numbered "Bảng 1." …"""
    out = []
    for index, (table, (caption, headers, rows)) in enumerate(zip(figures["tables"], table_rows(figures),
                                                                  strict=True), start=1):
        out.append(DocumentTable("Bảng %d. %s" % (index, caption), headers, [[str(v) for v in row] for row in rows],
                                 section=SECTIONS.get(table["key"], RESULTS_SECTION),
                                 total_row=bool(rows) and rows[-1][0] == ""))
    return out


def _width(value):
    return len(str(value)) if value is not None else 0


def _header_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=xml_text(value))
    cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _sheet_title(text, used):
    bad = '[]:*?/\\'
    title = "".join("-" if ch in bad else ch for ch in text)[:28].strip() or "Bang"
    candidate, n = title, 2
    while candidate in used:
        candidate, n = "%s %d" % (title, n), n + 1
    used.add(candidate)
    return candidate


def _cell(sheet, value):
    """A value of a row. Text loses what XML cannot hold (a control character stops the writer), and text
    that starts with "=" stays text: a submitter's words are never run as a formula."""
    if not isinstance(value, str):
        return value
    value = xml_text(value)
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_bytes(sheets):
    """An XLSX workbook: `sheets` is [(sheet title, caption or None, headers, rows, widths or None)].

    Written in write-only mode (the register can be long): bold header row, column widths set
    from `widths` or from the longest value, the header row frozen.
    """
    book = Workbook(write_only=True)
    used = set()
    for title, caption, headers, rows, widths in sheets:
        sheet = book.create_sheet(_sheet_title(xml_text(title), used))
        rows = rows if isinstance(rows, list) or widths else list(rows)
        if widths is None:
            widths = [max([_width(h) for h in [header]] + [_width(r[i]) for r in rows[:500]])
                      for i, header in enumerate(headers)]
            widths = [min(max(w + 2, 6), 60) for w in widths]
        for index, width in enumerate(widths):
            sheet.column_dimensions[get_column_letter(index + 1)].width = width
        first = 2 if caption else 1
        sheet.freeze_panes = "A%d" % (first + 1)
        if caption:
            sheet.append([_header_cell(sheet, caption)])
        sheet.append([_header_cell(sheet, h) for h in headers])
        for row in rows:
            sheet.append([_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(sections):
    """CSV in UTF-8 with a BOM (Excel then reads Vietnamese correctly).

    `sections` is [(caption or None, headers, rows)]; several sections are separated by a blank line.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, (caption, headers, rows) in enumerate(sections):
        if index:
            writer.writerow([])
        if caption:
            writer.writerow([csv_safe(caption)])
        writer.writerow([csv_safe(h) for h in headers])
        for row in rows:
            writer.writerow([csv_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


SHEET_SUBJECTS = {"opinion": "Ý kiến", "conclusion": "Kết luận"}


def sheet_name(table):
    """A table's sheet: what it counts and by what ("Ý kiến theo lĩnh vực"), short enough for Excel's 31
    characters, where the captions would be cut to the same first words."""
    header = table["row_header"]
    subject = SHEET_SUBJECTS.get(table["domain"])
    return "%s theo %s" % (subject, header[:1].lower() + header[1:]) if subject else header


def report_xlsx(figures):
    return xlsx_bytes([(sheet_name(table), caption, headers, rows, None)
                       for table, (caption, headers, rows) in zip(figures["tables"], table_rows(figures), strict=True)])


def report_csv(figures):
    return csv_bytes(table_rows(figures))


# ---------------------------------------------------------------- the register as a table

REGISTER_HEADERS = ["Số", "Ngày tiếp nhận", "Loại", "Nguồn tiếp nhận", "Đối tượng", "Người nêu ý kiến",
                    "Liên hệ", "Nội dung", "Lĩnh vực", "Đơn vị xử lý", "Chuyên viên xử lý", "Hạn xử lý",
                    "Trạng thái", "Quá hạn", "Ngày kết thúc", "Dự thảo trả lời", "Hướng giải quyết"]
REGISTER_WIDTHS = [14, 14, 12, 18, 22, 24, 30, 60, 30, 30, 24, 12, 22, 9, 14, 50, 40]
HIDDEN_IDENTITY = "[bảo mật]"


def register_row(opinion, user, on):
    """One opinion as a row of the register export; identity only where `user` may see it.

    A denouncer's identity never goes into a file (a file's later readers cannot be logged).
    """
    if opinion.kind == "denunciation" or not opinion.can_see_identity(user):
        name = contact = HIDDEN_IDENTITY if (opinion.submitter_name or opinion.submitter_contact) else ""
    else:
        name, contact = opinion.submitter_name, opinion.submitter_contact
    overdue = bool(opinion.deadline and opinion.deadline < on and opinion.status not in CLOSED_STATUSES)
    return [
        opinion.code, _vn(opinion.received_on), OPINION_KINDS.get(opinion.kind, opinion.kind),
        CHANNELS.get(opinion.channel, opinion.channel), AUDIENCES.get(opinion.audience, opinion.audience),
        name, contact, opinion.content, getattr(opinion, "field_name", None) or "",
        getattr(opinion, "unit_name", None) or "", getattr(opinion, "assignee_name", None) or "",
        _vn(opinion.deadline), OPINION_STATUSES.get(opinion.status, opinion.status), "Có" if overdue else "",
        _vn(opinion.closed_at), opinion.draft_answer, opinion.resolution_path,
    ]


def _vn(value):
    return value.strftime("%d/%m/%Y") if value else ""


# ---------------------------------------------------------------- the files, audited

def report_document(report, figures, province, place):
    """The report as an administrative document (Decree 30/2020/NĐ-CP) for printing and signing."""
    signer = report.approved_by if report.approved_by_id else User.get_or_none(User.role == "chief",
                                                                               User.active == True)  # noqa: E712
    return AdministrativeDocument(
        doc_type="BC", type_name="BÁO CÁO", summary=reports.summary_of(report),
        body_md=report.narrative_md, number=report.number, year=report.year or today().year,
        signed_on=report.approved_at.date() if report.approved_at else None, signer_title="CHÁNH VĂN PHÒNG",
        signer_name=signer.full_name if signer else "", recipients=reports.recipients_of(report),
        tables=document_tables(figures),
        province=province, place=place, draft=report.status != "approved")


def report_docx(report, figures, province, place):
    """The report's DOCX bytes."""
    return render_docx(report_document(report, figures, province, place))


def report_file(report, ext, user, province="", place=""):
    """The report as DOCX, or its tables as XLSX or CSV (`ext`), with the export audited."""
    figures = reports.figures_of(report)
    if ext == "docx":
        data, what = report_docx(report, figures, province, place), "%s (DOCX)"
    elif ext == "xlsx":
        data, what = report_xlsx(figures), "bảng số liệu %s (XLSX)"
    else:
        data, what = report_csv(figures), "bảng số liệu %s (CSV)"
    with db.atomic():
        audit(user, "export", report, summary="Xuất " + what % reports.title_of(report).lower())
    return data


def register_file(user, filters, ext, ids=None):
    """The register as `user` sees it on /y-kien/ with `filters`, as XLSX or CSV (`ext`), the export audited.

    With `ids`, only those opinions (a selection made in the register), still as `user` may see them.
    The filters used go into the audit log; the words searched may be a person's name or number:
    logged masked.
    """
    on = today()
    query = Opinion.register(user, filters)
    if ids is not None:
        query = query.where(Opinion.id.in_(list(ids)))
    rows = [register_row(o, user, on) for o in query.iterator()]
    used = {k: v for k, v in filters.items() if v not in ("", None, False)}
    if ids is not None:
        used["selected"] = len(ids)
    if "q" in used:
        used["q"] = MASK
    if ext == "xlsx":
        data = xlsx_bytes([("Sổ theo dõi ý kiến", None, REGISTER_HEADERS, rows, REGISTER_WIDTHS)])
    else:
        data = csv_bytes([(None, REGISTER_HEADERS, rows)])
    with db.atomic():
        audit(user, "export", None, object_type="opinion",
              summary="Xuất sổ theo dõi ý kiến (%s, %d dòng)%s" % (
                  ext.upper(), len(rows), "; lọc: " + json.dumps(used, ensure_ascii=False) if used else ""))
    return data
