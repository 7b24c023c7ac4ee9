"""Helpers shared by the views: the edit-with-conflict shape, load-or-404, fragment or page, pagination, the
documents' issuer."""
import math
from urllib.parse import urlencode

import peewee as pw
from flask import abort, current_app, flash, g, redirect, request
from htmx_flask import request as htmx_request

from forms import parse_id
from models import ConflictError


def document_issuer():
    """(province, place) for documents in the Decree 30 layout: "UBND TỈNH <province>", "<place>, ngày …"."""
    return current_app.config.get("PROVINCE_NAME", "…"), current_app.config.get("DOCUMENT_PLACE", "…")


def wants_fragment():
    """An htmx request for a part of the page (not boosted, not a history restore)."""
    hx = htmx_request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


class Page:
    """One page of a query: items plus what the pager needs.

    With `count_limit`, counting stops there (a register of 100,000 rows is not counted row by row
    on every keystroke): `total_is_capped` says so, and the pager offers the next page while the
    page query finds more rows. With `key` and `fetch` as well, the filtered query runs once,
    selecting only `key` in list order up to the cap; that list gives the count and the page's
    ids, and `fetch(ids)` loads those rows by primary key (a search is not evaluated twice).
    With `count` as well (`count(limit)`: the number of rows, counted up to `limit`, where that is
    cheaper than walking the list), only the page's ids are selected.
    """

    def __init__(self, query, page, per_page, count_limit=None, key=None, fetch=None, count=None):
        self.per_page = per_page
        page = max(1, page)
        start = (page - 1) * per_page
        rows = None
        if count_limit and key is not None and fetch is not None and count is not None:
            counted = count(count_limit + 1)
            self.total_is_capped = counted > count_limit
            self.total = min(counted, count_limit)
            known_pages = max(1, math.ceil(self.total / per_page))
            self.page = page if self.total_is_capped else min(page, known_pages)
            id_query = query.clone().select(key).limit(per_page + 1).offset((self.page - 1) * per_page)
            wanted = [row[0] for row in id_query.model._meta.database.execute(id_query).fetchall()]
            loaded = {row.id: row for row in fetch(wanted)} if wanted else {}
            rows = [loaded[i] for i in wanted if i in loaded]
        elif count_limit and key is not None and fetch is not None:
            id_query = query.clone().select(key).limit(count_limit + 1)
            ids = [row[0] for row in id_query.model._meta.database.execute(id_query).fetchall()]
            self.total_is_capped = len(ids) > count_limit
            self.total = min(len(ids), count_limit)
            known_pages = max(1, math.ceil(self.total / per_page))
            self.page = page if self.total_is_capped else min(page, known_pages)
            start = (self.page - 1) * per_page
            if start + per_page < len(ids) or not self.total_is_capped:
                wanted = ids[start:start + per_page + 1]
                loaded = {row.id: row for row in fetch(wanted)} if wanted else {}
                rows = [loaded[i] for i in wanted if i in loaded]
        elif count_limit:
            self.total = query.clone().order_by().select(query.model.id).limit(count_limit + 1).count()
            self.total_is_capped = self.total > count_limit
            self.total = min(self.total, count_limit)
        else:
            self.total = query.count()
            self.total_is_capped = False
        known_pages = max(1, math.ceil(self.total / per_page))
        if rows is None:
            self.page = page if self.total_is_capped else min(page, known_pages)
            if count_limit:  # one row more than a page tells whether another page follows
                rows = list(query.limit(per_page + 1).offset((self.page - 1) * per_page))
            else:  # `query` may also be a list sorted in Python (see models.Rows)
                rows = list(query.paginate(self.page, per_page))
        self.more = len(rows) > per_page
        self.items = rows[:per_page]
        if self.total_is_capped:
            self.pages = max(known_pages, self.page + (1 if self.more else 0))
        else:
            self.pages = known_pages

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.more if self.total_is_capped else self.page < self.pages

    @property
    def first_index(self):
        return 0 if not self.items else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self):
        return (self.page - 1) * self.per_page + len(self.items)

    def window(self, size=2):
        """Page numbers around the current one, with None for a gap (and at the end when capped)."""
        shown = {1, self.pages} | set(range(self.page - size, self.page + size + 1))
        out, last = [], 0
        for n in sorted(p for p in shown if 1 <= p <= self.pages):
            if n - last > 1:
                out.append(None)
            out.append(n)
            last = n
        if self.total_is_capped and self.more:
            out.append(None)
        return out


MAX_PAGE = 100_000


def page_arg(args=None):
    """?page= (or `args`' page) as a page number (1 when missing or nonsense; never beyond MAX_PAGE)."""
    return min(parse_id((request.args if args is None else args).get("page", "")) or 1, MAX_PAGE)


def int_arg(name):
    """An id from the query string, or None when missing or not a valid id."""
    return parse_id(request.args.get(name, ""))


def year_arg(name="year"):
    """A year from the query string, or None (outside 1900–9998 is ignored, not an error)."""
    year = parse_id(request.args.get(name, ""))
    return year if year and 1900 <= year <= 9998 else None


def show_list_at(path, args):
    """A list page rendered for a POST (the register after a bulk action) links as if it were at `path`?`args`."""
    g.list_url = (path, args)


def url_with(**changes):
    """The current URL's query string with some arguments changed (None removes one); see show_list_at."""
    path, args = g.get("list_url") or (request.path, request.args)
    args = args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return path + ("?" + query if query else "")


def form_version(form):
    """The version an edit form was opened at; 0 (never current) when missing or garbled."""
    try:
        return int(form.version.data or 0)
    except (TypeError, ValueError):
        return 0


def invalid_status():
    """422 for a plain form post; htmx swaps only 2xx answers, so it gets 200."""
    return 200 if wants_fragment() else 422


def get_or_404(query):
    """The query's first row, or 404 (for a record the user may not see too: never reveal it exists)."""
    row = query.first()
    if row is None:
        abort(404)
    return row


class Refused(Exception):
    """A save refused for a reason to print beside the fields: `errors` is {field name: message}."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


def edit_with_conflict(form, render, save, done, refused=None):
    """The one shape of every edit form's POST (like the peewee blog's `_create_or_edit`).

    Validate `form`; on errors, `render(form, errors=…)` with 422. Else `save(form)` the record: a
    `ConflictError` (someone saved it since it was opened) renders `render(form, current=<their
    version>)` with 409, the form now carrying their version
    so that saving again overwrites knowingly; `Refused` or an `IntegrityError` (answered by
    `refused`, {field: message}) renders the errors. Otherwise `done(saved)` gives the message and
    the URL of the 303 that follows, or a whole response of its own. An htmx request for a fragment
    gets every refusal with 200, since htmx swaps only 2xx answers.
    """
    if not form.validate():
        return render(form, errors=form.first_errors()), invalid_status()
    try:
        saved = save(form)
    except ConflictError as error:
        if hasattr(form, "version"):
            form.version.data = error.current.version
        return render(form, current=error.current), 200 if wants_fragment() else 409
    except Refused as error:
        return render(form, errors=error.errors), invalid_status()
    except pw.IntegrityError:
        if refused is None:
            raise
        return render(form, errors=refused), invalid_status()
    outcome = done(saved)
    if not isinstance(outcome, tuple):
        return outcome
    message, url = outcome
    flash(message, "success")
    return redirect(url, code=303)
