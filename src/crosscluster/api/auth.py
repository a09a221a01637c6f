"""Personal API tokens: `Authorization: Bearer <key>`, checked against `ApiToken.key_hash`."""

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from crosscluster.accounts.models import ApiToken, User, hash_token

from .errors import InvalidToken

# Writing `last_used_at` on every request would turn each read of a busy client into a write as well.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class BearerToken(HttpBearer):
    """Only the SHA-256 of a key is stored, so the lookup compares hashes and leaks no timing on the key."""

    openapi_description = "A personal API token (Manager area → API tokens): `Authorization: Bearer <key>`."

    def authenticate(self, request: HttpRequest, token: str) -> User:
        token = token.strip()
        api_token = (
            ApiToken.objects.select_related("user").filter(key_hash=hash_token(token)).first()
            if token
            else None
        )
        if api_token is None or not api_token.user.is_active:
            # Raised rather than returning None so the client learns the key itself is wrong.
            raise InvalidToken()
        now = timezone.now()
        if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        request.api_token = api_token  # type: ignore[attr-defined]
        return api_token.user


bearer_token = BearerToken()


def actor(request: HttpRequest) -> User:
    """The user behind the token that `bearer_token` accepted for this request."""
    user: User = request.auth  # type: ignore[attr-defined]
    return user
