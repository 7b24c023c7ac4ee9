"""A one-change publish (issue 14): the rebuilt site equals a fresh build, search index included;
a build killed anywhere leaves the previous site or the new one; the previous build is never
modified through the hard links it shares with the next; publishing sends only what changed."""
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import build
import models
from sitebuild import SEARCH_INDEX, publish, search, state
from tests.test_publish import PASSWORD, _Server

BASE_URL = "https://dichvucong.example.gov.vn/dan-biet/"
SLICE_PAGES = 8  # the demo's ~60 indexed pages in 8 slices, so that a change re-indexes some of them only


@pytest.fixture(autouse=True)
def small_slices(monkeypatch):
    monkeypatch.setattr(search, "SLICE_PAGES", SLICE_PAGES)


@pytest.fixture
def make_site(app, tmp_path):
    """make_site(name="site") freezes the test's demo database into tmp_path/name; returns the folder."""
    def _make(name="site", **kwargs):
        destination = tmp_path / name
        build.build(destination, base_url=BASE_URL, database_url=app.config["DATABASE_URL"], **kwargs)
        return destination
    return _make


# ---------------------------------------------------------------- reading Pagefind's index


def _cbor(data, at=0):
    """(value, next offset) of the CBOR item at data[at] (RFC 8949: the types Pagefind's files use)."""
    head = data[at]
    major, info, at = head >> 5, head & 31, at + 1
    if info < 24:
        argument = info
    elif info <= 27:
        width = 1 << (info - 24)
        argument, at = int.from_bytes(data[at:at + width], "big"), at + width
    else:
        raise ValueError("CBOR item of indefinite length at %d" % at)
    if major == 0:
        return argument, at
    if major == 1:
        return -1 - argument, at
    if major in (2, 3):
        chunk = data[at:at + argument]
        return (chunk.decode("utf-8") if major == 3 else chunk), at + argument
    if major in (4, 5):
        items = []
        for _ in range(argument * (2 if major == 5 else 1)):
            item, at = _cbor(data, at)
            items.append(item)
        return (items if major == 4 else dict(zip(items[::2], items[1::2], strict=True))), at
    if major == 7:
        return {20: False, 21: True, 22: None}.get(argument, argument), at
    raise ValueError("CBOR tag at %d" % at)


def _pagefind_file(path):
    data = gzip.decompress(path.read_bytes())
    assert data.startswith(b"pagefind_dcd"), path
    return data[len(b"pagefind_dcd"):]


def findable_words(site):
    """{(word as written, page URL)} of the site's search index: what a search can find, and where.

    Read from each slice's word index (its pages numbered as in its meta file, whose fragments
    give their URLs), whatever the slices' names or the files' hashes.
    """
    root = Path(site) / SEARCH_INDEX
    found = set()
    for name in json.loads((root / search.SLICES).read_text())["slices"]:
        folder = root / name
        (meta_file,) = folder.glob("pagefind.*.pf_meta")
        pages = _cbor(_pagefind_file(meta_file))[0][1]
        urls = [json.loads(_pagefind_file(folder / "fragment" / (page[0] + ".pf_fragment")))["url"] for page in pages]
        for index_file in (folder / "index").glob("*.pf_index"):
            for word, occurrences, variants in _cbor(_pagefind_file(index_file))[0][0]:
                for form, entries in [(word, occurrences)] + [tuple(variant[:2]) for variant in variants]:
                    page = 0
                    for entry in entries:
                        page += entry[0]  # page numbers are kept as the difference from the one before
                        found.add((form, urls[page]))
    return found


def files_of(root):
    """{relative path: sha256} of every file, the search index aside."""
    root = Path(root)
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and not
            p.relative_to(root).as_posix().startswith(SEARCH_INDEX + "/")}


def content_of(site):
    """What a visitor gets from the site: its files, and its search index as findable words."""
    return files_of(site), findable_words(site)


def published_conclusions():
    with models.db.connection_context():
        return list(models.Conclusion.in_force()
                    .where(models.Conclusion.is_public, models.Conclusion.status.in_(models.CONCLUSION_CLOSED))
                    .order_by(models.Conclusion.id))


def test_the_findable_words_are_those_of_the_indexed_pages(make_site):
    site = make_site()
    words = findable_words(site)
    conclusion = published_conclusions()[0]
    url = "/ket-luan/%d/" % conclusion.id
    text = (site / "ket-luan" / str(conclusion.id) / "index.html").read_text(encoding="utf-8")
    assert {(form, page) for form, page in words if page == url}
    letters = re.sub(r"\W+", "", re.sub(r"<[^>]*>", "", text).lower())  # Pagefind joins words across tags
    assert all(form in letters for form, page in words if page == url)
    assert not {page for _, page in words} & {"/", "/ket-luan/", "/tim-kiem/", "/lich-doi-thoai/"}  # lists: no


def test_the_index_is_the_same_whether_its_pages_are_laid_out_in_memory_or_beside_the_build(
        make_site, tmp_path, monkeypatch):
    """Pagefind reads each slice's pages from a scratch folder: copies in a memory file system when
    there is one, hard links beside the build otherwise; the index is the same, no scratch is left."""
    site = make_site()
    pages = [p.relative_to(site).as_posix() for p in site.rglob("*.html")]
    memory = tmp_path / "memory"
    memory.mkdir()
    made = {}
    for where, parents in (("memory", (str(memory), "/no/such/folder")), ("beside", ("/no/such/folder",))):
        monkeypatch.setattr(search, "SCRATCH_PARENTS", parents)
        copy = tmp_path / ("copy-" + where) / "site"
        shutil.copytree(site, copy, symlinks=False)
        shutil.rmtree(copy / SEARCH_INDEX)
        assert search.scratch_parent(copy) == (str(memory) if where == "memory" else copy.parent)
        search.index_search(copy, pages)
        made[where] = findable_words(copy)
        assert sorted(p.name for p in copy.parent.iterdir()) == ["site"]
    assert list(memory.iterdir()) == []
    assert made["memory"] == made["beside"] == findable_words(site) and made["memory"]
    # a memory file system without room enough (a container's 64 MB /dev/shm) is passed over
    monkeypatch.setattr(search, "SCRATCH_PARENTS", (str(memory),))
    monkeypatch.setattr(search, "SCRATCH_MIN_FREE", shutil.disk_usage(memory).free + 1)
    assert search.scratch_parent(site) == site.parent


# ---------------------------------------------------------------- a rebuild equals a fresh build


def change_data(change):
    """One change a coordinator makes between two publishes; returns a word it brings to the site."""
    target = published_conclusions()[len(published_conclusions()) // 2]
    with models.db.connection_context():
        if change == "reword":
            models.Conclusion.update(public_summary="Đã lát lại sân trụ sở bằng gạch Bát Tràng",
                                     updated_at=models.now()).where(models.Conclusion.id == target.id).execute()
            return "tràng"
        if change == "unpublish":
            models.Conclusion.update(is_public=False, updated_at=models.now()).where(
                models.Conclusion.id == target.id).execute()
            return None
        if change == "rename_unit":
            models.Unit.update(name=models.Unit.name.concat(" Lũng Cú")).where(
                models.Unit.id == target.responsible_unit_id).execute()
            return "lũng"
        # a new year: its plan, and a dialogue moved into it
        year = max(plan.year for plan in models.Plan.select()) + 1
        models.Plan.create(year=year, title="Kế hoạch tổ chức đối thoại năm %d" % year, number="%d/KH-VP" % year,
                           issued_on=dt.date(year, 1, 10), body_md="Đối thoại tại xã Mèo Vạc.", is_public=True)
        dialogue = models.Dialogue.select().where(models.Dialogue.is_public).order_by(
            models.Dialogue.starts_at.desc()).first()
        shift = dt.datetime(year, 3, 2, 8, 0) - dialogue.starts_at
        models.Dialogue.update(starts_at=dialogue.starts_at + shift, ends_at=dialogue.ends_at + shift,
                               updated_at=models.now()).where(models.Dialogue.id == dialogue.id).execute()
        return "mèo"


def slice_files(site, name):
    """{path: inode} of the files of a slice of the search index."""
    folder = site / SEARCH_INDEX / name
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("change", ["reword", "unpublish", "rename_unit", "new_year"])
@pytest.mark.parametrize("starts_in", ["links", "spare"])
def test_a_rebuild_after_a_change_equals_a_fresh_build_search_index_included(app, make_site, change, starts_in):
    """Carried forward as links (after the first build), or started in the build replaced before (after that)."""
    site = make_site()
    if starts_in == "spare":
        make_site()  # the first build is kept, and the rebuild below starts in it
    before = content_of(site)
    slices = json.loads((site / SEARCH_INDEX / search.SLICES).read_text())["slices"]
    kept = {name: slice_files(site, name) for name in slices}
    word = change_data(change)
    assert build.build(site, base_url=BASE_URL, database_url=app.config["DATABASE_URL"]).carried_as == starts_in
    now = content_of(site)
    assert now != before
    assert now == content_of(make_site("fresh"))
    if word:
        assert word in {form for form, _ in now[1]} and word not in {form for form, _ in before[1]}
    # The slices whose pages did not change were carried forward as they were (the same files).
    same = [name for name in slices if kept[name] == slice_files(site, name)]
    assert same, "no slice was kept"


# ---------------------------------------------------------------- the previous build is never modified


def inodes_of(root):
    """{inode: sha256 of the content} of every file under root."""
    return {p.stat().st_ino: hashlib.sha256(p.read_bytes()).hexdigest() for p in Path(root).rglob("*") if p.is_file()}


def test_the_previous_build_is_never_modified_through_the_links_it_shares_with_the_next(app, make_site, monkeypatch):
    site = make_site()
    previous = site.resolve()
    old = inodes_of(previous)
    old_times = {p: p.stat().st_mtime_ns for p in previous.rglob("*") if p.is_file()}
    target = published_conclusions()[len(published_conclusions()) // 2]
    change_data("reword")
    monkeypatch.setattr(state, "RETIRE_AFTER", 60)  # the replaced build stays for the look below
    summary = build.build(site, base_url=BASE_URL, database_url=app.config["DATABASE_URL"])
    assert summary.carried_as == "links"
    assert previous.is_dir() and site.resolve() != previous
    # Every file of the previous build has the content and time it had before the rebuild ...
    assert inodes_of(previous) == old
    assert {p: p.stat().st_mtime_ns for p in previous.rglob("*") if p.is_file()} == old_times
    # ... and the new build shares the files that did not change, and only those.
    current = site.resolve()
    new = {p.relative_to(current).as_posix(): p.stat().st_ino for p in current.rglob("*") if p.is_file()}
    shared = {path for path, inode in new.items() if inode in old}
    assert len(shared) > len(new) / 2
    assert "ket-luan/%d/index.html" % target.id not in shared
    assert all((previous / path).stat().st_ino == new[path] for path in shared)
    # The previous build is kept for the next one to start in, as it is ...
    assert json.loads((site.parent / "site.spare.json").read_text())["spare"] == previous.name
    # ... which brings over what changed and builds the same site a fresh build makes.
    shown = inodes_of(current)
    monkeypatch.setattr(state, "RETIRE_AFTER", 0)
    change_data("unpublish")
    again = build.build(site, base_url=BASE_URL, database_url=app.config["DATABASE_URL"])
    assert again.carried_as == "spare" and site.resolve() == previous
    assert inodes_of(current) == shown  # the build it replaced: untouched, kept in its turn
    assert content_of(site) == content_of(make_site("fresh"))


def test_without_hard_links_the_previous_build_is_copied(app, make_site, monkeypatch):
    site = make_site()
    change_data("reword")

    def no_links(source, target, **options):
        raise OSError(18, "Invalid cross-device link")  # EXDEV: as between two file systems

    monkeypatch.setattr(os, "link", no_links)
    summary = build.build(site, base_url=BASE_URL, database_url=app.config["DATABASE_URL"])
    assert summary.carried_as == "copies"
    monkeypatch.undo()
    assert content_of(site) == content_of(make_site("fresh"))


# ---------------------------------------------------------------- killed anywhere


TRAPPED = ("replace", "rename", "link", "unlink", "symlink", "mkdir", "rmdir", "utime")  # os functions


def run_killed(site, database_url, point):
    """Build `site` in a forked process killed (SIGKILL) at its `point`-th step; returns (the steps it made,
    the step that started the first Pagefind process, the step of the flip) when not killed.

    A step: a call of one of the os functions that change the file system (TRAPPED), or the start of
    a Pagefind process (killed just after it started, so during the index). `point` None: not killed.
    In the child, the replaced build's removal is waited for (a step too), then the child ends.
    """
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: count the steps, kill itself at the one asked for
        os.close(reader)
        steps, marks = [0], {}

        def step():
            steps[0] += 1
            if steps[0] == point:
                os.kill(os.getpid(), signal.SIGKILL)

        def trapped(function):
            def wrapper(*args, **kwargs):
                step()
                if function.__name__ == "replace" and os.fspath(args[1]) == os.fspath(site):
                    marks.setdefault("flip", steps[0])
                return function(*args, **kwargs)
            return wrapper

        class Popen(subprocess.Popen):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                step()
                marks.setdefault("index", steps[0])

        try:
            for name in TRAPPED:
                setattr(os, name, trapped(getattr(os, name)))
            search.subprocess.Popen = Popen
            state.RETIRE_AFTER = 0
            build.build(site, base_url=BASE_URL, database_url=database_url)
            os.write(writer, json.dumps([steps[0], marks["index"], marks["flip"]]).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        told = pipe.read()
    _, status = os.waitpid(pid, 0)
    if point is not None:
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (point, status)
    return json.loads(told) if told else None


@pytest.mark.sqlite_only  # the forked child reopens the database file
def test_a_build_killed_at_any_of_20_points_leaves_the_previous_site_or_the_new_one(app, make_site, tmp_path):
    database_url = app.config["DATABASE_URL"]
    start = make_site("start")
    make_site("start")  # built again: the first build is kept, and the builds below start in it
    kept = json.loads((tmp_path / "start.spare.json").read_text())["spare"]
    before = content_of(start)
    change_data("reword")
    after = content_of(make_site("expected"))
    assert after != before

    def fresh_copy(name):
        """The started state (site, its builds, its state files) copied under another name."""
        for entry in tmp_path.iterdir():
            if entry.name.startswith("start"):
                copy = tmp_path / (name + entry.name[len("start"):])
                if entry.is_symlink():
                    os.symlink(os.readlink(entry).replace("start.builds", name + ".builds"), copy)
                elif entry.is_dir():
                    shutil.copytree(entry, copy, symlinks=True)
                else:
                    shutil.copy2(entry, copy)
        return tmp_path / name

    steps, index, flip = run_killed(fresh_copy("measured"), database_url, None)
    assert content_of(tmp_path / "measured") == after
    assert (tmp_path / "measured").resolve().name == kept  # made in the kept build, brought up to date
    fixed = {1, index, index + 1, flip - 1, flip, flip + 1, steps}  # first step, in the index, at the flip, last
    rng = random.Random(14)
    points = sorted(fixed | set(rng.sample(sorted(set(range(2, steps)) - fixed), 20 - len(fixed))))
    assert len(points) == 20
    seen = set()
    for number, point in enumerate(points):
        site = fresh_copy("killed%d" % number)
        run_killed(site, database_url, point)
        found = content_of(site)  # site/ is a whole site: the previous one or the new one
        assert found in (before, after), "killed at step %d of %d: a mix" % (point, steps)
        seen.add(found == after)
        if point in fixed:  # the next build after it makes the new site, and tidies what the kill left
            build.build(site, base_url=BASE_URL, database_url=database_url)
            assert content_of(site) == after, "the build after a kill at step %d" % point
            # what is left: the build on show and the one it replaced, kept for the next build
            spare = json.loads((tmp_path / ("killed%d.spare.json" % number)).read_text())["spare"]
            left = {p.name for p in (tmp_path / ("killed%d.builds" % number)).iterdir()}
            assert left == {site.resolve().name, spare}
    assert seen == {False, True}  # killed before the flip, and after it


# ---------------------------------------------------------------- publishing what changed


def test_publishing_a_one_change_rebuild_sends_only_the_changed_files(app, make_site, tmp_path, monkeypatch):
    site = make_site()
    folder = tmp_path / "host"
    (tmp_path / "ftp-home").mkdir()
    server = _Server(tmp_path / "ftp-home")
    monkeypatch.setenv(publish.PASSWORD_VARIABLE, PASSWORD)
    try:
        quiet = io.StringIO()
        first = publish.publish(site, str(folder), out=quiet)
        assert first.sent == len(publish.local_manifest(site)) > 100
        publish.publish(site, server.url(), out=quiet)
        server.sent()
        before = publish.local_manifest(site)
        change_data("reword")
        make_site()
        now = publish.local_manifest(site)
        changed = {path for path in now if before.get(path) != now[path]}
        gone = set(before) - set(now)
        assert changed and len(changed) < len(now) / 4
        assert any(path.startswith(SEARCH_INDEX + "/") for path in changed)  # the slices made again
        to_folder = publish.publish(site, str(folder), out=quiet)
        assert to_folder.sent == len(changed) and to_folder.removed == len(gone)
        to_ftp = publish.publish(site, server.url(), out=quiet)
        assert sorted(server.sent()) == sorted(changed | {publish.MANIFEST})  # the files the host stored
        assert to_ftp.sent == len(changed) and to_ftp.removed == len(gone)
        for root in (folder, tmp_path / "ftp-home" / "dan-biet"):
            assert publish.local_manifest(root) == now
    finally:
        server.stop()
