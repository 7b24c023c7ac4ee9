"""The one personal-data detector: what the gate refuses is what the mails mask, and the reverse."""
import re

import pytest

import publication
from services import privacy, reminders

MASK = "[bảo mật]"


def old_mail_mask(text):
    """What the reminder mails masked before they used the detector (their own two patterns)."""
    text = re.sub(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+", MASK, " ".join(text.split()))
    return re.sub(r"\+?\d(?:[ .-]?\d){8,}", MASK, text)


def old_gate_found_an_address(text):
    """The gate's former e-mail pattern (a letters-only top-level domain)."""
    return bool(re.search(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}", text))


@pytest.mark.parametrize("text, secret", [
    ("Liên hệ điện thoại bàn (0236) 3822 123 giờ hành chính.", "3822 123"),  # the gate knew this phone
    ("Gọi 0236.3822.123 hoặc (0236) 3822 124.", "3822 124"),
])
def test_a_phone_the_gate_caught_is_now_masked_in_mails_too(text, secret):
    assert privacy.personal_data_problems(text)
    assert secret in old_mail_mask(text)  # the mails' own patterns let it through
    assert secret not in privacy.masked(text, MASK)
    assert secret not in reminders.scrub(text)


@pytest.mark.parametrize("text, address", [
    ("Gửi hồ sơ về hoso@10.0.0.5 trước thứ Sáu.", "hoso@10.0.0.5"),
    ("Thư gửi văn.thư@ubnd-tinh.x nhé.", "văn.thư@ubnd-tinh.x"),
])
def test_an_address_the_mails_masked_is_now_refused_by_the_gate_too(text, address):
    assert address not in old_mail_mask(text)  # the mails masked it …
    assert not old_gate_found_an_address(text)  # … the gate let it through
    problems = privacy.personal_data_problems(text)
    assert problems == ["Có địa chỉ thư điện tử (%s)." % address]
    assert not publication.summary_is_publishable(text)
    assert address not in privacy.masked(text, MASK)


@pytest.mark.parametrize("text", [
    "Liên hệ 0912 345 678.",
    "CCCD 079203001234 của ông A",
    "CMND 123456789",
    "Gửi về nguyenvana@example.com.",
    "Gọi +84 236 3822 123 trong giờ hành chính.",
])
def test_what_the_gate_refuses_the_mails_mask(text):
    assert privacy.personal_data_problems(text)
    shown = privacy.masked(text, MASK)
    assert MASK in shown
    assert not privacy.personal_data_problems(shown)


def test_mails_stay_as_strict_as_their_former_masks():
    """Every stretch the former masks hid is hidden still, long numbers the gate lets pass included."""
    for text in ["Kinh phí 1.234.567.890 đồng, hồ sơ 123456789.", "Liên hệ 0912-345-678 hoặc to.nga@example.vn",
                 "Mã 0912345678901234 và +84912345678"]:
        assert privacy.masked(text, MASK) == old_mail_mask(text)


def test_the_names_and_contacts_given_are_masked_whole_and_by_parts():
    text = "Bà Tô Thị Nga (0912 345 678, thôn Phú Mỹ) đề nghị; liên hệ thôn phú mỹ."
    shown = privacy.masked(text, MASK, ["Tô Thị Nga", "0912 345 678, thôn Phú Mỹ"])
    assert shown == "Bà [bảo mật] ([bảo mật]) đề nghị; liên hệ [bảo mật]."
    assert privacy.masked("  hai\n dòng  ", MASK) == "hai dòng"
    assert privacy.masked(None, MASK) == ""
