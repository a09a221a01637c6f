"""Fixtures for the routing tests: a fast fake encoder by default, the real model where it matters, and a
small hand-made directory (not the benchmark's texts)."""

import hashlib

import numpy as np
import pytest

from crosscluster.core.text import fold, words
from crosscluster.directory.models import Offer, Organization
from crosscluster.routing import services
from crosscluster.routing.encoders import OnnxE5Encoder
from tests.factories import OfferFactory, OrganizationFactory, RegionFactory, TopicFactory

FAKE = "tests.routing.conftest.FakeEncoder"
REAL = "tests.routing.conftest.RealEncoder"


class FakeEncoder:
    """Deterministic and instant: hashed character trigrams of the words, projected to 64 dimensions.

    Similar spellings get similar vectors, which is all the tests of plumbing need; tests of language
    understanding use `RealEncoder`.
    """

    name = "fake-trigrams"
    dim = 64

    def _encode(self, texts):
        result = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in words(text):
                padded = f" {fold(word)} "
                for i in range(len(padded) - 2):
                    digest = hashlib.blake2b(padded[i : i + 3].encode(), digest_size=4).digest()
                    result[row, int.from_bytes(digest, "little") % self.dim] += 1.0
            norm = np.linalg.norm(result[row])
            result[row] = result[row] / norm if norm else 1 / np.sqrt(self.dim)
        return result

    def encode_queries(self, texts):
        return self._encode(list(texts))

    def encode_passages(self, texts):
        return self._encode(list(texts))


class RealEncoder:
    """The production encoder (e5 on ONNX Runtime), loaded once per test run; passage vectors are remembered
    across tests, so each test pays only for its queries."""

    name = OnnxE5Encoder.name
    dim = OnnxE5Encoder.dim
    _model = None
    _passages: dict[str, np.ndarray] = {}

    def __init__(self):
        if RealEncoder._model is None:
            RealEncoder._model = OnnxE5Encoder(threads=0, max_tokens=128)

    def encode_queries(self, texts):
        return self._model.encode_queries(texts)

    def encode_passages(self, texts):
        todo = [text for text in dict.fromkeys(texts) if text not in self._passages]
        if todo:
            for text, vector in zip(todo, self._model.encode_passages(todo), strict=True):
                self._passages[text] = vector
        return np.stack([self._passages[text] for text in texts]) if texts else np.zeros((0, self.dim))


@pytest.fixture(autouse=True)
def fake_encoder(settings):
    """Every routing test starts with the fake encoder and without another test's index.

    On-commit callbacks (and so the embedding task) do not run inside a test's transaction; the index then
    computes what is missing itself, as it does for a few texts in production.
    """
    settings.ROUTING_ENCODER = FAKE
    settings.ROUTING_SYNC_EMBED_MAX = 10_000
    services.clear_index_cache()
    yield
    services.clear_index_cache()


@pytest.fixture
def real_encoder(settings):
    settings.ROUTING_ENCODER = REAL
    services.clear_index_cache()
    return RealEncoder()


def offer(org, title, description, kind=Offer.Kind.ADVICE, topics=()):
    return OfferFactory(
        organization=org, title=title, description=description, kind=kind, topics=list(topics)
    )


@pytest.fixture
def directory(db):
    """Eight organisations of a made-up region, each with its own field, and the coordination office."""
    region = RegionFactory()
    topics = {
        slug: TopicFactory(slug=slug, name=name)
        for slug, name in [
            ("kunststoff", "Kunststoffe"),
            ("foerderung", "Förderung und Finanzierung"),
            ("fachkraefte", "Fachkräfte"),
            ("energie", "Energie"),
            ("export", "Außenwirtschaft"),
            ("bahn", "Bahntechnik"),
            ("wasserstoff", "Wasserstoff"),
            ("vernetzung", "Vernetzung"),
        ]
    }

    def org(slug, name, kind, summary, description, topic):
        return OrganizationFactory(
            region=region,
            slug=slug,
            name=name,
            kind=kind,
            summary=summary,
            description=description,
            topics=[topics[topic]],
        )

    kunststoff = org(
        "kunststoff-netz",
        "Netzwerk Kunststoff",
        Organization.Kind.NETWORK,
        "Netzwerk der kunststoffverarbeitenden Betriebe.",
        "Wir helfen Spritzgießern und Extrudeuren bei Werkstofffragen. Unsere Labore prüfen Formteile.",
        "kunststoff",
    )
    offer(kunststoff, "Werkstoffberatung", "Hilfe bei Bauteilfehlern, Verzug und Materialwahl, mit Rezyklat.")
    offer(kunststoff, "Prüflabor", "Prüfung von Formteilen und Granulaten.", Offer.Kind.INFRASTRUCTURE)

    bank = org(
        "foerderbank",
        "Förderbank des Landes",
        Organization.Kind.SUPPORTER,
        "Zuschüsse und Darlehen für Unternehmen.",
        "Die Förderbank finanziert Investitionen und Gründungen. Sie berät vor dem Antrag.",
        "foerderung",
    )
    offer(bank, "Förderberatung", "Welches Programm passt zu Ihrem Vorhaben? Beratung vor dem Antrag.")
    offer(bank, "Investitionszuschuss", "Zuschuss für neue Maschinen und Gebäude.", Offer.Kind.FUNDING)

    people = org(
        "fachkraefte-service",
        "Fachkräfteservice",
        Organization.Kind.AGENCY,
        "Hilft Arbeitgebern, Personal zu finden und zu halten.",
        "Wir begleiten die Einstellung von Beschäftigten aus dem Ausland. Wir klären Visum und Anerkennung.",
        "fachkraefte",
    )
    offer(people, "Personalgewinnung international", "Visum, Anerkennung von Abschlüssen und Sprachkurse.")

    energy = org(
        "energieagentur",
        "Energieagentur",
        Organization.Kind.AGENCY,
        "Unabhängige Beratung zu Energieeffizienz und Eigenstrom.",
        "Die Agentur zeigt Betrieben, wo sie Strom und Wärme sparen. Sie bewertet Solaranlagen neutral.",
        "energie",
    )
    offer(energy, "Solar-Check", "Lohnt sich Photovoltaik auf dem Dach? Herstellerneutrale Einschätzung.")

    chamber = org(
        "aussenhandel",
        "Kammer für Außenhandel",
        Organization.Kind.CHAMBER,
        "Alles rund um Export und Import.",
        "Die Kammer stellt Ursprungszeugnisse und Carnets aus. Sie berät zu Zoll und Ausfuhrkontrolle.",
        "export",
    )
    offer(chamber, "Exportdokumente", "Ursprungszeugnisse, Bescheinigungen und Carnets für die Ausfuhr.")

    rail = org(
        "bahntechnik",
        "Cluster Bahntechnik",
        Organization.Kind.CLUSTER,
        "Hersteller und Zulieferer von Schienenfahrzeugen.",
        "Der Cluster verbindet Zulieferer von Komponenten für Züge und Straßenbahnen mit den Herstellern.",
        "bahn",
    )
    offer(rail, "Zuliefererbörse Schienenfahrzeuge", "Kontakte zu Einkäufern der Fahrzeughersteller.")

    hydrogen = org(
        "wasserstoff-netz",
        "Wasserstoffnetzwerk",
        Organization.Kind.NETWORK,
        "Unternehmen der Wasserstoffwirtschaft.",
        "Das Netzwerk bringt Erzeuger, Speicherhersteller und Anwender von grünem Wasserstoff zusammen.",
        "wasserstoff",
    )
    offer(hydrogen, "Projektbörse Wasserstoff", "Partner für Erzeugung, Speicherung und Nutzung.")

    office = org(
        "koordination",
        "Koordinierungsstelle",
        Organization.Kind.COORDINATION,
        "Lotse für alle Anliegen der Initiative.",
        "Die Koordinierungsstelle leitet jede Anfrage an den passenden Partner weiter.",
        "vernetzung",
    )
    offer(office, "Lotsendienst", "Persönliche Erstorientierung und Weiterleitung.")
    return region
