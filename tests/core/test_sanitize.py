import pytest
from django.utils.translation import gettext_lazy

from crosscluster.core.sanitize import clean_html, clean_text, clean_texts


def test_clean_html_removes_scripts_and_handlers():
    dirty = '<p onclick="steal()">Hallo <script>alert(1)</script><a href="javascript:alert(2)">x</a></p>'
    cleaned = clean_html(dirty)
    assert "<script" not in cleaned
    assert "onclick" not in cleaned
    assert "javascript:" not in cleaned
    assert cleaned.startswith("<p>Hallo")


def test_clean_html_keeps_formatting_and_safe_links():
    cleaned = clean_html('<p><strong>Wichtig</strong> <a href="https://example.org">Link</a></p>')
    assert "<strong>Wichtig</strong>" in cleaned
    assert 'href="https://example.org"' in cleaned
    assert 'rel="noopener noreferrer nofollow"' in cleaned


# Characters that XML 1.0 forbids (issue 12, point 3). Tab, line feed and carriage return are allowed.
NOT_TEXT = [chr(code) for code in range(0x20) if chr(code) not in "\t\n\r"] + [
    "\x7f",
    "\ud800",
    "\udbff",
    "\udc00",
    "\udfff",
    "\ufffe",
    "\uffff",
]


@pytest.mark.parametrize("character", NOT_TEXT, ids=[f"U+{ord(c):04X}" for c in NOT_TEXT])
def test_clean_text_removes_what_xml_forbids(character):
    expected = "a\nb" if character in "\x0b\x0c" else "ab"

    assert clean_text(f"a{character}b") == expected


def test_clean_text_keeps_text_line_breaks_and_other_planes():
    text = "Tab\tLF\nCR\r Ümlaut € \u2028 \ue000 \U0001f600 \U0010fffd \x85 \ufffd"

    assert clean_text(text) == text


def test_clean_text_turns_word_line_and_page_breaks_into_line_breaks():
    assert clean_text("Erste Zeile\x0bzweite Zeile\x0cneue Seite") == "Erste Zeile\nzweite Zeile\nneue Seite"


def test_clean_texts_cleans_strings_inside_containers_and_lazy_translations():
    value = {"a\x01": ["b\x02", ("c\x03",), 4, None], "d": gettext_lazy("Topic")}

    assert clean_texts(value) == {"a": ["b", ("c",), 4, None], "d": "Thema"}  # German by default


def test_clean_html_removes_control_characters_too():
    assert clean_html("<p>a\x01b\x0bc</p>") == "<p>ab\nc</p>"
