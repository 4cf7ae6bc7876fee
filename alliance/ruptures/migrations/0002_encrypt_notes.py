"""Encrypt the repair notes, the next-session plan and the closing note at rest.

See alliance/checkins/migrations/0002_encrypt_comment.py for why RunPython comes first
and the field change is state only.
"""

from django.db import migrations

import alliance.crypto

ALERT_FIELDS = ["close_note"]
REPAIR_FIELDS = ["notes", "next_session_plan"]


def encrypt_notes(apps, schema_editor):
    using = schema_editor.connection.alias
    alliance.crypto.encrypt_plain_rows(
        apps.get_model("ruptures", "Alert"), ALERT_FIELDS, using=using
    )
    alliance.crypto.encrypt_plain_rows(
        apps.get_model("ruptures", "RepairRecord"), REPAIR_FIELDS, using=using
    )


def decrypt_notes(apps, schema_editor):
    using = schema_editor.connection.alias
    alliance.crypto.decrypt_encrypted_rows(
        apps.get_model("ruptures", "Alert"), ALERT_FIELDS, using=using
    )
    alliance.crypto.decrypt_encrypted_rows(
        apps.get_model("ruptures", "RepairRecord"), REPAIR_FIELDS, using=using
    )


class Migration(migrations.Migration):

    dependencies = [
        ("ruptures", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(encrypt_notes, decrypt_notes),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="alert",
                    name="close_note",
                    field=alliance.crypto.EncryptedTextField(blank=True),
                ),
                migrations.AlterField(
                    model_name="repairrecord",
                    name="next_session_plan",
                    field=alliance.crypto.EncryptedTextField(blank=True),
                ),
                migrations.AlterField(
                    model_name="repairrecord",
                    name="notes",
                    field=alliance.crypto.EncryptedTextField(blank=True),
                ),
            ],
        ),
    ]
