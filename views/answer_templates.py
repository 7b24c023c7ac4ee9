"""Answer templates (mẫu trả lời): list, detail, new, edit, retire, restore and delete; unit heads keep their
unit's, the coordinator and the chief the office-wide ones; a unit's staff read what they may use."""
import functools

import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from forms import parse_id
from forms.answer_templates import OFFICE, AnswerTemplateForm, conflict_fields
from models import AnswerTemplate, AuditLog, ConflictError, Field, Unit
from services import answer_templates as service
from views.auth import roles_required
from views.common import Page, edit_with_conflict, form_version, get_or_404, page_arg

bp = Blueprint("answer_templates", __name__, url_prefix="/mau-tra-loi")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")
MANAGERS = ("unit_head", "coordinator", "chief")


def _template_or_404(template_id):
    """The template if the user may read it; 404 otherwise (never reveal it exists)."""
    return get_or_404(AnswerTemplate.visible_to(g.user).where(AnswerTemplate.id == template_id))


def _managed_or_403(template_id):
    template = _template_or_404(template_id)
    if not template.can_manage(g.user):
        abort(403)
    return template


def _fields():
    return list(Field.select().order_by(Field.position, Field.name))


def _form_page(form, template=None, errors=None, current=None, preview=False):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/answer_templates/form.html", form=form, template=template, errors=errors or {},
                           current=current, current_fields=conflict_fields(current) if current else [],
                           unit_choices=form.unit_choices(), fields=_fields(), placeholders=service.PLACEHOLDERS,
                           office=OFFICE, preview=preview, unknown=_unknown(form) if preview else [])


def _unknown(form):
    """The placeholders of the typed text that no opinion can fill (the preview names them)."""
    return service.unknown_placeholders(form.body_md.data or "")


def _saved(verb):
    def done(template):
        return ("%s %s." % (verb, service.label(template)),
                url_for("answer_templates.detail_get", template_id=template.id))
    return done


def _detail(template, error=None, current=None):
    """The template's page; `error` above it (a refused delete), `current` the version someone else saved."""
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
        template = current
    return render_template("staff/answer_templates/detail.html", template=template, error=error, current=current,
                           current_fields=conflict_fields(current) if current else [],
                           may_manage=template.can_manage(g.user), used=template.opinions.count())


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """The templates the user may read, by unit and field; retired ones on their own tab."""
    unit = request.args.get("unit", "")
    unit = OFFICE if unit == OFFICE else parse_id(unit) or ""
    field = parse_id(request.args.get("field", ""))
    retired = request.args.get("ngung") == "1"
    query = AnswerTemplate.filtered(g.user, unit, field, retired)
    page = Page(query, page_arg(), current_app.config["PER_PAGE"])
    units = Unit.in_name_order(Unit.select().where(Unit.id.in_(AnswerTemplate.select(AnswerTemplate.unit))))
    return render_template("staff/answer_templates/list.html", page=page, unit=unit, field=field, retired=retired,
                           units=[u for u in units if g.user.reads_everything or u.id == g.user.unit_id],
                           fields=_fields(), office=OFFICE, may_create=g.user.role in MANAGERS)


@bp.get("/moi")
@roles_required(*MANAGERS)
def new_get():
    """An empty form: a unit head's template is his unit's."""
    form = AnswerTemplateForm(formdata=None, user=g.user)
    form.unit_id.data = g.user.unit_id if g.user.role == "unit_head" else OFFICE
    return _form_page(form)


@bp.post("/moi")
@roles_required(*MANAGERS)
def new_post():
    """Add a template; an unknown placeholder is refused beside the text, what was typed is kept.

    "Xem trước" (without htmx) shows the text rendered instead, saving nothing.
    """
    if request.form.get("preview"):
        return _form_page(AnswerTemplateForm(user=g.user), preview=True)
    return edit_with_conflict(AnswerTemplateForm(user=g.user), _form_page,
                              lambda form: service.create(g.user, form.values()), _saved("Đã thêm"))


@bp.get("/<int:template_id>")
@roles_required(*READERS)
def detail_get(template_id):
    """One template: its scope, field, text rendered from Markdown, and how many answers used it."""
    return _detail(_template_or_404(template_id))


@bp.get("/<int:template_id>/sua")
@roles_required(*MANAGERS)
def edit_get(template_id):
    """The template's form, filled in, with the version it was opened at."""
    template = _managed_or_403(template_id)
    return _form_page(AnswerTemplateForm(obj=template, user=g.user, template=template), template)


@bp.post("/<int:template_id>/sua")
@roles_required(*MANAGERS)
def edit_post(template_id):
    """Save unless someone saved it since it was opened (409 shows their version)."""
    template = _managed_or_403(template_id)
    if request.form.get("preview"):
        return _form_page(AnswerTemplateForm(user=g.user, template=template), template, preview=True)

    def save(form):
        return service.edit(template, form_version(form), g.user, form.values())

    return edit_with_conflict(AnswerTemplateForm(user=g.user, template=template),
                              functools.partial(_form_page, template=template), save, _saved("Đã lưu"))


@bp.post("/xem-truoc")
@roles_required(*MANAGERS)
def preview_post():
    """The posted text rendered (sanitised HTML fragment, the form's htmx preview), its unknown placeholders named."""
    form = AnswerTemplateForm(user=g.user)
    return render_template("staff/answer_templates/_preview.html", form=form, preview=True, unknown=_unknown(form))


def _button(template_id, act, message):
    """A button of the template's page (with the version shown): `act(template, version)`; a conflict shows
    their version (409)."""
    template = _managed_or_403(template_id)
    version = parse_id(request.form.get("version", ""))
    if version is None:
        abort(400)
    try:
        saved = act(template, version)
    except ConflictError as error:
        return _detail(template, current=error.current), 409
    flash(message % service.label(saved), "success")
    return redirect(url_for("answer_templates.detail_get", template_id=saved.id), code=303)


@bp.post("/<int:template_id>/ngung-dung")
@roles_required(*MANAGERS)
def retire_post(template_id):
    """Retire: no longer offered for answers; the answers that used it keep it."""
    return _button(template_id, lambda t, v: service.set_retired(t, v, g.user, True), "Đã ngừng sử dụng %s.")


@bp.post("/<int:template_id>/dung-lai")
@roles_required(*MANAGERS)
def restore_post(template_id):
    """Offer a retired template again."""
    return _button(template_id, lambda t, v: service.set_retired(t, v, g.user, False), "Đã dùng lại %s.")


@bp.post("/<int:template_id>/xoa")
@roles_required(*MANAGERS)
def delete_post(template_id):
    """Delete a template that no answer used; one that was used is refused (retire it instead)."""
    template = _managed_or_403(template_id)
    try:
        service.delete(template, g.user)
    except service.InUse as error:
        return _detail(template, error=str(error)), 422
    except pw.IntegrityError:  # an answer took it up meanwhile
        return _detail(template, error=service.IN_USE % (template.title, template.opinions.count())), 422
    flash("Đã xóa %s." % service.label(template), "success")
    return redirect(url_for("answer_templates.list_get"), code=303)
