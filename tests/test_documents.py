"""The Decree 30/2020/NĐ-CP layout of documents.render_docx, read back with python-docx."""
import datetime as dt
import io

import docx
import pytest
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from services import documents
from services.documents import AdministrativeDocument, render_docx

BODY = """Ngày 05/3/2022, Văn phòng tổ chức đối thoại với công chức, viên chức.

## Kết quả

Các ý kiến được trả lời **trực tiếp** tại buổi đối thoại.
Dòng này cùng đoạn với dòng trên.

- Phòng Quản trị bố trí lại khu để xe;
- Phòng TCHCQT theo dõi, đôn đốc.
"""


def report(**values):
    row = dict(doc_type="BC", type_name="BÁO CÁO", summary="Kết quả thực hiện đối thoại 6 tháng đầu năm 2022",
               body_md=BODY, number=5, year=2022, signed_on=dt.date(2022, 3, 5), signer_name="Nguyễn Huy Anh",
               recipients=["UBND tỉnh", "Ban Dân vận Tỉnh ủy", "Sở Nội vụ;", "- LĐVP"],
               tables=[("Bảng 1. Số buổi đối thoại", ["Hình thức", "Số buổi"], [["Định kỳ", "4"], ["Đột xuất", "2"]])],
               province="Bình Định", place="Quy Nhơn")
    row.update(values)
    return AdministrativeDocument(**row)


def opened(doc):
    return docx.Document(io.BytesIO(render_docx(doc)))


@pytest.fixture(scope="module")
def document():
    return opened(report())


def runs(paragraph):
    return [r for r in paragraph.runs if r.text.strip()]


def size_pt(run, paragraph=None):
    return run.font.size.pt if run.font.size is not None else None


def close_mm(length, mm, tolerance=0.2):
    return abs(length.mm - mm) <= tolerance


def all_paragraphs(document):
    out = list(document.paragraphs)
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                out += cell.paragraphs
    return out


def test_a4_portrait_with_the_decree_margins(document):
    section = document.sections[0]
    assert section.orientation == WD_ORIENT.PORTRAIT
    assert close_mm(section.page_width, 210) and close_mm(section.page_height, 297)
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35
    assert 15 <= round(section.right_margin.mm) <= 20


def test_times_new_roman_everywhere(document):
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman"
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "Times New Roman" and fonts.get(qn("w:cs")) == "Times New Roman"
    texts = [r for p in all_paragraphs(document) for r in runs(p)]
    assert texts and all(r.font.name == "Times New Roman" for r in texts)
    # Vietnamese letters outside ASCII use the hAnsi font: it is Times New Roman too
    assert all(r._element.rPr.rFonts.get(qn("w:hAnsi")) == "Times New Roman" for r in texts)


def test_header_is_a_borderless_fixed_two_column_table(document):
    head = document.tables[0]
    assert len(head.columns) == 2 and len(head.rows) == 2
    tblpr = head._tbl.tblPr
    assert tblpr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    borders = tblpr.find(qn("w:tblBorders"))
    assert {b.get(qn("w:val")) for b in borders} == {"nil"} and len(borders) == 6
    widths = [cell.width for cell in head.rows[0].cells]
    assert close_mm(widths[0], documents.LEFT_COLUMN_MM) and close_mm(widths[1], documents.RIGHT_COLUMN_MM)
    assert sum(w.mm for w in widths) <= 165.5  # within the text width
    assert head.rows[0].cells[0].text == "UBND TỈNH BÌNH ĐỊNH\nVĂN PHÒNG\n"  # the last line is the rule
    assert head.rows[0].cells[1].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"


def _rule_length_mm(paragraph, column_mm):
    fmt = paragraph.paragraph_format
    return column_mm - (fmt.left_indent or 0) / 36000 - (fmt.right_indent or 0) / 36000


def is_rule(paragraph):
    """A text-less paragraph whose top border is a solid rule."""
    borders = paragraph._p.pPr.find(qn("w:pBdr")) if paragraph._p.pPr is not None else None
    top = borders.find(qn("w:top")) if borders is not None else None
    return not paragraph.text and top is not None and top.get(qn("w:val")) == "single"


def unindented(paragraph):
    fmt = paragraph.paragraph_format
    return not fmt.left_indent and not fmt.right_indent


def test_issuing_body_and_national_name(document):
    left, right = document.tables[0].rows[0].cells
    governing, issuer, issuer_rule = left.paragraphs
    assert 12 <= size_pt(runs(governing)[0]) <= 13 and not runs(governing)[0].font.bold
    assert runs(issuer)[0].text == "VĂN PHÒNG" and runs(issuer)[0].font.bold
    national, motto, motto_rule = right.paragraphs
    assert runs(national)[0].text.isupper() and runs(national)[0].font.bold
    assert 12 <= size_pt(runs(national)[0]) <= 13
    assert runs(motto)[0].text == "Độc lập - Tự do - Hạnh phúc" and runs(motto)[0].font.bold
    assert 13 <= size_pt(runs(motto)[0]) <= 14
    for paragraph in (governing, issuer, national, motto):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER
        assert unindented(paragraph)  # the texts keep the whole width of their column
    # the rules: paragraphs of their own, short under the issuer, as long as the motto under it
    assert is_rule(issuer_rule) and is_rule(motto_rule)
    issuer_text = documents.text_width_mm("VĂN PHÒNG", 13, bold=True)
    assert issuer_text / 3 - 1 <= _rule_length_mm(issuer_rule, documents.LEFT_COLUMN_MM) <= issuer_text / 2 + 1
    assert 55 <= _rule_length_mm(motto_rule, documents.RIGHT_COLUMN_MM) <= 70  # the motto, bold 13 pt: ~60 mm


def test_number_and_date_share_a_row(document):
    number_cell, date_cell = document.tables[0].rows[1].cells
    number = runs(number_cell.paragraphs[0])[0]
    assert number.text == "Số: 05/BC-VP" and size_pt(number) == 13
    date = runs(date_cell.paragraphs[0])[0]
    assert date.text == "Quy Nhơn, ngày 05 tháng 3 năm 2022" and date.font.italic
    assert 13 <= size_pt(date) <= 14


@pytest.mark.parametrize("values, number, date", [
    ({"number": None, "signed_on": None}, "Số:      /BC-VP", "Quy Nhơn, ngày      tháng      năm 2022"),
    ({"number": 12, "signed_on": dt.date(2022, 1, 20)}, "Số: 12/BC-VP", "Quy Nhơn, ngày 20 tháng 01 năm 2022"),
    ({"number": 3, "signed_on": dt.date(2022, 11, 9), "doc_type": "TB", "type_name": "THÔNG BÁO"},
     "Số: 03/TB-VP", "Quy Nhơn, ngày 09 tháng 11 năm 2022"),
])
def test_number_and_date_texts(values, number, date):
    head = opened(report(**values)).tables[0]
    assert head.rows[1].cells[0].text == number
    assert head.rows[1].cells[1].text == date


def test_type_name_and_summary(document):
    texts = [p.text for p in document.paragraphs]
    index = texts.index("BÁO CÁO")
    type_name, summary, rule = document.paragraphs[index:index + 3]
    assert summary.text == "Kết quả thực hiện đối thoại 6 tháng đầu năm 2022"
    for paragraph in (type_name, summary):
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.CENTER and unindented(paragraph)
        assert all(r.font.bold for r in runs(paragraph))
    assert type_name.text.isupper()
    summary_mm = documents.text_width_mm(summary.text, 14, bold=True)
    assert is_rule(rule) and summary_mm / 4 <= _rule_length_mm(rule, documents.TEXT_WIDTH_MM) <= summary_mm / 2


def test_body_is_justified_indented_and_spaced(document):
    texts = [p.text for p in document.paragraphs]
    body = document.paragraphs[texts.index("Ngày 05/3/2022, Văn phòng tổ chức đối thoại với công chức, viên chức."):
                               texts.index("- Phòng TCHCQT theo dõi, đôn đốc.") + 1]
    assert [p.text for p in body] == [
        "Ngày 05/3/2022, Văn phòng tổ chức đối thoại với công chức, viên chức.", "Kết quả",
        "Các ý kiến được trả lời trực tiếp tại buổi đối thoại. Dòng này cùng đoạn với dòng trên.",
        "- Phòng Quản trị bố trí lại khu để xe;", "- Phòng TCHCQT theo dõi, đôn đốc."]
    for paragraph in body:
        fmt = paragraph.paragraph_format
        assert paragraph.alignment == WD_ALIGN_PARAGRAPH.JUSTIFY
        assert Cm(1) <= fmt.first_line_indent <= Cm(1.27) + 1
        assert fmt.space_after >= Pt(6)
        assert all(13 <= size_pt(r) <= 14 for r in runs(paragraph))
    assert all(r.font.bold for r in runs(body[1]))  # "## " heading
    bold = [r.text for r in runs(body[2]) if r.font.bold]
    assert bold == ["trực tiếp"]


def test_a_table_without_a_section_comes_after_the_body(document):
    data = document.tables[1]
    assert [c.text for c in data.rows[0].cells] == ["Hình thức", "Số buổi"]
    assert [[c.text for c in row.cells] for row in data.rows[1:]] == [["Định kỳ", "4"], ["Đột xuất", "2"]]
    assert all(r.font.bold for c in data.rows[0].cells for r in runs(c.paragraphs[0]))
    assert data.style.name == "Table Grid"
    texts = [p.text for p in document.paragraphs]
    assert texts.index("Bảng 1. Số buổi đối thoại") > texts.index("- Phòng TCHCQT theo dõi, đôn đốc.")


SECTIONED = """## I. KẾT QUẢ

### 1. Công tác triển khai, tổ chức đối thoại

Đã tổ chức các buổi đối thoại.

### 2. Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị

Tiếp nhận các ý kiến.

## II. ĐÁNH GIÁ CHUNG
"""
FIELDS_TABLE = documents.DocumentTable(
    "Bảng 2. Ý kiến theo lĩnh vực", ["STT", "Lĩnh vực", "Tiếp nhận", "Quá hạn"],
    [["1", "Quyền, lợi ích hợp pháp, chế độ, chính sách", "3", "0"], ["2", "Đào tạo, bồi dưỡng", "2", "1"],
     ["", "Tổng cộng", "5", "1"]], section="kết quả tiếp nhận, giải quyết ý kiến", total_row=True)


def body_order(document):
    """The body's paragraph texts and tables ("[table: caption]") in document order."""
    out, last = [], ""
    for child in document.element.body.iterchildren():
        if child.tag == qn("w:p"):
            last = "".join(t.text or "" for t in child.iter(qn("w:t")))
            out.append(last)
        elif child.tag == qn("w:tbl"):
            out.append("[table after %s]" % last)
    return out


def test_tables_sit_at_the_end_of_the_section_that_cites_them():
    dialogues = documents.DocumentTable("Bảng 1. Số buổi đối thoại", ["STT", "Hình thức", "Số buổi"],
                                        [["1", "Định kỳ", "4"]], section="Công tác triển khai, tổ chức đối thoại")
    document = opened(report(body_md=SECTIONED, tables=[FIELDS_TABLE, dialogues]))
    order = [t for t in body_order(document) if t]
    start = order.index("1. Công tác triển khai, tổ chức đối thoại")
    assert order[start:start + 8] == [
        "1. Công tác triển khai, tổ chức đối thoại", "Đã tổ chức các buổi đối thoại.", "Bảng 1. Số buổi đối thoại",
        "[table after Bảng 1. Số buổi đối thoại]",
        "2. Kết quả tiếp nhận, giải quyết ý kiến, kiến nghị", "Tiếp nhận các ý kiến.", "Bảng 2. Ý kiến theo lĩnh vực",
        "[table after Bảng 2. Ý kiến theo lĩnh vực]"]
    assert order[start + 8] == "II. ĐÁNH GIÁ CHUNG"


def test_report_tables_repeat_their_header_keep_rows_whole_and_fit_their_columns():
    document = opened(report(body_md=SECTIONED, tables=[FIELDS_TABLE]))
    table = document.tables[1]
    rows = table._tbl.findall(qn("w:tr"))
    assert rows[0].find(qn("w:trPr")).find(qn("w:tblHeader")) is not None
    assert all(row.find(qn("w:trPr")).find(qn("w:cantSplit")) is not None for row in rows)
    assert all(row.find(qn("w:trPr")).find(qn("w:tblHeader")) is None for row in rows[1:])
    assert table._tbl.tblPr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
    widths = [cell.width.mm for cell in table.rows[0].cells]
    assert abs(sum(widths) - documents.TEXT_WIDTH_MM) < 1
    stt, name, received, overdue = widths
    assert stt < 16 and stt * 3 < name and received < name and overdue < name
    assert documents.text_width_mm("STT", 12, bold=True) < stt  # "STT" itself is never cut
    total = table.rows[-1]
    assert all(r.font.bold for c in total.cells for r in runs(c.paragraphs[0]))
    assert not any(r.font.bold for c in table.rows[1].cells for r in runs(c.paragraphs[0]))
    centred = [c.paragraphs[0].alignment for c in table.rows[1].cells]
    assert centred == [WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER,
                       WD_ALIGN_PARAGRAPH.CENTER]


def test_recipients_and_signature(document):
    recipients, signature = document.tables[-1].rows[0].cells
    title = recipients.paragraphs[0]
    assert title.text == "Nơi nhận:"
    assert runs(title)[0].font.bold and runs(title)[0].font.italic and size_pt(runs(title)[0]) == 12
    lines = recipients.paragraphs[1:]
    assert [p.text for p in lines] == ["- UBND tỉnh;", "- Ban Dân vận Tỉnh ủy;", "- Sở Nội vụ;", "- LĐVP;",
                                       "- Lưu: VT, TCHCQT."]
    assert all(size_pt(r) == 11 for p in lines for r in runs(p))
    texts = [p for p in signature.paragraphs if p.text.strip()]
    assert [p.text for p in texts] == ["CHÁNH VĂN PHÒNG", "Nguyễn Huy Anh"]
    assert all(r.font.bold for p in texts for r in runs(p))
    assert document.tables[-1]._tbl.tblPr.find(qn("w:tblBorders")) is not None


def test_page_numbers_centred_at_the_top_from_page_two(document):
    section = document.sections[0]
    assert section.different_first_page_header_footer
    header = section.header
    assert not header.is_linked_to_previous
    xml = header._element.xml
    assert 'w:fldCharType="begin"' in xml and "PAGE" in "".join(
        t.text for t in header._element.iter(qn("w:instrText")))
    assert header.paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.CENTER
    first = section.first_page_header
    assert not first.is_linked_to_previous
    assert not list(first._element.iter(qn("w:instrText"))) and not first._element.xpath("string(.)").strip()


def test_draft_mark_and_typed_archive_line_not_repeated():
    document = opened(report(draft=True, recipients=["Lãnh đạo Văn phòng", "Lưu: VT, TCHCQT."]))
    assert document.paragraphs[0].text == "DỰ THẢO"
    assert [p.text for p in document.tables[-1].rows[0].cells[0].paragraphs] == [
        "Nơi nhận:", "- Lãnh đạo Văn phòng;", "- Lưu: VT, TCHCQT."]
    assert "DỰ THẢO" not in [p.text for p in opened(report()).paragraphs]

