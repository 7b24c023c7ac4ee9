"""Benchmark of the opinion register and the dashboard on 100,000 opinions and 5,000 dialogues.

Prints p50 and p95 latency and the SQL query count of each page. Target (issue 2): p95 under
50 ms on a 2-core machine, with a constant number of queries per page.

    .venv/bin/python bench/register.py [--opinions 100000] [--dialogues 5000] [--runs 60]
"""
import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from app import create_app  # noqa: E402
from migrations import run_migrations  # noqa: E402
from services.accounts import hash_password  # noqa: E402
from services.text import fold  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
FAST_HASH = {"time_cost": 1, "memory_cost": 8, "parallelism": 1}
SUBJECTS = ["cấp giấy chứng nhận quyền sử dụng đất", "bồi thường giải phóng mặt bằng", "thủ tục hành chính một cửa",
            "thái độ của công chức tiếp dân", "chế độ phụ cấp công vụ", "cử đi đào tạo, bồi dưỡng",
            "công tác xây dựng Đảng trong chi bộ", "đánh giá, xếp loại công chức", "giải quyết đơn thư kéo dài",
            "dân chủ trong cơ quan", "điều kiện làm việc tại bộ phận một cửa", "tranh chấp đất đai giáp ranh"]
VERBS = ["Đề nghị xem xét", "Phản ánh chậm trễ trong", "Kiến nghị sửa đổi quy trình", "Đề nghị giải thích về",
         "Khiếu nại việc", "Góp ý nâng cao chất lượng"]
NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Thị Dung", "Đặng Văn Đức", "Hoàng Thị Hoa"]


def fill(opinions, dialogues, seed=7):
    rng = random.Random(seed)
    with models.db.atomic():
        units = [models.Unit.create(code="U%02d" % i, name="Phòng số %d" % i, kind="content") for i in range(12)]
        fields = [models.Field.create(code="f%d" % i, name=s, position=i) for i, s in enumerate(SUBJECTS)]
        pw = hash_password("doithoai-demo", FAST_HASH)
        models.User.create(username="coordinator", full_name="Điều Phối", role="coordinator", password_hash=pw)
        models.User.create(username="specialist", full_name="Chuyên Viên", role="specialist", unit=units[0],
                           password_hash=pw)
        staff = {unit.id: [models.User.create(username="cv%d_%d" % (unit.id, k), full_name="Chuyên viên %d" % k,
                                              role="specialist", unit=unit, password_hash=pw) for k in range(4)]
                 for unit in units}
        staff[units[0].id].append(models.User.get(models.User.username == "specialist"))
        plan = models.Plan.create(year=2026, title="Kế hoạch 2026", midyear_report_due=dt.date(2026, 6, 14),
                                  annual_report_due=dt.date(2026, 11, 24))
    start = dt.datetime(2022, 1, 3, 8, 0)
    rows = []
    for i in range(dialogues):
        at = start + dt.timedelta(hours=i * 7)
        rows.append({"plan": plan.id, "title": "Đối thoại số %d về %s" % (i, rng.choice(SUBJECTS)),
                     "slug": "doi-thoai-%d" % i, "kind": rng.choice(list(models.DIALOGUE_KINDS)),
                     "audience": rng.choice(list(models.AUDIENCES)), "starts_at": at, "place": "Hội trường",
                     "status": "held" if at < dt.datetime(2026, 11, 1) else "scheduled", "is_public": True,
                     "version": 1, "created_at": at, "updated_at": at, "occasion": "", "chair": "", "description": "",
                     "discussion": "", "directions": ""})
    with models.db.atomic():
        for i in range(0, len(rows), 500):
            models.Dialogue.insert_many(rows[i:i + 500]).execute()
    dialogue_ids = [d.id for d in models.Dialogue.select(models.Dialogue.id)]
    statuses = list(models.OPINION_STATUSES)
    rows, numbers = [], {}
    for i in range(opinions):
        received = dt.date(2022, 1, 1) + dt.timedelta(days=rng.randrange(1790))
        content = "%s %s (hồ sơ %d)" % (rng.choice(VERBS), rng.choice(SUBJECTS), i)
        name, contact = rng.choice(NAMES), "09%08d" % rng.randrange(10 ** 8)
        status = rng.choice(statuses)
        unit = rng.choice(units)
        assignee = rng.choice(staff[unit.id]).id if status != "received" else None
        # The app's own format (YK-2026-0042, numbered per year): the next number it gives follows on.
        numbers[received.year] = numbers.get(received.year, 0) + 1
        code = "YK-%d-%04d" % (received.year, numbers[received.year])
        rows.append({"code": code, "kind": rng.choice(list(models.OPINION_KINDS)), "channel": "dialogue",
                     "audience": rng.choice(list(models.AUDIENCES)), "submitter_name": name,
                     "submitter_contact": contact, "content": content, "field": rng.choice(fields).id,
                     "dialogue": rng.choice(dialogue_ids), "received_on": received,
                     "assigned_unit": unit.id, "assigned_to": assignee,
                     "deadline": received + dt.timedelta(days=30), "status": status,
                     "search_text": fold(code + " " + content),
                     "search_identity": fold(name + " " + contact), "version": 1,
                     "created_at": dt.datetime.combine(received, dt.time(9)),
                     "updated_at": dt.datetime.combine(received, dt.time(9)),
                     "draft_answer": "", "resolution_path": ""})
    with models.db.atomic():
        for i in range(0, len(rows), 1000):
            models.Opinion.insert_many(rows[i:i + 1000]).execute()
    models.db.execute_sql("ANALYZE")


class QueryCounter:
    def __init__(self, database):
        self.database, self.count = database, 0
        self.original = database.execute_sql

    def __enter__(self):
        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self.original(sql, params, *args, **kwargs)
        self.database.execute_sql = counting
        return self

    def __exit__(self, *exc):
        self.database.execute_sql = self.original


def measure(client, url, runs):
    client.get(url)  # warm up
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with QueryCounter(models.db.obj) as counter:
        client.get(url)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], counter.count


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opinions", type=int, default=100_000)
    parser.add_argument("--dialogues", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=60)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    path = OUT / ("register-%d-%d.db" % (args.opinions, args.dialogues))
    fresh = not path.exists()
    app = create_app({"DATABASE_URL": "sqlite:///%s" % path, "SECRET_KEY": "bench", "PASSWORD_HASH": FAST_HASH,
                      "WTF_CSRF_ENABLED": False})
    with models.db.connection_context():
        run_migrations(models.db)  # also upgrades a database kept from an earlier run
    if fresh:
        t0 = time.perf_counter()
        with models.db:
            fill(args.opinions, args.dialogues)
        print("filled %d opinions, %d dialogues in %.1f s" % (args.opinions, args.dialogues, time.perf_counter() - t0))
    pages = [
        ("register, first page", "/y-kien/"),
        ("register, filtered", "/y-kien/?status=in_progress&field=3&audience=citizens"),
        ("register, overdue filter", "/y-kien/?overdue=1"),
        ("register, search 'dat dai'", "/y-kien/?q=dat+dai"),
        ("register, search 'thai do cong chuc' p3", "/y-kien/?q=thai+do+cong+chuc&page=3"),
        ("dashboard", "/"),
    ]
    for username in ("coordinator", "specialist"):
        client = app.test_client()
        response = client.post("/dang-nhap", data={"username": username, "password": "doithoai-demo"})
        assert response.status_code == 303, response.status_code
        print("\nas %s (%d runs each)" % (username, args.runs))
        print("%-42s %8s %8s %8s" % ("page", "p50 ms", "p95 ms", "queries"))
        for label, url in pages:
            p50, p95, queries = measure(client, url, args.runs)
            print("%-42s %8.1f %8.1f %8d" % (label, p50, p95, queries))


if __name__ == "__main__":
    main()
