"""Answer templates (issue 13): a unit's or the office's model answers with placeholders, and the template an
opinion's answer used."""

import peewee as pw
from peewee_migrate import Migrator

from migrations.search_index import install_search_index


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    @migrator.create_model
    class AnswerTemplate(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        unit = pw.ForeignKeyField(column_name="unit_id", field="id", model=migrator.orm["unit"], null=True)
        field = pw.ForeignKeyField(column_name="field_id", field="id", model=migrator.orm["field"], null=True,
                                   on_delete="SET NULL")
        title = pw.CharField(max_length=200)
        body_md = pw.TextField(default="")
        is_retired = pw.BooleanField(default=False)
        created_by = pw.ForeignKeyField(column_name="created_by_id", field="id", model=migrator.orm["user"],
                                        null=True, on_delete="SET NULL")
        created_at = pw.DateTimeField()
        updated_by = pw.ForeignKeyField(column_name="updated_by_id", field="id", model=migrator.orm["user"],
                                        null=True, on_delete="SET NULL")
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "answer_template"
            indexes = [(("unit", "is_retired"), False)]

    migrator.add_fields(
        "opinion",
        answer_template=pw.ForeignKeyField(column_name="answer_template_id", field="id",
                                           model=migrator.orm["answer_template"], null=True),
    )
    if isinstance(database, pw.SqliteDatabase) and not fake:
        # SQLite may add this column by rebuilding the table, which drops the search index's triggers.
        migrator.run(install_search_index, database)


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    migrator.remove_fields("opinion", "answer_template")
    migrator.remove_model("answer_template")
