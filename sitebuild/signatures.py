"""Build signatures: what each public page is made from, digested, so that a rebuild keeps unchanged files.

The generators below give Frozen-Flask every public URL; with the signatures of the previous
build, each comes with a last_modified that tells the freezer to keep the file it finds.
"""
import dataclasses
import datetime as dt
import hashlib

import models
import publication
from services import memo
from views import public_feeds, public_pages
from views.public_listing import Listing

UNCHANGED = dt.datetime(2000, 1, 1)  # a last_modified older than any file a build writes


def page_key(endpoint, values):
    """A page's name in the signatures a build keeps (stable across builds)."""
    return "%s %r" % (endpoint, sorted(values.items()))


def page_signature(endpoint, values):
    """A digest of everything a page with arguments is rendered from (None when there is no such page).

    The records of publication.py are frozen dataclasses of plain values, so their repr is the
    page's data: summaries, unit and field names, statuses, dates, linked dialogue, paging.
    """
    found = public_pages.PAGE_CONTEXTS[endpoint.rpartition(".")[2]](**values)
    if found is None:
        return None
    template, context = found
    parts = [template]
    for key, value in context.items():  # _describe(found), less its calls for the usual values
        parts.append(key)
        if type(value) in _SIGNED and value.signature:
            parts.append(value.signature)
        else:
            _describe(value, parts)
    return _page_digest(parts)


_PLAIN = frozenset((str, int, bool, type(None), dt.date, dt.datetime))


_SIGNED = frozenset((publication.PublicConclusion, publication.PublicDialogue))  # records with a signature


def _describe(value, parts):
    """The text of a page's template and context: its records' reprs (each worked out once a build)."""
    kind = type(value)
    if kind in _SIGNED and value.signature:
        parts.append(value.signature)
    elif kind in _PLAIN:
        parts.append(repr(value))
    elif kind is list or kind is tuple:
        parts.append("[%d" % len(value))
        first = type(value[0]) if value else None
        if dataclasses.is_dataclass(first) and all(type(item) is first for item in value):
            parts.extend(map(memo.record_repr, value))  # a list of records, as below but at once
            return
        for item in value:
            _describe(item, parts)
    elif isinstance(value, dict):
        parts.append("{%d" % len(value))
        for key, item in value.items():
            parts.append(repr(key))
            _describe(item, parts)
    elif isinstance(value, Listing):
        parts.append("Listing(total=%d, pages=%d, page=%r)" % (value.total, value.pages, value.page))
        _describe(value.items, parts)
    elif dataclasses.is_dataclass(value):
        parts.append(memo.record_repr(value))
    else:
        parts.append(repr(value))


# What each page without arguments is made from, besides the code and the content (the build's
# fingerprint): the same functions its view reads.
FIXED_PAGE_INPUTS = {
    "home": public_pages.home, "plans": publication.plans, "schedule": public_pages.schedule,
    "statistics": publication.statistics, "request_dialogue": public_pages.request_dialogue, "search": tuple,
    "open_data": public_pages.open_data, "not_found_page": tuple, "conclusions_csv": publication.conclusions,
    "conclusions_json": publication.conclusions, "schedule_csv": publication.dialogues,
    "schedule_json": publication.dialogues, "feed": public_feeds.feed_entries, "calendar": publication.dialogues,
    "sitemap": lambda: repr(public_feeds.site_pages()),  # plain values: their repr is all of it
}


def _signature(value):
    parts = []
    _describe(value, parts)
    return _page_digest(parts)


def _page_digest(parts):
    """A page's signature: a digest of its template's name and its context's description."""
    return hashlib.blake2b("\n".join(parts).encode("utf-8"), digest_size=16).hexdigest()


def _each(function, pages):
    return [function(endpoint, values) for endpoint, values in pages]


def _dated(pages, signature, previous, signatures, mapper=None):
    """(endpoint, values[, last_modified]) of `pages`, as url_generators() says.

    `mapper(signature, pages)` gives the pages' signatures in order (build.py may share them
    out over processes); by default one after the other.
    """
    if previous is None and signatures is None:
        return pages
    dated = []
    for (endpoint, values), current in zip(pages, (mapper or _each)(signature, pages), strict=True):
        key = page_key(endpoint, values)
        if signatures is not None:
            signatures[key] = current
        if previous is None:
            dated.append((endpoint, values))
        else:
            dated.append((endpoint, values, UNCHANGED if previous.get(key) == current else None))
    return dated


def url_generators(previous=None, signatures=None, mapper=None):
    """(endpoint, values) of every public page that takes arguments, for Frozen-Flask.

    With `previous`, the signatures ({page_key: page_signature}) of the build carried forward,
    each page comes as (endpoint, values, last_modified): UNCHANGED when its signature is the
    same, so that Frozen-Flask keeps the file it finds; None when the page changed or is new.
    A dict `signatures` receives this build's signatures. Records read here are those the
    pages are rendered from (inside services.memo.build_cache(), one snapshot for both).

    The rows are read inside one connection and materialised before the first yield (a lazy
    cursor would outlive the connection while the freezer serves pages).
    """
    with models.db.connection_context():
        pages = [("public" + endpoint, values) for endpoint, values in public_feeds.site_pages() if values]
        pages = _dated(pages, page_signature, previous, signatures, mapper)
    yield from pages


def fixed_page_generators(previous=None, signatures=None):
    """(endpoint, {}[, last_modified]) of every page and file without arguments, as url_generators().

    Their signature is that of what FIXED_PAGE_INPUTS gives for them (build.py registers this
    generator in place of Frozen-Flask's own for rules without arguments).
    """
    by_input = {}  # the open data and the calendar share their inputs: each digested once

    def signature(endpoint, values):
        source = FIXED_PAGE_INPUTS[endpoint.rpartition(".")[2]]
        if source not in by_input:
            by_input[source] = _signature(source())
        return by_input[source]

    with models.db.connection_context():
        pages = _dated([("public." + name, {}) for name in FIXED_PAGE_INPUTS], signature, previous, signatures)
    yield from pages
