"""Tables of the dialogue plan and their query helpers; the database is bound by the app factory."""
import datetime as dt
import json
import operator
from functools import reduce
from zoneinfo import ZoneInfo

import peewee as pw
from playhouse.db_url import connect

from services import audit_chain, tracking
from services.numbering import lock_series
from services.text import document_number, fold, person_sort_key, slugify, sort_key

db = pw.DatabaseProxy()
TZ = ZoneInfo("Asia/Ho_Chi_Minh")

SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": "normal",
                  "cache_size": -64000, "mmap_size": 256 * 1024 * 1024, "temp_store": "memory"}


POOL_SIZE = 16  # connections a process keeps open
POOL_WAIT = 30  # seconds a request waits for a free connection before it fails


def open_database(url):
    """A Peewee database for a URL; SQLite gets WAL, foreign keys, a busy timeout and immediate transactions.

    On SQLite every outermost transaction (`db.atomic()`) begins IMMEDIATE: it takes the write lock
    when it begins, waiting for it up to the busy timeout. A deferred one that reads (the next
    register number, the current version) before it writes cannot wait: when another connection
    wrote meanwhile, its first write fails at once with "database is locked". SQLite has one
    writer at a time anyway, and readers (WAL) are never held up by it. PostgreSQL has no lock
    type; its read-then-write steps are guarded by the version check and services.numbering's locks.
    Both keep a pool of connections per process (PostgreSQL's, checked before reuse: a connection
    the server ended is replaced); a request that finds them all in use waits up to POOL_WAIT for one.
    """
    if url.startswith("sqlite:") and ":memory:" not in url:
        # A small pool keeps connections (and their page caches) across requests.
        url = "sqlite+pool:" + url[len("sqlite:"):]
        return connect(url, max_connections=POOL_SIZE, stale_timeout=600, timeout=POOL_WAIT,
                       check_same_thread=False, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if url.startswith("sqlite"):
        return connect(url, pragmas=SQLITE_PRAGMAS, lock_type="IMMEDIATE")
    if url.startswith(("postgres://", "postgresql://")):
        # A pool too: a new PostgreSQL connection per request costs a process fork and its handshake.
        url = "postgresql+pool://" + url.split("://", 1)[1]
        return connect(url, max_connections=POOL_SIZE, stale_timeout=600, timeout=POOL_WAIT)
    return connect(url)


def now():
    """Local wall-clock time in Vietnam, without tzinfo (how every timestamp is stored)."""
    return dt.datetime.now(TZ).replace(tzinfo=None, microsecond=0)


def today():
    return now().date()


class ConflictError(Exception):
    """Someone else saved the record since it was opened; `current` is their version."""

    def __init__(self, current):
        super().__init__("conflict")
        self.current = current


class TransitionError(Exception):
    """A status change that the lifecycle or the user's role does not allow; str() is the reason."""


def by_unit(user, query, rule):
    """`query` as `user` may see it, the one shape of every unit-scoped access rule: all of it for those who
    read everything, the rows `rule(unit id)` selects for the staff of a content unit, none for the others."""
    if user.reads_everything:
        return query
    if user.is_content_staff and user.unit_id:
        return query.where(rule(user.unit_id))
    return query.where(pw.SQL("1 = 0"))


class BaseModel(pw.Model):
    class Meta:
        database = db
        legacy_table_names = False


class Versioned(BaseModel):
    """A table that staff edit: `version` grows on each save, for conflict detection."""

    version = pw.IntegerField(default=1)


# ---------------------------------------------------------------- organisation

UNIT_KINDS = {
    "admin": "Phòng tổng hợp, hành chính",
    "content": "Phòng, ban khối nội dung",
    "unit": "Đơn vị trực thuộc",
    "union": "Đoàn thể",
}

ROLES = {
    "specialist": "Chuyên viên",
    "unit_head": "Lãnh đạo phòng, đơn vị",
    "coordinator": "Phòng TCHCQT (điều phối)",
    "leader": "Phó Chánh Văn phòng",
    "chief": "Chánh Văn phòng",
    "admin": "Quản trị hệ thống",
}


class Rows(list):
    """Records sorted in Python (Vietnamese order) that page like a query: count() and paginate()."""

    def count(self):
        return len(self)

    def paginate(self, page, per_page):
        start = (page - 1) * per_page
        return self[start:start + per_page]


class Unit(Versioned):
    code = pw.CharField(unique=True, max_length=20)
    name = pw.CharField(max_length=200)
    kind = pw.CharField(max_length=20, default="content")
    active = pw.BooleanField(default=True)

    def __str__(self):
        return self.name

    @classmethod
    def in_name_order(cls, query=None):
        """Units in Vietnamese alphabetical order."""
        return Rows(sorted(query if query is not None else cls.select(), key=lambda u: sort_key(u.name)))

    @classmethod
    def with_user_count(cls):
        """Units with `user_count`, the number of accounts in each (one query), in Vietnamese order."""
        return cls.in_name_order(cls.select(cls, pw.fn.COUNT(User.id).alias("user_count"))
                                 .join(User, pw.JOIN.LEFT_OUTER, on=(User.unit == cls.id)).group_by(cls))


AGENCY_KINDS = {
    "department": "Sở, ban, ngành",
    "district": "UBND huyện, thành phố",
    "party": "Cơ quan Đảng",
    "front": "Mặt trận, đoàn thể",
    "state": "Cơ quan nhà nước",
}
PROPOSING_AGENCY_KINDS = ("department", "district")  # who may propose a Chairman's dialogue (Art. 8)


class Agency(Versioned):
    name = pw.CharField(unique=True, max_length=200)
    kind = pw.CharField(max_length=20, default="department")
    is_appraiser = pw.BooleanField(default=False)  # Ban Dân vận Tỉnh ủy, Ủy ban MTTQ tỉnh

    def __str__(self):
        return self.name

    @classmethod
    def appraisers(cls):
        """The appraising bodies, by name."""
        return list(cls.select().where(cls.is_appraiser).order_by(cls.name))

    @classmethod
    def proposing(cls, keep=None):
        """Who may propose a Chairman's dialogue (Sở, ban, ngành; UBND huyện, thành phố), and `keep` (an id)."""
        return (cls.select().where((cls.kind.in_(PROPOSING_AGENCY_KINDS) & ~cls.is_appraiser) | (cls.id == (keep or 0)))
                .order_by(cls.kind, cls.name))

    @classmethod
    def proposing_or_proposed(cls):
        """The proposing agencies and any other that has a proposal, appraisers aside, by name (the list filter)."""
        return (cls.select().where(cls.kind.in_(PROPOSING_AGENCY_KINDS) | cls.id.in_(Proposal.select(Proposal.agency)))
                .where(~cls.is_appraiser).order_by(cls.name))


class User(Versioned):
    username = pw.CharField(unique=True, max_length=50)
    full_name = pw.CharField(max_length=120)
    password_hash = pw.CharField(max_length=255)
    role = pw.CharField(max_length=20, index=True)
    unit = pw.ForeignKeyField(Unit, null=True, backref="users", on_delete="SET NULL")
    email = pw.CharField(max_length=200, default="")
    title = pw.CharField(max_length=120, default="")  # chức vụ
    active = pw.BooleanField(default=True)
    failed_logins = pw.IntegerField(default=0)
    locked_until = pw.DateTimeField(null=True)
    session_epoch = pw.IntegerField(default=0)  # bumped to end every session of the account
    last_login_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=now)

    def __str__(self):
        return self.full_name

    @property
    def role_label(self):
        return ROLES.get(self.role, self.role)

    @property
    def reads_everything(self):
        return self.role in ("coordinator", "leader", "chief")

    @property
    def is_content_staff(self):
        return self.role in ("specialist", "unit_head")

    @classmethod
    def with_unit(cls):
        """Accounts with their unit in the same query."""
        return cls.select(cls, Unit).join(Unit, pw.JOIN.LEFT_OUTER, on=(cls.unit == Unit.id))

    @classmethod
    def in_name_order(cls, query=None):
        """Accounts in Vietnamese order of given names."""
        return Rows(sorted(query if query is not None else cls.select(), key=lambda u: person_sort_key(u.full_name)))

    @classmethod
    def filtered(cls, role="", unit=None, query=None):
        """The account list's filters: a role and a unit."""
        return where_given(query if query is not None else cls.with_unit(),
                           (cls.role, role if role in ROLES else ""), (cls.unit, unit))


class UserSession(BaseModel):
    """A signed-in browser, kept on the server so that a logout ends it for every worker.

    The signed cookie holds a random id; only its SHA-256 (`key`) is stored.
    """

    key = pw.CharField(primary_key=True, max_length=64)
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    created_at = pw.DateTimeField(default=now)
    last_seen_at = pw.DateTimeField(default=now, index=True)
    ended_at = pw.DateTimeField(null=True)

    @classmethod
    def open_with_user(cls, key):
        """The session with this key that has not ended, with its account (one query), or None."""
        return cls.select(cls, User).join(User).where(cls.key == key, cls.ended_at.is_null()).first()

    @classmethod
    def end(cls, *conditions):
        """End the open sessions that match `conditions`; returns how many ended."""
        return cls.update(ended_at=now()).where(cls.ended_at.is_null(), *conditions).execute()


class LoginAttempt(BaseModel):
    """A failed sign-in, by client address and the user name typed: what the login limits count."""

    address = pw.CharField(max_length=64)
    username = pw.CharField(max_length=50)  # as typed (cut to the longest possible user name)
    at = pw.DateTimeField(default=now, index=True)
    counts = pw.BooleanField(default=True)  # for the name's delay; cleared by a sign-in or a password reset

    class Meta:
        indexes = ((("address", "at"), False), (("username", "at"), False))

    @classmethod
    def failures_from(cls, address, since):
        """(count, oldest time) of the address's failures since `since`."""
        row = cls.select(pw.fn.COUNT(cls.id).alias("n"), pw.fn.MIN(cls.at).alias("oldest")).where(
            cls.address == address, cls.at >= since).dicts().get()
        return row["n"], row["oldest"]

    @classmethod
    def failures_for(cls, username, since):
        """(count, latest time) of the failures that still count against a user name since `since`."""
        row = cls.select(pw.fn.COUNT(cls.id).alias("n"), pw.fn.MAX(cls.at).alias("latest")).where(
            cls.username == username, cls.counts, cls.at >= since).dicts().get()
        return row["n"], row["latest"]

    @classmethod
    def clear_name(cls, username):
        """A sign-in or a reset: the name's earlier failures no longer slow it down (addresses still count)."""
        cls.update(counts=False).where(cls.username == username, cls.counts).execute()


class Field(Versioned):
    code = pw.CharField(unique=True, max_length=40)  # ASCII slug
    name = pw.CharField(max_length=200)
    position = pw.IntegerField(default=0)

    def __str__(self):
        return self.name


class Setting(BaseModel):
    key = pw.CharField(primary_key=True, max_length=80)
    value = pw.TextField(default="")

    @classmethod
    def get_value(cls, key, default=None):
        row = cls.get_or_none(cls.key == key)
        return row.value if row else default


HOLIDAY_KINDS = {"holiday": "Ngày nghỉ lễ, tết", "workday": "Ngày làm bù"}


class Holiday(Versioned):
    day = pw.DateField(unique=True)
    name = pw.CharField(max_length=120)
    kind = pw.CharField(max_length=20, default="holiday")  # holiday | workday (make-up working day)

    @classmethod
    def in_year(cls, year):
        """The year's days off and make-up working days, in date order."""
        return list(cls.select().where(cls.day.between(dt.date(year, 1, 1), dt.date(year, 12, 31))).order_by(cls.day))


# ---------------------------------------------------------------- plans and dialogues


class Plan(Versioned):
    year = pw.IntegerField(unique=True)
    title = pw.CharField(max_length=300)
    number = pw.CharField(max_length=60, default="")  # e.g. "123/KH-VP"
    issued_on = pw.DateField(null=True)
    body_md = pw.TextField(default="")
    midyear_report_due = pw.DateField(null=True)  # last day (the plan says "before 15/6")
    annual_report_due = pw.DateField(null=True)
    is_public = pw.BooleanField(default=True)

    def __str__(self):
        return self.title

    @classmethod
    def newest_first(cls):
        """Every plan, the newest year first."""
        return cls.select().order_by(cls.year.desc())

    @classmethod
    def of_year(cls, year):
        """The plans of `year` (one at most: the year is unique)."""
        return cls.select().where(cls.year == year)

    def is_in_use(self):
        """Whether dialogues or reports belong to this plan (its year is then theirs too)."""
        return self.dialogues.exists() or self.reports.exists()


DIALOGUE_KINDS = {
    "on_request": "Đối thoại trực tiếp (theo yêu cầu)",
    "ad_hoc": "Đối thoại đột xuất",
    "periodic": "Đối thoại định kỳ",
}
AUDIENCES = {
    "staff": "Công chức, viên chức, người lao động",
    "citizens": "Nhân dân, công dân",
}
OCCASIONS = {
    "": "Không gắn với hội nghị",
    "annual_review": "Hội nghị tổng kết, triển khai nhiệm vụ năm",
    "staff_conference": "Hội nghị công chức, viên chức",
    "directive_briefing": "Hội nghị quán triệt, triển khai văn bản",
    "weekly_briefing": "Họp giao ban tuần",
    "monthly_briefing": "Họp giao ban tháng",
}
DIALOGUE_STATUSES = {
    "proposed": "Đề xuất",
    "appraised": "Đã thẩm định",
    "scheduled": "Đã lên lịch",
    "held": "Đã tổ chức",
    "concluded": "Đã có kết luận",
    "completed": "Hoàn thành",
    "postponed": "Hoãn",
    "cancelled": "Hủy",
}
DIALOGUE_TRANSITIONS = {
    "proposed": ("appraised", "scheduled", "cancelled"),
    "appraised": ("scheduled", "cancelled"),
    "scheduled": ("held", "postponed", "cancelled"),
    "postponed": ("scheduled", "cancelled"),
    "held": ("concluded",),
    "concluded": ("completed",),
    "completed": (),
    "cancelled": (),
}
DIALOGUE_NOTE_REQUIRED = {"postponed", "cancelled"}  # a reason must be given


def where_given(query, *pairs):
    """The query narrowed by `column == value` for each (column, value) pair whose value is given."""
    for column, value in pairs:
        if value:
            query = query.where(column == value)
    return query


def years_of(column):
    """The years from the earliest to the latest value of a date or time column, newest first."""
    first, last = column.model.select(pw.fn.MIN(column), pw.fn.MAX(column)).scalar(as_tuple=True)
    if not first:
        return []
    first, last = (v.year if hasattr(v, "year") else int(str(v)[:4]) for v in (first, last))
    return list(range(last, first - 1, -1))


class Dialogue(Versioned):
    plan = pw.ForeignKeyField(Plan, null=True, backref="dialogues", on_delete="SET NULL")
    title = pw.CharField(max_length=300)
    slug = pw.CharField(unique=True, max_length=120)  # ASCII, for the public URL
    kind = pw.CharField(max_length=20, index=True)
    audience = pw.CharField(max_length=20, index=True)
    occasion = pw.CharField(max_length=30, default="")
    is_chairman = pw.BooleanField(default=False)  # Chairman of UBND tỉnh with the People (Art. 8)
    starts_at = pw.DateTimeField(index=True)
    ends_at = pw.DateTimeField(null=True)
    place = pw.CharField(max_length=300, default="")
    chair = pw.CharField(max_length=200, default="")  # name and title of who presides
    description = pw.TextField(default="")
    status = pw.CharField(max_length=20, default="scheduled", index=True)
    is_public = pw.BooleanField(default=False)
    # Minutes, once held: the total attendance and, where counted, by group; who kept the minutes
    attendance = pw.IntegerField(null=True)
    attendance_leaders = pw.IntegerField(null=True)    # lãnh đạo
    attendance_staff = pw.IntegerField(null=True)      # công chức, viên chức, người lao động
    attendance_citizens = pw.IntegerField(null=True)   # công dân
    attendance_guests = pw.IntegerField(null=True)     # khách mời
    secretary = pw.CharField(max_length=200, default="")  # thư ký: name and title
    discussion = pw.TextField(default="")
    directions = pw.TextField(default="")
    # Program of a Chairman's dialogue (Art. 8): agenda items and the briefing content
    agenda = pw.TextField(default="")
    briefing = pw.TextField(default="")
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=now)
    updated_at = pw.DateTimeField(default=now)

    def __str__(self):
        return self.title

    @classmethod
    def unique_slug(cls, title, starts_at):
        """The public URL's slug ("doi-thoai-ve-dat-dai-2022-06-15"), numbered on when taken."""
        slug = slugify(title, starts_at)
        candidate, n = slug, 2
        while cls.select().where(cls.slug == candidate).exists():
            candidate, n = "%s-%d" % (slug, n), n + 1
        return candidate

    @property
    def status_label(self):
        return DIALOGUE_STATUSES.get(self.status, self.status)

    @property
    def kind_label(self):
        return DIALOGUE_KINDS.get(self.kind, self.kind)

    @property
    def audience_label(self):
        return AUDIENCES.get(self.audience, self.audience)

    def next_statuses(self):
        nexts = DIALOGUE_TRANSITIONS.get(self.status, ())
        if not self.is_chairman:
            nexts = tuple(s for s in nexts if s != "appraised")
        return nexts

    def refusal(self, target, at=None):
        """Why the dialogue may not move to `target` now, or None when allowed."""
        if target not in self.next_statuses():
            if target == "appraised" and not self.is_chairman:
                return "Chỉ đối thoại của Chủ tịch UBND tỉnh với Nhân dân mới qua bước thẩm định."
            return "Không thể chuyển từ “%s” sang “%s”." % (self.status_label, DIALOGUE_STATUSES.get(target, target))
        if target == "held" and self.starts_at > (at or now()):
            return "Buổi đối thoại chưa diễn ra (bắt đầu lúc %s)." % self.starts_at.strftime("%H:%M ngày %d/%m/%Y")
        if target == "completed":
            pending = self.open_conclusions().count()
            if pending:
                return ("Còn %d kết luận chưa xong: chỉ hoàn thành khi mọi kết luận đã giải quyết, "
                        "đã chuyển cơ quan có thẩm quyền hoặc đã giải thích." % pending)
        return None

    def open_conclusions(self):
        """Conclusions not yet closed in its signed notices that are in force (not replaced by a signed correction)."""
        return Conclusion.in_force().where(ConclusionNotice.dialogue == self.id,
                                           Conclusion.status.not_in(CONCLUSION_CLOSED))

    @classmethod
    def with_opinion_count(cls, user, query=None):
        """Adds `opinion_count`: opinions raised at each dialogue that the user may see (one subquery)."""
        count = Opinion.visible_to(user, Opinion.select(pw.fn.COUNT(Opinion.id)).where(Opinion.dialogue == cls.id))
        return (query if query is not None else cls.select()).select_extend(count.alias("opinion_count"))

    @classmethod
    def years(cls):
        """Years that have dialogues, newest first."""
        return years_of(cls.starts_at)

    @classmethod
    def upcoming(cls, on=None):
        start = dt.datetime.combine(on or today(), dt.time())
        return (cls.select()
                .where(cls.starts_at >= start, cls.status.in_(("proposed", "appraised", "scheduled")))
                .order_by(cls.starts_at))

    @classmethod
    def filtered(cls, year=None, kind="", audience="", status="", when="", query=None, at=None):
        """The list's filters: a year of starts, kind, audience, status, and "upcoming" or "past" (from `at`)."""
        query = where_given(query if query is not None else cls.select(),
                            (cls.kind, kind), (cls.audience, audience), (cls.status, status))
        if year:
            query = query.where(cls.starts_at >= dt.datetime(year, 1, 1), cls.starts_at < dt.datetime(year + 1, 1, 1))
        if when == "upcoming":
            query = query.where(cls.starts_at >= (at or now()))
        elif when == "past":
            query = query.where(cls.starts_at < (at or now()))
        return query

    def fields_in_order(self):
        """Its fields, in the fields' own order."""
        return list(Field.select().join(DialogueField).where(DialogueField.dialogue == self.id)
                    .order_by(Field.position, Field.name))

    def links_differ(self, field_ids, user_ids):
        """True when these fields or attendees are not the stored ones (an edit must then bump the version)."""
        return ({link.field_id for link in self.field_links} != set(field_ids)
                or {link.user_id for link in self.attendee_links} != set(user_ids))

    def replace_links(self, field_ids, user_ids):
        """Make its fields and attendees these; return the audit diff of what changed."""
        diff = {}
        for model, column, wanted, key in (
                (DialogueField, DialogueField.field, set(field_ids), "fields"),
                (DialogueAttendee, DialogueAttendee.user, set(user_ids), "attendees")):
            have = {row[0] for row in model.select(column).where(model.dialogue == self.id).tuples()}
            if have == wanted:
                continue
            if have - wanted:
                model.delete().where(model.dialogue == self.id, column.in_(have - wanted)).execute()
            if wanted - have:
                model.insert_many([{"dialogue": self.id, column.name: i} for i in sorted(wanted - have)]).execute()
            diff[key] = (sorted(have), sorted(wanted))
        return diff


class DialogueField(BaseModel):
    dialogue = pw.ForeignKeyField(Dialogue, backref="field_links", on_delete="CASCADE")
    field = pw.ForeignKeyField(Field, backref="+", on_delete="CASCADE")

    class Meta:
        indexes = ((("dialogue", "field"), True),)


class DialogueAttendee(BaseModel):
    """A leader or specialist assigned to attend the dialogue."""

    dialogue = pw.ForeignKeyField(Dialogue, backref="attendee_links", on_delete="CASCADE")
    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    role_note = pw.CharField(max_length=200, default="")

    class Meta:
        indexes = ((("dialogue", "user"), True),)


# ---------------------------------------------------------------- answer templates (mẫu trả lời)


class AnswerTemplate(Versioned):
    """A unit's model answer (Markdown with placeholders, services/answer_templates); no unit: office-wide."""

    unit = pw.ForeignKeyField(Unit, null=True, backref="answer_templates")  # a unit in use is kept (RESTRICT)
    field = pw.ForeignKeyField(Field, null=True, backref="answer_templates", on_delete="SET NULL")
    title = pw.CharField(max_length=200)
    body_md = pw.TextField(default="")
    is_retired = pw.BooleanField(default=False)
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=now)
    updated_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    updated_at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("unit", "is_retired"), False),)

    def __str__(self):
        return self.title

    @property
    def scope_label(self):
        return self.unit.name if self.unit_id else "Toàn Văn phòng"

    @classmethod
    def visible_to(cls, user, query=None):
        """Templates the user may read: all for readers of everything; office-wide and own unit's for a unit's staff."""
        query = query if query is not None else cls.select()
        if user.reads_everything:
            return query
        if user.is_content_staff and user.unit_id:
            return query.where(cls.unit.is_null() | (cls.unit == user.unit_id))
        return query.where(pw.SQL("1 = 0"))

    def can_manage(self, user):
        """Create, edit, retire, delete: the coordinator and the chief any; a unit head his own unit's only."""
        if user.role in ("coordinator", "chief"):
            return True
        return user.role == "unit_head" and self.unit_id is not None and self.unit_id == user.unit_id

    @classmethod
    def filtered(cls, user, unit="", field=None, retired=False):
        """The list: visible to `user`, by unit ("office" for office-wide, or a unit id) and field, in use or
        retired; with the unit's and field's names in the same query."""
        query = cls.visible_to(user, cls.select(cls, Unit, Field)
                               .join_from(cls, Unit, pw.JOIN.LEFT_OUTER, on=(cls.unit == Unit.id))
                               .join_from(cls, Field, pw.JOIN.LEFT_OUTER, on=(cls.field == Field.id)))
        query = query.where(cls.is_retired == bool(retired))
        if unit == "office":
            query = query.where(cls.unit.is_null())
        elif unit:
            query = query.where(cls.unit == unit)
        if field:
            query = query.where(cls.field == field)
        return query.order_by(cls.unit.is_null(False), Unit.name, cls.title, cls.id)

    @classmethod
    def usable_for(cls, opinion, keep=None):
        """Templates an answer to `opinion` may use: not retired, office-wide or its assigned unit's; the opinion's
        field first, then office-wide before the unit's, by title. `keep` (an id) is added even when retired."""
        scope = cls.unit.is_null()
        if opinion.assigned_unit_id:
            scope |= cls.unit == opinion.assigned_unit_id
        condition = scope & (cls.is_retired == False)  # noqa: E712
        if keep:
            condition |= cls.id == keep
        rows = list(cls.select(cls, Field).join(Field, pw.JOIN.LEFT_OUTER, on=(cls.field == Field.id))
                    .where(condition))
        return sorted(rows, key=lambda t: (not (opinion.field_id and t.field_id == opinion.field_id),
                                           t.unit_id is not None, sort_key(t.title), t.id))

    def is_used(self):
        """Whether an opinion's answer used it (it may then be retired, never deleted)."""
        return Opinion.select().where(Opinion.answer_template == self.id).exists()


# ---------------------------------------------------------------- opinions

OPINION_KINDS = {
    "opinion": "Ý kiến",
    "petition": "Kiến nghị",
    "feedback": "Phản ánh",
    "complaint": "Khiếu nại",
    "denunciation": "Tố cáo",
    "dialogue_request": "Đề nghị đối thoại trực tiếp",
}
CHANNELS = {
    "dialogue": "Tại buổi đối thoại",
    "unit": "Đơn vị tổng hợp",
    "letter": "Đơn thư",
    "reception": "Tiếp công dân",
    "hotline": "Đường dây nóng",
    "portal": "Cổng Dịch vụ công quốc gia",
    "online": "Trực tuyến (cổng tiếp nhận yêu cầu)",
}
# Citizens' requests arriving here get a tracking code (mã tra cứu) and a printable receipt.
TRACKED_CHANNELS = ("reception", "hotline", "portal", "letter", "online")
OPINION_STATUSES = {
    "received": "Mới tiếp nhận",
    "assigned": "Đã giao xử lý",
    "answer_drafted": "Đã có dự thảo trả lời",
    "concluded": "Đã có kết luận",
    "in_progress": "Đang giải quyết",
    "resolved": "Đã giải quyết",
    "referred": "Đã chuyển cơ quan có thẩm quyền",
    "explained": "Đã giải thích",
    "withdrawn": "Rút ý kiến",
    "refused": "Không tiếp nhận",
}
OPEN_STATUSES = ("received", "assigned", "answer_drafted", "concluded", "in_progress")
CLOSED_STATUSES = ("resolved", "referred", "explained", "withdrawn", "refused")
OPINION_TRANSITIONS = {
    "received": ("assigned", "referred", "explained", "withdrawn", "refused"),
    "assigned": ("answer_drafted", "referred", "explained", "withdrawn", "refused"),
    "answer_drafted": ("concluded", "assigned", "referred", "explained", "withdrawn"),
    "concluded": ("in_progress", "resolved", "referred", "explained"),
    "in_progress": ("resolved", "referred", "explained"),
}
# Who may move an opinion into each status. "unit" = staff of the assigned unit.
_TRANSITION_ROLES = {
    "assigned": {"coordinator", "chief", "unit_head"},
    "answer_drafted": {"coordinator", "unit_head", "specialist"},
    "concluded": {"coordinator", "chief"},
    "in_progress": {"coordinator", "chief", "unit_head", "specialist"},
    "resolved": {"coordinator", "chief", "unit_head"},
    "referred": {"coordinator", "chief", "unit_head"},
    "explained": {"coordinator", "chief", "unit_head"},
    "withdrawn": {"coordinator", "chief"},
    "refused": {"coordinator", "chief"},
    "reopen": {"coordinator", "chief"},
}
NOTE_REQUIRED = {"referred", "explained", "withdrawn", "refused", "reopen"}


class Opinion(Versioned):
    code = pw.CharField(unique=True, max_length=20)  # register number, e.g. YK-2022-0001
    # An imported register's own number (Số) when it is not ours (services/register_import); searchable.
    legacy_code = pw.CharField(max_length=40, default="", index=True)
    # How an imported row without a usable Số is found again: a hash of its received date, sender and content.
    import_key = pw.CharField(max_length=64, null=True, index=True)
    kind = pw.CharField(max_length=20, index=True)
    channel = pw.CharField(max_length=20, default="dialogue")
    audience = pw.CharField(max_length=20, index=True)
    # The submitter: private (see can_see_identity); never published.
    submitter_name = pw.CharField(max_length=200, default="")
    submitter_contact = pw.CharField(max_length=300, default="")  # phone, e-mail, address, ID number
    # Contact details stored apart (online requests; mails use the e-mail), under the same rule as the above.
    submitter_phone = pw.CharField(max_length=30, default="")  # E.164, +84…
    submitter_email = pw.CharField(max_length=254, default="")
    submitter_address = pw.CharField(max_length=300, default="")
    consent_version = pw.CharField(max_length=20, default="")  # the consent text the person agreed to, and when
    consent_at = pw.DateTimeField(null=True)
    tracking_code = pw.CharField(max_length=20, null=True, unique=True)  # YC-XXXX-XXXX-XXXX (services/tracking)
    national_code = pw.CharField(max_length=40, default="", index=True)  # mã PAKN of the national portal
    # What the citizen reads at the lookup: a reviewed note, the body referred to, the reason refused.
    public_note = pw.TextField(default="")
    referred_to = pw.CharField(max_length=300, default="")
    refusal_reason = pw.CharField(max_length=300, default="")
    content = pw.TextField()
    field = pw.ForeignKeyField(Field, null=True, backref="opinions", on_delete="SET NULL")
    dialogue = pw.ForeignKeyField(Dialogue, null=True, backref="opinions", on_delete="SET NULL")
    received_on = pw.DateField(default=today, index=True)
    assigned_unit = pw.ForeignKeyField(Unit, null=True, backref="opinions", on_delete="SET NULL")
    assigned_to = pw.ForeignKeyField(User, null=True, backref="assigned_opinions", on_delete="SET NULL")
    directed_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    deadline = pw.DateField(null=True, index=True)
    draft_answer = pw.TextField(default="")
    resolution_path = pw.TextField(default="")
    answer_template = pw.ForeignKeyField(AnswerTemplate, null=True, backref="opinions")  # a used one is kept
    status = pw.CharField(max_length=20, default="received", index=True)
    closed_at = pw.DateTimeField(null=True)
    # Folded copies (đ→d, no marks, lower case) that both SQLite and PostgreSQL can index.
    search_text = pw.TextField(default="")
    search_identity = pw.TextField(default="")
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=now, index=True)
    updated_at = pw.DateTimeField(default=now)

    class Meta:
        indexes = (
            (("status", "deadline"), False),  # overdue items
            (("assigned_unit", "status", "deadline"), False),  # a unit's open and overdue items
            (("field", "status"), False),  # the register filtered by field and status
            # The register in its default order (newest first), for everyone and for a unit: the filter
            # columns follow "id" so that the list of matches is found from the index alone, without
            # reading each opinion (a unit's register filtered by status and field read 8,000 rows).
            (("received_on", "id", "status", "kind", "audience", "field", "assigned_unit", "assigned_to",
              "deadline", "dialogue"), False),
            (("assigned_unit", "received_on", "id", "status", "kind", "audience", "field", "assigned_to",
              "deadline", "dialogue"), False),
            # a person's own open items on the dashboard, listed and counted from the index alone
            (("assigned_to", "status", "deadline", "assigned_unit", "kind"), False),
        )

    def __str__(self):
        return self.code

    @property
    def status_label(self):
        return OPINION_STATUSES.get(self.status, self.status)

    @property
    def kind_label(self):
        return OPINION_KINDS.get(self.kind, self.kind)

    @property
    def is_closed(self):
        return self.status in CLOSED_STATUSES

    @property
    def is_overdue(self):
        return bool(self.deadline and self.deadline < today() and not self.is_closed)

    def refresh_search(self):
        self.search_text = fold(" ".join((self.code or "", self.legacy_code or "", self.tracking_code or "",
                                          self.national_code or "",
                                          self.content or "", self.draft_answer or "", self.resolution_path or "")))
        self.search_identity = fold(" ".join((self.submitter_name or "", self.submitter_contact or "",
                                              self.submitter_phone or "", self.submitter_email or "",
                                              self.submitter_address or "")))

    def save(self, *args, **kwargs):
        self.refresh_search()
        return super().save(*args, **kwargs)

    # -- access

    @classmethod
    def visible_to(cls, user, query=None):
        """Opinions the user may list and open: all for readers of everything, else own unit's."""
        return by_unit(user, query if query is not None else cls.select(), lambda unit: cls.assigned_unit == unit)

    def is_handler(self, user):
        """The assigned specialist, or the head of the assigned unit."""
        if self.assigned_to_id and self.assigned_to_id == user.id:
            return True
        return user.role == "unit_head" and self.assigned_unit_id and user.unit_id == self.assigned_unit_id

    def can_see_identity(self, user):
        """Who raised it: the denouncer's only to handlers, coordinator, chief (by law)."""
        if self.kind == "denunciation":
            return user.role in ("coordinator", "chief") or self.is_handler(user)
        if user.reads_everything:
            return True
        return bool(user.is_content_staff and self.assigned_unit_id and user.unit_id == self.assigned_unit_id)

    @classmethod
    def identity_searchable_by(cls, user):
        """A condition: rows whose identity fields the user may search on."""
        if user.role in ("coordinator", "chief"):
            return pw.SQL("1 = 1")
        not_denunciation = cls.kind != "denunciation"
        if user.role == "leader":
            return not_denunciation
        if user.role == "unit_head":
            return cls.assigned_unit == user.unit_id
        if user.role == "specialist":
            return (not_denunciation & (cls.assigned_unit == user.unit_id)) | (cls.assigned_to == user.id)
        return pw.SQL("1 = 0")

    def can_edit(self, user):
        if user.role in ("coordinator", "chief"):
            return True
        return user.is_content_staff and self.assigned_unit_id is not None and user.unit_id == self.assigned_unit_id

    def next_statuses(self, user=None):
        """Statuses reachable from here (for this user, when given)."""
        if self.is_closed:
            targets = ("reopen",)
        else:
            targets = OPINION_TRANSITIONS.get(self.status, ())
        if user is None:
            return targets
        return tuple(t for t in targets if self.refusal(t, user) is None)

    def refusal(self, target, user):
        """Why the user may not move this opinion to `target`, or None when allowed."""
        allowed = OPINION_TRANSITIONS.get(self.status, ())
        if target == "reopen":
            if not self.is_closed:
                return "Chỉ mở lại được ý kiến đã kết thúc."
        elif target not in allowed:
            return "Không thể chuyển từ “%s” sang “%s”." % (
                self.status_label, OPINION_STATUSES.get(target, target))
        if user.role not in _TRANSITION_ROLES.get(target, ()):
            return "Vai trò “%s” không được thực hiện thao tác này." % user.role_label
        if user.is_content_staff and self.assigned_unit_id != user.unit_id:
            return "Ý kiến không thuộc đơn vị của bạn."
        if target == "assigned" and not self.assigned_unit_id:
            return "Cần giao đơn vị xử lý và hạn xử lý trước."
        if target == "answer_drafted" and not (self.draft_answer or "").strip():
            return "Cần nhập dự thảo nội dung trả lời trước."
        return None

    def reopen_status(self):
        """Where a reopened opinion goes: in progress once it was concluded, else back to its unit."""
        concluded = (StatusChange.select().where(
            StatusChange.object_type == self._meta.table_name, StatusChange.object_id == self.id,
            StatusChange.to_status.in_(("concluded", "in_progress"))).exists()
            or ConclusionOpinion.select().where(ConclusionOpinion.opinion == self.id).exists())
        if concluded:
            return "in_progress"
        return "assigned" if self.assigned_unit_id else "received"

    def change_status(self, user, target, expected_version, note=""):
        """Move to `target` ("reopen" too) and record it; TransitionError or ConflictError otherwise."""
        if self.version != int(expected_version):
            raise ConflictError(self)
        note = (note or "").strip()
        reason = self.refusal(target, user)
        if reason is None and target in NOTE_REQUIRED and not note:
            reason = "Cần ghi lý do cho thao tác này."
        if reason:
            raise TransitionError(reason)
        new = self.reopen_status() if target == "reopen" else target
        changes = {"status": new, "closed_at": now() if new in CLOSED_STATUSES else None}
        with db.atomic():
            current = save_versioned(self, expected_version, user, changes, action="transition",
                                     summary="%s: %s → %s" % (self.code, self.status, new))
            record_transition(current, user, self.status, new, ("Mở lại: " + note) if target == "reopen" else note)
        return current

    def deadline_refusal(self, deadline):
        """Why `deadline` cannot be this opinion's (it falls before the day it was received), or None."""
        if deadline and self.received_on and deadline < self.received_on:
            return "Hạn xử lý không được trước ngày tiếp nhận (%s)." % self.received_on.strftime("%d/%m/%Y")
        return None

    def assign(self, user, unit_id, assignee_id, deadline, expected_version, directed_by=None):
        """Give it to a unit (and a specialist) with a deadline; received → assigned is recorded.

        `directed_by` (a user id) is who directed the assignment; the assigning user by default.
        """
        if self.is_closed:
            raise TransitionError("Ý kiến đã kết thúc; cần mở lại trước khi giao xử lý.")
        changes = {"assigned_unit": unit_id, "assigned_to": assignee_id, "deadline": deadline,
                   "directed_by": directed_by or user.id}
        moves = self.status == "received"
        if moves:
            changes["status"] = "assigned"
        with db.atomic():
            current = save_versioned(self, expected_version, user, changes, action="assign",
                                     summary="Giao xử lý ý kiến %s" % self.code)
            if moves and current.status == "assigned":
                record_transition(current, user, "received", "assigned", "Giao xử lý")
        return current

    def save_answer(self, user, expected_version, values):
        """Save the draft answer and the resolution path; TransitionError once closed (reopen it first)."""
        if self.is_closed:
            raise TransitionError("Ý kiến đã kết thúc; cần mở lại trước khi sửa nội dung trả lời.")
        return save_versioned(self, expected_version, user, values, action="answer",
                              summary="Dự thảo trả lời ý kiến %s" % self.code)

    def show_identity_to(self, user):
        """Whether the page shows `user` who raised it (can_see_identity); a denouncer's, shown, is audited."""
        shown = self.can_see_identity(user)
        if shown and self.kind == "denunciation":
            with db.atomic():
                audit(user, "view_identity", self, summary="Xem thông tin người tố cáo, ý kiến %s" % self.code)
        return shown

    def followup_log(self):
        """Its progress entries, reminders and notes, oldest first, with who wrote them."""
        return (FollowUp.select(FollowUp, User).join(User, pw.JOIN.LEFT_OUTER)
                .where(FollowUp.opinion == self.id).order_by(FollowUp.at, FollowUp.id))

    def linked_conclusions(self):
        """The conclusions that answer it, with their notices."""
        return (Conclusion.select(Conclusion, ConclusionNotice)
                .join(ConclusionOpinion).where(ConclusionOpinion.opinion == self.id)
                .switch(Conclusion).join(ConclusionNotice).order_by(Conclusion.id))

    def add_followup(self, user, kind, note, percent_done=None):
        """A progress entry, a reminder or a note on this opinion, audited; returns it."""
        with db.atomic():
            entry = FollowUp.create(opinion=self.id, kind=kind, note=note, percent_done=percent_done, user=user.id)
            audit(user, "create", entry, {"kind": (None, entry.kind), "note": (None, entry.note),
                                          "percent_done": (None, entry.percent_done)},
                  summary="%s ý kiến %s" % (entry.kind_label, self.code))
        return entry

    # -- queries

    @classmethod
    def overdue(cls, on=None):
        return cls.select().where(cls.deadline < (on or today()), cls.status.in_(OPEN_STATUSES))

    @classmethod
    def search(cls, text, user, query=None):
        """Rows holding every word of `text` (folded) in their text, or in the identity the user may search."""
        query = query if query is not None else cls.select()
        identity_ok = cls.identity_searchable_by(user)
        words = fold(text).split()
        # The trigram index answers words of three letters or more; shorter ones use LIKE.
        indexed = [w for w in words if len(w) >= 3] if uses_search_index() else []
        if indexed:
            # "id + 0": test membership while walking the list's own order, instead of fetching
            # every match and sorting them (the planner's choice for a plain "id IN").
            either = (cls.id + 0).in_(pw.SQL("(SELECT rowid FROM opinion_fts WHERE opinion_fts MATCH ?)",
                                             (cls._match_expression(indexed),)))
            if user.role in ("coordinator", "chief"):  # may search every identity
                query = query.where(either)
            else:
                # A row found through an identity it may not search must hold the words in its text:
                # checked on that row alone, so the index is walked once.
                in_text = reduce(operator.and_, [cls.search_text.contains(w) for w in indexed])
                query = query.where(either & (identity_ok | in_text))
        for word in words:
            if word not in indexed:
                query = query.where(cls.search_text.contains(word)
                                    | (identity_ok & cls.search_identity.contains(word)))
        return query

    @staticmethod
    def _match_expression(words):
        """The FTS5 query: every word in the text or the identity (words of three letters or more)."""
        return "{search_text search_identity}: (%s)" % " AND ".join('"%s"' % w.replace('"', '""') for w in words)

    @classmethod
    def search_counter(cls, text, user):
        """For a search that the index alone answers, a function counting the matches up to a limit.

        That is a search by someone who may search every opinion's text and submitter (coordinator,
        chief) for words of three letters or more only: its matches are exactly the index's, counted
        there without walking the register in order to the limit. None when the rows are needed.
        """
        words = fold(text).split()
        if (not words or user.role not in ("coordinator", "chief") or not uses_search_index()
                or any(len(w) < 3 for w in words)):
            return None
        sql = "SELECT COUNT(*) FROM (SELECT rowid FROM opinion_fts WHERE opinion_fts MATCH ? LIMIT ?)"
        match = cls._match_expression(words)
        return lambda limit: db.execute_sql(sql, (match, limit)).fetchone()[0]

    # -- the register (sổ theo dõi ý kiến)

    REGISTER_SORTS = ("received_on", "deadline", "code", "status")
    REGISTER_MATCHES = ("status", "kind", "audience", "field", "unit", "dialogue")  # equality filters

    @classmethod
    def register(cls, user, filters):
        """The register as `user` may see it: `filters` (forms.opinions.register_filters) applied, rows
        with their names (with_names), sorted by `sort` or newest first. The register page, its
        export (XLSX, CSV) and the lists behind a report's figures read it."""
        query = cls.visible_to(user)
        columns = {"status": cls.status, "kind": cls.kind, "audience": cls.audience, "field": cls.field,
                   "unit": cls.assigned_unit, "dialogue": cls.dialogue}
        for name in cls.REGISTER_MATCHES:
            if filters.get(name) not in ("", None):
                query = query.where(columns[name] == filters[name])
        if filters.get("overdue"):
            query = query.where(cls.deadline < today(), cls.status.in_(OPEN_STATUSES))
        if filters.get("q"):
            query = cls.search(filters["q"], user, query)
        return cls.with_names(query).order_by(*cls._register_order(filters.get("sort", "")))

    @classmethod
    def _register_order(cls, sort):
        descending = sort.startswith("-")
        name = sort.lstrip("-")
        if name == "status":
            column = pw.Case(cls.status, [(s, i) for i, s in enumerate(OPINION_STATUSES)])
        elif name in cls.REGISTER_SORTS:
            column = getattr(cls, name)
        else:
            return [cls.received_on.desc(), cls.id.desc()]  # newest first
        if name == "deadline":
            return [column.desc(nulls="LAST") if descending else column.asc(nulls="LAST"), cls.id.desc()]
        return [column.desc() if descending else column.asc(), cls.id.desc()]

    @classmethod
    def register_counter(cls, user, filters):
        """A plain search (no other filter) that the search index counts alone (search_counter); None otherwise."""
        others = [name for name in cls.REGISTER_MATCHES + ("overdue",) if filters.get(name) not in ("", None, False)]
        return cls.search_counter(filters["q"], user) if filters.get("q") and not others else None

    @classmethod
    def register_rows(cls, ids):
        """The register's rows for these ids, with their names (no filter evaluated again).

        What a row shows and needs for its status menu (refusal reads draft_answer). Joins rather
        than with_names' subqueries: nothing is counted here, and they are quicker to build and to read.
        """
        person = User.alias()
        columns = (cls.id, cls.version, cls.code, cls.kind, cls.content, cls.field, cls.received_on,
                   cls.assigned_unit, cls.assigned_to, cls.deadline, cls.status, cls.draft_answer)
        return (cls.select(*columns, Unit.name.alias("unit_name"), Field.name.alias("field_name"),
                           person.full_name.alias("assignee_name"))
                .join_from(cls, Unit, pw.JOIN.LEFT_OUTER, on=(cls.assigned_unit == Unit.id))
                .join_from(cls, Field, pw.JOIN.LEFT_OUTER, on=(cls.field == Field.id))
                .join_from(cls, person, pw.JOIN.LEFT_OUTER, on=(cls.assigned_to == person.id))
                .where(cls.id.in_(ids)).objects())

    @classmethod
    def with_names(cls, query):
        """Rows with unit_name, field_name and assignee_name in the same query (no N+1).

        Correlated subqueries rather than joins, so that count() of the result stays a plain
        count of the filtered opinions (it drops the select list).
        """
        unit, field, person = Unit.alias(), Field.alias(), User.alias()
        return query.select_extend(
            unit.select(unit.name).where(unit.id == cls.assigned_unit).alias("unit_name"),
            field.select(field.name).where(field.id == cls.field).alias("field_name"),
            person.select(person.full_name).where(person.id == cls.assigned_to).alias("assignee_name"),
        ).objects()


# A year's highest register number (next_opinion_code) found from this index alone, at the end of the
# year's series: "YK-2026-" first, then by length ("…-10000" after "…-9999"), then by text.
OPINION_CODE_SERIES_INDEX = ('CREATE INDEX IF NOT EXISTS "opinion_code_series" ON "opinion" '
                             '(SUBSTR(code, 1, 8), LENGTH(code), code)')
Opinion.add_index(pw.SQL(OPINION_CODE_SERIES_INDEX))


class MinutesAnswer(BaseModel):
    """What the minutes of a dialogue say of one opinion raised there: the answer given at the
    meeting and the chair's direction."""

    dialogue = pw.ForeignKeyField(Dialogue, backref="minutes_answers", on_delete="CASCADE")
    opinion = pw.ForeignKeyField(Opinion, backref="minutes_answers", on_delete="CASCADE")
    answer = pw.TextField(default="")
    direction = pw.TextField(default="")

    class Meta:
        table_name = "minutes_answer"
        indexes = ((("dialogue", "opinion"), True),)

    @classmethod
    def of_dialogue(cls, dialogue):
        """{opinion id: MinutesAnswer} of the dialogue."""
        return {row.opinion_id: row for row in cls.select().where(cls.dialogue == dialogue.id)}


class StatusChange(BaseModel):
    """History of every lifecycle transition (opinions, dialogues, notices, conclusions)."""

    object_type = pw.CharField(max_length=30)
    object_id = pw.IntegerField()
    from_status = pw.CharField(max_length=20, default="")
    to_status = pw.CharField(max_length=20)
    user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    note = pw.TextField(default="")
    at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("object_type", "object_id", "at"), False),)

    @classmethod
    def for_object(cls, obj):
        return (cls.select(cls, User).join(User, pw.JOIN.LEFT_OUTER)
                .where(cls.object_type == obj._meta.table_name, cls.object_id == obj.id)
                .order_by(cls.at, cls.id))


# ---------------------------------------------------------------- conclusions

NOTICE_STATUSES = {"draft": "Dự thảo", "submitted": "Trình ký", "signed": "Đã ký"}
CONCLUSION_STATUSES = {
    "open": "Chưa thực hiện",
    "in_progress": "Đang thực hiện",
    "resolved": "Đã giải quyết",
    "referred": "Đã chuyển cơ quan có thẩm quyền",
    "explained": "Đã giải thích",
}
CONCLUSION_CLOSED = ("resolved", "referred", "explained")


class ConclusionNotice(Versioned):
    """Thông báo ý kiến kết luận of the chief after a dialogue (Số: NN/TB-VP)."""

    dialogue = pw.ForeignKeyField(Dialogue, backref="notices", on_delete="CASCADE")
    title = pw.CharField(max_length=300)
    body_md = pw.TextField(default="")
    status = pw.CharField(max_length=20, default="draft", index=True)
    year = pw.IntegerField(null=True)
    number = pw.IntegerField(null=True)  # unique per (year, doc_type) once signed
    doc_type = pw.CharField(max_length=10, default="TB")
    revision = pw.IntegerField(default=1)  # a correction after signing is a new revision
    supersedes = pw.ForeignKeyField("self", null=True, unique=True, backref="corrections", on_delete="SET NULL")
    signed_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    signed_at = pw.DateTimeField(null=True)
    recipients = pw.TextField(default="")  # "Nơi nhận:", one per line
    created_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("year", "doc_type", "number"), True),)

    # -- the rule of the notice in force, written once

    @classmethod
    def replaced_ids(cls, at=None):
        """A subquery: ids of the notices a signed correction replaces (signed before `at`, if given)."""
        correction = cls.alias()
        query = correction.select(correction.supersedes).where(correction.status == "signed",
                                                               correction.supersedes.is_null(False))
        return query.where(correction.signed_at < at) if at is not None else query

    @classmethod
    def is_in_force(cls, at=None):
        """A condition: signed (before `at`, if given) and not replaced by a signed correction."""
        signed = cls.status == "signed"
        if at is not None:
            signed &= cls.signed_at < at
        return signed & cls.id.not_in(cls.replaced_ids(at))

    @classmethod
    def in_force(cls, query=None, at=None):
        """The signed notices still in force (as they stood at `at`, if given)."""
        return (query if query is not None else cls.select()).where(cls.is_in_force(at))

    @classmethod
    def visible_to(cls, user, query=None):
        """Notices the user may list and open: all for readers of everything; a unit's staff see
        the signed notices that give their unit a conclusion."""
        def theirs(unit):
            return (cls.status == "signed") & cls.id.in_(
                Conclusion.select(Conclusion.notice).where(Conclusion.responsible_unit == unit))
        return by_unit(user, query if query is not None else cls.select(), theirs)

    @classmethod
    def openable_ids(cls, user, ids):
        """Of these notice ids, those the user may open (one query)."""
        if user is None or not ids:
            return set()
        if user.reads_everything:
            return set(ids)
        return {row.id for row in cls.visible_to(user, cls.select(cls.id)).where(cls.id.in_(ids))}

    @classmethod
    def register(cls, user, status="", year=None):
        """The notices the user may see with their dialogue and `conclusion_count`, newest first; by status,
        and by year (the number's year once signed, else the year it was drafted)."""
        query = cls.visible_to(user, cls.select(cls, Dialogue).join(Dialogue))
        if status:
            query = query.where(cls.status == status)
        if year:
            start, end = dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1)
            query = query.where((cls.year == year)
                                | (cls.year.is_null() & (cls.created_at >= start) & (cls.created_at < end)))
        count = Conclusion.select(pw.fn.COUNT(Conclusion.id)).where(Conclusion.notice == cls.id)
        return query.select_extend(count.alias("conclusion_count")).order_by(
            pw.fn.COALESCE(cls.signed_at, cls.created_at).desc(), cls.id.desc())

    @classmethod
    def years(cls):
        """Years with notices, newest first: the number's year once signed, else the year it was drafted."""
        years = set()
        for year, created in cls.select(cls.year, cls.created_at).tuples():
            years.add(year or (created.year if hasattr(created, "year") else int(str(created)[:4])))
        return sorted(years, reverse=True)

    @classmethod
    def corrections_of(cls, notice):
        """The corrections drafted of this notice, by revision."""
        return cls.select().where(cls.supersedes == notice.id).order_by(cls.revision)

    @classmethod
    def replacement_of(cls, notice):
        """The signed correction that replaced this notice, or None."""
        return (cls.select().where(cls.supersedes == notice.id, cls.status == "signed")
                .order_by(cls.revision.desc()).first())

    @property
    def number_text(self):
        return document_number(self.number, self.doc_type)

    @property
    def status_label(self):
        return NOTICE_STATUSES.get(self.status, self.status)


class Conclusion(Versioned):
    OPEN = ("open", "in_progress")  # still to be carried out

    notice = pw.ForeignKeyField(ConclusionNotice, backref="conclusions", on_delete="CASCADE")
    decision = pw.TextField()  # what is decided (internal wording)
    responsible_unit = pw.ForeignKeyField(Unit, null=True, backref="conclusions", on_delete="SET NULL")
    responsible_user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    deadline = pw.DateField(null=True, index=True)
    public_summary = pw.TextField(default="")  # reviewed by the coordinator before publication
    is_public = pw.BooleanField(default=False)
    publish_in_progress = pw.BooleanField(default=False)
    status = pw.CharField(max_length=20, default="open", index=True)
    percent_done = pw.IntegerField(default=0)
    closed_at = pw.DateTimeField(null=True)
    field = pw.ForeignKeyField(Field, null=True, backref="+", on_delete="SET NULL")
    # In a correction (a new revision of a signed notice): the conclusion it continues
    copied_from = pw.ForeignKeyField("self", null=True, backref="copies", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=now)
    updated_at = pw.DateTimeField(default=now)

    @classmethod
    def in_force(cls, query=None):
        """Conclusions of the signed notices still in force (joined to their notice)."""
        query = query if query is not None else cls.select()
        return (query.join_from(cls, ConclusionNotice, on=(cls.notice == ConclusionNotice.id))
                .where(ConclusionNotice.is_in_force()))

    @classmethod
    def visible_to(cls, user, query=None):
        """Everything for the coordinator, leaders and chief; a unit's staff see their own unit's."""
        return by_unit(user, query if query is not None else cls.select(), lambda unit: cls.responsible_unit == unit)

    @classmethod
    def publishable(cls):
        """Conclusions that pass every rule of publication the database can check: public, of a notice
        in force, and closed once (or in progress and marked to be shown). The summary's check for
        personal data is the gate's (publication.py)."""
        ever_closed = StatusChange.select(StatusChange.object_id).where(
            StatusChange.object_type == cls._meta.table_name, StatusChange.to_status.in_(CONCLUSION_CLOSED))
        shown = (cls.status.in_(CONCLUSION_CLOSED)
                 | ((cls.status == "in_progress") & (cls.publish_in_progress == True))  # noqa: E712
                 | cls.closed_at.is_null(False) | cls.id.in_(ever_closed))
        return cls.in_force().where(cls.is_public == True, shown)  # noqa: E712

    @classmethod
    def active(cls, query=None):
        """Those still to be carried out (open or in progress)."""
        return (query if query is not None else cls.select()).where(cls.status.in_(cls.OPEN))

    @classmethod
    def with_names(cls, query):
        """Rows with the notice number, unit, person and field names in the same query (no N+1);
        `query` is joined to the notice already (see in_force)."""
        person = User.alias()
        return (query.select_extend(ConclusionNotice.number.alias("notice_number"),
                                    ConclusionNotice.doc_type.alias("notice_doc_type"),
                                    ConclusionNotice.title.alias("notice_title"),
                                    ConclusionNotice.year.alias("notice_year"),
                                    ConclusionNotice.signed_at.alias("notice_signed_at"),
                                    Unit.name.alias("unit_name"), person.full_name.alias("person_name"),
                                    Field.name.alias("field_name"))
                .join_from(cls, Unit, pw.JOIN.LEFT_OUTER, on=(cls.responsible_unit == Unit.id))
                .join_from(cls, person, pw.JOIN.LEFT_OUTER, on=(cls.responsible_user == person.id))
                .join_from(cls, Field, pw.JOIN.LEFT_OUTER, on=(cls.field == Field.id)))

    @classmethod
    def filtered(cls, query, status="", unit=None, field=None, year=None, flag="", bounds=None):
        """The follow-up list's filters: status ("active": open or in progress), responsible unit, field,
        the notice's year, and a deadline flag ("due_soon", "overdue", "severe") against `bounds`
        (services.deadlines.flag_bounds; required with a flag)."""
        if status == "active":
            query = cls.active(query)
        elif status:
            query = query.where(cls.status == status)
        if unit is not None:
            query = query.where(cls.responsible_unit == unit)
        if field is not None:
            query = query.where(cls.field == field)
        if year is not None:
            query = query.where(ConclusionNotice.year == year)
        if flag:
            query = cls.active(query)
            if flag == "due_soon":
                query = query.where(cls.deadline >= bounds.today, cls.deadline < bounds.due_soon_before)
            elif flag == "overdue":
                query = query.where(cls.deadline < bounds.today)
            else:
                query = query.where(cls.deadline < bounds.severe_before)
        return query

    @classmethod
    def of_notice(cls, notice, user):
        """A notice's conclusions with unit, person and field, each with `opinions`: [(opinion, whether the
        user may open it)] in code order."""
        rows = list(cls.select(cls, Unit, User, Field)
                    .join_from(cls, Unit, pw.JOIN.LEFT_OUTER, on=(cls.responsible_unit == Unit.id))
                    .join_from(cls, User, pw.JOIN.LEFT_OUTER, on=(cls.responsible_user == User.id))
                    .join_from(cls, Field, pw.JOIN.LEFT_OUTER, on=(cls.field == Field.id))
                    .where(cls.notice == notice.id).order_by(cls.id))
        visible = {o.id for o in Opinion.visible_to(user, Opinion.select(Opinion.id))
                   .join(ConclusionOpinion).join(cls).where(cls.notice == notice.id)}
        links = {}
        for link in (ConclusionOpinion.select(ConclusionOpinion, Opinion).join(Opinion).switch(ConclusionOpinion)
                     .join(cls).where(cls.notice == notice.id).order_by(Opinion.code)):
            links.setdefault(link.conclusion_id, []).append((link.opinion, link.opinion_id in visible))
        for row in rows:
            row.opinions = links.get(row.id, [])
        return rows

    @classmethod
    def open_by_unit(cls, on):
        """(unit id, unit name, open, overdue on `on`) of the conclusions in force still to be carried out."""
        overdue = pw.Case(None, [(cls.deadline < on, 1)], 0)
        return (cls.active(cls.in_force(cls.select(cls.responsible_unit, Unit.name, pw.fn.COUNT(cls.id),
                                                   pw.fn.SUM(overdue))))
                .join_from(cls, Unit, pw.JOIN.LEFT_OUTER, on=(cls.responsible_unit == Unit.id))
                .group_by(cls.responsible_unit, Unit.name).tuples())

    @classmethod
    def count_open_and_overdue(cls, query, on):
        """(how many rows of `query`, how many of them overdue on `on`), in one query."""
        total, late = query.select(pw.fn.COUNT(cls.id), pw.fn.SUM(pw.Case(None, [(cls.deadline < on, 1)], 0))
                                   ).scalar(as_tuple=True)
        return total or 0, int(late or 0)

    def progress_floor(self):
        """The lowest percent a new progress entry may give: work done does not shrink, except that
        the first entry after a reopening may restate it (a reopened conclusion was not finished)."""
        reopened_at = (StatusChange.select(pw.fn.MAX(StatusChange.at))
                       .where(StatusChange.object_type == self._meta.table_name, StatusChange.object_id == self.id,
                              StatusChange.from_status.in_(CONCLUSION_CLOSED),
                              StatusChange.to_status == "in_progress")
                       .scalar())
        if reopened_at is None:
            return self.percent_done
        since = FollowUp.select().where(FollowUp.conclusion == self.id, FollowUp.at >= reopened_at,
                                        FollowUp.percent_done.is_null(False)).exists()
        return self.percent_done if since else 0

    @property
    def status_label(self):
        return CONCLUSION_STATUSES.get(self.status, self.status)

    @property
    def is_closed(self):
        return self.status in CONCLUSION_CLOSED


class ConclusionOpinion(BaseModel):
    conclusion = pw.ForeignKeyField(Conclusion, backref="opinion_links", on_delete="CASCADE")
    opinion = pw.ForeignKeyField(Opinion, backref="conclusion_links", on_delete="CASCADE")

    class Meta:
        indexes = ((("conclusion", "opinion"), True),)


FOLLOWUP_KINDS = {"progress": "Tiến độ", "reminder": "Đôn đốc", "note": "Ghi chú"}


class FollowUp(BaseModel):
    """A progress entry or a reminder (đôn đốc) on an opinion or a conclusion."""

    opinion = pw.ForeignKeyField(Opinion, null=True, backref="followups", on_delete="CASCADE")
    conclusion = pw.ForeignKeyField(Conclusion, null=True, backref="followups", on_delete="CASCADE")
    kind = pw.CharField(max_length=20, default="progress")
    note = pw.TextField()
    percent_done = pw.IntegerField(null=True)
    user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    at = pw.DateTimeField(default=now)

    @classmethod
    def of_conclusion(cls, conclusion):
        """A conclusion's entries with their author."""
        return cls.select(cls, User).join(User, pw.JOIN.LEFT_OUTER).where(cls.conclusion == conclusion.id)

    @classmethod
    def last_progress_at(cls, conclusion):
        """When the latest progress entry of the conclusion is dated, or None."""
        latest = (cls.select(cls.at).where(cls.conclusion == conclusion.id, cls.kind == "progress")
                  .order_by(cls.at.desc()).first())
        return latest.at if latest else None

    @property
    def kind_label(self):
        return FOLLOWUP_KINDS.get(self.kind, self.kind)


# ---------------------------------------------------------------- proposals (Art. 8)

PROPOSAL_STATUSES = {
    "received": "Đã tiếp nhận",
    "appraising": "Đang thẩm định",
    "accepted": "Được chấp thuận",
    "returned": "Trả lại",
}


class Proposal(Versioned):
    agency = pw.ForeignKeyField(Agency, backref="proposals", on_delete="RESTRICT")
    title = pw.CharField(max_length=300)
    content = pw.TextField(default="")
    document_ref = pw.CharField(max_length=200, default="")  # e.g. "Công văn số 12/SNV-TCCB"
    received_on = pw.DateField(default=today)
    content_unit = pw.ForeignKeyField(Unit, null=True, backref="+", on_delete="SET NULL")
    status = pw.CharField(max_length=20, default="received", index=True)
    decision_note = pw.TextField(default="")
    dialogue = pw.ForeignKeyField(Dialogue, null=True, backref="proposals", on_delete="SET NULL")
    created_at = pw.DateTimeField(default=now)

    @classmethod
    def visible_to(cls, user, query=None):
        """Proposals the user may list and open: all for readers of everything, else own unit's."""
        return by_unit(user, query if query is not None else cls.select(), lambda unit: cls.content_unit == unit)

    def may_appraise(self, user):
        """The coordinator, the chief, and the staff of the content department in charge."""
        if user.role in ("coordinator", "chief"):
            return True
        return user.is_content_staff and self.content_unit_id is not None and user.unit_id == self.content_unit_id

    @classmethod
    def years(cls):
        """Years in which proposals were received, newest first."""
        return years_of(cls.received_on)

    @classmethod
    def filtered(cls, status="", agency=None, year=None, query=None):
        """The list's filters: status, proposing agency, year received."""
        query = where_given(query if query is not None else cls.select(), (cls.status, status), (cls.agency, agency))
        if year:
            query = query.where(cls.received_on >= dt.date(year, 1, 1), cls.received_on < dt.date(year + 1, 1, 1))
        return query

    @classmethod
    def listed(cls, user):
        """Proposals the user may see, with agency, content unit and `appraisal_count` (one query)."""
        count = Appraisal.select(pw.fn.COUNT(Appraisal.id)).where(Appraisal.proposal == cls.id)
        return (cls.visible_to(user, cls.select(cls, Agency, Unit)).join(Agency)
                .switch(cls).join(Unit, pw.JOIN.LEFT_OUTER)
                .select_extend(count.alias("appraisal_count")))

    def appraisal_rows(self):
        """Its appraisals with their bodies, in the order they were given."""
        return list(Appraisal.select(Appraisal, Agency).join(Agency)
                    .where(Appraisal.proposal == self.id).order_by(Appraisal.at, Appraisal.id))

    def first_change(self, status):
        """The first time it reached `status` (its status history), or None."""
        return (StatusChange.select().where(StatusChange.object_type == self._meta.table_name,
                                            StatusChange.object_id == self.id, StatusChange.to_status == status)
                .order_by(StatusChange.at, StatusChange.id).first())


class Appraisal(BaseModel):
    """One appraising body's opinion on a proposal (Ban Dân vận Tỉnh ủy, Ủy ban MTTQ tỉnh)."""

    proposal = pw.ForeignKeyField(Proposal, backref="appraisals", on_delete="CASCADE")
    body = pw.ForeignKeyField(Agency, backref="+", on_delete="RESTRICT")
    opinion = pw.TextField()
    agrees = pw.BooleanField(default=True)
    at = pw.DateField(default=today)

    class Meta:
        indexes = ((("proposal", "body"), True),)  # one opinion per body and proposal


# ---------------------------------------------------------------- reports and audit

REPORT_KINDS = {"midyear": "Báo cáo 6 tháng", "annual": "Báo cáo năm", "monthly": "Báo cáo tháng",
                "quarterly": "Báo cáo quý", "nine_month": "Báo cáo 9 tháng", "range": "Báo cáo theo kỳ"}
STATUTORY_REPORT_KINDS = ("midyear", "annual")  # the plan's own: 1/1 to the cut-off


class Report(Versioned):
    plan = pw.ForeignKeyField(Plan, backref="reports", on_delete="CASCADE")
    kind = pw.CharField(max_length=20)
    cutoff = pw.DateField()
    narrative_md = pw.TextField(default="")
    figures_json = pw.TextField(default="")  # frozen on approval
    status = pw.CharField(max_length=20, default="draft")
    year = pw.IntegerField(null=True)
    number = pw.IntegerField(null=True)  # Số: NN/BC-VP, unique per year once approved
    recipients = pw.TextField(default="")  # "Nơi nhận:", one per line
    approved_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    approved_at = pw.DateTimeField(null=True)
    created_at = pw.DateTimeField(default=now)
    # The period the figures cover (a statutory report: 1/1 to the cut-off) and its key, one report per
    # plan, kind and period: "2022" (statutory), "2022-03", "2022-Q1", "2022-9T", "2022-01-05..2022-02-10"
    period_start = pw.DateField(null=True)
    period_end = pw.DateField(null=True)
    period_key = pw.CharField(max_length=30, default="")

    class Meta:
        indexes = ((("plan", "kind", "period_key"), True),)

    def save(self, *args, **kwargs):
        """A statutory report made without its period gets it: 1/1 of the plan's year to the cut-off."""
        if self.kind in STATUTORY_REPORT_KINDS and not self.period_key:
            year = Plan.get_by_id(self.plan_id).year
            self.period_start, self.period_end, self.period_key = dt.date(year, 1, 1), self.cutoff, str(year)
        return super().save(*args, **kwargs)

    @classmethod
    def with_plan(cls):
        """Reports with their plan in the same query (the title reads the plan's year)."""
        return cls.select(cls, Plan).join(Plan)


class Attachment(BaseModel):
    object_type = pw.CharField(max_length=30)
    object_id = pw.IntegerField()
    filename = pw.CharField(max_length=255)
    stored_name = pw.CharField(max_length=80, unique=True)
    content_type = pw.CharField(max_length=80)
    size = pw.IntegerField()
    uploaded_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("object_type", "object_id"), False),)

    @classmethod
    def of_record(cls, object_type, object_id):
        """A record's files, oldest first, with `uploader_name` in the same query."""
        return list(cls.select(cls, User.full_name.alias("uploader_name"))
                    .join(User, pw.JOIN.LEFT_OUTER, on=(cls.uploaded_by == User.id))
                    .where(cls.object_type == object_type, cls.object_id == object_id)
                    .order_by(cls.at, cls.id).objects())


INTAKE_SYNC_STATUSES = {"running": "Đang chạy", "succeeded": "Hoàn tất", "failed": "Lỗi"}


class IntakeSync(BaseModel):
    """One run of `intake-sync` (cron or the coordinator's button) and its counts."""
    started_at = pw.DateTimeField(default=now, index=True)
    finished_at = pw.DateTimeField(null=True)
    status = pw.CharField(max_length=20, default="running")
    started_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    fetched = pw.IntegerField(default=0)  # pending submissions read from the intake service
    created = pw.IntegerField(default=0)  # opinions entered in the register
    acked = pw.IntegerField(default=0)
    statuses = pw.IntegerField(default=0)  # statuses pushed
    mails = pw.IntegerField(default=0)  # status mails sent
    error = pw.TextField(default="")

    @property
    def status_label(self):
        return INTAKE_SYNC_STATUSES.get(self.status, self.status)

    @classmethod
    def last_good(cls):
        return cls.select().where(cls.status == "succeeded").order_by(cls.finished_at.desc()).first()

    @classmethod
    def recent(cls, limit=10):
        return list(cls.select().order_by(cls.started_at.desc(), cls.id.desc()).limit(limit))


class IntakeStatusPush(BaseModel):
    """What was last pushed to the intake service for a tracked opinion (and mailed), so only changes go."""
    opinion = pw.ForeignKeyField(Opinion, unique=True, backref="+", on_delete="CASCADE")
    fingerprint = pw.CharField(max_length=64)
    status = pw.CharField(max_length=20)
    pushed_at = pw.DateTimeField(default=now)
    mailed_status = pw.CharField(max_length=20, default="")


PUBLISH_RUN_STATUSES = {"queued": "Đang chờ", "running": "Đang chạy", "succeeded": "Hoàn tất",
                        "failed": "Lỗi"}


class PublishRun(BaseModel):
    """One build (and optional publish) of the public site started from the internal app."""

    started_by = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    started_at = pw.DateTimeField(default=now, index=True)
    finished_at = pw.DateTimeField(null=True)
    publish = pw.BooleanField(default=True)  # build only, or build and send to the web host
    status = pw.CharField(max_length=20, default="queued")
    progress = pw.CharField(max_length=300, default="")  # the latest progress line
    summary = pw.TextField(default="")
    error = pw.TextField(default="")
    # The job process running it (services/publish_runs.py): its pid and host, and its last sign of life
    pid = pw.IntegerField(null=True)
    host = pw.CharField(max_length=255, default="")
    heartbeat_at = pw.DateTimeField(null=True)

    @property
    def status_label(self):
        return PUBLISH_RUN_STATUSES.get(self.status, self.status)


class MailDigest(BaseModel):
    """A reminder digest (đôn đốc) sent by `flask remind`: at most one per recipient, kind and day."""

    user = pw.ForeignKeyField(User, backref="+", on_delete="CASCADE")
    day = pw.DateField()
    kind = pw.CharField(max_length=20)  # "unit" (own items) or "coordinator" (summary by unit)
    address = pw.CharField(max_length=200)
    subject = pw.CharField(max_length=300)
    items = pw.IntegerField(default=0)
    sent_at = pw.DateTimeField(default=now)

    class Meta:
        indexes = ((("user", "day", "kind"), True),)


# Values never written to the audit log in clear (the law protects a denouncer's identity).
CONFIDENTIAL_FIELDS = {"submitter_name", "submitter_contact", "submitter_phone", "submitter_email",
                       "submitter_address", "password_hash", "search_identity"}
MASK = "[bảo mật]"


READ_ACTIONS = ("view_identity", "login", "login_failed", "logout")  # logged, but not edits


class AuditLog(BaseModel):
    at = pw.DateTimeField(default=now, index=True)
    user = pw.ForeignKeyField(User, null=True, backref="+", on_delete="SET NULL")
    action = pw.CharField(max_length=40)
    object_type = pw.CharField(max_length=30, index=True)
    object_id = pw.IntegerField(null=True)
    summary = pw.CharField(max_length=300, default="")
    changes = pw.TextField(default="")  # JSON {field: [old, new]}
    # The hash chain (services/audit_chain.py): the previous entry's hash and this one's over its stored values
    # (nullable: a row written around models.audit, by hand, is kept and reported by audit-verify)
    prev_hash = pw.CharField(max_length=64, null=True)
    hash = pw.CharField(max_length=64, null=True)

    @classmethod
    def last_editor_name(cls, obj):
        """Who last wrote this record (shown in the conflict box), or None."""
        row = (cls.select(cls, User).join(User, pw.JOIN.LEFT_OUTER)
               .where(cls.object_type == obj._meta.table_name, cls.object_id == obj.id,
                      cls.action.not_in(READ_ACTIONS))
               .order_by(cls.id.desc()).first())
        return row.user.full_name if row is not None and row.user_id else None

    @property
    def change_list(self):
        return sorted(json.loads(self.changes).items()) if self.changes else []

    @classmethod
    def newest_first(cls):
        """The log with who did each thing (one query), newest first."""
        return (cls.select(cls, User).join(User, pw.JOIN.LEFT_OUTER, on=(cls.user == User.id))
                .order_by(cls.at.desc(), cls.id.desc()))

    @classmethod
    def filtered(cls, user=None, object_type="", action="", date_from=None, date_to=None, query=None):
        """The log narrowed to one person, kind of record, action, and days from–to (both included)."""
        query = where_given(query if query is not None else cls.select(),
                            (cls.user, user), (cls.object_type, object_type), (cls.action, action))
        if date_from:
            query = query.where(cls.at >= dt.datetime.combine(date_from, dt.time()))
        if date_to:
            query = query.where(cls.at < dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time()))
        return query


class AuditHead(BaseModel):
    """The audit chain's head, kept apart from the entries (one row): how many, the last id and hash."""

    count = pw.IntegerField(default=0)
    last_id = pw.IntegerField(null=True)
    last_hash = pw.CharField(max_length=64, default="")


def _plain(value):
    if isinstance(value, pw.Model):
        return value.id
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def audit(user, action, obj=None, changes=None, summary="", object_type=None):
    """Write one audit row, chained to the one before in the same transaction; confidential values are masked."""
    clean = {}
    for name, (old, new) in (changes or {}).items():
        if name in CONFIDENTIAL_FIELDS:
            old, new = (MASK if old else ""), (MASK if new else "")
        clean[name] = [_plain(old), _plain(new)]
    with db.atomic():  # the outermost one begins IMMEDIATE on SQLite: appends are serialised
        audit_chain.lock(db)
        entry = AuditLog.create(
            user=user.id if user is not None else None, action=action,
            object_type=object_type or (obj._meta.table_name if obj is not None else ""),
            object_id=obj.id if obj is not None else None, summary=summary[:300],
            changes=json.dumps(clean, ensure_ascii=False, sort_keys=True) if clean else "")
        entry.prev_hash, entry.hash = audit_chain.link(db, entry.id)
    return entry


def save_versioned(obj, expected_version, user, changes, action="update", summary=""):
    """Apply `changes` to `obj` if nobody saved it since `expected_version`; audit it.

    Runs in one transaction (immediate on SQLite, see open_database: the version is read under the
    write lock). Raises ConflictError carrying the stored record otherwise.
    """
    model = type(obj)
    fields = model._meta.fields
    with db.atomic():
        current = model.get_by_id(obj.id)
        if current.version != int(expected_version):
            raise ConflictError(current)
        diff = {}
        for name, value in changes.items():
            old = current.__data__.get(name)
            new = value.id if isinstance(value, pw.Model) else value
            if old != new:
                diff[name] = (old, new)
            setattr(current, name, value)
        if not diff:
            return current
        written = set(changes) | {"version"}
        current.version += 1
        if "updated_at" in fields:
            current.updated_at = now()
            written.add("updated_at")
        if hasattr(current, "refresh_search"):
            current.refresh_search()
            written |= {"search_text", "search_identity"}
        query = model.update({fields[n]: current.__data__.get(n) for n in written})
        rows = query.where(model.id == obj.id, model.version == int(expected_version)).execute()
        if rows != 1:
            raise ConflictError(model.get_by_id(obj.id))
        audit(user, action, current, diff, summary)
        return current


def record_transition(obj, user, from_status, to_status, note="", at=None):
    """One entry of the object's status history (who, when, note); returns it."""
    return StatusChange.create(object_type=obj._meta.table_name, object_id=obj.id, from_status=from_status,
                               to_status=to_status, user=user.id if user else None, note=note, at=at or now())


MODELS = [Unit, Agency, User, UserSession, LoginAttempt, Field, Setting, Holiday, Plan, Dialogue, DialogueField,
          DialogueAttendee, AnswerTemplate, Opinion, MinutesAnswer, StatusChange, ConclusionNotice, Conclusion,
          ConclusionOpinion, FollowUp, Proposal, Appraisal, Report, Attachment, IntakeSync, IntakeStatusPush,
          PublishRun, MailDigest, AuditLog, AuditHead]


def uses_search_index(database=None):
    """Whether the database has the register's search index (SQLite's FTS5 one, migrations/search_index.py)."""
    database = database or db.obj
    return isinstance(database, pw.SqliteDatabase)


OPINION_SERIES = "YK"


def next_opinion_code(year):
    """The next register number of a year: YK-2022-0001, YK-2022-0002, …

    Read inside the transaction that writes it, which holds the series' lock (create_opinion); so it
    must not read the year's register: one row of the index opinion_code_series (the expressions
    here are the index's, written out, so that both databases' planners match them to it).
    """
    prefix = "%s-%d-" % (OPINION_SERIES, year)
    series = pw.SQL("SUBSTR(code, 1, %d)" % len(prefix))  # 8, the index's, for a year of four digits
    # By length first: as text "YK-2026-9999" sorts after "YK-2026-10000" (a year past 9,999 opinions).
    last = (Opinion.select(Opinion.code).where(series == prefix)
            .order_by(pw.SQL("LENGTH(code)").desc(), Opinion.code.desc()).first())
    number = int(last.code[len(prefix):]) + 1 if last else 1
    return "%s%04d" % (prefix, number)


def create_opinion(user, **values):
    """Record a new opinion with its register number, first history entry and audit row.

    Staff of a unit (specialist, unit head) record for their own unit, so they keep seeing it.
    """
    if user is not None and user.is_content_staff and not values.get("assigned_unit"):
        values["assigned_unit"] = user.unit_id
    if values.get("channel") in TRACKED_CHANNELS and values.get("audience") == "citizens" \
            and not values.get("tracking_code"):
        values["tracking_code"] = tracking.new_code()  # 60 random bits: a clash is left to the unique index
    with db.atomic():  # immediate on SQLite: no other writer between reading the last code and inserting
        received = values.get("received_on") or today()
        lock_series(db, received.year, OPINION_SERIES)
        opinion = Opinion(code=next_opinion_code(received.year), created_by=user.id if user else None, **values)
        opinion.save()
        record_transition(opinion, user, "", opinion.status, "Tiếp nhận")
        audit(user, "create", opinion, {k: (None, v) for k, v in values.items()},
              summary="Tiếp nhận ý kiến %s" % opinion.code)
        return opinion
