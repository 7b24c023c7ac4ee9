"""Rate limits counted in the intake database, so every server worker shares them; the 429 page.

Submissions per client address and per phone or e-mail an hour (an HMAC of the value, kept only for
the window, so the limit holds after the submission itself is erased); lookups per address a minute.
"""
import datetime as dt

from flask import current_app, render_template, request

from intake.models import RateEvent, keyed

HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)


def client_address():
    """The client's address (after ProxyFix for TRUSTED_PROXIES hops), as an HMAC: no address is stored."""
    return keyed(current_app.config["SECRET_KEY"], "address:" + (request.remote_addr or "?"))


def contact_keys(secret, phone_e164, email):
    keys = []
    if phone_e164:
        keys.append(keyed(secret, "phone:" + phone_e164))
    if email:
        keys.append(keyed(secret, "email:" + email.strip().lower()))
    return keys


def over(bucket, keys, limit, window):
    """True when any key has reached the limit within the window."""
    return any(RateEvent.count(bucket, key, window) >= limit for key in keys)


def count(bucket, keys, window):
    RateEvent.add(bucket, keys, window)


def too_many():
    minutes = 60 if request.endpoint == "intake.form_post" else 1
    response = current_app.make_response((render_template("intake/too_many.html", minutes=minutes), 429))
    response.headers["Retry-After"] = str(minutes * 60)
    return response
