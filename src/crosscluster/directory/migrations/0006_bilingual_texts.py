"""German and English columns for the texts (django-modeltranslation); the German ones start as copies of
the texts so far, the English ones empty (a missing English text shows the German one)."""

from django.db import migrations, models
from django.db.models import F


def copy_german(apps, schema_editor):
    apps.get_model("directory", "Topic").objects.update(name_de=F("name"), introduction_de=F("introduction"))
    apps.get_model("directory", "Organization").objects.update(
        name_de=F("name"), summary_de=F("summary"), description_de=F("description")
    )
    apps.get_model("directory", "Offer").objects.update(title_de=F("title"), description_de=F("description"))


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0005_video_file_has_captions"),
    ]

    operations = [
        migrations.AddField(
            model_name="offer",
            name="description_de",
            field=models.TextField(blank=True, max_length=5000, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="offer",
            name="description_en",
            field=models.TextField(blank=True, max_length=5000, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="offer",
            name="title_de",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="offer",
            name="title_en",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="organization",
            name="description_de",
            field=models.TextField(blank=True, max_length=10000, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="organization",
            name="description_en",
            field=models.TextField(blank=True, max_length=10000, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="organization",
            name="name_de",
            field=models.CharField(max_length=200, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="organization",
            name="name_en",
            field=models.CharField(max_length=200, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="organization",
            name="summary_de",
            field=models.TextField(blank=True, max_length=600, null=True, verbose_name="summary"),
        ),
        migrations.AddField(
            model_name="organization",
            name="summary_en",
            field=models.TextField(blank=True, max_length=600, null=True, verbose_name="summary"),
        ),
        migrations.AddField(
            model_name="topic",
            name="introduction_de",
            field=models.TextField(
                blank=True,
                help_text="Shown at the top of the topic page. Markdown: **bold**, lists, links.",
                max_length=10000,
                null=True,
                verbose_name="introduction",
            ),
        ),
        migrations.AddField(
            model_name="topic",
            name="introduction_en",
            field=models.TextField(
                blank=True,
                help_text="Shown at the top of the topic page. Markdown: **bold**, lists, links.",
                max_length=10000,
                null=True,
                verbose_name="introduction",
            ),
        ),
        migrations.AddField(
            model_name="topic",
            name="name_de",
            field=models.CharField(max_length=120, null=True, verbose_name="name"),
        ),
        migrations.AddField(
            model_name="topic",
            name="name_en",
            field=models.CharField(max_length=120, null=True, verbose_name="name"),
        ),
        migrations.RunPython(copy_german, migrations.RunPython.noop),
    ]
