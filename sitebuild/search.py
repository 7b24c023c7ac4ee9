"""The site's search index: Pagefind over the pages a citizen searches, in slices re-indexed only where pages changed.

Only the pages whose main content is marked `data-pagefind-body` (the detail pages of
conclusions, dialogues and plans, and the content pages: templates/public/base.html) are
indexed. They are shared out by a hash of their path over a power of two of slices, about
SLICE_PAGES pages each and at most MAX_SLICES, each a Pagefind index of its own in
pagefind/<count>-<number>/; pagefind/slices.json names them, and the search page
(static/public/search.js) loads the first and merges the others in the browser (Pagefind's
mergeIndex). A rebuild re-indexes only the slices holding a page that was written, added or
removed; the others come with the build carried forward. The slicing depends on the pages alone,
so a rebuild's index is the one a fresh build makes.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import zlib
from importlib.metadata import version
from pathlib import Path

from pagefind_bin import get_executable

from sitebuild import SEARCH_INDEX, BuildError, state

SLICE_PAGES = 1000  # pages a slice holds, about: Pagefind indexes ~1,000 pages in about a second here
MAX_SLICES = 64  # the most the search page merges; past 64,000 pages the slices grow instead
SLICES = "slices.json"
MARK = b"data-pagefind-body"
INDEXER = "pagefind %s, slices of %d" % (version("pagefind_bin"), SLICE_PAGES)  # what made a slice
RUNNING = 2  # Pagefind processes at once (each uses about one core)
# Memory file systems for the slices' pages (scratch_parent). The scratch folder in it is made by mkdtemp
# (a name no one can guess, mode 0700), and holds copies of public pages only.
SCRATCH_PARENTS = ("/dev/shm",)  # nosec B108
SCRATCH_MIN_FREE = 256 * 1024 * 1024  # bytes: a container's small /dev/shm (64 MB) is passed over


def slice_count(pages):
    """How many slices for that many indexed pages: a power of two, so that it rarely changes."""
    count = 1
    while count * SLICE_PAGES < pages and count < MAX_SLICES:
        count *= 2
    return count


def slice_name(path, count):
    """The slice of a page (its path in the site), e.g. "32-07"."""
    return "%d-%02d" % (count, zlib.crc32(path.encode("utf-8")) % count)


def is_indexed(root, path):
    """Whether the page at `path` (relative to root) is one for the index."""
    with open(os.path.join(root, path), "rb") as file:
        return MARK in file.read()


def index_search(root, pages, changed=None, previous=None):
    """Index the pages of the build in `root`; returns (seconds, what to keep for the next build's call).

    What it returns besides the seconds: {"indexer", "pages" (those indexed), "remade" (the
    count of slices indexed again, to drop before keeping it)}.

    `pages`: the HTML files of the build (relative paths, the index aside). `changed`: those
    written, added or removed since the build carried forward (None: unknown, everything is
    indexed again); `previous`: what index_search returned for that build ({} or None: none).
    A slice whose pages are all as they were is kept as the previous build left it in `root`.
    """
    started = time.perf_counter()
    root = Path(root)
    previous = previous or {}
    reuse = changed is not None and previous.get("indexer") == INDEXER and isinstance(previous.get("pages"), list)
    before = set(previous["pages"]) if reuse else set()
    indexed = sorted(path for path in pages if (path in before and path not in changed) or
                     ((not reuse or path in changed) and is_indexed(root, path)))
    count = slice_count(len(indexed))
    members = {}
    for path in indexed:
        members.setdefault(slice_name(path, count), []).append(path)
    folder = root / SEARCH_INDEX
    dirty = set(members)
    if reuse and slice_count(len(before)) == count:
        now = set(indexed)
        touched = {slice_name(path, count) for path in changed if path in before or path in now}
        dirty = {name for name in members if name in touched or not (folder / name / "pagefind.js").is_file()}
    folder.mkdir(exist_ok=True)
    for entry in folder.iterdir():  # slices of another count, empty or changed; the layout of before
        if entry.name not in members or entry.name in dirty:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    _index_slices(root, {name: members[name] for name in sorted(dirty)})
    state.write_new(folder / SLICES, json.dumps({"slices": sorted(members)}).encode())
    return time.perf_counter() - started, {"indexer": INDEXER, "pages": indexed, "remade": len(dirty)}


def _index_slices(root, slices):
    """Run Pagefind over each slice ({name: page paths}) into root/pagefind/<name>, RUNNING at a time.

    Each slice's pages are hard links (copies where there are none) in a folder of their own
    beside the build, so that Pagefind reads those pages only and gives them their site URLs.
    """
    waiting, running, failure = list(slices.items()), [], None
    scratch = Path(tempfile.mkdtemp(prefix=".index-", dir=scratch_parent(root)))
    try:
        while (waiting or running) and failure is None:
            while waiting and len(running) < RUNNING:
                name, paths = waiting.pop(0)
                site = scratch / name
                for path in paths:
                    (site / path).parent.mkdir(parents=True, exist_ok=True)
                    _link(root / path, site / path)
                command = [str(get_executable()), "--site", str(site),
                           "--output-path", str(root / SEARCH_INDEX / name), "--silent"]
                # pagefind's own binary, with paths the build made: no shell, no outside input.
                process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # nosec B603
                running.append((name, process))
            name, process = running.pop(0)
            output = process.communicate(timeout=600)[0]
            if process.returncode != 0:
                failure = "%s: %s" % (name, output.decode("utf-8", "replace").strip())
            shutil.rmtree(scratch / name, ignore_errors=True)  # in memory: no more than RUNNING slices at once
    finally:
        for _, process in running:
            process.kill()
            process.wait()
        shutil.rmtree(scratch, ignore_errors=True)
    if failure:
        raise BuildError("Không lập được chỉ mục tìm kiếm (Pagefind): %s" % failure)


def scratch_parent(root):
    """Where the slices' pages are laid out for Pagefind: a memory file system when there is one, else beside the build.

    On disk, making and removing the 22,000 folders and links of a full build's slices cost about
    a third of its index step in system time (the journal); in /dev/shm the pages are copies (no
    links across file systems), a few slices' worth at a time, made and removed for much less. A
    memory file system with less than SCRATCH_MIN_FREE free is passed over.
    """
    for folder in SCRATCH_PARENTS:
        if os.path.isdir(folder) and os.access(folder, os.W_OK | os.X_OK) and \
                shutil.disk_usage(folder).free >= SCRATCH_MIN_FREE:
            return folder
    return root.parent


def _link(source, target):
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in state.NO_LINKS:
            raise
        shutil.copy2(source, target)
