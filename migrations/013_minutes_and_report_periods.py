"""Minutes of a dialogue (the secretary, attendance by group, the answer and the chair's direction for each
opinion raised) and reports for any period (period_start, period_end, one report per plan, kind and period)."""

import peewee as pw
from peewee_migrate import Migrator


def _statutory_periods(database):
    """The reports made before: their period is 1/1 of the plan's year to the cut-off, their key the year."""
    report = pw.Table("report", ("id", "plan_id", "cutoff", "period_start", "period_end", "period_key")).bind(database)
    plan = pw.Table("plan", ("id", "year")).bind(database)
    rows = list(report.select(report.id, plan.year, report.cutoff).join(plan, on=(plan.id == report.plan_id))
                .tuples())
    for report_id, year, cutoff in rows:
        report.update({report.period_start: "%04d-01-01" % year, report.period_end: cutoff,
                       report.period_key: str(year)}).where(report.id == report_id).execute()


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.add_fields("dialogue", attendance_leaders=pw.IntegerField(null=True),
                        attendance_staff=pw.IntegerField(null=True), attendance_citizens=pw.IntegerField(null=True),
                        attendance_guests=pw.IntegerField(null=True),
                        secretary=pw.CharField(max_length=200, default=""))

    @migrator.create_model
    class MinutesAnswer(pw.Model):
        id = pw.AutoField()
        dialogue = pw.ForeignKeyField(column_name="dialogue_id", field="id", model=migrator.orm["dialogue"],
                                      on_delete="CASCADE")
        opinion = pw.ForeignKeyField(column_name="opinion_id", field="id", model=migrator.orm["opinion"],
                                     on_delete="CASCADE")
        answer = pw.TextField(default="")
        direction = pw.TextField(default="")

        class Meta:
            table_name = "minutes_answer"
            indexes = [(("dialogue", "opinion"), True)]

    migrator.add_fields("report", period_start=pw.DateField(null=True), period_end=pw.DateField(null=True),
                        period_key=pw.CharField(max_length=30, default=""))
    migrator.drop_index("report", "plan", "kind")
    migrator.add_index("report", "plan", "kind", "period_key", unique=True)
    migrator.run(_statutory_periods, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.drop_index("report", "plan", "kind", "period_key")
    migrator.remove_fields("report", "period_start", "period_end", "period_key")
    migrator.add_index("report", "plan", "kind", unique=True)
    migrator.remove_model("minutes_answer")
    migrator.remove_fields("dialogue", "attendance_leaders", "attendance_staff", "attendance_citizens",
                           "attendance_guests", "secretary")
