"""Citizens' online requests, staff side: the sync screen and button, search by code or phone, receipts, triage."""
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms.intake import AnswerForm, LookupForm, ReferForm, RefuseForm, ScheduleForm
from forms.opinions import ActionForm
from models import IntakeSync, Opinion, TransitionError
from services import intake_requests, intake_sync, tracking
from views.auth import roles_required
from views.common import Page, Refused, edit_with_conflict, get_or_404, page_arg

bp = Blueprint("intake_staff", __name__, url_prefix="/tiep-nhan-truc-tuyen")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")
BOSSES = ("coordinator", "leader", "chief")
TRIAGE = ("coordinator", "chief")


def _opinion_or_404(opinion_id):
    return get_or_404(Opinion.visible_to(g.user).where(Opinion.id == opinion_id))


@bp.get("/")
@roles_required(*BOSSES)
def index():
    """The online requests: the sync's state and history, search by code or phone, the newest requests."""
    form = LookupForm(request.args)
    query = form.q.data or ""
    found = intake_requests.find(g.user, query) if query else None
    newest = (Opinion.visible_to(g.user).where(Opinion.channel == "online")
              .order_by(Opinion.received_on.desc(), Opinion.id.desc()))
    return render_template("staff/intake/index.html", form=form, query=query, found=found,
                           page=Page(newest, page_arg(), current_app.config["PER_PAGE"]),
                           syncs=IntakeSync.recent(), warning=intake_sync.stale_warning(current_app.config),
                           configured=bool(current_app.config.get("INTAKE_URL")))


@bp.post("/dong-bo")
@roles_required(*TRIAGE)
def sync_post():
    """Run one sync now (the button beside the cron job)."""
    sync = intake_sync.run(current_app.config, current_app.instance_path, user=g.user)
    if sync.status == "succeeded":
        flash("Đã đồng bộ: nhận %d yêu cầu, vào sổ %d, cập nhật %d trạng thái." % (
            sync.fetched, sync.created, sync.statuses), "success")
    else:
        flash("Đồng bộ không thành công: %s" % sync.error, "error")
    return redirect(url_for("intake_staff.index"), code=303)


@bp.get("/<int:opinion_id>/bien-nhan")
@roles_required(*READERS)
def receipt_get(opinion_id):
    """The printable receipt (giấy biên nhận) of a citizen's request, with its tracking code."""
    return _receipt_page(_opinion_or_404(opinion_id))


def _receipt_page(opinion, error=None):
    return render_template("staff/intake/receipt.html", opinion=opinion, error=error,
                           identity=opinion.can_see_identity(g.user), lookup_url=intake_sync.lookup_url(
                               current_app.config), form=ActionForm(formdata=None, data={"version": opinion.version}))


@bp.post("/<int:opinion_id>/cap-ma")
@roles_required(*TRIAGE)
def code_post(opinion_id):
    """Issue a tracking code to a request entered without one."""
    opinion = _opinion_or_404(opinion_id)

    def save(form):
        try:
            return intake_requests.issue_code(opinion, g.user, form.version.data)
        except TransitionError as error:
            raise Refused({"version": str(error)}) from None

    def render(form, errors=None, current=None):
        return _receipt_again(current or opinion, errors)

    return edit_with_conflict(ActionForm(), render, save, lambda saved: ("Đã cấp mã tra cứu %s." % saved.tracking_code,
                                                   url_for("intake_staff.receipt_get", opinion_id=saved.id)))


def _receipt_again(opinion, errors):
    """The receipt again, the refusal above its button (edit_with_conflict answers it with 422 or 409)."""
    return _receipt_page(opinion, next(iter((errors or {}).values()),
                                       "Ý kiến vừa được người khác cập nhật; vui lòng thử lại."))


# ---------------------------------------------------------------- triage of a dialogue request

FORMS = {"schedule": ScheduleForm, "answer": AnswerForm, "refer": ReferForm, "refuse": RefuseForm}


def _triage_page(opinion, forms=None, errors=None, active=None, conflict=None):
    data = {"version": opinion.version}
    forms = {name: (forms or {}).get(name) or cls(formdata=None, data=data) for name, cls in FORMS.items()}
    public = intake_sync.public_status(opinion, opinion.dialogue if opinion.dialogue_id else None)
    return render_template("staff/intake/triage.html", opinion=opinion, forms=forms, errors=errors or {},
                           active=active, conflict=conflict, public=public,
                           public_label=tracking.status_label(public["status"]))


@bp.get("/<int:opinion_id>/xu-ly")
@roles_required(*TRIAGE)
def triage_get(opinion_id):
    """The four ways to answer a dialogue request."""
    opinion = _opinion_or_404(opinion_id)
    if opinion.kind != "dialogue_request":
        abort(404)
    return _triage_page(opinion)


def _triage_post(opinion_id, name, act, message):
    opinion = _opinion_or_404(opinion_id)
    if opinion.kind != "dialogue_request":
        abort(404)
    form = FORMS[name]()

    def render(form, errors=None, current=None):
        return _triage_page(current or opinion, {name: form}, errors, active=name, conflict=current)

    def save(form):
        try:
            return act(opinion, form)
        except TransitionError as error:
            raise Refused({"version": str(error)}) from None

    return edit_with_conflict(form, render, save, lambda saved: (
        message % opinion.code, url_for("intake_staff.triage_get", opinion_id=opinion.id)))


@bp.post("/<int:opinion_id>/lich")
@roles_required(*TRIAGE)
def schedule_post(opinion_id):
    """Schedule a direct dialogue with the citizen (an on_request dialogue linked to the request)."""
    return _triage_post(opinion_id, "schedule", lambda o, f: intake_requests.schedule(
        o, g.user, f.version.data, f.starts_at(), f.place.data.strip(), (f.title.data or "").strip())[0],
        "Đã lên lịch đối thoại cho đề nghị %s.")


@bp.post("/<int:opinion_id>/tra-loi")
@roles_required(*TRIAGE)
def answer_post(opinion_id):
    """Answer the request in writing."""
    return _triage_post(opinion_id, "answer", lambda o, f: intake_requests.answer(
        o, g.user, f.version.data, f.public_note.data.strip()), "Đã trả lời bằng văn bản đề nghị %s.")


@bp.post("/<int:opinion_id>/chuyen")
@roles_required(*TRIAGE)
def refer_post(opinion_id):
    """Refer the request to the competent body, named."""
    return _triage_post(opinion_id, "refer", lambda o, f: intake_requests.refer(
        o, g.user, f.version.data, f.referred_to.data.strip()), "Đã chuyển đề nghị %s đến cơ quan có thẩm quyền.")


@bp.post("/<int:opinion_id>/tu-choi")
@roles_required(*TRIAGE)
def refuse_post(opinion_id):
    """Refuse the request with a reason from the configured list."""
    return _triage_post(opinion_id, "refuse", lambda o, f: intake_requests.refuse(
        o, g.user, f.version.data, f.reason.data), "Đã ghi không tiếp nhận đề nghị %s.")
