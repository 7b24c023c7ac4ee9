"""What one build leaves the next: page state and carried open-data lines, file times, the build carried
forward as hard links, the atomic swap into place, and the replaced build kept to start the next one in."""
import errno
import hashlib
import json
import marshal
import math
import os
import shutil
import tempfile
import time
from pathlib import Path

from sitebuild import SEARCH_INDEX

ROOT = Path(__file__).resolve().parent.parent
# What decides a page besides its records: when any of it changes, no page may be skipped on the
# strength of its records' last_modified or signature alone. The public app's code (the modules
# at the root, the build's and the services', and those of views/ it imports), its templates, its
# static files and the content.
CODE_PATTERNS = ("*.py", "sitebuild/*.py", "services/*.py", "views/__init__.py", "views/public.py",
                 "views/public_*.py", "views/common.py", "templates/public/**/*", "static/public/**/*",
                 "content/**/*")
DATA_TIME_MARGIN = 300  # seconds; see date_back
RETIRE_AFTER = 1.0  # seconds a replaced build stays untouched after the flip, for requests that resolved the old link
# Errors of os.link that mean "no hard links here" (another file system, one that has none, too many links).
NO_LINKS = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS)


def fingerprint(base_url, day):
    """A hash of the code and content that pages are made from, the base URL and the day."""
    digest = hashlib.sha256(("%s\n%s\n" % (base_url, day.isoformat())).encode())
    paths = sorted({p for pattern in CODE_PATTERNS for p in ROOT.glob(pattern) if p.is_file()})
    for path in paths:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def snapshot(root):
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


def load_state(path):
    """The state a build left (its fingerprint, whether it checked links, its page signatures), or {}."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def save_state(path, state):
    path.write_text(json.dumps(state, sort_keys=True))


def load_carried(path, fingerprint):
    """The values the previous build left for the next (services.memo.Carry), if made by the same code
    for the same base URL and day; {} otherwise, or if the file is missing or damaged.

    Kept with marshal, not JSON: the values are bytes, read back in a few hundredths of a second.
    """
    try:
        kept = marshal.loads(path.read_bytes())  # nosec B302  # our own build's file in the site folder, checked below
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or kept.get("fingerprint") != fingerprint or not isinstance(kept.get("tables"), dict):
        return {}
    return kept["tables"]


def save_carried(path, fingerprint, tables):
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(marshal.dumps({"fingerprint": fingerprint, "tables": tables}))
    os.replace(temporary, path)


def carry_forward(previous, work):
    """Put every file of the build `previous` into the empty build folder `work`; returns "links" or "copies".

    As hard links: no byte is copied, and the two builds share each file until the new one writes
    it, which it does by writing a new file and renaming it over the link (write_new), so the
    previous build, the one on show, is never modified. Where the file system has no hard links
    (or refuses one), real copies with their times, as before.
    """
    previous, work = os.fspath(previous), os.fspath(work)
    link, how = os.link, "links"
    for folder, folders, names in os.walk(previous):
        target = os.path.join(work, os.path.relpath(folder, previous))
        for name in folders:
            os.mkdir(os.path.join(target, name))
            shutil.copystat(os.path.join(folder, name), os.path.join(target, name))
        for name in names:
            source = os.path.join(folder, name)
            try:
                link(source, os.path.join(target, name))
            except OSError as error:
                if error.errno not in NO_LINKS:
                    raise
                link, how = _copy, "copies"
                link(source, os.path.join(target, name))
    return how


def _copy(source, target):
    shutil.copy2(source, target, follow_symlinks=False)


def write_new(path, data):
    """Write `data` into `path` as a new file renamed over the old one (which may be a hard link to a file
    of the previous build: that one keeps its content)."""
    path = os.fspath(path)
    temporary = "%s.%d.new" % (path, os.getpid())
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, path)


def date_back(root, paths, data_read_from):
    """Give the files written by this build the time of the data they hold, not of their writing.

    Frozen-Flask skips a page whose file is newer than its records' last_modified; a file
    written at the end of a long freeze may hold data read before a change saved during the
    freeze. So its time is when the freeze began to read, less a margin for records saved with
    a time taken before their transaction committed, and for times stored to the second.
    """
    stamp = math.floor(data_read_from) - DATA_TIME_MARGIN
    for path in paths:
        os.utime(os.path.join(root, path), (stamp, stamp))


def builds_folder(destination):
    """Where the builds live: `site` is a symbolic link to one of them, site.builds/<name>."""
    return destination.parent / (destination.name + ".builds")


def new_build(destination):
    """A fresh folder for a build, in builds_folder(destination), readable by the web server."""
    folder = builds_folder(destination)
    folder.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=folder))
    work.chmod(0o755)
    return work


def current_build(destination):
    """The build folder `destination` links to, or None (no site yet, or a folder of the old layout)."""
    if not destination.is_symlink():
        return None
    target = destination.parent / os.readlink(destination)
    return target if target.is_dir() else None


def tidy(destination):
    """Undo what an earlier build killed half-way left: a site moved aside, a link not yet in place,
    builds that are neither the site nor the spare kept for the next build (unfinished, or half brought up
    to date)."""
    parent, name = destination.parent, destination.name
    old = parent / (name + ".old")
    if old.is_dir() and not destination.exists():
        old.rename(destination)  # killed between the two renames of the old layout's swap
    if old.is_symlink() or old.is_file():
        old.unlink()
    elif old.exists():
        shutil.rmtree(old)
    (parent / (name + ".link")).unlink(missing_ok=True)
    current = current_build(destination)
    keep = {current.name, _spare(destination, current).get("spare")} if current is not None else set()
    folder = builds_folder(destination)
    if folder.is_dir():
        for build in folder.iterdir():
            if build.name not in keep:
                shutil.rmtree(build, ignore_errors=True)
    for stale in parent.glob(name + ".tmp-*"):  # the work folders of the old layout
        shutil.rmtree(stale, ignore_errors=True)


def swap(work, destination):
    """`work`, a folder of builds_folder(destination), becomes what `destination` shows, in one step.

    `destination` is a symbolic link to the build; a new link made beside it replaces it with
    os.replace, a rename, which is atomic: a reader finds the old build or the new one, never
    nothing. The old build is left for the next build's tidy() to remove. A `destination` that is
    a real folder (the layout of before) is moved aside just before, the one time it becomes a link.
    """
    parent, name = destination.parent, destination.name
    link = parent / (name + ".link")
    link.unlink(missing_ok=True)
    os.symlink(os.path.relpath(work, parent), link)
    replaced = current_build(destination)
    if destination.is_dir() and not destination.is_symlink():
        replaced = parent / (name + ".old")
        destination.rename(replaced)
    os.replace(link, destination)
    if replaced is not None and replaced.name == name + ".old":
        shutil.rmtree(replaced, ignore_errors=True)  # the folder of the old layout, once
        replaced = None
    # The replaced build is kept (keep_spare): the next build starts in it instead of linking every file
    # anew, after RETIRE_AFTER, so that a visitor's request that resolved the old link an instant before
    # the flip still finds its file (deleting it here at once missed files under load).
    return replaced


def _spare_path(destination):
    return destination.parent / (destination.name + ".spare.json")


def _spare(destination, current):
    """What keep_spare recorded, if it is about the build on show `current`; {} otherwise."""
    try:
        kept = json.loads(_spare_path(destination).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(kept, dict) or kept.get("base") != current.name or not isinstance(kept.get("spare"), str) \
            or os.sep in kept["spare"] or kept["spare"] in ("", ".", ".."):
        return {}
    return kept


def keep_spare(destination, replaced, current, written, removed):
    """After the flip: keep the replaced build, with what it lacks of the build on show (the files `current`
    wrote anew or removed; its search index is compared slice by slice), for the next build to start in."""
    temporary = _spare_path(destination).with_suffix(".new")
    temporary.write_text(json.dumps({"spare": replaced.name, "base": current.name, "written": sorted(written),
                                     "removed": sorted(removed), "flipped": time.time()}))
    os.replace(temporary, _spare_path(destination))


def take_spare(destination, current):
    """The kept build brought up to the build on show, to build the next one in; None when none was kept.

    Its record goes first: a build killed while bringing it up to date leaves a folder that the next
    tidy() removes. Only the files the build on show wrote anew are linked (a one-change rebuild: a few
    dozen, not the 47,000 that carry_forward links), those it removed are removed, and so are the
    search index's slices that it made again.
    """
    kept = _spare(destination, current)
    _spare_path(destination).unlink(missing_ok=True)
    folder = builds_folder(destination) / kept["spare"] if kept else None
    if folder is None or not folder.is_dir():
        return None
    # the flip's grace period, what is left of it (at most all of it, were the clock set back since)
    time.sleep(min(RETIRE_AFTER, max(0.0, kept.get("flipped", 0) + RETIRE_AFTER - time.time())))
    link = _link_or_copy()
    for path in kept["removed"]:
        (folder / path).unlink(missing_ok=True)
        _remove_empty_parents(folder, (folder / path).parent)
    for path in kept["written"]:
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        _replace_with(link, current / path, target)
    _sync_search_index(link, current / SEARCH_INDEX, folder / SEARCH_INDEX)
    return folder


def _link_or_copy():
    def link(source, target):
        try:
            os.link(source, target)
        except OSError as error:
            if error.errno not in NO_LINKS:
                raise
            _copy(source, target)
    return link


def _replace_with(link, source, target):
    """`target` becomes `source`'s file (a link to it), in one rename."""
    temporary = "%s.%d.spare" % (target, os.getpid())
    link(source, temporary)
    os.replace(temporary, target)


def _remove_empty_parents(root, folder):
    while folder != root:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def _sync_search_index(link, source, target):
    """The spare's search index made the one on show: a slice the build on show kept (its files are the
    spare's own, the same inodes) stays; one it made again, or added, is linked anew; one it dropped goes."""
    target.mkdir(exist_ok=True)
    names = {entry.name for entry in source.iterdir()} if source.is_dir() else set()
    for entry in target.iterdir():
        if entry.name not in names:
            shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
    for name in sorted(names):
        here, there = source / name, target / name
        if not here.is_dir():
            _replace_with(link, here, there)
            continue
        if there.is_dir() and _same_file(here / "pagefind.js", there / "pagefind.js"):
            continue
        if there.exists():
            shutil.rmtree(there)
        for folder, _folders, files in os.walk(here):
            made = there / os.path.relpath(folder, here)
            made.mkdir(parents=True, exist_ok=True)
            for file in files:
                link(os.path.join(folder, file), made / file)


def _same_file(one, other):
    try:
        return os.stat(one).st_ino == os.stat(other).st_ino
    except OSError:
        return False
