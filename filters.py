"""The Jinja filters both apps use (the internal one and the public one): Vietnamese dates, Markdown, labels."""
from flask import g
from markupsafe import Markup

import models
from services import deadlines
from services.text import document_number, render_markdown
from views.common import url_with


def date_vn(value):
    """dd/mm/yyyy."""
    return value.strftime("%d/%m/%Y") if value else ""


def datetime_vn(value):
    """dd/mm/yyyy HH:MM."""
    return value.strftime("%d/%m/%Y %H:%M") if value else ""


def deadline_flag(deadline, closed=False):
    """None, "due_soon", "overdue" or "severe" for a deadline today.

    The day bounds of the flags are worked out once per request (one calendar query); each
    deadline is then two date comparisons, however old it is.
    """
    if closed or deadline is None:
        return None
    bounds = g.get("_flag_bounds")
    if bounds is None or bounds.today != models.today():
        bounds = g._flag_bounds = deadlines.flag_bounds(models.today(), calendar=deadlines.current_calendar())
    if deadline < bounds.severe_before:
        return "severe"
    if deadline < bounds.today:
        return "overdue"
    if deadline < bounds.due_soon_before:
        return "due_soon"
    return None


def deadline_badge(deadline, closed=False):
    """The flag as a badge: "sắp đến hạn", "quá hạn", "quá hạn nghiêm trọng" (or nothing)."""
    flag = deadline_flag(deadline, closed)
    if flag is None:
        return Markup("")
    return Markup(' <span class="badge %s">%s</span>') % (deadlines.FLAG_CLASSES[flag],
                                                          deadlines.FLAG_LABELS[flag].lower())


_BRACE = "\ue000"  # a private-use character stands for "{" while Markdown runs


def template_markdown(text):
    """An answer template's text as HTML, its {placeholders} shown as typed.

    Markdown's attribute lists would take a "{so}" that ends a heading or a paragraph for attributes;
    the brace is hidden from Markdown (an entity would show as "&#123;" in code) and put back after.
    """
    return Markup(render_markdown((text or "").replace(_BRACE, "").replace("{", _BRACE)).replace(_BRACE, "{"))


def register(app):
    """Install the filters and globals in `app`'s Jinja environment."""
    app.jinja_env.filters["date_vn"] = date_vn
    app.jinja_env.filters["datetime_vn"] = datetime_vn
    app.jinja_env.filters["markdown"] = lambda text: Markup(render_markdown(text))
    app.jinja_env.filters["template_markdown"] = template_markdown
    app.jinja_env.globals.update(
        url_with=url_with, today=models.today,
        ROLES=models.ROLES, OPINION_STATUSES=models.OPINION_STATUSES, OPINION_KINDS=models.OPINION_KINDS,
        CHANNELS=models.CHANNELS, AUDIENCES=models.AUDIENCES, DIALOGUE_KINDS=models.DIALOGUE_KINDS,
        DIALOGUE_STATUSES=models.DIALOGUE_STATUSES, OCCASIONS=models.OCCASIONS,
        UNIT_KINDS=models.UNIT_KINDS,
        deadline_flag=deadline_flag, deadline_badge=deadline_badge, document_number=document_number,
    )
