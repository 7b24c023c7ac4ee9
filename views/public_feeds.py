"""The public site's feed, calendar and sitemap: what they list, and files typed as a web host types them."""
import mimetypes

import icalendar
from flask import current_app

import publication
from services.text import xml_text
from views.public_listing import listing_pages
from views.public_urls import public_url

FEED_ITEMS = 50


def typed(body, filename):
    """A response typed as a web host types the file (Frozen-Flask checks that they agree)."""
    return current_app.response_class(body, mimetype=mimetypes.guess_type(filename)[0])


def feed_entries():
    """(kind, updated_at, id, record) of the newest conclusions and dialogues, newest first."""
    entries = [("conclusion", c.updated_at, c.id, c) for c in publication.conclusions()]
    entries += [("dialogue", d.updated_at, d.id, d) for d in publication.dialogues()]
    entries.sort(key=lambda e: (e[1], e[0], e[2]), reverse=True)
    return entries[:FEED_ITEMS]


def calendar():
    """The public schedule as iCalendar (RFC 5545) bytes, one event per dialogue."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Van phong UBND tinh//Dan biet//VI")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Lịch đối thoại · Văn phòng UBND tỉnh")
    cal.add("x-wr-timezone", "Asia/Ho_Chi_Minh")
    for dialogue in publication.dialogues():
        url = public_url(".dialogue_page", slug=dialogue.slug)
        event = icalendar.Event()
        event.add("uid", "doi-thoai-%d@dan-biet" % dialogue.id)
        event.add("dtstamp", dialogue.updated_at.replace(tzinfo=publication.TZ))
        event.add("dtstart", dialogue.starts_at.replace(tzinfo=publication.TZ))
        if dialogue.ends_at:
            event.add("dtend", dialogue.ends_at.replace(tzinfo=publication.TZ))
        postponed = dialogue.status == "postponed"
        event.add("summary", ("[Hoãn] " if postponed else "") + dialogue.title)
        if dialogue.place:
            event.add("location", dialogue.place)
        event.add("description", "%s. %s. Chủ trì: %s. Lĩnh vực: %s. Tình trạng: %s.\n%s" % (
            dialogue.kind_label, dialogue.audience_label, dialogue.chair,
            "; ".join(f.name for f in dialogue.fields), dialogue.status_label, url))
        event.add("url", url)
        event.add("status", "TENTATIVE" if postponed else "CONFIRMED")
        cal.add_component(event)
    cal.add_missing_timezones()
    return xml_text(cal.to_ical().decode("utf-8")).encode("utf-8")  # no control character in an event's text


def site_pages():
    """(relative endpoint, values) of every HTML page of the site, in a stable order."""
    pages = [(".home", {}), (".plans", {})]
    pages += [(".plan_page", {"year": p.year}) for p in publication.plans()]
    pages.append((".schedule", {}))
    for year in publication.dialogue_years():
        pages.append((".schedule_year", {"year": year}))
        pages += [(".schedule_year", {"year": year, "page": n})
                  for n in listing_pages(len(publication.dialogues_in_year(year)))]
    pages += [(".dialogue_page", {"slug": d.slug}) for d in publication.dialogues()]
    pages.append((".conclusions", {}))
    pages += [(".conclusions", {"page": n}) for n in listing_pages(len(publication.conclusions()))]
    pages += [(".conclusion_page", {"conclusion_id": c.id}) for c in publication.conclusions()]
    for field in publication.fields():
        pages.append((".field_conclusions", {"field_code": field.code}))
        pages += [(".field_conclusions", {"field_code": field.code, "page": n})
                  for n in listing_pages(len(publication.conclusions_in_field(field.code)))]
    for year in publication.conclusion_years():
        pages.append((".year_conclusions", {"year": year}))
        pages += [(".year_conclusions", {"year": year, "page": n})
                  for n in listing_pages(len(publication.conclusions_in_year(year)))]
    pages += [(".statistics", {}), (".request_dialogue", {}), (".search", {}), (".open_data", {})]
    return pages
