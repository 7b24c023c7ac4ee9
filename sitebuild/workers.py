"""The build's worker processes: page signatures worked out in a fork, pages frozen over forked workers."""
import multiprocessing
import os
import time
import warnings
import zlib
from multiprocessing.connection import wait

from flask_frozen import FrozenFlaskWarning

import models
import publication
from services import memo
from sitebuild import BuildError

FORK_SIGNATURES_FROM = 4000  # pages: fewer are digested sooner in one process than by starting another
MAX_WORKERS = 2
PARALLEL_FROM = 1500  # pages to render; fewer are done sooner in one process than by starting workers


def may_fork():
    """False in a daemon process, which may not start processes."""
    return not multiprocessing.current_process().daemon


def forked_map(function, pages):
    """[function(endpoint, values) for each page], the second half worked out in a forked process.

    The child inherits the records already read (publication's build cache) and may not touch the
    database: its connection stays the parent's (models.db is unbound in the child, so a query
    there fails loudly instead of sharing a SQLite handle across processes). Its results come
    back through a pipe; an error there is raised here.
    """
    if len(pages) < FORK_SIGNATURES_FROM or (os.cpu_count() or 1) < 2 or not may_fork():
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


def owner(url, workers):
    """The worker that renders `url`: the same in every worker, about as many URLs each."""
    return zlib.crc32(url.encode("utf-8")) % workers


def how_many(pages_to_render):
    """Worker processes for that many pages to render: MAX_WORKERS when there are many, else 1."""
    if pages_to_render < PARALLEL_FROM or not may_fork():
        return 1
    return min(MAX_WORKERS, os.cpu_count() or 1)


def warm(app):
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


def freeze_in_workers(freezer, total, workers, progress):
    """Run Frozen-Flask's freeze in `workers` forked processes; returns (pages, total, paths written or kept).

    `freezer` is a sitebuild.freezer.ShareFreezer. Each worker reports its progress and, at the
    end, the URLs it met and their paths; a URL met only by a worker it did not fall to is frozen
    here (Frozen-Flask's removal of files from the previous build that no URL gave is left to the
    caller, over the paths of all of them). An error in a worker (its exception) is raised here
    once the others are stopped.
    """
    context = multiprocessing.get_context("fork")
    processes, pipes = [], {}
    try:
        for share in range(workers):
            receiver, sender = context.Pipe(duplex=False)
            process = context.Process(target=_work, args=(freezer, workers, share, sender), daemon=True)
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
                    if memo.current_carry() is not None:
                        memo.current_carry().made.update(data[2])
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


def _work(freezer, workers, share, pipe):
    """A worker process: Frozen-Flask's freeze of this share; messages to the parent through `pipe`."""
    try:
        freezer.workers, freezer.share = workers, share
        count, last, url = 0, time.monotonic(), ""
        met, mine = {}, set()  # url: path of every URL met; those of this share
        with warnings.catch_warnings():
            warnings.simplefilter("error", FrozenFlaskWarning)
            for page in freezer.freeze_yield():
                met[page.url] = page.path.as_posix()
                if owner(page.url, workers) != share:
                    continue
                mine.add(page.url)
                count, url = count + 1, page.url
                if time.monotonic() - last > 0.2:
                    pipe.send(("progress", count, url))
                    count, last = 0, time.monotonic()
        if count:
            pipe.send(("progress", count, url))
        carry = memo.current_carry()
        pipe.send(("done", met, mine, carry.made if carry is not None else {}))
    except BaseException as error:  # noqa: B036 (handed to the parent, which raises it)
        try:
            pipe.send(("error", error))
        except Exception:
            pipe.send(("error", BuildError("%s: %s" % (type(error).__name__, error))))
    finally:
        pipe.close()
