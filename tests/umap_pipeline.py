"""A Python port of what uMap 3.8.1 does to a feature's text before showing it.

Ported line by line from ``umap/static/umap/js/modules/utils.js`` (``greedyTemplate``,
``toHTML``) and ``rendering/template.js`` (``PopupTemplate.toHTML``), so that unit
tests can check the escaping without a browser. DOMPurify (step 3) is not ported:
the tests check that no tag at all comes out of steps 1-2 for survey text, which
makes what DOMPurify would keep irrelevant. The real thing is exercised by
``tests/umap/test_in_umap.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

_PLACEHOLDER = re.compile(r'\{ *([^{}/-]+)(?:\|("[^"]*"))? *\}')


def greedy_template(text: str, data: Mapping[str, Any]) -> str:
    """``utils.js`` ``greedyTemplate`` (ignore=false)."""

    def value_of(match: re.Match[str]) -> str:
        keys = match.group(1).split("|")
        if match.group(2) is not None:
            keys.append(match.group(2))
        value: Any = None
        for key in keys:
            if key.startswith('"') and key.endswith('"'):
                value = key[1:-1]
            else:
                value = data
                for part in key.split("."):
                    value = value.get(part) if isinstance(value, Mapping) else None
                    if value is None:
                        break
            if value is not None:
                break
        return "" if value is None else str(value)

    return _PLACEHOLDER.sub(value_of, text)


_MARKUP: tuple[tuple[str, str, int], ...] = (
    (r"^\*\* (.*)", r"<ul><ul><li>\1</li></ul></ul>", re.M),
    (r"^\* (.*)", r"<ul><li>\1</li></ul>", re.M),
)
_AFTER_LISTS: tuple[tuple[str, str, int], ...] = (
    (r"^### (.*)(\r\n|\r|\n)?", r"<h6>\1</h6>", re.M),
    (r"^## (.*)(\r\n|\r|\n)?", r"<h5>\1</h5>", re.M),
    (r"^# (.*)(\r\n|\r|\n)?", r"<h4>\1</h4>", re.M),
    (r"^---", "<hr>", re.M),
    (r"\*\*(.*?)\*\*", r"<strong>\1</strong>", 0),
    (r"\*(.*?)\*", r"<em>\1</em>", 0),
    (r"(^|\s|>|\()(https?:[^ <)\n]*)", r'\1<a target="_blank" href="\2">\2</a>', 0),
    (r"\[\[(https?:[^\]|]*?)\]\]", r'<a target="_blank" href="\1">\1</a>', 0),
    (r"\[\[(https?:[^|]*?)\|(.*?)\]\]", r'<a target="_blank" href="\1">\2</a>', 0),
    (r"\[\[([^\]|]*?)\]\]", r'<a target="_blank" href="\1">\1</a>', 0),
    (r"\[\[([^|]*?)\|(.*?)\]\]", r'<a target="_blank" href="\1">\2</a>', 0),
    (r"{{{(https?[^|{]*)}}}", r'<div><iframe src="\1"></iframe></div>', 0),
    (r"{{{(https?[^|{]*)\|(\d*)(px)?}}}", r'<div><iframe src="\1"></iframe></div>', 0),
    (r"{{([^\]|]*?)}}", r'<img src="\1">', 0),
    (r"{{([^|]*?)\|(\d*?)(px)?}}", r'<img src="\1">', 0),
    (r"(h_t_t_p)", "http", 0),
)


def to_html(text: str) -> str:
    """``utils.js`` ``toHTML`` without the final DOMPurify pass."""
    if not text:
        return ""
    for pattern, repl, flags in _MARKUP:
        text = re.sub(pattern, repl, text, flags=flags)
    for _ in range(3):
        text = re.sub(r"</ul>(\r\n|\r|\n)<ul>", "", text)
    for pattern, repl, flags in _AFTER_LISTS:
        text = re.sub(pattern, repl, text, flags=flags)
    return text


def popup_html(properties: Mapping[str, Any], template: str = "# {name}\n{description}") -> str:
    """``PopupTemplate.toHTML``: description placeholders, then the template, then markup."""
    data = dict(properties)
    data["description"] = greedy_template(str(properties.get("description", "")), data)
    return to_html(greedy_template(template, data))


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> tuple[list[tuple[str, dict[str, str | None]]], str]:
    """The start tags and the visible text of an HTML fragment, as a browser reads them."""
    collector = _Collect()
    collector.feed(html)
    collector.close()
    return collector.tags, "".join(collector.text)
