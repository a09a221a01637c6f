"""HTML as plain text that keeps what the tags meant, for calendar files, APIs, mails and JSON-LD.

The stored descriptions and notice bodies are HTML cleaned by core.sanitize (p, br, lists, headings, quotes,
links). Django's `strip_tags` glues `<p>A.</p><p>B</p>` to "A.B"; `html_to_text` writes a blank line between
paragraphs, a line break for <br> and each list item on a line of its own.
"""

import re
from html.parser import HTMLParser

from .memo import for_short_texts

_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "pre"}
_LISTS = {"ul", "ol"}
_PARAGRAPH, _LINE = "\n\n", "\n"
_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML's white space; a no-break space stays


class _TextWriter(HTMLParser):
    """Collects text and breaks; `text()` joins them. Entities are decoded once, by the parser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str | tuple[str, str]] = []  # text, or ("break", _PARAGRAPH | _LINE), ("marker", …)
        self.lists: list[list] = []  # [tag, items so far] of the open lists
        self.links: list[tuple[str, int]] = []  # href and where its text begins

    def _break(self, kind: str) -> None:
        self.parts.append(("break", kind))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self._break(_PARAGRAPH)
        elif tag in _LISTS:
            self._break(_LINE if self.lists else _PARAGRAPH)
            self.lists.append([tag, 0])
        elif tag == "li":
            self._break(_LINE)
            kind, count = self.lists[-1] if self.lists else ("ul", 0)
            if self.lists:
                self.lists[-1][1] = count + 1
            indent = "  " * max(len(self.lists) - 1, 0)
            self.parts.append(("marker", f"{indent}{count + 1}. " if kind == "ol" else f"{indent}- "))
        elif tag == "br":
            self._break(_LINE)
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self._break(_PARAGRAPH)
        elif tag in _LISTS:
            if self.lists:
                self.lists.pop()
            self._break(_LINE if self.lists else _PARAGRAPH)
        elif tag == "li":
            self._break(_LINE)
        elif tag == "a" and self.links:
            # A link's target would be lost in text: it follows the link's words, unless they are the address.
            href, begin = self.links.pop()
            words = " ".join("".join(p for p in self.parts[begin:] if isinstance(p, str)).split())
            target = href.removeprefix("mailto:").removeprefix("tel:")
            if href.startswith(("http://", "https://", "mailto:", "tel:")) and target not in words:
                self.parts.append(f" ({target})" if words else target)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def text(self) -> str:
        lines: list[str] = []
        line, pending = "", ""  # the line being written; the strongest break since the last text
        for part in self.parts:
            if isinstance(part, tuple):
                kind, value = part
                if kind == "break":
                    if len(value) > len(pending):
                        pending = value
                    continue
                piece = value  # a list marker: kept as written, at the start of its line
            else:
                piece = _SPACES.sub(" ", part)
                if not piece.strip(" "):
                    if line and not line.endswith(" ") and not pending:
                        line += " "
                    continue
            if pending:
                if line.strip():
                    lines.append(line.rstrip(" "))
                    if pending == _PARAGRAPH:
                        lines.append("")
                elif lines and pending == _PARAGRAPH and lines[-1] != "":
                    lines.append("")
                line, pending = "", ""
            if not line:
                piece = piece if isinstance(part, tuple) else piece.lstrip(" ")
            elif line.endswith(" ") and piece.startswith(" "):
                piece = piece.lstrip(" ")
            line += piece
        if line.strip():
            lines.append(line.rstrip(" "))
        return "\n".join(lines).strip("\n")


@for_short_texts()
def html_to_text(value: str) -> str:
    """Plain text of (cleaned) HTML with its paragraphs, line breaks and list items; see `_TextWriter`.
    Remembered for short texts: the occurrences of a series and a network's events repeat theirs."""
    if "<" not in value and "&" not in value:
        return value.strip()
    writer = _TextWriter()
    writer.feed(value)
    writer.close()
    return writer.text()
