"""The one gate of the public site "Dân biết": what may be published, as plain records with no personal data.

Every public page, feed and data file reads only the functions below; they apply the privacy rule
of DESIGN.md in one place:

- dialogues that are scheduled or later (postponed ones too, shown as postponed) and marked public,
  whose title, place and chair pass `personal_data_problems`;
- conclusions of a signed notice still in force (not replaced by a signed correction), marked
  public, whose public summary is not empty and passes `personal_data_problems`, and that are
  closed, or in progress and explicitly publishable, or were once closed (a reopened conclusion
  stays at its URL with its status back to in progress);
- plans marked public; aggregate counts over all records.

Records are frozen dataclasses holding plain values (never Peewee models), listed in a stable
order (ids ascending unless another order is stated), so that two builds give the same bytes.
Inside `services.memo.build_cache()` each result is computed once (a build reads one snapshot);
outside it, every call reads the database afresh (the live preview is always current). Personal
data are found by services.privacy, the one detector.
"""
import dataclasses
import datetime as dt
import functools
import re
from pathlib import Path

import peewee as pw

from models import (
    AUDIENCES,
    CHANNELS,
    CONCLUSION_CLOSED,
    CONCLUSION_STATUSES,
    DIALOGUE_KINDS,
    DIALOGUE_STATUSES,
    OPINION_STATUSES,
    Conclusion,
    ConclusionNotice,
    Dialogue,
    DialogueField,
    Field,
    Opinion,
    Plan,
    StatusChange,
    Unit,
    today,
)
from models import TZ as TZ  # the time zone of every time in the records: the feeds give it
from services import memo
from services.memo import digest, memoized
from services.privacy import personal_data_problems
from services.text import document_number, parse_front_matter, render_markdown

CONTENT_DIR = Path(__file__).resolve().parent / "content"
PUBLIC_DIALOGUE_STATUSES = ("scheduled", "held", "concluded", "completed", "postponed")
HELD_STATUSES = ("held", "concluded", "completed")

# ---------------------------------------------------------------- records


@dataclasses.dataclass(frozen=True)
class PublicField:
    code: str
    name: str


@dataclasses.dataclass(frozen=True)
class PublicDialogue:
    id: int
    slug: str
    title: str
    kind: str
    kind_label: str
    audience: str
    audience_label: str
    fields: tuple  # of PublicField
    starts_at: dt.datetime  # local time in Vietnam
    ends_at: dt.datetime | None
    place: str
    chair: str
    status: str
    status_label: str
    updated_at: dt.datetime
    # What the record is made of, as text (not shown, not compared): page signatures of a build.
    signature: str = dataclasses.field(default="", repr=False, compare=False)

    @property
    def year(self):
        return self.starts_at.year

    @property
    def is_held(self):
        return self.status in HELD_STATUSES

    def is_upcoming(self, on=None):
        """Scheduled for today or later (a postponed dialogue has no date yet)."""
        return self.status == "scheduled" and self.starts_at.date() >= (on or today())


@dataclasses.dataclass(frozen=True)
class TimelineEntry:
    on: dt.date
    status: str
    label: str


@dataclasses.dataclass(frozen=True)
class PublicConclusion:
    id: int
    summary: str
    unit: str  # the responsible unit's name ("" when none)
    deadline: dt.date | None
    field: PublicField | None
    status: str
    status_label: str
    timeline: tuple  # of TimelineEntry, oldest first
    notice_number: str  # e.g. "05/TB-VP"
    notice_date: dt.date | None
    year: int  # the year the notice was signed
    dialogue: PublicDialogue | None  # None when the dialogue itself is not public
    source_label: str  # what kind of dialogue it came from, for a dialogue that is not public
    updated_at: dt.datetime  # the latest status change
    signature: str = dataclasses.field(default="", repr=False, compare=False)  # as PublicDialogue's

    @property
    def is_closed(self):
        return self.status in CONCLUSION_CLOSED


@dataclasses.dataclass(frozen=True)
class PublicPlan:
    year: int
    title: str
    number: str
    issued_on: dt.date | None
    body_md: str  # the plan's Markdown, as staff wrote it
    midyear_report_due: dt.date | None
    annual_report_due: dt.date | None

    @functools.cached_property
    def html(self):
        """Sanitised HTML from the plan's Markdown, made when a page shows it (not to digest a build)."""
        return render_markdown(self.body_md)


@dataclasses.dataclass(frozen=True)
class ContentPage:
    name: str
    title: str
    description: str
    body_md: str  # the page's Markdown, from content/pages/

    @functools.cached_property
    def html(self):
        """Sanitised HTML from the Markdown, made when a page shows it (not to digest a build)."""
        return render_markdown(self.body_md)


@dataclasses.dataclass(frozen=True)
class Series:
    """One table of counts (and its chart): rows are (label, count)."""

    key: str
    title: str
    label_heading: str
    value_heading: str
    rows: tuple

    @property
    def total(self):
        return sum(value for _, value in self.rows)


@dataclasses.dataclass(frozen=True)
class Statistics:
    figures: tuple  # (label, value) key figures
    series: tuple  # of Series


# ---------------------------------------------------------------- what passes the privacy rule


def summary_is_publishable(text):
    """A public summary may go public: it says something and holds no personal data."""
    return bool((text or "").strip()) and not personal_data_problems(text)


def dialogue_texts_are_publishable(values):
    """The free texts of a dialogue that go public (title, place, chair) hold no personal data."""
    return not any(personal_data_problems(values.get(name) or "") for name in ("title", "place", "chair"))


# ---------------------------------------------------------------- fields and dialogues


@memoized
def fields():
    """Every field (lĩnh vực), in the order staff set."""
    return [PublicField(code, name) for code, name in
            Field.select(Field.code, Field.name).order_by(Field.position, Field.id).tuples()]


def field(code):
    return next((f for f in fields() if f.code == code), None)


def _public_dialogues_query():
    return Dialogue.select().where(Dialogue.is_public == True,  # noqa: E712 (SQL, not Python)
                                   Dialogue.status.in_(PUBLIC_DIALOGUE_STATUSES))


def _load_dialogues(condition=None):
    query = _public_dialogues_query()
    if condition is not None:
        query = query.where(condition)
    columns = (Dialogue.id, Dialogue.slug, Dialogue.title, Dialogue.kind, Dialogue.audience, Dialogue.starts_at,
               Dialogue.ends_at, Dialogue.place, Dialogue.chair, Dialogue.status, Dialogue.updated_at)
    rows = [row for row in query.select(*columns).order_by(Dialogue.starts_at, Dialogue.id).dicts()
            if dialogue_texts_are_publishable(row)]
    if not rows:
        return []
    links, names = {}, {}
    ids = query.select(Dialogue.id)
    for dialogue_id, code, name in (DialogueField.select(DialogueField.dialogue, Field.code, Field.name)
                                    .join(Field).where(DialogueField.dialogue.in_(ids))
                                    .order_by(Field.position, Field.id).tuples()):
        links.setdefault(dialogue_id, []).append(PublicField(code, name))
        names.setdefault(dialogue_id, []).append((code, name))
    return [PublicDialogue(
        id=row["id"], slug=row["slug"], title=row["title"], kind=row["kind"],
        kind_label=DIALOGUE_KINDS.get(row["kind"], row["kind"]), audience=row["audience"],
        audience_label=AUDIENCES.get(row["audience"], row["audience"]), fields=tuple(links.get(row["id"], ())),
        starts_at=row["starts_at"], ends_at=row["ends_at"], place=row["place"], chair=row["chair"],
        status=row["status"], status_label=DIALOGUE_STATUSES.get(row["status"], row["status"]),
        updated_at=row["updated_at"], signature=digest((tuple(row.values()), names.get(row["id"]))))
        for row in rows]


@memoized
def dialogues():
    """Every public dialogue, by start time."""
    return _load_dialogues()


@memoized
def _dialogues_by_slug():
    return {d.slug: d for d in dialogues()}


@memoized
def _dialogues_by_id():
    return {d.id: d for d in dialogues()}


def dialogue(slug):
    """One public dialogue by its slug, or None."""
    if memo.active():
        return _dialogues_by_slug().get(slug)
    found = _load_dialogues(Dialogue.slug == slug)
    return found[0] if found else None


def _dialogues_with_ids(ids):
    if memo.active():
        table = _dialogues_by_id()
        return {i: table[i] for i in ids if i in table}
    found = {}
    ids = sorted(ids)
    for start in range(0, len(ids), 500):
        for d in _load_dialogues(Dialogue.id.in_(ids[start:start + 500])):
            found[d.id] = d
    return found


def upcoming_dialogues(on=None):
    """Public dialogues scheduled for today or later, soonest first."""
    return [d for d in dialogues() if d.is_upcoming(on)]


def past_dialogues(on=None):
    """Public dialogues that are not upcoming (held, postponed, or past their date), newest first."""
    return [d for d in reversed(dialogues()) if not d.is_upcoming(on)]


@memoized
def dialogue_years():
    """Years with public dialogues, newest first."""
    return sorted({d.year for d in dialogues()}, reverse=True)


@memoized
def _dialogues_by_year():
    years = {}
    for d in reversed(dialogues()):
        years.setdefault(d.year, []).append(d)
    return years


def dialogues_in_year(year):
    """Public dialogues of a year, newest first."""
    return list(_dialogues_by_year().get(year, []))


# ---------------------------------------------------------------- conclusions


def _as_time(value):
    return value if value is None or isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)


def _as_date(value):
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    return dt.date.fromisoformat(value[:10])


def _load_conclusions(condition=None):
    """The published conclusions (those passing `condition` too), oldest first.

    Rows are read as the database's own tuples (Peewee's conversion of every value of every row
    was most of the time of reading 20,000 conclusions); dates and times are parsed here, and
    the values many records share (fields, days of the timeline, labels) are made once.
    """
    query = Conclusion.publishable()
    if condition is not None:
        query = query.where(condition)
    database = Conclusion._meta.database
    rows = database.execute(query.select(
        Conclusion.id, Conclusion.public_summary, Conclusion.deadline, Conclusion.status, Conclusion.created_at,
        Unit.name, Field.code, Field.name, ConclusionNotice.number, ConclusionNotice.doc_type,
        ConclusionNotice.signed_at, ConclusionNotice.dialogue, Dialogue.kind, Dialogue.audience)
        .join_from(ConclusionNotice, Dialogue)
        .join_from(Conclusion, Unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == Unit.id))
        .join_from(Conclusion, Field, pw.JOIN.LEFT_OUTER, on=(Conclusion.field == Field.id))
        .order_by(Conclusion.id)).fetchall()
    rows = [row for row in rows if summary_is_publishable(row[1])]
    if not rows:
        return []
    histories, timelines, entries = {}, {}, {}  # by conclusion id: [(status, at)], [TimelineEntry]
    for object_id, status, at in database.execute(
            StatusChange.select(StatusChange.object_id, StatusChange.to_status, StatusChange.at)
            .where(StatusChange.object_type == Conclusion._meta.table_name,
                   StatusChange.object_id.in_(query.select(Conclusion.id)))
            .order_by(StatusChange.at, StatusChange.id)).fetchall():
        key = (status, at[:10] if isinstance(at, str) else _as_date(at))
        entry = entries.get(key)
        if entry is None:
            entry = entries[key] = TimelineEntry(_as_date(key[1]), status, CONCLUSION_STATUSES.get(status, status))
        if object_id in histories:
            histories[object_id].append((status, at))
            timelines[object_id].append(entry)
        else:
            histories[object_id], timelines[object_id] = [(status, at)], [entry]
    public = _dialogues_with_ids({row[11] for row in rows})
    fields, sources = {}, {}
    records = []
    for row in rows:
        (conclusion_id, summary, deadline, status, created_at, unit, field_code, field_name, number, doc_type,
         signed_at, dialogue_id, kind, audience) = row
        history = histories.get(conclusion_id, ())
        signed_at, created_at = _as_time(signed_at), _as_time(created_at)
        dialogue = public.get(dialogue_id)
        if field_code and (field_code, field_name) not in fields:
            fields[field_code, field_name] = PublicField(field_code, field_name)
        if (kind, audience) not in sources:
            sources[kind, audience] = "%s với %s" % (DIALOGUE_KINDS.get(kind, ""), AUDIENCES.get(audience, "").lower())
        records.append(PublicConclusion(
            id=conclusion_id, summary=summary.strip(), unit=unit or "", deadline=_as_date(deadline),
            field=fields[field_code, field_name] if field_code else None,
            status=status, status_label=CONCLUSION_STATUSES.get(status, status),
            timeline=tuple(timelines.get(conclusion_id, ())),
            notice_number=document_number(number, doc_type),
            notice_date=signed_at.date() if signed_at else None,
            year=(signed_at or created_at).year,
            dialogue=dialogue,
            source_label=sources[kind, audience],
            updated_at=_as_time(history[-1][1]) if history else (signed_at or created_at),
            signature=digest((row, history, dialogue.signature if dialogue else None))))
    return records


@memoized
def conclusions():
    """Every published conclusion, oldest (lowest id) first."""
    return _load_conclusions()


@memoized
def _conclusions_by_id():
    return {c.id: c for c in conclusions()}


def conclusion(conclusion_id):
    """One published conclusion, or None."""
    if memo.active():
        return _conclusions_by_id().get(conclusion_id)
    found = _load_conclusions(Conclusion.id == conclusion_id)
    return found[0] if found else None


@memoized
def _conclusion_groups():
    """Published conclusions by dialogue id, field code and year, each list oldest first."""
    groups = {"dialogue": {}, "field": {}, "year": {}}
    for c in conclusions():
        if c.dialogue:
            groups["dialogue"].setdefault(c.dialogue.id, []).append(c)
        if c.field:
            groups["field"].setdefault(c.field.code, []).append(c)
        groups["year"].setdefault(c.year, []).append(c)
    return groups


def conclusions_of_dialogue(dialogue_id):
    """Published conclusions of one public dialogue, oldest first."""
    if memo.active():
        return list(_conclusion_groups()["dialogue"].get(dialogue_id, []))
    return [c for c in _load_conclusions(ConclusionNotice.dialogue == dialogue_id) if c.dialogue]


def conclusions_in_field(code):
    """Published conclusions of a field, oldest first."""
    return list(_conclusion_groups()["field"].get(code, []))


def conclusions_in_year(year):
    """Published conclusions whose notice was signed in `year`, oldest first."""
    return list(_conclusion_groups()["year"].get(year, []))


@memoized
def conclusion_years():
    """Years with published conclusions, newest first."""
    return sorted({c.year for c in conclusions()}, reverse=True)


def latest_resolved(limit=5):
    """The most recently closed published conclusions."""
    closed = [c for c in conclusions() if c.is_closed]
    return sorted(closed, key=lambda c: (c.updated_at, c.id), reverse=True)[:limit]


# ---------------------------------------------------------------- plans and pages


@memoized
def plans():
    """Public plans, newest year first."""
    return [PublicPlan(year=p.year, title=p.title, number=p.number, issued_on=p.issued_on,
                       body_md=p.body_md, midyear_report_due=p.midyear_report_due,
                       annual_report_due=p.annual_report_due)
            for p in Plan.select().where(Plan.is_public == True).order_by(Plan.year.desc())]  # noqa: E712


def plan(year):
    return next((p for p in plans() if p.year == year), None)


@memoized
def content_page(name):
    """A page from content/pages/<name>.md (front matter: title, description), or None."""
    if not re.fullmatch(r"[a-z0-9-]+", name or ""):
        return None
    path = CONTENT_DIR / "pages" / ("%s.md" % name)
    if not path.is_file():
        return None
    meta, body = parse_front_matter(path.read_text(encoding="utf-8"))
    return ContentPage(name=name, title=str(meta.get("title") or name), description=str(meta.get("description") or ""),
                       body_md=body)


# ---------------------------------------------------------------- statistics (aggregates over all records)


def _count_by(query, column):
    return dict(query.select(column, pw.fn.COUNT(pw.SQL("*"))).group_by(column).tuples())


def _labelled(counts, labels):
    """Rows in the order of `labels` (a dict code → label), then codes it does not know."""
    rows = [(label, counts.get(code, 0)) for code, label in labels.items() if counts.get(code)]
    rows += [("Chưa phân loại" if code is None else str(code), n)
             for code, n in sorted(counts.items(), key=lambda kv: (kv[0] is None, str(kv[0])))
             if code not in labels and n]
    return tuple(rows)


def _by_year(query, column):
    counts = {}
    for value, n in query.select(column, pw.fn.COUNT(pw.SQL("*"))).group_by(column).tuples():
        if value is None:
            continue
        year = value.year if hasattr(value, "year") else int(str(value)[:4])
        counts[year] = counts.get(year, 0) + n
    return tuple((str(year), counts[year]) for year in sorted(counts))


@memoized
def statistics():
    """Counts over every record (aggregates only): dialogues, opinions and conclusions."""
    held = Dialogue.select().where(Dialogue.status.in_(HELD_STATUSES))
    issued = Conclusion.in_force()
    field_labels = {f.id: f.name for f in Field.select(Field.id, Field.name).order_by(Field.position, Field.id)}
    conclusion_status = _count_by(issued, Conclusion.status)
    total_conclusions = sum(conclusion_status.values())
    closed = sum(n for status, n in conclusion_status.items() if status in CONCLUSION_CLOSED)
    opinions = Opinion.select()
    online = Opinion.select().where(Opinion.channel == "online")
    figures = (
        ("Buổi đối thoại đã tổ chức", held.count()),
        ("Ý kiến, kiến nghị đã tiếp nhận", opinions.count()),
        ("Kết luận đã ban hành", total_conclusions),
        ("Kết luận đã thực hiện xong", closed),
        ("Tỷ lệ kết luận đã thực hiện xong (%)", round(100 * closed / total_conclusions) if total_conclusions else 0),
        ("Yêu cầu, kiến nghị gửi trực tuyến", online.count()),
    )
    series = (
        Series("doi-thoai-theo-nam", "Buổi đối thoại đã tổ chức theo năm", "Năm", "Số buổi",
               _by_year(held, Dialogue.starts_at)),
        Series("doi-thoai-theo-hinh-thuc", "Buổi đối thoại đã tổ chức theo hình thức", "Hình thức", "Số buổi",
               _labelled(_count_by(held, Dialogue.kind), DIALOGUE_KINDS)),
        Series("doi-thoai-theo-doi-tuong", "Buổi đối thoại đã tổ chức theo đối tượng", "Đối tượng", "Số buổi",
               _labelled(_count_by(held, Dialogue.audience), AUDIENCES)),
        Series("doi-thoai-theo-tinh-trang", "Buổi đối thoại theo tình trạng (kể cả đề xuất, hoãn, hủy)",
               "Tình trạng", "Số buổi", _labelled(_count_by(Dialogue.select(), Dialogue.status), DIALOGUE_STATUSES)),
        Series("y-kien-theo-nam", "Ý kiến, kiến nghị tiếp nhận theo năm", "Năm", "Số ý kiến",
               _by_year(opinions, Opinion.received_on)),
        Series("y-kien-theo-linh-vuc", "Ý kiến, kiến nghị theo lĩnh vực", "Lĩnh vực", "Số ý kiến",
               _labelled(_count_by(opinions, Opinion.field), field_labels)),
        Series("y-kien-theo-tinh-trang", "Ý kiến, kiến nghị theo tình trạng xử lý", "Tình trạng", "Số ý kiến",
               _labelled(_count_by(opinions, Opinion.status), OPINION_STATUSES)),
        Series("y-kien-theo-nguon", "Ý kiến, kiến nghị theo nguồn tiếp nhận", "Nguồn tiếp nhận", "Số ý kiến",
               _labelled(_count_by(opinions, Opinion.channel), CHANNELS)),
        Series("truc-tuyen-theo-tinh-trang", "Yêu cầu, kiến nghị gửi trực tuyến theo tình trạng xử lý", "Tình trạng",
               "Số yêu cầu", _labelled(_count_by(online, Opinion.status), OPINION_STATUSES)),
        Series("ket-luan-theo-trang-thai", "Kết luận theo tình trạng thực hiện", "Tình trạng", "Số kết luận",
               _labelled(conclusion_status, CONCLUSION_STATUSES)),
        Series("ket-luan-theo-linh-vuc", "Kết luận theo lĩnh vực", "Lĩnh vực", "Số kết luận",
               _labelled(_count_by(issued, Conclusion.field), field_labels)),
    )
    return Statistics(figures=figures, series=series)
