"""Public URLs: absolute addresses on the public host, kept per registration, and Markdown links made relative."""
import posixpath
import re

import flask
from flask import current_app, request
from flask.globals import _cv_request
from markupsafe import Markup

BLUEPRINT = "public"  # the public blueprint's name (registered as "preview" too)
DEFAULT_BASE_URL = "http://127.0.0.1:8000/"


def base_url(config):
    """The public host's base URL (PUBLIC_BASE_URL), ending in "/"."""
    return (config.get("PUBLIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/") + "/"


def _endpoint(endpoint):
    """A relative endpoint resolved outside the blueprint too (the public app's 404 handler)."""
    if endpoint.startswith(".") and request.blueprint is None:
        return BLUEPRINT + endpoint
    return endpoint


def _root():
    """The path of the site's home in this registration ("/", "/xem-truoc/", "/dan-biet/" …)."""
    return flask.url_for(_endpoint(".home"))


def public_url(endpoint, **values):
    """The absolute URL of a page on the public host (PUBLIC_BASE_URL), for feeds, sitemap, calendar.

    Kept per app and registration: the sitemap, the feed, the calendar and the open data name the
    same pages, tens of thousands of times a build.
    """
    ctx = _cv_request.get()  # one context lookup (each proxy access costs as much as the rest)
    registration = (ctx.request.script_root, ctx.request.blueprint)
    by_registration = ctx.app.extensions.setdefault("public_urls", {})
    urls = by_registration.get(registration)
    if urls is None:
        urls = by_registration[registration] = _PublicUrls(base_url(ctx.app.config), _root(),
                                                           ctx.request.blueprint or BLUEPRINT)
    return urls.get(endpoint, values, ctx)


_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.~-]+")  # written as is in a URL path (no quoting)
_SENTINEL = 7302915846  # a value no page has: a URL built with it shows where the value goes


def quick_builder(build):
    """`build(endpoint, values, *extra)` (a URL), quicker for pages named by one value.

    A page named by one number or plain slug (a conclusion's id, a dialogue's slug) is built once
    per endpoint with a sentinel value; then each value is put in its place, which is what the
    rule's build gives for such a value. Any other URL is built by `build` and kept.
    """
    templates, known = {}, {}

    def quick(endpoint, values, *extra):
        if len(values) == 1:
            (name, value), = values.items()
            if (type(value) is int and value >= 0) or (type(value) is str and _PLAIN_SEGMENT.fullmatch(value)):
                template = templates.get((endpoint, name))
                if template is None:
                    prefix, found, suffix = build(endpoint, {name: _SENTINEL}, *extra).partition(str(_SENTINEL))
                    template = templates[(endpoint, name)] = (prefix, suffix) if found else ()
                if template:
                    return template[0] + str(value) + template[1]
        key = (endpoint, *sorted(values.items()))
        url = known.get(key)
        if url is None:
            url = known[key] = build(endpoint, values, *extra)
        return url
    return quick


class _PublicUrls:
    """The public URLs of one registration of the blueprint."""

    def __init__(self, base, root, blueprint):
        self.base, self.root, self.blueprint = base, root, blueprint
        self.get = quick_builder(self._build)

    def _build(self, endpoint, values, ctx):
        # The rule's own build (what url_for does, less its per-call work).
        full = self.blueprint + endpoint if endpoint.startswith(".") else endpoint
        path = ctx.url_adapter.build(full, values)
        return self.base + (path[len(self.root):] if path.startswith(self.root) else path.lstrip("/"))


def any_depth_url(endpoint, **values):
    """A link that works from a page served at any depth (404.html): absolute on the public host.

    In the staff preview, a root-relative path keeps the visitor inside the preview.
    """
    if request.blueprint == "preview":
        return flask.url_for(_endpoint(endpoint), **values)
    return public_url(endpoint, **values)


_HREF = re.compile(r'href="([^"]*)"')
_HEADING = re.compile(r"<(/?)h([1-6])>")


def site_html(html):
    """Rendered Markdown made fit for a page: internal links relative, headings below the page's h1.

    A link written as "/ke-hoach/2022/" or as the public base URL plus a path points inside the
    site; it becomes relative to the current page, so the site works from any folder.
    """
    base = base_url(current_app.config)
    root = _root()
    here = request.script_root + request.path
    here_dir = here if here.endswith("/") else posixpath.dirname(here) + "/"
    frozen = getattr(current_app.jinja_env.globals.get("url_for"), "__name__", "") == "relative_url_for"

    def relative(match):
        href = match.group(1)
        if href.startswith(base):
            href = "/" + href[len(base):]
        if not href.startswith("/") or href.startswith("//"):
            return match.group(0)
        path, hash_sign, fragment = href.partition("#")
        target = root + path.lstrip("/")
        if frozen and target.endswith("/"):
            target += "index.html"
        rel = posixpath.relpath(target, here_dir)
        if target.endswith("/") and not rel.endswith("/"):
            rel += "/"
        return 'href="%s%s%s"' % (rel, hash_sign, fragment)

    html = _HREF.sub(relative, html)
    levels = [int(level) for _, level in _HEADING.findall(html)]
    shift = 2 - min(levels) if levels else 0  # the text's top headings become h2
    if shift:
        html = _HEADING.sub(lambda m: "<%sh%d>" % (m.group(1), max(1, min(6, int(m.group(2)) + shift))), html)
    return Markup(html)


def template_globals():
    """What every public template may use: the URL helpers, whether it is the preview, the page's name."""
    return {"public_url": public_url, "any_depth_url": any_depth_url, "site_html": site_html,
            "is_preview": request.blueprint == "preview", "page_name": (request.endpoint or "").rpartition(".")[2]}
