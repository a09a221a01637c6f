"""Background tasks of the routing engine: embeddings are computed here, never inside a request."""

from django_tasks import task


@task()
def compute_embeddings(organization_ids: list[int] | None = None) -> int:
    """Idempotent: computes only what is missing (of these organisations, or all; and all evidence)."""
    from .services import ensure_embeddings

    return ensure_embeddings(organization_ids=organization_ids)
