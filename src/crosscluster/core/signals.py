"""Domain signals: the services (and their bulk paths) announce what changed; the owners of derived data
listen and recompute. Bulk writes send no model signals, so these are sent explicitly, once per change or per
batch, inside the transaction of the change (a rolled-back change leaves nothing behind).

- `texts_changed` (sender: Organization, Event, Notice): every service and bulk path that changes searchable
  text sends it; `search.documents` writes the documents, the page cache drops its pages.
- `events_changed` (sender: Event): `events.services`, the feed import (`events.feeds.sync`), series
  expansion, duplicate regrouping and every deletion of events (`events.signals`); `events.signals`
  recomputes the `listed` flag and drops the cached filter facts.
- `organizations_changed` (sender: Organization): `directory.services.update_organization`, the directory
  import and admin, `deleted=True` after a deletion (from its model signal, in `events.signals`);
  `events.signals` recomputes the flag of the organisation's events; with `names=True` (renamed),
  `search.documents` announces the texts of its events and notices as changed.
- `topics_changed` (sender: Topic): `directory.services.update_topic` (the admin calls it); `events.signals`
  drops the filter facts; with `names=True`, `search.documents` announces the texts of what has the topic.
- `check_derived` (sender: None): the `check-derived` command; each owner of derived data compares what it
  stored with its definition, repairs it unless `dry_run` and returns a `Drift`.

`ids` are primary keys. A receiver must be idempotent: an id may be announced twice.
"""

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.dispatch import Signal

# The searchable text of these objects changed (created or edited): `sender` is the model class
# (Organization, Event, Notice; an organisation stands for its offers too), `ids` their primary keys.
# Sent inside the transaction of the change, so that the search documents are written in it too.
texts_changed = Signal()
# New stored embeddings of these objects' texts (`sender` Organization: its passages and offers), the texts
# unchanged: the search stores the new vectors in the documents without analysing the texts again.
vectors_changed = Signal()

# Events were created, edited, imported, regrouped as duplicates, removed from their feed or deleted:
# whatever an event's visibility depends on (published, removal, group, organisers) may have changed.
# `sender` is Event, `ids` the events (deleted ones may be among them; their group's members are).
events_changed = Signal()

# Organisations were created or edited (their publication, name, topics or offers): `names=True` when a name
# changed; `deleted=True` after they were deleted (their ids are then gone, and with them their events'
# organiser links).
organizations_changed = Signal()

# Topics were created or edited (name, synonyms, introduction): `names=True` when a name changed;
# `deleted=True` after a deletion.
topics_changed = Signal()

# Sent by `check-derived`: every owner of derived data compares what it stored with its definition, repairs
# it unless `dry_run`, and returns a `Drift` (Signal.send collects them).
check_derived = Signal()


@dataclass
class Drift:
    """What one owner's check found: `found` stored values that differ from their definition, of `checked`;
    `notes` say what else it did (housekeeping that is no drift, such as pruning unused rows)."""

    name: str
    checked: int = 0
    found: int = 0
    repaired: int = 0
    examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_batch = threading.local()


def announce_texts_changed(sender: Any, ids: Iterable[int | None]) -> None:
    """Send `texts_changed`, or inside `texts_changed_once()` remember the ids for one send at its end."""
    ids = [pk for pk in ids if pk is not None]
    pending = getattr(_batch, "pending", None)
    if pending is not None:
        pending.setdefault(sender, {}).update(dict.fromkeys(ids))
    elif ids:
        texts_changed.send(sender=sender, ids=ids)


def announce(signal: Signal, sender: Any, ids: Iterable[int | None], **kwargs: Any) -> None:
    """Send a domain signal for these ids (None and repeated ids left out), unless there are none."""
    ids = list(dict.fromkeys(pk for pk in ids if pk is not None))
    if ids:
        signal.send(sender=sender, ids=ids, **kwargs)


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
