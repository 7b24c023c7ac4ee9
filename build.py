"""Freeze the public site "Dân biết" into site/: built aside, links checked, then swapped in.

    .venv/bin/python build.py [--base-url https://host/dan-biet/] [--destination site] [--check-all] [--publish TARGET]

The database is DATABASE_URL (or --database-url; default: the internal app's instance SQLite file);
the host's address comes from --base-url or FREEZER_BASE_URL. Pages link to each other with relative
URLs, so the same files work at the host's root and in a sub-folder; the base URL is used only for
the absolute URLs of sitemap.xml, the feed, the calendar and 404.html.

A build never leaves a half-written site/: the previous build is carried into a new folder of
site.builds/ as hard links (real copies where the file system has none), Frozen-Flask freezes over
it (writing only the files whose content changed, each as a new file renamed over the link, so the
previous build on show is never modified and unchanged pages keep their time), the search index is
made again for the slices whose pages changed (sitebuild/search.py) while the links are checked
(those of the new and rewritten files and of the files that linked to a file that went away; all
of them when the code changed, or with --check-all), and only then the new folder takes the place
of the old one: site/ is a symbolic link to the build, replaced in one rename (sitebuild/state.swap),
so a visitor always finds a whole site. The replaced build is kept (site.spare.json says what it
lacks): the next build starts in it, bringing over only the files this build wrote or removed and the
search slices it made again, instead of linking every file anew and removing a whole build each time.

Beside site/ a build keeps, for the next one of the same code, base URL and day: site.state.json
(each page's signature, so that an unchanged page keeps its file, and the pages of the search
index), site.carried (the open-data lines of each record by its signature, so that one changed
record does not remake 20,000 lines), site.links (where each file links to) and site.hashes (each
file's SHA-256, which the publish compares with the host's manifest). None is published; deleting
them only makes the next build render, index and check everything, and the publish read every file.

With --json (the app's publish job, services/publish_runs.py, runs it so) the command prints, instead
of the progress line and summary on stderr, JSON lines on stdout: {"progress": …}, {"summary": …}
and {"error": …}; a publish target is checked before the build starts.

The machinery is in sitebuild/: freezer, workers, state, links, search, publish, progress.
"""
import argparse
import fcntl
import marshal
import os
import shutil
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import models
from services import memo
from sitebuild import SEARCH_INDEX, BuildError, freezer, links, publish, search, state
from sitebuild.progress import JsonMessages, Progress, size

__all__ = ["BASE_DIR", "SEARCH_INDEX", "BuildError", "Summary", "build", "main"]

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_DESTINATION = BASE_DIR / "site"
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
NOT_PUBLISHED = "Không đăng lên máy chủ (chưa cấu hình nơi đăng PUBLISH_TARGET, hoặc chỉ xuất)."


@dataclass
class Summary:
    pages: int = 0  # URLs frozen
    written: int = 0  # files new or rewritten by this build
    removed: int = 0  # files of the previous build that went away
    files: int = 0  # files in the build
    bytes: int = 0
    seconds: float = 0.0
    copy_seconds: float = 0.0  # carrying the previous build forward
    carried_as: str = ""  # "links" or "copies" (carried forward), or "spare" (the build replaced last time)
    freeze_seconds: float = 0.0
    check_seconds: float = 0.0
    checked: int = 0  # files whose links were checked
    index_seconds: float = 0.0
    indexed: int = 0  # pages in the search index
    slices_indexed: int = 0  # slices of it made again by this build
    destination: str = ""
    problems: list = field(default_factory=list)

    def line(self):
        return ("Đã xuất %d trang (%d tệp ghi mới, %d tệp bỏ) · %d tệp, %s · %.1f giây (mang bản cũ sang %.1f, "
                "đóng băng %.1f, chỉ mục tìm kiếm %.1f: %d trang, lập lại %d phần; kiểm tra liên kết %.1f: %d tệp) "
                "→ %s" % (
                    self.pages, self.written, self.removed, self.files, size(self.bytes), self.seconds,
                    self.copy_seconds, self.freeze_seconds, self.index_seconds, self.indexed, self.slices_indexed,
                    self.check_seconds, self.checked, self.destination))



def default_database_url():
    return os.environ.get("DATABASE_URL") or "sqlite:///" + str(BASE_DIR / "instance" / "doithoai.db")


def normalise_base_url(url):
    """The host's address with a trailing slash; BuildError unless it is an http(s) URL."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BuildError("Địa chỉ gốc không hợp lệ: %r (cần dạng https://ten-mien/thu-muc/)." % url)
    return url if url.endswith("/") else url + "/"


def build(destination=DEFAULT_DESTINATION, base_url=None, database_url=None, progress=None, check=True, workers=None,
          check_all=False):
    """Freeze the public site from the database into `destination`, atomically; returns a Summary.

    `workers`: processes that render pages (None: two when there are many pages to render).
    `check_all`: check the links of every file, not only of those a change may have broken.
    The replaced build is kept for the next build to start in (state.keep_spare, state.take_spare).

    Raises BuildError (broken links, another build running, bad base URL); any other error of the
    freeze propagates. Either way the previous `destination` stays as it was.
    """
    started = time.perf_counter()
    destination = Path(os.path.abspath(destination))
    destination = destination.parent.resolve() / destination.name  # not the link itself: it is swapped
    base_url = normalise_base_url(base_url or os.environ.get("FREEZER_BASE_URL") or DEFAULT_BASE_URL)
    database_url = database_url or default_database_url()
    parent = destination.parent
    parent.mkdir(parents=True, exist_ok=True)
    with open(parent / (destination.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError("Đang có một lần xuất trang công khai khác chạy; vui lòng thử lại sau.") from None
        state.tidy(destination)
        state_path = parent / (destination.name + ".state.json")
        carried_path = parent / (destination.name + ".carried")
        links_path = parent / (destination.name + ".links")
        previous = state.load_state(state_path) if destination.is_dir() else {}
        made = {"fingerprint": state.fingerprint(base_url, models.today()), "checked": check, "pages": {}}
        same_code = previous.get("fingerprint") == made["fingerprint"]
        shown = destination.resolve() if destination.is_dir() else None  # the build on show
        t0 = time.perf_counter()
        work = state.take_spare(destination, shown) if shown is not None else None
        recycled = work is not None
        work = work or state.new_build(destination)
        try:
            summary = Summary(destination=str(destination))
            if recycled:  # the build replaced last time, brought up to the one on show
                summary.carried_as = "spare"
            elif shown is not None:  # carried forward: hard links, or copies
                summary.carried_as = state.carry_forward(shown, work)
            before = state.snapshot(work)
            summary.copy_seconds = time.perf_counter() - t0
            t0, data_read_from = time.perf_counter(), time.time()
            carry = memo.Carry(state.load_carried(carried_path, made["fingerprint"]) if same_code else {})
            summary.pages = freezer.freeze_database(work, base_url, database_url, progress, allow_skip=same_code,
                                                    previous=previous.get("pages") or {}, signatures=made["pages"],
                                                    workers=workers, existing=set(before), carry=carry)
            summary.freeze_seconds = time.perf_counter() - t0
            after = state.snapshot(work)
            written = [path for path, sig in after.items() if before.get(path) != sig]
            removed = set(before) - set(after)
            state.date_back(work, written, data_read_from)
            summary.written, summary.removed, summary.files = len(written), len(removed), len(after)
            summary.bytes = sum(count for count, _ in after.values())
            # The search index and the link check at once: Pagefind's processes and this one share the cores.
            with ThreadPoolExecutor(1) as pool:
                indexing = pool.submit(index_and_hash, work, [p for p in after if p.endswith(".html")],
                                       set(written) | removed if before else None, previous.get("search"),
                                       shown, destination)
                link_map = {}
                if check:
                    t0 = time.perf_counter()
                    link_map = check_links(work, base_url, previous, same_code and not check_all, links_path,
                                           made["fingerprint"], written, removed, summary)
                    summary.check_seconds = time.perf_counter() - t0
                summary.index_seconds, made["search"], hashes = indexing.result()
            summary.indexed = len(made["search"]["pages"])
            summary.slices_indexed = made["search"].pop("remade")
            if summary.problems:
                raise BuildError("Có %d liên kết hỏng, trang công khai giữ nguyên bản cũ:\n  %s" % (
                    len(summary.problems), "\n  ".join(summary.problems[:20])))
            # The state describes the site in place: none while the swap is under way, so that a
            # build killed in between renders, indexes and checks every page next time instead of
            # trusting old signatures.
            state_path.unlink(missing_ok=True)
            links_path.unlink(missing_ok=True)
            replaced = state.swap(work, destination)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        state.save_state(state_path, made)
        state.save_carried(carried_path, made["fingerprint"], carry.kept())
        publish.save_hashes(destination, work, hashes)
        if check:
            save_links(links_path, made["fingerprint"], link_map)
        if replaced is not None:
            state.keep_spare(destination, replaced, work, written, removed)
    summary.seconds = time.perf_counter() - started
    return summary


def index_and_hash(work, pages, changed, previous, shown, destination):
    """The search index (search.index_search), then the hashes of the build's files for the publish
    (publish.build_hashes: only the files made anew are read); (index seconds, its state, hashes)."""
    seconds, made = search.index_search(work, pages, changed=changed, previous=previous)
    return seconds, made, publish.build_hashes(work, shown, destination)


def check_links(work, base_url, previous, incremental, links_path, fingerprint, written, removed, summary):
    """Check the links of the build in `work` into summary.problems; returns its link map (see links.check_links).

    Incremental when the previous build was checked by the same code and left its link map: the
    files kept as they were passed that check, so only the new and rewritten ones, and those that
    linked to a file that went away, can hold a broken link. Otherwise every file is checked.
    """
    known = load_links(links_path, fingerprint) if incremental and previous.get("checked") else {}
    if not known:
        link_map = {}
        summary.problems = links.check_links(work, base_url, link_map=link_map)
        summary.checked = len(link_map)
        return link_map
    only = set(written) | (links.linkers(known, removed) - removed)
    fresh = {}
    summary.problems = links.check_links(work, base_url, only=only, link_map=fresh)
    summary.checked = len(fresh)
    link_map = {where: targets for where, targets in known.items() if where not in removed and where not in only}
    link_map.update(fresh)
    return link_map


def load_links(path, fingerprint):
    """The link map the previous build left (for the same code, base URL and day), or {}."""
    try:
        kept = marshal.loads(path.read_bytes())  # nosec B302  # our own build's file beside the site, checked below
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or kept.get("fingerprint") != fingerprint:
        return {}
    return links.unpack(kept.get("map"))


def save_links(path, fingerprint, link_map):
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(marshal.dumps({"fingerprint": fingerprint, "map": links.pack(link_map)}))
    os.replace(temporary, path)


# ---------------------------------------------------------------- command line


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default=None,
                        help="Địa chỉ của trang trên máy chủ, gồm cả thư mục con (mặc định: biến môi trường "
                             "FREEZER_BASE_URL, hoặc %s)." % DEFAULT_BASE_URL)
    parser.add_argument("--destination", default=str(DEFAULT_DESTINATION), help="Thư mục kết quả (mặc định: site/).")
    parser.add_argument("--database-url", default=None,
                        help="Cơ sở dữ liệu (mặc định: biến môi trường DATABASE_URL, hoặc tệp SQLite của ứng dụng).")
    parser.add_argument("--publish", metavar="TARGET", default=None,
                        help="Sau khi xuất, đăng lên máy chủ: một thư mục, hoặc ftp://user@host/path, "
                             "ftps://… (mật khẩu lấy từ biến môi trường PUBLISH_PASSWORD).")
    parser.add_argument("--check-all", action="store_true",
                        help="Kiểm tra liên kết của mọi tệp, không chỉ của những tệp mà thay đổi có thể làm hỏng.")
    parser.add_argument("--dry-run", action="store_true",
                        help="Với --publish: chỉ liệt kê các thay đổi, không gửi gì.")
    parser.add_argument("--json", action="store_true",
                        help="Báo tiến độ, kết quả và lỗi thành các dòng JSON trên stdout (cho việc xuất bản "
                             "chạy từ ứng dụng).")
    args = parser.parse_args(argv)
    if args.json:
        return run_job(args)
    try:
        summary = build(args.destination, base_url=args.base_url, database_url=args.database_url,
                        progress=Progress(), check_all=args.check_all)
    except BuildError as error:
        print("Lỗi: %s" % error, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nĐã dừng: trang công khai giữ nguyên bản cũ.", file=sys.stderr)
        return 130
    print(summary.line(), file=sys.stderr)
    if args.publish:  # only after a successful build: the build swaps the folder
        try:
            sent = publish.publish(args.destination, args.publish, dry_run=args.dry_run, progress=publish.Progress())
        except publish.PublishError as error:
            print("Lỗi: %s" % error, file=sys.stderr)
            return 1
        print(sent.line(), file=sys.stderr)
    return 0


def run_job(args):
    """--json: build, then publish to --publish when given; JSON lines on stdout, a traceback on stderr.

    A target that cannot work fails before the build. The summary grows by a line a step; an
    error is its message (a BuildError's or PublishError's, else the exception's last line).
    """
    messages, target, lines = JsonMessages(), args.publish or "", []
    try:
        if target:
            publish.open_target(target)  # a target that cannot work fails now, not after the build
        messages.emit(progress="Đang xuất trang công khai…")
        result = build(args.destination, base_url=args.base_url, database_url=args.database_url,
                       progress=messages.pages, check_all=args.check_all)
        lines.append(result.line())
        messages.emit(progress=result.line(), summary="\n".join(lines))
        if not target:
            lines.append(NOT_PUBLISHED)
        else:
            messages.emit(progress="Đang đăng lên %s…" % target)
            sent = publish.publish(args.destination, target, dry_run=args.dry_run, progress=messages.files,
                                   out=sys.stderr)  # a dry run's list of changes: stdout is for JSON
            lines.append(sent.line())
    except (BuildError, publish.PublishError) as exc:
        messages.emit(summary="\n".join(lines), error=str(exc))
        return 1
    except Exception as exc:  # anything else: its last line, the whole traceback on stderr
        traceback.print_exc()
        messages.emit(summary="\n".join(lines), error=traceback.format_exception_only(type(exc), exc)[-1].strip())
        return 1
    messages.emit(progress="Hoàn tất.", summary="\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
