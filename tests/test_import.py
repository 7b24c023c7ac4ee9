"""Import of an existing register (issue 13): preview, refusals by line, repeated imports, encodings, TCVN3, XLS,
the app's own export read back, the command line."""
import datetime as dt
import io
import os
import re
import unicodedata
from pathlib import Path

import pytest
from openpyxl import Workbook

import models
from models import AuditLog, Opinion, StatusChange
from services import register_import
from tests.conftest import user

DATA = Path(__file__).resolve().parent / "data"
HEADERS = ["Số", "Ngày nhận", "Loại", "Kênh", "Đối tượng", "Người gửi", "Liên hệ", "Nội dung", "Lĩnh vực",
           "Đơn vị xử lý", "Hạn xử lý", "Trạng thái", "Dự thảo trả lời", "Ghi chú"]
GOOD = [
    ["12/2023", dt.datetime(2023, 11, 20), "Kiến nghị", "Đơn thư", "Nhân dân, công dân", "Nguyễn Văn Bình",
     "0905123456", "Đề nghị xem xét cấp giấy chứng nhận quyền sử dụng đất cho hộ gia đình", "Đất đai",
     "Phòng Tiếp công dân", "20/12/2023", "Đã giải quyết", "Đã trả lời bằng văn bản", "ghi chú riêng"],
    [None, "05/01/2024", "Ý kiến", None, None, "Trần Thị Hoa", None,
     "Phản ánh thái độ của công chức tại bộ phận một cửa chưa đúng mực", "Tinh thần, thái độ phục vụ",
     "Phòng Nội chính", None, "Đã có kết luận", "Đã làm việc với bộ phận một cửa", None],
    ["13/2023", "06/01/2024", None, None, None, None, None, "Đề nghị bổ sung chế độ phụ cấp cho công chức trực",
     None, None, None, None, None, None],
]


def xlsx(rows, headers=HEADERS):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_text(rows, headers=HEADERS):
    lines = [",".join(headers)] + [",".join('"%s"' % (c or "") for c in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text):
    """Text as Windows-1258 writes it: letters with their letter marks (ă, ơ …) and the tone as a combining mark."""
    out = []
    for ch in text:
        parts = unicodedata.normalize("NFD", ch)
        out.append(unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONES))
                   + "".join(p for p in parts if p in TONES))
    return "".join(out).encode("cp1258")


def counts():
    return (Opinion.select().count(), StatusChange.select().count(), AuditLog.select().count(),
            sum(o.version for o in Opinion.select(Opinion.version)))


def upload(client, name, data, status=200):
    response = client.post("/y-kien/nhap/", data={"csrf_token": client.token, "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    token = re.search(r"/y-kien/nhap/([A-Za-z0-9_-]{22})/xac-nhan", html)
    return html, token.group(1) if token else None


def run_cli(runner, tmp_path, name, data, *options):
    path = tmp_path / name
    path.write_bytes(data)
    return runner.invoke(args=["import-register", str(path), *options])


# ---------------------------------------------------------------- the screen

@pytest.mark.parametrize("whose", ["unknown", "confirmed already", "another coordinator's"])
def test_an_upload_that_is_gone_sends_back_to_the_upload_form_and_stores_nothing(login, db, app, tmp_path, whose):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    client = login("coordinator")
    _, token = upload(client, "so-cu.xlsx", xlsx(GOOD))
    if whose == "unknown":
        token = "A" * 22
    elif whose == "confirmed already":
        assert client.post_form("/y-kien/nhap/%s/xac-nhan" % token).status_code == 303
    else:
        other = models.User.create(username="dieu.phoi2", full_name="Điều Phối Hai", role="coordinator",
                                   password_hash=user("coordinator").password_hash)
        client = login(other.username)
    before = counts()
    for action in ("xem-truoc", "xac-nhan"):
        response = client.post_form("/y-kien/nhap/%s/%s" % (token, action), {"col-0": "content"})
        assert response.status_code == 303 and response.headers["Location"].endswith("/y-kien/nhap/")
        assert "Tệp tải lên đã hết hạn hoặc không tồn tại" in client.get("/y-kien/nhap/").get_data(as_text=True)
    assert counts() == before


def test_an_upload_left_unconfirmed_is_removed_after_an_hour_by_the_hourly_command(login, db, app, runner, tmp_path):
    """The uploaded register (names, contacts) does not wait for the next upload to go."""
    folder = tmp_path / "imports"
    app.config["IMPORT_DIR"] = str(folder)
    client = login("coordinator")
    _, old = upload(client, "so-cu.xlsx", xlsx(GOOD))
    _, fresh = upload(client, "so-moi.xlsx", xlsx(GOOD))
    hour_and_a_bit = os.path.getmtime(folder / (old + ".bin")) - 3601
    for path in folder.glob(old + ".*"):
        os.utime(path, (hour_and_a_bit, hour_and_a_bit))
    result = runner.invoke(args=["sweep-imports"])
    assert result.exit_code == 0, result.output
    assert "Đã xoá 2 tệp" in result.output
    assert sorted(p.name for p in folder.iterdir()) == [fresh + ".bin", fresh + ".json"]
    response = client.post_form("/y-kien/nhap/%s/xac-nhan" % old)
    assert response.status_code == 303 and response.headers["Location"].endswith("/y-kien/nhap/")
    assert client.post_form("/y-kien/nhap/%s/xac-nhan" % fresh).status_code == 303
    app.config["IMPORT_DIR"] = str(tmp_path / "never-made")
    result = runner.invoke(args=["sweep-imports"])
    assert result.exit_code == 0 and "Đã xoá 0 tệp" in result.output



def test_preview_stores_nothing_and_the_confirmed_import_equals_it(login, db, app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    client = login("coordinator")
    before = counts()
    html, token = upload(client, "so-cu.xlsx", xlsx(GOOD))
    assert counts() == before  # the preview stores nothing
    assert "Sẽ tạo mới: 3</strong>, cập nhật: 0, không thay đổi: 0, bị từ chối: 0" in html
    assert "“Ghi chú”" in html  # the unknown column is listed (and ignored)
    kept = list((tmp_path / "imports").glob("*.bin"))
    assert len(kept) == 1 and os.stat(kept[0]).st_mode & 0o777 == 0o600
    preview = register_import.preview("so-cu.xlsx", xlsx(GOOD))

    response = client.post_form("/y-kien/nhap/%s/xac-nhan" % token)
    assert response.status_code == 303
    assert not list((tmp_path / "imports").glob("*.bin"))  # removed after the import
    assert Opinion.select().count() == before[0] + preview.created == before[0] + 3
    first = Opinion.get(Opinion.legacy_code == "12/2023")
    assert re.fullmatch(r"YK-2023-\d{4}", first.code) and first.code != "12/2023"
    assert first.received_on == dt.date(2023, 11, 20) and first.deadline == dt.date(2023, 12, 20)
    assert (first.kind, first.channel, first.audience) == ("petition", "letter", "citizens")
    assert first.field.name == "Đất đai" and first.assigned_unit.code == "TCD"
    assert first.status == "resolved" and first.closed_at is not None
    history = [(c.from_status, c.to_status) for c in StatusChange.for_object(first)]
    assert history[0] == ("", "received") and history[-1][1] == "resolved"
    assert all("Nhập từ sổ cũ: tệp so-cu.xlsx, dòng 2." in c.note for c in StatusChange.for_object(first))
    second = Opinion.get(Opinion.content.startswith("Phản ánh thái độ"))
    assert second.status == "answer_drafted" and second.legacy_code == "" and second.import_key
    assert "Trạng thái trong tệp: “Đã có kết luận”" in StatusChange.for_object(second)[-1].note
    assert second.received_on == dt.date(2024, 1, 5)
    # one audit entry per record and one for the run, with its counts
    assert AuditLog.select().where(AuditLog.action == "import", AuditLog.object_id.is_null(False)).count() == 3
    run = AuditLog.get(AuditLog.action == "import", AuditLog.object_id.is_null())
    assert "tạo mới 3, cập nhật 0" in run.summary and run.user_id == user("coordinator").id
    # the legacy number is searchable in the register
    page = client.get("/y-kien/?q=12/2023").get_data(as_text=True)
    assert first.code in page


def test_only_the_coordinator_imports(login, db):
    for role in ("specialist", "unit_head", "leader", "chief"):
        client = login(role)
        assert client.get("/y-kien/nhap/").status_code == 403
        response = client.post("/y-kien/nhap/", data={"csrf_token": client.token,
                                                      "file": (io.BytesIO(xlsx(GOOD)), "a.xlsx")},
                               content_type="multipart/form-data")
        assert response.status_code == 403
    assert login("coordinator").get("/y-kien/nhap/").status_code == 200


@pytest.mark.parametrize("name, data, message", [
    ("so.xlsx", b"not a workbook", "Không đọc được tệp XLSX"),
    ("so.xls", b"not a workbook", "Không đọc được tệp XLS"),
    ("so.pdf", b"%PDF-1.4", "Chỉ nhận tệp .xlsx, .xls hoặc .csv."),
    ("so.csv", "Cột A,Cột B\r\n1,2\r\n".encode(), "Không tìm thấy dòng tiêu đề"),
])
def test_a_bad_file_is_refused_beside_the_field_and_nothing_is_stored(login, db, app, tmp_path, name, data, message):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    client = login("coordinator")
    before = counts()
    html, token = upload(client, name, data, status=422)
    assert message in html and 'id="file-error"' in html and token is None
    assert counts() == before
    assert not list((tmp_path / "imports").glob("*.bin"))


def test_no_file_chosen(login, db):
    client = login("coordinator")
    response = client.post_form("/y-kien/nhap/", {})
    assert response.status_code == 422
    assert "Vui lòng chọn tệp sổ theo dõi cần nhập." in response.get_data(as_text=True)


def test_a_column_mapped_by_hand(login, db, app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    client = login("coordinator")
    headers = ["Ngày nhận", "Tóm tắt đơn"]  # the content under a header the import does not know
    html, token = upload(client, "so.xlsx", xlsx([["02/02/2024", "Đề nghị sửa chữa trụ sở tiếp công dân xã"]],
                                                  headers))
    assert "bị từ chối: 1" in html and "Thiếu nội dung." in html and "“Tóm tắt đơn”" in html
    response = client.post_form("/y-kien/nhap/%s/xem-truoc" % token, {"col-0": "received_on", "col-1": "content"})
    assert "Sẽ tạo mới: 1</strong>" in response.get_data(as_text=True)
    response = client.post_form("/y-kien/nhap/%s/xem-truoc" % token, {"col-0": "content", "col-1": "content"})
    assert response.status_code == 422 and "cùng được gán cho “Nội dung”" in response.get_data(as_text=True)
    client.post_form("/y-kien/nhap/%s/xac-nhan" % token, {"col-0": "received_on", "col-1": "content"})
    assert Opinion.get(Opinion.content == "Đề nghị sửa chữa trụ sở tiếp công dân xã").received_on == dt.date(2024, 2, 2)


# ---------------------------------------------------------------- refused rows, the command line

BAD = [
    ["20/2023", "31/02/2023", None, None, None, "A", None, "Nội dung hợp lệ thứ nhất của dòng lỗi ngày", None, None,
     None, None, None, None],
    ["21/2023", "01/03/2023", None, None, None, "B", None, "Nội dung hợp lệ của dòng có đơn vị lạ", None,
     "Phòng Không Tồn Tại", None, None, None, None],
    ["22/2023", "01/03/2023", None, None, None, "C", None, "Nội dung hợp lệ của dòng có lĩnh vực lạ", "Thiên văn",
     None, None, None, None, None],
    ["23/2023", "01/03/2023", None, None, None, "D", None, "Nội dung hợp lệ của dòng có trạng thái lạ", None, None,
     None, "Đang suy nghĩ", None, None],
    ["24/2023", "01/03/2023", None, None, None, "E", None, None, None, None, None, None, None, None],
    ["25/2023", "01/03/2023", "Thư khen", None, None, "F", None, "Nội dung hợp lệ của dòng có loại lạ", None, None,
     None, None, None, None],
]


def test_every_kind_of_bad_row_is_refused_with_its_line_and_reason(runner, db, tmp_path):
    rows = [GOOD[0], None, *BAD]  # an empty line 3: a spreadsheet's own row numbers count it
    data = xlsx([r or [] for r in rows])
    before = counts()
    result = run_cli(runner, tmp_path, "so.xlsx", data)
    assert result.exit_code != 0
    assert counts() == before  # without --force a file with a refused row imports nothing
    lines = result.output.strip().splitlines()
    assert "Dòng 4: Ngày nhận “31/02/2023” không phải là ngày (dd/mm/yyyy)." in lines
    assert "Dòng 5: Đơn vị xử lý “Phòng Không Tồn Tại” không có trong danh sách." in lines
    assert "Dòng 6: Lĩnh vực “Thiên văn” không có trong danh mục." in lines
    assert "Dòng 7: Trạng thái “Đang suy nghĩ” không có trong quy trình xử lý ý kiến." in lines
    assert "Dòng 8: Thiếu nội dung." in lines
    assert "Dòng 9: Loại “Thư khen” không có trong danh mục." in lines
    assert lines[-1] == "Tạo mới: 1, cập nhật: 0, bị từ chối: 6"

    result = run_cli(runner, tmp_path, "so.xlsx", data, "--dry-run")
    assert result.exit_code == 0 and "Chạy thử" in result.output and counts() == before
    assert result.output.strip().splitlines()[-1] == "Tạo mới: 1, cập nhật: 0, bị từ chối: 6"

    result = run_cli(runner, tmp_path, "so.xlsx", data, "--force", "--user", "coordinator")
    assert result.exit_code == 0, result.output
    assert "Dòng 8: Thiếu nội dung." in result.output
    assert result.output.strip().splitlines()[-1] == "Tạo mới: 1, cập nhật: 0, bị từ chối: 6"
    assert Opinion.select().count() == before[0] + 1
    assert not Opinion.select().where(Opinion.legacy_code.in_(["20/2023", "21/2023", "24/2023"])).exists()
    assert AuditLog.select().where(AuditLog.action == "import", AuditLog.object_id.is_null(False),
                                   AuditLog.user == user("coordinator").id).count() == 1


def test_csv_line_numbers_are_record_numbers(runner, db, tmp_path):
    text = csv_text([["30/2023", "1/2/2023", "", "", "", "An", "",
                      "Dòng một\nhai dòng trong một ô của tệp CSV", "", "", "", "", "", ""],
                     ["31/2023", "hôm qua", "", "", "", "", "", "Nội dung của bản ghi thứ ba", "", "", "", "", "", ""]])
    result = run_cli(runner, tmp_path, "so.csv", text.encode("utf-8-sig"))
    assert "Dòng 3: Ngày nhận “hôm qua” không phải là ngày (dd/mm/yyyy)." in result.output


def test_a_repeated_import_changes_nothing(runner, db, tmp_path):
    # An old register numbering rows with STT only: no Số at all.
    headers = ["STT", "Ngày nhận", "Người gửi", "Nội dung", "Trạng thái"]
    rows = [[1, "03/04/2024", "Lê Văn Tám", "Đề nghị công khai kết quả đánh giá công chức cuối năm", "Mới tiếp nhận"],
            [2, "04/04/2024", "", "Phản ánh việc chậm chi trả chế độ làm thêm giờ", "Đã giải thích"]]
    data = xlsx(rows, headers)
    first = run_cli(runner, tmp_path, "stt.xlsx", data)
    assert first.exit_code == 0 and first.output.strip().endswith("Tạo mới: 2, cập nhật: 0, bị từ chối: 0")
    before = counts()[:2] + (counts()[3],)
    again = run_cli(runner, tmp_path, "stt.xlsx", data)
    assert again.exit_code == 0 and again.output.strip().endswith("Tạo mới: 0, cập nhật: 0, bị từ chối: 0")
    assert counts()[:2] + (counts()[3],) == before
    assert Opinion.get(Opinion.content.startswith("Phản ánh việc chậm")).status == "explained"
    run = AuditLog.select().where(AuditLog.action == "import", AuditLog.object_id.is_null()).order_by(
        AuditLog.id.desc()).first()
    assert "(dòng lệnh)" in run.summary and run.user_id is None


def test_an_update_writes_only_cells_present_and_never_a_mask(runner, db, tmp_path):
    stored = Opinion.select().where(Opinion.submitter_name != "", Opinion.status == "assigned").first()
    name, content, version = stored.submitter_name, stored.content, stored.version
    headers = ["Số", "Người gửi", "Nội dung", "Dự thảo trả lời", "Trạng thái"]
    data = xlsx([[stored.code, "[bảo mật]", "", "Dự thảo trả lời mới từ sổ giấy", "Đã có dự thảo trả lời"]], headers)
    result = run_cli(runner, tmp_path, "cap-nhat.xlsx", data)
    assert result.output.strip().endswith("Tạo mới: 0, cập nhật: 1, bị từ chối: 0"), result.output
    after = Opinion.get_by_id(stored.id)
    assert (after.submitter_name, after.content) == (name, content)
    assert after.draft_answer == "Dự thảo trả lời mới từ sổ giấy" and after.status == "answer_drafted"
    assert after.version == version + 1
    assert StatusChange.for_object(after)[-1].to_status == "answer_drafted"


# ---------------------------------------------------------------- encodings, TCVN3, XLS, dates

def test_a_windows_1258_csv_is_read_right(runner, db, tmp_path):
    rows = [["40/2022", "15/06/2022", "", "", "", "Nguyễn Thị Phượng", "",
             "Đề nghị hỗ trợ kinh phí sửa chữa nhà văn hóa", "Đất đai", "", "", "", "", ""]]
    data = cp1258(csv_text(rows).replace(",", ";"))  # Excel's Vietnamese CSV: semicolons, code page 1258
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    result = run_cli(runner, tmp_path, "so-1258.csv", data)
    assert result.exit_code == 0, result.output
    row = Opinion.get(Opinion.legacy_code == "40/2022")
    assert row.submitter_name == "Nguyễn Thị Phượng" and row.content == "Đề nghị hỗ trợ kinh phí sửa chữa nhà văn hóa"
    assert row.field.name == "Đất đai"


def test_tcvn3_text_is_converted_and_shown_in_the_preview(login, db, app, tmp_path):
    app.config["IMPORT_DIR"] = str(tmp_path / "imports")
    tcvn3 = "§Ò nghÞ xem xÐt viÖc cÊp giÊy chøng nhËn quyÒn sö dông ®Êt"
    rows = [["41/2022", "16/06/2022", "", "", "", "NguyÔn V¨n Tr\xadêng", "", tcvn3, "§Êt ®ai", "", "", "", "", ""]]
    data = csv_text(rows).encode("utf-8")
    client = login("coordinator")
    html, token = upload(client, "tcvn3.csv", data)
    assert "Đề nghị xem xét việc cấp giấy chứng nhận quyền sử dụng đất" in html
    assert "Đã chuyển từ phông TCVN3 (ABC) sang Unicode: 3 ô" in html
    client.post_form("/y-kien/nhap/%s/xac-nhan" % token)
    row = Opinion.get(Opinion.legacy_code == "41/2022")
    assert row.content == "Đề nghị xem xét việc cấp giấy chứng nhận quyền sử dụng đất"
    assert row.submitter_name == "Nguyễn Văn Trường" and row.field.name == "Đất đai"


def test_an_old_xls_with_excel_and_text_dates(runner, db, tmp_path):
    result = run_cli(runner, tmp_path, "so-cu.xls", (DATA / "register_old.xls").read_bytes())
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("Tạo mới: 2, cập nhật: 0, bị từ chối: 0")
    excel_date = Opinion.get(Opinion.legacy_code == "15/2024")
    assert excel_date.received_on == dt.date(2024, 3, 5) and excel_date.status == "assigned"
    assert excel_date.assigned_unit.code == "NC" and excel_date.submitter_name == "Nguyễn Văn Bình"
    assert Opinion.get(Opinion.legacy_code == "16/2024").received_on == dt.date(2024, 3, 7)


def test_excel_day_numbers_and_text_dates_in_an_xlsx(runner, db, tmp_path):
    headers = ["Số", "Ngày nhận", "Nội dung", "Hạn xử lý"]
    rows = [["50/2024", 45366, "Ngày là số ngày của Excel, không định dạng", "30/03/2024"],
            ["51/2024", dt.date(2024, 3, 16), "Ngày là ô ngày tháng của Excel", "2024-03-31"]]
    result = run_cli(runner, tmp_path, "ngay.xlsx", xlsx(rows, headers))
    assert result.exit_code == 0, result.output
    assert Opinion.get(Opinion.legacy_code == "50/2024").received_on == dt.date(2024, 3, 15)
    second = Opinion.get(Opinion.legacy_code == "51/2024")
    assert (second.received_on, second.deadline) == (dt.date(2024, 3, 16), dt.date(2024, 3, 31))


# ---------------------------------------------------------------- the app's own export comes back unchanged

@pytest.mark.parametrize("ext", ["xlsx", "csv"])
def test_the_registers_own_export_reimports_unchanged(login, runner, db, tmp_path, ext):
    export = login("coordinator").get("/bao-cao/so-theo-doi.%s" % ext)
    assert export.status_code == 200
    before = counts()[:2] + (counts()[3],)
    result = run_cli(runner, tmp_path, "export.%s" % ext, export.data, "--user", "coordinator")
    assert result.exit_code == 0, result.output
    total = Opinion.select().count()
    assert result.output.strip().splitlines()[-1] == "Tạo mới: 0, cập nhật: 0, bị từ chối: 0"
    assert counts()[:2] + (counts()[3],) == before
    assert register_import.preview("export.%s" % ext, export.data).unchanged == total


def test_an_own_register_number_is_kept_and_the_sequence_follows_it(runner, db, tmp_path):
    headers = ["Số", "Ngày nhận", "Nội dung"]
    rows = [["YK-2031-0042", "01/02/2031", "Ý kiến mang số của sổ này từ một bản sao khác"],
            ["", "02/02/2031", "Ý kiến không có số, nhận số tiếp theo trong năm"]]
    result = run_cli(runner, tmp_path, "so.xlsx", xlsx(rows, headers))
    assert result.exit_code == 0, result.output
    assert Opinion.get(Opinion.code == "YK-2031-0042").legacy_code == ""
    assert Opinion.get(Opinion.content.startswith("Ý kiến không có số")).code == "YK-2031-0043"
    assert models.next_opinion_code(2031) == "YK-2031-0044"
