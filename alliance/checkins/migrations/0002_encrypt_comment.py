"""Encrypt check-in comments at rest (docs/security-encryption.md).

The RunPython step comes first, while the historical field is still a plain TextField, so it
reads and writes the stored values as they are; unapplying runs it backwards after the field
is plain again. The column stays `text`, so the field change is state only (no table rebuild
on SQLite).
"""

from django.db import migrations

import alliance.crypto

FIELDS = ["comment"]


def encrypt_comments(apps, schema_editor):
    model = apps.get_model("checkins", "CheckIn")
    alliance.crypto.encrypt_plain_rows(model, FIELDS, using=schema_editor.connection.alias)


def decrypt_comments(apps, schema_editor):
    model = apps.get_model("checkins", "CheckIn")
    alliance.crypto.decrypt_encrypted_rows(model, FIELDS, using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("checkins", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(encrypt_comments, decrypt_comments),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="checkin",
                    name="comment",
                    field=alliance.crypto.EncryptedTextField(blank=True, default=""),
                ),
            ],
        ),
    ]
