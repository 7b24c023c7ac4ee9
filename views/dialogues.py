"""Dialogues: list, detail, create, edit, lifecycle, minutes and fast entry of opinions."""
import functools

import peewee as pw
from flask import Blueprint, abort, current_app, flash, g, make_response, redirect, render_template, request, url_for

from forms.dialogues import (
    DialogueForm,
    StatusForm,
    conflict_fields,
    fast_entry_form,
    minutes_conflict_fields,
    minutes_form,
)
from models import (
    AUDIENCES,
    DIALOGUE_KINDS,
    DIALOGUE_STATUSES,
    AuditLog,
    ConclusionNotice,
    Dialogue,
    DialogueAttendee,
    Field,
    MinutesAnswer,
    Opinion,
    Plan,
    StatusChange,
    TransitionError,
    Unit,
    User,
    create_opinion,
    today,
)
from services import dialogues as dialogue_service
from services import documents, minutes
from services.text import person_sort_key
from views.auth import roles_required
from views.common import (
    Page,
    Refused,
    document_issuer,
    edit_with_conflict,
    get_or_404,
    page_arg,
    wants_fragment,
    year_arg,
)

bp = Blueprint("dialogues", __name__, url_prefix="/doi-thoai")

READERS = ("specialist", "unit_head", "coordinator", "leader", "chief")  # admin sees no content
EDITORS = ("coordinator", "chief")
RECORDERS = ("specialist", "unit_head", "coordinator", "chief")  # fast entry during a meeting
WHEN = {"upcoming": "Sắp diễn ra", "past": "Đã qua"}


# ---------------------------------------------------------------- helpers

def get_dialogue(dialogue_id):
    return get_or_404(Dialogue.select().where(Dialogue.id == dialogue_id))


def opinion_rows(base):
    """Opinions with the field and unit names in the same query (no N+1)."""
    return Opinion.with_names(base.order_by(Opinion.id))


def all_fields():
    return list(Field.select().order_by(Field.position, Field.name))


def status_context(dialogue, errors=None, message=None, form=None):
    history = list(StatusChange.for_object(dialogue))
    return {"dialogue": dialogue, "history": history, "status_errors": errors or {},
            "status_message": message, "status_form": form}


def detail_context(dialogue, **extra):
    """Everything the detail page shows; `extra` overrides (forms with errors)."""
    attendees = sorted(DialogueAttendee.select(DialogueAttendee, User, Unit).join(User)
                       .join(Unit, pw.JOIN.LEFT_OUTER).where(DialogueAttendee.dialogue == dialogue.id),
                       key=lambda a: person_sort_key(a.user.full_name))
    opinions = list(opinion_rows(Opinion.visible_to(g.user, Opinion.select()).where(Opinion.dialogue == dialogue.id)))
    notices = list(ConclusionNotice.select().where(ConclusionNotice.dialogue == dialogue.id)
                   .order_by(ConclusionNotice.created_at, ConclusionNotice.id))
    context = status_context(dialogue)
    context.update(fields=dialogue.fields_in_order(), attendees=attendees, opinions=opinions, notices=notices,
                   all_fields=all_fields(), entry_form=None, entry_errors={}, may_record=g.user.role in RECORDERS,
                   minutes_attendance=minutes.attendance_text(dialogue) if dialogue.attendance is not None else "—")
    context.update(extra)
    if context["entry_form"] is None:
        context["entry_form"] = fast_entry_form()
    return context


def saved_to_detail(message, anchor=None):
    """After a save: the message and the dialogue's page (at `anchor`)."""
    def done(dialogue):
        return message, url_for("dialogues.detail_get", dialogue_id=dialogue.id, _anchor=anchor)
    return done


# ---------------------------------------------------------------- list and detail

def list_filters():
    """The list's filters from the query string; unknown values are ignored."""
    args = request.args
    return {
        "year": year_arg(),
        "kind": args.get("kind") if args.get("kind") in DIALOGUE_KINDS else "",
        "audience": args.get("audience") if args.get("audience") in AUDIENCES else "",
        "status": args.get("status") if args.get("status") in DIALOGUE_STATUSES else "",
        "when": args.get("when") if args.get("when") in WHEN else "",
    }


@bp.get("/")
@roles_required(*READERS)
def list_get():
    """Dialogues, newest first, filtered, with the number of opinions raised at each."""
    filters = list_filters()
    query = Dialogue.with_opinion_count(g.user, Dialogue.filtered(**filters))
    page = Page(query.order_by(Dialogue.starts_at.desc(), Dialogue.id.desc()), page_arg(),
                current_app.config["PER_PAGE"])
    template = "staff/dialogues/_results.html" if wants_fragment() else "staff/dialogues/list.html"
    return render_template(template, page=page, filters=filters, years=Dialogue.years(), when=WHEN)


@bp.get("/<int:dialogue_id>")
@roles_required(*READERS)
def detail_get(dialogue_id):
    """One dialogue: facts, status and history, opinions raised, minutes, notices."""
    dialogue = get_dialogue(dialogue_id)
    return render_template("staff/dialogues/detail.html", **detail_context(dialogue))


# ---------------------------------------------------------------- create and edit

def form_page(form, dialogue=None, errors=None, current=None):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/dialogues/form.html", form=form, errors=errors or {}, dialogue=dialogue,
                           current=current, current_fields=conflict_fields(current) if current else [])


def links_of(form):
    return form.field_ids.data or [], form.attendee_ids.data or []


@bp.get("/moi")
@roles_required(*EDITORS)
def new_get():
    """The form for a new dialogue."""
    form = DialogueForm(formdata=None)
    plan = Plan.get_or_none(Plan.year == today().year)
    form.plan_id.data = plan.id if plan else None
    return form_page(form)


@bp.post("/moi")
@roles_required(*EDITORS)
def new_post():
    """Create a dialogue with its fields and attendees; its slug is made once, here."""
    def save(form):
        return dialogue_service.create_planned(g.user, form.values(), *links_of(form))

    def done(dialogue):
        return ("Đã tạo buổi đối thoại “%s”." % dialogue.title,
                url_for("dialogues.detail_get", dialogue_id=dialogue.id))

    return edit_with_conflict(DialogueForm(), form_page, save, done)


@bp.get("/<int:dialogue_id>/sua")
@roles_required(*EDITORS)
def edit_get(dialogue_id):
    """The edit form, filled with the stored values and their version."""
    dialogue = get_dialogue(dialogue_id)
    form = DialogueForm(formdata=None, dialogue=dialogue)
    form.fill(dialogue)
    return form_page(form, dialogue)


@bp.post("/<int:dialogue_id>/sua")
@roles_required(*EDITORS)
def edit_post(dialogue_id):
    """Save an edit unless someone saved the dialogue since it was opened (409 with their values)."""
    dialogue = get_dialogue(dialogue_id)

    def save(form):
        return dialogue_service.update(dialogue, form.version.data, g.user, form.values(), *links_of(form))

    return edit_with_conflict(DialogueForm(dialogue=dialogue), functools.partial(form_page, dialogue=dialogue),
                              save, saved_to_detail("Đã lưu thay đổi."))


# ---------------------------------------------------------------- lifecycle

def status_page(dialogue, errors=None, message=None, form=None):
    """The status panel for htmx, else the whole detail page."""
    if wants_fragment():
        return render_template("staff/dialogues/_status.html", **status_context(dialogue, errors, message, form))
    context = detail_context(dialogue)
    context.update(status_errors=errors or {}, status_message=message, status_form=form)
    return render_template("staff/dialogues/detail.html", **context)


@bp.post("/<int:dialogue_id>/trang-thai")
@roles_required(*EDITORS)
def status_post(dialogue_id):
    """Move the dialogue along its lifecycle; a step that is not allowed is refused with the reason."""
    dialogue = get_dialogue(dialogue_id)

    def render(form, errors=None, current=None):
        if current is not None:
            return status_page(current, {"to": (
                "Buổi đối thoại vừa được người khác cập nhật (trạng thái hiện tại: %s). "
                "Kiểm tra lại rồi thực hiện lần nữa." % current.status_label)}, form=form)
        return status_page(dialogue, errors, form=form)

    def save(form):
        try:
            return dialogue_service.move(dialogue, form.version.data, g.user, form.to.data,
                                         (form.note.data or "").strip())
        except TransitionError as refusal:
            raise Refused({"to": str(refusal)}) from None

    def done(saved):
        message = "Đã chuyển sang “%s”." % saved.status_label
        if wants_fragment():
            return render_template("staff/dialogues/_status.html", **status_context(saved, message=message))
        return message, url_for("dialogues.detail_get", dialogue_id=dialogue.id)

    return edit_with_conflict(StatusForm(), render, save, done)


# ---------------------------------------------------------------- minutes

MINUTES_READERS = ("coordinator", "leader", "chief")  # they read every opinion the minutes list


def minutes_page(dialogue, form, errors=None, current=None):
    if current is not None:
        current.updated_by_name = AuditLog.last_editor_name(current)
    return render_template("staff/dialogues/minutes.html", dialogue=dialogue, form=form, errors=errors or {},
                           entries=minutes.items(dialogue), blocked=dialogue_service.minutes_refusal(dialogue),
                           current=current, current_fields=minutes_conflict_fields(current) if current else [])


@bp.get("/<int:dialogue_id>/bien-ban")
@roles_required(*EDITORS)
def minutes_get(dialogue_id):
    """The minutes form (secretary, attendance by group, content, each opinion's answer and direction)."""
    dialogue = get_dialogue(dialogue_id)
    data = {name: getattr(dialogue, name) for name in (
        "attendance", "attendance_leaders", "attendance_staff", "attendance_citizens", "attendance_guests",
        "secretary", "discussion", "directions", "version")}
    for opinion_id, entry in MinutesAnswer.of_dialogue(dialogue).items():
        data["answer_%d" % opinion_id], data["direction_%d" % opinion_id] = entry.answer, entry.direction
    form = minutes_form(minutes.raised_opinions(dialogue), data=data)
    return minutes_page(dialogue, form), 409 if dialogue_service.minutes_refusal(dialogue) else 200


@bp.post("/<int:dialogue_id>/bien-ban")
@roles_required(*EDITORS)
def minutes_post(dialogue_id):
    """Save the minutes, with conflict detection."""
    dialogue = get_dialogue(dialogue_id)
    form = minutes_form(minutes.raised_opinions(dialogue), formdata=request.form)
    if dialogue_service.minutes_refusal(dialogue):
        return minutes_page(dialogue, form), 409

    def save(form):
        return minutes.save(dialogue, form.version.data, g.user, form.values(), form.answers())

    return edit_with_conflict(form, functools.partial(minutes_page, dialogue), save,
                              saved_to_detail("Đã lưu biên bản.", "bien-ban"))


def minutes_document(dialogue_id):
    """(the dialogue, its minutes as a document); a 409 page while it has not been held (no minutes yet)."""
    dialogue = get_dialogue(dialogue_id)
    refusal = dialogue_service.minutes_refusal(dialogue)
    if refusal:
        abort(make_response(render_template("errors/error.html", code=409, title="Chưa có biên bản",
                                            message=refusal), 409))
    return dialogue, minutes.administrative_document(dialogue, *document_issuer())


@bp.get("/<int:dialogue_id>/bien-ban/in")
@roles_required(*MINUTES_READERS)
def minutes_print_get(dialogue_id):
    """The minutes laid out like the signed document (Biên bản), for the browser's print command."""
    dialogue, doc = minutes_document(dialogue_id)
    return render_template("staff/dialogues/minutes_print.html", dialogue=dialogue, doc=doc,
                           number_line=documents.number_line(doc.number, doc.doc_type),
                           date_line=documents.date_line(doc.place, doc.signed_on, doc.year),
                           recipients=documents.recipient_lines(doc.recipients))


@bp.get("/<int:dialogue_id>/bien-ban.docx")
@roles_required(*MINUTES_READERS)
def minutes_docx_get(dialogue_id):
    """The minutes as DOCX (Decree 30 layout, type BIÊN BẢN)."""
    dialogue, doc = minutes_document(dialogue_id)
    data, filename = documents.render_docx(doc), minutes.docx_filename(dialogue)
    response = current_app.response_class(data, mimetype=documents.DOCX_CONTENT_TYPE)
    response.headers["Content-Disposition"] = 'attachment; filename="%s"' % filename
    return response


# ---------------------------------------------------------------- fast entry during a meeting

@bp.post("/<int:dialogue_id>/y-kien")
@roles_required(*RECORDERS)
def opinion_post(dialogue_id):
    """Record an opinion raised at this dialogue; htmx gets the new row and a cleared form."""
    dialogue = get_dialogue(dialogue_id)
    form = fast_entry_form(dialogue, request.form)
    fragment = wants_fragment()
    if not form.validate():
        errors = form.first_errors()
        if fragment:
            return render_template("staff/dialogues/_fast_entry.html", dialogue=dialogue, entry_form=form,
                                   entry_errors=errors, all_fields=all_fields())
        return render_template("staff/dialogues/detail.html",
                               **detail_context(dialogue, entry_form=form, entry_errors=errors)), 422
    opinion = create_opinion(g.user, **form.values())
    message = "Đã ghi nhận ý kiến %s." % opinion.code
    if not fragment:
        flash(message, "success")
        return redirect(url_for("dialogues.detail_get", dialogue_id=dialogue.id, _anchor="nhap-nhanh"), code=303)
    row = opinion_rows(Opinion.select().where(Opinion.id == opinion.id)).get()
    first = not (Opinion.visible_to(g.user, Opinion.select())
                 .where(Opinion.dialogue == dialogue.id, Opinion.id != opinion.id).exists())
    return render_template("staff/dialogues/_fast_entry.html", dialogue=dialogue, entry_form=fast_entry_form(),
                           entry_errors={}, all_fields=all_fields(), added=row, first=first,
                           entry_message=message, autofocus=True)
