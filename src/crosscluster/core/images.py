"""Uploaded pictures made safe and small at the boundary: type checked by decoding, resized, EXIF dropped.

A phone photo carries its GPS position and camera in EXIF and is often 4,000 px wide; neither belongs on a
public page. `normalise_image` decodes the upload with Pillow (so a file that only claims to be an image is
refused), turns it upright by its EXIF orientation, shrinks it to fit `max_side` and writes it again without
any metadata, keeping PNG and WebP transparency and saving photos as JPEG.
"""

import io
from pathlib import PurePath

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# More pixels than this is no picture a manager means to upload, and decoding it would cost too much memory.
MAX_SOURCE_PIXELS = 50_000_000


def normalise_image(upload: UploadedFile, max_side: int) -> SimpleUploadedFile:
    upload.seek(0)
    try:
        with Image.open(upload) as source:
            kind = source.format
            if kind not in ALLOWED_FORMATS:
                raise ValidationError(_("Please upload a PNG, JPEG or WebP picture."), code="image_type")
            if source.width * source.height > MAX_SOURCE_PIXELS:
                raise ValidationError(_("The picture has too many pixels."), code="image_pixels")
            image = ImageOps.exif_transpose(source)
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValidationError(
            _("The file is not a picture that can be read."), code="image_invalid"
        ) from error
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    output = io.BytesIO()
    if kind == "JPEG":
        image.convert("RGB").save(output, format="JPEG", quality=85, optimize=True, progressive=True)
    elif kind == "WEBP":
        image.save(output, format="WEBP", quality=85)
    else:
        image.save(output, format="PNG", optimize=True)
    name = f"{PurePath(upload.name or 'picture').stem[:80]}.{ALLOWED_FORMATS[kind]}"
    return SimpleUploadedFile(name, output.getvalue(), content_type=f"image/{ALLOWED_FORMATS[kind]}")
