"""German and English columns for the texts (django-modeltranslation); the German ones start as copies of
the texts so far, the English ones empty (a missing English text shows the German one)."""

from django.db import migrations, models
from django.db.models import F


def copy_german(apps, schema_editor):
    apps.get_model("events", "Event").objects.update(title_de=F("title"), description_de=F("description"))


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_event_detached"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="description_de",
            field=models.TextField(blank=True, max_length=20000, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="event",
            name="description_en",
            field=models.TextField(blank=True, max_length=20000, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="event",
            name="title_de",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="event",
            name="title_en",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.RunPython(copy_german, migrations.RunPython.noop),
    ]
