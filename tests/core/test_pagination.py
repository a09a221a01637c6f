"""core/_pagination.html: the one pagination block of every paginated list."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def render(number: int, path: str = "/liste/?city=Erfurt&page=2", **context) -> str:
    page = Paginator(range(5), 2).page(number)
    return render_to_string(
        "core/_pagination.html", {"page": page, **context}, request=RequestFactory().get(path)
    )


def test_pagination_keeps_the_current_parameters_by_default():
    html = render(2)

    assert 'href="?city=Erfurt&amp;page=1" rel="prev"' in html
    assert 'href="?city=Erfurt&amp;page=3" rel="next"' in html
    assert "Seite 2 von 3" in html
    assert 'aria-label="Ergebnisseiten"' in html


def test_pagination_with_a_given_query_string_and_wording():
    html = render(1, query="q=muster&state=open", label="Seiten", previous_label="Neuer", next_label="Älter")

    assert 'href="?q=muster&amp;state=open&amp;page=2" rel="next">Älter</a>' in html
    assert 'rel="prev"' not in html
    assert 'aria-label="Seiten"' in html


def test_pagination_with_an_empty_query_keeps_nothing():
    assert 'href="?page=3" rel="next"' in render(2, query="")


def test_pagination_hidden_for_a_single_page():
    page = Paginator(range(2), 2).page(1)
    assert render_to_string("core/_pagination.html", {"page": page}).strip() == ""
