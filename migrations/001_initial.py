"""Peewee migrations -- 001_initial.py.

Some examples (model - class or model name)::

    > Model = migrator.orm['table_name']            # Return model in current state by name
    > Model = migrator.ModelClass                   # Return model in current state by name

    > migrator.sql(sql)                             # Run custom SQL
    > migrator.run(func, *args, **kwargs)           # Run python function with the given args
    > migrator.create_model(Model)                  # Create a model (could be used as decorator)
    > migrator.remove_model(model, cascade=True)    # Remove a model
    > migrator.add_fields(model, **fields)          # Add fields (allow_not_null=True skips default)
    > migrator.change_fields(model, **fields)       # Change fields
    > migrator.remove_fields(model, *field_names, cascade=True)
    > migrator.rename_field(model, old_field_name, new_field_name)
    > migrator.rename_table(model, new_table_name)
    > migrator.add_index(model, *col_names, unique=False)
    > migrator.add_not_null(model, *field_names)
    > migrator.add_default(model, field_name, default)
    > migrator.add_constraint(model, name, sql)
    > migrator.drop_index(model, *col_names)
    > migrator.drop_not_null(model, *field_names)
    > migrator.drop_constraints(model, *constraints)

"""

from contextlib import suppress

import peewee as pw
from peewee_migrate import Migrator


with suppress(ImportError):
    import playhouse.postgres_ext as pw_pext


def migrate(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your migrations here."""
    
    @migrator.create_model
    class Agency(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        name = pw.CharField(max_length=200, unique=True)
        kind = pw.CharField(default='department', max_length=20)
        is_appraiser = pw.BooleanField(default=False)

        class Meta:
            table_name = "agency"

    @migrator.create_model
    class Unit(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        code = pw.CharField(max_length=20, unique=True)
        name = pw.CharField(max_length=200)
        kind = pw.CharField(default='content', max_length=20)
        active = pw.BooleanField(default=True)

        class Meta:
            table_name = "unit"

    @migrator.create_model
    class Plan(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        year = pw.IntegerField(unique=True)
        title = pw.CharField(max_length=300)
        number = pw.CharField(default='', max_length=60)
        issued_on = pw.DateField(null=True)
        body_md = pw.TextField(default='')
        midyear_report_due = pw.DateField(null=True)
        annual_report_due = pw.DateField(null=True)
        is_public = pw.BooleanField(default=True)

        class Meta:
            table_name = "plan"

    @migrator.create_model
    class User(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        username = pw.CharField(max_length=50, unique=True)
        full_name = pw.CharField(max_length=120)
        password_hash = pw.CharField(max_length=255)
        role = pw.CharField(index=True, max_length=20)
        unit = pw.ForeignKeyField(column_name='unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        email = pw.CharField(default='', max_length=200)
        title = pw.CharField(default='', max_length=120)
        active = pw.BooleanField(default=True)
        failed_logins = pw.IntegerField(default=0)
        locked_until = pw.DateTimeField(null=True)
        session_epoch = pw.IntegerField(default=0)
        last_login_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "user"

    @migrator.create_model
    class Dialogue(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        plan = pw.ForeignKeyField(column_name='plan_id', field='id', model=migrator.orm['plan'], null=True, on_delete='SET NULL')
        title = pw.CharField(max_length=300)
        slug = pw.CharField(max_length=120, unique=True)
        kind = pw.CharField(index=True, max_length=20)
        audience = pw.CharField(index=True, max_length=20)
        occasion = pw.CharField(default='', max_length=30)
        is_chairman = pw.BooleanField(default=False)
        starts_at = pw.DateTimeField(index=True)
        ends_at = pw.DateTimeField(null=True)
        place = pw.CharField(default='', max_length=300)
        chair = pw.CharField(default='', max_length=200)
        description = pw.TextField(default='')
        status = pw.CharField(default='scheduled', index=True, max_length=20)
        is_public = pw.BooleanField(default=False)
        attendance = pw.IntegerField(null=True)
        discussion = pw.TextField(default='')
        directions = pw.TextField(default='')
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "dialogue"

    @migrator.create_model
    class Proposal(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        agency = pw.ForeignKeyField(column_name='agency_id', field='id', model=migrator.orm['agency'], on_delete='RESTRICT')
        title = pw.CharField(max_length=300)
        content = pw.TextField(default='')
        document_ref = pw.CharField(default='', max_length=200)
        received_on = pw.DateField()
        content_unit = pw.ForeignKeyField(column_name='content_unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        status = pw.CharField(default='received', index=True, max_length=20)
        decision_note = pw.TextField(default='')
        dialogue = pw.ForeignKeyField(column_name='dialogue_id', field='id', model=migrator.orm['dialogue'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "proposal"

    @migrator.create_model
    class Appraisal(pw.Model):
        id = pw.AutoField()
        proposal = pw.ForeignKeyField(column_name='proposal_id', field='id', model=migrator.orm['proposal'], on_delete='CASCADE')
        body = pw.ForeignKeyField(column_name='body_id', field='id', model=migrator.orm['agency'], on_delete='RESTRICT')
        opinion = pw.TextField()
        agrees = pw.BooleanField(default=True)
        at = pw.DateField()

        class Meta:
            table_name = "appraisal"

    @migrator.create_model
    class Attachment(pw.Model):
        id = pw.AutoField()
        object_type = pw.CharField(max_length=30)
        object_id = pw.IntegerField()
        filename = pw.CharField(max_length=255)
        stored_name = pw.CharField(max_length=80, unique=True)
        content_type = pw.CharField(max_length=80)
        size = pw.IntegerField()
        uploaded_by = pw.ForeignKeyField(column_name='uploaded_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        at = pw.DateTimeField()

        class Meta:
            table_name = "attachment"
            indexes = [(('object_type', 'object_id'), False)]

    @migrator.create_model
    class AuditLog(pw.Model):
        id = pw.AutoField()
        at = pw.DateTimeField(index=True)
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        action = pw.CharField(max_length=40)
        object_type = pw.CharField(index=True, max_length=30)
        object_id = pw.IntegerField(null=True)
        summary = pw.CharField(default='', max_length=300)
        changes = pw.TextField(default='')

        class Meta:
            table_name = "audit_log"

    @migrator.create_model
    class ConclusionNotice(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        dialogue = pw.ForeignKeyField(column_name='dialogue_id', field='id', model=migrator.orm['dialogue'], on_delete='CASCADE')
        title = pw.CharField(max_length=300)
        body_md = pw.TextField(default='')
        status = pw.CharField(default='draft', index=True, max_length=20)
        year = pw.IntegerField(null=True)
        number = pw.IntegerField(null=True)
        doc_type = pw.CharField(default='TB', max_length=10)
        revision = pw.IntegerField(default=1)
        supersedes = pw.ForeignKeyField(column_name='supersedes_id', field='id', model='self', null=True, on_delete='SET NULL')
        signed_by = pw.ForeignKeyField(column_name='signed_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        signed_at = pw.DateTimeField(null=True)
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "conclusion_notice"
            indexes = [(('year', 'doc_type', 'number'), True)]

    @migrator.create_model
    class Field(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        code = pw.CharField(max_length=40, unique=True)
        name = pw.CharField(max_length=200)
        position = pw.IntegerField(default=0)

        class Meta:
            table_name = "field"

    @migrator.create_model
    class Conclusion(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        notice = pw.ForeignKeyField(column_name='notice_id', field='id', model=migrator.orm['conclusion_notice'], on_delete='CASCADE')
        decision = pw.TextField()
        responsible_unit = pw.ForeignKeyField(column_name='responsible_unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        responsible_user = pw.ForeignKeyField(column_name='responsible_user_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        deadline = pw.DateField(index=True, null=True)
        public_summary = pw.TextField(default='')
        is_public = pw.BooleanField(default=False)
        publish_in_progress = pw.BooleanField(default=False)
        status = pw.CharField(default='open', index=True, max_length=20)
        percent_done = pw.IntegerField(default=0)
        closed_at = pw.DateTimeField(null=True)
        field = pw.ForeignKeyField(column_name='field_id', field='id', model=migrator.orm['field'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField()
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "conclusion"

    @migrator.create_model
    class Opinion(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        code = pw.CharField(max_length=20, unique=True)
        kind = pw.CharField(index=True, max_length=20)
        channel = pw.CharField(default='dialogue', max_length=20)
        audience = pw.CharField(index=True, max_length=20)
        submitter_name = pw.CharField(default='', max_length=200)
        submitter_contact = pw.CharField(default='', max_length=300)
        content = pw.TextField()
        field = pw.ForeignKeyField(column_name='field_id', field='id', model=migrator.orm['field'], null=True, on_delete='SET NULL')
        dialogue = pw.ForeignKeyField(column_name='dialogue_id', field='id', model=migrator.orm['dialogue'], null=True, on_delete='SET NULL')
        received_on = pw.DateField(index=True)
        assigned_unit = pw.ForeignKeyField(column_name='assigned_unit_id', field='id', model=migrator.orm['unit'], null=True, on_delete='SET NULL')
        assigned_to = pw.ForeignKeyField(column_name='assigned_to_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        directed_by = pw.ForeignKeyField(column_name='directed_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        deadline = pw.DateField(index=True, null=True)
        draft_answer = pw.TextField(default='')
        resolution_path = pw.TextField(default='')
        status = pw.CharField(default='received', index=True, max_length=20)
        closed_at = pw.DateTimeField(null=True)
        search_text = pw.TextField(default='')
        search_identity = pw.TextField(default='')
        created_by = pw.ForeignKeyField(column_name='created_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        created_at = pw.DateTimeField(index=True)
        updated_at = pw.DateTimeField()

        class Meta:
            table_name = "opinion"

    @migrator.create_model
    class ConclusionOpinion(pw.Model):
        id = pw.AutoField()
        conclusion = pw.ForeignKeyField(column_name='conclusion_id', field='id', model=migrator.orm['conclusion'], on_delete='CASCADE')
        opinion = pw.ForeignKeyField(column_name='opinion_id', field='id', model=migrator.orm['opinion'], on_delete='CASCADE')

        class Meta:
            table_name = "conclusion_opinion"
            indexes = [(('conclusion', 'opinion'), True)]

    @migrator.create_model
    class DialogueAttendee(pw.Model):
        id = pw.AutoField()
        dialogue = pw.ForeignKeyField(column_name='dialogue_id', field='id', model=migrator.orm['dialogue'], on_delete='CASCADE')
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], on_delete='CASCADE')
        role_note = pw.CharField(default='', max_length=200)

        class Meta:
            table_name = "dialogue_attendee"
            indexes = [(('dialogue', 'user'), True)]

    @migrator.create_model
    class DialogueField(pw.Model):
        id = pw.AutoField()
        dialogue = pw.ForeignKeyField(column_name='dialogue_id', field='id', model=migrator.orm['dialogue'], on_delete='CASCADE')
        field = pw.ForeignKeyField(column_name='field_id', field='id', model=migrator.orm['field'], on_delete='CASCADE')

        class Meta:
            table_name = "dialogue_field"
            indexes = [(('dialogue', 'field'), True)]

    @migrator.create_model
    class FollowUp(pw.Model):
        id = pw.AutoField()
        opinion = pw.ForeignKeyField(column_name='opinion_id', field='id', model=migrator.orm['opinion'], null=True, on_delete='CASCADE')
        conclusion = pw.ForeignKeyField(column_name='conclusion_id', field='id', model=migrator.orm['conclusion'], null=True, on_delete='CASCADE')
        kind = pw.CharField(default='progress', max_length=20)
        note = pw.TextField()
        percent_done = pw.IntegerField(null=True)
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        at = pw.DateTimeField()

        class Meta:
            table_name = "follow_up"

    @migrator.create_model
    class Holiday(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        day = pw.DateField(unique=True)
        name = pw.CharField(max_length=120)
        kind = pw.CharField(default='holiday', max_length=20)

        class Meta:
            table_name = "holiday"

    @migrator.create_model
    class Report(pw.Model):
        id = pw.AutoField()
        version = pw.IntegerField(default=1)
        plan = pw.ForeignKeyField(column_name='plan_id', field='id', model=migrator.orm['plan'], on_delete='CASCADE')
        kind = pw.CharField(max_length=20)
        cutoff = pw.DateField()
        narrative_md = pw.TextField(default='')
        figures_json = pw.TextField(default='')
        status = pw.CharField(default='draft', max_length=20)
        approved_by = pw.ForeignKeyField(column_name='approved_by_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        approved_at = pw.DateTimeField(null=True)
        created_at = pw.DateTimeField()

        class Meta:
            table_name = "report"
            indexes = [(('plan', 'kind'), True)]

    @migrator.create_model
    class Setting(pw.Model):
        key = pw.CharField(max_length=80, primary_key=True)
        value = pw.TextField(default='')

        class Meta:
            table_name = "setting"

    @migrator.create_model
    class StatusChange(pw.Model):
        id = pw.AutoField()
        object_type = pw.CharField(max_length=30)
        object_id = pw.IntegerField()
        from_status = pw.CharField(default='', max_length=20)
        to_status = pw.CharField(max_length=20)
        user = pw.ForeignKeyField(column_name='user_id', field='id', model=migrator.orm['user'], null=True, on_delete='SET NULL')
        note = pw.TextField(default='')
        at = pw.DateTimeField()

        class Meta:
            table_name = "status_change"
            indexes = [(('object_type', 'object_id', 'at'), False)]


def rollback(migrator: Migrator, database: pw.Database, *, fake=False):
    """Write your rollback migrations here."""
    
    migrator.remove_model('status_change')

    migrator.remove_model('setting')

    migrator.remove_model('report')

    migrator.remove_model('holiday')

    migrator.remove_model('follow_up')

    migrator.remove_model('dialogue_field')

    migrator.remove_model('dialogue_attendee')

    migrator.remove_model('conclusion_opinion')

    migrator.remove_model('opinion')

    migrator.remove_model('conclusion')

    migrator.remove_model('field')

    migrator.remove_model('conclusion_notice')

    migrator.remove_model('audit_log')

    migrator.remove_model('attachment')

    migrator.remove_model('appraisal')

    migrator.remove_model('proposal')

    migrator.remove_model('dialogue')

    migrator.remove_model('user')

    migrator.remove_model('plan')

    migrator.remove_model('unit')

    migrator.remove_model('agency')
