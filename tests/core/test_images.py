"""Uploaded pictures: decoded to check the type, resized, EXIF (GPS, camera) dropped."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from crosscluster.core.images import normalise_image


def upload(image: Image.Image, fmt: str, name: str, **save) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{fmt.lower()}")


def phone_photo() -> SimpleUploadedFile:
    exif = Image.Exif()
    exif[0x0110] = "Phone X"  # camera model
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    return upload(Image.new("RGB", (4000, 3000), "#336699"), "JPEG", "IMG_0001.JPG", exif=exif)


def test_normalise_image_turns_resizes_and_drops_exif():
    result = Image.open(normalise_image(phone_photo(), 480))
    assert result.format == "JPEG"
    assert result.size == (360, 480)  # upright (portrait) and at most 480 px
    assert not result.getexif()


def test_normalise_image_keeps_png_transparency_and_names_the_file():
    source = upload(Image.new("RGBA", (1000, 200), (0, 0, 0, 0)), "PNG", "logo.final.png")
    normalised = normalise_image(source, 512)
    result = Image.open(normalised)
    assert (normalised.name, result.format, result.mode, result.size) == (
        "logo.final.png",
        "PNG",
        "RGBA",
        (512, 102),
    )


@pytest.mark.parametrize(
    "file",
    [
        SimpleUploadedFile(
            "bild.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", content_type="image/png"
        ),
        upload(Image.new("RGB", (10, 10)), "GIF", "bild.gif"),
    ],
)
def test_normalise_image_refuses_what_is_no_png_jpeg_or_webp(file):
    with pytest.raises(ValidationError):
        normalise_image(file, 512)
