"""What each public page is rendered from, read from the gate: the views render it, the build digests it.

A page with arguments gives (template, context), or None when there is no such page; a page
without arguments gives its context. What decides a page's content is thus also what decides
whether a build may keep its file (sitebuild.signatures).
"""
import publication
from views.public_listing import Listing

YEAR_PREVIEW = 8  # past dialogues shown per year on the schedule page
HOME_ITEMS = 5


# ---------------------------------------------------------------- pages without arguments


def home():
    return dict(upcoming=publication.upcoming_dialogues()[:HOME_ITEMS],
                resolved=publication.latest_resolved(HOME_ITEMS), figures=publication.statistics().figures[:4])


def schedule():
    past = publication.past_dialogues()
    years = []
    for year in publication.dialogue_years():
        of_year = [d for d in past if d.year == year]
        if of_year:
            years.append((year, of_year[:YEAR_PREVIEW], len(of_year)))
    return dict(upcoming=publication.upcoming_dialogues(), years=years)


def open_data():
    return dict(conclusion_count=len(publication.conclusions()), dialogue_count=len(publication.dialogues()))


def request_dialogue():
    return publication.content_page("yeu-cau-doi-thoai")


# ---------------------------------------------------------------- pages with arguments: (template, context)


def plan_page(year):
    plan = publication.plan(year)
    return None if plan is None else ("public/plan.html", {"plan": plan})


def schedule_year(year, page=None):
    items = list(reversed(publication.dialogues_in_year(year)))  # oldest first, for paging
    if not items:
        return None
    return "public/schedule_year.html", {"year": year, "listing": Listing(items, page)}


def dialogue_page(slug):
    dialogue = publication.dialogue(slug)
    if dialogue is None:
        return None
    return "public/dialogue.html", {"dialogue": dialogue,
                                    "conclusions": publication.conclusions_of_dialogue(dialogue.id)}


def conclusion_page(conclusion_id):
    conclusion = publication.conclusion(conclusion_id)
    return None if conclusion is None else ("public/conclusion.html", {"conclusion": conclusion})


def conclusions(page=None):
    return _conclusion_list(publication.conclusions(), page, ".conclusions", {}, "Kết luận đã công bố")


def field_conclusions(field_code, page=None):
    field = publication.field(field_code)
    if field is None:
        return None
    return _conclusion_list(publication.conclusions_in_field(field_code), page, ".field_conclusions",
                            {"field_code": field_code}, "Kết luận lĩnh vực %s" % field.name.lower(), field=field)


def year_conclusions(year, page=None):
    items = publication.conclusions_in_year(year)
    if not items:
        return None
    return _conclusion_list(items, page, ".year_conclusions", {"year": year}, "Kết luận năm %d" % year, year=year)


def _conclusion_list(items, page, endpoint, values, heading, **context):
    return "public/conclusions.html", dict(
        listing=Listing(items, page), endpoint=endpoint, values=values, heading=heading, fields=publication.fields(),
        years=publication.conclusion_years(), **context)


# By endpoint name: the pages with arguments.
PAGE_CONTEXTS = {"plan_page": plan_page, "schedule_year": schedule_year, "dialogue_page": dialogue_page,
                 "conclusions": conclusions, "conclusion_page": conclusion_page,
                 "field_conclusions": field_conclusions, "year_conclusions": year_conclusions}
