"""Domain signals: the services (and their bulk paths) announce what changed; the owners of derived data
(the search documents) listen and recompute. Bulk writes send no model signals, so these are sent
explicitly, once per change or per batch."""

from django.dispatch import Signal

# The searchable text of these objects changed (created or edited): `sender` is the model class
# (Organization, Event, Notice; an organisation stands for its offers too), `ids` their primary keys.
# Sent inside the transaction of the change, so that the search documents are written in it too.
texts_changed = Signal()
