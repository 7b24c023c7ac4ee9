"""The one personal-data detector, used by the gate, the review screen, the forms and the mails.

It finds phone numbers (phonenumbers' Vietnamese metadata), e-mail addresses, citizen ID numbers
(12 digits) and old ID card numbers (9 digits near an ID word). `personal_data_problems` says why a
text may not be published (Vietnamese reasons); `masked` hides what it finds in a text that leaves
the office by mail, together with the names and contacts it is given and, a mail's own caution,
every run of 9 or more digits. It knows no models: callers pass their own mask text.
"""
import functools
import re
import unicodedata

import phonenumbers

# One pattern for the gate and the mails (the mails' former one: the widest; an address at a host
# named by numbers, "hoso@10.0.0.5", counts too).
EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_TWELVE_DIGITS = re.compile(r"(?<![\d.,/-])(?:\d{12}|\d{3}([ .])\d{3}\1\d{3}\1\d{3})(?![\d]|[.,/-]\d)")
_NINE_DIGITS = re.compile(r"(?<![\d.,/-])(?:\d{9}|\d{3}([ .])\d{3}\1\d{3})(?![\d]|[.,/-]\d)")
_ID_WORDS = re.compile(r"CMND|CMTND|CCCD|căn\s+cước|chứng\s+minh|định\s+danh|số\s+ID", re.IGNORECASE)
_ID_WINDOW = 40  # characters between an ID word and a 9-digit number
# Masked in mails only: any run of 9 or more digits (an amount or a file number too), as a phone
# written in a way the checks above do not know could be one.
_DIGIT_RUN = re.compile(r"\+?\d(?:[ .-]?\d){8,}")
_CONTACT_PARTS = re.compile(r"[,;\n/]+")  # a contact "0912 345 678, to.nga@example.vn" is masked by parts too
# The fewest digits of a Vietnamese phone number (national numbers of 7 to 10 digits in
# phonenumbers' metadata; the matcher needs every digit, in any Unicode script).
_DIGIT = re.compile(r"\d")  # counted with findall: much quicker than removing the rest
_FEWEST_PHONE_DIGITS = min(phonenumbers.PhoneMetadata.metadata_for_region("VN").general_desc.possible_length)


def _digits(text):
    return re.sub(r"\D", "", text)


def _looks_like_phone(raw):
    """A number that POSSIBLE leniency found and that is written as Vietnamese phones are."""
    digits = _digits(raw)
    if raw.lstrip().startswith("+"):
        return digits.startswith("84") and 10 <= len(digits) <= 12
    return digits.startswith("0") and 10 <= len(digits) <= 11


def personal_data_problems(text):
    """Why `text` may not be published: phone numbers, ID numbers, e-mail addresses (Vietnamese reasons)."""
    if not text:
        return []
    return [problem for _, _, problem in _findings(unicodedata.normalize("NFC", text))]


@functools.lru_cache(maxsize=65536)
def _findings(text):
    """((start, end, reason) of each piece of personal data in `text`), e-mails, then IDs, then phones."""
    if "@" not in text and len(_DIGIT.findall(text)) < min(_FEWEST_PHONE_DIGITS, 9):
        return ()  # no e-mail address, and too few digits for any number below: most summaries, at once
    found = []
    masked = text

    def mask(match):
        nonlocal masked
        start, end = match.span()
        masked = masked[:start] + " " * (end - start) + masked[end:]

    for match in EMAIL.finditer(masked):
        found.append((*match.span(), "Có địa chỉ thư điện tử (%s)." % match.group()))
        mask(match)
    for match in _TWELVE_DIGITS.finditer(masked):
        found.append((*match.span(), "Có dãy 12 chữ số, có thể là số căn cước công dân (%s)." % match.group()))
        mask(match)
    for match in _NINE_DIGITS.finditer(masked):
        start, end = match.span()
        around = masked[max(0, start - _ID_WINDOW):start] + " " + masked[end:end + _ID_WINDOW // 2]
        if _ID_WORDS.search(around):
            found.append((start, end, "Có số chứng minh nhân dân, căn cước (%s)." % match.group()))
            mask(match)
    if len(_DIGIT.findall(masked)) < _FEWEST_PHONE_DIGITS:
        return tuple(found)  # too few digits left for any phone number (most summaries: fast)
    phones = []
    for leniency in (phonenumbers.Leniency.VALID, phonenumbers.Leniency.POSSIBLE):
        for match in phonenumbers.PhoneNumberMatcher(masked, "VN", leniency=leniency):
            if leniency == phonenumbers.Leniency.POSSIBLE and not _looks_like_phone(match.raw_string):
                continue
            if any(match.start < end and start < match.end for start, end in phones):
                continue
            phones.append((match.start, match.end))
            found.append((match.start, match.end, "Có số điện thoại (%s)." % match.raw_string))
    return tuple(found)


def masked(text, mask, secrets=()):
    """`text` on one line with `mask` in place of the given names and contacts (`secrets`), of every
    piece of personal data the detector finds, and of every run of 9 or more digits."""
    text = " ".join(unicodedata.normalize("NFC", text or "").split())
    pieces = set()
    for secret in secrets:
        secret = " ".join(unicodedata.normalize("NFC", secret or "").split())
        if len(secret) >= 3:
            pieces.add(secret)
        pieces.update(p.strip() for p in _CONTACT_PARTS.split(secret) if len(p.strip()) >= 3)
    for piece in sorted(pieces, key=len, reverse=True):  # the whole contact before its parts
        text = re.sub(re.escape(piece), mask, text, flags=re.IGNORECASE)
    spans = sorted([(start, end) for start, end, _ in _findings(text)]
                   + [match.span() for match in _DIGIT_RUN.finditer(text)])
    merged = []
    for start, end in spans:  # overlapping finds become one masked stretch
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + mask + text[end:]
    return text


def vietnamese_phone(text):
    """A Vietnamese phone number in E.164 (+84…), or None when `text` is not one (the intake form, staff search)."""
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number_for_region(number, "VN"):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
