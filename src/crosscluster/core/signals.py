"""Domain signals: the services (and their bulk paths) announce what changed; the owners of derived data
(the search documents) listen and recompute. Bulk writes send no model signals, so these are sent
explicitly, once per change or per batch."""

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.dispatch import Signal

# The searchable text of these objects changed (created or edited): `sender` is the model class
# (Organization, Event, Notice; an organisation stands for its offers too), `ids` their primary keys.
# Sent inside the transaction of the change, so that the search documents are written in it too.
texts_changed = Signal()
# New stored embeddings of these objects' texts (`sender` Organization: its passages and offers), the texts
# unchanged: the search stores the new vectors in the documents without analysing the texts again.
vectors_changed = Signal()

_batch = threading.local()


def announce_texts_changed(sender: Any, ids: Iterable[int | None]) -> None:
    """Send `texts_changed`, or inside `texts_changed_once()` remember the ids for one send at its end."""
    ids = [pk for pk in ids if pk is not None]
    pending = getattr(_batch, "pending", None)
    if pending is not None:
        pending.setdefault(sender, {}).update(dict.fromkeys(ids))
    elif ids:
        texts_changed.send(sender=sender, ids=ids)


@contextmanager
def texts_changed_once() -> Iterator[None]:
    """Within this block (an import, a bulk path), announce every model's changed texts once, at its end:
    the search writes the documents of 2,000 imported organisations in a few batches, not one by one."""
    if getattr(_batch, "pending", None) is not None:  # already collecting: the outer block sends
        yield
        return
    _batch.pending = {}
    try:
        yield
        pending = _batch.pending
    finally:
        _batch.pending = None
    for sender, ids in pending.items():
        if ids:
            texts_changed.send(sender=sender, ids=list(ids))
