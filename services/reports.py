"""Statutory reports (báo cáo 6 tháng, báo cáo năm): the figures, the lists behind them, and a report's steps.

A report is created as a draft, edited, submitted and sent back, then approved: numbered
(Số: 05/BC-VP, per year) with its figures frozen, in one transaction (`approve`). The exports
(XLSX, CSV, DOCX) are in services/report_exports.py.

`compute_figures(plan, kind, cutoff)` counts, from 1/1 of the plan's year to the cut-off day
(inclusive):
- dialogues held in the period (scheduled in it and now held, concluded or completed), by kind
  and audience;
- opinions received in the period and where each stood at the cut-off: answered, closed
  ("đã giải quyết xong": resolved, referred or explained), pending, overdue (open with a
  deadline before the cut-off day), withdrawn; by audience, field, unit and channel (where online
  requests count, with those refused);
- conclusions of the notices signed in the period (the version in force at the cut-off): closed
  by their deadline, closed after it, open past it, or not yet due; by responsible unit.

Where an opinion or a conclusion stood "at the cut-off" is read from the status history
(StatusChange): the last transition dated on or before the cut-off day; one with no transition
by then is at its first status. Field, unit and deadline are the record's current ones.

The result is plain JSON-able data that keeps the id of every counted record, so that each
figure can list exactly what it counts, also after approval freezes the figures.
"""
import datetime as dt
import json

import peewee as pw

from models import (
    AUDIENCES,
    CHANNELS,
    CONCLUSION_CLOSED,
    DIALOGUE_KINDS,
    OPEN_STATUSES,
    OPINION_KINDS,
    REPORT_KINDS,
    STATUTORY_REPORT_KINDS,
    Conclusion,
    ConclusionNotice,
    ConflictError,
    Dialogue,
    Field,
    Opinion,
    Report,
    StatusChange,
    TransitionError,
    Unit,
    audit,
    db,
    now,
    record_transition,
    save_versioned,
)
from services.numbering import numbering_transaction
from services.text import document_number, sort_key

FIGURES_VERSION = 1
HELD_STATUSES = ("held", "concluded", "completed")
ANSWERED_STATUSES = ("concluded", "in_progress", "resolved", "referred", "explained")
RESOLVED_STATUSES = ("resolved", "referred", "explained")
TOTAL = "all"
NONE = "none"
REPORT_STATUSES = {"draft": "Dự thảo", "submitted": "Đã trình duyệt", "approved": "Đã phê duyệt"}
STEPS = {"draft": ("submitted",), "submitted": ("draft",)}  # what status_post may do; approval is its own
DEFAULT_RECIPIENTS = ["UBND tỉnh;", "Ban Dân vận Tỉnh ủy;", "Sở Nội vụ;", "LĐVP;"]
NARRATIVE_TEMPLATE = """## I. KẾT QUẢ THỰC HIỆN

### 1. Công tác triển khai, tổ chức đối thoại

### 2. Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị

## II. ĐÁNH GIÁ CHUNG

### 1. Ưu điểm

### 2. Tồn tại, hạn chế và nguyên nhân

## III. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI

## IV. KIẾN NGHỊ, ĐỀ XUẤT
"""

OPINION_COLUMNS = [
    ("received", "Tiếp nhận"),
    ("answered", "Đã trả lời"),
    ("resolved", "Đã giải quyết xong"),
    ("in_progress", "Đang giải quyết"),
    ("overdue", "Quá hạn"),
    ("withdrawn", "Rút ý kiến"),
]
REFUSED_COLUMN = ("refused", "Không tiếp nhận")  # shown in the tables by channel: online requests' outcomes
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
    "channels": "Trực tuyến: gửi qua cổng tiếp nhận yêu cầu của Văn phòng và đồng bộ vào sổ theo dõi. Không tiếp "
                "nhận: yêu cầu bị từ chối, có nêu lý do.",
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
    """The summary line of a statutory report (trích yếu)."""
    if kind == "midyear":
        return "Kết quả thực hiện công tác đối thoại 6 tháng đầu năm %d" % year
    return "Kết quả thực hiện công tác đối thoại năm %d" % year


ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
PERIOD_KINDS = ("monthly", "quarterly", "nine_month", "range")


def period_words(kind, start, end):
    """"tháng 3 năm 2022", "quý I năm 2022", "9 tháng đầu năm 2022", "từ ngày 05/01/2022 đến ngày 10/02/2022"."""
    if kind == "monthly":
        return "tháng %d năm %d" % (start.month, start.year)
    if kind == "quarterly":
        return "quý %s năm %d" % (ROMAN[(start.month - 1) // 3 + 1], start.year)
    if kind == "nine_month":
        return "9 tháng đầu năm %d" % start.year
    return "từ ngày %s đến ngày %s" % (start.strftime("%d/%m/%Y"), end.strftime("%d/%m/%Y"))


def summary_of(report):
    """The summary line of the report's document."""
    if report.kind in STATUTORY_REPORT_KINDS:
        return report_title(report.kind, report.plan.year)
    return "Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị %s" % period_words(
        report.kind, report.period_start, report.period_end)


def title_of(report):
    """"Báo cáo 6 tháng năm 2022", "Báo cáo năm 2022", "Báo cáo quý I năm 2022", "Báo cáo từ ngày … đến ngày …"."""
    if report.kind == "annual":
        return "Báo cáo năm %d" % report.plan.year
    if report.kind in PERIOD_KINDS and report.period_start and report.period_end:
        return "Báo cáo %s" % period_words(report.kind, report.period_start, report.period_end)
    return "%s năm %d" % (REPORT_KINDS.get(report.kind, report.kind), report.plan.year)


def period_of(kind, year=None, month=None, quarter=None, start=None, end=None):
    """(first day, last day, key) of a periodic report's period; ValueError for an incomplete or reversed one.

    The key tells the periods of one plan and kind apart: "2022-03", "2022-Q1", "2022-9T",
    "2022-01-05..2022-02-10" (a range belongs to the plan of its end's year).
    """
    if kind == "monthly":
        first = dt.date(year, month, 1)
        last = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return first, last, "%04d-%02d" % (year, month)
    if kind == "quarterly":
        first = dt.date(year, 3 * quarter - 2, 1)
        last = (dt.date(year, 3 * quarter, 28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
        return first, last, "%04d-Q%d" % (year, quarter)
    if kind == "nine_month":
        return dt.date(year, 1, 1), dt.date(year, 9, 30), "%04d-9T" % year
    if kind == "range":
        if start is None or end is None or end < start:
            raise ValueError("a range needs a start before its end")
        return start, end, "%s..%s" % (start.isoformat(), end.isoformat())
    raise ValueError("not a periodic kind: %s" % kind)


def statutory_period(plan, cutoff):
    """A statutory report's period: 1/1 of the plan's year to the cut-off; its key is the year."""
    return {"period_start": period_start(plan), "period_end": cutoff, "period_key": str(plan.year)}


def status_label(report):
    return REPORT_STATUSES.get(report.status, report.status)


def lines(text):
    """The non-empty lines of a text, stripped (the recipients, one per line)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def recipients_of(report):
    return lines(report.recipients) or list(DEFAULT_RECIPIENTS)


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

def _labels():
    labels = {
        "kind": dict(DIALOGUE_KINDS), "audience": dict(AUDIENCES),
        "field": {"f%d" % f.id: f.name for f in Field.select().order_by(Field.position, Field.name)},
        "unit": {"u%d" % u.id: u.name for u in sorted(Unit.select(), key=lambda u: sort_key(u.name))},
        "channel": dict(CHANNELS),
    }
    labels["field"][NONE] = "Chưa xác định lĩnh vực"
    labels["unit"][NONE] = "Chưa giao đơn vị"
    return labels


def _held_dialogues(begin, end):
    """The dialogues scheduled from `begin` to before `end` and held (now held, concluded or completed)."""
    query = (Dialogue.select(Dialogue.id, Dialogue.kind, Dialogue.audience)
             .where(Dialogue.starts_at >= begin, Dialogue.starts_at < end,
                    Dialogue.status.in_(HELD_STATUSES)).order_by(Dialogue.starts_at, Dialogue.id))
    return [{"id": d.id, "dims": {"kind": d.kind}, "cols": [d.audience, TOTAL]} for d in query]


def _end_columns(status, deadline, day, open_column):
    """Where an opinion stands at `day`: "resolved"; or `open_column`, with "overdue" if due before `day`."""
    if status in RESOLVED_STATUSES:
        return ["resolved"]
    if status in OPEN_STATUSES:
        return [open_column] + (["overdue"] if deadline and deadline < day else [])
    return []


def _opinion_record(opinion, status, cols):
    """One counted opinion: its id, the dimensions its rows are chosen by, its status and the columns it counts in
    (a refused request also counts in the "refused" column of the tables by channel)."""
    if status == "refused":
        cols = cols + ["refused"]
    return {"id": opinion.id, "dims": {
        "audience": opinion.audience, "opinion_kind": opinion.kind, "channel": opinion.channel,
        "field": "f%d" % opinion.field_id if opinion.field_id else NONE,
        "unit": "u%d" % opinion.assigned_unit_id if opinion.assigned_unit_id else NONE}, "status": status, "cols": cols}


def _audience_columns():
    return [(k, v) for k, v in AUDIENCES.items()] + [(TOTAL, "Tổng số")]


def _tables(specs, records, labels):
    """The tables of `specs` (key, caption, domain, dimension, row header, columns, rows shown, note) over `records`:
    rows "all" (every label) or "used" (those with records), then the total."""
    tables = []
    for key, caption, domain, dim, row_header, columns, which, note in specs:
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
                       "columns": [{"key": c, "label": label} for c, label in columns], "rows": rows, "note": note})
    return tables


def compute_figures(plan, kind, cutoff):
    """The report's figures for the plan's year up to `cutoff` (see the module's docstring)."""
    start = period_start(plan)
    end = dt.datetime.combine(cutoff + dt.timedelta(days=1), dt.time())  # exclusive
    labels = _labels()

    # Dialogues held in the period.
    dialogues = _held_dialogues(dt.datetime.combine(start, dt.time()), end)

    # Opinions received in the period, as they stood at the cut-off.
    in_period = Opinion.select(Opinion.id).where(Opinion.received_on >= start, Opinion.received_on <= cutoff)
    states = _states_at("opinion", in_period, end)
    opinions = []
    query = (Opinion.select(Opinion.id, Opinion.kind, Opinion.audience, Opinion.channel, Opinion.field,
                            Opinion.assigned_unit, Opinion.deadline)
             .where(Opinion.id.in_(in_period)).order_by(Opinion.received_on, Opinion.id))
    for o in query:
        status = states.get(o.id, ("received", None))[0]
        cols = ["received"] + (["answered"] if status in ANSWERED_STATUSES else [])
        cols += _end_columns(status, o.deadline, cutoff, "in_progress")
        if status == "withdrawn":
            cols.append("withdrawn")
        opinions.append(_opinion_record(o, status, cols))

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
    specs = [
        ("dialogues", "Số buổi đối thoại đã tổ chức, theo hình thức và đối tượng", "dialogue", "kind",
         "Hình thức đối thoại", _audience_columns(), "all", NOTES["dialogues"]),
        ("opinions_audience", "Ý kiến, kiến nghị tiếp nhận và kết quả giải quyết, theo đối tượng", "opinion",
         "audience", "Đối tượng", OPINION_COLUMNS, "all", NOTES["opinions"]),
        ("opinions_field", "Ý kiến, kiến nghị theo lĩnh vực", "opinion", "field", "Lĩnh vực",
         OPINION_COLUMNS, "all", NOTES["opinions"]),
        ("opinions_unit", "Ý kiến, kiến nghị theo đơn vị xử lý", "opinion", "unit", "Đơn vị xử lý",
         OPINION_COLUMNS, "used", NOTES["opinions"]),
        ("opinions_channel", "Ý kiến, kiến nghị theo nguồn tiếp nhận (kể cả yêu cầu gửi trực tuyến)", "opinion",
         "channel", "Nguồn tiếp nhận", OPINION_COLUMNS + [REFUSED_COLUMN], "all", NOTES["channels"]),
        ("conclusions", "Thực hiện kết luận tại các Thông báo kết luận, theo đơn vị chủ trì", "conclusion", "unit",
         "Đơn vị chủ trì", CONCLUSION_COLUMNS, "used", NOTES["conclusions"]),
    ]
    return {"version": FIGURES_VERSION, "plan_year": plan.year, "kind": kind, "start": start.isoformat(),
            "cutoff": cutoff.isoformat(), "tables": _tables(specs, records, labels), "records": records}


PERIOD_COLUMNS = [
    ("carried_over", "Kỳ trước chuyển sang"),
    ("received", "Tiếp nhận trong kỳ"),
    ("resolved", "Đã giải quyết xong trong kỳ"),
    ("pending", "Đang giải quyết cuối kỳ"),
    ("overdue", "Quá hạn cuối kỳ"),
]
PERIOD_NOTE = ("Kỳ trước chuyển sang: tiếp nhận trước ngày đầu kỳ, chưa kết thúc vào ngày đầu kỳ. Giải quyết xong "
               "trong kỳ: đã giải quyết, đã chuyển cơ quan có thẩm quyền hoặc đã giải thích trong kỳ. Đang giải "
               "quyết cuối kỳ: chưa kết thúc vào cuối ngày cuối kỳ; quá hạn: trong số đó, hạn xử lý trước ngày cuối "
               "kỳ. Trạng thái đọc từ lịch sử xử lý.")


def compute_period_figures(start, end_day):
    """A periodic report's figures for the days `start` to `end_day` (inclusive), from the status history.

    The opinions counted: those open at the period's start (carried over) and those received in it.
    For each, where it stood at the end: resolved in the period (a resolving status reached after the
    start), pending at the end (an open status), overdue at the end (pending, the deadline before the
    last day). By audience, kind, field and unit; with the dialogues held in the period.
    """
    begin = dt.datetime.combine(start, dt.time())
    end = dt.datetime.combine(end_day + dt.timedelta(days=1), dt.time())  # exclusive
    labels = _labels()
    labels["opinion_kind"] = dict(OPINION_KINDS)
    dialogues = _held_dialogues(begin, end)

    before = Opinion.select(Opinion.id).where(Opinion.received_on < start)
    at_start = _states_at("opinion", before, begin)
    carried = [i for i, in before.tuples() if at_start.get(i, ("received", None))[0] in OPEN_STATUSES]
    received = Opinion.select(Opinion.id).where(Opinion.received_on >= start, Opinion.received_on <= end_day)
    ids = carried + [i for i, in received.tuples()]
    at_end = _states_at("opinion", Opinion.select(Opinion.id).where(Opinion.id.in_(ids or [0])), end)
    carried = set(carried)
    opinions = []
    query = (Opinion.select(Opinion.id, Opinion.kind, Opinion.audience, Opinion.channel, Opinion.field,
                            Opinion.assigned_unit, Opinion.deadline)
             .where(Opinion.id.in_(ids or [0])).order_by(Opinion.received_on, Opinion.id))
    for o in query:
        status = at_end.get(o.id, ("received", None))[0]
        cols = ["carried_over" if o.id in carried else "received"]
        cols += _end_columns(status, o.deadline, end_day, "pending")
        opinions.append(_opinion_record(o, status, cols))

    records = {"dialogue": dialogues, "opinion": opinions, "conclusion": []}
    specs = [
        ("dialogues", "Số buổi đối thoại đã tổ chức trong kỳ, theo hình thức và đối tượng", "dialogue", "kind",
         "Hình thức đối thoại", _audience_columns(), "all", NOTES["dialogues"]),
        ("opinions_audience", "Ý kiến, kiến nghị trong kỳ, theo đối tượng", "opinion", "audience", "Đối tượng",
         PERIOD_COLUMNS, "all", PERIOD_NOTE),
        ("opinions_kind", "Ý kiến, kiến nghị trong kỳ, theo loại", "opinion", "opinion_kind", "Loại",
         PERIOD_COLUMNS, "all", PERIOD_NOTE),
        ("opinions_field", "Ý kiến, kiến nghị trong kỳ, theo lĩnh vực", "opinion", "field", "Lĩnh vực",
         PERIOD_COLUMNS, "all", PERIOD_NOTE),
        ("opinions_unit", "Ý kiến, kiến nghị trong kỳ, theo đơn vị xử lý", "opinion", "unit", "Đơn vị xử lý",
         PERIOD_COLUMNS, "used", PERIOD_NOTE),
        ("opinions_channel", "Ý kiến, kiến nghị trong kỳ, theo nguồn tiếp nhận (kể cả yêu cầu gửi trực tuyến)",
         "opinion", "channel", "Nguồn tiếp nhận", PERIOD_COLUMNS + [REFUSED_COLUMN], "all", NOTES["channels"]),
    ]
    return {"version": FIGURES_VERSION, "plan_year": end_day.year, "kind": "period", "start": start.isoformat(),
            "cutoff": end_day.isoformat(), "tables": _tables(specs, records, labels), "records": records}


def live_figures(report):
    """The figures as the data stands now: the plan's year to the cut-off, or the report's own period."""
    if report.kind in STATUTORY_REPORT_KINDS:
        return compute_figures(report.plan, report.kind, report.cutoff)
    return compute_period_figures(report.period_start, report.period_end)


def figures_of(report):
    """The frozen figures of an approved report; the live ones otherwise."""
    if report.status == "approved" and report.figures_json:
        return json.loads(report.figures_json)
    return live_figures(report)


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


def figure_records(domain, ids, user):
    """The records of one page of a figure's list, in the order of `ids`, with what the list shows (no N+1).

    Opinions only where `user` may see them.
    """
    if not ids:
        return []
    if domain == "dialogue":
        rows = Dialogue.select().where(Dialogue.id.in_(ids))
    elif domain == "opinion":
        rows = Opinion.register(user, {}).where(Opinion.id.in_(ids)).order_by()  # the order is `ids`
    else:
        unit = Unit.alias()
        rows = (Conclusion.select(Conclusion, ConclusionNotice, Dialogue, unit)
                .join(ConclusionNotice).join(Dialogue)
                .switch(Conclusion).join(unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == unit.id))
                .where(Conclusion.id.in_(ids)))
    by_id = {row.id: row for row in rows}
    return [by_id[i] for i in ids if i in by_id]


# ---------------------------------------------------------------- the steps: create, edit, submit, approve

def create(plan, kind, cutoff, user, period=None):
    """A draft with the narrative outline and the default recipients.

    A statutory report covers 1/1 to `cutoff`; a periodic one the `period` (first day, last day, key) of
    period_of, its cut-off its last day. IntegrityError if the plan has a report of `kind` for that period.
    """
    if kind in STATUTORY_REPORT_KINDS:
        values = statutory_period(plan, cutoff)
    else:
        start, end, key = period
        values, cutoff = {"period_start": start, "period_end": end, "period_key": key}, end
    with db.atomic():
        report = Report.create(plan=plan.id, kind=kind, cutoff=cutoff, narrative_md=NARRATIVE_TEMPLATE,
                               recipients="\n".join(DEFAULT_RECIPIENTS), status="draft", **values)
        report.plan = plan
        record_transition(report, user, "", "draft", "Lập báo cáo")
        audit(user, "create", report, {"plan": (None, plan.id), "kind": (None, kind), "cutoff": (None, cutoff),
                                       "period_start": (None, values["period_start"]),
                                       "period_end": (None, values["period_end"])},
              summary="Lập %s" % title_of(report).lower())
    return report


def save_draft(report, expected_version, user, values):
    """Save a draft's cut-off, narrative and recipients; ConflictError if saved or no longer a draft since."""
    with db.atomic():
        current = Report.get_by_id(report.id)
        if current.status != "draft":  # approved or submitted since the page was opened
            raise ConflictError(current)
        if report.kind in STATUTORY_REPORT_KINDS and "cutoff" in values:
            values = dict(values, period_end=values["cutoff"])  # 1/1 to the cut-off
        else:
            values = {k: v for k, v in values.items() if k != "cutoff"}  # a periodic report's period is fixed
        return save_versioned(report, expected_version, user, values, summary="Sửa %s" % title_of(report).lower())


def change_status(report, target, note, user, expected_version):
    """Submit a draft, or take a submitted report back to draft; TransitionError for any other step."""
    if target not in STEPS.get(report.status, ()):
        raise TransitionError("Không thể chuyển báo cáo từ “%s” sang “%s”." % (status_label(report),
                                                                            REPORT_STATUSES[target]))
    with db.atomic():
        saved = save_versioned(report, expected_version, user, {"status": target}, action="status",
                               summary="%s: %s → %s" % (title_of(report), status_label(report),
                                                        REPORT_STATUSES[target]))
        record_transition(saved, user, report.status, target, note)
    return saved


def approve(report, user, expected_version, note=""):
    """Approve a submitted report: the next number of the year, figures frozen, in one transaction.

    services.numbering.numbering_transaction holds the series' write lock from the first statement
    (BEGIN IMMEDIATE on SQLite), so two approvals at the same moment cannot read the same last
    number; the number is also checked unused before it is written.
    """
    at = now()
    with numbering_transaction(db, at.year, "BC"):
        current = Report.with_plan().where(Report.id == report.id).get()
        if current.version != int(expected_version):
            raise ConflictError(current)
        if current.status != "submitted":
            raise TransitionError("Chỉ phê duyệt báo cáo đã trình duyệt (hiện: %s)." % status_label(current))
        last = Report.select(pw.fn.MAX(Report.number)).where(Report.year == at.year,
                                                             Report.number.is_null(False)).scalar()
        number = (last or 0) + 1
        if Report.select().where(Report.year == at.year, Report.number == number).exists():
            raise TransitionError("Số %s năm %d đã được dùng; vui lòng thử lại." % (number_text(number), at.year))
        figures = json.dumps(live_figures(current), ensure_ascii=False)
        saved = save_versioned(current, expected_version, user, {
            "status": "approved", "year": at.year, "number": number, "approved_by": user.id, "approved_at": at},
            action="approve", summary="Phê duyệt %s, số %s (chốt số liệu)" % (title_of(current).lower(),
                                                                           number_text(number)))
        # The frozen figures are written beside the audited change (not copied into the audit log).
        Report.update(figures_json=figures).where(Report.id == saved.id).execute()
        record_transition(saved, user, "submitted", "approved", note, at=at)
    saved.figures_json = figures
    saved.plan = current.plan
    return saved

