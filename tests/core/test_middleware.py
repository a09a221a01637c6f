"""Requests no address accepts are refused before anything reads them (issue 12, point 4).

NUL bytes reached database lookups (`/anfrage/?organisation=%00` answered 500 on PostgreSQL); a body over
DATA_UPLOAD_MAX_MEMORY_SIZE made Django raise where a form first read it. The API's own answers for both
are in tests/api/test_errors.py.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/anfrage/?organisation=%00",
        "/anfrage/?organisation=polymer%00netz",
        "/veranstaltungen/?q=%00",
        "/?%00=1",
        "/anfrage/status/%00/",
        "/digest/manage/1-%00/",
        "/manage/statistiken/?organisation=%00",
    ],
)
def test_nul_in_a_path_or_query_is_a_400_page(client, organization, url):
    response = client.get(url)

    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert "<h1>Fehlerhafte Anfrage</h1>" in html
    assert "Die Anfrage enthält ein NUL-Zeichen, das keine Adresse dieser Website annimmt." in html


def test_the_400_page_speaks_the_language_of_the_path(client, db):
    response = client.get("/en/veranstaltungen/?q=%00")

    assert response.status_code == 400
    assert "The request contains a NUL character" in response.content.decode()


def test_nul_in_posted_form_data_is_a_400_page(client, organization):
    response = client.post("/anfrage/", {"organisation": "polymer\x00netz", "text": "Hallo"})

    assert response.status_code == 400


def test_a_form_body_over_the_limit_is_a_413_page(client, db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = client.post("/anfrage/", {"text": "x" * 2000})

    assert response.status_code == 413
    html = response.content.decode()
    assert "<h1>Anfrage zu groß</h1>" in html
    assert "Die Anfrage ist größer als die 1000\xa0Bytes, die diese Adresse annimmt." in html


def test_uploaded_files_do_not_count_against_the_limit(client, db, settings):
    """Django leaves files out of DATA_UPLOAD_MAX_MEMORY_SIZE; videos and PDFs have limits of their own."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    upload = SimpleUploadedFile("film.mp4", b"x" * 5000, content_type="video/mp4")

    response = client.post("/konto/anmelden/", {"username": "a@example.org", "file": upload})

    assert response.status_code == 200


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "multipart/form-data"])
def test_unreadable_form_data_is_a_400_page(client, db, settings, content_type):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3

    body = "&".join(f"f{n}=1" for n in range(10))  # too many fields; multipart without a boundary
    response = client.generic("POST", "/anfrage/", body, content_type=content_type)

    assert response.status_code == 400
