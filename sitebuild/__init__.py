"""The machinery of building the public site: freezer, workers, state, links, search, publish.

Here only what its modules share: the error that keeps the current site and the search index's folder.
"""

SEARCH_INDEX = "pagefind"  # written by the search indexer after freezing; the freezer keeps it


class BuildError(Exception):
    """A build that must not replace the current site; str() says why (in Vietnamese)."""
