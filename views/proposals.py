"""Đề xuất nội dung đối thoại (Art. 8, Regulation 12-QĐi/TU): the Chairman's dialogue with the People.

An agency (Sở, ban, ngành; UBND huyện, thành phố) proposes content → TCHCQT records it and a content
department is assigned → the appraisal with Ban Dân vận Tỉnh ủy and Ủy ban MTTQ tỉnh (each body's
opinion) → the chief decides (accepted, or returned with reasons) → an accepted proposal becomes a
dialogue with its program (agenda, briefing, participants) that enters the dialogue lifecycle at
"appraised".
"""
import datetime as dt
import re

import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict
from wtforms import DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from filters import date_vn
from forms import BaseForm, IdSelectField, valid_version
from models import (
    DIALOGUE_KINDS,
    PROPOSAL_STATUSES,
    Agency,
    Appraisal,
    AuditLog,
    ConflictError,
    Dialogue,
    Plan,
    Proposal,
    StatusChange,
    Unit,
    User,
    audit,
    db,
    record_transition,
    save_versioned,
    today,
)
from views.auth import roles_required
from views.common import Page, int_arg, page_arg, wants_fragment, year_arg
from views.dialogues import DialogueForm, options, replace_links

bp = Blueprint("proposals", __name__, url_prefix="/de-xuat")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
RECORDERS = ("coordinator",)  # TCHCQT records proposals and their documents
ASSIGNERS = ("coordinator", "chief")  # who gives a proposal to a content department
DECIDERS = ("chief",)  # only the chief accepts or returns a proposal
DIALOGUE_MAKERS = ("coordinator", "chief")  # the same people who create dialogues
PROPOSING_KINDS = ("department", "district")  # Sở, ban, ngành; UBND huyện, thành phố
EDITABLE_STATUSES = ("received", "appraising")  # a decided proposal is not edited any more
DECISIONS = {"accepted": "Chấp thuận", "returned": "Trả lại (nêu lý do)"}
CHAIR = "Chủ tịch UBND tỉnh"


# ---------------------------------------------------------------- forms


def _not_future(form, field):
    if field.data and field.data > today():
        raise ValidationError("Ngày không được sau hôm nay (%s)." % date_vn(today()))


DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class ProposalForm(BaseForm):
    """A proposal as received: who proposes, what, by which document, when."""

    agency_id = IdSelectField("Cơ quan đề xuất", validators=[InputRequired("Vui lòng chọn cơ quan đề xuất.")])
    title = StringField("Tên đề xuất", validators=[
        DataRequired("Vui lòng nhập tên đề xuất."), Length(max=300, message="Tối đa 300 ký tự.")])
    content = TextAreaField("Nội dung đề xuất đối thoại", validators=[
        DataRequired("Vui lòng nhập nội dung đề xuất."), Length(max=20000, message="Tối đa 20.000 ký tự.")])
    document_ref = StringField("Văn bản đề xuất", validators=[
        DataRequired("Vui lòng nhập số, ký hiệu văn bản đề xuất."), Length(max=200, message="Tối đa 200 ký tự.")])
    received_on = DateField("Ngày tiếp nhận", format=DATE_FORMATS,
                            validators=[InputRequired("Vui lòng nhập ngày tiếp nhận."), _not_future])
    version = HiddenField()

    def __init__(self, *args, proposal=None, **kwargs):
        super().__init__(*args, **kwargs)
        if proposal is not None:  # an edit says which version it started from
            self.version.validators = [valid_version]
        keep = proposal.agency_id if proposal is not None else 0
        agencies = (Agency.select().where((Agency.kind.in_(PROPOSING_KINDS) & ~Agency.is_appraiser)
                                          | (Agency.id == keep))
                    .order_by(Agency.kind, Agency.name))
        self.agency_ids = {a.id for a in agencies}
        self.agency_id.choices = options([("", "— Chọn cơ quan —")] + [(a.id, a.name) for a in agencies])

    def validate_agency_id(self, field):
        if field.data not in self.agency_ids:
            raise ValidationError("Cơ quan đề xuất không hợp lệ (chỉ Sở, ban, ngành; UBND huyện, thành phố).")

    def fill(self, proposal):
        self.agency_id.data = proposal.agency_id
        for name in ("title", "content", "document_ref", "received_on", "version"):
            getattr(self, name).data = getattr(proposal, name)

    def values(self):
        return {"agency": self.agency_id.data, "title": self.title.data.strip(),
                "content": self.content.data.strip(), "document_ref": self.document_ref.data.strip(),
                "received_on": self.received_on.data}


class AssignForm(BaseForm):
    """The content department (phòng, ban khối nội dung) that advises on the proposal."""

    content_unit = IdSelectField("Phòng, ban khối nội dung chủ trì tham mưu",
                                 validators=[InputRequired("Vui lòng chọn phòng, ban chủ trì.")])
    version = HiddenField(validators=[valid_version])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        units = list(Unit.select().where(Unit.kind == "content", Unit.active).order_by(Unit.name))
        self.unit_ids = {u.id for u in units}
        self.content_unit.choices = options([("", "— Chọn phòng, ban —")] + [(u.id, u.name) for u in units])

    def validate_content_unit(self, field):
        if field.data not in self.unit_ids:
            raise ValidationError("Chỉ giao cho phòng, ban khối nội dung đang hoạt động.")


class StartForm(BaseForm):
    version = HiddenField(validators=[valid_version])


class AppraisalForm(BaseForm):
    """One appraising body's opinion (Ban Dân vận Tỉnh ủy, Ủy ban MTTQ Việt Nam tỉnh)."""

    body = IdSelectField("Cơ quan thẩm định", validators=[InputRequired("Vui lòng chọn cơ quan thẩm định.")])
    agrees = RadioField("Kết quả", choices=options({"yes": "Thống nhất", "no": "Không thống nhất"}),
                        validators=[InputRequired("Vui lòng chọn thống nhất hay không thống nhất.")],
                        validate_choice=True)
    opinion = TextAreaField("Ý kiến thẩm định", validators=[
        DataRequired("Vui lòng nhập ý kiến thẩm định."), Length(max=5000, message="Tối đa 5.000 ký tự.")])
    at = DateField("Ngày có ý kiến", format=DATE_FORMATS,
                   validators=[InputRequired("Vui lòng nhập ngày có ý kiến."), _not_future])

    def __init__(self, *args, proposal=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        bodies = list(Agency.select().where(Agency.is_appraiser).order_by(Agency.name))
        self.body_ids = {b.id for b in bodies}
        self.body.choices = options([("", "— Chọn cơ quan —")] + [(b.id, b.name) for b in bodies])

    def validate_body(self, field):
        if field.data not in self.body_ids:
            raise ValidationError("Cơ quan thẩm định không hợp lệ.")
        if self.proposal is not None and Appraisal.select().where(
                Appraisal.proposal == self.proposal.id, Appraisal.body == field.data).exists():
            raise ValidationError("Cơ quan này đã có ý kiến thẩm định cho đề xuất.")

    def validate_at(self, field):
        if self.proposal is not None and field.data and field.data < self.proposal.received_on:
            raise ValidationError("Ngày có ý kiến không được trước ngày tiếp nhận đề xuất (%s)."
                                  % date_vn(self.proposal.received_on))


class DecisionForm(BaseForm):
    """The chief's decision after the appraisal."""

    decision = RadioField("Quyết định", choices=options(DECISIONS), validate_choice=True,
                          validators=[InputRequired("Vui lòng chọn chấp thuận hoặc trả lại.")])
    decision_note = TextAreaField("Ý kiến, lý do", validators=[Length(max=5000, message="Tối đa 5.000 ký tự.")])
    version = HiddenField(validators=[valid_version])

    def validate_decision_note(self, field):
        if self.decision.data == "returned" and not (field.data or "").strip():
            raise ValidationError("Trả lại đề xuất phải nêu rõ lý do.")


class ProposalDialogueForm(DialogueForm):
    """A dialogue of the Chairman with the People, from an accepted proposal, with its program."""

    agenda = TextAreaField("Chương trình (các nội dung, theo thứ tự)", validators=[
        DataRequired("Vui lòng nhập chương trình đối thoại."), Length(max=20000, message="Tối đa 20.000 ký tự.")])
    briefing = TextAreaField("Nội dung chuẩn bị đối thoại (tài liệu phục vụ Chủ tịch UBND tỉnh)", validators=[
        DataRequired("Vui lòng nhập nội dung chuẩn bị đối thoại."),
        Length(max=50000, message="Tối đa 50.000 ký tự.")])
    proposal_version = HiddenField(validators=[valid_version])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # One content or field, at the People's request: never a periodic (conference) dialogue.
        self.kind.choices = options((k, v) for k, v in DIALOGUE_KINDS.items() if k != "periodic")


# ---------------------------------------------------------------- helpers

def get_proposal(proposal_id):
    """The proposal if the user may see it; 404 otherwise (never reveal that it exists)."""
    return Proposal.visible_to(g.user).where(Proposal.id == proposal_id).first() or abort(404)


def may_appraise(user, proposal):
    """The coordinator, the chief, and the staff of the content department in charge."""
    if user.role in ("coordinator", "chief"):
        return True
    return user.is_content_staff and proposal.content_unit_id is not None and user.unit_id == proposal.content_unit_id


def appraisers():
    return list(Agency.select().where(Agency.is_appraiser).order_by(Agency.name))


def missing_appraisals(proposal):
    """The appraising bodies that have not yet given their opinion on the proposal."""
    given = {a.body_id for a in Appraisal.select(Appraisal.body).where(Appraisal.proposal == proposal.id)}
    return [body for body in appraisers() if body.id not in given]


def decision_refusal(proposal):
    """Why the chief may not decide now, or None."""
    if proposal.status in ("accepted", "returned"):
        return "Đề xuất đã có quyết định (%s)." % PROPOSAL_STATUSES[proposal.status].lower()
    if proposal.status != "appraising":
        return "Chưa thể quyết định: đề xuất chưa được đưa ra thẩm định."
    if not appraisers():
        return "Chưa khai báo cơ quan thẩm định (Ban Dân vận Tỉnh ủy, Ủy ban MTTQ Việt Nam tỉnh)."
    missing = missing_appraisals(proposal)
    if missing:
        return "Chưa thể quyết định: còn chờ ý kiến thẩm định của %s." % ", ".join(b.name for b in missing)
    return None


def field_errors(form):
    """{input id: first message}; the ids carry the form's prefix (several forms share a page)."""
    return {form[name].id: message for name, message in form.first_errors().items()} if form else {}


def timeline(proposal):
    """Dated events: status changes, content department assignments, appraisals, the dialogue made."""
    events = []
    for change in StatusChange.for_object(proposal):
        label = PROPOSAL_STATUSES.get(change.to_status, change.to_status)
        events.append({"at": change.at, "timed": True, "label": label, "note": change.note,
                       "who": change.user.full_name if change.user_id else ""})
    for row in (AuditLog.select(AuditLog, User).join(User, pw.JOIN.LEFT_OUTER)
                .where(AuditLog.object_type == Proposal._meta.table_name, AuditLog.object_id == proposal.id,
                       AuditLog.action.in_(("assign", "dialogue")))):
        events.append({"at": row.at, "timed": True, "label": row.summary, "note": "",
                       "who": row.user.full_name if row.user_id else ""})
    for appraisal in proposal_appraisals(proposal):
        events.append({"at": dt.datetime.combine(appraisal.at, dt.time()), "timed": False,
                       "label": "Ý kiến thẩm định của %s: %s" % (
                           appraisal.body.name, "thống nhất" if appraisal.agrees else "không thống nhất"),
                       "note": "", "who": ""})
    return sorted(events, key=lambda e: e["at"])


def proposal_appraisals(proposal):
    return list(Appraisal.select(Appraisal, Agency).join(Agency)
                .where(Appraisal.proposal == proposal.id).order_by(Appraisal.at, Appraisal.id))


def conflict_fields(current):
    current.updated_by_name = AuditLog.last_editor_name(current)
    return [("Cơ quan đề xuất", current.agency.name), ("Tên đề xuất", current.title),
            ("Văn bản đề xuất", current.document_ref), ("Ngày tiếp nhận", date_vn(current.received_on)),
            ("Nội dung", current.content),
            ("Phòng, ban chủ trì", current.content_unit.name if current.content_unit_id else ""),
            ("Trạng thái", PROPOSAL_STATUSES.get(current.status, current.status))]


def detail_page(proposal, code=200, assign_form=None, start_form=None, appraisal_form=None,
                decision_form=None, message=None, current=None):
    """The detail page; forms given carry what the user typed and their errors."""
    errors = {}
    for form in (assign_form, start_form, appraisal_form, decision_form):
        errors.update(field_errors(form))
    if assign_form is None:
        assign_form = AssignForm(formdata=None, prefix="unit-", data={"content_unit": proposal.content_unit_id})
    if appraisal_form is None:
        appraisal_form = AppraisalForm(formdata=None, prefix="appr-", data={"at": today()})
    if decision_form is None:
        decision_form = DecisionForm(formdata=None, prefix="dec-")
    appraisals = proposal_appraisals(proposal)
    given = {a.body_id for a in appraisals}
    dialogue = Dialogue.get_or_none(Dialogue.id == proposal.dialogue_id) if proposal.dialogue_id else None
    user = g.user
    return render_template(
        "staff/proposals/detail.html", proposal=proposal, appraisals=appraisals, events=timeline(proposal),
        dialogue=dialogue, errors=errors, message=message, current=current,
        current_fields=conflict_fields(current) if current is not None else [],
        assign_form=assign_form, appraisal_form=appraisal_form, decision_form=decision_form,
        pending_bodies=[b for b in appraisers() if b.id not in given],
        refusal=decision_refusal(proposal),
        can_edit=user.role in RECORDERS and proposal.status in EDITABLE_STATUSES,
        can_assign=user.role in ASSIGNERS and proposal.status in EDITABLE_STATUSES,
        can_appraise=may_appraise(user, proposal),
        can_decide=user.role in DECIDERS,
        can_make_dialogue=(user.role in DIALOGUE_MAKERS and proposal.status == "accepted"
                           and proposal.dialogue_id is None)), code


def _stale(proposal, form):
    """True when the page the form came from showed an older version of the proposal."""
    return str(form.version.data) != str(proposal.version)


STALE = ("Đề xuất vừa được {who} cập nhật sau khi bạn mở trang (trạng thái hiện tại: {status}). "
         "Thao tác của bạn chưa được thực hiện; kiểm tra lại rồi thực hiện lần nữa.")


def stale_message(current):
    return STALE.format(who=AuditLog.last_editor_name(current) or "người khác",
                        status=PROPOSAL_STATUSES.get(current.status, current.status).lower())


# ---------------------------------------------------------------- list and detail

def list_filters():
    args = request.args
    return {
        "status": args.get("status") if args.get("status") in PROPOSAL_STATUSES else "",
        "agency": int_arg("agency"),
        "year": year_arg(),
    }


def proposal_years():
    first, last = Proposal.select(pw.fn.MIN(Proposal.received_on), pw.fn.MAX(Proposal.received_on)).scalar(
        as_tuple=True)
    if not first:
        return []
    first, last = (v.year if hasattr(v, "year") else int(str(v)[:4]) for v in (first, last))
    return list(range(last, first - 1, -1))


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Proposals, newest received first, filtered by status, agency and year."""
    filters = list_filters()
    count = (Appraisal.select(pw.fn.COUNT(Appraisal.id)).where(Appraisal.proposal == Proposal.id))
    query = (Proposal.visible_to(g.user, Proposal.select(Proposal, Agency, Unit)).join(Agency)
             .switch(Proposal).join(Unit, pw.JOIN.LEFT_OUTER)
             .select_extend(count.alias("appraisal_count")))
    if filters["status"]:
        query = query.where(Proposal.status == filters["status"])
    if filters["agency"]:
        query = query.where(Proposal.agency == filters["agency"])
    if filters["year"]:
        query = query.where(Proposal.received_on >= dt.date(filters["year"], 1, 1),
                            Proposal.received_on < dt.date(filters["year"] + 1, 1, 1))
    query = query.order_by(Proposal.received_on.desc(), Proposal.id.desc())
    page = Page(query, page_arg(), current_app.config["PER_PAGE"])
    agencies = (Agency.select().where(Agency.kind.in_(PROPOSING_KINDS) | Agency.id.in_(
        Proposal.select(Proposal.agency))).where(~Agency.is_appraiser).order_by(Agency.name))
    template = "staff/proposals/_results.html" if wants_fragment() else "staff/proposals/list.html"
    return render_template(template, page=page, filters=filters, years=proposal_years(), agencies=agencies,
                           appraiser_count=len(appraisers()), may_record=g.user.role in RECORDERS)


@bp.get("/<int:proposal_id>")
@roles_required(*READERS)
def detail_get(proposal_id):
    """One proposal: its facts, the appraisal, the decision, its dated timeline and the dialogue made."""
    return detail_page(get_proposal(proposal_id))


# ---------------------------------------------------------------- record and edit

def form_page(form, proposal=None, code=200, current=None):
    return render_template("staff/proposals/form.html", form=form, proposal=proposal,
                           errors=form.first_errors() if code == 422 else {}, current=current,
                           current_fields=conflict_fields(current) if current is not None else []), code


@bp.get("/moi")
@roles_required(*RECORDERS)
def new_get():
    form = ProposalForm(formdata=None, data={"received_on": today()})
    return form_page(form)


@bp.post("/moi")
@roles_required(*RECORDERS)
def new_post():
    """Record a proposal as received; its history starts at "Đã tiếp nhận"."""
    form = ProposalForm()
    if not form.validate():
        return form_page(form, code=422)
    values = form.values()
    with db.atomic():
        proposal = Proposal.create(status="received", **values)
        record_transition(proposal, g.user, "", "received", values["document_ref"])
        audit(g.user, "create", proposal, {k: (None, v) for k, v in values.items()},
              summary="Tiếp nhận đề xuất: %s" % proposal.title)
    flash("Đã ghi nhận đề xuất “%s”." % proposal.title, "success")
    return redirect(url_for("proposals.detail_get", proposal_id=proposal.id), code=303)


def _editable_or_409(proposal):
    if proposal.status not in EDITABLE_STATUSES:
        return detail_page(proposal, 409, message="Đề xuất đã có quyết định (%s); không sửa được nữa."
                           % PROPOSAL_STATUSES[proposal.status].lower())
    return None


@bp.get("/<int:proposal_id>/sua")
@roles_required(*RECORDERS)
def edit_get(proposal_id):
    proposal = get_proposal(proposal_id)
    refused = _editable_or_409(proposal)
    if refused:
        return refused
    form = ProposalForm(formdata=None, proposal=proposal)
    form.fill(proposal)
    return form_page(form, proposal)


@bp.post("/<int:proposal_id>/sua")
@roles_required(*RECORDERS)
def edit_post(proposal_id):
    """Save an edit unless someone saved the proposal since it was opened (409 with their values)."""
    proposal = get_proposal(proposal_id)
    refused = _editable_or_409(proposal)
    if refused:
        return refused
    form = ProposalForm(proposal=proposal)
    if not form.validate():
        return form_page(form, proposal, 422)
    try:
        save_versioned(proposal, form.version.data, g.user, form.values(),
                       summary="Sửa đề xuất: %s" % form.title.data.strip())
    except ConflictError as error:
        form.version.data = error.current.version  # saving again now overwrites knowingly
        return form_page(form, proposal, 409, current=error.current)
    flash("Đã lưu thay đổi.", "success")
    return redirect(url_for("proposals.detail_get", proposal_id=proposal.id), code=303)


# ---------------------------------------------------------------- content department

@bp.post("/<int:proposal_id>/don-vi")
@roles_required(*ASSIGNERS)
def assign_post(proposal_id):
    """Give the proposal to a content department, which advises and prepares the appraisal."""
    proposal = get_proposal(proposal_id)
    form = AssignForm(prefix="unit-")
    if proposal.status not in EDITABLE_STATUSES:
        return detail_page(proposal, 409, message="Đề xuất đã có quyết định; không đổi phòng, ban chủ trì được.")
    if not form.validate():
        return detail_page(proposal, 422, assign_form=form)
    unit = Unit.get_by_id(form.content_unit.data)
    try:
        save_versioned(proposal, form.version.data, g.user, {"content_unit": unit.id}, action="assign",
                       summary="Giao %s chủ trì tham mưu" % unit.name)
    except ConflictError as error:
        return detail_page(error.current, 409, message=stale_message(error.current))
    flash("Đã giao %s chủ trì tham mưu." % unit.name, "success")
    return redirect(url_for("proposals.detail_get", proposal_id=proposal.id, _anchor="don-vi"), code=303)


# ---------------------------------------------------------------- appraisal and decision

@bp.post("/<int:proposal_id>/tham-dinh")
@roles_required(*READERS)
def start_post(proposal_id):
    """received → appraising: the content department starts the appraisal with the appraising bodies."""
    proposal = get_proposal(proposal_id)
    if not may_appraise(g.user, proposal):
        abort(403)
    form = StartForm(prefix="start-")
    if not form.validate():
        return detail_page(proposal, 422, start_form=form)
    if proposal.status != "received":
        return detail_page(proposal, 409, message="Đề xuất không ở trạng thái “Đã tiếp nhận”.")
    if not proposal.content_unit_id:
        return detail_page(proposal, 409, message="Cần giao phòng, ban khối nội dung chủ trì trước khi thẩm định.")
    try:
        with db.atomic():
            saved = save_versioned(proposal, form.version.data, g.user, {"status": "appraising"},
                                   action="transition", summary="Đưa ra thẩm định: %s" % proposal.title)
            record_transition(saved, g.user, "received", "appraising",
                              "Thẩm định với " + ", ".join(b.name for b in appraisers()))
    except ConflictError as error:
        return detail_page(error.current, 409, message=stale_message(error.current))
    flash("Đã đưa đề xuất ra thẩm định.", "success")
    return redirect(url_for("proposals.detail_get", proposal_id=proposal.id, _anchor="tham-dinh"), code=303)


@bp.post("/<int:proposal_id>/y-kien-tham-dinh")
@roles_required(*READERS)
def appraisal_post(proposal_id):
    """Record one appraising body's opinion (agrees or not, and when)."""
    proposal = get_proposal(proposal_id)
    if not may_appraise(g.user, proposal):
        abort(403)
    form = AppraisalForm(prefix="appr-", proposal=proposal)
    if proposal.status != "appraising":
        return detail_page(proposal, 409, appraisal_form=form,
                           message="Chỉ ghi ý kiến thẩm định khi đề xuất đang thẩm định.")
    if not form.validate():
        return detail_page(proposal, 422, appraisal_form=form)
    body = Agency.get_by_id(form.body.data)
    agrees = form.agrees.data == "yes"
    try:
        with db.atomic():
            appraisal = Appraisal.create(proposal=proposal.id, body=body.id, opinion=form.opinion.data.strip(),
                                         agrees=agrees, at=form.at.data)
            audit(g.user, "create", appraisal,
                  {"proposal": (None, proposal.id), "body": (None, body.id), "agrees": (None, agrees),
                   "opinion": (None, appraisal.opinion), "at": (None, appraisal.at)},
                  summary="Ý kiến thẩm định của %s: %s" % (body.name, proposal.title))
    except pw.IntegrityError:  # the same body recorded twice at once: the unique index keeps one
        form.body.errors = ["Cơ quan này đã có ý kiến thẩm định cho đề xuất."]
        return detail_page(proposal, 409, appraisal_form=form,
                           message="%s đã có ý kiến thẩm định cho đề xuất; ý kiến vừa gửi không được ghi." % body.name)
    flash("Đã ghi ý kiến thẩm định của %s." % body.name, "success")
    return redirect(url_for("proposals.detail_get", proposal_id=proposal.id, _anchor="tham-dinh"), code=303)


@bp.post("/<int:proposal_id>/quyet-dinh")
@roles_required(*DECIDERS)
def decision_post(proposal_id):
    """The chief accepts the proposal or returns it with reasons, once every appraising body has spoken."""
    proposal = get_proposal(proposal_id)
    form = DecisionForm(prefix="dec-")
    if not form.validate():
        return detail_page(proposal, 422, decision_form=form)
    reason = decision_refusal(proposal)
    if reason:
        return detail_page(proposal, 409, decision_form=form, message=reason)
    target, note = form.decision.data, (form.decision_note.data or "").strip()
    try:
        with db.atomic():
            saved = save_versioned(proposal, form.version.data, g.user, {"status": target, "decision_note": note},
                                   action="transition",
                                   summary="%s đề xuất: %s" % ("Chấp thuận" if target == "accepted" else "Trả lại",
                                                               proposal.title))
            record_transition(saved, g.user, "appraising", target, note)
    except ConflictError as error:
        return detail_page(error.current, 409, decision_form=form, message=stale_message(error.current))
    flash("Đã %s đề xuất." % ("chấp thuận" if target == "accepted" else "trả lại"), "success")
    return redirect(url_for("proposals.detail_get", proposal_id=proposal.id, _anchor="quyet-dinh"), code=303)


# ---------------------------------------------------------------- the dialogue and its program

def dialogue_title(proposal):
    """"Đề xuất đối thoại về X" → "Đối thoại của Chủ tịch UBND tỉnh với Nhân dân về X"."""
    match = re.search(r"\bvề\s+(.+)$", proposal.title)
    if match:
        return ("Đối thoại của Chủ tịch UBND tỉnh với Nhân dân về " + match.group(1))[:300]
    return proposal.title


def default_program(proposal, appraisals):
    bodies = ", ".join(a.body.name for a in appraisals) or "các cơ quan thẩm định"
    agenda = "\n".join([
        "1. Tuyên bố lý do, giới thiệu đại biểu.",
        "2. Đại diện %s báo cáo nội dung đề xuất đối thoại." % proposal.agency.name,
        "3. Đại diện %s phát biểu." % bodies,
        "4. Nhân dân nêu ý kiến, kiến nghị; đại diện các sở, ngành, địa phương trả lời theo thẩm quyền.",
        "5. Chủ tịch UBND tỉnh phát biểu, kết luận.",
    ])
    lines = ["**Đề xuất:** %s (%s, tiếp nhận ngày %s)." % (proposal.title, proposal.document_ref,
                                                         date_vn(proposal.received_on)),
             "", proposal.content, "", "**Ý kiến thẩm định:**", ""]
    for a in appraisals:
        lines.append("- %s (%s, ngày %s): %s" % (a.body.name, "thống nhất" if a.agrees else "không thống nhất",
                                                 date_vn(a.at), a.opinion))
    if proposal.decision_note:
        lines += ["", "**Ý kiến của Chánh Văn phòng:** %s" % proposal.decision_note]
    description = ("Chủ tịch UBND tỉnh đối thoại với Nhân dân theo Điều 8 Quy định số 12-QĐi/TU, trên cơ sở đề "
                   "xuất của %s (%s) đã được thẩm định với %s." % (proposal.agency.name, proposal.document_ref,
                                                                    bodies))
    return agenda, "\n".join(lines), description


def dialogue_form_data():
    """What was posted, with the facts of a Chairman's dialogue fixed (not typed)."""
    data = MultiDict(request.form)
    data.setlist("audience", ["citizens"])
    data.setlist("is_chairman", ["y"])
    data.setlist("occasion", [""])
    return data


def dialogue_page(proposal, form, code=200, message=None):
    return render_template("staff/proposals/dialogue_form.html", proposal=proposal, form=form,
                           errors=form.first_errors() if code == 422 else {}, message=message), code


def _dialogue_refusal(proposal):
    if proposal.dialogue_id:
        return "Đề xuất này đã có buổi đối thoại."
    if proposal.status != "accepted":
        return "Chỉ đề xuất được chấp thuận mới tạo được buổi đối thoại."
    return None


@bp.get("/<int:proposal_id>/doi-thoai")
@roles_required(*DIALOGUE_MAKERS)
def dialogue_get(proposal_id):
    """The dialogue form, pre-filled from the proposal and its appraisal."""
    proposal = get_proposal(proposal_id)
    reason = _dialogue_refusal(proposal)
    if reason:
        flash(reason, "error")
        return redirect(url_for("proposals.detail_get", proposal_id=proposal.id), code=303)
    agenda, briefing, description = default_program(proposal, proposal_appraisals(proposal))
    plan = Plan.get_or_none(Plan.year == today().year)
    staff = [u.id for u in User.select(User.id).where(User.active, User.unit == proposal.content_unit_id,
                                                      User.role.in_(("unit_head", "specialist")))]
    if g.user.role == "coordinator":
        staff.append(g.user.id)
    form = ProposalDialogueForm(formdata=None, data={
        "title": dialogue_title(proposal), "kind": "ad_hoc", "audience": "citizens", "occasion": "",
        "is_chairman": True, "plan_id": plan.id if plan else None, "chair": CHAIR, "description": description,
        "agenda": agenda, "briefing": briefing, "attendee_ids": staff, "proposal_version": proposal.version})
    return dialogue_page(proposal, form)


def _first_change(proposal, status):
    return (StatusChange.select().where(StatusChange.object_type == Proposal._meta.table_name,
                                        StatusChange.object_id == proposal.id, StatusChange.to_status == status)
            .order_by(StatusChange.at, StatusChange.id).first())


@bp.post("/<int:proposal_id>/doi-thoai")
@roles_required(*DIALOGUE_MAKERS)
def dialogue_post(proposal_id):
    """Create the dialogue with its program; it enters the lifecycle at "Đã thẩm định"."""
    proposal = get_proposal(proposal_id)
    form = ProposalDialogueForm(formdata=dialogue_form_data())
    reason = _dialogue_refusal(proposal)
    if reason:
        return dialogue_page(proposal, form, 409, message=reason)
    if not form.validate():
        return dialogue_page(proposal, form, 422)
    values = form.values()
    values.update(agenda=form.agenda.data.strip(), briefing=form.briefing.data.strip())
    received, accepted = _first_change(proposal, "received"), _first_change(proposal, "accepted")
    try:
        with db.atomic():
            dialogue = Dialogue.create(slug=Dialogue.unique_slug(values["title"], values["starts_at"]),
                                       status="appraised", created_by=g.user.id, **values)
            links = replace_links(dialogue, form.field_ids.data or [], form.attendee_ids.data or [])
            # Its lifecycle so far is the proposal's: proposed when received, appraised when accepted.
            record_transition(dialogue, received.user if received else g.user, "", "proposed",
                              "Đề xuất của %s (%s)" % (proposal.agency.name, proposal.document_ref),
                              at=received.at if received else None)
            record_transition(dialogue, accepted.user if accepted else g.user, "proposed", "appraised",
                              "Đề xuất được chấp thuận sau thẩm định với %s."
                              % ", ".join(a.body.name for a in proposal_appraisals(proposal)),
                              at=accepted.at if accepted else None)
            changes = {k: (None, v) for k, v in values.items()}
            changes.update({k: (None, new) for k, (old, new) in links.items()})
            changes.update(slug=(None, dialogue.slug), status=(None, "appraised"), proposal=(None, proposal.id))
            audit(g.user, "create", dialogue, changes,
                  summary="Tạo buổi đối thoại từ đề xuất: %s" % dialogue.title)
            save_versioned(proposal, form.proposal_version.data, g.user, {"dialogue": dialogue.id},
                           action="dialogue", summary="Tạo buổi đối thoại: %s" % dialogue.title)
    except ConflictError as error:
        current = error.current
        form.proposal_version.data = current.version
        reason = _dialogue_refusal(current)
        return dialogue_page(current, form, 409, message=reason or stale_message(current))
    flash("Đã tạo buổi đối thoại “%s” từ đề xuất." % dialogue.title, "success")
    return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id), code=303)


class ProgramForm(BaseForm):
    """The program of the dialogue made from a proposal, edited while it is prepared."""

    agenda = ProposalDialogueForm.agenda
    briefing = ProposalDialogueForm.briefing
    version = HiddenField(validators=[valid_version])


def program_page(proposal, dialogue, form, code=200, current=None):
    fields = []
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
        fields = [("Chương trình", current.agenda), ("Nội dung chuẩn bị đối thoại", current.briefing)]
    return render_template("staff/proposals/program_form.html", proposal=proposal, dialogue=dialogue, form=form,
                           errors=form.first_errors() if code == 422 else {}, current=current,
                           current_fields=fields), code


def _program_dialogue(proposal):
    if not proposal.dialogue_id:
        abort(404)
    return Dialogue.get_by_id(proposal.dialogue_id)


@bp.get("/<int:proposal_id>/chuong-trinh")
@roles_required(*DIALOGUE_MAKERS)
def program_get(proposal_id):
    """Edit the agenda and briefing of the dialogue made from this proposal."""
    proposal = get_proposal(proposal_id)
    dialogue = _program_dialogue(proposal)
    form = ProgramForm(formdata=None, data={"agenda": dialogue.agenda, "briefing": dialogue.briefing,
                                            "version": dialogue.version})
    return program_page(proposal, dialogue, form)


@bp.post("/<int:proposal_id>/chuong-trinh")
@roles_required(*DIALOGUE_MAKERS)
def program_post(proposal_id):
    """Save the program unless someone saved the dialogue since it was opened (409 with their values)."""
    proposal = get_proposal(proposal_id)
    dialogue = _program_dialogue(proposal)
    form = ProgramForm()
    if not form.validate():
        return program_page(proposal, dialogue, form, 422)
    try:
        save_versioned(dialogue, form.version.data, g.user,
                       {"agenda": form.agenda.data.strip(), "briefing": form.briefing.data.strip()},
                       action="program", summary="Sửa chương trình đối thoại: %s" % dialogue.title)
    except ConflictError as error:
        form.version.data = error.current.version  # saving again now overwrites knowingly
        return program_page(proposal, dialogue, form, 409, current=error.current)
    flash("Đã lưu chương trình đối thoại.", "success")
    return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id), code=303)


@bp.app_template_global()
def proposal_of(dialogue):
    """The proposal a dialogue was made from, if the signed-in user may see it (dialogue detail page)."""
    if dialogue is None or not getattr(dialogue, "is_chairman", False) or g.get("user") is None:
        return None
    return Proposal.visible_to(g.user).where(Proposal.dialogue == dialogue.id).first()


@bp.context_processor
def _labels():
    return {"PROPOSAL_STATUSES": PROPOSAL_STATUSES, "DECISIONS": DECISIONS}
