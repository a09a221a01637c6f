"""German and English texts (core/bilingual.py): the fallback, its marking, and queries in German."""

import pytest
from django.template import Context, Template
from django.utils import translation

from crosscluster.core.bilingual import Localized, all_texts, localized, texts
from crosscluster.directory.models import Organization
from tests.factories import OrganizationFactory, TopicFactory

pytestmark = pytest.mark.django_db


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_localized_gives_the_english_text_on_english_pages():
    org = OrganizationFactory(summary="Ein Netzwerk.", summary_en="A network.")

    with translation.override("en"):
        assert localized(org, "summary") == Localized("A network.", "en", fallback=False)
        assert org.summary == "A network."
    assert localized(org, "summary") == Localized("Ein Netzwerk.", "de", fallback=False)
    assert org.summary == "Ein Netzwerk."


def test_a_missing_english_text_falls_back_to_german_and_says_so():
    org = OrganizationFactory(name="PolymerNetz", summary="Ein Netzwerk.", description="")

    with translation.override("en"):
        assert localized(org, "summary") == Localized("Ein Netzwerk.", "de", fallback=True)
        assert org.summary == "Ein Netzwerk."
        assert localized(org, "description") == Localized("", "en", fallback=False)


def test_texts_and_all_texts_give_both_languages_whatever_is_active():
    topic = TopicFactory(name="Kunststoffe", name_en="Plastics")

    with translation.override("en"):
        assert texts(topic, "name") == {"de": "Kunststoffe", "en": "Plastics"}
        assert all_texts(topic, "name") == "Kunststoffe\nPlastics"
    assert all_texts(TopicFactory(name="Logistik"), "name") == "Logistik"


def test_lang_attr_marks_only_a_german_fallback_on_an_english_page():
    org = OrganizationFactory(name="PolymerNetz", summary="Ein Netzwerk.", summary_en="A network.")
    source = (
        '<h1{% lang_attr org "name" %}>{{ org.name }}</h1>'
        '<p{% lang_attr org "summary" %}>{{ org.summary }}</p>'
    )

    with translation.override("en"):
        assert render(source, org=org) == '<h1 lang="de">PolymerNetz</h1><p>A network.</p>'
    assert render(source, org=org) == "<h1>PolymerNetz</h1><p>Ein Netzwerk.</p>"


def test_localized_tag_wraps_a_german_fallback_in_a_span_and_escapes():
    org = OrganizationFactory(name="Kunst & <Stoff>")

    with translation.override("en"):
        assert (
            render('{% localized org "name" %}', org=org)
            == '<span lang="de">Kunst &amp; &lt;Stoff&gt;</span>'
        )
    org.name_en = "Plastics & Co"
    with translation.override("en"):
        assert render('{% localized org "name" %}', org=org) == "Plastics &amp; Co"


def test_queries_read_a_plain_name_as_the_german_column_in_every_language():
    OrganizationFactory(slug="b", name="Beta", name_en="Alpha (English)")
    OrganizationFactory(slug="a", name="Alpha")
    OrganizationFactory(slug="c", name="Gamma")

    with translation.override("en"):
        assert list(Organization.objects.order_by("name").values_list("slug", flat=True)) == ["a", "b", "c"]
        assert list(Organization.objects.values_list("slug", flat=True)) == ["a", "b", "c"]  # Meta.ordering
        assert Organization.objects.get(name="Beta").slug == "b"
        created = Organization(region=Organization.objects.get(slug="a").region, slug="d", name="Delta")
    assert (created.name_de, created.name_en) == ("Delta", None)
