"""Demo notices for `make run`: the notice board, the home page and the urgent banner show something.

A few notices of demo organisations and of the coordination office, one of them urgent (pinned, expiring in
two weeks), entered through `services.create_notice` as a manager would. Only into a database without notices.
"""

import datetime as dt

from django.db import transaction

from crosscluster.directory.models import Topic
from crosscluster.directory.queries import published_organizations

from . import services
from .models import Notice

# (organisation slug or None for the coordination office, topic slugs, title, body, urgent, days valid)
NOTICES = (
    (
        None,
        ["foerderung"],
        "Förderaufruf Digitalisierung: Anträge bis Ende Januar",
        "Das Land fördert Digitalisierungsprojekte kleiner und mittlerer Unternehmen mit bis zu **50 %** der "
        "Ausgaben. Anträge sind bis Ende Januar möglich.\n\n- Beratung durch die Netzwerke ist kostenlos\n"
        "- Fragen Sie uns über das Anfrageformular",
        True,
        14,
    ),
    (
        "energieagentur",
        ["energie", "nachhaltigkeit"],
        "Neue Energieberatung für Betriebe ab Januar",
        "Die Energieagentur bietet ab Januar wieder kostenlose Erstberatungen zur Energieeffizienz an. "
        "Termine vergeben wir in der Reihenfolge der Anfragen.",
        False,
        60,
    ),
    (
        "fachkraefteservice",
        ["fachkraefte"],
        "Ausbildungsmesse: Aussteller gesucht",
        "Für die Thüringer Ausbildungsmesse im Frühjahr suchen wir noch Unternehmen, die sich mit einem "
        "Stand vorstellen. Die Teilnahme ist für Mitglieder der Netzwerke kostenfrei.",
        False,
        45,
    ),
    (
        "itnet",
        ["kuenstliche-intelligenz", "software-it"],
        "KI-Sprechstunde jetzt auch online",
        "Die KI-Sprechstunde für den Mittelstand findet ab sofort auch als Videokonferenz statt. Bringen Sie "
        "Ihre Fragestellung mit; wir vermitteln passende Forschungspartner.",
        False,
        90,
    ),
)


@transaction.atomic
def create_demo_notices(now: dt.datetime) -> int:
    """Enter the demo notices unless there are notices already; returns how many were entered."""
    if Notice.objects.exists():
        return 0
    created = 0
    for slug, topic_slugs, title, body, urgent, days in NOTICES:
        organization = published_organizations().filter(slug=slug).first() if slug else None
        if slug and organization is None:
            continue
        services.create_notice(
            actor=None,
            organization=organization,
            topics=list(Topic.objects.filter(slug__in=topic_slugs)),
            title=title,
            body=body,
            valid_from=now - dt.timedelta(days=1),
            valid_until=now + dt.timedelta(days=days),
            pinned=urgent,
        )
        created += 1
    return created
