"""The mail outbox belongs to core, and so does its admin (behaviour: inquiries/test_mail_delivery.py)."""

from django.contrib import admin

from crosscluster.core.admin import OutgoingMailAdmin, ReadOnlyAdmin
from crosscluster.core.models import OutgoingMail


def test_outbox_admin_is_registered_by_core_and_read_only():
    registered = admin.site._registry[OutgoingMail]

    assert type(registered) is OutgoingMailAdmin
    assert isinstance(registered, ReadOnlyAdmin)
    assert registered.has_add_permission(None) is False
