"""The opinion register (sổ theo dõi ý kiến): list, many at once, detail, assignment, transitions, follow-ups."""
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, Response, abort, current_app, flash, g, render_template, request, url_for
from werkzeug.datastructures import MultiDict

import models
from forms import parse_id
from forms.opinions import (
    TARGET_LABELS,
    AnswerForm,
    AssignForm,
    BulkAssignForm,
    BulkStatusForm,
    FollowUpForm,
    StatusForm,
    assignable_units,
    assignee_groups,
    bulk_picked,
    directors,
    opinion_form,
    recent_dialogues,
    register_filters,
)
from models import FOLLOWUP_KINDS, AuditLog, ConflictError, Field, Opinion, StatusChange, TransitionError, Unit
from services import answer_templates, bulk_actions, report_exports
from services.text import sort_key
from views.auth import roles_required
from views.common import (
    Page,
    Refused,
    edit_with_conflict,
    get_or_404,
    invalid_status,
    page_arg,
    show_list_at,
    wants_fragment,
)

bp = Blueprint("opinions", __name__, url_prefix="/y-kien")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
WRITERS = ("specialist", "unit_head", "coordinator", "chief")
ASSIGNERS = ("unit_head", "coordinator", "chief")
ROW_CONFLICT = "Ý kiến vừa được người khác cập nhật (hiện: %s). Chưa thay đổi gì."


def prefixed_errors(form, prefix):
    """A form's first errors keyed by prefixed input ids (several forms share a page)."""
    return {prefix + name: message for name, message in form.first_errors().items()} if form else {}


@bp.context_processor
def _labels():
    return {"TARGET_LABELS": TARGET_LABELS, "FOLLOWUP_KINDS": FOLLOWUP_KINDS, "errs": prefixed_errors}


def _opinion_or_404(opinion_id):
    """The opinion if the signed-in user may see it; 404 otherwise (never reveal it exists)."""
    return get_or_404(Opinion.visible_to(g.user).where(Opinion.id == opinion_id))


def _can_answer(opinion, user):
    return user.role == "coordinator" or (user.is_content_staff and opinion.can_edit(user))


def _answerable_or_403(opinion_id):
    """The opinion whose draft answer the signed-in user may write (404 if unseen, 403 if not theirs to answer)."""
    opinion = _opinion_or_404(opinion_id)
    if not _can_answer(opinion, g.user):
        abort(403)
    return opinion


def _conflict(current, form_name):
    """What the conflict box shows: the stored values someone else saved."""
    current.updated_by_name = AuditLog.last_editor_name(current)
    fields = [("Trạng thái", current.status_label)]
    if form_name == "assign":
        fields += [("Đơn vị xử lý", current.assigned_unit.name if current.assigned_unit_id else ""),
                   ("Chuyên viên", current.assigned_to.full_name if current.assigned_to_id else ""),
                   ("Hạn xử lý", current.deadline.strftime("%d/%m/%Y") if current.deadline else "")]
    elif form_name == "answer":
        fields += [("Dự thảo trả lời", current.draft_answer), ("Hướng giải quyết", current.resolution_path)]
    return {"form": form_name, "current": current, "fields": fields}


def _work_context(opinion, assign_form=None, answer_form=None, conflict=None):
    """The assign and answer forms of the detail page (also sent out of band after a change)."""
    user = g.user
    ctx = {"opinion": opinion, "work_conflict": conflict, "can_assign": False, "can_answer": False}
    if opinion.is_closed:
        return ctx
    if user.role in ASSIGNERS and opinion.can_edit(user):
        units = assignable_units(user)
        ctx.update(can_assign=True, units=units, assignee_groups=assignee_groups(units),
                   assign_form=assign_form or AssignForm(formdata=None, data={
                       "unit_id": opinion.assigned_unit_id or (user.unit_id if user.role == "unit_head" else None),
                       "assigned_to_id": opinion.assigned_to_id, "deadline": opinion.deadline,
                       "version": opinion.version}))
    if _can_answer(opinion, user):
        with_draft = Opinion(**dict(opinion.__data__, draft_answer="…"))
        ctx.update(can_mark_drafted=opinion.status == "assigned" and with_draft.refusal("answer_drafted", user) is None)
        answer_form = answer_form or AnswerForm(formdata=None, opinion=opinion, data={
            "draft_answer": opinion.draft_answer, "resolution_path": opinion.resolution_path,
            "answer_template_id": opinion.answer_template_id, "version": opinion.version})
        answer_form.opinion = opinion
        ctx.update(can_answer=True, answer_form=answer_form, answer_templates=template_groups(opinion,
                                                                                              answer_form))
    return ctx


def template_groups(opinion, form):
    """The answer form's template choices: [(group label, templates)], the opinion's field first."""
    usable = form.usable_templates()
    same = [t for t in usable if opinion.field_id and t.field_id == opinion.field_id]
    groups = [("Cùng lĩnh vực", same), ("Mẫu khác", [t for t in usable if t not in same])]
    return [(name, rows) for name, rows in groups if rows]


def _status_context(opinion, status_form=None, conflict=None):
    targets = opinion.next_statuses(g.user)
    return {"opinion": opinion, "targets": targets, "status_conflict": conflict,
            "status_form": status_form or StatusForm(formdata=None, data={"version": opinion.version})}


def _history(opinion):
    return list(StatusChange.for_object(opinion))


def _render_detail(opinion, assign_form=None, answer_form=None, status_form=None, followup_form=None,
                   conflict=None):
    """The whole detail page; the submitter of a denunciation is shown only with an audit row."""
    user = g.user
    show_identity = opinion.show_identity_to(user)
    followups, conclusions = list(opinion.followup_log()), list(opinion.linked_conclusions())
    ctx = _work_context(opinion, assign_form, answer_form, conflict if conflict and conflict["form"] != "status"
                        else None)
    ctx.update(_status_context(opinion, status_form, conflict if conflict and conflict["form"] == "status"
                               else None))
    ctx.update(show_identity=show_identity, history=_history(opinion), followups=followups,
               conclusions=conclusions, can_follow=user.role in WRITERS and opinion.can_edit(user),
               followup_form=followup_form or FollowUpForm(formdata=None))
    return render_template("staff/opinions/detail.html", **ctx)


def _safe_back(target):
    """Where a plain status form from the list returns: the list with its filters, nothing else."""
    base = url_for("opinions.list_get")
    if target and target.startswith(base) and "//" not in target and "\\" not in target:
        return target
    return base


def _to_detail(message):
    """After a save on the detail page: its message, and the page again (303)."""
    return lambda opinion: (message % opinion.code, url_for("opinions.detail_get", opinion_id=opinion.id))


def _edit_on_detail(opinion, form, form_name, save, done):
    """edit_with_conflict for a form of the detail page (`form_name` "assign" or "answer").

    A form without its version is a bad request (400), not a field error; a TransitionError from
    `save` is flashed above the page (422); a conflict shows the stored values beside the form.
    """
    def render(form, errors=None, current=None):
        if form.version.errors:
            abort(400)
        if current is None:
            return _render_detail(opinion, **{form_name + "_form": form})
        return _render_detail(current, conflict=_conflict(current, form_name), **{form_name + "_form": form})

    def refused_when_not_allowed(form):
        try:
            return save(form)
        except TransitionError as error:
            flash(str(error), "error")
            raise Refused({}) from None

    return edit_with_conflict(form, render, refused_when_not_allowed, done)


# ---------------------------------------------------------------- the register

def _register_context(args, back):
    """The register's page for the query string `args`: its filters, the page of rows, the select-all count."""
    user = g.user
    f = register_filters(args)
    page = Page(Opinion.register(user, f), page_arg(args), current_app.config["PER_PAGE"],
                count_limit=current_app.config["REGISTER_COUNT_LIMIT"], key=Opinion.id,
                fetch=Opinion.register_rows, count=Opinion.register_counter(user, f))
    return {"page": page, "filters": f, "back": back, "list_args": args,
            "list_query": urlencode(list(args.items(True))), "max_bulk": bulk_actions.MAX_ITEMS,
            "checked_ids": set(), "all_checked": False}


def _register_page(ctx):
    """The whole register page around `ctx` (_register_context), with the choices of its forms."""
    user = g.user
    ctx.update(fields=list(Field.select().order_by(Field.position, Field.name)),
               units=sorted(Unit.select(), key=lambda u: sort_key(u.name)) if user.reads_everything else [],
               dialogues=recent_dialogues(ctx["filters"]["dialogue"]), can_create=user.role in WRITERS)
    ctx.update(_bulk_context(**{k: ctx.pop(k) for k in ("assign_form", "status_form", "outcome", "selection_error",
                                                            "bulk_action") if k in ctx}))
    return render_template("staff/opinions/list.html", **ctx)


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """The register: filters, diacritics-insensitive search, sorting and pages; htmx gets the results."""
    ctx = _register_context(request.args, request.full_path.rstrip("?"))
    if wants_fragment():
        return render_template("staff/opinions/_results.html", **ctx)
    return _register_page(ctx)


def _new_page(form, errors=None, current=None):
    return render_template("staff/opinions/new.html", form=form, errors=errors or {})


@bp.get("/moi")
@roles_required(*WRITERS)
def new_get():
    """The form to record a new opinion."""
    form = opinion_form(dialogue_id=parse_id(request.args.get("dialogue", "")))
    form.received_on.data = models.today()
    return _new_page(form)


@bp.post("/moi")
@roles_required(*WRITERS)
def new_post():
    """Record it: a unit's staff record for their own unit; errors beside the fields, nothing stored."""
    return edit_with_conflict(opinion_form(), _new_page, lambda form: models.create_opinion(g.user, **form.values()),
                              _to_detail("Đã tiếp nhận ý kiến %s."))


@bp.route("/kiem-tra", methods=["GET", "POST"])
@roles_required(*WRITERS)
def check_field():
    """Inline validation: the error message of one field of the new-opinion form (empty when fine)."""
    name = request.values.get("field", "")
    form = opinion_form(request.values)
    if name not in form._fields:
        abort(404)
    field = form[name]
    inline = getattr(type(form), "validate_" + name, None)
    field.validate(form, [inline] if inline else [])
    return render_template("staff/opinions/_check.html", name=name, errors=form.first_errors()
                           if field.errors else {})


# ---------------------------------------------------------------- many opinions at once

def _bulk_context(assign_form=None, status_form=None, outcome=None, selection_error=None, bulk_action=None):
    """The register's form for the ticked opinions: the actions the user may take, what was typed, the outcome."""
    user = g.user
    ctx = {"can_bulk_assign": user.role in ASSIGNERS, "can_bulk_move": user.role in WRITERS, "outcome": outcome,
           "selection_error": selection_error, "bulk_action": bulk_action,
           "status_form": status_form or BulkStatusForm(formdata=None, user=user)}
    if ctx["can_bulk_assign"]:
        units = assignable_units(user)
        ctx.update(bulk_units=units, bulk_assignees=assignee_groups(units), directors=directors(user),
                   assign_form=assign_form or BulkAssignForm(formdata=None, user=user, data={
                       "unit_id": user.unit_id if user.role == "unit_head" else None, "directed_by_id": user.id}))
    return ctx


def _bulk_args():
    """The register's query string that the bulk form was shown with (its hidden `filter`)."""
    return MultiDict(parse_qsl(request.form.get("filter", "")[:4000]))


def _bulk_post(action, form, act):
    """Check the form and the selection, then `act(form, chosen)` (an Outcome) on each item; show the outcome.

    htmx gets the bulk form (with the outcome) and the changed rows of the page out of band; a plain
    form gets the register page again, with the outcome above it (the list of refusals can be long:
    too long for a flashed message in the session cookie).
    """
    args = _bulk_args()
    picked = bulk_picked(request.form)
    all_matching = request.form.get("all") == "1"
    valid, error, outcome = form is None or form.validate(), None, None
    try:
        chosen = bulk_actions.select(g.user, register_filters(args), picked, all_matching)
    except bulk_actions.SelectionError as refused:
        chosen, error = None, str(refused)
    if valid and error is None:
        outcome = act(form, chosen)
        if isinstance(outcome, Response):  # an export: the file itself
            return outcome
    status = 200 if outcome is not None else invalid_status()
    back = url_for("opinions.list_get") + ("?" + request.form.get("filter", "") if args else "")
    forms = {action + "_form": form} if form is not None else {}
    forms.update({"outcome": outcome, "selection_error": error, "bulk_action": action})
    if wants_fragment():
        page_ids = {i for i in (parse_id(v) for v in request.form.get("page_ids", "").split(",")) if i}
        shown = [i for i in outcome.changed_ids if i in page_ids] if outcome else []
        rows = list(Opinion.register_rows(shown)) if shown else []
        return render_template("staff/opinions/_bulk_done.html", rows=rows, back=back, **_bulk_context(**forms)), status
    show_list_at(url_for("opinions.list_get"), args)
    ctx = _register_context(args, back)
    ctx.update(forms, all_checked=all_matching and outcome is None,
               checked_ids={i for i, _ in picked} - set(outcome.changed_ids if outcome else ()))
    return _register_page(ctx), status


@bp.post("/chon/giao")
@roles_required(*ASSIGNERS)
def bulk_assign_post():
    """Assign the ticked opinions (or all the filter matches) to a unit: each one as its own page would."""
    def act(form, chosen):
        return bulk_actions.assign(g.user, chosen, form.unit_id.data, form.assigned_to_id.data,
                                   form.computed_deadline, form.directed_by_id.data)

    return _bulk_post("assign", BulkAssignForm(user=g.user), act)


@bp.post("/chon/trang-thai")
@roles_required(*WRITERS)
def bulk_status_post():
    """Move the ticked opinions to a status with one note: each through its own lifecycle, never forced."""
    def act(form, chosen):
        return bulk_actions.change_status(g.user, chosen, form.to.data, form.note.data)

    return _bulk_post("status", BulkStatusForm(user=g.user), act)


@bp.post("/chon/xuat")
@roles_required(*READERS)
def bulk_export_post():
    """The ticked opinions as the register's XLSX or CSV file (as the user may see them; the export audited)."""
    ext = request.form.get("format")
    if ext not in ("xlsx", "csv"):
        abort(400)

    def act(form, chosen):
        data = bulk_actions.export(g.user, chosen, ext, register_filters(_bulk_args())["sort"])
        response = Response(data, mimetype=report_exports.CONTENT_TYPES[ext])
        response.headers["Content-Disposition"] = 'attachment; filename="y-kien-da-chon-%s.%s"' % (
            models.today().strftime("%Y%m%d"), ext)
        return response

    return _bulk_post("export", None, act)


# ---------------------------------------------------------------- one opinion

@bp.get("/<int:opinion_id>")
@roles_required(*READERS)
def detail_get(opinion_id):
    """All about one opinion: facts, submitter (if allowed), history, follow-ups, conclusions."""
    return _render_detail(_opinion_or_404(opinion_id))


@bp.post("/<int:opinion_id>/giao")
@roles_required(*ASSIGNERS)
def assign_post(opinion_id):
    """Assign a unit, a specialist and a deadline; received → assigned."""
    opinion = _opinion_or_404(opinion_id)

    def save(form):
        return opinion.assign(g.user, form.unit_id.data, form.assigned_to_id.data, form.computed_deadline,
                              form.version.data)

    return _edit_on_detail(opinion, AssignForm(user=g.user, opinion=opinion), "assign", save,
                           _to_detail("Đã giao xử lý ý kiến %s."))


@bp.post("/<int:opinion_id>/tra-loi")
@roles_required("coordinator", "unit_head", "specialist")
def answer_post(opinion_id):
    """Save the draft answer and resolution path (the assigned unit's staff or the coordinator)."""
    opinion = _answerable_or_403(opinion_id)

    def done(saved):
        message = "Đã lưu dự thảo trả lời."
        if request.form.get("then") == "answer_drafted" and saved.status == "assigned":
            try:
                saved.change_status(g.user, "answer_drafted", saved.version)
                message = "Đã lưu dự thảo trả lời và chuyển trạng thái “%s”." % TARGET_LABELS["answer_drafted"]
            except (TransitionError, ConflictError) as error:
                message += " Chưa chuyển trạng thái: %s" % (error if isinstance(error, TransitionError)
                                                          else "hồ sơ vừa được người khác cập nhật.")
        return message, url_for("opinions.detail_get", opinion_id=saved.id)

    return _edit_on_detail(opinion, AnswerForm(user=g.user, opinion=opinion), "answer",
                           lambda form: opinion.save_answer(g.user, form.version.data, form.values()), done)


@bp.get("/<int:opinion_id>/mau-tra-loi")
@roles_required("coordinator", "unit_head", "specialist")
def answer_template_get(opinion_id):
    """htmx: the draft answer's text area filled from the chosen template (204, nothing to swap, for none)."""
    opinion = _answerable_or_403(opinion_id)
    form = AnswerForm(formdata=request.args, opinion=opinion)
    if form.answer_template_id.data is None:
        return "", 204
    template = form.chosen_template()
    if template is None:
        abort(404)
    return render_template("staff/opinions/_draft_answer.html", e={},
                           draft=answer_templates.fill(template, opinion, g.user))


@bp.post("/<int:opinion_id>/tra-loi/dung-mau")
@roles_required("coordinator", "unit_head", "specialist")
def answer_template_post(opinion_id):
    """"Dùng mẫu" without JavaScript: the answer form again with the draft filled from the template, the other
    values as typed; nothing is saved."""
    opinion = _answerable_or_403(opinion_id)
    form = AnswerForm(user=g.user, opinion=opinion)
    template = form.chosen_template()
    if template is None:
        form.answer_template_id.errors = ["Vui lòng chọn một mẫu trả lời trong danh sách."]
        return _render_detail(opinion, answer_form=form), 422
    form.draft_answer.data = answer_templates.fill(template, opinion, g.user)
    return _render_detail(opinion, answer_form=form)


def _status_fragment(opinion, in_row, back, form=None, conflict=None):
    """What htmx gets after a status form: the register row, or the status box with the work and history out of band."""
    if in_row:
        error = None
        if conflict is not None:
            error = ROW_CONFLICT % opinion.status_label
        elif form is not None:
            error = next(iter(form.first_errors().values()), None)
        row = Opinion.with_names(Opinion.visible_to(g.user).where(Opinion.id == opinion.id)).first()
        return render_template("staff/opinions/_row.html", o=row, back=back, row_error=error)
    ctx = _status_context(opinion, form, conflict)
    ctx.update(_work_context(opinion), history=_history(opinion), oob=True)
    return render_template("staff/opinions/_status_changed.html", **ctx)


@bp.post("/<int:opinion_id>/trang-thai")
@roles_required(*WRITERS)
def status_post(opinion_id):
    """Move along the lifecycle; a refused move shows its reason and changes nothing."""
    opinion = _opinion_or_404(opinion_id)
    in_row = request.form.get("view") == "row"
    back = _safe_back(request.form.get("next"))

    def render(form, errors=None, current=None):
        if form.version.errors:
            abort(400)
        shown = current or opinion
        conflict = _conflict(current, "status") if current is not None else None
        if wants_fragment():
            return _status_fragment(shown, in_row, back, form, conflict)
        return _render_detail(shown, status_form=form, conflict=conflict)

    def save(form):
        try:
            return opinion.change_status(g.user, form.to.data, form.version.data, form.note.data)
        except TransitionError as error:
            form.to.errors.append(str(error))
            raise Refused({}) from None

    def done(saved):
        if wants_fragment():
            return _status_fragment(saved, in_row, back)
        return ("Ý kiến %s: %s." % (saved.code, saved.status_label),
                back if in_row else url_for("opinions.detail_get", opinion_id=saved.id))

    return edit_with_conflict(StatusForm(user=g.user, opinion=opinion), render, save, done)


@bp.post("/<int:opinion_id>/theo-doi")
@roles_required(*WRITERS)
def followup_post(opinion_id):
    """Add a progress entry, a reminder or a note; htmx appends it to the log and clears the form."""
    opinion = _opinion_or_404(opinion_id)
    if not opinion.can_edit(g.user):
        abort(403)

    def render(form, errors=None, current=None):
        if wants_fragment():
            return render_template("staff/opinions/_followup_added.html", opinion=opinion, entry=None,
                                   followup_form=form, first=False)
        return _render_detail(opinion, followup_form=form)

    def save(form):
        return opinion.add_followup(g.user, form.kind.data, form.note.data.strip(), form.percent_done.data)

    def done(entry):
        if not wants_fragment():
            return ("Đã ghi nhận %s." % entry.kind_label.lower(),
                    url_for("opinions.detail_get", opinion_id=opinion.id) + "#theo-doi")
        entry.user = g.user
        first = opinion.followups.count() == 1
        return render_template("staff/opinions/_followup_added.html", opinion=opinion, entry=entry,
                               followup_form=FollowUpForm(formdata=None), first=first, fresh=True)

    return edit_with_conflict(FollowUpForm(), render, save, done)
