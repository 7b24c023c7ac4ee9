"""Frozen-Flask over the public-only app: the freezer, its URL generators and one freeze of the site."""
import contextlib
import datetime as dt
import gc
import unicodedata
import warnings
from pathlib import PosixPath
from urllib.parse import unquote, urlsplit

import flask
from flask_frozen import Freezer, FrozenFlaskWarning, walk_directory

import models
from services import memo
from sitebuild import SEARCH_INDEX, BuildError, state
from sitebuild import signatures as page_signatures
from sitebuild import workers as processes
from views import public
from views.public_urls import quick_builder


def make_freezer(app, destination, base_url):
    """A Freezer for the public-only `app` writing into `destination`.

    Relative URLs for pages; the freezer's own base URL is only the origin (scheme and host):
    a base URL with a path together with relative URLs breaks links in Frozen-Flask 1.0.2.
    """
    origin = urlsplit(base_url)
    app.config.update(
        FREEZER_DESTINATION=str(destination),
        FREEZER_BASE_URL="%s://%s/" % (origin.scheme, origin.netloc),
        FREEZER_RELATIVE_URLS=True,
        FREEZER_REMOVE_EXTRA_FILES=True,
        FREEZER_DESTINATION_IGNORE=[SEARCH_INDEX + "/"],
        FREEZER_REDIRECT_POLICY="error",  # a redirect cannot be a static file
        FREEZER_IGNORE_404_NOT_FOUND=False,
        FREEZER_IGNORE_MIMETYPE_WARNINGS=False,
        FREEZER_SKIP_EXISTING=False,
    )
    # The rules without arguments come from sitebuild.page_signatures.fixed_page_generators, with signatures.
    freezer = ShareFreezer(app, with_no_argument_rules=False)

    def defaulted_rules():
        """Rules whose every argument has a default (`/ket-luan/` with page=None): Frozen-Flask's own
        generator takes them for rules with arguments and leaves them to whoever links to them."""
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and rule.arguments and rule.arguments <= set(rule.defaults or ()):
                yield rule.endpoint, {}
    freezer.register_generator(defaulted_rules)
    return freezer


def local_time(value):
    """A record's time (Vietnam wall clock, as stored) as the naive local time of file mtimes."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=models.TZ)
    else:  # a date: the page may have changed until the end of that day
        aware = dt.datetime.combine(value + dt.timedelta(days=1), dt.time(), tzinfo=models.TZ)
    return aware.astimezone().replace(tzinfo=None)


def register_generators(freezer, items, allow_skip):
    """Register the public app's (endpoint, values[, last_modified]) items, already materialised.

    A last_modified lets Frozen-Flask skip a page whose file is newer than its records; it is
    honoured only when `allow_skip` (same code, base URL and day as the build carried forward).
    """
    def url_generators():
        for item in items:
            if len(item) == 3:
                endpoint, values, last_modified = item
                if allow_skip and last_modified is not None:
                    yield endpoint, values, local_time(last_modified)
                    continue
                item = (endpoint, values)
            yield item
    freezer.register_generator(url_generators)


class ReplacingPath(PosixPath):
    """A path whose write_bytes writes a new file and renames it over the old one (state.write_new).

    Frozen-Flask writes a page with path.write_bytes over the file it finds, and in a build
    carried forward that file is a hard link to the previous build's, which is on show: written
    in place, the site would change under the visitors before the flip, and stay changed after a
    failed build. Paths made from this one (root / name) are of this class too.
    """

    def write_bytes(self, data):
        state.write_new(self, data)
        return len(data)


class ShareFreezer(Freezer):
    """Frozen-Flask's Freezer, able to render only a share of the URLs (for a worker process).

    Every worker runs the whole of Frozen-Flask's freeze over the same URLs; `_build_one` renders
    the URLs of its own share and gives the others' paths without touching them. A URL that no
    generator gave (found only through url_for while rendering) falls to one worker by the same
    rule, but only the workers that met it know it: the parent checks that none was left out.
    """

    workers = 1  # processes sharing the URLs
    share = 0  # this one's
    _generated = frozenset()  # (endpoint, sorted values) given by the generators

    @property
    def root(self):
        """Frozen-Flask's root, made once (a Path built three times a URL is much of a kept page's cost)."""
        key = (self.app.root_path, self.app.config["FREEZER_DESTINATION"])
        if getattr(self, "_root", (None,))[0] != key:
            self._root = (key, ReplacingPath(super().root))
        return self._root[1]

    def _build_one(self, url, last_modified=None):
        if self.workers > 1 and processes.owner(url, self.workers) != self.share:
            return self.root / unicodedata.normalize("NFC", self.urlpath_to_filepath(url))
        return super()._build_one(url, last_modified)

    def logged_urls(self):
        """url_for calls made while rendering, each (endpoint, values) once, those generated aside.

        Frozen-Flask replays every logged call through url_for; pages repeat their menus.
        """
        seen = set(self._generated)
        while self.url_for_logger.logged_calls:
            endpoint, values = self.url_for_logger.logged_calls.popleft()
            key = (endpoint, tuple(sorted(values.items())))
            if key not in seen:
                seen.add(key)
                yield endpoint, values


def site_items(app, previous=None, signatures=None, mapper=None):
    """The public app's (endpoint, values[, last_modified]) items: pages without arguments, then the others.

    Rows are read once, inside the generators' connection (call within memo.build_cache()):
    the pages without arguments read every kind of record, so that those with arguments, many
    more, have their signatures worked out from what is already read (`mapper`: see
    sitebuild.signatures._dated; sitebuild.workers.forked_map shares them out over two processes).
    """
    with app.app_context():
        fixed = list(page_signatures.fixed_page_generators(previous=previous, signatures=signatures))
        return [*fixed, *page_signatures.url_generators(previous=previous, signatures=signatures, mapper=mapper)]


def count_urls(freezer):
    """How many pages the freezer's generators give, without building their URLs."""
    logger = freezer.url_for_logger.iter_calls
    freezer.url_for_logger.iter_calls = lambda: iter(())
    try:
        return len({(item[0], tuple(sorted(item[1].items()))) if isinstance(item, tuple) else item
                    for generator in freezer.url_generators for item in generator()})
    finally:
        freezer.url_for_logger.iter_calls = logger


def freeze(app, destination, base_url, progress=None, allow_skip=False, previous=None, signatures=None, workers=1,
           existing=None, carry=None):
    """Freeze `app` into `destination` (over what is there); returns the number of pages.

    `previous` holds the page signatures of the build carried forward (honoured only when
    `allow_skip`): a page whose signature is unchanged keeps its file. `signatures`, a dict,
    receives this build's. `workers` > 1 renders the pages over that many processes, each with
    Frozen-Flask's own freeze over its share of the URLs; None chooses by the work to do.
    `existing`, the files in `destination` before (relative paths, the search index aside), spares
    a walk of the folder to remove those no URL gave. `carry`, a memo.Carry, lends the open-data
    lines of the records unchanged since the previous build (honoured only when `allow_skip`) and
    receives this build's. Frozen-Flask's warnings are errors: an
    endpoint without a URL generator or a file whose extension does not match its Content-Type
    aborts the build.
    """
    freezer = make_freezer(app, destination, base_url)
    if carry is not None and not allow_skip:
        carry.previous = {}
    with memo.build_cache(carry), warnings.catch_warnings(), _collector_resumed():  # one snapshot of the data
        warnings.simplefilter("error", FrozenFlaskWarning)
        with _collector_paused():
            items = site_items(app, previous if allow_skip else None, signatures,
                               mapper=processes.forked_map if workers is None or workers > 1 else None)
        kept = kept_paths(app, freezer, items, existing) if allow_skip and existing is not None else {}
        frozen = [item for index, item in enumerate(items) if index not in kept]  # through Frozen-Flask's loop
        register_generators(freezer, frozen, allow_skip)
        with app.test_request_context():
            total = count_urls(freezer)
        freezer._generated = {(item[0], tuple(sorted(item[1].items()))) for item in items}
        freezer.url_for_logger.iter_calls = freezer.logged_urls
        if workers is None:
            skipped = sum(1 for item in frozen if allow_skip and len(item) == 3 and item[2] is not None)
            workers = processes.how_many(total - skipped)
        remove_extra = freezer.app.config["FREEZER_REMOVE_EXTRA_FILES"]
        if workers > 1 or existing is not None:
            freezer.app.config["FREEZER_REMOVE_EXTRA_FILES"] = False  # done below, once
        try:
            if workers > 1:
                processes.warm(app)
                done, total, built = processes.freeze_in_workers(freezer, total, workers, progress)
            else:
                done, built = 0, set()
                for page in freezer.freeze_yield():
                    built.add(page.path.as_posix())
                    done += 1
                    total = max(total, done)
                    if progress:
                        progress(done, total, page.url)
        finally:
            freezer.app.config["FREEZER_REMOVE_EXTRA_FILES"] = remove_extra
    built |= set(kept.values())
    done += len(kept)
    if remove_extra and (workers > 1 or existing is not None):
        remove_extras(freezer, built, existing)
    if progress and done != total:
        progress(done, done, "")
    return done


def freeze_database(destination, base_url, database_url, progress, allow_skip, **options):
    """freeze() the public app of the database at `database_url`; its failures as BuildError.

    The `options` are those of freeze(). The database's connections are closed afterwards.
    """
    app = public.create_public_app({"DATABASE_URL": database_url, "PUBLIC_BASE_URL": base_url})
    try:
        return freeze(app, destination, base_url, progress, allow_skip, **options)
    except FrozenFlaskWarning as warning:
        raise BuildError("Thiếu trang hoặc sai kiểu tệp: %s" % warning) from warning
    except ValueError as error:
        if "Unexpected status" not in str(error):
            raise
        raise BuildError("Một trang không xuất được: %s" % error) from error
    finally:
        if not models.db.is_closed():
            models.db.close()
        if hasattr(models.db.obj, "close_all"):
            models.db.obj.close_all()


@contextlib.contextmanager
def _collector_resumed():
    """What _collector_paused() moved out of the collector's reach comes back at the end of the block."""
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def _collector_paused():
    """Python's cyclic garbage collector paused while the data are read and the signatures worked out.

    That makes hundreds of thousands of objects that live for the whole build (the records, their
    signatures), and each full collection walked them all again: 0.7 s of a 5 s one-change rebuild.
    Afterwards they are moved out of the collector's reach (gc.freeze) until the build ends.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def kept_paths(app, freezer, items, existing):
    """{index in items: file path} of the pages whose signature is unchanged and whose file is there.

    These are kept without going through Frozen-Flask's loop (a test client request context and
    a stat a page, most of a one-change rebuild). The first item of each endpoint still goes
    through it (kept there by its last_modified), so that Frozen-Flask sees every endpoint.
    """
    script_name = freezer._script_name()
    kept, seen = {}, set()
    with app.test_request_context(base_url=script_name or None):
        adapter = flask.globals.request_ctx.url_adapter
        build = quick_builder(lambda endpoint, values: unquote(adapter.build(endpoint, values)))
        for index, item in enumerate(items):
            if len(item) != 3 or item[2] is not page_signatures.UNCHANGED or item[0] not in seen:
                seen.add(item[0])
                continue
            url = build(item[0], item[1])
            path = unicodedata.normalize("NFC", freezer.urlpath_to_filepath(url[len(script_name):]))
            if path in existing:
                kept[index] = path
    return kept


def remove_extras(freezer, built, existing=None):
    """Remove the files of the previous build that no URL gave, as Frozen-Flask's freeze does."""
    root = freezer.root
    if existing is None:
        existing = walk_directory(root, ignore=freezer.app.config["FREEZER_DESTINATION_IGNORE"])
    for name in sorted(set(existing) - set(built)):
        extra = root / name
        extra.unlink()
        with contextlib.suppress(OSError):
            extra.parent.rmdir()
