"""Benchmark of the register import (issue 13): a 10,000-row XLSX previewed, imported, and imported again.

Target: preview and import each under 30 s on a 2-core machine; the second import changes nothing.
Prints the machine-speed line (as bench/load.py), the file's size and each step's wall time.

    .venv/bin/python bench/import.py [--rows 10000]
"""
import argparse
import datetime as dt
import io
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from load import calibrate  # noqa: E402  (bench/load.py: the same machine-speed line)
from openpyxl import Workbook  # noqa: E402

import models  # noqa: E402
from app import create_app  # noqa: E402
from demo import loader as demo  # noqa: E402
from migrations import run_migrations  # noqa: E402
from services import register_import  # noqa: E402

FAST_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
HEADERS = ["STT", "Số", "Ngày nhận", "Loại", "Kênh", "Đối tượng", "Người gửi", "Liên hệ", "Nội dung", "Lĩnh vực",
           "Đơn vị xử lý", "Hạn xử lý", "Trạng thái", "Dự thảo trả lời"]
KINDS = ["Ý kiến", "Kiến nghị", "Phản ánh", "Khiếu nại"]
CHANNELS = ["Đơn thư", "Tiếp công dân", "Đường dây nóng", "Đơn vị tổng hợp"]
FIELDS = ["Đất đai", "Thủ tục hành chính", "Tinh thần, thái độ phục vụ", "Đào tạo, bồi dưỡng"]
UNITS = ["Phòng Tiếp công dân", "Phòng Nội chính", "Phòng Kinh tế ngành", "Phòng Văn hóa - Xã hội"]
STATUSES = ["Mới tiếp nhận", "Đã giao xử lý", "Đã có dự thảo trả lời", "Đã giải quyết", "Đã giải thích",
            "Đang giải quyết"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Đặng Văn Đức", "NguyÔn ThÞ Hoa"]
SUBJECTS = ["cấp giấy chứng nhận quyền sử dụng đất", "bồi thường giải phóng mặt bằng", "thủ tục một cửa",
            "thái độ của công chức tiếp dân", "chế độ phụ cấp công vụ", "cÊp giÊy phÐp x©y dùng"]


def workbook(rows, seed=13):
    """A register of `rows` rows: half with an old number (Số), half numbered by STT only; Excel and text dates."""
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sổ theo dõi")
    sheet.append(HEADERS)
    for i in range(rows):
        received = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(700))
        status = rng.choice(STATUSES)
        sheet.append([
            i + 1, "%d/CV-cu" % i if i % 2 else None,
            received if i % 3 else received.strftime("%d/%m/%Y"), rng.choice(KINDS), rng.choice(CHANNELS),
            "Nhân dân, công dân", rng.choice(NAMES), "09%08d" % rng.randrange(10 ** 8),
            "Đề nghị xem xét %s (hồ sơ %d)" % (rng.choice(SUBJECTS), i), rng.choice(FIELDS), rng.choice(UNITS),
            (received + dt.timedelta(days=30)).strftime("%d/%m/%Y"), status,
            "Đã trả lời công dân" if status != "Mới tiếp nhận" else None,
        ])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(step):
    started = time.perf_counter()
    result = step()
    return result, time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    print("machine speed: a 10-million-step Python loop takes %.2f s of CPU (the figures below scale with it)"
          % calibrate())
    folder = Path(tempfile.mkdtemp(prefix="import-bench-"))
    create_app({"DATABASE_URL": "sqlite:///%s" % (folder / "bench.db"), "SECRET_KEY": "bench",
                "PASSWORD_HASH": FAST_HASH})
    with models.db.connection_context():
        run_migrations(models.db)
        demo.load(password_params=FAST_HASH)
        coordinator = models.User.get(models.User.username == "coordinator")
        data, made = timed(lambda: workbook(args.rows))
        print("file: %d rows, %.1f MB of XLSX (written in %.1f s)" % (args.rows, len(data) / 1e6, made))
        preview, preview_s = timed(lambda: register_import.preview("bench.xlsx", data))
        print("preview: %.1f s (%s; %d TCVN3 cells converted)" % (preview_s, preview.summary(),
                                                                   len(preview.converted)))
        (result, _), import_s = timed(lambda: register_import.run("bench.xlsx", data, coordinator))
        print("import: %.1f s (%s)" % (import_s, result.summary()))
        assert (result.created, result.updated) == (preview.created, preview.updated), "the import differs"
        (again, _), seconds = timed(lambda: register_import.run("bench.xlsx", data, coordinator))
        print("import again: %.1f s (%s; unchanged %d)" % (seconds, again.summary(), again.unchanged))
    print("target (30 s each): preview %s, import %s" % tuple(
        "met" if s < 30 else "MISSED" for s in (preview_s, import_s)))


if __name__ == "__main__":
    main()
