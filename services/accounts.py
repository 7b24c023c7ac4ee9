"""User accounts: password hashing, the login check and its limits, server-side sessions, creating
accounts, password changes and resets, disabling."""
import dataclasses
import datetime as dt
import hashlib
import math
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models import LoginAttempt, User, UserSession, audit, db, now, save_versioned

WRONG_PASSWORD = "Tên đăng nhập hoặc mật khẩu không đúng."
WRONG_CURRENT = "Mật khẩu hiện tại không đúng."
WAIT = "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Vui lòng chờ %s rồi đăng nhập lại."
USERNAME_MAX = 50  # User.username's length: a longer name typed is no account
SESSION_TOUCH = dt.timedelta(minutes=1)  # a session's last_seen_at is written at most this often
KEEP_ENDED = dt.timedelta(days=1)  # ended and idle sessions, and old failures, are deleted after this

_hashers = {}
_dummy_hashes = {}


@dataclasses.dataclass(frozen=True)
class LoginLimits:
    """How failed sign-ins slow a user name down and stop an address (settings LOGIN_… in app.py)."""

    max_failures: int = 5  # failures of a user name after which each attempt must wait
    delay_seconds: int = 5  # the first wait; it doubles with each further failure …
    delay_max_seconds: int = 300  # … up to this
    failure_window_minutes: int = 60  # failures older than this no longer count against a name
    address_max_failures: int = 20  # failures from one client address within …
    address_window_minutes: int = 15  # … this window, after which it gets 429 until they age out

    @classmethod
    def from_config(cls, config):
        """The limits from the app's settings (LOGIN_MAX_FAILURES, LOGIN_DELAY_SECONDS, …)."""
        return cls(**{field.name: int(config["LOGIN_" + field.name.upper()])
                      for field in dataclasses.fields(cls) if "LOGIN_" + field.name.upper() in config})


class TooManyFailures(Exception):
    """Too many failed sign-ins from one address lately; `seconds` until the next one is heard."""

    def __init__(self, seconds):
        super().__init__("too many failures")
        self.seconds = seconds


def _hasher(params):
    key = tuple(sorted((params or {}).items()))
    if key not in _hashers:
        _hashers[key] = PasswordHasher(**dict(key))
    return _hashers[key]


def hash_password(password, params=None):
    """argon2id hash; `params` (time_cost, memory_cost, parallelism) default to the library's."""
    return _hasher(params).hash(password)


def _verify(stored_hash, password, params):
    try:
        return _hasher(params).verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_hash(params):
    """A hash of a random password made with the current parameters: what an unknown name is checked against."""
    key = tuple(sorted((params or {}).items()))
    if key not in _dummy_hashes:
        _dummy_hashes[key] = hash_password(secrets.token_urlsafe(16), params)
    return _dummy_hashes[key]


def check_password(user, password, params=None):
    return _verify(user.password_hash, password, params)


def wait_text(seconds):
    """A wait in Vietnamese: "12 giây", "3 phút"."""
    return "%d giây" % seconds if seconds < 120 else "%d phút" % math.ceil(seconds / 60)


def _name_state(username, limits, at):
    """(failures counting against the name, seconds it must still wait, until when) at `at`."""
    failures, latest = LoginAttempt.failures_for(username, at - dt.timedelta(minutes=limits.failure_window_minutes))
    if failures < limits.max_failures or latest is None:
        return failures, 0, None
    delay = min(limits.delay_seconds * 2 ** min(failures - limits.max_failures, 20), limits.delay_max_seconds)
    until = latest + dt.timedelta(seconds=delay)
    return failures, max(0, math.ceil((until - at).total_seconds())), until


def _refusal(name, address, limits, at):
    """Before any password is checked: TooManyFailures for an address that failed too often, the
    Vietnamese answer for a name that must still wait, or None."""
    count, oldest = LoginAttempt.failures_from(address, at - dt.timedelta(minutes=limits.address_window_minutes))
    if count >= limits.address_max_failures:
        left = oldest + dt.timedelta(minutes=limits.address_window_minutes) - at
        raise TooManyFailures(max(1, math.ceil(left.total_seconds())))
    _, wait, _ = _name_state(name, limits, at)
    return WAIT % wait_text(wait) if wait else None


def _failed(name, address, limits, at, user=None, summary="Đăng nhập sai"):
    """Record a failure (and on a real, active account its count and delay, audited); returns the answer."""
    with db.atomic():
        LoginAttempt.delete().where(LoginAttempt.at < at - KEEP_ENDED).execute()
        LoginAttempt.create(address=address, username=name, at=at)
        failures, wait, until = _name_state(name, limits, at)
        if user is not None and user.active:
            User.update(failed_logins=failures, locked_until=until).where(User.id == user.id).execute()
            audit(user, "login_failed", user, summary=summary)
    return WAIT % wait_text(wait) if wait else WRONG_PASSWORD


def log_in(username, password, address, params=None, limits=LoginLimits()):
    """(user, None) when the password is right, else (None, why in Vietnamese).

    Raises TooManyFailures when the client address failed too often lately. A user name that
    failed `max_failures` times must wait a short, growing delay between attempts; a right
    password after the wait signs in. Unknown and disabled names take the same steps and the same
    hashing work as a real one, so neither the answer nor its time tells which names exist.
    """
    at = now()
    address = (address or "")[:64]
    name = username[:USERNAME_MAX]
    refused = _refusal(name, address, limits, at)
    if refused:
        return None, refused
    user = User.get_or_none(User.username == username)
    right = _verify(user.password_hash if user is not None else _dummy_hash(params), password, params)
    if user is None or not user.active or not right:
        return None, _failed(name, address, limits, at, user)
    with db.atomic():
        LoginAttempt.clear_name(name)
        User.update(failed_logins=0, locked_until=None, last_login_at=at).where(User.id == user.id).execute()
        audit(user, "login", user, summary="Đăng nhập")
    return user, None


# ---------------------------------------------------------------- server-side sessions


def _session_key(token):
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(user):
    """A new session of a signed-in user; returns the random id for the signed cookie (only its hash is kept)."""
    token = secrets.token_urlsafe(32)
    at = now()
    with db.atomic():
        UserSession.delete().where(UserSession.last_seen_at < at - KEEP_ENDED).execute()
        UserSession.create(key=_session_key(token), user=user.id, created_at=at, last_seen_at=at)
    return token


def session_user(token, idle):
    """(account, open) of the session a cookie names: (None, False) when there is none or it has ended.

    A session unused for longer than `idle` ends now (account given, open False).
    """
    if not isinstance(token, str) or not token:
        return None, False
    key = _session_key(token)
    row = UserSession.open_with_user(key)
    if row is None:
        return None, False
    at = now()
    if at - row.last_seen_at > idle + SESSION_TOUCH:  # last_seen_at lags by up to SESSION_TOUCH
        UserSession.end(UserSession.key == key)
        return row.user, False
    if at - row.last_seen_at >= SESSION_TOUCH:
        UserSession.update(last_seen_at=at).where(UserSession.key == key).execute()
    return row.user, True


def end_session(token):
    """End the one session a cookie names (on the server: a copy of the cookie no longer signs in)."""
    if isinstance(token, str) and token:
        UserSession.end(UserSession.key == _session_key(token))


def log_out(user, token, everywhere=False):
    """End this session, or with `everywhere` every session of the account; audited."""
    with db.atomic():
        if everywhere:
            UserSession.end(UserSession.user == user.id)
        else:
            end_session(token)
        audit(user, "logout", user, summary="Đăng xuất khỏi mọi nơi" if everywhere else "Đăng xuất")


def change_password(user, token, current, new, address, params=None, limits=LoginLimits()):
    """The user's own change: None when done, else why in Vietnamese (the current password is wrong,
    or it was wrong too often: a wrong one counts as a failed login, so a borrowed session cannot
    guess it faster than the login could). Done: the new hash is stored, the account's other
    sessions end (this one, named by `token`, stays), audited with the hash masked."""
    at = now()
    address = (address or "")[:64]
    refused = _refusal(user.username, address, limits, at)
    if refused:
        return refused
    if not check_password(user, current, params):
        answer = _failed(user.username, address, limits, at, user,
                         summary="Nhập sai mật khẩu hiện tại khi đổi mật khẩu")
        return WRONG_CURRENT if answer == WRONG_PASSWORD else answer
    new_hash = hash_password(new, params)
    with db.atomic():
        User.update(password_hash=new_hash).where(User.id == user.id).execute()
        UserSession.end(UserSession.user == user.id, UserSession.key != _session_key(token or ""))
        audit(user, "password_change", user, {"password_hash": (user.password_hash, new_hash)},
              summary="Đổi mật khẩu")
    user.password_hash = new_hash
    return None


# ---------------------------------------------------------------- the admin's account management


def create(admin, values, password, params=None):
    """A new account with a hashed initial password, audited (the hash masked)."""
    values = dict(values, password_hash=hash_password(password, params))
    with db.atomic():
        account = User.create(**values)
        audit(admin, "create", account, {k: (None, v) for k, v in values.items()},
              summary="Tạo tài khoản %s" % account.username)
    return account


def reset_password(admin, account, password, params=None):
    """A new password; every session of the account ends and a login delay is lifted. Returns the new epoch."""
    new_hash = hash_password(password, params)
    changes = {"password_hash": (account.password_hash, new_hash),
               "session_epoch": (account.session_epoch, account.session_epoch + 1)}
    if account.locked_until or account.failed_logins:
        changes.update(locked_until=(account.locked_until, None), failed_logins=(account.failed_logins, 0))
    with db.atomic():
        User.update(password_hash=new_hash, session_epoch=User.session_epoch + 1, failed_logins=0,
                    locked_until=None).where(User.id == account.id).execute()
        LoginAttempt.clear_name(account.username)
        audit(admin, "password_reset", account, changes, summary="Đặt lại mật khẩu cho %s" % account.username)
    return account.session_epoch + 1


def toggle_active(admin, account):
    """Disable an account (its sessions end at once) or enable it again; ConflictError if saved meanwhile."""
    disabling = account.active
    changes = {"active": not disabling}
    if disabling:
        changes["session_epoch"] = account.session_epoch + 1
    return save_versioned(account, account.version, admin, changes, action="disable" if disabling else "enable",
                          summary="%s tài khoản %s" % ("Khóa" if disabling else "Mở khóa", account.username))
