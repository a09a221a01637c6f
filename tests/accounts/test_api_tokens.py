from django.urls import reverse

from crosscluster.accounts.models import ApiToken, hash_token
from crosscluster.core.models import AuditLogEntry
from tests.factories import UserFactory

TOKENS_URL = reverse("manage:api-tokens")


def test_api_token_is_shown_once_and_stored_as_hash(client, manager):
    client.force_login(manager)

    response = client.post(TOKENS_URL, {"name": "CRM-Export"})

    assert response.status_code == 200
    key = response.context["new_key"]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.prefix) == (manager, "CRM-Export", key[:8])
    assert token.key_hash == hash_token(key)
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == (
        "accounts.api_token.created",
        manager,
        str(token.pk),
    )
    assert key not in str(entry.data)

    later = client.get(TOKENS_URL)
    assert key not in later.content.decode()
    assert token.prefix in later.content.decode()


def test_api_token_needs_a_name(client, manager):
    client.force_login(manager)

    response = client.post(TOKENS_URL, {"name": ""})

    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert response.context["new_key"] is None
    assert not ApiToken.objects.exists()


def test_api_token_page_lists_only_own_tokens(client, manager, outsider):
    ApiToken.issue(outsider, "Fremd")
    ApiToken.issue(manager, "Eigen")
    client.force_login(manager)

    response = client.get(TOKENS_URL)

    assert [token.name for token in response.context["tokens"]] == ["Eigen"]


def test_api_token_revoke_asks_first_and_deletes_on_post(client, manager):
    token, _key = ApiToken.issue(manager, "Alt")
    client.force_login(manager)
    url = reverse("manage:api-token-revoke", kwargs={"pk": token.pk})

    assert client.get(url).status_code == 200
    assert ApiToken.objects.filter(pk=token.pk).exists()

    response = client.post(url)

    assert response.status_code == 302
    assert response["Location"] == TOKENS_URL
    assert not ApiToken.objects.exists()
    entry = AuditLogEntry.objects.get()
    assert (entry.action, entry.actor, entry.object_id) == (
        "accounts.api_token.revoked",
        manager,
        str(token.pk),
    )


def test_api_token_of_somebody_else_cannot_be_revoked(client, manager):
    token, _key = ApiToken.issue(UserFactory(), "Fremd")
    client.force_login(manager)
    url = reverse("manage:api-token-revoke", kwargs={"pk": token.pk})

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()
    assert not AuditLogEntry.objects.exists()
