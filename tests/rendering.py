"""Print DOCX files as a reader sees them: LibreOffice to PDF, read back with `pdftotext -bbox-layout`.

`convert(paths, outdir)` runs one `soffice --headless --convert-to pdf` for all the files, with its own
user profile (two workers running soffice at once on one profile lock each other out). `read_lines(pdf)`
gives the rendered lines, each with its words and where it starts and ends on the page. The checks take
an AdministrativeDocument (what was asked) and the lines of its rendering (what came out).
"""
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

from services import documents

POINTS_PER_MM = 72 / 25.4
TEXT_LEFT_PT = 30 * POINTS_PER_MM
TEXT_WIDTH_PT = documents.TEXT_WIDTH_MM * POINTS_PER_MM
_XHTML = "{http://www.w3.org/1999/xhtml}"
_WORD = re.compile(r"\w+")
_W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass
class Line:
    page: int
    words: list
    x_min: float
    x_max: float
    y_min: float

    @property
    def text(self):
        return " ".join(self.words)

    @property
    def width(self):
        return self.x_max - self.x_min


def tools_missing():
    """The programs the rendering needs that are not on this machine."""
    return [name for name in ("soffice", "pdftotext") if shutil.which(name) is None]


def convert(paths, outdir):
    """PDFs of the DOCX `paths` in `outdir`, by one soffice call with a user profile of its own."""
    profile = tempfile.mkdtemp(prefix="lo-profile-")
    try:
        subprocess.run(["soffice", "-env:UserInstallation=" + Path(profile).as_uri(), "--headless",
                        "--norestore", "--convert-to", "pdf", "--outdir", str(outdir)] + [str(p) for p in paths],
                       check=True, capture_output=True, timeout=180, env=dict(os.environ, HOME=profile))
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return {Path(p).stem: Path(outdir) / (Path(p).stem + ".pdf") for p in paths}


def read_lines(pdf):
    """Every rendered line of `pdf`: the words that stand on one baseline of a page, left to right.

    Grouped by position, not by pdftotext's own lines (it cuts a line at a wide gap, such as the blank
    day and month of an unsigned date); two cells side by side make one line.
    """
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True, capture_output=True,
                         timeout=60).stdout
    root = ET.fromstring(xml)
    out = []
    for number, page in enumerate(root.iter(_XHTML + "page"), start=1):
        words = sorted((float(w.get("yMax")), float(w.get("xMin")), float(w.get("xMax")), float(w.get("yMin")),
                         w.text or "") for w in page.iter(_XHTML + "word"))
        rows = []
        for word in words:
            if rows and abs(rows[-1][-1][0] - word[0]) <= 1.5:
                rows[-1].append(word)
            else:
                rows.append([word])
        for row in rows:
            row.sort(key=lambda w: w[1])
            out.append(Line(number, [w[4] for w in row], row[0][1], max(w[2] for w in row), min(w[3] for w in row)))
    return out


def tokens(text):
    """Words without punctuation ("05/BC-VP" → 05, BC, VP): a line broken after a hyphen stays comparable."""
    return _WORD.findall(text)


def docx_tokens(data):
    """Every word written in a DOCX (body, tables, headers)."""
    found = set()
    with zipfile.ZipFile(data) as archive:
        for name in archive.namelist():
            if re.match(r"word/(document|header\d*|footer\d*)\.xml$", name):
                root = ET.fromstring(archive.read(name))
                for paragraph in root.iter(_W_NS + "p"):
                    found.update(tokens("".join(t.text or "" for t in paragraph.iter(_W_NS + "t"))))
    return found


# ---------------------------------------------------------------- the checks: each returns what is wrong

def foreign_words(lines, written, pages):
    """Rendered words that are no word of the document (a word broken by a narrow column); page numbers aside."""
    allowed = written | {str(n) for n in range(1, pages + 1)}
    return sorted({t for line in lines for t in tokens(line.text) if t not in allowed})


def header_lines(doc):
    """The lines the header must keep whole: governing body, issuing body, national title, motto, date."""
    return ["UBND TỈNH %s" % doc.province.upper(), documents.ISSUER, documents.NATIONAL_NAME, documents.MOTTO,
            documents.date_line(doc.place, doc.signed_on, doc.year)]


def broken_header_lines(doc, lines):
    """Header texts whose words do not all stand, in order, on one rendered line of the first page."""
    rendered = [tokens(line.text) for line in lines if line.page == 1]

    def on_one_line(text):
        wanted = tokens(text)
        return any(row[i:i + len(wanted)] == wanted for row in rendered for i in range(len(row)))
    return [text for text in header_lines(doc) if not on_one_line(text)]


def summary_lines(doc, lines):
    """The rendered lines of the summary: those after the type name whose words make up the summary."""
    wanted = tokens(doc.summary)
    for index, line in enumerate(lines):
        if line.text.strip() != doc.type_name.upper():
            continue
        got, out = [], []
        for following in lines[index + 1:]:
            out.append(following)
            got += tokens(following.text)
            if got == wanted:
                return out
            if wanted[:len(got)] != got:
                break
    return None


def narrow_summary_lines(doc, lines, share=0.6):
    """The summary's lines but the last that span less than `share` of the text width (or "not found")."""
    found = summary_lines(doc, lines)
    if found is None:
        return ["the summary %r is not found under %r" % (doc.summary, doc.type_name)]
    return ["%r spans %.0f %% of the text width" % (line.text, 100 * line.width / TEXT_WIDTH_PT)
            for line in found[:-1] if line.width < share * TEXT_WIDTH_PT]
