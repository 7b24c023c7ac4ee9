"""Gunicorn's settings for the staff app (`make run`, deploy/doithoai.service), sized for a 2-core server behind nginx.

Read by `gunicorn -c deploy/gunicorn.conf.py`; a command-line option (`--bind …`) overrides a setting
here. Values that differ between machines come from the environment (the systemd unit's
EnvironmentFile, deploy/doithoai.env.sample): BIND, WEB_WORKERS, WEB_THREADS, ACCESS_LOG, ERROR_LOG,
TRUSTED_PROXIES, FORWARDED_ALLOW_IPS.
"""
import logging
import os
import re
from pathlib import Path

from gunicorn.glogging import Logger

# The project's root (this file is deploy/gunicorn.conf.py): `wsgi:app` is imported from there,
# whatever the directory gunicorn was started in.
chdir = str(Path(__file__).resolve().parent.parent)
wsgi_app = "wsgi:app"

# Where to listen. Only on the loopback by default: nginx in front ends TLS and proxies to it.
bind = os.environ.get("BIND", "127.0.0.1:5000")

# Workers: pre-forked processes, one per core (2 cores → 2), so a crash or a memory leak in one never
# stops the other. Each runs 4 threads (gthread): most of a request's time is spent waiting on SQLite
# or on the network, and 2 × 4 = 8 requests in flight serve an office of a few dozen staff. More
# processes would only compete for the 2 cores with the background site builds (services/publish_runs).
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# The app is imported in each worker after the fork, never in the master (no preload): each worker
# opens its own SQLite connections, none is shared across a fork.
preload_app = False

# No control socket (gunicornc): its default path, ~/.gunicorn/gunicorn.ctl, is one per user, so two
# servers of one user would fight over it; systemd stops and reloads the server by signals instead.
control_socket_disable = True

# Timeouts. A worker that stops checking in with the master for `timeout` seconds (hung) is killed and
# replaced; with gthread a slow request alone does not trip it. The slowest requests (DOCX, XLSX exports
# of a year's register) take a few seconds; the site build runs outside the web workers.
timeout = 60
# On stop or reload (SIGTERM, SIGHUP) requests in flight get this long to finish.
graceful_timeout = 30
# nginx keeps connections to the app open between requests for this long.
keepalive = 5
# Replace each worker after about 20,000 requests (jitter: not both at once), a guard against slow leaks.
# Not much sooner: while one worker is replaced the other carries every request, and the new one starts
# cold (wsgi.py compiles the templates before it takes a request, still about 2 s of CPU).
max_requests = 20000
max_requests_jitter = 2000

# Logs. "-" is the standard output / error, i.e. the journal under systemd; a path writes a file.
accesslog = os.environ.get("ACCESS_LOG", "-")
errorlog = os.environ.get("ERROR_LOG", "-")
loglevel = "info"
# One line per request: client address, time, method, the PATH ONLY, protocol, status, bytes, duration.
# %(U)s is the path without the query string: register searches (`/y-kien/?q=<an ID number>`) and
# filters must not land in the log. Never %(r)s (the request line) or %(q)s (the query string), and
# no %(f)s: the Referer carries the previous page's query string.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'



class QueryFreeLogger(Logger):
    """Gunicorn's logger, with query strings cut out of the error log as well.

    Gunicorn names the request's URI, query included, when a request fails in the worker
    ("Error handling request /y-kien/?q=…") or is malformed ("Invalid request … 'GET /?q=… HTTP/1.1'").
    """

    QUERY = re.compile(r"\?[^\s'\"]*")

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(self.redact)

    @classmethod
    def redact(cls, record):
        """A logging filter: the message and any traceback text with every "?query" replaced by "?…"."""
        record.msg, record.args = cls.QUERY.sub("?…", record.getMessage()), None
        if record.exc_info:
            record.exc_text = cls.QUERY.sub("?…", logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


logger_class = QueryFreeLogger

# Proxies. TRUSTED_PROXIES (also read by app.py, which applies werkzeug's ProxyFix for that many hops)
# says how many proxies in front may tell the client's address and scheme. 0 (the default): no one,
# X-Forwarded-* headers are ignored here too. 1 (nginx on this machine): gunicorn believes the scheme
# header only from the loopback (or FORWARDED_ALLOW_IPS, e.g. the proxy's address on another host).
_hops = int(os.environ.get("TRUSTED_PROXIES", "").strip() or "0")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1") if _hops > 0 else ""
# The one scheme header nginx sets (deploy/nginx.conf.sample); none of the other spellings.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
# No proxy may set SCRIPT_NAME or PATH_INFO by header: the app lives at the root of its host.
forwarder_headers = ""

# Requests: gunicorn's limits on the request line and headers stay at their defaults; the body's
# limit is MAX_CONTENT_LENGTH in app.py (12 MB), matched by client_max_body_size in nginx.
