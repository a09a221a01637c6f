"""German and English columns for the texts (django-modeltranslation); the German ones start as copies of
the texts so far, the English ones empty (a missing English text shows the German one)."""

from django.db import migrations, models
from django.db.models import F


def copy_german(apps, schema_editor):
    apps.get_model("news", "Notice").objects.update(
        title_de=F("title"), body_de=F("body"), body_html_de=F("body_html")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("news", "0002_attachment_unguessable_path"),
    ]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="body_de",
            field=models.TextField(
                help_text="Markdown: **bold**, lists, links.",
                max_length=20000,
                null=True,
                verbose_name="text",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="body_en",
            field=models.TextField(
                help_text="Markdown: **bold**, lists, links.",
                max_length=20000,
                null=True,
                verbose_name="text",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="body_html_de",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="notice",
            name="body_html_en",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="notice",
            name="title_de",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="notice",
            name="title_en",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.RunPython(copy_german, migrations.RunPython.noop),
    ]
