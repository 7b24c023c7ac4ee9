"""The yearly dialogue plans: list, detail, new and edit with a Markdown preview (coordinator, chief; leaders read)."""
import functools

from flask import Blueprint, current_app, g, render_template, request, url_for

from forms.plans import YEAR_TAKEN, PlanForm, conflict_fields
from models import AuditLog, Plan
from services import plans as plan_service
from views.auth import roles_required
from views.common import edit_with_conflict, form_version, get_or_404

bp = Blueprint("plans", __name__, url_prefix="/ke-hoach")

READERS = ("coordinator", "chief", "leader")
EDITORS = ("coordinator", "chief")


def _plan_or_404(plan_id):
    return get_or_404(Plan.select().where(Plan.id == plan_id))


def _form_page(form, plan=None, errors=None, current=None, preview=False):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/plans/form.html", form=form, plan=plan, errors=errors or {}, current=current,
                           current_fields=conflict_fields(current) if current else [], preview=preview)


def _saved(verb):
    """After a plan is saved: its page follows, with the word on the publish it queued."""
    def done(outcome):
        plan, note = outcome
        message = "%s %s." % (verb, plan_service.label(plan))
        return (message + (" " + note if note else ""), url_for("plans.detail_get", plan_id=plan.id))
    return done


def _app():
    return current_app._get_current_object()


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Every plan, the newest year first."""
    return render_template("staff/plans/list.html", plans=list(Plan.newest_first()), may_edit=g.user.role in EDITORS)


@bp.get("/<int:plan_id>")
@roles_required(*READERS)
def detail_get(plan_id):
    """One plan: its facts and its text, rendered from Markdown (sanitised)."""
    return render_template("staff/plans/detail.html", plan=_plan_or_404(plan_id), may_edit=g.user.role in EDITORS)


@bp.get("/moi")
@roles_required(*EDITORS)
def new_get():
    """An empty form."""
    return _form_page(PlanForm(formdata=None))


@bp.post("/moi")
@roles_required(*EDITORS)
def new_post():
    """Add a plan (one per year); "Xem trước" shows the text rendered instead, saving nothing."""
    form = PlanForm()
    if request.form.get("preview"):
        return _form_page(form, preview=True)
    return edit_with_conflict(form, _form_page, lambda form: plan_service.create(_app(), g.user, form.values()),
                              _saved("Đã thêm"), refused={"year": YEAR_TAKEN})


@bp.get("/<int:plan_id>/sua")
@roles_required(*EDITORS)
def edit_get(plan_id):
    """The plan's form, filled in, carrying the version it was opened at."""
    plan = _plan_or_404(plan_id)
    return _form_page(PlanForm(obj=plan, plan=plan), plan)


@bp.post("/<int:plan_id>/sua")
@roles_required(*EDITORS)
def edit_post(plan_id):
    """Save the plan unless someone saved it since it was opened (409 shows their version)."""
    plan = _plan_or_404(plan_id)
    form = PlanForm(plan=plan)
    if request.form.get("preview"):
        return _form_page(form, plan, preview=True)

    def save(form):
        return plan_service.edit(_app(), plan, form_version(form), g.user, form.values())

    return edit_with_conflict(form, functools.partial(_form_page, plan=plan), save, _saved("Đã lưu"),
                              refused={"year": YEAR_TAKEN})


@bp.post("/xem-truoc")
@roles_required(*EDITORS)
def preview_post():
    """The posted text as the plan's page will show it: the sanitised HTML fragment (the form's htmx preview)."""
    return render_template("staff/plans/_preview.html", form=PlanForm(), preview=True)
