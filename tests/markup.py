"""Reading a rendered page's markup in tests: its start tags with their attributes, and its text."""

from html.parser import HTMLParser


class TagCollector(HTMLParser):
    """Every start tag of a page with its attributes, for assertions on the markup."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags_of(response) -> list[tuple[str, dict[str, str]]]:
    collector = TagCollector()
    collector.feed(response.content.decode())
    return collector.tags


def texts(response) -> str:
    return response.content.decode()
