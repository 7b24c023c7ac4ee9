"""Freeze the public site "Dân biết" into site/: built aside, links checked, then swapped in.

    .venv/bin/python build.py [--base-url https://host/dan-biet/] [--destination site]

The database is DATABASE_URL (default: the internal app's instance SQLite file); the host's
address comes from --base-url or FREEZER_BASE_URL. Pages link to each other with relative URLs,
so the same files work at the host's root and in a sub-folder; the base URL is used only for the
absolute URLs of sitemap.xml, the feed, the calendar and 404.html.

A build never leaves a half-written site/: the previous build is copied (as real copies, with
their times) into a folder beside it, Frozen-Flask freezes over that copy (writing only the files
whose content changed, so unchanged pages keep their time), the links are checked (those of the
new and rewritten files; all of them when a file went away or the code changed), and only then
the new folder takes the place of the old one.

Beside site/ a build keeps, for the next one of the same code, base URL and day: site.state.json
(each page's signature, so that an unchanged page keeps its file) and site.carried (the open-data
lines of each record by its signature, so that one changed record does not remake 20,000 lines).
Neither is published; deleting them only makes the next build render everything.
"""
import argparse
import contextlib
import csv
import datetime as dt
import fcntl
import gc
import hashlib
import html
import io
import json
import marshal
import math
import multiprocessing
import os
import posixpath
import re
import shutil
import sys
import tempfile
import time
import unicodedata
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import flask
from flask_frozen import Freezer, FrozenFlaskWarning, walk_directory

import models
import publication
from views import public

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_DESTINATION = BASE_DIR / "site"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
SEARCH_INDEX = "pagefind"  # written by the search indexer after freezing; the freezer keeps it
# What decides a page besides its records: when any of it changes, no page may be skipped on the
# strength of its records' last_modified or signature alone. The public app's code (the modules
# at the root and those of views/ it imports), its templates, its static files and the content.
CODE_PATTERNS = ("*.py", "views/__init__.py", "views/public.py", "views/filters.py", "views/common.py",
                 "templates/public/**/*", "static/public/**/*", "content/**/*")
DATA_TIME_MARGIN = 300  # seconds; see _date_back


class BuildError(Exception):
    """A build that must not replace the current site; str() says why (in Vietnamese)."""


@dataclass
class Summary:
    pages: int = 0  # URLs frozen
    written: int = 0  # files new or rewritten by this build
    files: int = 0  # files in the build
    bytes: int = 0
    seconds: float = 0.0
    copy_seconds: float = 0.0
    freeze_seconds: float = 0.0
    check_seconds: float = 0.0
    index_seconds: float = 0.0
    destination: str = ""
    problems: list = field(default_factory=list)

    def line(self):
        return ("Đã xuất %d trang (%d tệp ghi mới) · %d tệp, %s · %.1f giây (chép bản cũ %.1f, đóng băng %.1f, "
                "chỉ mục tìm kiếm %.1f, kiểm tra liên kết %.1f) → %s" % (
                    self.pages, self.written, self.files, _size(self.bytes), self.seconds, self.copy_seconds,
                    self.freeze_seconds, self.index_seconds, self.check_seconds, self.destination))


def _size(count):
    if count >= 1024 * 1024:
        return "%.1f MB" % (count / 1024 / 1024)
    return "%.1f KB" % (count / 1024)


def default_database_url():
    return os.environ.get("DATABASE_URL") or "sqlite:///" + str(BASE_DIR / "instance" / "doithoai.db")


def normalise_base_url(url):
    """The host's address with a trailing slash; BuildError unless it is an http(s) URL."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BuildError("Địa chỉ gốc không hợp lệ: %r (cần dạng https://ten-mien/thu-muc/)." % url)
    return url if url.endswith("/") else url + "/"


# ---------------------------------------------------------------- freezing


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
    # The rules without arguments come from views.public.fixed_page_generators, with signatures.
    freezer = ShareFreezer(app, with_no_argument_rules=False)

    def defaulted_rules():
        """Rules whose every argument has a default (`/ket-luan/` with page=None): Frozen-Flask's own
        generator takes them for rules with arguments and leaves them to whoever links to them."""
        for rule in app.url_map.iter_rules():
            if "GET" in rule.methods and rule.arguments and rule.arguments <= set(rule.defaults or ()):
                yield rule.endpoint, {}
    freezer.register_generator(defaulted_rules)
    return freezer


def _local_time(value):
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
                    yield endpoint, values, _local_time(last_modified)
                    continue
                item = (endpoint, values)
            yield item
    freezer.register_generator(url_generators)


def fingerprint(base_url, day):
    """A hash of the code and content that pages are made from, the base URL and the day."""
    digest = hashlib.sha256(("%s\n%s\n" % (base_url, day.isoformat())).encode())
    paths = sorted({p for pattern in CODE_PATTERNS for p in BASE_DIR.glob(pattern) if p.is_file()})
    for path in paths:
        digest.update(str(path.relative_to(BASE_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _snapshot(root):
    """{relative path: (size, mtime_ns)} of every file under root but the search index (rebuilt each time)."""
    out = {}
    for folder, folders, names in os.walk(root):
        if folder == os.fspath(root):
            folders[:] = [f for f in folders if f != SEARCH_INDEX]
        for name in names:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            out[os.path.relpath(path, root)] = (stat.st_size, stat.st_mtime_ns)
    return out


class Progress:
    """A progress line on stderr: rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream=None, every=5.0):
        self.stream, self.every = stream or sys.stderr, every
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        self.last = 0.0

    def __call__(self, done, total, url):
        now = time.monotonic()
        final = done == total
        if not final and now - self.last < (0.1 if self.tty else self.every):
            return
        self.last = now
        text = "Đang xuất trang %d/%d (%d%%) %s" % (done, total, 100 * done // max(total, 1), url)
        if self.tty:
            self.stream.write("\r\033[K" + text[:150] + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


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
            self._root = (key, super().root)
        return self._root[1]

    def _build_one(self, url, last_modified=None):
        if self.workers > 1 and _owner(url, self.workers) != self.share:
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

    Rows are read once, inside the generators' connection (call within publication.build_cache()):
    the pages without arguments read every kind of record, so that those with arguments, many
    more, have their signatures worked out from what is already read (`mapper`: see
    views.public._dated; _forked_map shares them out over two processes).
    """
    with app.app_context():
        fixed = list(public.fixed_page_generators(previous=previous, signatures=signatures))
        return [*fixed, *public.url_generators(previous=previous, signatures=signatures, mapper=mapper)]


FORK_SIGNATURES_FROM = 4000  # pages: fewer are digested sooner in one process than by starting another


def _forked_map(function, pages):
    """[function(endpoint, values) for each page], the second half worked out in a forked process.

    The child inherits the records already read (publication's build cache) and may not touch the
    database: its connection stays the parent's (models.db is unbound in the child, so a query
    there fails loudly instead of sharing a SQLite handle across processes). Its results come
    back through a pipe; an error there is raised here.
    """
    if (len(pages) < FORK_SIGNATURES_FROM or (os.cpu_count() or 1) < 2
            or multiprocessing.current_process().daemon):  # a daemon may not start processes
        return [function(endpoint, values) for endpoint, values in pages]
    half = len(pages) // 2
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child():
        try:
            models.db.initialize(None)
            sender.send(("done", [function(endpoint, values) for endpoint, values in pages[half:]]))
        except BaseException as error:  # noqa: B036 (handed to the parent, which raises it)
            sender.send(("error", BuildError("%s: %s" % (type(error).__name__, error))))
        finally:
            sender.close()

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()
    try:
        first = [function(endpoint, values) for endpoint, values in pages[:half]]
        try:
            kind, second = receiver.recv()
        except EOFError:
            raise BuildError("Tiến trình tính chữ ký trang dừng bất thường.") from None
        if kind == "error":
            raise second
    finally:
        receiver.close()
        if process.is_alive():
            process.terminate()
        process.join()
    return first + second


def _count_urls(freezer):
    """How many pages the freezer's generators give, without building their URLs."""
    logger = freezer.url_for_logger.iter_calls
    freezer.url_for_logger.iter_calls = lambda: iter(())
    try:
        return len({(item[0], tuple(sorted(item[1].items()))) if isinstance(item, tuple) else item
                    for generator in freezer.url_generators for item in generator()})
    finally:
        freezer.url_for_logger.iter_calls = logger


def _owner(url, workers):
    """The worker that renders `url`: the same in every worker, about as many URLs each."""
    return zlib.crc32(url.encode("utf-8")) % workers


def freeze(app, destination, base_url, progress=None, allow_skip=False, previous=None, signatures=None, workers=1,
           existing=None, carry=None):
    """Freeze `app` into `destination` (over what is there); returns the number of pages.

    `previous` holds the page signatures of the build carried forward (honoured only when
    `allow_skip`): a page whose signature is unchanged keeps its file. `signatures`, a dict,
    receives this build's. `workers` > 1 renders the pages over that many processes, each with
    Frozen-Flask's own freeze over its share of the URLs; None chooses by the work to do.
    `existing`, the files in `destination` before (relative paths, the search index aside), spares
    a walk of the folder to remove those no URL gave. `carry`, a publication.Carry, lends the open-data
    lines of the records unchanged since the previous build (honoured only when `allow_skip`) and
    receives this build's. Frozen-Flask's warnings are errors: an
    endpoint without a URL generator or a file whose extension does not match its Content-Type
    aborts the build.
    """
    freezer = make_freezer(app, destination, base_url)
    if carry is not None and not allow_skip:
        carry.previous = {}
    with publication.build_cache(carry), warnings.catch_warnings(), _collector_resumed():  # one snapshot of the data
        warnings.simplefilter("error", FrozenFlaskWarning)
        with _collector_paused():
            items = site_items(app, previous if allow_skip else None, signatures,
                               mapper=_forked_map if workers is None or workers > 1 else None)
        kept = _kept_paths(app, freezer, items, existing) if allow_skip and existing is not None else {}
        frozen = [item for index, item in enumerate(items) if index not in kept]  # through Frozen-Flask's loop
        register_generators(freezer, frozen, allow_skip)
        with app.test_request_context():
            total = _count_urls(freezer)
        freezer._generated = {(item[0], tuple(sorted(item[1].items()))) for item in items}
        freezer.url_for_logger.iter_calls = freezer.logged_urls
        if workers is None:
            skipped = sum(1 for item in frozen if allow_skip and len(item) == 3 and item[2] is not None)
            workers = min(MAX_WORKERS, os.cpu_count() or 1) if total - skipped >= PARALLEL_FROM else 1
            if multiprocessing.current_process().daemon:  # a daemon may not start processes
                workers = 1
        remove_extra = freezer.app.config["FREEZER_REMOVE_EXTRA_FILES"]
        if workers > 1 or existing is not None:
            freezer.app.config["FREEZER_REMOVE_EXTRA_FILES"] = False  # done below, once
        try:
            if workers > 1:
                _warm(app)
                done, total, built = _freeze_in_workers(freezer, total, workers, progress)
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
        _remove_extra(freezer, built, existing)
    if progress and done != total:
        progress(done, done, "")
    return done


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


def _kept_paths(app, freezer, items, existing):
    """{index in items: file path} of the pages whose signature is unchanged and whose file is there.

    These are kept without going through Frozen-Flask's loop (a test client request context and
    a stat a page, most of a one-change rebuild). The first item of each endpoint still goes
    through it (kept there by its last_modified), so that Frozen-Flask sees every endpoint.
    """
    script_name = freezer._script_name()
    kept, seen = {}, set()
    with app.test_request_context(base_url=script_name or None):
        adapter = flask.globals.request_ctx.url_adapter
        build = public.quick_builder(lambda endpoint, values: unquote(adapter.build(endpoint, values)))
        for index, item in enumerate(items):
            if len(item) != 3 or item[2] is not public.UNCHANGED or item[0] not in seen:
                seen.add(item[0])
                continue
            url = build(item[0], item[1])
            path = unicodedata.normalize("NFC", freezer.urlpath_to_filepath(url[len(script_name):]))
            if path in existing:
                kept[index] = path
    return kept


def _remove_extra(freezer, built, existing=None):
    """Remove the files of the previous build that no URL gave, as Frozen-Flask's freeze does."""
    root = freezer.root
    if existing is None:
        existing = walk_directory(root, ignore=freezer.app.config["FREEZER_DESTINATION_IGNORE"])
    for name in sorted(set(existing) - set(built)):
        extra = root / name
        extra.unlink()
        with contextlib.suppress(OSError):
            extra.parent.rmdir()


MAX_WORKERS = 2
PARALLEL_FROM = 1500  # pages to render; fewer are done sooner in one process than by starting workers


def _warm(app):
    """Read, before the workers start, what every page may need: they inherit one snapshot."""
    with app.app_context(), models.db.connection_context():
        publication.statistics()
        publication.plans()
        publication.dialogues()
        publication.conclusions()
        for name in ("yeu-cau-doi-thoai",):
            publication.content_page(name)
    models.db.close()
    if hasattr(models.db.obj, "close_all"):
        models.db.obj.close_all()  # no connection is shared with the workers


def _freeze_in_workers(freezer, total, workers, progress):
    """Run Frozen-Flask's freeze in `workers` forked processes; returns (pages, total, paths written or kept).

    Each worker reports its progress and, at the end, the URLs it met and their paths; a URL met
    only by a worker it did not fall to is frozen here (Frozen-Flask's removal of files from the
    previous build that no URL gave is left to the caller, over the paths of all of them). An
    error in a worker (its exception) is raised here once the others are stopped.
    """
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork")
    processes, pipes = [], {}
    try:
        for share in range(workers):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_worker, args=(freezer, workers, share, sender), daemon=True)
            process.start()
            sender.close()
            processes.append(process)
            pipes[receiver] = share
        done, met, handled, failure = 0, {}, set(), None
        while pipes:
            for receiver in wait(list(pipes)):
                try:
                    kind, *data = receiver.recv()
                except EOFError:
                    kind, data = "error", [BuildError("Một tiến trình xuất trang dừng bất thường.")]
                if kind == "progress":
                    done += data[0]
                    total = max(total, done)
                    if progress:
                        progress(done, total, data[1])
                    continue
                del pipes[receiver]
                receiver.close()
                if kind == "done":
                    met.update(data[0])
                    handled.update(data[1])
                    if publication.current_carry() is not None:
                        publication.current_carry().made.update(data[2])
                elif failure is None:
                    failure = data[0]
                    for process in processes:
                        if process.is_alive():
                            process.terminate()
        if failure is not None:
            raise failure
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
            process.join()
    freezer.workers = 1
    for url in sorted(set(met) - handled):  # met by a worker through url_for, owned by one that did not
        met[url] = freezer._build_one(url).relative_to(freezer.root).as_posix()
        done += 1
        if progress:
            progress(done, max(total, done), url)
    return done, max(total, done), set(met.values())


def _worker(freezer, workers, share, pipe):
    """A worker process: Frozen-Flask's freeze of this share; messages to the parent through `pipe`."""
    try:
        freezer.workers, freezer.share = workers, share
        count, last, url = 0, time.monotonic(), ""
        met, mine = {}, set()  # url: path of every URL met; those of this share
        with warnings.catch_warnings():
            warnings.simplefilter("error", FrozenFlaskWarning)
            for page in freezer.freeze_yield():
                met[page.url] = page.path.as_posix()
                if _owner(page.url, workers) != share:
                    continue
                mine.add(page.url)
                count, url = count + 1, page.url
                if time.monotonic() - last > 0.2:
                    pipe.send(("progress", count, url))
                    count, last = 0, time.monotonic()
        if count:
            pipe.send(("progress", count, url))
        carry = publication.current_carry()
        pipe.send(("done", met, mine, carry.made if carry is not None else {}))
    except BaseException as error:  # noqa: B036 (handed to the parent, which raises it)
        try:
            pipe.send(("error", error))
        except Exception:
            pipe.send(("error", BuildError("%s: %s" % (type(error).__name__, error))))
    finally:
        pipe.close()


def _load_state(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _load_carried(path, fingerprint):
    """The values the previous build left for the next (publication.Carry), if made by the same code
    for the same base URL and day; {} otherwise, or if the file is missing or damaged.

    Kept with marshal, not JSON: the values are bytes, read back in a few hundredths of a second.
    """
    try:
        kept = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or kept.get("fingerprint") != fingerprint or not isinstance(kept.get("tables"), dict):
        return {}
    return kept["tables"]


def _save_carried(path, fingerprint, tables):
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(marshal.dumps({"fingerprint": fingerprint, "tables": tables}))
    os.replace(temporary, path)


def _tidy(destination):
    """Undo what an earlier build killed half-way left: a site moved aside, stale folders."""
    parent, name = destination.parent, destination.name
    old = parent / (name + ".old")
    if old.is_dir() and not destination.exists():
        old.rename(destination)  # killed between the two renames of the swap
    if old.exists():
        shutil.rmtree(old)
    for stale in parent.glob(name + ".tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def build(destination=DEFAULT_DESTINATION, base_url=None, database_url=None, progress=None, check=True, workers=None):
    """Freeze the public site from the database into `destination`, atomically; returns a Summary.

    `workers`: processes that render pages (None: two when there are many pages to render).

    Raises BuildError (broken links, another build running, bad base URL); any other error of the
    freeze propagates. Either way the previous `destination` stays as it was.
    """
    started = time.perf_counter()
    destination = Path(destination).resolve()
    base_url = normalise_base_url(base_url or os.environ.get("FREEZER_BASE_URL") or DEFAULT_BASE_URL)
    database_url = database_url or default_database_url()
    parent = destination.parent
    parent.mkdir(parents=True, exist_ok=True)
    with open(parent / (destination.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError("Đang có một lần xuất trang công khai khác chạy; vui lòng thử lại sau.") from None
        _tidy(destination)
        state_path = parent / (destination.name + ".state.json")
        carried_path = parent / (destination.name + ".carried")
        previous = _load_state(state_path) if destination.is_dir() else {}
        state = {"fingerprint": fingerprint(base_url, models.today()), "checked": check, "pages": {}}
        same_code = previous.get("fingerprint") == state["fingerprint"]
        work = Path(tempfile.mkdtemp(prefix=destination.name + ".tmp-", dir=parent))
        try:
            work.chmod(0o755)
            summary = Summary(destination=str(destination))
            t0 = time.perf_counter()
            if destination.is_dir():  # carry the previous build forward: real copies, times kept
                shutil.copytree(destination, work, copy_function=shutil.copy2, dirs_exist_ok=True, symlinks=True)
            before = _snapshot(work)
            summary.copy_seconds = time.perf_counter() - t0
            t0, data_read_from = time.perf_counter(), time.time()
            carry = publication.Carry(_load_carried(carried_path, state["fingerprint"]) if same_code else {})
            summary.pages = _freeze_with_database(work, base_url, database_url, progress, allow_skip=same_code,
                                                  previous=previous.get("pages") or {}, signatures=state["pages"],
                                                  workers=workers, existing=set(before), carry=carry)
            summary.freeze_seconds = time.perf_counter() - t0
            summary.index_seconds = index_search(work)  # the search index, before the links are checked
            after = _snapshot(work)
            written = [path for path, sig in after.items() if before.get(path) != sig]
            _date_back(work, written, data_read_from)
            summary.written, summary.files = len(written), len(after)
            summary.bytes = sum(size for size, _ in after.values())
            if check:
                t0 = time.perf_counter()
                # The files kept as they were passed the previous check; unless a file went away,
                # only the new and rewritten ones can hold a broken link.
                incremental = same_code and previous.get("checked") and set(before) <= set(after)
                summary.problems = check_links(work, base_url, only=written if incremental else None)
                summary.check_seconds = time.perf_counter() - t0
                if summary.problems:
                    raise BuildError("Có %d liên kết hỏng, trang công khai giữ nguyên bản cũ:\n  %s" % (
                        len(summary.problems), "\n  ".join(summary.problems[:20])))
            # The state describes the site in place: none while the swap is under way, so that a
            # build killed in between renders every page next time instead of trusting old signatures.
            state_path.unlink(missing_ok=True)
            _swap(work, destination)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        state_path.write_text(json.dumps(state, sort_keys=True))
        _save_carried(carried_path, state["fingerprint"], carry.kept())
    summary.seconds = time.perf_counter() - started
    return summary


def _date_back(root, paths, data_read_from):
    """Give the files written by this build the time of the data they hold, not of their writing.

    Frozen-Flask skips a page whose file is newer than its records' last_modified; a file
    written at the end of a long freeze may hold data read before a change saved during the
    freeze. So its time is when the freeze began to read, less a margin for records saved with
    a time taken before their transaction committed, and for times stored to the second.
    """
    stamp = math.floor(data_read_from) - DATA_TIME_MARGIN
    for path in paths:
        os.utime(os.path.join(root, path), (stamp, stamp))


def _freeze_with_database(work, base_url, database_url, progress, allow_skip, previous=None, signatures=None,
                          workers=None, existing=None, carry=None):
    app = public.create_public_app({"DATABASE_URL": database_url, "PUBLIC_BASE_URL": base_url})
    try:
        return freeze(app, work, base_url, progress, allow_skip, previous=previous, signatures=signatures,
                      workers=workers, existing=existing, carry=carry)
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


def index_search(folder):
    """Index the frozen site in `folder` with Pagefind into `folder`/pagefind/; returns the seconds it took.

    Only the pages' main content is indexed (`data-pagefind-body` in templates/public/base.html).
    The previous index, carried forward with the build, is removed first: its file names change.
    """
    import subprocess

    from pagefind_bin import get_executable
    started = time.perf_counter()
    shutil.rmtree(Path(folder) / SEARCH_INDEX, ignore_errors=True)
    result = subprocess.run([str(get_executable()), "--site", str(folder), "--output-subdir", SEARCH_INDEX,
                             "--silent"], capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise BuildError("Không lập được chỉ mục tìm kiếm (Pagefind): %s" % (result.stderr or result.stdout).strip())
    return time.perf_counter() - started


def _swap(work, destination):
    """`work` becomes `destination`; the old build is moved aside first, then removed."""
    old = destination.parent / (destination.name + ".old")
    if destination.exists():
        destination.rename(old)
    work.rename(destination)
    if old.exists():
        shutil.rmtree(old)


# ---------------------------------------------------------------- link check

_ATTR = re.compile(r"""\s(href|src|action|srcset|poster)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
_ABSOLUTE = re.compile(r"""https?://[^\s<>"'\\]+""")
_SKIPPED_SCHEMES = ("mailto:", "tel:", "data:", "javascript:", "sms:", "geo:")


def _html_links(text):
    """The URLs of href, src, action, srcset and poster attributes (quoted, as our templates write them).

    Matched over the whole text: in element content, Jinja escapes the quotes these need.
    """
    for match in _ATTR.finditer(text):
        value = html.unescape(match.group(2) if match.group(2) is not None else match.group(3)).strip()
        if match.group(1).lower() == "srcset":
            yield from (candidate.split()[0] for candidate in value.split(",") if candidate.strip())
        else:
            yield value


def _join(folder, url):
    """`url` (a path, maybe with ../) resolved against the URL path `folder` (ending in /)."""
    path = url if url.startswith("/") else folder + url
    trailing = path.endswith("/") or path.endswith("/.") or path.endswith("/..")
    path = posixpath.normpath(path)
    if path.startswith("//"):
        path = path[1:]
    return path + "/" if trailing and path != "/" else path


def check_links(root, base_url=None, prefix="/dan-biet/", only=None):
    """Every internal link of the build in `root` that does not resolve; [] when all do.

    The site is taken as served from the sub-folder `prefix`: a relative link resolves against
    its file's own location, a link to a folder to its index.html, and a root-relative link that
    leaves the sub-folder is broken. Absolute URLs to the base URL's host (sitemap, feed,
    calendar, 404.html, open data) must start with the base URL and resolve the same way.
    404.html is served at any depth, so its links must all be absolute. `only` limits the
    check to the links in those files (paths relative to root).
    """
    root = str(root)
    base = urlsplit(base_url) if base_url else None
    problems = []
    found = {}  # site path -> whether a file serves it

    def exists(path):
        if path not in found:
            target = os.path.join(root, unquote(path))
            if path == "" or path.endswith("/") or os.path.isdir(target):
                target = os.path.join(target, "index.html")
            found[path] = os.path.isfile(target)
        return found[path]

    def why_broken(folder, url, absolute_only):
        """None when `url`, found in a file of the site folder `folder`, resolves; else the reason."""
        if not url or url.startswith("#") or url.lower().startswith(_SKIPPED_SCHEMES):
            return None
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            if base is None or parts.netloc != base.netloc:
                return None  # another host
            if not parts.path.startswith(base.path):
                return "địa chỉ nằm ngoài địa chỉ gốc %s" % base_url
            path = parts.path[len(base.path):]
        elif parts.scheme or parts.netloc:
            return None
        elif absolute_only:
            return "trang 404 được phục vụ ở mọi cấp thư mục, cần địa chỉ tuyệt đối"
        else:
            resolved = _join(prefix + folder, parts.path)
            if not resolved.startswith(prefix):
                return "liên kết ra ngoài thư mục của trang"
            path = resolved[len(prefix):]
        return None if exists(path) else "không có tệp"

    verdicts = {}  # (folder, url, absolute only) -> reason or None: pages repeat their menus

    def resolve(where, url, absolute_only=False):
        folder = where.rpartition("/")[0] + "/" if "/" in where else ""
        key = (folder, url, absolute_only)
        if key not in verdicts:
            verdicts[key] = why_broken(folder, url, absolute_only)
        if verdicts[key]:
            problems.append("%s → %s: %s" % (where, url, verdicts[key]))

    for where in sorted(only) if only is not None else _site_files(root):
        suffix = posixpath.splitext(where)[1].lower()
        if where.startswith(SEARCH_INDEX + "/") or suffix not in _CHECKED_TYPES:
            continue
        with open(os.path.join(root, where), encoding="utf-8", errors="replace") as file:
            text = file.read()
        if suffix == ".html":
            for url in _html_links(text):
                resolve(where, url, absolute_only=where == "404.html")
        elif suffix == ".css":
            for url in _CSS_URL.findall(text):
                resolve(where, url.strip())
        else:
            for url in _data_links(suffix, text):
                resolve(where, url)
    return problems


_CHECKED_TYPES = (".html", ".css", ".xml", ".ics", ".json", ".csv", ".txt")


def _site_files(root):
    """Paths (relative, with /) of the files under root, in a stable order, the search index aside."""
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        if folder == root and SEARCH_INDEX in dirs:
            dirs.remove(SEARCH_INDEX)  # the search library's own files
        for name in sorted(names):
            yield os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")


def _data_links(suffix, text):
    """Absolute URLs in a data file: CSV cells, JSON strings, URLs in XML, calendar or text."""
    if suffix == ".csv":
        cells = (cell.strip() for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row)
        return [cell for cell in cells if _ABSOLUTE.fullmatch(cell)]
    if suffix == ".json":
        found = []

        def walk(value):
            if isinstance(value, str):
                if _ABSOLUTE.fullmatch(value.strip()):
                    found.append(value.strip())
            elif isinstance(value, dict):
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)
        try:
            walk(json.loads(text))
        except ValueError:
            return [html.unescape(url) for url in _ABSOLUTE.findall(text)]
        return found
    if suffix == ".ics":
        text = re.sub(r"\r?\n[ \t]", "", text)  # unfold long lines (RFC 5545 3.1)
    return [html.unescape(url).rstrip(".,;)") for url in _ABSOLUTE.findall(text)]


# ---------------------------------------------------------------- command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=None,
                        help="Địa chỉ của trang trên máy chủ, gồm cả thư mục con (mặc định: biến môi trường "
                             "FREEZER_BASE_URL, hoặc %s)." % DEFAULT_BASE_URL)
    parser.add_argument("--destination", default=str(DEFAULT_DESTINATION), help="Thư mục kết quả (mặc định: site/).")
    parser.add_argument("--publish", metavar="TARGET", default=None,
                        help="Sau khi xuất, đăng lên máy chủ: một thư mục, hoặc ftp://user@host/path, "
                             "ftps://… (mật khẩu lấy từ biến môi trường PUBLISH_PASSWORD).")
    parser.add_argument("--dry-run", action="store_true",
                        help="Với --publish: chỉ liệt kê các thay đổi, không gửi gì.")
    args = parser.parse_args(argv)
    try:
        summary = build(args.destination, base_url=args.base_url, progress=Progress())
    except BuildError as error:
        print("Lỗi: %s" % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nĐã dừng: trang công khai giữ nguyên bản cũ.", file=sys.stderr)
        return 130
    print(summary.line(), file=sys.stderr)
    if args.publish:
        from sitebuild import publish  # only after a successful build: the build swaps the folder
        try:
            sent = publish.publish(args.destination, args.publish, dry_run=args.dry_run,
                                   progress=publish.Progress())
        except publish.PublishError as error:
            print("Lỗi: %s" % error, file=sys.stderr)
            return 1
        print(sent.line(), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
