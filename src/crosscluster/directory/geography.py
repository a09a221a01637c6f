"""Where the members sit: an SVG map of Thüringen drawn on the server, with no tiles and no third party.

The outline is Natural Earth's (public domain), simplified and shipped in `data/thueringen-outline.json`
(its `source` field says how it was made). Organisations have only a city, so places are looked up in
`PLACES`, the town centres of Thüringen's towns rounded to 0.01° (about 1 km; geographic facts, entered by
hand, not yet checked against a gazetteer). A city that is not in the table is listed, not drawn.

The map is a picture for the eye (`aria-hidden`); the list of places beside it says the same, links each
place to the directory filtered by that city and is what screen readers and keyboards use.
"""

import json
import math
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

OUTLINE_FILE = Path(__file__).resolve().parent / "data" / "thueringen-outline.json"
WIDTH = 600  # SVG user units; the height follows from the outline's proportions

# (latitude, longitude) of town centres.
PLACES: dict[str, tuple[float, float]] = {
    "Altenburg": (50.99, 12.43),
    "Apolda": (51.03, 11.52),
    "Arnstadt": (50.84, 10.95),
    "Bad Langensalza": (51.11, 10.65),
    "Bad Salzungen": (50.81, 10.23),
    "Eisenach": (50.98, 10.32),
    "Eisenberg": (50.97, 11.90),
    "Erfurt": (50.98, 11.03),
    "Gera": (50.88, 12.08),
    "Gotha": (50.95, 10.70),
    "Greiz": (50.66, 12.20),
    "Heilbad Heiligenstadt": (51.38, 10.14),
    "Hildburghausen": (50.43, 10.73),
    "Ilmenau": (50.68, 10.92),
    "Jena": (50.93, 11.59),
    "Leinefelde-Worbis": (51.39, 10.33),
    "Meiningen": (50.57, 10.42),
    "Mühlhausen": (51.21, 10.46),
    "Nordhausen": (51.50, 10.79),
    "Pößneck": (50.69, 11.60),
    "Rudolstadt": (50.72, 11.34),
    "Saalfeld": (50.65, 11.36),
    "Schleiz": (50.58, 11.81),
    "Schmalkalden": (50.72, 10.45),
    "Sömmerda": (51.16, 11.12),
    "Sondershausen": (51.37, 10.87),
    "Sonneberg": (50.36, 11.17),
    "Stadtroda": (50.86, 11.73),
    "Suhl": (50.61, 10.69),
    "Weimar": (50.98, 11.33),
    "Zella-Mehlis": (50.66, 10.66),
    "Zeulenroda-Triebes": (50.65, 11.98),
}


LABEL_SIZE = 17  # font size of the labels in SVG units (directory/gallery.css says the same)
CHARACTER_WIDTH = 0.62 * LABEL_SIZE  # a generous average for bold sans-serif text


@dataclass
class Place:
    city: str
    count: int
    x: float = 0.0
    y: float = 0.0
    # Where the label is written: its anchor point and text-anchor (set by `_place_labels`).
    label_x: float = 0.0
    label_y: float = 0.0
    label_anchor: str = "start"

    @property
    def radius(self) -> float:
        """The dot's area grows with the number of members (radius with its square root)."""
        return round(5 + 3 * math.sqrt(self.count - 1), 1)

    @property
    def label(self) -> str:
        return f"{self.city} ({self.count})" if self.count > 1 else self.city


@dataclass
class MemberMap:
    width: int
    height: int
    outline: str  # the SVG path
    places: list[Place] = field(default_factory=list)  # drawn, largest first
    unplaced: list[Place] = field(default_factory=list)  # cities without coordinates: listed only

    @property
    def all_places(self) -> list[Place]:
        return sorted([*self.places, *self.unplaced], key=lambda place: (-place.count, place.city))


@cache
def _outline() -> tuple[list[tuple[float, float]], float, float, float, float]:
    points = [(lon, lat) for lon, lat in json.loads(OUTLINE_FILE.read_text(encoding="utf-8"))["points"]]
    lons, lats = [lon for lon, _lat in points], [lat for _lon, lat in points]
    return points, min(lons), max(lons), min(lats), max(lats)


def _projection():
    """Equirectangular around the state's middle latitude: at this size indistinguishable from a
    conformal projection, and simple to check."""
    _points, west, east, south, north = _outline()
    shrink = math.cos(math.radians((north + south) / 2))
    scale = WIDTH / ((east - west) * shrink)
    height = round((north - south) * scale)

    def project(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - west) * shrink * scale, 1), round((north - lat) * scale, 1)

    return project, height


Box = tuple[float, float, float, float]  # left, top, right, bottom


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _place_labels(places: list[Place], width: int) -> None:
    """Write each label right of its dot, else left, above or below: the first side where it covers no
    other dot and no label placed before (places come largest first, so big places choose first)."""
    dots: list[Box] = [(p.x - p.radius, p.y - p.radius, p.x + p.radius, p.y + p.radius) for p in places]
    taken: list[Box] = []
    for place in places:
        text_width = len(place.label) * CHARACTER_WIDTH
        gap = place.radius + 4
        half = LABEL_SIZE / 2
        candidates = [
            (
                place.x + gap,
                place.y + half - 2,
                "start",
                (place.x + gap, place.y - half, place.x + gap + text_width, place.y + half),
            ),
            (
                place.x - gap,
                place.y + half - 2,
                "end",
                (place.x - gap - text_width, place.y - half, place.x - gap, place.y + half),
            ),
            (
                place.x,
                place.y - gap,
                "middle",
                (
                    place.x - text_width / 2,
                    place.y - gap - LABEL_SIZE,
                    place.x + text_width / 2,
                    place.y - gap,
                ),
            ),
            (
                place.x,
                place.y + gap + LABEL_SIZE - 2,
                "middle",
                (
                    place.x - text_width / 2,
                    place.y + gap,
                    place.x + text_width / 2,
                    place.y + gap + LABEL_SIZE,
                ),
            ),
        ]
        own = dots[places.index(place)]
        blocked = [dot for dot in dots if dot is not own] + taken
        free = [
            candidate
            for candidate in candidates
            if candidate[3][0] >= 0
            and candidate[3][2] <= width
            and not any(_overlaps(candidate[3], other) for other in blocked)
        ]
        x, y, anchor, box = (free or candidates)[0]
        place.label_x, place.label_y, place.label_anchor = round(x, 1), round(y, 1), anchor
        taken.append(box)


def member_map(city_counts: dict[str, int]) -> MemberMap:
    """The map for these cities and how many members sit in each (from `queries.member_cities`)."""
    project, height = _projection()
    points, *_bounds = _outline()
    coordinates = [project(lon, lat) for lon, lat in points]
    outline = "M" + " L".join(f"{x},{y}" for x, y in coordinates) + " Z"
    result = MemberMap(width=WIDTH, height=height, outline=outline)
    for city, count in sorted(city_counts.items(), key=lambda item: (-item[1], item[0])):
        place = Place(city=city, count=count)
        if city in PLACES:
            lat, lon = PLACES[city]
            place.x, place.y = project(lon, lat)
            result.places.append(place)
        else:
            result.unplaced.append(place)
    _place_labels(result.places, WIDTH)
    return result
