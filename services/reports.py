"""Statutory reports (báo cáo 6 tháng, báo cáo năm): the figures, and the tables as XLSX and CSV.

`compute_figures(plan, kind, cutoff)` counts, from 1/1 of the plan's year to the cut-off day
(inclusive):
- dialogues held in the period (scheduled in it and now held, concluded or completed), by kind
  and audience;
- opinions received in the period and where each stood at the cut-off: answered, closed
  ("đã giải quyết xong": resolved, referred or explained), pending, overdue (open with a
  deadline before the cut-off day), withdrawn; by audience, field and unit;
- conclusions of the notices signed in the period (the version in force at the cut-off): closed
  by their deadline, closed after it, open past it, or not yet due; by responsible unit.

Where an opinion or a conclusion stood "at the cut-off" is read from the status history
(StatusChange): the last transition dated on or before the cut-off day; one with no transition
by then is at its first status. Field, unit and deadline are the record's current ones.

The result is plain JSON-able data that keeps the id of every counted record, so that each
figure can list exactly what it counts, also after approval freezes the figures.
"""
import csv
import datetime as dt
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from models import (
    AUDIENCES,
    CHANNELS,
    CLOSED_STATUSES,
    CONCLUSION_CLOSED,
    DIALOGUE_KINDS,
    OPEN_STATUSES,
    OPINION_KINDS,
    OPINION_STATUSES,
    REPORT_KINDS,
    Conclusion,
    ConclusionNotice,
    Dialogue,
    Field,
    Opinion,
    StatusChange,
    Unit,
)
from services.text import document_number, sort_key

FIGURES_VERSION = 1
HELD_STATUSES = ("held", "concluded", "completed")
ANSWERED_STATUSES = ("concluded", "in_progress", "resolved", "referred", "explained")
RESOLVED_STATUSES = ("resolved", "referred", "explained")
TOTAL = "all"
NONE = "none"

OPINION_COLUMNS = [
    ("received", "Tiếp nhận"),
    ("answered", "Đã trả lời"),
    ("resolved", "Đã giải quyết xong"),
    ("in_progress", "Đang giải quyết"),
    ("overdue", "Quá hạn"),
    ("withdrawn", "Rút ý kiến"),
]
CONCLUSION_COLUMNS = [
    ("total", "Số kết luận"),
    ("on_time", "Hoàn thành đúng hạn"),
    ("late", "Chậm"),
    ("closed_late", "Hoàn thành sau hạn"),
    ("open_late", "Quá hạn, chưa hoàn thành"),
    ("not_due", "Chưa đến hạn"),
]
NOTES = {
    "dialogues": "Buổi đối thoại diễn ra trong kỳ và đã tổ chức (không tính buổi hoãn, hủy, chưa tổ chức).",
    "opinions": "Trả lời: đã có kết luận, đang giải quyết, đã giải quyết, đã chuyển cơ quan có thẩm quyền hoặc "
                "đã giải thích. Giải quyết xong: đã giải quyết, đã chuyển cơ quan có thẩm quyền, đã giải thích. "
                "Quá hạn: chưa kết thúc và hạn xử lý trước ngày chốt số liệu. Trạng thái tính tại ngày chốt số liệu.",
    "conclusions": "Kết luận trong các Thông báo kết luận đã ký trong kỳ. Chậm = hoàn thành sau hạn + quá hạn "
                   "chưa hoàn thành (tại ngày chốt số liệu).",
}


# ---------------------------------------------------------------- dates

def period_start(plan):
    return dt.date(plan.year, 1, 1)


def due_date(plan, kind):
    """The last day to send the report (the plan says "before 15/6", "before 25/11")."""
    if kind == "midyear":
        return plan.midyear_report_due or dt.date(plan.year, 6, 14)
    return plan.annual_report_due or dt.date(plan.year, 11, 24)


def default_cutoff(plan, kind):
    """The day before the due date."""
    return due_date(plan, kind) - dt.timedelta(days=1)


def number_text(number):
    """Số: 05/BC-VP (numbers under 10 with a leading zero)."""
    return document_number(number, "BC")


def report_title(kind, year):
    if kind == "midyear":
        return "Kết quả thực hiện công tác đối thoại 6 tháng đầu năm %d" % year
    return "Kết quả thực hiện công tác đối thoại năm %d" % year


# ---------------------------------------------------------------- states at the cut-off

def _states_at(object_type, id_query, moment):
    """{object id: (status, at)} of the last transition at or before `moment`, for ids in `id_query`."""
    rows = (StatusChange.select(StatusChange.object_id, StatusChange.to_status, StatusChange.at)
            .where(StatusChange.object_type == object_type, StatusChange.object_id.in_(id_query),
                   StatusChange.at < moment)
            .order_by(StatusChange.at, StatusChange.id).tuples())
    states = {}
    for object_id, status, at in rows:
        states[object_id] = (status, at)
    return states


def _day(value):
    if value is None:
        return None
    return value.date() if isinstance(value, dt.datetime) else value


# ---------------------------------------------------------------- the figures

def compute_figures(plan, kind, cutoff):
    """The report's figures for the plan's year up to `cutoff` (see the module's docstring)."""
    start = period_start(plan)
    end = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time())  # exclusive
    labels = {
        "kind": dict(DIALOGUE_KINDS), "audience": dict(AUDIENCES),
        "field": {"f%d" % f.id: f.name for f in Field.select().order_by(Field.position, Field.name)},
        "unit": {"u%d" % u.id: u.name for u in sorted(Unit.select(), key=lambda u: sort_key(u.name))},
    }
    labels["field"][NONE] = "Chưa xác định lĩnh vực"
    labels["unit"][NONE] = "Chưa giao đơn vị"

    # Dialogues held in the period.
    dialogues = []
    query = (Dialogue.select(Dialogue.id, Dialogue.kind, Dialogue.audience)
             .where(Dialogue.starts_at >= dt.datetime.combine(start, dt.time()), Dialogue.starts_at < end,
                    Dialogue.status.in_(HELD_STATUSES)).order_by(Dialogue.starts_at, Dialogue.id))
    for d in query:
        dialogues.append({"id": d.id, "dims": {"kind": d.kind}, "cols": [d.audience, TOTAL]})

    # Opinions received in the period, as they stood at the cut-off.
    in_period = Opinion.select(Opinion.id).where(Opinion.received_on >= start, Opinion.received_on <= cutoff)
    states = _states_at("opinion", in_period, end)
    opinions = []
    query = (Opinion.select(Opinion.id, Opinion.audience, Opinion.field, Opinion.assigned_unit, Opinion.deadline)
             .where(Opinion.id.in_(in_period)).order_by(Opinion.received_on, Opinion.id))
    for o in query:
        status = states.get(o.id, ("received", None))[0]
        cols = ["received"]
        if status in ANSWERED_STATUSES:
            cols.append("answered")
        if status in RESOLVED_STATUSES:
            cols.append("resolved")
        if status in OPEN_STATUSES:
            cols.append("in_progress")
            if o.deadline and o.deadline < cutoff:
                cols.append("overdue")
        if status == "withdrawn":
            cols.append("withdrawn")
        opinions.append({"id": o.id, "dims": {
            "audience": o.audience, "field": "f%d" % o.field_id if o.field_id else NONE,
            "unit": "u%d" % o.assigned_unit_id if o.assigned_unit_id else NONE}, "status": status, "cols": cols})

    # Conclusions of the notices signed in the period (the version in force at the cut-off).
    in_force = ConclusionNotice.in_force(ConclusionNotice.select(ConclusionNotice.id), at=end).where(
        ConclusionNotice.signed_at >= dt.datetime.combine(start, dt.time()))
    counted = Conclusion.select(Conclusion.id).where(Conclusion.notice.in_(in_force))
    states = _states_at("conclusion", counted, end)
    conclusions = []
    query = (Conclusion.select(Conclusion.id, Conclusion.responsible_unit, Conclusion.deadline)
             .where(Conclusion.id.in_(counted)).order_by(Conclusion.notice, Conclusion.id))
    for c in query:
        status, at = states.get(c.id, ("open", None))
        cols = ["total"]
        if status in CONCLUSION_CLOSED:
            if c.deadline is None or _day(at) is None or _day(at) <= c.deadline:
                cols.append("on_time")
            else:
                cols += ["late", "closed_late"]
        elif c.deadline and c.deadline < cutoff:
            cols += ["late", "open_late"]
        else:
            cols.append("not_due")
        conclusions.append({"id": c.id, "dims": {
            "unit": "u%d" % c.responsible_unit_id if c.responsible_unit_id else NONE},
            "status": status, "cols": cols})

    records = {"dialogue": dialogues, "opinion": opinions, "conclusion": conclusions}
    audience_cols = [(k, v) for k, v in AUDIENCES.items()] + [(TOTAL, "Tổng số")]
    specs = [
        ("dialogues", "Số buổi đối thoại đã tổ chức, theo hình thức và đối tượng", "dialogue", "kind",
         "Hình thức đối thoại", audience_cols, "all"),
        ("opinions_audience", "Ý kiến, kiến nghị tiếp nhận và kết quả giải quyết, theo đối tượng", "opinion",
         "audience", "Đối tượng", OPINION_COLUMNS, "all"),
        ("opinions_field", "Ý kiến, kiến nghị theo lĩnh vực", "opinion", "field", "Lĩnh vực",
         OPINION_COLUMNS, "all"),
        ("opinions_unit", "Ý kiến, kiến nghị theo đơn vị xử lý", "opinion", "unit", "Đơn vị xử lý",
         OPINION_COLUMNS, "used"),
        ("conclusions", "Thực hiện kết luận tại các Thông báo kết luận, theo đơn vị chủ trì", "conclusion", "unit",
         "Đơn vị chủ trì", CONCLUSION_COLUMNS, "used"),
    ]
    tables = []
    for key, caption, domain, dim, row_header, columns, which in specs:
        items = records[domain]
        used = {r["dims"][dim] for r in items}
        keys = [k for k in labels[dim] if which == "all" and k != NONE or k in used]
        rows = []
        for row_key in keys + [TOTAL]:
            members = [r for r in items if row_key == TOTAL or r["dims"][dim] == row_key]
            counts = {col: sum(1 for r in members if col in r["cols"]) for col, _ in columns}
            rows.append({"key": row_key, "label": "Tổng cộng" if row_key == TOTAL else labels[dim][row_key],
                         "counts": counts})
        tables.append({"key": key, "caption": caption, "domain": domain, "dim": dim, "row_header": row_header,
                       "columns": [{"key": c, "label": label} for c, label in columns], "rows": rows,
                       "note": NOTES[domain + "s"]})
    return {"version": FIGURES_VERSION, "plan_year": plan.year, "kind": kind, "start": start.isoformat(),
            "cutoff": cutoff.isoformat(), "tables": tables, "records": records}


def figure_key(table, row, column):
    return "%s.%s.%s" % (table["key"], row["key"], column["key"])


def figure_members(figures, key):
    """(table, row label, column label, domain, [ids]) that figure `key` counts, or None if there is no such figure."""
    parts = (key or "").split(".")
    if len(parts) != 3:
        return None
    table_key, row_key, col_key = parts
    table = next((t for t in figures["tables"] if t["key"] == table_key), None)
    if table is None:
        return None
    row = next((r for r in table["rows"] if r["key"] == row_key), None)
    column = next((c for c in table["columns"] if c["key"] == col_key), None)
    if row is None or column is None:
        return None
    dim = table["dim"]
    ids = [r["id"] for r in figures["records"][table["domain"]]
           if (row_key == TOTAL or r["dims"][dim] == row_key) and col_key in r["cols"]]
    return table, row["label"], column["label"], table["domain"], ids


# ---------------------------------------------------------------- tables for the exports

def table_rows(figures):
    """[(caption, headers, rows)] with the counts as numbers: for XLSX, CSV and DOCX."""
    out = []
    for table in figures["tables"]:
        headers = ["STT", table["row_header"]] + [c["label"] for c in table["columns"]]
        rows = []
        for index, row in enumerate(table["rows"], start=1):
            number = "" if row["key"] == TOTAL else index
            rows.append([number, row["label"]] + [row["counts"][c["key"]] for c in table["columns"]])
        out.append((table["caption"], headers, rows))
    return out


def _width(value):
    return len(str(value)) if value is not None else 0


def _header_cell(sheet, value):
    cell = WriteOnlyCell(sheet, value=value)
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


def _text_cell(sheet, value):
    """Text that starts with "=" stays text: a submitter's words are never run as a formula."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _csv_safe(value):
    """Text that a spreadsheet would read as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value and (value[0] in "=+@\t\r" or (value[0] == "-" and value[1:2] != " ")):
        return "'" + value
    return "" if value is None else value


def xlsx_bytes(sheets):
    """An XLSX workbook: `sheets` is [(sheet title, caption or None, headers, rows, widths or None)].

    Written in write-only mode (the register can be long): bold header row, column widths set
    from `widths` or from the longest value, the header row frozen.
    """
    book = Workbook(write_only=True)
    used = set()
    for title, caption, headers, rows, widths in sheets:
        sheet = book.create_sheet(_sheet_title(title, used))
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
            sheet.append([_text_cell(sheet, v) if isinstance(v, str) and v.startswith("=") else v for v in row])
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
            writer.writerow([caption])
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_csv_safe(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def report_xlsx(figures):
    return xlsx_bytes([(caption, caption, headers, rows, None) for caption, headers, rows in table_rows(figures)])


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


def kind_label(kind):
    return REPORT_KINDS.get(kind, kind)

