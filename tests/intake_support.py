"""Helpers of the intake tests: an intake app on a throw-away database, a citizen's client, sample files."""
import re

from intake import create_intake_app
from intake import models as im

TOKEN = "test-intake-token"
NAME = "Phạm Thị Hồng Nhung"
PHONE = "0912 345 678"
EMAIL = "hong.nhung@example.vn"
ADDRESS = "Số 12 đường Trần Phú, phường Tân An"
TITLE = "Đề nghị đối thoại về thủ tục cấp phép xây dựng"
CONTENT = "Hồ sơ nộp từ tháng trước vẫn chưa có kết quả; tôi đề nghị được đối thoại trực tiếp."
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
_HIDDEN = re.compile(r'name="(csrf_token|started)" value="([^"]+)"')
CODE = re.compile(r"YC-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def make_app(tmp_path, **config):
    settings = {"TESTING": True, "INTAKE_DATABASE_URL": "sqlite:///%s" % (tmp_path / "intake.db"),
                "SECRET_KEY": "intake-test-secret", "INTAKE_API_TOKEN": TOKEN, "INTAKE_MIN_FILL_SECONDS": 0,
                "MAIL_SERVER": ""}
    settings.update(config)
    return create_intake_app(settings)


def hidden_fields(html):
    return dict(_HIDDEN.findall(html))


def valid_form(**changes):
    data = {"kind": "dialogue_request", "full_name": NAME, "phone": PHONE, "email": EMAIL, "address": ADDRESS,
            "field": "", "title": TITLE, "content": CONTENT, "consent": "yes", "website": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


class Citizen:
    """A test client that reads the form's hidden fields (CSRF token, start time) before posting."""

    def __init__(self, app, address="203.0.113.7"):
        self.client = app.test_client()
        self.address = address

    def get(self, url, **kwargs):
        return self.client.get(url, environ_base={"REMOTE_ADDR": self.address}, **kwargs)

    def submit(self, data=None, files=None, hidden=None):
        form = dict(hidden or hidden_fields(self.get("/").get_data(as_text=True)))
        form.update(valid_form() if data is None else data)
        if files:
            form["attachments"] = files
        return self.client.post("/", data=form, content_type="multipart/form-data",
                                environ_base={"REMOTE_ADDR": self.address})

    def receipt_code(self):
        match = CODE.search(self.get("/bien-nhan/").get_data(as_text=True))
        return match.group(0) if match else None

    def lookup(self, code):
        token = hidden_fields(self.get("/tra-cuu/").get_data(as_text=True))["csrf_token"]
        return self.client.post("/tra-cuu/", data={"csrf_token": token, "code": code},
                                environ_base={"REMOTE_ADDR": self.address})


def bearer(token=TOKEN):
    return {"Authorization": "Bearer %s" % token}


def close_intake_db():
    """Close the intake app's connections (the request's one and the idle ones of its pool)."""
    if not im.db.is_closed():
        im.db.close()
    if hasattr(im.db.obj, "close_idle"):
        im.db.obj.close_idle()
