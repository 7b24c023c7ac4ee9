"""Progress of a build and a publish: a line on stderr for a person, JSON lines for the publish job."""
import json
import sys
import time


def size(count):
    """A byte count as KB or MB, one decimal."""
    if count >= 1024 * 1024:
        return "%.1f MB" % (count / 1024 / 1024)
    return "%.1f KB" % (count / 1024)


def pages_text(done, total, url):
    return "Đang xuất trang %d/%d (%d%%) %s" % (done, total, 100 * done // max(total, 1), url)


class Throttle:
    """Lets a step through when it is the last one or `every` seconds have passed since the previous."""

    def __init__(self, every):
        self.every, self.last = every, 0.0

    def due(self, done, total, every=None):
        moment = time.monotonic()
        if done != total and moment - self.last < (self.every if every is None else every):
            return False
        self.last = moment
        return True


class ProgressLine(Throttle):
    """A progress line on stderr: rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, stream=None, every=5.0):
        super().__init__(every)
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def show(self, done, total, text):
        if not self.due(done, total, 0.1 if self.tty else None):
            return
        if self.tty:
            self.stream.write("\r\033[K" + text[:150] + ("\n" if done == total else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


class Progress(ProgressLine):
    """The pages frozen, as build.build() reports them: progress(done, total, url)."""

    def __call__(self, done, total, url):
        self.show(done, total, pages_text(done, total, url))


class JsonMessages(Throttle):
    """The publish job's messages on stdout, a JSON object a line: progress, summary, error.

    As progress of build.build() and publish.publish() it writes a line at most every `every`
    seconds (the job stores one every half second), and always the last.
    """

    def __init__(self, stream=None, every=0.25):
        super().__init__(every)
        self.stream = stream

    def emit(self, **message):
        stream = self.stream or sys.stdout  # looked up late: tests capture sys.stdout
        stream.write(json.dumps(message, ensure_ascii=False) + "\n")
        stream.flush()

    def pages(self, done, total, url):
        if self.due(done, total):
            self.emit(progress=pages_text(done, total, url))

    def files(self, done, total, path, sent_bytes, total_bytes):
        if self.due(done, total):
            self.emit(progress="Đang gửi tệp %d/%d · %s" % (done, total, path))
