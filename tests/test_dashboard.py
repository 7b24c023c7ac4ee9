"""The dashboard's opinion counts agree with counts made here, one by one, for each role."""
import re

import pytest
from bs4 import BeautifulSoup

import models
from tests.conftest import user


def _figures(response):
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    found = {}
    for item in page.select("li"):
        strong = item.find("strong")
        if strong and re.fullmatch(r"\d+", strong.get_text(strip=True)):
            found[item.get_text(" ", strip=True)[len(strong.get_text(strip=True)):].strip()] = int(
                strong.get_text(strip=True))
    return found


def _expected(username):
    person = user(username)
    today = models.today()
    opinions = [o for o in models.Opinion.select() if o.status in models.OPEN_STATUSES]
    if person.role == "specialist":
        seen = [o for o in opinions if (o.kind != "denunciation" and o.assigned_unit_id == person.unit_id)
                or o.assigned_to_id == person.id]
        mine = [o for o in seen if o.assigned_to_id == person.id]
    elif person.role == "unit_head":
        seen = [o for o in opinions if o.assigned_unit_id == person.unit_id]
        mine = seen
    else:
        seen = opinions if person.role in ("coordinator", "chief") else [
            o for o in opinions if o.kind != "denunciation"]
        mine = [o for o in seen if o.status == "received"]
    overdue = [o for o in seen if o.deadline and o.deadline < today]
    return len(mine), len(seen), len(overdue)


@pytest.mark.parametrize("username", ["specialist", "unit_head", "coordinator", "leader", "chief"])
def test_dashboard_counts_match_independent_counts(login, db, username):
    figures = _figures(login(username).get("/"))
    mine, open_, overdue = _expected(username)
    assert figures["ý kiến đang xử lý"] == open_
    assert figures["ý kiến quá hạn"] == overdue
    mine_label = next(k for k in figures if k.startswith("ý kiến") and k not in ("ý kiến đang xử lý",
                                                                                    "ý kiến quá hạn"))
    assert figures[mine_label] == mine
    assert open_ > 0


def test_report_deadlines_link_this_years_report_and_offer_the_missing_one(login, db):
    """Plan and reports come from one query: a report of the plan is linked, the other kind can be created."""
    plan = models.Plan.get(models.Plan.year == models.today().year)
    report = models.Report.get(models.Report.plan == plan.id)
    other = "annual" if report.kind == "midyear" else "midyear"
    page = BeautifulSoup(login("coordinator").get("/").get_data(as_text=True), "html.parser")
    section = page.find(id="reports-h").parent
    hrefs = [a["href"] for a in section.find_all("a")]
    assert "/bao-cao/%d" % report.id in hrefs
    assert any(href.startswith("/bao-cao/") and "kind=%s" % other in href for href in hrefs)
    assert len(section.find_all("li")) == 2
