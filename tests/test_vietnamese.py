"""Vietnamese text helpers: folding for search, dictionary order for lists of units and people."""
import random
import unicodedata

import pytest

from services.text import fold, person_sort_key, sort_key


@pytest.mark.parametrize("text, folded", [
    ("Đảng ủy", "dang uy"),
    ("ĐẤT ĐAI", "dat dai"),
    ("Thủ tục hành chính", "thu tuc hanh chinh"),
    ("  Xây   dựng\tĐảng ", "xay dung dang"),
    ("Ưu tiên ơn nghĩa", "uu tien on nghia"),
    ("", ""),
    (None, ""),
])
def test_fold_removes_marks_and_d_stroke(text, folded):
    assert fold(text) == folded


def test_sort_key_puts_letters_before_tones():
    names = ["Đức", "Dũng", "An", "Ánh", "Ăn", "Bình"]
    assert sorted(names, key=sort_key) == ["An", "Ánh", "Ăn", "Bình", "Dũng", "Đức"]


def test_d_stroke_is_its_own_letter_after_d():
    # Code-point order would put every Đ after E (and after Z); dictionary order puts it right after D.
    assert sorted(["Đông", "Em", "Dung", "Zalo"], key=sort_key) == ["Dung", "Đông", "Em", "Zalo"]
    assert sorted(["Đông", "Em", "Dung"]) != ["Dung", "Đông", "Em"]


def test_letters_with_marks_follow_their_base_letter():
    shuffled = ["ư", "ơ", "ô", "o", "u", "ê", "e", "â", "ă", "a"]
    assert sorted(shuffled, key=sort_key) == ["a", "ă", "â", "e", "ê", "o", "ô", "ơ", "u", "ư"]


def test_tones_in_dictionary_order():
    ordered = ["ma", "mà", "mả", "mã", "má", "mạ"]  # ngang, huyền, hỏi, ngã, sắc, nặng
    shuffled = ordered[:]
    random.Random(4).shuffle(shuffled)
    assert shuffled != ordered
    assert sorted(shuffled, key=sort_key) == ordered


def test_a_tone_decides_only_between_equal_letters():
    # "Anh" < "Ánh" (same letters, tone decides) but "Ánh" < "Ăn" (a < ă decides first).
    assert sorted(["Ăn", "Ánh", "Anh"], key=sort_key) == ["Anh", "Ánh", "Ăn"]


def test_composed_and_decomposed_text_sort_alike():
    decomposed = unicodedata.normalize("NFD", "Đức")
    assert sort_key(decomposed) == sort_key("Đức")


def test_person_sort_key_orders_by_given_name_then_full_name():
    people = ["Trần Thị An", "Nguyễn Văn Đức", "Lê Văn An", "Phạm Dũng", "Hoàng Bình"]
    assert sorted(people, key=person_sort_key) == [
        "Lê Văn An", "Trần Thị An", "Hoàng Bình", "Phạm Dũng", "Nguyễn Văn Đức"]


def test_person_sort_key_tolerates_empty_names():
    assert sorted(["Bình", "", None], key=person_sort_key) == ["", None, "Bình"]
