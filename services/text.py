"""Text helpers with no database: typed text cleaned, folding, Vietnamese order, Markdown, front matter, slugs,
numbers, cells safe for a spreadsheet, text typed with the old TCVN3 (ABC) fonts converted."""
import datetime as dt
import functools
import re
import unicodedata

import markdown as md
import nh3

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                "blockquote", "code", "pre", "hr", "a", "table", "thead", "tbody", "tr", "th", "td"}


# ---------------------------------------------------------------- text as typed, text as written to files

# Removed from typed text: C0 controls but tab and newline (a carriage return becomes a newline), DEL, C1
# controls, the bidirectional embeddings, overrides and isolates (never needed in Vietnamese; they make text
# read other than it is stored), and the non-characters U+FFFE, U+FFFF.
_TYPED_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffe\uffff]")
# What XML 1.0 cannot hold (DOCX, XLSX, the Atom feed): C0 controls but tab, newline and carriage return,
# lone surrogates, U+FFFE and U+FFFF. CSV and iCalendar files are written without them too.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Characters that show nothing although they are not spaces: zero-width ones, fillers, the combining
# grapheme joiner, the braille blank (besides every format character, category Cf).
_FILLERS = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")


def clean_typed(text):
    """Text as a person typed it, fit to store: no control characters (see _TYPED_CONTROLS), newlines as
    "\\n", in Unicode's composed form (NFC: "Nguyễn" typed with combining marks is stored as one letter)."""
    if not isinstance(text, str):
        return text
    text = _TYPED_CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return unicodedata.normalize("NFC", text)


def is_blank(text):
    """True when text shows nothing: spaces, zero-width characters (U+200B–U+200D, U+2060, U+FEFF…), fillers."""
    return all(ch.isspace() or ch in _FILLERS or unicodedata.category(ch) in ("Cf", "Cc") for ch in text or "")


def visible_length(text):
    """How many characters of text show: zero-width and other format characters, fillers and controls do
    not count, and a run of spaces or line breaks counts as one space (none at either end)."""
    shown = "".join(ch for ch in text or "" if ch.isspace() or not (
        ch in _FILLERS or unicodedata.category(ch) in ("Cf", "Cc")))
    return len(" ".join(shown.split()))


def xml_text(text):
    """Text without the characters XML 1.0 (and so DOCX, XLSX, Atom) cannot hold: a writer's last guard."""
    return _NOT_XML.sub("", text) if isinstance(text, str) else text


FORMULA_STARTS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")  # with the full-width = + - @


def csv_safe(value):
    """A CSV cell a spreadsheet never runs: text starting like a formula (= + - @, a tab, a carriage return)
    gets a leading apostrophe (CSV injection); no control characters; None as an empty cell."""
    if not isinstance(value, str):
        return "" if value is None else value
    if _NOT_XML.search(value) is not None:
        value = _NOT_XML.sub("", value)
    return "'" + value if value[:1] in FORMULA_STARTS else value


# ---------------------------------------------------------------- TCVN3 (ABC) text inside a Unicode file

# The TCVN3 (TCVN 5712:1993, "ABC" fonts .VnTime …) bytes of the Vietnamese letters. Text typed with those fonts
# and saved into a Unicode file shows these bytes as Latin-1 letters ("B¶o Th¾ng" for "Bảo Thắng"). The fonts
# for capitals (.VnTimeH) reuse the small letters' bytes, so only Ă Â Đ Ê Ô Ơ Ư come back as capitals.
_TCVN3_LETTERS = ("àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ")
_TCVN3_BYTES = bytes.fromhex(
    "b5b8b6b7b9a8bbbebcbdc6a9c7cac8c9cbaeccd0cecfd1aad2d5d3d4d6d7ddd8dcdedfe3e1e2e4abe5e8e6e7e9aceaedebeceeeff3f1"
    "f2f4adf5f8f6f7f9fafdfbfcfea1a2a7a3a4a5a6")
TCVN3_TABLE = dict(zip(_TCVN3_BYTES, _TCVN3_LETTERS, strict=True))
# Characters that TCVN3 text shows and Vietnamese written in Unicode never holds (its à, á, â, è … are
# Latin-1 letters too, so they tell nothing; Ð is left out: people type it for Đ).
_TCVN3_SIGNS = frozenset(chr(code) for code in TCVN3_TABLE) - frozenset(
    "àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝÐ")


def looks_like_tcvn3(text):
    """True when text reads as TCVN3 bytes shown as Latin-1: it holds a sign only TCVN3 text holds, and no letter
    beyond Latin-1 (a Unicode Vietnamese text has ă, đ, ơ, ư or the letters with two marks)."""
    if not isinstance(text, str) or not any(ch in _TCVN3_SIGNS for ch in text):
        return False
    return all(ord(ch) < 0x100 for ch in text)


def tcvn3_to_unicode(text):
    """TCVN3 text (as Latin-1 letters) in Unicode, composed (NFC)."""
    return unicodedata.normalize("NFC", text.translate(TCVN3_TABLE))


# ---------------------------------------------------------------- Vietnamese order

# Letters of the Vietnamese alphabet in dictionary order; letters outside it follow.
_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_RANK = {ch: i for i, ch in enumerate(_ALPHABET)}
# Tones in dictionary order: ngang, huyền, hỏi, ngã, sắc, nặng.
_TONES = {"": 0, "\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
# Marks that make a separate letter (ă, â, ê, ô, ơ, ư) rather than a tone.
_LETTER_MARKS = {"\u0306", "\u0302", "\u031b"}


def fold(text):
    """Lower-case text with every mark removed and đ→d, for search ("Đảng" → "dang")."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.lower().split())


def _split_letter(ch):
    """Split one character into (base letter with its letter marks, tone mark)."""
    decomposed = unicodedata.normalize("NFD", ch)
    base, tone = decomposed[0], ""
    letter_marks = ""
    for mark in decomposed[1:]:
        if mark in _LETTER_MARKS:
            letter_marks += mark
        elif mark in _TONES:
            tone = mark
    return unicodedata.normalize("NFC", base + letter_marks), tone


@functools.lru_cache(maxsize=8192)
def sort_key(text):
    """A key that sorts Vietnamese text in dictionary order (Đ after D, tones in order).

    Cached: the same unit and staff names are sorted on every page that lists them.
    """
    letters, tones, cases = [], [], []
    for ch in unicodedata.normalize("NFC", text or "").strip():
        letter, tone = _split_letter(ch)
        low = letter.lower()
        if low in _RANK:
            letters.append((0, _RANK[low]))
        else:
            letters.append((1, ord(low)))
        tones.append(_TONES[tone])
        cases.append(0 if letter == low else 1)
    return (tuple(letters), tuple(tones), tuple(cases))


def person_sort_key(full_name):
    """Vietnamese lists of people sort by given name (the last word), then the whole name."""
    words = (full_name or "").split()
    given = words[-1] if words else ""
    return (sort_key(given), sort_key(full_name))


def document_number(number, doc_type="TB"):
    """The office's document number, "05/TB-VP" ("" while not numbered)."""
    return "%02d/%s-VP" % (number, doc_type or "TB") if number is not None else ""


def slugify(title, day):
    """ASCII slug for a public URL: the folded title (cut at a word near 80 characters) and the date."""
    words = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")
    if len(words) > 80:
        words = words[:80].rsplit("-", 1)[0]
    return "%s-%s" % (words or "doi-thoai", day.strftime("%Y-%m-%d"))


def render_markdown(text):
    """Markdown to HTML with everything outside a small safe set removed."""
    html = md.markdown(text or "", extensions=["extra", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes={"a": {"href", "title"}, "th": {"align"},
                                                          "td": {"align"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def parse_front_matter(text):
    """Split a Markdown text into (front matter dict, body).

    The front matter is `key: value` lines between two `---` lines at the top. Values: digits
    become int, YYYY-MM-DD a date, an empty value None, anything else a string (quotes removed).
    Without front matter, returns ({}, text).
    """
    text = clean_typed(text.lstrip("\ufeff"))  # a file read in is typed text too
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return {}, text
    meta = {}
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return meta, "".join(lines[number + 1:]).lstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if sep:
            meta[key.strip()] = _front_value(value.strip())
    return {}, text  # no closing line: not front matter


def _front_value(value):
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    if not value:
        return None
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return dt.date.fromisoformat(value)
    return value
