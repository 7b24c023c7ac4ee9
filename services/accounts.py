"""User accounts: password hashing, the login check with its lockout, creating accounts, resets, disabling."""
import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from models import User, audit, db, now, save_versioned

_hashers = {}


def _hasher(params):
    key = tuple(sorted((params or {}).items()))
    if key not in _hashers:
        _hashers[key] = PasswordHasher(**dict(key))
    return _hashers[key]


def hash_password(password, params=None):
    """argon2id hash; `params` (time_cost, memory_cost, parallelism) default to the library's."""
    return _hasher(params).hash(password)


def check_password(user, password, params=None):
    try:
        return _hasher(params).verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def log_in(username, password, params=None, max_failures=5, lock_minutes=15):
    """(user, None) when the password is right, else (None, why); repeated failures lock the account a while.

    A failure and a success are audited; a success clears the count of failures.
    """
    user = User.get_or_none(User.username == username)
    if user is not None and user.locked_until and user.locked_until > now():
        minutes = int((user.locked_until - now()).total_seconds() // 60) + 1
        return None, "Tài khoản tạm khóa do đăng nhập sai nhiều lần. Thử lại sau %d phút." % minutes
    if user is None or not user.active or not check_password(user, password, params):
        error = "Tên đăng nhập hoặc mật khẩu không đúng."
        if user is not None and user.active:
            with db.atomic():
                failures = user.failed_logins + 1
                locked = None
                if failures >= max_failures:
                    locked = now() + dt.timedelta(minutes=lock_minutes)
                    failures = 0
                    error = "Đăng nhập sai %d lần: tài khoản bị tạm khóa %d phút." % (max_failures, lock_minutes)
                User.update(failed_logins=failures, locked_until=locked).where(User.id == user.id).execute()
                audit(user, "login_failed", user, summary="Đăng nhập sai")
        return None, error
    with db.atomic():
        User.update(failed_logins=0, locked_until=None, last_login_at=now()).where(User.id == user.id).execute()
        audit(user, "login", user, summary="Đăng nhập")
    return user, None


def log_out(user):
    with db.atomic():
        audit(user, "logout", user, summary="Đăng xuất")


def create(admin, values, password, params=None):
    """A new account with a hashed initial password, audited (the hash masked)."""
    values = dict(values, password_hash=hash_password(password, params))
    with db.atomic():
        account = User.create(**values)
        audit(admin, "create", account, {k: (None, v) for k, v in values.items()},
              summary="Tạo tài khoản %s" % account.username)
    return account


def reset_password(admin, account, password, params=None):
    """A new password; every session of the account ends and a login lockout is lifted. Returns the new epoch."""
    new_hash = hash_password(password, params)
    changes = {"password_hash": (account.password_hash, new_hash),
               "session_epoch": (account.session_epoch, account.session_epoch + 1)}
    if account.locked_until or account.failed_logins:
        changes.update(locked_until=(account.locked_until, None), failed_logins=(account.failed_logins, 0))
    with db.atomic():
        User.update(password_hash=new_hash, session_epoch=User.session_epoch + 1, failed_logins=0,
                    locked_until=None).where(User.id == account.id).execute()
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
