"""The signed-in person's dashboard: their items, overdue items, upcoming dialogues, report deadlines."""
import peewee as pw
from flask import Blueprint, g, render_template

from models import OPEN_STATUSES, Dialogue, Field, Opinion, Plan, Unit, User, today
from views.auth import login_required

bp = Blueprint("dashboard", __name__)

LIST_SIZE = 10


def opinion_rows(query):
    """Opinions with the unit, field and assignee loaded in the same query (no N+1)."""
    assignee = User.alias()
    return (query.select_extend(Unit.name.alias("unit_name"), Field.name.alias("field_name"),
                                 assignee.full_name.alias("assignee_name"))
            .join_from(Opinion, Unit, pw.JOIN.LEFT_OUTER, on=(Opinion.assigned_unit == Unit.id))
            .join_from(Opinion, Field, pw.JOIN.LEFT_OUTER, on=(Opinion.field == Field.id))
            .join_from(Opinion, assignee, pw.JOIN.LEFT_OUTER, on=(Opinion.assigned_to == assignee.id)))


def report_deadlines(on):
    """The current plan's report deadlines with the days left (negative once passed)."""
    plan = Plan.get_or_none(Plan.year == on.year)
    if plan is None:
        return plan, []
    items = []
    for label, due in (("Báo cáo 6 tháng", plan.midyear_report_due), ("Báo cáo năm", plan.annual_report_due)):
        if due:
            items.append({"label": label, "due": due, "days_left": (due - on).days})
    return plan, items


@bp.get("/")
@login_required
def index():
    """What needs the signed-in person's attention today."""
    user, on = g.user, today()
    mine = overdue = []
    counts = {}
    if user.role != "admin":
        visible = Opinion.visible_to(user).where(Opinion.status.in_(OPEN_STATUSES))
        if user.role == "specialist":
            mine_query = visible.where(Opinion.assigned_to == user.id)
        elif user.role == "unit_head":
            mine_query = visible
        else:
            mine_query = visible.where(Opinion.status == "received")
        mine = list(opinion_rows(mine_query).order_by(Opinion.deadline.asc(nulls="LAST"), Opinion.id)
                    .limit(LIST_SIZE).objects())
        overdue = list(opinion_rows(visible.where(Opinion.deadline < on)).order_by(Opinion.deadline, Opinion.id)
                       .limit(LIST_SIZE).objects())
        counts = {
            "open": visible.count(),
            "overdue": visible.where(Opinion.deadline < on).count(),
            "mine": mine_query.count(),
        }
    upcoming = list(Dialogue.upcoming(on).limit(5))
    plan, deadlines = report_deadlines(on)
    return render_template("staff/dashboard/index.html", mine=mine, overdue=overdue, counts=counts,
                           upcoming=upcoming, plan=plan, deadlines=deadlines, on=on)
