"""Vietnamese text: diacritics folding for search, and dictionary (collation) order."""
import unicodedata

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


def sort_key(text):
    """A key that sorts Vietnamese text in dictionary order (Đ after D, tones in order)."""
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
    return (letters, tones, cases)


def person_sort_key(full_name):
    """Vietnamese lists of people sort by given name (the last word), then the whole name."""
    words = (full_name or "").split()
    given = words[-1] if words else ""
    return (sort_key(given), sort_key(full_name))
