"""Administrative documents laid out per Decree 30/2020/NĐ-CP (Appendix I), written as DOCX.

One entry point, `render_docx(AdministrativeDocument) -> bytes`, shared by the conclusion notices
(THÔNG BÁO, "Số: 05/TB-VP") and the reports (BÁO CÁO, "Số: 05/BC-VP"). The layout:

- A4 portrait; margins top and bottom 20 mm, left 30 mm, right 15 mm; Times New Roman throughout.
- Header: a borderless two-column table with fixed widths. Left: "UBND TỈNH <PROVINCE>" (capitals,
  13 pt) over "VĂN PHÒNG" (capitals, bold) with a short rule under it (45 % of the name's length).
  Right: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
  (capitals, bold, 12 pt) over "Độc lập - Tự do - Hạnh phúc" (bold, 13 pt) with a rule as long as
  the motto. Second row of the same table: "Số: 05/TB-VP" (13 pt) beside the place and date in
  italics ("…, ngày 05 tháng 3 năm 2022": a leading 0 for days under 10 and for months 1 and 2).
- The type name (bold capitals) and the summary line (bold) centred, a short rule under the summary.
- Every rule is a text-less paragraph of its own, one point high, whose top border is the rule and whose
  indents set its length: no rule narrows a text (the rendering tests print every type to check it).
- Body: justified, 14 pt, first-line indent 1.27 cm, 6 pt after each paragraph, line spacing 1.15.
  Markdown subset: paragraphs, "#"/"##"/"###" headings (bold), "- " / "* " bullets (kept as "- "
  lines as Vietnamese documents write them), "1. " lines, **bold** and *italic*.
- Tables (DocumentTable) at the end of the section of the body that cites them (after the body when
  no heading names it), with grid lines, 12 pt: column widths fitted to the content, numbers centred,
  the header row repeated on every page (w:tblHeader), rows never split (w:cantSplit), a bold total row.
- Closing: a borderless two-column table: "Nơi nhận:" (bold italic, 12 pt) with the recipients
  (11 pt, "- X;" each, ending "- Lưu: VT, TCHCQT.") on the left; the signer's title (bold capitals,
  14 pt) and name (bold) on the right. A document with two signatures (minutes: the secretary on the
  left, the chair on the right) has them side by side and the recipients under them.
- Page numbers centred at the top from page 2: a different first-page header (empty) and a PAGE
  field in the default header.

The race-safe transaction that gives a document the next number of its series is services/numbering.py.
"""
import dataclasses
import datetime
import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from services.text import xml_text

FONT = "Times New Roman"
PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(20), Mm(20), Mm(30), Mm(15)
TEXT_WIDTH_MM = 210 - 30 - 15  # 165 mm between the margins
LEFT_COLUMN_MM, RIGHT_COLUMN_MM = 65, 100  # the header table's fixed column widths
BODY_SIZE = Pt(14)
FIRST_LINE_INDENT = Cm(1.27)
PARAGRAPH_SPACING = Pt(6)
ARCHIVE_LINE = "- Lưu: VT, TCHCQT."
NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
ISSUER = "VĂN PHÒNG"
DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass
class DocumentTable:
    """A table of figures: placed at the end of the body's section whose heading holds `section`
    (after the body where no heading does); `total_row` makes the last row bold."""
    caption: str
    headers: list
    rows: list
    section: str = ""
    total_row: bool = False


@dataclass
class AdministrativeDocument:
    doc_type: str                 # "TB", "BC", "KH"
    type_name: str                # "THÔNG BÁO", "BÁO CÁO"
    summary: str                  # the trích yếu line under the type name
    body_md: str                  # Markdown: paragraphs, "## " headings, "- " bullets, **bold**
    number: int | None = None     # None → "Số:      /BC-VP"
    year: int | None = None
    signed_on: datetime.date | None = None   # None → "ngày    tháng    năm"
    signer_title: str = "CHÁNH VĂN PHÒNG"
    signer_name: str = ""
    cosigner_title: str = ""      # a second signature, on the left (minutes: "THƯ KÝ" beside "CHỦ TRÌ")
    cosigner_name: str = ""
    recipients: list[str] = field(default_factory=list)   # without the final "- Lưu: VT, TCHCQT."
    tables: list = field(default_factory=list)  # DocumentTable, or (caption, headers, rows): after the body
    province: str = "…"           # app.config["PROVINCE_NAME"]
    place: str = "…"              # app.config["DOCUMENT_PLACE"]
    draft: bool = False           # marks the document "DỰ THẢO" above the header


# ---------------------------------------------------------------- texts

def number_line(number, doc_type):
    """"Số: 05/TB-VP"; a blank number leaves room to write it in: "Số:      /TB-VP"."""
    if number is None:
        return "Số:      /%s-VP" % doc_type
    return "Số: %02d/%s-VP" % (number, doc_type)


def date_line(place, signed_on, year=None):
    """"<place>, ngày 05 tháng 3 năm 2022" (0 before days under 10 and months 1 and 2)."""
    if signed_on is None:
        return "%s, ngày      tháng      năm %s" % (place, year or "")
    month = "%02d" % signed_on.month if signed_on.month < 3 else str(signed_on.month)
    return "%s, ngày %02d tháng %s năm %d" % (place, signed_on.day, month, signed_on.year)


def recipient_lines(recipients):
    """"- X;" for each recipient, then "- Lưu: VT, TCHCQT."; a typed "Lưu: …" line is not repeated."""
    lines = []
    for raw in recipients:
        text = re.sub(r"^[-–•+*]\s*", "", (raw or "").strip()).rstrip(" ;.,")
        if not text or text.lower().startswith("lưu"):
            continue
        lines.append("- %s;" % text)
    lines.append(ARCHIVE_LINE)
    return lines


def text_width_mm(text, size_pt, bold=False):
    """A rough width of a line of Times New Roman text (average glyph about half an em)."""
    return len(text) * size_pt * (0.52 if bold else 0.48) * 25.4 / 72


def issuer_rule_mm():
    """The rule under "VĂN PHÒNG": from a third to half of the name's length (Decree 30), here 45 %."""
    return text_width_mm(ISSUER, 13, bold=True) * 0.45


def summary_rule_mm(summary):
    """The rule under the summary: a third of its longest line, at most 40 mm."""
    line = min(TEXT_WIDTH_MM, text_width_mm(summary, 14, bold=True))
    return min(40.0, max(15.0, line / 3))


# ---------------------------------------------------------------- low-level helpers

def _font_everywhere(rpr):
    """Times New Roman for every script of a run's (or a style's) properties."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def _fonts(run, size=None, bold=None, italic=None):
    run.font.name = FONT
    _font_everywhere(run._element.get_or_add_rPr())
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if italic is not None:
        run.font.italic = italic
    return run


def _paragraph(container, text="", size=14, bold=False, italic=False, align=WD_ALIGN_PARAGRAPH.CENTER,
               space_after=0, space_before=0):
    paragraph = container.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_after, fmt.space_before = Pt(space_after), Pt(space_before)
    fmt.first_line_indent = Pt(0)
    if text:
        _fonts(paragraph.add_run(text), size, bold, italic)
    return paragraph


def _first_paragraph(cell, **kwargs):
    """Write into a table cell's own first paragraph (a cell always starts with one)."""
    paragraph = cell.paragraphs[0]
    text = kwargs.pop("text", "")
    paragraph.alignment = kwargs.pop("align", WD_ALIGN_PARAGRAPH.CENTER)
    fmt = paragraph.paragraph_format
    fmt.space_after, fmt.space_before = Pt(kwargs.pop("space_after", 0)), Pt(0)
    if text:
        _fonts(paragraph.add_run(text), **kwargs)
    return paragraph


def _rule_after(container, rule_mm, column_mm, space_after=0):
    """A solid rule `rule_mm` long, centred in a column `column_mm` wide, as a paragraph of its own.

    The paragraph holds no text: its indents set the rule's length and narrow nothing else (indents on
    the paragraph of the text itself would bound the text too, and break "VĂN PHÒNG" letter by letter).
    It is one point high, its top border the rule.
    """
    paragraph = container.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    fmt = paragraph.paragraph_format
    side = max(0.0, (column_mm - rule_mm) / 2)
    fmt.left_indent, fmt.right_indent, fmt.first_line_indent = Mm(side), Mm(side), Pt(0)
    fmt.space_before, fmt.space_after = Pt(2), Pt(space_after)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(1)
    mark = paragraph._p.get_or_add_pPr()
    rpr = OxmlElement("w:rPr")  # the paragraph mark's own size, so that the empty line is 1 pt high
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "2")
    rpr.append(size)
    mark.append(rpr)
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "0"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    # w:pBdr comes before w:spacing, w:ind and w:jc in the schema's sequence of pPr children
    for tag in ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc"):
        anchor = mark.find(qn(tag))
        if anchor is not None:
            anchor.addprevious(borders)
            break
    else:
        mark.insert(0, borders)
    return paragraph


def _borderless_fixed(table, widths_mm):
    """No borders, fixed layout and fixed column widths (Word keeps them as given)."""
    tbl = table._tbl
    tblpr = tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement("w:%s" % edge)
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table.autofit = False  # adds w:tblLayout fixed in its place
    for tag in ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook"):  # tblBorders precedes these
        anchor = tblpr.find(qn(tag))
        if anchor is not None:
            anchor.addprevious(borders)
            break
    else:
        tblpr.append(borders)
    _fixed(table, widths_mm)


def _fixed(table, widths_mm):
    table.autofit = False  # w:tblLayout w:type="fixed"
    tblpr = table._tbl.tblPr
    width = tblpr.find(qn("w:tblW"))
    if width is None:
        width = OxmlElement("w:tblW")
        tblpr.insert(0, width)
    width.set(qn("w:type"), "dxa")
    width.set(qn("w:w"), str(int(sum(widths_mm) * 1440 / 25.4)))
    for column, mm in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(mm)
    for row in table.rows:
        for cell, mm in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(mm)


def _page_field(paragraph, size):
    """A PAGE field (the page's number) in the paragraph."""
    def run_with(tag, **attrs):
        node = OxmlElement(tag)
        for key, value in attrs.items():
            node.set(qn(key), value)
        _fonts(paragraph.add_run(), size)._r.append(node)
        return node

    run_with("w:fldChar", **{"w:fldCharType": "begin"})
    run_with("w:instrText", **{"xml:space": "preserve"}).text = " PAGE "
    run_with("w:fldChar", **{"w:fldCharType": "separate"})
    _fonts(paragraph.add_run("2"), size)
    run_with("w:fldChar", **{"w:fldCharType": "end"})


_INLINE = re.compile(r"(\*\*[^*]+\*\*|__[^_]+__|\*[^*\s][^*]*\*)")


def _inline(paragraph, text, size, bold=False, italic=False):
    """Runs for a line with **bold** and *italic* spans."""
    for piece in _INLINE.split(text):
        if not piece:
            continue
        if (piece.startswith("**") and piece.endswith("**")) or (piece.startswith("__") and piece.endswith("__")):
            _fonts(paragraph.add_run(piece[2:-2]), size, True, italic or None)
        elif piece.startswith("*") and piece.endswith("*") and len(piece) > 2:
            _fonts(paragraph.add_run(piece[1:-1]), size, bold or None, True)
        else:
            _fonts(paragraph.add_run(piece), size, bold or None, italic or None)


def markdown_blocks(text):
    """[(kind, text)] with kind "heading", "bullet", "numbered" or "paragraph"; lines of a paragraph joined."""
    blocks, lines = [], []

    def flush():
        if lines:
            blocks.append(("paragraph", " ".join(line.strip() for line in lines)))
            lines.clear()

    for raw in (text or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            flush()
            continue
        heading = re.match(r"^#{1,6}\s+(.*)$", line)
        bullet = re.match(r"^[-*+]\s+(.*)$", line)
        numbered = re.match(r"^(\d+[.)])\s+(.*)$", line)
        if heading:
            flush()
            blocks.append(("heading", heading.group(1).strip()))
        elif bullet:
            flush()
            blocks.append(("bullet", "- " + bullet.group(1).strip()))
        elif numbered:
            flush()
            blocks.append(("numbered", "%s %s" % (numbered.group(1), numbered.group(2).strip())))
        elif blocks and blocks[-1][0] in ("bullet", "numbered") and not lines and raw[:1].isspace():
            kind, previous = blocks.pop()  # an indented continuation of a list item
            blocks.append((kind, previous + " " + line))
        else:
            lines.append(line)
    flush()
    return blocks


def _body_paragraph(document, text, bold=False):
    paragraph = document.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = FIRST_LINE_INDENT
    fmt.space_before = Pt(0)
    fmt.space_after = PARAGRAPH_SPACING
    fmt.line_spacing = 1.15
    _inline(paragraph, text, 14, bold=bold)
    return paragraph


# ---------------------------------------------------------------- the document

def _setup(document):
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, BODY_SIZE
    rpr = normal.element.get_or_add_rPr()
    _font_everywhere(rpr)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    rpr.append(lang)
    return section


def _page_numbers(section):
    """Numbers centred at the top from page 2: an empty first-page header, a PAGE field elsewhere."""
    section.different_first_page_header_footer = True
    section.first_page_header.is_linked_to_previous = False
    header = section.header
    header.is_linked_to_previous = False
    paragraph = header.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _page_field(paragraph, 14)


def _heading_table(document, doc):
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _borderless_fixed(table, (LEFT_COLUMN_MM, RIGHT_COLUMN_MM))
    left, right = table.rows[0].cells
    governing = "UBND TỈNH %s" % (doc.province or "…").upper()
    _first_paragraph(left, text=governing, size=13)
    _paragraph(left, ISSUER, size=13, bold=True)
    _rule_after(left, issuer_rule_mm(), LEFT_COLUMN_MM)
    _first_paragraph(right, text=NATIONAL_NAME, size=12, bold=True)
    _paragraph(right, MOTTO, size=13, bold=True)
    _rule_after(right, text_width_mm(MOTTO, 13, bold=True), RIGHT_COLUMN_MM)
    number_cell, date_cell = table.rows[1].cells
    _first_paragraph(number_cell, text=number_line(doc.number, doc.doc_type), size=13)
    date_para = _first_paragraph(date_cell, text=date_line(doc.place, doc.signed_on, doc.year), size=14,
                                 italic=True)
    for paragraph in (number_cell.paragraphs[0], date_para):
        paragraph.paragraph_format.space_before = Pt(6)
    return table


def fitted_widths(headers, rows, total_mm=TEXT_WIDTH_MM, size=12):
    """Column widths (mm) that add up to `total_mm`, fitted to the content.

    Each column gets at least its longest word (a word is never cut), and what is left is shared in
    proportion to how much wider each column would like to be (its widest cell, or half its header:
    a header may wrap onto two lines). So "STT" and the counts stay narrow and the names get the room.
    """
    padding = 4.6  # the cell's left and right margins (Table Grid: 1.9 mm each) and a little air
    grid = [list(headers)] + [(list(r) + [""] * len(headers))[:len(headers)] for r in rows]
    columns = [[row[i] for row in grid] for i in range(len(headers))] or [[""]]
    least, wish = [], []
    for cells in columns:
        words = [w for cell in cells for w in str(cell).split()] or [""]
        # a word's width is estimated: 20 % more, for words in capitals and wide letters
        least.append(max(text_width_mm(w, size, bold=True) for w in words) * 1.2 + padding)
        body = max([text_width_mm(str(c), size) for c in cells[1:]] or [0])
        wish.append(max(least[-1], body + padding, text_width_mm(str(cells[0]), size, bold=True) / 2 + padding))
    if sum(least) >= total_mm:
        return [total_mm * w / sum(least) for w in least]
    if sum(wish) <= total_mm:
        spare = total_mm - sum(wish)
        return [w + spare * w / sum(wish) for w in wish]
    room = total_mm - sum(least)
    extra = [w - m for w, m in zip(wish, least, strict=True)]
    return [m + room * e / sum(extra) for m, e in zip(least, extra, strict=True)]


def _row_property(row, tag):
    """Set an on/off property of a table row (w:tblHeader, w:cantSplit)."""
    trpr = row._tr.get_or_add_trPr()
    node = OxmlElement(tag)
    trpr.append(node)


def _is_number(text):
    return bool(re.fullmatch(r"[\d.,%/ -]*\d[\d.,%/ -]*", str(text).strip()))


def _data_table(document, table_spec):
    caption, headers, rows = table_spec.caption, table_spec.headers, table_spec.rows
    if caption:
        caption_paragraph = _paragraph(document, caption, size=13, bold=True, space_before=6, space_after=6)
        caption_paragraph.paragraph_format.keep_with_next = True
    table = document.add_table(rows=1 + len(rows), cols=max(1, len(headers)))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    _fixed(table, fitted_widths(headers, rows))
    for index, title in enumerate(headers):
        _first_paragraph(table.rows[0].cells[index], text=str(title), size=12, bold=True)
    _row_property(table.rows[0], "w:tblHeader")  # repeated at the top of every page the table crosses
    for r, values in enumerate(rows, start=1):
        bold = table_spec.total_row and r == len(rows)
        for c, value in enumerate(values[:len(headers)]):
            align = WD_ALIGN_PARAGRAPH.CENTER if _is_number(value) else WD_ALIGN_PARAGRAPH.LEFT
            _first_paragraph(table.rows[r].cells[c], text=str(value), size=12, align=align, bold=bold or None)
    for row in table.rows:
        _row_property(row, "w:cantSplit")  # a row is never cut across two pages
    _paragraph(document, "", size=6)
    return table


def _as_table(spec):
    return spec if isinstance(spec, DocumentTable) else DocumentTable(*spec)


def _placed(blocks, tables):
    """[(block index after which to write, table)]: each table after the last block of its section."""
    places = []
    headings = [i for i, (kind, _) in enumerate(blocks) if kind == "heading"]
    for table in tables:
        wanted = " ".join(table.section.split()).casefold()
        start = next((i for i in headings if wanted and wanted in " ".join(blocks[i][1].split()).casefold()), None)
        if start is None:
            places.append((len(blocks) - 1, table))
            continue
        following = [i for i in headings if i > start]
        places.append(((following[0] if following else len(blocks)) - 1, table))
    return places


def _signature(cell, title, name, first=True):
    """A signature block: the title (bold capitals), room for the signature and seal, the name (bold)."""
    if first:
        _first_paragraph(cell, text=(title or "").upper(), size=14, bold=True)
    else:
        _paragraph(cell, (title or "").upper(), size=14, bold=True)
    for _ in range(4):  # room for the signature and the seal
        _paragraph(cell, "", size=14)
    if name:
        _paragraph(cell, name, size=14, bold=True)


def _recipients(container, doc, first_in_cell=False):
    """"Nơi nhận:" and its lines, kept together on one page."""
    if first_in_cell:
        title = _first_paragraph(container, text="Nơi nhận:", size=12, bold=True, italic=True,
                                 align=WD_ALIGN_PARAGRAPH.LEFT)
    else:
        title = _paragraph(container, "Nơi nhận:", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT,
                           space_before=12)
    lines = [_paragraph(container, line, size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
             for line in recipient_lines(doc.recipients)]
    for paragraph in [title] + lines[:-1]:
        paragraph.paragraph_format.keep_with_next = True


def _closing(document, doc):
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    if doc.cosigner_title:  # two signatures side by side, the recipients under them
        _borderless_fixed(table, (TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2))
        _signature(left, doc.cosigner_title, doc.cosigner_name)
        _signature(right, doc.signer_title, doc.signer_name)
        _recipients(document, doc)
        return table
    _borderless_fixed(table, (85, 80))
    _recipients(left, doc, first_in_cell=True)
    _signature(right, doc.signer_title, doc.signer_name)
    return table


def _writable(value):
    """Texts (in lists and tuples too) without what XML cannot hold: a control character would stop the writer."""
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_writable(item) for item in value)
    if isinstance(value, DocumentTable):
        return dataclasses.replace(value, **{f.name: _writable(getattr(value, f.name))
                                             for f in dataclasses.fields(value)})
    return value


def render_docx(doc: AdministrativeDocument) -> bytes:
    """The document as DOCX bytes, laid out per Decree 30/2020/NĐ-CP."""
    doc = dataclasses.replace(doc, **{f.name: _writable(getattr(doc, f.name)) for f in dataclasses.fields(doc)})
    document = Document()
    section = _setup(document)
    document.core_properties.title = "%s %s" % (doc.type_name, doc.summary)
    document.core_properties.language = "vi-VN"
    if doc.draft:
        _paragraph(document, "DỰ THẢO", size=13, bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _heading_table(document, doc)
    _paragraph(document, doc.type_name.upper(), size=14, bold=True, space_before=18)
    _paragraph(document, doc.summary, size=14, bold=True)
    _rule_after(document, summary_rule_mm(doc.summary), TEXT_WIDTH_MM, space_after=12)
    blocks = markdown_blocks(doc.body_md)
    places = _placed(blocks, [_as_table(t) for t in doc.tables])
    for index, table in places:
        if index < 0:
            _data_table(document, table)
    for index, (kind, text) in enumerate(blocks):
        _body_paragraph(document, text, bold=kind == "heading")
        for place, table in places:
            if place == index:
                _data_table(document, table)
    _closing(document, doc)
    _paragraph(document, "", size=6)  # a document ends with a paragraph, not a table
    _page_numbers(section)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
