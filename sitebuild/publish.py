"""Send a built site ("Dân biết", site/) to the province web host: only what changed.

    .venv/bin/python -m sitebuild.publish site TARGET [--dry-run]

TARGET is a folder (a mounted share) or ftp://user@host[:port]/path or ftps://user@host[:port]/path;
the FTP password comes from the environment variable PUBLISH_PASSWORD, never from the command line
(a URL with a password in it is refused). FTPS (explicit TLS, data channel encrypted too) checks the
host's certificate against the system's authorities, or those in the file PUBLISH_CA_FILE.

The target keeps a manifest of SHA-256 hashes (.dan-biet-manifest.json). A run compares it with the
local build and sends, in this order, so that visitors never meet a link to a file not yet sent:
1. new and changed files that are not HTML (style sheets, images, search index, feeds, data);
2. new and changed HTML pages, deepest path first, index pages after the other pages of their
   depth, the root index.html very last (pages that link to others come after them);
3. removals (files removed locally; folders left empty go too);
4. the manifest, last: a run interrupted before it leaves the old manifest, so the next run
   compares against it again and resends whatever may not have arrived.
Each file is written under a temporary name beside its final place and then renamed over the old
one, so a visitor never gets a half-written page.
"""
import argparse
import ftplib  # nosec B402  # FTPS (TLS, certificate checked) unless the target is set to ftp://
import hashlib
import io
import json
import marshal
import os
import posixpath
import ssl
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sitebuild.progress import ProgressLine, size

MANIFEST = ".dan-biet-manifest.json"
TEMP_SUFFIX = ".dan-biet-tmp"
PASSWORD_VARIABLE = "PUBLISH_PASSWORD"
CA_FILE_VARIABLE = "PUBLISH_CA_FILE"  # optional: CA certificates for an FTPS host signed by a private authority
FTP_TIMEOUT = 60  # seconds


class PublishError(Exception):
    """A publish that could not be done or completed; str() says why (in Vietnamese)."""


@dataclass
class Summary:
    target: str = ""
    dry_run: bool = False
    changes: list = field(default_factory=list)  # (sign, path) in sending order: "+" new, "~" changed, "-" removed
    unchanged: int = 0
    sent: int = 0  # files sent (new and changed)
    removed: int = 0
    bytes: int = 0  # bytes sent
    seconds: float = 0.0

    def count(self, sign):
        return sum(1 for change in self.changes if change[0] == sign)

    def line(self):
        if self.dry_run:
            return ("Chạy thử (không gửi gì): %d tệp mới, %d tệp thay đổi, %d tệp bị xóa, %d tệp giữ nguyên → %s"
                    % (self.count("+"), self.count("~"), self.count("-"), self.unchanged, self.target))
        return ("Đã đăng: %d tệp mới, %d tệp thay đổi (%s), %d tệp đã xóa, %d tệp giữ nguyên · %.1f giây → %s"
                % (self.count("+"), self.count("~"), size(self.bytes), self.removed, self.unchanged, self.seconds,
                   self.target))


class Progress(ProgressLine):
    """A progress line on stderr: files done/total and bytes; rewritten in place on a terminal."""

    def __init__(self, stream=None, every=2.0):
        super().__init__(stream, every)

    def __call__(self, done, total, path, sent_bytes, total_bytes):
        self.show(done, total, "Đang gửi tệp %d/%d · %s/%s %s" % (done, total, size(sent_bytes), size(total_bytes),
                                                                 path))


# ---------------------------------------------------------------- the local build and the plan


def _files(root):
    """Relative posix paths of the files under root (the manifest and temporary files aside), sorted."""
    found = []
    for folder, folders, names in os.walk(root):
        folders.sort()
        base = os.path.relpath(folder, root).replace(os.sep, "/")
        for name in names:
            relative = name if base == "." else base + "/" + name
            if relative != MANIFEST and not relative.endswith(TEMP_SUFFIX):
                found.append(relative)
    return sorted(found)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def local_manifest(site_dir):
    """{relative posix path: {"sha256", "size"}} of every file of the build.

    Read from the hashes the build left beside it (build_hashes) when they are of this very build
    and name its files; otherwise every file is read and hashed.
    """
    site_dir = Path(site_dir)
    names = _files(site_dir)
    kept = _load_hashes(site_dir)
    if kept is not None and sorted(kept) == names:
        return {path: {"sha256": kept[path][1], "size": kept[path][2]} for path in names}
    return {path: {"sha256": _sha256(site_dir / path), "size": (site_dir / path).stat().st_size} for path in names}


def hashes_path(site_dir):
    """Where a build keeps its files' hashes: beside the site's link, site.hashes."""
    site = Path(os.path.abspath(site_dir))
    return site.parent / (site.name + ".hashes")


def build_hashes(root, previous_root, destination):
    """{path: [inode, sha256, size]} of the files of the build in `root`, hashing only those it made.

    `previous_root`, the build carried into it (still whole, on show): a file that has the inode it
    had there is the same file, never modified (the build writes new files and renames them over
    the links), so its hash is taken from the hashes `destination`'s build left. While that build
    is there no new file can have one of its inode numbers, so the reuse is sound.
    """
    before = (_load_hashes(destination, expected=previous_root) or {}) if previous_root is not None else {}
    made = {}
    for path in _files(root):
        stat = os.stat(os.path.join(root, path))
        old = before.get(path)
        if old is not None and old[0] == stat.st_ino and old[2] == stat.st_size:
            made[path] = old
        else:
            made[path] = [stat.st_ino, _sha256(os.path.join(root, path)), stat.st_size]
    return made


def save_hashes(destination, build_folder, hashes):
    """Keep the hashes of the build `build_folder` (what `destination` now links to) beside the site."""
    path = hashes_path(destination)
    temporary = path.with_name(path.name + ".new")
    temporary.write_bytes(marshal.dumps({"build": Path(build_folder).name, "files": hashes}))
    os.replace(temporary, path)


def _load_hashes(site_dir, expected=None):
    """The hashes kept beside `site_dir` if they are of the build it links to (or of `expected`), else None."""
    try:
        kept = marshal.loads(hashes_path(site_dir).read_bytes())  # nosec B302  # our own build's file beside the site
    except (OSError, EOFError, ValueError, TypeError):
        return None
    name = Path(expected).name if expected is not None else Path(os.path.realpath(site_dir)).name
    if not isinstance(kept, dict) or kept.get("build") != name or not isinstance(kept.get("files"), dict):
        return None
    return kept["files"]


def _is_html(path):
    return path.lower().endswith((".html", ".htm"))


def _page_order(path):
    """Deepest first; within a depth, index pages after the others; the root index.html last of all."""
    return (-path.count("/"), posixpath.basename(path) == "index.html", path)


def plan(local, remote):
    """The changes in sending order: a list of (sign, path), sign "+" new, "~" changed, "-" removed."""
    new_or_changed = [(("~" if path in remote else "+"), path) for path in local
                      if remote.get(path, {}).get("sha256") != local[path]["sha256"]]
    assets = sorted((change for change in new_or_changed if not _is_html(change[1])), key=lambda change: change[1])
    pages = sorted((change for change in new_or_changed if _is_html(change[1])),
                   key=lambda change: _page_order(change[1]))
    gone = [path for path in remote if path not in local]
    # Pages first (the pages that linked to them were updated above), then the rest.
    removals = sorted(gone, key=lambda path: (not _is_html(path), path))
    return assets + pages + [("-", path) for path in removals]


def _parse_manifest(data):
    try:
        files = json.loads(data.decode("utf-8"))["files"]
        return {str(path): {"sha256": str(entry["sha256"]), "size": int(entry["size"])}
                for path, entry in files.items() if _safe_path(str(path))}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}  # unreadable: everything is sent again, nothing is removed


def _safe_path(path):
    """A path inside the target: never removes or writes outside it, whatever a manifest says."""
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and "\\" not in path and not {"", ".", ".."} & set(parts)


def _manifest_bytes(files):
    return json.dumps({"version": 1, "files": files}, ensure_ascii=False, indent=0, sort_keys=True).encode("utf-8")


# ---------------------------------------------------------------- targets


class FolderTarget:
    """A folder, e.g. a mounted share."""

    def __init__(self, root):
        self.root = Path(root)
        self.label = str(self.root)

    def open(self, create=True):
        if create:
            self.root.mkdir(parents=True, exist_ok=True)

    def close(self):
        pass

    def read(self, path):
        try:
            return (self.root / path).read_bytes()
        except FileNotFoundError:
            return None

    def write(self, path, source):
        final = self.root / path
        final.parent.mkdir(parents=True, exist_ok=True)
        temporary = final.with_name(final.name + TEMP_SUFFIX)
        with open(temporary, "wb") as out:
            while block := source.read(1 << 20):
                out.write(block)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)

    def delete(self, path):
        try:
            (self.root / path).unlink()
        except FileNotFoundError:
            pass

    def remove_folder(self, folder):
        try:
            (self.root / folder).rmdir()
        except OSError:
            pass  # not empty, or already gone


class FtpTarget:
    """An FTP or FTPS (explicit TLS) server; paths relative to the URL's folder."""

    def __init__(self, url, password, ca_file=None):
        parts = urlsplit(url)
        self.tls = parts.scheme == "ftps"
        self.host, self.port = parts.hostname, parts.port or 21
        self.user = unquote(parts.username or "anonymous")
        self.password = password
        self.ca_file = ca_file
        self.base = unquote(parts.path) or "/"
        self.label = "%s://%s@%s:%d%s" % (parts.scheme, self.user, self.host, self.port, self.base)
        self.ftp = None
        self.folders = set()
        self.missing = False

    def open(self, create=True):
        if self.tls:
            context = ssl.create_default_context(cafile=self.ca_file)  # verifies the certificate and host name
            self.ftp = ftplib.FTP_TLS(context=context, timeout=FTP_TIMEOUT)
        else:
            self.ftp = ftplib.FTP(timeout=FTP_TIMEOUT)  # nosec B321  # only when PUBLISH_TARGET says ftp://
        self.ftp.encoding = "utf-8"
        self.ftp.connect(self.host, self.port)
        self.ftp.login(self.user, self.password or "")
        if self.tls:
            self.ftp.prot_p()
        if create:
            self._make_folders(self.base)
        try:
            self.ftp.cwd(self.base)
        except ftplib.error_perm:
            if create:
                raise
            self.missing = True  # a dry run against a folder not made yet: everything is new
        self.folders = {""}

    def close(self):
        if self.ftp is not None:
            try:
                self.ftp.quit()
            except Exception:  # a connection already broken or never made: just let go of it
                self.ftp.close()
            self.ftp = None

    def _make_folders(self, folder):
        """Create `folder` and its parents when missing (absolute, or relative to the base)."""
        prefix = "/" if folder.startswith("/") else ""
        parts = [part for part in folder.split("/") if part]
        for index in range(len(parts)):
            path = prefix + "/".join(parts[:index + 1])
            if path in self.folders:
                continue
            try:
                self.ftp.mkd(path)
            except ftplib.error_perm:
                pass  # most often: it already exists; a real problem shows at the upload
            self.folders.add(path)

    def read(self, path):
        if self.missing:
            return None
        buffer = io.BytesIO()
        try:
            self.ftp.retrbinary("RETR " + path, buffer.write)
        except ftplib.error_perm:
            return None  # 550: no such file
        return buffer.getvalue()

    def write(self, path, source):
        folder, name = posixpath.split(path)
        if folder:
            self._make_folders(folder)
        temporary = posixpath.join(folder, name + TEMP_SUFFIX)
        self.ftp.storbinary("STOR " + temporary, source)
        try:
            self.ftp.rename(temporary, path)
        except ftplib.error_perm:
            # Servers that refuse to rename over an existing file: the shortest possible gap.
            self.delete(path)
            self.ftp.rename(temporary, path)

    def delete(self, path):
        try:
            self.ftp.delete(path)
        except ftplib.error_perm:
            pass  # already gone

    def remove_folder(self, folder):
        try:
            self.ftp.rmd(folder)
        except ftplib.error_perm:
            pass  # not empty, or already gone


def open_target(target, environ=None):
    """The target object for a folder path or an ftp:// / ftps:// URL; PublishError when not usable."""
    environ = os.environ if environ is None else environ
    target = os.fspath(target).strip() if target else ""
    if not target:
        raise PublishError("Chưa chỉ nơi đăng (thư mục hoặc địa chỉ ftp://người-dùng@máy-chủ/thư-mục).")
    scheme = urlsplit(target).scheme.lower()
    if scheme in ("ftp", "ftps"):
        parts = urlsplit(target)
        if parts.password is not None:
            raise PublishError("Không được ghi mật khẩu trong địa chỉ đăng: hãy bỏ mật khẩu khỏi địa chỉ và đặt nó "
                               "trong biến môi trường %s." % PASSWORD_VARIABLE)
        if not parts.hostname:
            raise PublishError("Địa chỉ đăng thiếu tên máy chủ: %s" % target)
        if parts.query or parts.fragment:
            raise PublishError("Địa chỉ đăng không được có phần ?… hoặc #…: %s" % target)
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError as error:
            raise PublishError("Cổng máy chủ không hợp lệ trong địa chỉ đăng: %s" % target) from error
        password = environ.get(PASSWORD_VARIABLE)
        if parts.username and password is None:
            raise PublishError("Thiếu mật khẩu: hãy đặt biến môi trường %s trước khi đăng." % PASSWORD_VARIABLE)
        return FtpTarget(target, password, environ.get(CA_FILE_VARIABLE) or None)
    if "://" in target:
        raise PublishError("Chỉ đăng được vào một thư mục hoặc máy chủ ftp:// hay ftps://, không phải: %s" % target)
    return FolderTarget(target)


# ---------------------------------------------------------------- publishing


def publish(site_dir, target, dry_run=False, progress=None, out=None, environ=None):
    """Send what changed in `site_dir` to `target` (a folder path or an FTP/FTPS URL); a Summary.

    progress(done, total, path, sent_bytes, total_bytes) is called after each file sent.
    A dry run writes the changes to `out` (default stdout), one line each ("+ new", "~ changed",
    "- removed"), and sends nothing. PublishError when the site or target is unusable, or when
    the transfer fails (then the target keeps its old manifest and the next run completes it).
    """
    started = time.monotonic()
    destination = open_target(target, environ)
    site_dir = Path(site_dir)
    if not (site_dir / "index.html").is_file():  # an empty or missing build must never empty the host
        raise PublishError("Không có bản dựng để đăng trong %s (thiếu index.html): hãy chạy build.py trước."
                           % site_dir)
    summary = Summary(target=destination.label, dry_run=dry_run)
    local = local_manifest(site_dir)
    try:
        destination.open(create=not dry_run)
    except ftplib.all_errors as error:  # OSError included: refused, timed out, certificate not trusted, bad login
        destination.close()
        raise PublishError("Không kết nối được tới nơi đăng %s: %s" % (destination.label, error)) from error
    try:
        remote = _parse_manifest(destination.read(MANIFEST) or b"{}")
        summary.changes = plan(local, remote)
        summary.unchanged = len(local) - summary.count("+") - summary.count("~")
        if dry_run:
            out = out or sys.stdout
            for sign, path in summary.changes:
                out.write("%s %s\n" % (sign, path))
            return summary
        _send(site_dir, destination, local, summary, progress)
    except ftplib.all_errors as error:
        raise PublishError("Đăng bị gián đoạn sau %d tệp (lần đăng sau sẽ gửi nốt): %s" % (summary.sent, error)) \
            from error
    finally:
        destination.close()
        summary.seconds = time.monotonic() - started
    return summary


def _send(site_dir, destination, local, summary, progress):
    sending = [path for sign, path in summary.changes if sign != "-"]
    total_bytes = sum(local[path]["size"] for path in sending)
    for path in sending:
        with open(site_dir / path, "rb") as source:
            destination.write(path, source)
        summary.sent += 1
        summary.bytes += local[path]["size"]
        if progress:
            progress(summary.sent, len(sending), path, summary.bytes, total_bytes)
    folders = set()
    for sign, path in summary.changes:
        if sign == "-":
            destination.delete(path)
            summary.removed += 1
            folder = posixpath.dirname(path)
            while folder:
                folders.add(folder)
                folder = posixpath.dirname(folder)
    for folder in sorted(folders, key=lambda folder: (-folder.count("/"), folder)):
        if not any(path.startswith(folder + "/") for path in local):
            destination.remove_folder(folder)
    destination.write(MANIFEST, io.BytesIO(_manifest_bytes(local)))


def main(argv=None):
    parser = argparse.ArgumentParser(description="Đăng bản dựng trang Dân biết lên máy chủ web của tỉnh.")
    parser.add_argument("site", help="thư mục bản dựng, ví dụ site")
    parser.add_argument("target", help="thư mục đích hoặc ftp://người-dùng@máy-chủ[:cổng]/thư-mục (ftps:// cho TLS); "
                                       "mật khẩu trong biến môi trường %s" % PASSWORD_VARIABLE)
    parser.add_argument("--dry-run", action="store_true", help="chỉ liệt kê thay đổi (+ mới, ~ đổi, - xóa), không gửi")
    args = parser.parse_args(argv)
    try:
        summary = publish(args.site, args.target, dry_run=args.dry_run, progress=Progress())
    except PublishError as error:
        print("Lỗi: %s" % error, file=sys.stderr)
        return 1
    print(summary.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
