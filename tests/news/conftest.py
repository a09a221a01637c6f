"""Fixtures of the notices tests."""

import pytest

from tests.factories import MembershipFactory, UserFactory


@pytest.fixture
def other_manager(other_organization):
    """Manages `other_organization` only."""
    user = UserFactory(email="b-manager@example.org")
    MembershipFactory(user=user, organization=other_organization)
    return user
