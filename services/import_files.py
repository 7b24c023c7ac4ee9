"""Uploaded registers kept between the preview and the confirmation: one file per random token, mode 0600, in a
folder outside the web root (the instance folder), readable only by the person who sent it; removed on
confirmation and an hour after the upload (at the next upload, and by `flask --app app sweep-imports`, which
the crontab runs every hour). No models."""
import json
import os
import re
import secrets
import time
from pathlib import Path

MAX_AGE_SECONDS = 3600  # an upload left unconfirmed is removed after an hour
_TOKEN = re.compile(r"[A-Za-z0-9_-]{22}")


def folder_of(config, instance_path):
    """The uploads' folder: IMPORT_DIR, else imports/ in the instance folder."""
    return config.get("IMPORT_DIR") or str(Path(instance_path) / "imports")


def _paths(folder, token):
    return Path(folder) / (token + ".bin"), Path(folder) / (token + ".json")


def _write(path, data):
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)


def save(folder, filename, data, user_id):
    """Keep the upload; returns its token. Older uploads past their time are removed first."""
    Path(folder).mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep(folder)
    token = secrets.token_urlsafe(16)
    content, meta = _paths(folder, token)
    _write(content, data)
    _write(meta, json.dumps({"filename": filename, "user": user_id, "at": time.time()}).encode())
    return token


def load(folder, token, user_id):
    """(filename, bytes) of the upload `token` sent by `user_id`, or None (unknown, expired or someone else's)."""
    if not _TOKEN.fullmatch(token or ""):
        return None
    content, meta = _paths(folder, token)
    try:
        info = json.loads(meta.read_text())
        if info.get("user") != user_id or time.time() - info.get("at", 0) > MAX_AGE_SECONDS:
            return None
        return info["filename"], content.read_bytes()
    except (OSError, ValueError, KeyError):
        return None


def remove(folder, token):
    """Forget the upload (after its import)."""
    if _TOKEN.fullmatch(token or ""):
        for path in _paths(folder, token):
            path.unlink(missing_ok=True)


def sweep(folder, now=None):
    """Remove the uploads older than MAX_AGE_SECONDS; returns how many files went."""
    limit, removed = (now or time.time()) - MAX_AGE_SECONDS, 0
    for path in Path(folder).glob("*.*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed
