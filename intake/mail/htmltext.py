"""HTML-only mail to plain text, without the text a reader never sees.

Hidden text is how spam and phishing get words past filters, and in a submission it would be
words the sender never wrote for us: preheaders (`display:none`, `max-height:0`), `hidden`
elements, scripts and styles, text in white or at font size 0-1px. Such text is dropped; a
styled element hides all it contains. This is not a renderer: CSS classes and colours set in a
`<style>` block are not followed, which is the reasonable limit for a text extractor.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_SKIP = {"script", "style", "head", "title", "template", "svg", "object", "iframe", "xml", "o:p"}
_VOID = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr",
}  # fmt: skip
_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "blockquote", "pre", "section", "article", "header", "footer", "hr", "dt", "dd",
}  # fmt: skip
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all|opacity\s*:\s*0(\.0+)?\s*(;|$)|"
    r"font-size\s*:\s*[01](\.\d+)?\s*(px|pt)?\s*(;|$|!)|max-height\s*:\s*0(px)?\s*(;|$|!)|"
    r"(^|[;\s])(height|width)\s*:\s*0(px)?\s*(;|$|!)|"
    r"(^|[;\s])color\s*:\s*(#fff(fff)?\b|white\b|rgba?\(\s*255\s*,\s*255\s*,\s*255\b)",
    re.IGNORECASE,
)
_WHITE = ("#fff", "#ffffff", "white")
_MAX_DEPTH = 2000


def _hides(tag: str, attrs: list[tuple[str, str | None]]) -> bool:
    if tag in _SKIP:
        return True
    for name, value in attrs:
        if name == "hidden":
            return True
        if name == "style" and value and _HIDDEN_STYLE.search(value):
            return True
        if tag == "font" and name == "color" and (value or "").strip().lower() in _WHITE:
            return True
        if tag == "font" and name == "size" and value and value.strip() in ("0", "-5", "-4"):
            return True
    return False


class _Extractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []
        self.open: dict[str, int] = {}
        self.hidden_depth = 0
        self.parts: list[str] = []
        self.dropped = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")
        if tag in _VOID:
            return
        hides = _hides(tag, attrs)
        if len(self.stack) >= _MAX_DEPTH:
            return  # absurd nesting: keep reading text, stop tracking
        self.stack.append((tag, hides))
        self.open[tag] = self.open.get(tag, 0) + 1
        if hides:
            self.hidden_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")
        if not self.open.get(tag):
            return  # a stray end tag closes nothing
        while self.stack:
            open_tag, hides = self.stack.pop()
            self.open[open_tag] -= 1
            if hides:
                self.hidden_depth -= 1
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.hidden_depth > 0:
            if data.strip():
                self.dropped = True
            return
        self.parts.append(data)


def html_to_text(html: str) -> tuple[str, bool]:
    """Return the visible text of `html`, and whether hidden text was dropped."""
    extractor = _Extractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text, extractor.dropped
