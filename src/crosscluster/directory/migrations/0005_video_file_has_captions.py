"""Uploaded videos must have captions (BITV 2.0); the check comes first so that a database holding an
uploaded video without captions stops with the videos to fix rather than with an integrity error."""

from django.db import migrations, models


def refuse_videos_without_captions(apps, schema_editor):
    Video = apps.get_model("directory", "Video")
    missing = list(Video.objects.exclude(file="").filter(captions="").values_list("pk", "title"))
    if missing:
        names = ", ".join(f"{pk} ({title})" for pk, title in missing)
        raise RuntimeError(
            f"Uploaded videos without captions: {names}. Add a WebVTT file to each (admin or manager area) "
            "or remove the file, then migrate again."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0004_organization_picture"),
    ]

    operations = [
        migrations.RunPython(refuse_videos_without_captions, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="video",
            constraint=models.CheckConstraint(
                condition=models.Q(("file", ""), models.Q(("captions", ""), _negated=True), _connector="OR"),
                name="video_file_has_captions",
                violation_error_message="An uploaded video needs captions (a WebVTT file).",
            ),
        ),
    ]
