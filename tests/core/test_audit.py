from crosscluster.core.models import AuditLogEntry
from crosscluster.core.services import log_action


def test_log_action_records_actor_object_and_organization(manager, organization):
    entry = log_action(
        "directory.test.done", actor=manager, obj=organization, organization=organization, data={"a": 1}
    )

    stored = AuditLogEntry.objects.get(pk=entry.pk)
    assert stored.action == "directory.test.done"
    assert stored.actor == manager
    assert stored.object_type == "directory.organization"
    assert stored.object_id == str(organization.pk)
    assert stored.object_repr == "PolymerNetz Thüringen"
    assert stored.organization == organization
    assert stored.data == {"a": 1}


def test_log_action_treats_anonymous_as_system(organization):
    from django.contrib.auth.models import AnonymousUser

    entry = log_action("directory.test.done", actor=AnonymousUser(), obj=organization)
    assert entry.actor is None
