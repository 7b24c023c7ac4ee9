"""The signed-in person's dashboard: their items, overdue items, upcoming dialogues, report deadlines."""
import peewee as pw
from flask import Blueprint, current_app, g, render_template

from models import OPEN_STATUSES, Conclusion, Dialogue, Opinion, Plan, Report, Unit, today
from services import intake_sync
from services.text import document_number, sort_key
from views.auth import login_required

bp = Blueprint("dashboard", __name__)

LIST_SIZE = 10


# What the two lists show of an opinion: number, content, deadline (and its badge), unit name.
LIST_COLUMNS = (Opinion.id, Opinion.code, Opinion.content, Opinion.deadline, Opinion.assigned_unit)


def opinion_rows(query):
    """Opinions with the unit's name loaded in the same query (no N+1)."""
    return (query.select_extend(Unit.name.alias("unit_name"))
            .join_from(Opinion, Unit, pw.JOIN.LEFT_OUTER, on=(Opinion.assigned_unit == Unit.id)))


def first_rows(query, *order):
    """The first LIST_SIZE opinions of `query` in `order`, with their unit names, in one query.

    The ids are picked by a subquery ordered from an index alone (sorting thousands of whole rows
    with their joins is what made a unit's dashboard slow); only those rows are then read, with
    only the columns the lists show, and put in order again.
    """
    ids = query.select(Opinion.id).order_by(*order).limit(LIST_SIZE)
    return list(opinion_rows(Opinion.select(*LIST_COLUMNS).where(Opinion.id.in_(ids))).order_by(*order).objects())


def opinion_counts(visible, mine_query, on):
    """Open, overdue and "mine" counts, each answered from an index.

    Overdue is counted as open minus the open ones not yet overdue (deadline today or later, or
    none): those are at most the last weeks' intake, whereas overdue items pile up with the backlog,
    so this walks the index over far fewer entries once the backlog is large (half the time of the
    dashboard on the 100,000-opinion bench). One pass with SUM(CASE …) reads every row instead.
    """
    open_count = visible.count()
    not_overdue = visible.where((Opinion.deadline >= on) | Opinion.deadline.is_null()).count()
    return {"open": open_count, "overdue": open_count - not_overdue, "mine": mine_query.count()}


def report_deadlines(on):
    """The current plan's report deadlines with the days left (negative once passed), in one query."""
    rows = list(Plan.select(Plan, Report).join(Report, pw.JOIN.LEFT_OUTER, on=(Report.plan == Plan.id),
                                                 attr="report_row")
                .where(Plan.year == on.year).order_by(Report.id))
    if not rows:
        return None, []
    plan = rows[0]
    existing = {r.report_row.kind: r.report_row for r in rows if r.report_row is not None}
    items = []
    for kind, label, due in (("midyear", "Báo cáo 6 tháng", plan.midyear_report_due),
                             ("annual", "Báo cáo năm", plan.annual_report_due)):
        if due:
            items.append({"kind": kind, "label": label, "due": due, "days_left": (due - on).days,
                          "report": existing.get(kind)})
    return plan, items


def conclusion_work(user, on):
    """"Kết luận cần thực hiện": a unit's open conclusions (a specialist's own first), or, for the
    coordinator, leaders and chief, the open and overdue counts by unit. A fixed number of queries."""
    if user.reads_everything:
        by_unit = sorted(({"unit_id": unit_id, "unit_name": name or "Chưa giao đơn vị", "open": count,
                           "overdue": int(late or 0)} for unit_id, name, count, late in Conclusion.open_by_unit(on)),
                         key=lambda r: (-r["overdue"], -r["open"], sort_key(r["unit_name"])))
        return {"by_unit": by_unit, "items": [], "open": sum(r["open"] for r in by_unit),
                "overdue": sum(r["overdue"] for r in by_unit)}
    active = Conclusion.active(Conclusion.visible_to(user, Conclusion.in_force()))
    order = [Conclusion.deadline.asc(nulls="LAST"), Conclusion.id]
    if user.role == "specialist":
        order.insert(0, pw.Case(None, [(Conclusion.responsible_user == user.id, 0)], 1))
    items = list(Conclusion.with_names(active).order_by(*order).limit(LIST_SIZE).objects())
    total, late = Conclusion.count_open_and_overdue(active, on)
    return {"by_unit": [], "items": items, "open": total, "overdue": late}


@bp.get("/")
@login_required
def index():
    """What needs the signed-in person's attention today."""
    user, on = g.user, today()
    mine = overdue = []
    counts = {}
    conclusions = None
    if user.role != "admin":
        visible = Opinion.visible_to(user).where(Opinion.status.in_(OPEN_STATUSES))
        if user.role == "specialist":
            mine_condition = Opinion.assigned_to == user.id
        elif user.role == "unit_head":
            mine_condition = None  # the whole unit's open items are theirs
        else:
            mine_condition = Opinion.status == "received"
        mine_query = visible if mine_condition is None else visible.where(mine_condition)
        mine = first_rows(mine_query, Opinion.deadline.asc(nulls="LAST"), Opinion.id)
        overdue = first_rows(visible.where(Opinion.deadline < on), Opinion.deadline, Opinion.id)
        counts = opinion_counts(visible, mine_query, on)
        conclusions = conclusion_work(user, on)
    upcoming = list(Dialogue.upcoming(on).select(Dialogue.id, Dialogue.title, Dialogue.starts_at, Dialogue.place)
                    .limit(5))  # only what the list shows
    plan, deadlines = report_deadlines(on)
    intake_warning = intake_sync.stale_warning(current_app.config) if user.role in ("coordinator", "chief") else None
    return render_template("staff/dashboard/index.html", mine=mine, overdue=overdue, counts=counts,
                           intake_warning=intake_warning,
                           upcoming=upcoming, plan=plan, deadlines=deadlines, on=on,
                           conclusions=conclusions, notice_number_text=document_number)
