"""Markdown of notices and topic introductions, rendered to HTML that `core.sanitize` has cleaned.

markdown-it-py follows CommonMark, so what an editor types behaves as in every other Markdown tool. Raw HTML
in the source is escaped, not passed through (`html` off), and the result goes through nh3 all the same.
Headings start at level 3, because the page already has its h1 and h2 and the sanitiser keeps only h3 and
h4: `#` becomes h3, everything deeper h4.
"""

from typing import Any

from markdown_it import MarkdownIt

from crosscluster.core.sanitize import clean_html


def _heading(renderer: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
    """Render rule (markdown-it binds it to the renderer): shift a heading to h3 or h4."""
    token = tokens[idx]
    if token.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        token.tag = "h3" if token.tag == "h1" else "h4"
    return renderer.renderToken(tokens, idx, options, env)


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "breaks": True, "typographer": False})
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("heading_close", _heading)
    return md


_md = _parser()


def render_markdown(source: str) -> str:
    """Sanitised HTML of a Markdown text; empty for an empty text."""
    if not source.strip():
        return ""
    return clean_html(_md.render(source)).strip()
