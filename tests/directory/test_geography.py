"""The map of where the members sit (directory.geography): shipped data only, places from the city table."""

import json

import pytest
from django.urls import reverse

from crosscluster.directory.geography import OUTLINE_FILE, WIDTH, _overlaps, member_map
from crosscluster.directory.queries import member_cities
from tests.factories import OrganizationFactory


def test_outline_is_shipped_with_its_source_and_licence():
    outline = json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))

    assert "Natural Earth" in outline["source"] and outline["licence"] == "Public domain (Natural Earth)"
    assert 100 <= len(outline["points"]) <= 300  # simplified: a few kilobytes, not the 1,120 points of 1:10m
    for lon, lat in outline["points"]:
        assert 9.8 < lon < 12.7 and 50.2 < lat < 51.7  # Thüringen's bounding box


def test_member_map_projects_places_inside_the_picture_east_right_north_up():
    result = member_map({"Erfurt": 13, "Jena": 3, "Nordhausen": 1, "Sonneberg": 1})

    places = {place.city: place for place in result.places}
    assert [place.city for place in result.places] == ["Erfurt", "Jena", "Nordhausen", "Sonneberg"]
    assert all(0 <= place.x <= result.width and 0 <= place.y <= result.height for place in result.places)
    assert places["Jena"].x > places["Erfurt"].x  # Jena lies east of Erfurt
    assert places["Nordhausen"].y < places["Erfurt"].y < places["Sonneberg"].y  # north is up
    assert places["Erfurt"].radius > places["Jena"].radius > places["Nordhausen"].radius
    assert result.width == WIDTH and 450 < result.height < 600  # the state is about as tall as wide
    assert result.outline.startswith("M") and result.outline.endswith(" Z")


def test_member_map_lists_cities_without_coordinates_instead_of_guessing():
    result = member_map({"Erfurt": 2, "Atlantis": 1})

    assert [place.city for place in result.places] == ["Erfurt"]
    assert [place.city for place in result.unplaced] == ["Atlantis"]
    assert [place.city for place in result.all_places] == ["Erfurt", "Atlantis"]


def test_member_map_labels_cover_no_dot_and_no_other_label():
    # The demo's crowded middle: Erfurt, Weimar, Arnstadt, Ilmenau and Rudolstadt lie close together.
    cities = ["Erfurt", "Ilmenau", "Jena", "Arnstadt", "Eisenach", "Weimar", "Rudolstadt", "Nordhausen"]
    result = member_map(dict(zip(cities, [13, 3, 3, 1, 1, 1, 1, 1], strict=True)))

    boxes = []
    for place in result.places:
        width = len(place.label) * 0.62 * 17
        left = {"start": place.label_x, "end": place.label_x - width, "middle": place.label_x - width / 2}
        start = left[place.label_anchor]
        boxes.append((start, place.label_y - 13, start + width, place.label_y))
    for index, box in enumerate(boxes):
        assert not any(_overlaps(box, other) for other in boxes[index + 1 :]), result.places[index].city


@pytest.mark.django_db
def test_member_cities_counts_published_organisations_with_a_city():
    OrganizationFactory(city="Jena")
    OrganizationFactory(city="Jena")
    OrganizationFactory(city="Erfurt")
    OrganizationFactory(city="")
    OrganizationFactory(city="Gera", published=False)

    assert member_cities() == {"Jena": 2, "Erfurt": 1}


@pytest.mark.django_db
def test_directory_shows_the_map_with_a_list_that_filters_by_city(client):
    OrganizationFactory(city="Jena")
    OrganizationFactory(city="Bad Köstritz")  # not in the table: listed, not drawn

    response = client.get(reverse("directory:list"))

    html = response.content.decode()
    assert '<svg viewBox="-12 -12 624 ' in html and 'aria-hidden="true" focusable="false">' in html
    assert "<text" in html and ">Jena</text>" in html
    assert "Bad Köstritz</text>" not in html
    assert f'<a href="{reverse("directory:list")}?city=Jena">Jena</a>' in html
    assert f'<a href="{reverse("directory:list")}?city=Bad%20K%C3%B6stritz">Bad Köstritz</a>' in html
    assert f'href="{reverse("directory:videos")}"' in html
    # no map tiles, scripts or fonts from elsewhere: the picture is inline
    assert "openstreetmap" not in html.split('id="karte"')[1]
