"""Open data of the public site: the CSV and JSON files of conclusions and of the schedule, and their columns."""
import csv
import json
from operator import attrgetter

from flask import request

from services import memo
from services.text import csv_safe
from views.public_urls import public_url


def _iso(value):
    return value.isoformat() if value else ""


def local_iso(value):
    """A stored local time in Vietnam as ISO 8601 with its offset."""
    return value.replace(microsecond=0).isoformat() + "+07:00" if value else ""


class PageUrl:
    """An open-data column: the public address of the page a record names by one attribute.

    Empty when the attribute path meets None (e.g. a conclusion whose dialogue is not public).
    public_url builds the address from a template made once per endpoint (quick_builder).
    """

    def __init__(self, endpoint, argument, path):
        self.endpoint, self.argument, self.path = endpoint, argument, path
        self.names = path.split(".")

    def __call__(self, record):
        key = record
        for name in self.names:
            key = getattr(key, name)
            if key is None:
                return ""
        return public_url(self.endpoint, **{self.argument: key})


CONCLUSION_COLUMNS = [  # (name, meaning, value of a record: attrgetter where it is one attribute, quicker)
    ("id", "Số hiệu của kết luận trên trang Dân biết (không đổi).", attrgetter("id")),
    ("duong_dan", "Địa chỉ trang của kết luận.", PageUrl(".conclusion_page", "conclusion_id", "id")),
    ("tom_tat", "Tóm tắt nội dung kết luận, bản công khai.", attrgetter("summary")),
    ("don_vi_thuc_hien", "Phòng, đơn vị chịu trách nhiệm thực hiện.", attrgetter("unit")),
    ("han_thuc_hien", "Hạn thực hiện, dạng YYYY-MM-DD (trống nếu không có).", lambda c: _iso(c.deadline)),
    ("ma_linh_vuc", "Mã lĩnh vực.", lambda c: c.field.code if c.field else ""),
    ("linh_vuc", "Tên lĩnh vực.", lambda c: c.field.name if c.field else ""),
    ("ma_tinh_trang", "Mã tình trạng: resolved (đã giải quyết), referred (đã chuyển cơ quan có thẩm quyền), "
                      "explained (đã giải thích), in_progress (đang thực hiện).", attrgetter("status")),
    ("tinh_trang", "Tình trạng thực hiện, bằng tiếng Việt.", attrgetter("status_label")),
    ("so_thong_bao", "Số Thông báo ý kiến kết luận.", attrgetter("notice_number")),
    ("ngay_thong_bao", "Ngày ký Thông báo, dạng YYYY-MM-DD.", lambda c: _iso(c.notice_date)),
    ("nam", "Năm ký Thông báo.", attrgetter("year")),
    ("doi_thoai", "Địa chỉ trang buổi đối thoại (trống nếu buổi đối thoại không công bố lịch).",
     PageUrl(".dialogue_page", "slug", "dialogue.slug")),
    ("cap_nhat", "Ngày thay đổi tình trạng gần nhất, dạng YYYY-MM-DD.", lambda c: _iso(c.updated_at.date())),
]
CONCLUSION_JSON_ONLY = [
    ("dien_bien", "Chỉ có trong JSON: diễn biến tình trạng, mỗi mục gồm ngay (YYYY-MM-DD), ma_tinh_trang và "
                  "tinh_trang.",
     lambda c: [{"ngay": _iso(e.on), "ma_tinh_trang": e.status, "tinh_trang": e.label} for e in c.timeline]),
]
DIALOGUE_COLUMNS = [
    ("id", "Số hiệu của buổi đối thoại trên trang Dân biết (không đổi).", attrgetter("id")),
    ("duong_dan", "Địa chỉ trang của buổi đối thoại.", PageUrl(".dialogue_page", "slug", "slug")),
    ("tieu_de", "Tên buổi đối thoại.", attrgetter("title")),
    ("ma_hinh_thuc", "Mã hình thức: on_request (trực tiếp theo yêu cầu), ad_hoc (đột xuất), periodic (định kỳ).",
     attrgetter("kind")),
    ("hinh_thuc", "Hình thức đối thoại, bằng tiếng Việt.", attrgetter("kind_label")),
    ("ma_doi_tuong", "Mã đối tượng: citizens (nhân dân, công dân), staff (công chức, viên chức, người lao động).",
     attrgetter("audience")),
    ("doi_tuong", "Đối tượng đối thoại, bằng tiếng Việt.", attrgetter("audience_label")),
    ("ma_linh_vuc", "Mã các lĩnh vực, cách nhau bằng dấu chấm phẩy.", lambda d: ";".join(f.code for f in d.fields)),
    ("linh_vuc", "Tên các lĩnh vực, cách nhau bằng dấu chấm phẩy.", lambda d: "; ".join(f.name for f in d.fields)),
    ("bat_dau", "Thời gian bắt đầu, giờ Việt Nam, dạng ISO 8601 (YYYY-MM-DDTHH:MM:SS+07:00).",
     lambda d: local_iso(d.starts_at)),
    ("ket_thuc", "Thời gian kết thúc dự kiến, cùng dạng (trống nếu chưa xác định).", lambda d: local_iso(d.ends_at)),
    ("dia_diem", "Địa điểm.", attrgetter("place")),
    ("chu_tri", "Người chủ trì (chức vụ).", attrgetter("chair")),
    ("ma_tinh_trang", "Mã tình trạng: scheduled (đã lên lịch), postponed (hoãn), held (đã tổ chức), "
                      "concluded (đã có kết luận), completed (hoàn thành).", attrgetter("status")),
    ("tinh_trang", "Tình trạng, bằng tiếng Việt.", attrgetter("status_label")),
]


class _Lines(list):
    """A file for csv.writer that keeps each row's line apart (the writer writes a row in one call)."""

    write = list.append


def _lines(name, rows, columns, json_only=()):
    """[(CSV line, JSON line) of each row, UTF-8]: made once a build for both files, and carried to the
    next build for the rows whose signature did not change (see services.memo.carried_values)."""
    names = [column for column, _, _ in (*columns, *json_only)]

    def make(records):
        getters = [value for _, _, value in columns]  # attrgetters, lambdas and PageUrls
        table = [[get(record) for get in getters] for record in records]
        csv_lines = _Lines()  # cells a spreadsheet would run as formulas are neutralised; the JSON keeps them
        csv.writer(csv_lines, lineterminator="\r\n").writerows([[csv_safe(value) for value in row] for row in table])
        dump = _JSON.encode
        return [(line.encode("utf-8"),
                 ("  " + dump(dict(zip(names, values + [value(record) for _, _, value in json_only], strict=True))))
                 .encode("utf-8"))
                for line, values, record in zip(csv_lines, table, records, strict=True)]

    key = "open data|%s|%s|%s" % (name, request.script_root, request.blueprint)
    return memo.cached(key, lambda: memo.carried_values(key, rows, make))


def csv_body(name, rows, columns, json_only=()):
    """The CSV file (UTF-8 with BOM): a header, then a line a row (cells made safe: services.text.csv_safe)."""
    header = _Lines()
    csv.writer(header, lineterminator="\r\n").writerow([column for column, _, _ in columns])
    return b"".join(["\ufeff".encode("utf-8"),  # the byte order mark lets Excel read UTF-8
                     header[0].encode("utf-8"), *(line for line, _ in _lines(name, rows, columns, json_only))])


_JSON = json.JSONEncoder(ensure_ascii=False)  # one encoder for every record (json.dumps makes one a call)


def json_body(title, name, rows, columns, json_only=()):
    """{"tieu_de", "nguon", "so_ban_ghi", "du_lieu": [records]}, one record a line (json's fast encoder)."""
    dump = _JSON.encode
    head = ["{", ' "tieu_de": %s,' % dump(title), ' "nguon": %s,' % dump(public_url(".open_data")),
            ' "so_ban_ghi": %d,' % len(rows), ' "du_lieu": [']
    body = ["\n".join(head).encode("utf-8"), b"\n"]
    if rows:
        body += [b",\n".join(line for _, line in _lines(name, rows, columns, json_only)), b"\n"]
    body.append(b" ]\n}\n")
    return b"".join(body)
