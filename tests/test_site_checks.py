"""The frozen public site passes the Nu Html Checker (vnu.jar) with no error, on every page."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import build

ROOT = Path(__file__).resolve().parent.parent
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
BASE_URL = "https://dichvucong.example.gov.vn/dan-biet/"


def freeze_demo(tmp_path_factory, demo_db_file, name="site", base_url=BASE_URL):
    """Freeze a private copy of the demo database into a fresh folder; returns the site folder."""
    folder = tmp_path_factory.mktemp("frozen")
    database = folder / "demo.db"
    shutil.copy(demo_db_file, database)
    destination = folder / name
    build.build(destination, base_url=base_url, database_url="sqlite:///%s" % database)
    return destination


@pytest.fixture(scope="module")
def frozen_site(tmp_path_factory, demo_db_file):
    return freeze_demo(tmp_path_factory, demo_db_file)


def html_files(site):
    return sorted(p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != build.SEARCH_INDEX)


def run_vnu(paths):
    """vnu.jar's messages for `paths`, all checked in one JVM; fails the test when Java is missing."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("Không có Java (java) trên máy: cần gói default-jre-headless để chạy Nu Html Checker.")
    if not VNU_JAR.is_file():
        pytest.fail("Thiếu %s: chạy `npm ci` để cài vnu-jar." % VNU_JAR.relative_to(ROOT))
    # A bigger thread stack is required by the HTML schema; C1 only starts the JVM twice as fast.
    result = subprocess.run([java, "-Xss4m", "-XX:TieredStopAtLevel=1", "-jar", str(VNU_JAR),
                             "--errors-only", "--format", "json",
                             *map(str, paths)], capture_output=True, text=True, timeout=300)
    # vnu writes its JSON report on stderr; its exit status is 1 when there are errors.
    report = result.stderr + result.stdout
    try:  # (the JVM may print a notice such as "Picked up JAVA_TOOL_OPTIONS" before the report)
        return json.JSONDecoder().raw_decode(report, report.index('{'))[0]["messages"]
    except (ValueError, KeyError):
        pytest.fail("vnu.jar did not answer in JSON (exit %d):\n%s" % (result.returncode, report[:2000]))


def describe(message, site):
    url = message.get("url", "")
    where = url.removeprefix("file:")
    try:
        where = Path(where).relative_to(site).as_posix()
    except ValueError:
        pass
    line = message.get("lastLine") or message.get("firstLine") or "?"
    return "%s:%s: %s: %s «%s»" % (where, line, message.get("type"), message.get("message"),
                                    " ".join((message.get("extract") or "").split()))


CANARY = ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>x</title></head>'
          '<body><p id="a">một</p><p id="a">hai</div></body></html>')


def test_every_page_is_valid_html(frozen_site, tmp_path):
    pages = html_files(frozen_site)
    expected = {"index.html", "404.html", "ke-hoach/index.html", "lich-doi-thoai/index.html",
                "ket-luan/index.html", "thong-ke/index.html", "tim-kiem/index.html", "du-lieu/index.html"}
    assert expected <= {p.relative_to(frozen_site).as_posix() for p in pages}
    # An invalid page checked in the same run shows that the checker does report errors.
    canary = tmp_path / "canary.html"
    canary.write_text(CANARY, encoding="utf-8")
    messages = run_vnu([*pages, canary])
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")
              or m.get("subType") == "fatal"]
    canary_errors = [m["message"] for m in errors if m.get("url", "").endswith("/canary.html")]
    assert any("Duplicate ID" in m for m in canary_errors), messages
    assert any("Stray end tag" in m for m in canary_errors), messages
    errors = [m for m in errors if not m.get("url", "").endswith("/canary.html")]
    assert errors == [], "Nu Html Checker: %d lỗi\n%s" % (
        len(errors), "\n".join(describe(m, frozen_site) for m in errors))
