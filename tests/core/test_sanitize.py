from crosscluster.core.sanitize import clean_html


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
