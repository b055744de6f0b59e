"""Sessions belong to one owner: the client's id becomes `session_id`, unique per owner, and the
row gets a key of its own (existing rows keep their client id and owner)."""

import uuid

from django.db import migrations, models

import chatsessions.models


def split_ids(apps, schema_editor):
    ChatSession = apps.get_model("chatsessions", "ChatSession")
    for old in list(ChatSession.objects.values_list("id", flat=True)):
        ChatSession.objects.filter(pk=old).update(session_id=old, id=uuid.uuid4().hex)


def join_ids(apps, schema_editor):
    ChatSession = apps.get_model("chatsessions", "ChatSession")
    seen = set()
    for row, session_id in list(ChatSession.objects.values_list("id", "session_id")):
        if session_id in seen:  # two owners' sessions of one id cannot both survive the old key
            ChatSession.objects.filter(pk=row).delete()
            continue
        seen.add(session_id)
        ChatSession.objects.filter(pk=row).update(id=session_id)


class Migration(migrations.Migration):
    dependencies = [("chatsessions", "0002_session_lease_owner")]

    operations = [
        migrations.AddField(
            model_name="chatsession",
            name="session_id",
            field=models.CharField(default="", max_length=128),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="chatsession",
            name="id",
            field=models.CharField(
                default=chatsessions.models.new_row_id,
                editable=False,
                max_length=128,
                primary_key=True,
                serialize=False,
            ),
        ),
        migrations.RunPython(split_ids, join_ids),
        migrations.AddConstraint(
            model_name="chatsession",
            constraint=models.UniqueConstraint(
                fields=("owner", "session_id"), name="chatsession_unique_per_owner"
            ),
        ),
    ]
