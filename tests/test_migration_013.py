"""Migration 013 on a database holding data: the reports made before get their period (1/1 to the cut-off),
the one-report-per-plan-and-kind rule becomes one per plan, kind and period, the dialogues keep their minutes."""
import datetime as dt

import peewee as pw
import pytest
from playhouse.db_url import connect

import models
from migrations import router, run_migrations


@pytest.mark.sqlite_only
def test_reports_and_dialogues_made_before_013_keep_their_data(tmp_path):
    database = connect("sqlite:///%s" % (tmp_path / "old.db"))
    models.db.initialize(database)
    r = router(database)
    r.run("012_postgresql_trigram_search")
    database.execute_sql("INSERT INTO plan (version, year, title, number, body_md, is_public) "
                         "VALUES (1, 2022, 'Kế hoạch 2022', '', '', 1)")
    plan_id = database.execute_sql("SELECT id FROM plan").fetchone()[0]
    database.execute_sql("INSERT INTO report (version, plan_id, kind, cutoff, narrative_md, figures_json, status, "
                         "recipients, created_at) VALUES (1, ?, 'midyear', '2022-06-13', '', '', 'draft', '', "
                         "'2022-06-01 08:00:00')", (plan_id,))
    database.execute_sql("INSERT INTO dialogue (version, title, slug, kind, audience, occasion, is_chairman, "
                         "starts_at, place, chair, description, status, is_public, attendance, discussion, "
                         "directions, agenda, briefing, created_at, updated_at) VALUES (1, 'Đối thoại', 'd', "
                         "'periodic', 'staff', '', 0, '2022-03-05 08:00:00', 'Hội trường', 'Chánh Văn phòng', '', "
                         "'held', 0, 92, 'Trao đổi.', 'Chỉ đạo.', '', '', '2022-03-01', '2022-03-05')")
    applied = run_migrations(database)
    assert applied[0] == "013_minutes_and_report_periods" and applied == sorted(applied)
    report = models.Report.get()
    assert (report.period_start, report.period_end, report.period_key) == (dt.date(2022, 1, 1),
                                                                          dt.date(2022, 6, 13), "2022")
    dialogue = models.Dialogue.get()
    assert (dialogue.attendance, dialogue.discussion, dialogue.secretary, dialogue.attendance_staff) == (
        92, "Trao đổi.", "", None)
    with pytest.raises(pw.IntegrityError), database.atomic():
        models.Report.create(plan=plan_id, kind="midyear", cutoff=dt.date(2022, 6, 1))
    models.Report.create(plan=plan_id, kind="quarterly", cutoff=dt.date(2022, 3, 31), period_key="2022-Q1",
                         period_start=dt.date(2022, 1, 1), period_end=dt.date(2022, 3, 31))
    database.close()
