"""Fixtures for the API tests: a client that speaks English, tokens per role and a full organisation."""

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from crosscluster.accounts.models import ApiToken
from tests.factories import ContactFactory, MembershipFactory, UserFactory, VideoFactory


@pytest.fixture
def api_client() -> Client:
    """English messages, so that assertions do not depend on which catalogues are compiled."""
    return Client(headers={"Accept-Language": "en"})


def bearer(user) -> dict[str, str]:
    _token, key = ApiToken.issue(user, "test")
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def other_manager(other_organization):
    """Manages `other_organization`, not `organization`."""
    user = UserFactory(email="andere@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user


@pytest.fixture
def contact(organization):
    return ContactFactory(
        organization=organization,
        name="Erika Muster",
        role="Netzwerkmanagerin",
        email="erika@example.org",
        phone="+49 361 123456",
        position=0,
    )


@pytest.fixture
def video(organization):
    return VideoFactory(
        organization=organization,
        title="Das Netzwerk in 90 Sekunden",
        url="https://video.example.org/netz",
        position=0,
    )


@pytest.fixture
def uploaded_video(organization):
    return VideoFactory(
        organization=organization,
        title="Rundgang",
        url="",
        file=ContentFile(b"mp4", name="rundgang.mp4"),
        poster=ContentFile(b"png", name="rundgang.png"),
        captions=ContentFile(b"WEBVTT", name="rundgang.vtt"),
        captions_language="de",
        position=1,
    )
