"""Read an uploaded table (XLSX, old XLS, CSV in UTF-8 or Windows-1258) into a header row and numbered rows.

A reader gives `Table`: the header cells, and each non-empty row below with its line number as the person sees it
in the file (the spreadsheet's row number, the header being row 1 when it is the first row; for a CSV the record
number counting the header). Cells are text, numbers, dates or None; text typed with the old TCVN3 (ABC) fonts is
converted (services.text.tcvn3_to_unicode) and counted. No models here.
"""
import csv
import datetime as dt
import io
import unicodedata
import zipfile
from dataclasses import dataclass, field

import xlrd
from openpyxl import load_workbook

from services.text import FORMULA_STARTS, looks_like_tcvn3, tcvn3_to_unicode

EXTENSIONS = ("xlsx", "xls", "csv")
HEADER_SEARCH_ROWS = 10  # a title or a blank line may stand above the header row


class ReadError(Exception):
    """The file cannot be read as a table; str() says why, in Vietnamese."""


@dataclass
class Table:
    headers: list
    rows: list  # [(line number, [cell, …])]
    header_line: int = 1
    encoding: str = ""  # a CSV's: "utf-8" or "cp1258"
    converted: list = field(default_factory=list)  # [(line, text as found, text converted)] of TCVN3 cells


def extension_of(filename):
    """The file name's extension in lower case ("" when it has none)."""
    name = (filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def read_table(filename, data, is_header=None):
    """The table in `data` (bytes) by the file name's extension. `is_header(cells)` counts the known headers of a row,
    to find the header row among the first rows (default: the first non-empty row). ReadError when it is not a
    table of these kinds."""
    ext = extension_of(filename)
    if ext not in EXTENSIONS:
        raise ReadError("Chỉ nhận tệp .xlsx, .xls hoặc .csv.")
    if not data:
        raise ReadError("Tệp rỗng.")
    try:
        if ext == "xlsx":
            lines, encoding = _xlsx_lines(data), ""
        elif ext == "xls":
            lines, encoding = _xls_lines(data), ""
        else:
            lines, encoding = _csv_lines(data)
    except ReadError:
        raise
    except Exception as error:  # every library has its own errors for a damaged file
        raise ReadError("Không đọc được tệp %s (tệp hỏng hoặc không đúng định dạng)." % ext.upper()) from error
    return _table(lines, encoding, is_header)


def _table(lines, encoding, is_header):
    converted = []
    filled = []
    for line, cells in lines:
        cells = [_text_cell(value, line, converted) for value in cells]
        if not all(value is None or value == "" for value in cells):
            filled.append((line, cells))
    header = _header(filled, is_header)
    rows = [(line, cells) for line, cells in filled if line > header[0]]
    headers = ["" if value is None else str(value).strip() for value in header[1]]
    converted = [entry for entry in converted if entry[0] >= header[0]]
    return Table(headers=headers, rows=rows, header_line=header[0], encoding=encoding, converted=converted)


def _header(filled, is_header):
    """(line, cells) of the header row: without `is_header`, the first row; else, among the first rows, the first
    naming two known columns, or the first naming one. ReadError when none does."""
    if not filled:
        raise ReadError("Tệp không có dòng nào.")
    if is_header is None:
        return filled[0]
    first = filled[:HEADER_SEARCH_ROWS]
    for wanted in (2, 1):
        for line, cells in first:
            if is_header(cells) >= wanted:
                return line, cells
    raise ReadError("Không tìm thấy dòng tiêu đề của các cột (Số, Ngày nhận, Nội dung …).")


def _text_cell(value, line, converted):
    """A cell as stored: text in composed form (NFC), TCVN3 text converted and noted."""
    if not isinstance(value, str):
        return value
    if looks_like_tcvn3(value):
        fixed = tcvn3_to_unicode(value)
        converted.append((line, value, fixed))
        return fixed
    return unicodedata.normalize("NFC", value)


def _xlsx_lines(data):
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise ReadError("Không đọc được tệp XLSX (tệp hỏng hoặc không phải bảng tính Excel).") from error
    sheet = book.worksheets[0]
    out = [(number, list(values)) for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)]
    book.close()
    return out


def _xls_lines(data):
    try:
        book = xlrd.open_workbook(file_contents=data)
    except xlrd.XLRDError as error:
        raise ReadError("Không đọc được tệp XLS (tệp hỏng hoặc không phải bảng tính Excel 97-2003).") from error
    sheet = book.sheet_by_index(0)
    out = []
    for index in range(sheet.nrows):
        cells = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                cells.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
            elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                cells.append(None)
            elif cell.ctype == xlrd.XL_CELL_NUMBER and float(cell.value).is_integer():
                cells.append(int(cell.value))
            else:
                cells.append(cell.value)
        out.append((index + 1, cells))
    return out


def _decode(data):
    """(text, encoding): UTF-8 with or without its BOM, else Windows-1258 (the Vietnamese Windows code page)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1258"), "cp1258"
    except UnicodeDecodeError as error:
        raise ReadError("Không nhận ra bảng mã của tệp CSV (cần UTF-8 hoặc Windows-1258).") from error


def _csv_lines(data):
    text, encoding = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    lines = [(number, [_csv_cell(cell) for cell in cells]) for number, cells in enumerate(reader, start=1)]
    return lines, encoding


def _csv_cell(cell):
    """A CSV cell as typed: the apostrophe services.text.csv_safe put before a formula's first sign comes off."""
    if not cell.strip():
        return None
    if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS:
        return cell[1:]
    return cell


def as_date(value):
    """A cell as a date: a date or datetime cell, an Excel day number, or text dd/mm/yyyy (d/m/yyyy, dd-mm-yyyy,
    dd.mm.yyyy, yyyy-mm-dd). None when empty; ValueError when it is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's day numbers (1900 system) up to 31/12/9999
            return (dt.datetime(1899, 12, 30) + dt.timedelta(days=int(value))).date()
        raise ValueError(value)
    text = str(value).strip()
    for pattern in ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise ValueError(text)
