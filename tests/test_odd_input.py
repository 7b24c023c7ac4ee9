"""Nonsense in addresses and query strings gets a page or a 404, never a server error."""
import pytest

HUGE = "9" * 20  # beyond SQLite's 64-bit integers
ODD = ["²", HUGE, "-1", "0", "1e3", "abc", "9999"]

LISTS = ["/y-kien/", "/doi-thoai/", "/thong-bao/", "/ket-luan/", "/de-xuat/", "/bao-cao/", "/cong-khai/",
         "/quan-tri/nhat-ky/", "/bao-cao/so-theo-doi.csv"]
PARAMS = ["year", "unit", "field", "agency", "dialogue", "page", "plan"]
RECORDS = ["/y-kien/%s", "/doi-thoai/%s", "/thong-bao/%s", "/ket-luan/%s", "/de-xuat/%s", "/bao-cao/%s",
           "/tep/%s", "/tep/dialogue/%s", "/thong-bao/%s/in"]
FORMS = ["/thong-bao/moi?dialogue=%s", "/bao-cao/moi?plan=%s", "/y-kien/moi?dialogue=%s"]


@pytest.mark.parametrize("path", LISTS)
def test_odd_filter_values_are_ignored(login, path):
    client = login("coordinator")
    for name in PARAMS:
        for value in ODD:
            response = client.get(path, query_string={name: value})
            assert response.status_code == 200, (path, name, value, response.status_code)


@pytest.mark.parametrize("pattern", RECORDS + FORMS)
def test_odd_record_ids_are_not_found(login, pattern):
    client = login("coordinator")
    for value in (HUGE, "²", "0"):
        response = client.get(pattern % value)
        assert response.status_code in (200, 404), (pattern, value, response.status_code)
        assert "Lỗi hệ thống" not in response.get_data(as_text=True)


def test_a_huge_page_number_is_an_empty_page_not_an_error(login):
    response = login("coordinator").get("/y-kien/", query_string={"page": HUGE})
    assert response.status_code == 200
