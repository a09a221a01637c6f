"""The words an object's search document holds (search.documents), for tests of the services that announce
changed texts."""

from crosscluster.search.models import Document


def document_text(obj) -> str:
    """Title, body and compound parts of the object's search document as one text ("" without one)."""
    kind = type(obj)._meta.model_name
    found = Document.objects.filter(kind=kind, object_id=obj.pk).values_list("title", "body", "parts").first()
    return " ".join(found) if found else ""
