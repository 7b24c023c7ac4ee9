"""Tracking codes (mã tra cứu) and what a citizen reads of each status; no models (both apps use it).

Codes: `YC-` and 60 random bits from `secrets` in Crockford base32, read the Crockford way.

A code is written `YC-7K3M-9QXD-4F2A` (three groups of four, for reading aloud over the phone). A typed
code is decoded as Crockford's base32 says: case ignored, I and L read as 1, O as 0, spaces and dashes
ignored; U and any other letter outside the alphabet make it no code. The intake service issues
codes for online requests, the internal app for the counter's, the phone's and the national portal's.

Statuses: the internal app maps its own statuses onto the keys of PUBLIC_STATUSES
(services/intake_sync.py) and pushes them; the intake service shows their words and next step.
"""
import datetime as dt
import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
PREFIX = "YC"
GROUPS = 3
GROUP = 4
BITS = 5 * GROUPS * GROUP  # 60 random bits
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})
_IGNORED = re.compile(r"[\s\-‐‑‒–—_.]+")
CODE = re.compile(r"YC(?:-[%s]{4}){3}" % ALPHABET)


def encode(number, length=GROUPS * GROUP):
    """`number` in Crockford base32, `length` characters (left-padded with 0)."""
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def grouped(symbols):
    """`YC-` and the symbols in groups of four."""
    return "-".join([PREFIX] + [symbols[i:i + GROUP] for i in range(0, len(symbols), GROUP)])


def new_code():
    """A fresh random tracking code (60 bits from `secrets`); uniqueness is the caller's to check on insert."""
    return grouped(encode(secrets.randbits(BITS)))


def normalize(text):
    """The canonical `YC-XXXX-XXXX-XXXX` of a typed code, or None when it cannot be one."""
    symbols = _IGNORED.sub("", str(text or "")).upper()
    if symbols.startswith(PREFIX) and len(symbols) == len(PREFIX) + GROUPS * GROUP:
        symbols = symbols[len(PREFIX):]
    symbols = symbols.translate(_READ_AS)
    if len(symbols) != GROUPS * GROUP or any(ch not in ALPHABET for ch in symbols):
        return None
    return grouped(symbols)


PUBLIC_STATUSES = {
    "received": ("Đã tiếp nhận", "Văn phòng đang xem xét."),
    "reviewing": ("Đang xem xét, giải quyết",
                  "Đơn vị được giao đang xem xét, giải quyết; kết quả sẽ được cập nhật tại đây."),
    "scheduled": ("Đã lên lịch đối thoại", "Mời ông/bà đến dự buổi đối thoại theo thời gian và địa điểm dưới đây."),
    "implementing": ("Đang thực hiện kết luận",
                     "Các đơn vị đang thực hiện kết luận; kết quả sẽ được cập nhật tại đây."),
    "answered": ("Đã trả lời", "Văn phòng đã trả lời; xem nội dung trả lời dưới đây."),
    "referred": ("Đã chuyển cơ quan có thẩm quyền", "Ông/bà liên hệ cơ quan có thẩm quyền được nêu dưới đây."),
    "refused": ("Không tiếp nhận", "Xem lý do dưới đây."),
    "withdrawn": ("Đã rút", "Yêu cầu đã được rút; không cần thao tác gì thêm."),
}


def status_label(status):
    return PUBLIC_STATUSES.get(status, (status, ""))[0]


def status_next_step(status):
    return PUBLIC_STATUSES.get(status, ("", ""))[1]


def parse_time(value):
    """A time as the two apps exchange it (ISO 8601), as a naive local datetime; None when empty or unreadable."""
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(str(value)).replace(tzinfo=None)
    except ValueError:
        return None
