"""Helpers shared by the staff views: fragment or page, pagination, Markdown, forms."""
import math
from urllib.parse import urlencode

import markdown as md
import nh3
from flask import request
from htmx_flask import request as htmx_request

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                "blockquote", "code", "pre", "hr", "a", "table", "thead", "tbody", "tr", "th", "td"}


def wants_fragment():
    """An htmx request for a part of the page (not boosted, not a history restore)."""
    hx = htmx_request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request


def render_markdown(text):
    """Markdown to HTML with everything outside a small safe set removed."""
    html = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "th": {"align"},
                                                          "td": {"align"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


class Page:
    """One page of a query: items plus what the pager needs. Two queries: count and page."""

    def __init__(self, query, page, per_page):
        self.total = query.count()
        self.per_page = per_page
        self.pages = max(1, math.ceil(self.total / per_page))
        self.page = min(max(1, page), self.pages)
        self.items = list(query.paginate(self.page, per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def first_index(self):
        return 0 if self.total == 0 else (self.page - 1) * self.per_page + 1

    @property
    def last_index(self):
        return min(self.total, self.page * self.per_page)

    def window(self, size=2):
        """Page numbers around the current one, with None for a gap."""
        shown = {1, self.pages} | set(range(self.page - size, self.page + size + 1))
        out, last = [], 0
        for n in sorted(p for p in shown if 1 <= p <= self.pages):
            if n - last > 1:
                out.append(None)
            out.append(n)
            last = n
        return out


def page_arg():
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def url_with(**changes):
    """The current URL's query string with some arguments changed (None removes one)."""
    args = request.args.to_dict(flat=True)
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = value
    query = urlencode(args)
    return request.path + ("?" + query if query else "")
