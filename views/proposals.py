"""Đề xuất nội dung đối thoại (Art. 8, Regulation 12-QĐi/TU): the Chairman's dialogue with the People.

An agency (Sở, ban, ngành; UBND huyện, thành phố) proposes content → TCHCQT records it and a content
department is assigned → the appraisal with Ban Dân vận Tỉnh ủy and Ủy ban MTTQ tỉnh (each body's
opinion) → the chief decides (accepted, or returned with reasons) → an accepted proposal becomes a
dialogue with its program (agenda, briefing, participants) that enters the dialogue lifecycle at
"appraised". The steps themselves are in services/proposals.py.
"""
import functools

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.proposals import (
    DECISIONS,
    AppraisalForm,
    AssignForm,
    DecisionForm,
    ProgramForm,
    ProposalDialogueForm,
    ProposalForm,
    StartForm,
    chairman_dialogue_data,
    conflict_fields,
    program_conflict_fields,
)
from models import PROPOSAL_STATUSES, Agency, AuditLog, Dialogue, Proposal, TransitionError, Unit, today
from services import proposals as proposal_service
from views.auth import roles_required
from views.common import Page, edit_with_conflict, get_or_404, int_arg, page_arg, wants_fragment, year_arg

bp = Blueprint("proposals", __name__, url_prefix="/de-xuat")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
RECORDERS = ("coordinator",)  # TCHCQT records proposals and their documents
ASSIGNERS = ("coordinator", "chief")  # who gives a proposal to a content department
DECIDERS = ("chief",)  # only the chief accepts or returns a proposal
DIALOGUE_MAKERS = ("coordinator", "chief")  # the same people who create dialogues
EDITABLE_STATUSES = ("received", "appraising")  # a decided proposal is not edited any more

STALE = ("Đề xuất vừa được {who} cập nhật sau khi bạn mở trang (trạng thái hiện tại: {status}). "
         "Thao tác của bạn chưa được thực hiện; kiểm tra lại rồi thực hiện lần nữa.")


# ---------------------------------------------------------------- helpers

def get_proposal(proposal_id):
    """The proposal if the user may see it; 404 otherwise (never reveal that it exists)."""
    return get_or_404(Proposal.visible_to(g.user).where(Proposal.id == proposal_id))


def field_errors(form):
    """{input id: first message}; the ids carry the form's prefix (several forms share a page)."""
    return {form[name].id: message for name, message in form.first_errors().items()} if form else {}


def stale_message(current):
    return STALE.format(who=AuditLog.last_editor_name(current) or "người khác",
                        status=PROPOSAL_STATUSES.get(current.status, current.status).lower())


def detail_page(proposal, assign_form=None, start_form=None, appraisal_form=None, decision_form=None,
                message=None):
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
    appraisals = proposal.appraisal_rows()
    given = {a.body_id for a in appraisals}
    dialogue = Dialogue.get_or_none(Dialogue.id == proposal.dialogue_id) if proposal.dialogue_id else None
    user = g.user
    return render_template(
        "staff/proposals/detail.html", proposal=proposal, appraisals=appraisals,
        events=proposal_service.timeline(proposal), dialogue=dialogue, errors=errors, message=message,
        current=None, current_fields=[],  # a step refused by a newer version says so in `message`
        assign_form=assign_form, appraisal_form=appraisal_form, decision_form=decision_form,
        pending_bodies=[b for b in Agency.appraisers() if b.id not in given],
        refusal=proposal_service.decision_refusal(proposal),
        can_edit=user.role in RECORDERS and proposal.status in EDITABLE_STATUSES,
        can_assign=user.role in ASSIGNERS and proposal.status in EDITABLE_STATUSES,
        can_appraise=proposal.may_appraise(user),
        can_decide=user.role in DECIDERS,
        can_make_dialogue=(user.role in DIALOGUE_MAKERS and proposal.status == "accepted"
                           and proposal.dialogue_id is None))


def panel_render(proposal, slot, keep_form=False):
    """How a step posted from the detail page is shown again: its form (`slot`) with errors, or, when
    someone changed the proposal meanwhile, the page as it is now with the reason (and the form if `keep_form`)."""
    def render(form, errors=None, current=None):
        if current is not None:
            return detail_page(current, message=stale_message(current), **({slot: form} if keep_form else {}))
        return detail_page(proposal, **{slot: form})
    return render


def to_detail(message, anchor=None):
    def done(saved):
        return message, url_for("proposals.detail_get", proposal_id=saved.id, _anchor=anchor)
    return done


# ---------------------------------------------------------------- list and detail

def list_filters():
    args = request.args
    return {
        "status": args.get("status") if args.get("status") in PROPOSAL_STATUSES else "",
        "agency": int_arg("agency"),
        "year": year_arg(),
    }


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Proposals, newest received first, filtered by status, agency and year."""
    filters = list_filters()
    query = Proposal.filtered(**filters, query=Proposal.listed(g.user))
    page = Page(query.order_by(Proposal.received_on.desc(), Proposal.id.desc()), page_arg(),
                current_app.config["PER_PAGE"])
    template = "staff/proposals/_results.html" if wants_fragment() else "staff/proposals/list.html"
    return render_template(template, page=page, filters=filters, years=Proposal.years(),
                           agencies=Agency.proposing_or_proposed(), appraiser_count=len(Agency.appraisers()),
                           may_record=g.user.role in RECORDERS)


@bp.get("/<int:proposal_id>")
@roles_required(*READERS)
def detail_get(proposal_id):
    """One proposal: its facts, the appraisal, the decision, its dated timeline and the dialogue made."""
    return detail_page(get_proposal(proposal_id))


# ---------------------------------------------------------------- record and edit

def form_page(form, proposal=None, errors=None, current=None):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/proposals/form.html", form=form, proposal=proposal, errors=errors or {},
                           current=current, current_fields=conflict_fields(current) if current else [])


@bp.get("/moi")
@roles_required(*RECORDERS)
def new_get():
    """An empty form, received today."""
    return form_page(ProposalForm(formdata=None, data={"received_on": today()}))


@bp.post("/moi")
@roles_required(*RECORDERS)
def new_post():
    """Record a proposal as received; its history starts at "Đã tiếp nhận"."""
    def done(proposal):
        return ("Đã ghi nhận đề xuất “%s”." % proposal.title,
                url_for("proposals.detail_get", proposal_id=proposal.id))

    return edit_with_conflict(ProposalForm(), form_page,
                              lambda form: proposal_service.record(g.user, form.values()), done)


def while_editable(view):
    """The proposal to the view while it is not decided; once decided, a 409 page that says so."""
    @functools.wraps(view)
    def wrapped(proposal_id):
        proposal = get_proposal(proposal_id)
        if proposal.status not in EDITABLE_STATUSES:
            return detail_page(proposal, message="Đề xuất đã có quyết định (%s); không sửa được nữa."
                               % PROPOSAL_STATUSES[proposal.status].lower()), 409
        return view(proposal)
    return wrapped


@bp.get("/<int:proposal_id>/sua")
@roles_required(*RECORDERS)
@while_editable
def edit_get(proposal):
    """The proposal's form, filled in, while it is not decided."""
    form = ProposalForm(formdata=None, proposal=proposal)
    form.fill(proposal)
    return form_page(form, proposal)


@bp.post("/<int:proposal_id>/sua")
@roles_required(*RECORDERS)
@while_editable
def edit_post(proposal):
    """Save an edit unless someone saved the proposal since it was opened (409 with their values)."""

    def save(form):
        return proposal_service.edit(proposal, form.version.data, g.user, form.values())

    return edit_with_conflict(ProposalForm(proposal=proposal), functools.partial(form_page, proposal=proposal),
                              save, to_detail("Đã lưu thay đổi."))


# ---------------------------------------------------------------- content department

@bp.post("/<int:proposal_id>/don-vi")
@roles_required(*ASSIGNERS)
def assign_post(proposal_id):
    """Give the proposal to a content department, which advises and prepares the appraisal."""
    proposal = get_proposal(proposal_id)
    form = AssignForm(prefix="unit-")
    if proposal.status not in EDITABLE_STATUSES:
        return detail_page(proposal, message="Đề xuất đã có quyết định; không đổi phòng, ban chủ trì được."), 409

    def save(form):
        return proposal_service.assign(proposal, form.version.data, g.user, Unit.get_by_id(form.content_unit.data))

    def done(saved):
        return to_detail("Đã giao %s chủ trì tham mưu." % saved.content_unit.name, "don-vi")(saved)

    return edit_with_conflict(form, panel_render(proposal, "assign_form"), save, done)


# ---------------------------------------------------------------- appraisal and decision

@bp.post("/<int:proposal_id>/tham-dinh")
@roles_required(*READERS)
def start_post(proposal_id):
    """received → appraising: the content department starts the appraisal with the appraising bodies."""
    proposal = get_proposal(proposal_id)
    if not proposal.may_appraise(g.user):
        abort(403)

    def save(form):
        return proposal_service.start_appraisal(proposal, form.version.data, g.user)

    try:
        return edit_with_conflict(StartForm(prefix="start-"), panel_render(proposal, "start_form"), save,
                                  to_detail("Đã đưa đề xuất ra thẩm định.", "tham-dinh"))
    except TransitionError as refusal:
        return detail_page(proposal, message=str(refusal)), 409


@bp.post("/<int:proposal_id>/y-kien-tham-dinh")
@roles_required(*READERS)
def appraisal_post(proposal_id):
    """Record one appraising body's opinion (agrees or not, and when)."""
    proposal = get_proposal(proposal_id)
    if not proposal.may_appraise(g.user):
        abort(403)
    form = AppraisalForm(prefix="appr-", proposal=proposal)
    if proposal.status != "appraising":
        return detail_page(proposal, appraisal_form=form,
                           message="Chỉ ghi ý kiến thẩm định khi đề xuất đang thẩm định."), 409

    def render(form, errors=None, current=None):
        if current is not None:  # the same body's opinion, recorded a moment ago by another request
            form.body.errors = ["Cơ quan này đã có ý kiến thẩm định cho đề xuất."]
            return detail_page(proposal, appraisal_form=form, message=(
                "%s đã có ý kiến thẩm định cho đề xuất; ý kiến vừa gửi không được ghi." % current.body.name))
        return detail_page(proposal, appraisal_form=form)

    def save(form):
        return proposal_service.record_appraisal(proposal, g.user, Agency.get_by_id(form.body.data),
                                                 form.agrees.data == "yes", form.opinion.data.strip(), form.at.data)

    def done(appraisal):
        return ("Đã ghi ý kiến thẩm định của %s." % appraisal.body.name,
                url_for("proposals.detail_get", proposal_id=proposal.id, _anchor="tham-dinh"))

    return edit_with_conflict(form, render, save, done)


@bp.post("/<int:proposal_id>/quyet-dinh")
@roles_required(*DECIDERS)
def decision_post(proposal_id):
    """The chief accepts the proposal or returns it with reasons, once every appraising body has spoken."""
    proposal = get_proposal(proposal_id)
    form = DecisionForm(prefix="dec-")

    def save(form):
        return proposal_service.decide(proposal, form.version.data, g.user, form.decision.data,
                                       (form.decision_note.data or "").strip())

    def done(saved):
        verb = "chấp thuận" if saved.status == "accepted" else "trả lại"
        return to_detail("Đã %s đề xuất." % verb, "quyet-dinh")(saved)

    try:
        return edit_with_conflict(form, panel_render(proposal, "decision_form", keep_form=True), save, done)
    except TransitionError as refusal:
        return detail_page(proposal, decision_form=form, message=str(refusal)), 409


# ---------------------------------------------------------------- the dialogue and its program

def dialogue_page(proposal, form, errors=None, message=None):
    return render_template("staff/proposals/dialogue_form.html", proposal=proposal, form=form,
                           errors=errors or {}, message=message)


@bp.get("/<int:proposal_id>/doi-thoai")
@roles_required(*DIALOGUE_MAKERS)
def dialogue_get(proposal_id):
    """The dialogue form, pre-filled from the proposal and its appraisal."""
    proposal = get_proposal(proposal_id)
    reason = proposal_service.dialogue_refusal(proposal)
    if reason:
        flash(reason, "error")
        return redirect(url_for("proposals.detail_get", proposal_id=proposal.id), code=303)
    form = ProposalDialogueForm(formdata=None, data=proposal_service.dialogue_defaults(proposal, g.user))
    return dialogue_page(proposal, form)


@bp.post("/<int:proposal_id>/doi-thoai")
@roles_required(*DIALOGUE_MAKERS)
def dialogue_post(proposal_id):
    """Create the dialogue with its program; it enters the lifecycle at "Đã thẩm định"."""
    proposal = get_proposal(proposal_id)
    form = ProposalDialogueForm(formdata=chairman_dialogue_data(request.form))
    reason = proposal_service.dialogue_refusal(proposal)
    if reason:
        return dialogue_page(proposal, form, message=reason), 409

    def render(form, errors=None, current=None):
        if current is None:
            return dialogue_page(proposal, form, errors)
        form.proposal_version.data = current.version
        message = proposal_service.dialogue_refusal(current) or stale_message(current)
        return dialogue_page(current, form, message=message)

    def save(form):
        values = form.values()
        values.update(agenda=form.agenda.data.strip(), briefing=form.briefing.data.strip())
        return proposal_service.make_dialogue(proposal, form.proposal_version.data, g.user, values,
                                              form.field_ids.data or [], form.attendee_ids.data or [])

    def done(dialogue):
        return ("Đã tạo buổi đối thoại “%s” từ đề xuất." % dialogue.title,
                url_for("dialogues.detail_get", dialogue_id=dialogue.id))

    return edit_with_conflict(form, render, save, done)


def program_page(proposal, dialogue, form, errors=None, current=None):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/proposals/program_form.html", proposal=proposal, dialogue=dialogue, form=form,
                           errors=errors or {}, current=current,
                           current_fields=program_conflict_fields(current) if current is not None else [])


def _program_dialogue(proposal):
    """The dialogue made from the proposal; 404 while there is none."""
    return get_or_404(Dialogue.select().where(Dialogue.id == proposal.dialogue_id))


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

    def save(form):
        return proposal_service.save_program(dialogue, form.version.data, g.user, form.agenda.data.strip(),
                                             form.briefing.data.strip())

    def done(saved):
        return "Đã lưu chương trình đối thoại.", url_for("dialogues.detail_get", dialogue_id=dialogue.id)

    return edit_with_conflict(ProgramForm(), functools.partial(program_page, proposal, dialogue), save, done)


@bp.app_template_global()
def proposal_of(dialogue):
    """The proposal a dialogue was made from, if the signed-in user may see it (dialogue detail page)."""
    if dialogue is None or not getattr(dialogue, "is_chairman", False) or g.get("user") is None:
        return None
    return Proposal.visible_to(g.user).where(Proposal.dialogue == dialogue.id).first()


@bp.context_processor
def _labels():
    return {"PROPOSAL_STATUSES": PROPOSAL_STATUSES, "DECISIONS": DECISIONS}
