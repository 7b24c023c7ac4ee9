"""Paged lists of the public site: numbered pages counted from the oldest item, so they keep their items."""
import math

from flask import abort

PER_PAGE = 20  # items per list page


class Listing:
    """A list paged from its oldest item, so that a numbered page keeps its items as new ones come.

    `page=None` is the list's landing page: the newest PER_PAGE items. Page k holds items
    (k-1)*PER_PAGE+1 … k*PER_PAGE counted from the oldest; both show the newest first.
    """

    def __init__(self, items, page=None):
        self.total = len(items)
        self.per_page = PER_PAGE
        self.pages = math.ceil(self.total / PER_PAGE) if self.total > PER_PAGE else 0
        if page is None:
            chosen = items[-PER_PAGE:]
        elif 1 <= page <= self.pages:
            chosen = items[(page - 1) * PER_PAGE:page * PER_PAGE]
        else:
            abort(404)
        self.page = page
        self.items = list(reversed(chosen))

    def __repr__(self):  # what a page shows of it, for url_generators()' signatures
        return "Listing(total=%d, pages=%d, page=%r, items=%r)" % (self.total, self.pages, self.page, self.items)

    @property
    def first_number(self):
        return (self.page - 1) * PER_PAGE + 1 if self.page else max(1, self.total - PER_PAGE + 1)

    @property
    def last_number(self):
        return self.first_number + len(self.items) - 1

    def window(self):
        """Page numbers to link: the first, and those near this page (near the last on the landing)."""
        if not self.pages:
            return []
        centre = self.page or self.pages
        shown = {1} | {n for n in range(centre - 2, centre + 3) if 1 <= n <= self.pages}
        return sorted(shown)

    @property
    def newer(self):
        return self.page + 1 if self.page and self.page < self.pages else None

    @property
    def older(self):
        return self.page - 1 if self.page and self.page > 1 else None


def listing_pages(total):
    """The numbered pages of a list of `total` items (none while one page holds them all)."""
    return range(1, math.ceil(total / PER_PAGE) + 1) if total > PER_PAGE else range(0)
