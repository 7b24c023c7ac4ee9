"""Thông báo ý kiến kết luận: drafting from a held dialogue, conclusions, submission, signing with the
number of the series (Số: NN/TB-VP), corrections as new revisions, the printable page and DOCX.

Who does what:
- coordinator (TCHCQT): drafts the notice and its conclusions, submits it, drafts a correction;
- chief: signs a submitted notice, or returns it to draft with a reason (nobody else signs);
- coordinator, leader, chief: read every notice; unit staff (specialist, unit head) read the signed
  notices that hold a conclusion for their unit; admin reads none.

Signing freezes the notice. A correction (đính chính) is a new revision, a draft copied from the
signed one (title, body, recipients and the conclusions with their links, status and progress);
the old revision stays readable. When the correction is signed, it replaces the old one: the old
revision's conclusions are then out of force everywhere (models.Dialogue.open_conclusions and
publication.py leave out notices replaced by a signed correction), each of them still open gets a
note saying where it continues, and the correction's own conclusions carry the follow-up work.
"""
import datetime as dt
import re

import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

import publication
from forms import BaseForm, IdSelectField, parse_id, valid_version
from models import (
    NOTICE_STATUSES,
    OPINION_TRANSITIONS,
    AuditLog,
    Conclusion,
    ConclusionNotice,
    ConclusionOpinion,
    ConflictError,
    Dialogue,
    Field,
    FollowUp,
    Opinion,
    StatusChange,
    TransitionError,
    Unit,
    User,
    audit,
    db,
    now,
    record_transition,
    save_versioned,
    today,
)
from services import deadlines, documents
from services.text import document_number, person_sort_key, sort_key
from views.auth import roles_required
from views.common import Page, invalid_status, page_arg, wants_fragment, year_arg

bp = Blueprint("notices", __name__, url_prefix="/thong-bao")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")
DRAFTERS = ("coordinator",)
SIGNERS = ("chief",)
DOC_TYPE = "TB"
DEFAULT_RECIPIENTS = ("Lãnh đạo Văn phòng", "Các phòng, ban, đơn vị, đoàn thể thuộc Văn phòng")
DEADLINE_MODES = {"date": "Chọn ngày", "calendar": "Số ngày kể từ hôm nay",
                  "working": "Số ngày làm việc kể từ hôm nay"}
MAX_NUMBER = 9999


# ---------------------------------------------------------------- access

@bp.app_template_global()
def openable_notice_ids(notices):
    """The ids of these notices the signed-in user may open (links elsewhere are shown only then): one query."""
    user, ids = g.get("user"), [n.id for n in notices]
    if user is None or not ids:
        return set()
    if user.reads_everything:
        return set(ids)
    query = ConclusionNotice.visible_to(user, ConclusionNotice.select(ConclusionNotice.id)).where(
        ConclusionNotice.id.in_(ids))
    return {row.id for row in query}


def get_notice(notice_id):
    """The notice if the signed-in user may see it; 404 otherwise (never reveal that it exists)."""
    notice = ConclusionNotice.visible_to(g.user).where(ConclusionNotice.id == notice_id).first()
    if notice is None:
        abort(404)
    return notice


def get_conclusion(notice, conclusion_id):
    conclusion = Conclusion.get_or_none(Conclusion.id == conclusion_id, Conclusion.notice == notice.id)
    if conclusion is None:
        abort(404)
    return conclusion


def replacement(notice):
    """The signed correction that replaced this notice, or None."""
    return (ConclusionNotice.select().where(ConclusionNotice.supersedes == notice.id,
                                            ConclusionNotice.status == "signed")
            .order_by(ConclusionNotice.revision.desc()).first())


# ---------------------------------------------------------------- numbering

def next_number(year, doc_type=DOC_TYPE):
    """The next number of the series: one more than the highest ever given that year (never reused)."""
    highest = (ConclusionNotice.select(pw.fn.MAX(ConclusionNotice.number))
               .where(ConclusionNotice.year == year, ConclusionNotice.doc_type == doc_type,
                      ConclusionNotice.number.is_null(False)).scalar())
    return (highest or 0) + 1


def number_text(number, doc_type=DOC_TYPE):
    return document_number(number, doc_type)


class SigningRefused(Exception):
    """The signing could not be done; `field` is where the message goes on the form."""

    def __init__(self, message, field="number"):
        super().__init__(message)
        self.message, self.field = message, field


def sign_notice(notice_id, user, expected_version, manual_number=None):
    """Sign a submitted notice with the next number of its series, or `manual_number` (the number the
    office's register gave, unique for that year and type). Race-safe: the highest number is read and
    the new one written in one transaction that holds the series' write lock from its start; the
    unique index (year, doc_type, number) is the last guard (an automatic number is tried once more).
    Returns the signed notice; raises ConflictError or SigningRefused.
    """
    for attempt in (1, 2):
        signed_at = now()
        year = signed_at.year
        try:
            with documents.numbering_transaction(db, year, DOC_TYPE):
                notice = ConclusionNotice.get_by_id(notice_id)
                if notice.version != int(expected_version):
                    raise ConflictError(notice)
                if notice.status != "submitted":
                    raise SigningRefused("Chỉ ký được thông báo đang trình ký (trạng thái hiện tại: %s)."
                                         % notice.status_label, "status")
                if manual_number is not None:
                    taken = ConclusionNotice.get_or_none(ConclusionNotice.year == year,
                                                         ConclusionNotice.doc_type == notice.doc_type,
                                                         ConclusionNotice.number == manual_number)
                    if taken is not None:
                        raise SigningRefused(
                            "Số %s năm %d đã cấp cho thông báo “%s”. Vui lòng nhập số khác theo sổ văn thư."
                            % (number_text(manual_number, notice.doc_type), year, taken.title))
                    number = manual_number
                else:
                    number = next_number(year, notice.doc_type)
                saved = save_versioned(notice, expected_version, user, {
                    "status": "signed", "year": year, "number": number, "signed_by": user.id,
                    "signed_at": signed_at}, action="sign",
                    summary="Ký thông báo số %s: %s" % (number_text(number, notice.doc_type), notice.title))
                _after_signing(saved, user)
                return saved
        except pw.IntegrityError:
            if manual_number is not None or attempt == 2:
                raise SigningRefused("Số vừa được cấp cho một thông báo khác. Vui lòng ký lại.") from None
    raise AssertionError("unreachable")


CARRIED_OVER = ("status", "percent_done", "closed_at", "is_public", "publish_in_progress")


def _carry_over(conclusions, user):
    """A signed correction continues its predecessor's conclusions as they stand now: progress, closing
    and publication changed after the correction was drafted are not undone by signing it."""
    sources = {c.id: c for c in Conclusion.select().where(
        Conclusion.id.in_([c.copied_from_id for c in conclusions if c.copied_from_id]))}
    for conclusion in conclusions:
        old = sources.get(conclusion.copied_from_id)
        if old is None:
            continue
        changes = {name: (getattr(conclusion, name), getattr(old, name)) for name in CARRIED_OVER
                   if getattr(conclusion, name) != getattr(old, name)}
        if not changes:
            continue
        values = {name: new for name, (_, new) in changes.items()}
        Conclusion.update(version=Conclusion.version + 1, updated_at=now(), **values).where(
            Conclusion.id == conclusion.id).execute()
        for name, value in values.items():
            setattr(conclusion, name, value)
        audit(user, "update", conclusion, changes,
              summary="Kết luận #%d tiếp nối kết luận #%d như hiện trạng khi ký bản đính chính"
              % (conclusion.id, old.id))


def _after_signing(notice, user):
    """What signing sets going: history, the conclusions' lifecycle, the opinions they answer, the dialogue,
    and, for a correction, a note on each still-open conclusion of the revision it replaces."""
    label = "Thông báo số %s" % notice.number_text
    record_transition(notice, user, "submitted", "signed", "Số " + notice.number_text)
    conclusions = list(Conclusion.select().where(Conclusion.notice == notice.id).order_by(Conclusion.id))
    if notice.supersedes_id:
        _carry_over(conclusions, user)
    for conclusion in conclusions:
        record_transition(conclusion, user, "", conclusion.status, "Theo %s" % label)
    opinions = (Opinion.select().join(ConclusionOpinion)
                .where(ConclusionOpinion.conclusion.in_([c.id for c in conclusions]))
                .distinct().order_by(Opinion.id))
    for opinion in opinions:
        if "concluded" not in OPINION_TRANSITIONS.get(opinion.status, ()):
            continue
        try:
            opinion.change_status(user, "concluded", opinion.version, note="Kết luận tại %s" % label)
        except (TransitionError, ConflictError):
            continue
    dialogue = Dialogue.get_by_id(notice.dialogue_id)
    if dialogue.refusal("concluded") is None:
        saved = save_versioned(dialogue, dialogue.version, user, {"status": "concluded"}, action="status",
                               summary="Chuyển trạng thái: %s → %s" % (dialogue.status_label, "Đã có kết luận"))
        record_transition(saved, user, dialogue.status, "concluded", "Ký %s" % label)
    if notice.supersedes_id:
        old = ConclusionNotice.get_by_id(notice.supersedes_id)
        audit(user, "superseded", old, summary="Thông báo số %s được thay thế bởi bản đính chính số %s"
              % (old.number_text, notice.number_text))
        for conclusion in Conclusion.select().where(Conclusion.notice == old.id,
                                                    Conclusion.status.not_in(("resolved", "referred", "explained"))):
            note = FollowUp.create(conclusion=conclusion, kind="note", user=user.id,
                                   note="Kết luận được thay thế bởi %s (bản đính chính); theo dõi tiếp tại bản mới."
                                   % label)
            audit(user, "create", note, summary="Ghi chú thay thế kết luận #%d" % conclusion.id)


# ---------------------------------------------------------------- forms

def _options(pairs):
    return [SelectChoice(value, label) for value, label in pairs]



class NoticeForm(BaseForm):
    """Title, body and recipients of a notice (new and edit)."""

    title = StringField("Tiêu đề (trích yếu)", validators=[
        DataRequired("Vui lòng nhập tiêu đề thông báo."), Length(max=300, message="Tối đa 300 ký tự.")])
    body_md = TextAreaField("Nội dung thông báo", validators=[
        DataRequired("Vui lòng nhập nội dung thông báo."), Length(max=50000, message="Tối đa 50.000 ký tự.")])
    recipients = TextAreaField("Nơi nhận (mỗi dòng một nơi)", validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    opinion_ids = SelectMultipleField("Tạo sẵn kết luận cho các ý kiến", coerce=int,
                                      invalid_value_message="Ý kiến không hợp lệ.",
                                      invalid_choice_message="Ý kiến không thuộc buổi đối thoại này.")
    version = HiddenField()

    def __init__(self, *args, notice=None, opinions=(), **kwargs):
        super().__init__(*args, **kwargs)
        if notice is not None:
            self.version.validators = [valid_version]
        self.opinion_ids.choices = _options((o.id, o.code) for o in opinions)

    def values(self):
        lines = [line.strip() for line in (self.recipients.data or "").splitlines() if line.strip()]
        return {"title": self.title.data.strip(), "body_md": self.body_md.data.strip() + "\n",
                "recipients": "\n".join(lines)}


class ConclusionForm(BaseForm):
    """One conclusion: what is decided, who acts and by when, what may go public, which opinions it answers."""

    decision = TextAreaField("Nội dung kết luận", validators=[
        DataRequired("Vui lòng nhập nội dung kết luận."), Length(max=5000, message="Tối đa 5.000 ký tự.")])
    unit_id = IdSelectField("Đơn vị chủ trì thực hiện", validators=[DataRequired("Vui lòng chọn đơn vị thực hiện.")])
    user_id = IdSelectField("Chuyên viên, người thực hiện", validators=[Optional()])
    deadline_mode = RadioField("Cách nhập thời hạn", choices=_options(DEADLINE_MODES.items()), default="date",
                               validators=[DataRequired("Vui lòng chọn cách nhập thời hạn.")])
    deadline_on = DateField("Ngày hết hạn", validators=[Optional()],
                            invalid_value_message="Ngày không hợp lệ (nhập theo dạng dd/mm/yyyy).")
    deadline_days = IntegerField("Số ngày", validators=[Optional(), NumberRange(
        min=1, max=365, message="Số ngày từ 1 đến 365.")], invalid_value_message="Số ngày phải là số nguyên.")
    field_id = IdSelectField("Lĩnh vực", validators=[Optional()])
    public_summary = TextAreaField("Tóm tắt công khai (đăng trên trang Dân biết)", validators=[
        Length(max=2000, message="Tối đa 2.000 ký tự.")])
    is_public = BooleanField("Công khai kết luận khi đã thực hiện xong")
    opinion_ids = SelectMultipleField("Trả lời các ý kiến", coerce=int, invalid_value_message="Ý kiến không hợp lệ.",
                                      invalid_choice_message="Ý kiến không thuộc thông báo này.")
    version = HiddenField()

    def __init__(self, *args, conclusion=None, opinions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.conclusion = conclusion
        if conclusion is not None:
            self.version.validators = [valid_version]
        self.units = sorted(Unit.select().where(Unit.active == True), key=lambda u: sort_key(u.name))  # noqa: E712
        people = (User.select().where(User.unit.in_([u.id for u in self.units]), User.active == True,  # noqa: E712
                                      User.role.in_(("specialist", "unit_head"))))
        by_unit = {}
        for person in people:
            by_unit.setdefault(person.unit_id, []).append(person)
        self.people = [(u, sorted(by_unit.get(u.id, []), key=lambda p: person_sort_key(p.full_name)))
                       for u in self.units]
        self.fields = list(Field.select().order_by(Field.position, Field.name))
        self.opinion_ids.choices = _options((o.id, o.code) for o in opinions)
        self.computed_deadline = None

    def validate_unit_id(self, field):
        if field.data is not None and field.data not in {u.id for u in self.units}:
            raise ValidationError("Đơn vị không tồn tại hoặc đã ngừng hoạt động.")

    def validate_user_id(self, field):
        if field.data is None:
            return
        person = User.get_or_none(User.id == field.data)
        if person is None or not person.active:
            raise ValidationError("Người thực hiện không tồn tại hoặc đã bị khóa.")
        if person.unit_id != self.unit_id.data:
            raise ValidationError("%s không thuộc đơn vị đã chọn." % person.full_name)

    def validate_field_id(self, field):
        if field.data is not None and field.data not in {f.id for f in self.fields}:
            raise ValidationError("Lĩnh vực không tồn tại.")

    def validate(self, extra_validators=None):
        """The fields' own checks, then the deadline: a date, or N calendar or working days from today.

        (An empty optional field stops its own validators, so the "required in this mode" rules live here.)
        """
        valid = super().validate(extra_validators)
        mode = self.deadline_mode.data
        if mode == "date" and not self.deadline_on.errors:
            day = self.deadline_on.data
            kept = self.conclusion is not None and self.conclusion.deadline == day
            if day is None:
                self.deadline_on.errors = ["Vui lòng nhập ngày hết hạn."]
            elif day < today() and not kept:
                self.deadline_on.errors = ["Thời hạn không được trước ngày hôm nay (%s)."
                                           % today().strftime("%d/%m/%Y")]
            else:
                self.computed_deadline = day
        elif mode in ("calendar", "working") and not self.deadline_days.errors:
            if self.deadline_days.data is None:
                self.deadline_days.errors = ["Vui lòng nhập số ngày."]
            else:
                self.computed_deadline = deadlines.add_deadline(today(), self.deadline_days.data, mode)
        return valid and self.computed_deadline is not None

    def validate_public_summary(self, field):
        problems = publication.personal_data_problems(field.data or "")
        if problems:
            raise ValidationError("Tóm tắt công khai không được chứa thông tin cá nhân: " + " ".join(problems))
        if self.is_public.data and not (field.data or "").strip():
            raise ValidationError("Kết luận công khai cần có tóm tắt công khai.")

    def values(self):
        return {"decision": self.decision.data.strip(), "responsible_unit": self.unit_id.data,
                "responsible_user": self.user_id.data, "deadline": self.computed_deadline,
                "field": self.field_id.data, "public_summary": (self.public_summary.data or "").strip(),
                "is_public": bool(self.is_public.data)}


class SignForm(BaseForm):
    """Sign with the proposed number of the series, or with the number of the office's register."""

    number_mode = RadioField("Số thông báo", choices=_options((("auto", "Cấp số tiếp theo"),
                                                                ("manual", "Nhập số theo sổ văn thư"))),
                             default="auto", validators=[DataRequired("Vui lòng chọn cách cấp số.")])
    number = IntegerField("Số theo sổ văn thư", validators=[Optional(), NumberRange(
        min=1, max=MAX_NUMBER, message="Số từ 1 đến %d." % MAX_NUMBER)],
        invalid_value_message="Số thông báo phải là số nguyên dương.")
    version = HiddenField(validators=[valid_version])

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if self.number_mode.data == "manual" and self.number.data is None and not self.number.errors:
            self.number.errors = ["Vui lòng nhập số thông báo theo sổ văn thư."]
            return False
        return valid

    @property
    def manual_number(self):
        return self.number.data if self.number_mode.data == "manual" else None


class NoteForm(BaseForm):
    """A step with a version and (for returning to draft) a reason."""

    note = TextAreaField("Lý do", validators=[Length(max=2000, message="Tối đa 2.000 ký tự.")])
    version = HiddenField(validators=[valid_version])


# ---------------------------------------------------------------- drafting helpers

def dialogue_opinions(dialogue_id, user):
    """Opinions raised at the dialogue that the user may see, in register order (no identity is ever shown)."""
    return list(Opinion.visible_to(user, Opinion.select()).where(Opinion.dialogue == dialogue_id)
                .order_by(Opinion.id))


def excerpt(text, limit=160):
    text = re.sub(r"\s+", " ", text or "").strip()
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + "…"


def draft_title(dialogue):
    title = dialogue.title.replace("Đối thoại của Chủ tịch UBND tỉnh", "Đối thoại", 1)
    who = "Chủ tịch UBND tỉnh" if dialogue.is_chairman else "Chánh Văn phòng"
    return ("Thông báo ý kiến kết luận của %s tại buổi %s" % (who, title[:1].lower() + title[1:]))[:300]


def draft_body(dialogue, opinions):
    """The body's first draft: the meeting, the opinions discussed (never who raised them), the closing."""
    who = "Chủ tịch UBND tỉnh" if dialogue.is_chairman else "Chánh Văn phòng"
    audience = ("công chức, viên chức, người lao động Văn phòng" if dialogue.audience == "staff"
                else "công dân và đại diện các cơ quan, đơn vị liên quan")
    chair = dialogue.chair or who
    lines = ["Ngày %s, tại %s, %s chủ trì buổi %s. Tham dự có %s%s." % (
        dialogue.starts_at.strftime("%d/%m/%Y"), dialogue.place or "…", chair,
        dialogue.title[:1].lower() + dialogue.title[1:], audience,
        " (%d người)" % dialogue.attendance if dialogue.attendance else ""), ""]
    discussed = [o for o in opinions if o.kind != "denunciation"]
    if discussed:
        lines += ["## Các ý kiến, kiến nghị đã trao đổi", ""]
        lines += ["- %s (%s): %s" % (o.code, o.kind_label.lower(), excerpt(o.content)) for o in discussed]
        lines.append("")
    lines += ["## Kết luận", "",
              "Sau khi nghe các ý kiến, kiến nghị và ý kiến trả lời của các phòng, ban, đơn vị, %s kết luận "
              "như sau:" % who, ""]
    if dialogue.directions:
        lines += [dialogue.directions.strip(), ""]
    lines.append("Phòng Tổ chức-Hành chính-Quản trị theo dõi, đôn đốc việc thực hiện. Văn phòng UBND tỉnh thông "
                 "báo để các phòng, ban, đơn vị và cá nhân liên quan biết, thực hiện./.")
    return "\n".join(lines) + "\n"


def conclusion_from_opinion(opinion):
    """A draft conclusion's values for an opinion (the unit's draft answer, its unit, specialist and deadline)."""
    unit = Unit.get_or_none(Unit.id == opinion.assigned_unit_id) if opinion.assigned_unit_id else None
    decision = (opinion.draft_answer or "").strip() or (
        "Giao %s nghiên cứu, giải quyết ý kiến %s." % (unit.name if unit else "đơn vị liên quan", opinion.code))
    deadline = opinion.deadline if opinion.deadline and opinion.deadline >= today() else \
        deadlines.add_deadline(today(), 10, "working")
    return {"decision": decision, "responsible_unit": opinion.assigned_unit_id,
            "responsible_user": opinion.assigned_to_id, "deadline": deadline, "field": opinion.field_id}


def link_opinions(conclusion, opinion_ids):
    """Make the conclusion answer exactly these opinions; returns the audit diff (or {})."""
    have = {link.opinion_id for link in ConclusionOpinion.select().where(ConclusionOpinion.conclusion == conclusion.id)}
    wanted = set(opinion_ids)
    if have == wanted:
        return {}
    if have - wanted:
        ConclusionOpinion.delete().where(ConclusionOpinion.conclusion == conclusion.id,
                                         ConclusionOpinion.opinion.in_(have - wanted)).execute()
    for opinion_id in sorted(wanted - have):
        ConclusionOpinion.create(conclusion=conclusion.id, opinion=opinion_id)
    return {"opinions": (sorted(have), sorted(wanted))}


# ---------------------------------------------------------------- list

def list_filters():
    args = request.args
    return {"status": args.get("status") if args.get("status") in NOTICE_STATUSES else "",
            "year": year_arg()}


def notice_years():
    """Years with notices: the number's year once signed, else the year it was drafted."""
    years = set()
    for year, created in ConclusionNotice.select(ConclusionNotice.year, ConclusionNotice.created_at).tuples():
        years.add(year or (created.year if hasattr(created, "year") else int(str(created)[:4])))
    return sorted(years, reverse=True)


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Notices, newest first, filtered by status and year."""
    filters = list_filters()
    query = ConclusionNotice.visible_to(g.user, ConclusionNotice.select(ConclusionNotice, Dialogue).join(Dialogue))
    if filters["status"]:
        query = query.where(ConclusionNotice.status == filters["status"])
    if filters["year"]:
        start, end = dt.datetime(filters["year"], 1, 1), dt.datetime(filters["year"] + 1, 1, 1)
        query = query.where((ConclusionNotice.year == filters["year"])
                            | (ConclusionNotice.year.is_null() & (ConclusionNotice.created_at >= start)
                               & (ConclusionNotice.created_at < end)))
    count = (Conclusion.select(pw.fn.COUNT(Conclusion.id)).where(Conclusion.notice == ConclusionNotice.id))
    query = query.select_extend(count.alias("conclusion_count")).order_by(
        pw.fn.COALESCE(ConclusionNotice.signed_at, ConclusionNotice.created_at).desc(), ConclusionNotice.id.desc())
    page = Page(query, page_arg(), current_app.config["PER_PAGE"])
    replaced = {row[0] for row in ConclusionNotice.replaced_ids().tuples()}
    template = "staff/notices/_results.html" if wants_fragment() else "staff/notices/list.html"
    return render_template(template, page=page, filters=filters, years=notice_years(), replaced=replaced,
                           NOTICE_STATUSES=NOTICE_STATUSES)


# ---------------------------------------------------------------- drafting

def _new_page(dialogue, form, opinions, code=200):
    existing = list(ConclusionNotice.select().where(ConclusionNotice.dialogue == dialogue.id)
                    .order_by(ConclusionNotice.id))
    return render_template("staff/notices/new.html", dialogue=dialogue, form=form, opinions=opinions,
                           existing=existing, errors=form.first_errors() if code != 200 else {}), code


def _held_dialogue_or_refuse():
    """The ?dialogue= of the new-notice form: 404 when unknown; None (the chooser) when not given."""
    raw = request.args.get("dialogue", "")
    if not raw:
        return None
    if parse_id(raw) is None:
        abort(404)
    return Dialogue.get_or_none(Dialogue.id == parse_id(raw)) or abort(404)


def _not_held(dialogue):
    return render_template("staff/notices/not_held.html", dialogue=dialogue), 409


@bp.get("/moi")
@roles_required(*DRAFTERS)
def new_get():
    """Draft a notice from a held dialogue, pre-filled with the opinions discussed there."""
    dialogue = _held_dialogue_or_refuse()
    if dialogue is None:
        held = list(Dialogue.select().where(Dialogue.status == "held").order_by(Dialogue.starts_at.desc()))
        return render_template("staff/notices/choose_dialogue.html", dialogues=held)
    if dialogue.status != "held":
        return _not_held(dialogue)
    opinions = dialogue_opinions(dialogue.id, g.user)
    form = NoticeForm(formdata=None, opinions=opinions, data={
        "title": draft_title(dialogue), "body_md": draft_body(dialogue, opinions),
        "recipients": "\n".join(DEFAULT_RECIPIENTS),
        "opinion_ids": [o.id for o in opinions if o.status == "answer_drafted"]})
    return _new_page(dialogue, form, opinions)


@bp.post("/moi")
@roles_required(*DRAFTERS)
def new_post():
    """Create the draft notice, and a draft conclusion for each opinion ticked."""
    dialogue = _held_dialogue_or_refuse() or abort(404)
    if dialogue.status != "held":
        return _not_held(dialogue)
    opinions = dialogue_opinions(dialogue.id, g.user)
    form = NoticeForm(opinions=opinions)
    if not form.validate():
        return _new_page(dialogue, form, opinions, 422)
    values = form.values()
    chosen = [o for o in opinions if o.id in set(form.opinion_ids.data or [])]
    with db.atomic():
        notice = ConclusionNotice.create(dialogue=dialogue.id, status="draft", doc_type=DOC_TYPE,
                                         created_by=g.user.id, **values)
        record_transition(notice, g.user, "", "draft", "Soạn dự thảo")
        audit(g.user, "create", notice, {k: (None, v) for k, v in values.items()},
              summary="Soạn thông báo kết luận: %s" % notice.title)
        for opinion in chosen:
            row = conclusion_from_opinion(opinion)
            conclusion = Conclusion.create(notice=notice.id, **row)
            ConclusionOpinion.create(conclusion=conclusion.id, opinion=opinion.id)
            changes = {k: (None, v) for k, v in row.items()}
            changes["opinions"] = ([], [opinion.id])
            audit(g.user, "create", conclusion, changes, summary="Thêm kết luận cho ý kiến %s" % opinion.code)
    flash("Đã tạo dự thảo thông báo%s." % (" với %d kết luận" % len(chosen) if chosen else ""), "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id), code=303)


# ---------------------------------------------------------------- detail

def _conclusion_rows(notice):
    rows = list(Conclusion.select(Conclusion, Unit, User, Field)
                .join_from(Conclusion, Unit, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_unit == Unit.id))
                .join_from(Conclusion, User, pw.JOIN.LEFT_OUTER, on=(Conclusion.responsible_user == User.id))
                .join_from(Conclusion, Field, pw.JOIN.LEFT_OUTER, on=(Conclusion.field == Field.id))
                .where(Conclusion.notice == notice.id).order_by(Conclusion.id))
    links = {}
    visible = {o.id for o in Opinion.visible_to(g.user, Opinion.select(Opinion.id))
               .join(ConclusionOpinion).join(Conclusion).where(Conclusion.notice == notice.id)}
    for link in (ConclusionOpinion.select(ConclusionOpinion, Opinion).join(Opinion).switch(ConclusionOpinion)
                 .join(Conclusion).where(Conclusion.notice == notice.id).order_by(Opinion.code)):
        links.setdefault(link.conclusion_id, []).append((link.opinion, link.opinion_id in visible))
    for row in rows:
        row.opinions = links.get(row.id, [])
    return rows


def detail_context(notice, **extra):
    user = g.user
    corrections = [c for c in ConclusionNotice.select().where(ConclusionNotice.supersedes == notice.id)
                   .order_by(ConclusionNotice.revision)
                   if user.reads_everything or c.status == "signed"]
    context = {
        "notice": notice, "dialogue": Dialogue.get_by_id(notice.dialogue_id),
        "conclusions": _conclusion_rows(notice), "history": list(StatusChange.for_object(notice)),
        "supersedes": ConclusionNotice.get_or_none(ConclusionNotice.id == notice.supersedes_id)
        if notice.supersedes_id else None,
        "corrections": corrections, "replaced_by": replacement(notice),
        "may_edit": user.role in DRAFTERS and notice.status == "draft",
        "may_submit": user.role in DRAFTERS and notice.status == "draft",
        "may_sign": user.role in SIGNERS and notice.status == "submitted",
        "may_correct": user.role in DRAFTERS and notice.status == "signed" and not corrections,
        "proposed_number": next_number(today().year, notice.doc_type) if notice.status == "submitted" else None,
        "sign_form": SignForm(formdata=None, data={"version": notice.version}),
        "note_form": NoteForm(formdata=None, data={"version": notice.version}),
        "errors": {}, "message": None,
    }
    context.update(extra)
    return context


def render_detail(notice, code=200, **extra):
    return render_template("staff/notices/detail.html", **detail_context(notice, **extra)), code


@bp.get("/<int:notice_id>")
@roles_required(*READERS)
def detail_get(notice_id):
    """One notice: its number and status, body, conclusions, history, revisions and the actions allowed."""
    return render_detail(get_notice(notice_id))


def _frozen(notice):
    """The refusal of an edit on a notice that is not a draft (signed notices are frozen), or None."""
    if notice.status == "draft":
        return None
    if notice.status == "signed":
        message = ("Thông báo đã ký số %s nên không sửa được. Muốn sửa, hãy tạo bản đính chính."
                   % notice.number_text)
    else:
        message = "Thông báo đang trình ký nên không sửa được; Chánh Văn phòng có thể trả lại để sửa."
    return render_detail(notice, 409, message=message)


# ---------------------------------------------------------------- edit the notice

def _edit_page(notice, form, code=200, current=None):
    fields = [("Tiêu đề", current.title), ("Nội dung", current.body_md), ("Nơi nhận", current.recipients)] \
        if current else []
    return render_template("staff/notices/edit.html", notice=notice, form=form, current=current,
                           current_fields=fields, errors=form.first_errors() if code == 422 else {}), code


@bp.get("/<int:notice_id>/sua")
@roles_required(*DRAFTERS)
def edit_get(notice_id):
    notice = get_notice(notice_id)
    refused = _frozen(notice)
    if refused:
        return refused
    form = NoticeForm(formdata=None, notice=notice, data={"title": notice.title, "body_md": notice.body_md,
                                                          "recipients": notice.recipients,
                                                          "version": notice.version})
    return _edit_page(notice, form)


@bp.post("/<int:notice_id>/sua")
@roles_required(*DRAFTERS)
def edit_post(notice_id):
    """Save title, body and recipients unless someone saved the notice since it was opened."""
    notice = get_notice(notice_id)
    refused = _frozen(notice)
    if refused:
        return refused
    form = NoticeForm(notice=notice)
    if not form.validate():
        return _edit_page(notice, form, 422)
    try:
        save_versioned(notice, form.version.data, g.user, form.values(),
                       summary="Sửa thông báo kết luận: %s" % form.title.data.strip())
    except ConflictError as error:
        current = error.current
        current.updated_by_name = AuditLog.last_editor_name(current)
        form.version.data = current.version
        return _edit_page(notice, form, 409, current=current)
    flash("Đã lưu thay đổi.", "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id), code=303)


# ---------------------------------------------------------------- conclusions

def _linkable_opinions(notice, conclusion=None):
    """The dialogue's opinions, plus any already linked to this conclusion."""
    opinions = dialogue_opinions(notice.dialogue_id, g.user)
    if conclusion is not None:
        have = {o.id for o in opinions}
        opinions += [o for o in Opinion.visible_to(g.user, Opinion.select()).join(ConclusionOpinion)
                     .where(ConclusionOpinion.conclusion == conclusion.id) if o.id not in have]
    return opinions


def _conclusion_page(notice, form, opinions, conclusion=None, code=200, current=None):
    fields = []
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
        fields = [("Nội dung kết luận", current.decision),
                  ("Đơn vị thực hiện", current.responsible_unit.name if current.responsible_unit_id else ""),
                  ("Người thực hiện", current.responsible_user.full_name if current.responsible_user_id else ""),
                  ("Thời hạn", current.deadline.strftime("%d/%m/%Y") if current.deadline else ""),
                  ("Tóm tắt công khai", current.public_summary)]
    return render_template("staff/notices/conclusion_form.html", notice=notice, form=form, opinions=opinions,
                           conclusion=conclusion, current=current, current_fields=fields,
                           errors=form.first_errors() if code == 422 else {},
                           DEADLINE_MODES=DEADLINE_MODES), code


@bp.get("/<int:notice_id>/ket-luan/moi")
@roles_required(*DRAFTERS)
def conclusion_new_get(notice_id):
    notice = get_notice(notice_id)
    refused = _frozen(notice)
    if refused:
        return refused
    opinions = _linkable_opinions(notice)
    form = ConclusionForm(formdata=None, opinions=opinions, data={"deadline_mode": "working", "deadline_days": 10})
    return _conclusion_page(notice, form, opinions)


@bp.post("/<int:notice_id>/ket-luan/moi")
@roles_required(*DRAFTERS)
def conclusion_new_post(notice_id):
    """Add a conclusion to a draft notice."""
    notice = get_notice(notice_id)
    refused = _frozen(notice)
    if refused:
        return refused
    opinions = _linkable_opinions(notice)
    form = ConclusionForm(opinions=opinions)
    if not form.validate():
        return _conclusion_page(notice, form, opinions, code=422)
    values = form.values()
    with db.atomic():
        if ConclusionNotice.get_by_id(notice.id).status != "draft":
            return _frozen(ConclusionNotice.get_by_id(notice.id))
        conclusion = Conclusion.create(notice=notice.id, **values)
        changes = {k: (None, v) for k, v in values.items()}
        changes.update(link_opinions(conclusion, form.opinion_ids.data or []))
        audit(g.user, "create", conclusion, changes, summary="Thêm kết luận vào thông báo: %s" % notice.title)
    flash("Đã thêm kết luận (thời hạn %s)." % values["deadline"].strftime("%d/%m/%Y"), "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id, _anchor="ket-luan"), code=303)


@bp.get("/<int:notice_id>/ket-luan/<int:conclusion_id>/sua")
@roles_required(*DRAFTERS)
def conclusion_edit_get(notice_id, conclusion_id):
    notice = get_notice(notice_id)
    refused = _frozen(notice)
    if refused:
        return refused
    conclusion = get_conclusion(notice, conclusion_id)
    opinions = _linkable_opinions(notice, conclusion)
    form = ConclusionForm(formdata=None, conclusion=conclusion, opinions=opinions, data={
        "decision": conclusion.decision, "unit_id": conclusion.responsible_unit_id,
        "user_id": conclusion.responsible_user_id, "deadline_mode": "date", "deadline_on": conclusion.deadline,
        "field_id": conclusion.field_id, "public_summary": conclusion.public_summary,
        "is_public": conclusion.is_public, "version": conclusion.version,
        "opinion_ids": [link.opinion_id for link in conclusion.opinion_links]})
    return _conclusion_page(notice, form, opinions, conclusion)


@bp.post("/<int:notice_id>/ket-luan/<int:conclusion_id>/sua")
@roles_required(*DRAFTERS)
def conclusion_edit_post(notice_id, conclusion_id):
    """Save a conclusion of a draft notice, with conflict detection."""
    notice = get_notice(notice_id)
    refused = _frozen(notice)
    if refused:
        return refused
    conclusion = get_conclusion(notice, conclusion_id)
    opinions = _linkable_opinions(notice, conclusion)
    form = ConclusionForm(conclusion=conclusion, opinions=opinions)
    if not form.validate():
        return _conclusion_page(notice, form, opinions, conclusion, 422)
    values = form.values()
    wanted = form.opinion_ids.data or []
    have = sorted(link.opinion_id for link in conclusion.opinion_links)
    if sorted(wanted) != have:
        values["updated_at"] = now()  # the links changed: the version grows too
    try:
        with db.atomic():
            saved = save_versioned(conclusion, form.version.data, g.user, values,
                                   summary="Sửa kết luận của thông báo: %s" % notice.title)
            links = link_opinions(saved, wanted)
            if links:
                audit(g.user, "update", saved, links, summary="Sửa ý kiến được trả lời của kết luận #%d" % saved.id)
    except ConflictError as error:
        form.version.data = error.current.version
        return _conclusion_page(notice, form, opinions, conclusion, 409, current=error.current)
    flash("Đã lưu kết luận.", "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id, _anchor="ket-luan"), code=303)


@bp.post("/<int:notice_id>/ket-luan/<int:conclusion_id>/xoa")
@roles_required(*DRAFTERS)
def conclusion_delete_post(notice_id, conclusion_id):
    """Remove a conclusion from a draft notice (only the version that was shown)."""
    notice = get_notice(notice_id)
    refused = _frozen(notice)
    if refused:
        return refused
    conclusion = get_conclusion(notice, conclusion_id)
    form = NoteForm()
    if not form.validate() or int(form.version.data) != conclusion.version:
        return render_detail(notice, 409, message="Kết luận vừa được người khác sửa; kiểm tra lại trước khi xóa.")
    with db.atomic():
        links = sorted(link.opinion_id for link in conclusion.opinion_links)
        audit(g.user, "delete", conclusion, {"decision": (conclusion.decision, None), "opinions": (links, [])},
              summary="Xóa kết luận khỏi thông báo: %s" % notice.title)
        Conclusion.delete().where(Conclusion.id == conclusion.id).execute()
    flash("Đã xóa kết luận.", "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id, _anchor="ket-luan"), code=303)


# ---------------------------------------------------------------- lifecycle

def _step(notice, target, note, action, summary):
    with db.atomic():
        saved = save_versioned(notice, request.form.get("version", 0) or 0, g.user, {"status": target},
                               action=action, summary=summary)
        record_transition(saved, g.user, notice.status, target, note)
    return saved


@bp.post("/<int:notice_id>/trinh-ky")
@roles_required(*DRAFTERS)
def submit_post(notice_id):
    """Draft → submitted (to the chief for signing)."""
    notice = get_notice(notice_id)
    form = NoteForm()
    if notice.status != "draft":
        return render_detail(notice, 409, message="Chỉ trình ký được thông báo đang là dự thảo.")
    if not form.validate():
        return render_detail(notice, 422, errors={"submit": form.first_errors().get("version", "")})
    if not Conclusion.select().where(Conclusion.notice == notice.id).exists():
        return render_detail(notice, 422, errors={"submit": "Cần ít nhất một kết luận trước khi trình ký."})
    try:
        _step(notice, "submitted", (form.note.data or "").strip(), "submit",
              "Trình ký thông báo: %s" % notice.title)
    except ConflictError as error:
        return render_detail(error.current, 409, message="Thông báo vừa được người khác cập nhật; kiểm tra lại "
                                                         "rồi trình ký lần nữa.")
    flash("Đã trình Chánh Văn phòng ký.", "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id), code=303)


@bp.post("/<int:notice_id>/tra-lai")
@roles_required(*SIGNERS)
def return_post(notice_id):
    """Submitted → draft, with the chief's reason."""
    notice = get_notice(notice_id)
    form = NoteForm()
    if notice.status != "submitted":
        return render_detail(notice, 409, message="Chỉ trả lại được thông báo đang trình ký.")
    note = (form.note.data or "").strip() if form.validate() else ""
    if not note:
        return render_detail(notice, invalid_status(),
                             errors={"return_note": "Vui lòng ghi lý do trả lại để phòng TCHCQT sửa."},
                             note_form=form)
    try:
        _step(notice, "draft", note, "return", "Trả lại dự thảo: %s" % notice.title)
    except ConflictError as error:
        return render_detail(error.current, 409, message="Thông báo vừa được người khác cập nhật; kiểm tra lại.")
    flash("Đã trả lại dự thảo cho phòng TCHCQT.", "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id), code=303)


@bp.post("/<int:notice_id>/ky")
@roles_required(*SIGNERS)
def sign_post(notice_id):
    """Sign: the next number of the series, or the number of the office's register (unique that year)."""
    notice = get_notice(notice_id)
    form = SignForm()
    if notice.status == "signed":
        return render_detail(notice, 409, message="Thông báo đã ký số %s." % notice.number_text)
    if not form.validate():
        return render_detail(notice, 422, errors=form.first_errors(), sign_form=form)
    try:
        saved = sign_notice(notice.id, g.user, form.version.data, form.manual_number)
    except ConflictError as error:
        return render_detail(error.current, 409, message="Thông báo vừa được người khác cập nhật (phiên bản %d); "
                                                         "kiểm tra lại rồi ký." % error.current.version)
    except SigningRefused as refusal:
        code = 409 if refusal.field == "status" else 422
        return render_detail(ConclusionNotice.get_by_id(notice.id), code, errors={refusal.field: refusal.message},
                             sign_form=form, message=refusal.message if refusal.field == "status" else None)
    flash("Đã ký thông báo số %s." % saved.number_text, "success")
    return redirect(url_for("notices.detail_get", notice_id=notice.id), code=303)


@bp.post("/<int:notice_id>/dinh-chinh")
@roles_required(*DRAFTERS)
def correct_post(notice_id):
    """A correction of a signed notice: a new draft revision copied from it; the signed one stays as it is."""
    notice = get_notice(notice_id)
    if notice.status != "signed":
        return render_detail(notice, 409, message="Chỉ đính chính được thông báo đã ký.")
    existing = ConclusionNotice.get_or_none(ConclusionNotice.supersedes == notice.id)
    if existing is None:
        try:
            copy = _correction_of(notice)
        except pw.IntegrityError:  # the same request twice at once: the unique index keeps one
            existing = ConclusionNotice.get(ConclusionNotice.supersedes == notice.id)
    if existing is not None:
        flash("Thông báo này đã có bản đính chính.", "info")
        return redirect(url_for("notices.detail_get", notice_id=existing.id), code=303)
    flash("Đã tạo bản đính chính (lần %d) dưới dạng dự thảo." % (copy.revision - 1), "success")
    return redirect(url_for("notices.detail_get", notice_id=copy.id), code=303)


def _correction_of(notice):
    """The new draft revision with copies of the conclusions, each pointing to the one it continues."""
    with db.atomic():
        copy = ConclusionNotice.create(
            dialogue=notice.dialogue_id, title=notice.title, body_md=notice.body_md, recipients=notice.recipients,
            status="draft", doc_type=notice.doc_type, revision=notice.revision + 1, supersedes=notice.id,
            created_by=g.user.id)
        record_transition(copy, g.user, "", "draft", "Đính chính Thông báo số %s" % notice.number_text)
        audit(g.user, "create", copy, {"supersedes": (None, notice.id), "revision": (None, copy.revision)},
              summary="Tạo bản đính chính của Thông báo số %s" % notice.number_text)
        for old in Conclusion.select().where(Conclusion.notice == notice.id).order_by(Conclusion.id):
            values = {name: getattr(old, name) for name in (
                "decision", "deadline", "public_summary", "is_public", "publish_in_progress", "status",
                "percent_done", "closed_at")}
            values.update(responsible_unit=old.responsible_unit_id, responsible_user=old.responsible_user_id,
                          field=old.field_id)
            new = Conclusion.create(notice=copy.id, copied_from=old.id, **values)
            opinion_ids = [link.opinion_id for link in old.opinion_links]
            for opinion_id in opinion_ids:
                ConclusionOpinion.create(conclusion=new.id, opinion=opinion_id)
            audit(g.user, "create", new, {"copied_from": (None, old.id), "opinions": ([], opinion_ids)},
                  summary="Chép kết luận #%d sang bản đính chính" % old.id)
    return copy


# ---------------------------------------------------------------- printable page and DOCX

def summary_line(title):
    """The trích yếu under "THÔNG BÁO": the title without its leading "Thông báo"."""
    text = re.sub(r"^\s*thông báo\s+", "", title or "", flags=re.IGNORECASE).strip()
    return text[:1].upper() + text[1:]


def conclusion_table(conclusions):
    rows = [[str(i), c.decision, c.responsible_unit.name if c.responsible_unit_id else "",
             c.deadline.strftime("%d/%m/%Y") if c.deadline else ""] for i, c in enumerate(conclusions, start=1)]
    return ("Phân công thực hiện", ["TT", "Nội dung kết luận", "Đơn vị thực hiện", "Thời hạn"], rows)


def administrative_document(notice):
    """The notice as a Decree 30 document (a draft has a blank number and is marked DỰ THẢO)."""
    conclusions = list(Conclusion.select(Conclusion, Unit).join(Unit, pw.JOIN.LEFT_OUTER)
                       .where(Conclusion.notice == notice.id).order_by(Conclusion.id))
    signed = notice.status == "signed"
    signer = User.get_or_none(User.id == notice.signed_by_id) if signed and notice.signed_by_id else None
    return documents.AdministrativeDocument(
        doc_type=notice.doc_type, type_name="THÔNG BÁO", summary=summary_line(notice.title), body_md=notice.body_md,
        number=notice.number if signed else None, year=notice.year if signed else None,
        signed_on=notice.signed_at.date() if signed and notice.signed_at else None,
        signer_name=signer.full_name if signer else "",
        recipients=[line for line in (notice.recipients or "").splitlines() if line.strip()],
        tables=[conclusion_table(conclusions)] if conclusions else [],
        province=current_app.config.get("PROVINCE_NAME", "…"), place=current_app.config.get("DOCUMENT_PLACE", "…"),
        draft=not signed)


@bp.get("/<int:notice_id>/in")
@roles_required(*READERS)
def print_get(notice_id):
    """The notice laid out like the signed document, for the browser's print command."""
    notice = get_notice(notice_id)
    doc = administrative_document(notice)
    return render_template("staff/notices/print.html", notice=notice, doc=doc,
                           number_line=documents.number_line(doc.number, doc.doc_type),
                           date_line=documents.date_line(doc.place, doc.signed_on, doc.year),
                           recipients=documents.recipient_lines(doc.recipients),
                           replaced_by=replacement(notice))


def docx_filename(notice):
    if notice.status == "signed":
        return "thong-bao-%02d-%s-VP-%d%s.docx" % (notice.number, notice.doc_type, notice.year,
                                                    "-dinh-chinh-%d" % (notice.revision - 1) if notice.revision > 1
                                                    else "")
    return "du-thao-thong-bao-%d.docx" % notice.id


@bp.get("/<int:notice_id>.docx")
@roles_required(*READERS)
def docx_get(notice_id):
    """The notice as DOCX (Decree 30 layout)."""
    notice = get_notice(notice_id)
    data = documents.render_docx(administrative_document(notice))
    response = current_app.response_class(data, mimetype=documents.DOCX_CONTENT_TYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="%s"' % docx_filename(notice)
    return response


@bp.context_processor
def _labels():
    return {"NOTICE_STATUSES": NOTICE_STATUSES}
