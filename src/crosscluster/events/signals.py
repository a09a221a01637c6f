"""Dropping the cached filter choices (queries.public_cities) whenever what the public sees may change.

Single saves and deletes of events, their organiser lists and organisations are caught here; bulk
statements (the feed import, duplicate regrouping) call `queries.invalidate_filter_choices` themselves.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from crosscluster.directory.models import Organization

from .models import Event
from .queries import invalidate_filter_choices


@receiver(post_save, sender=Event)
@receiver(post_delete, sender=Event)
@receiver(post_save, sender=Organization)
@receiver(post_delete, sender=Organization)
@receiver(m2m_changed, sender=Event.organizers.through)
def _drop_filter_choices(**kwargs) -> None:
    invalidate_filter_choices()
