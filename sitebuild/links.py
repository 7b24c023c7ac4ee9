"""The link check of a build: every internal link of its pages, style sheets and data files must resolve."""
import csv
import html
import io
import os
import posixpath
import re
from urllib.parse import unquote, urlsplit

from sitebuild import SEARCH_INDEX

# (?=[hsap]): the first letters of the names, a quick test before the alternatives (a third of the check's time)
_ATTR = re.compile(r"""\s(?=[hsap])(href|src|action|srcset|poster)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+?)['"]?\s*\)""")
_ABSOLUTE = re.compile(r"""https?://[^\s<>"'\\]+""")
_JSON_URL = re.compile(r'"(https?://[^\s<>"\'\\]+)"')  # a JSON string that is one URL, unescaped
_SKIPPED_SCHEMES = ("mailto:", "tel:", "data:", "javascript:", "sms:", "geo:")


def html_links(text):
    """The URLs of href, src, action, srcset and poster attributes (quoted, as our templates write them).

    Matched over the whole text: in element content, Jinja escapes the quotes these need.
    """
    for name, double, single in _ATTR.findall(text):
        value = double or single  # findall gives "" for the quote not used
        if "&" in value:
            value = html.unescape(value)
        value = value.strip()
        if name == "srcset" or name.lower() == "srcset":
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


def check_links(root, base_url=None, prefix="/dan-biet/", only=None, link_map=None):
    """Every internal link of the build in `root` that does not resolve; [] when all do.

    The site is taken as served from the sub-folder `prefix`: a relative link resolves against
    its file's own location, a link to a folder to its index.html, and a root-relative link that
    leaves the sub-folder is broken. Absolute URLs to the base URL's host (sitemap, feed,
    calendar, 404.html, open data) must start with the base URL and resolve the same way.
    404.html is served at any depth, so its links must all be absolute. `only` limits the
    check to the links in those files (paths relative to root). `link_map`, a dict, receives
    {file checked: [the files of the site its links lead to]} (see linkers).
    """
    root = str(root)
    base = urlsplit(base_url) if base_url else None
    problems = []
    found = {}  # site path -> the file that serves it, or None

    def served_by(path):
        if path not in found:
            name = unquote(path)
            target = os.path.join(root, name)
            if path == "" or path.endswith("/") or os.path.isdir(target):
                name = posixpath.join(name, "index.html")
            found[path] = name if os.path.isfile(os.path.join(root, name)) else None
        return found[path]

    def why_broken(folder, url, absolute_only):
        """(reason or None, the file it leads to or None) for `url`, found in a file of the site folder `folder`."""
        if not url or url.startswith("#") or url.lower().startswith(_SKIPPED_SCHEMES):
            return None, None
        if not absolute_only and _is_plain_path(url):  # most links: no need to split and normalise
            name = served_by(folder + url)
            return (None, name) if name else ("không có tệp", None)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https"):
            if base is None or parts.netloc != base.netloc:
                return None, None  # another host
            if not parts.path.startswith(base.path):
                return "địa chỉ nằm ngoài địa chỉ gốc %s" % base_url, None
            path = parts.path[len(base.path):]
        elif parts.scheme or parts.netloc:
            return None, None
        elif absolute_only:
            return "trang 404 được phục vụ ở mọi cấp thư mục, cần địa chỉ tuyệt đối", None
        else:
            resolved = _join(prefix + folder, parts.path)
            if not resolved.startswith(prefix):
                return "liên kết ra ngoài thư mục của trang", None
            path = resolved[len(prefix):]
        name = served_by(path)
        return (None, name) if name else ("không có tệp", None)

    verdicts = {}  # (folder, url, absolute only) -> (reason or None, file): pages repeat their menus

    def resolve(ancestors, url, targets, absolute_only=False):
        key = _verdict_key(ancestors, url, absolute_only)
        verdict = verdicts.get(key)
        if verdict is None:
            verdict = verdicts[key] = why_broken(*key)
        reason, name = verdict
        if reason:
            problems.append("%s → %s: %s" % (ancestors[-1], url, reason))
        elif name:
            targets.add(name)

    for where in sorted(only) if only is not None else _site_files(root):
        suffix = posixpath.splitext(where)[1].lower()
        if where.startswith(SEARCH_INDEX + "/") or suffix not in _CHECKED_TYPES:
            continue
        with open(os.path.join(root, where), encoding="utf-8", errors="replace") as file:
            text = file.read()
        targets, ancestors = set(), _ancestors(where)
        if suffix == ".html":
            for url in html_links(text):
                resolve(ancestors, url, targets, absolute_only=where == "404.html")
        elif suffix == ".css":
            for url in _CSS_URL.findall(text):
                resolve(ancestors, url.strip(), targets)
        else:
            for url in _data_links(suffix, text):
                resolve(ancestors, url, targets)
        if link_map is not None:
            link_map[where] = sorted(targets)
    return problems


def _ancestors(where):
    """[the folder of the file `where`, its parent, …, ""] (each ending in /), then `where` itself last."""
    parts = where.split("/")[:-1]
    folders = ["/".join(parts[:len(parts) - up]) + "/" if up < len(parts) else "" for up in range(len(parts) + 1)]
    return folders + [where]


# A relative URL that only climbs ("../../ke-hoach/index.html"): no scheme, query, fragment or escape.
_CLIMBING = re.compile(r"((?:\.\./)*)([^:?#%\\&/\t\r\n][^:?#%\\&\t\r\n]*|)\Z")


_NOT_PLAIN = re.compile(r"[:?#%\\&\t\r\n]")  # and tab, CR, LF: urlsplit drops them, as browsers do


def _is_plain_path(url):
    """A relative path that resolves by joining it to its folder: no scheme, query, fragment, escape, "." or
    ".." segment, empty segment or leading "/"."""
    if url.startswith("/") or _NOT_PLAIN.search(url):
        return False
    segments = url.split("/")
    return not any(segment in ("", ".", "..") for segment in segments[:-1]) and segments[-1] not in (".", "..")


def _verdict_key(ancestors, url, absolute_only):
    """The arguments of why_broken for `url` in the file of `ancestors` (_ancestors): (folder, url, absolute only).

    A plain relative URL's leading "../" are taken off the folder instead: "../../ke-hoach/index.html"
    means the same from every page two folders deep in the same place, so the 25,000 pages, each in
    a folder of its own, share the verdicts on their menus and footers (resolved once per folder,
    they were most of the link check's time). Any other URL is judged as written, from its folder.
    """
    if not absolute_only:
        match = _CLIMBING.match(url)
        if match:
            up = len(match.group(1)) // 3
            if up < len(ancestors) - 1:
                return ancestors[up], match.group(2) or "./", False  # "../" alone: the folder climbed to
    return ancestors[0], url, absolute_only


def linkers(link_map, gone):
    """The files of `link_map` ({file: [files it links to]}) with a link to one of the files `gone`."""
    gone = set(gone)
    return {where for where, targets in link_map.items() if not gone.isdisjoint(targets)}


def pack(link_map):
    """`link_map` in a compact form for the next build (each path written once): see unpack."""
    paths = sorted({path for targets in link_map.values() for path in targets} | set(link_map))
    number = {path: index for index, path in enumerate(paths)}
    return {"paths": paths,
            "links": {number[where]: [number[t] for t in targets] for where, targets in link_map.items()}}


def unpack(packed):
    """The link map that pack() packed, or {} when `packed` is not one."""
    try:
        paths = packed["paths"]
        return {paths[where]: [paths[t] for t in targets] for where, targets in packed["links"].items()}
    except (KeyError, TypeError, IndexError, AttributeError):
        return {}


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
        # The string values that are a URL and nothing else, found in the text: decoding the open data's
        # 16 MB into objects and walking half a million of them cost a second of every rebuild.
        return _JSON_URL.findall(text)
    if suffix == ".ics":
        text = re.sub(r"\r?\n[ \t]", "", text)  # unfold long lines (RFC 5545 3.1)
    return [html.unescape(url).rstrip(".,;)") for url in _ABSOLUTE.findall(text)]

