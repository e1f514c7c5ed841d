"""uMap's text markup as safe HTML, for the preview of text carried from a uMap map.

Descriptions read from a previous uMap map are written in uMap's markup, and uMap 3.8.1
shows them formatted (``umap/static/umap/js/modules/utils.js``, ``toHTML``): ``**bold**``,
``*italic*``, ``# titles``, ``* lists``, ``---``, bare and ``[[url|text]]`` links,
``{{image}}``, ``{{{iframe}}}``, then DOMPurify keeps a list of tags. The preview must
show what the public map will show, so :func:`umap_markup_to_html` applies the same rules,
in the same order, to the same string the uMap writer publishes
(:func:`mapgen.umap.markup.carried_text`), then sanitises the result with nh3
(ammonia, an HTML5 parser like the browser's) more strictly than uMap does:

- links and images only to ``http(s)`` addresses (uMap also lets ``mailto:``, ``tel:`` and
  relative links through); the text of a refused link stays, as text;
- nothing that runs or loads a page: an iframe (``{{{url}}}``) becomes a link to its
  address, audio and video are dropped with their content, and so are scripts and styles;
- no ``style`` except the width uMap gives an image (``{{url|200}}``); every image gets an
  Italian ``alt`` (uMap writes none, and a screen reader would read the file name).

The visible text and the links match the real uMap: ``tests/umap/test_markup.py`` checks
the rules one by one and ``tests/umap/test_markup_in_umap.py`` against uMap 3.8.1 itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from mapgen.umap.template import fill_within, markup_within_limits, normalise_lines

if TYPE_CHECKING:
    import nh3

__all__ = ["DEFAULT_POPUP_TEMPLATE", "display_name", "popup_html", "sanitise", "umap_markup_to_html"]

#: uMap's popup content when a layer sets none (``schema.js``, ``popupContentTemplate``).
DEFAULT_POPUP_TEMPLATE: Final = "# {name}\n{description}"

#: What a screen reader says for an image of a description (uMap gives it no text).
IMAGE_ALT: Final = "Immagine della descrizione"

# JavaScript's \s (ECMAScript WhiteSpace and LineTerminator), which differs from Python's.
_JS_SPACE = r"[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]"
_LINE_END = r"(?:\r\n|\r|\n)"
# uMap's bare-link rule: "http" at the start or after a space, ">" or "(".
_AUTOLINK_NEEDLE = "http"
_AUTOLINK_AFTER = re.compile(_JS_SPACE + r"|>|\(")
_A = r'<a target="_blank" href="\1">\1</a>'
_A_TEXT = r'<a target="_blank" href="\1">\2</a>'
_IFRAME = r'<div><a target="_blank" href="\1">\1</a></div>'


def _rules() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """uMap 3.8.1's ``toHTML`` rules after the lists, in its order (JS flags: m = MULTILINE).

    Each rule comes with a string it cannot match without: most texts use few of the rules.
    """
    rules = (
        ("#", r"^### (.*)" + _LINE_END + "?", r"<h6>\1</h6>", re.M),
        ("#", r"^## (.*)" + _LINE_END + "?", r"<h5>\1</h5>", re.M),
        ("#", r"^# (.*)" + _LINE_END + "?", r"<h4>\1</h4>", re.M),
        ("---", r"^---", "<hr>", re.M),
        ("**", r"\*\*(.*?)\*\*", r"<strong>\1</strong>", 0),
        ("*", r"\*(.*?)\*", r"<em>\1</em>", 0),
        (_AUTOLINK_NEEDLE, r"(^|" + _AUTOLINK_AFTER.pattern + r")(https?:[^ <)\n]*)",
         r'\1<a target="_blank" href="\2">\2</a>', 0),
        ("[[", r"\[\[(https?:[^\]|]*?)\]\]", _A, 0),
        ("[[", r"\[\[(https?:[^|]*?)\|(.*?)\]\]", _A_TEXT, 0),
        ("[[", r"\[\[([^\]|]*?)\]\]", _A, 0),
        ("[[", r"\[\[([^|]*?)\|(.*?)\]\]", _A_TEXT, 0),
        # uMap embeds these pages in an iframe; the preview links to them instead.
        ("{{{", r"\{\{\{(https?[^|{]*)\}\}\}", _IFRAME, 0),
        ("{{{", r"\{\{\{(https?[^|{]*)\|([0-9]*)(px)?\}\}\}", _IFRAME, 0),
        ("{{{", r"\{\{\{(https?[^|{]*)\|([0-9]*)(px)?\*([0-9]*)(px)?\}\}\}", _IFRAME, 0),
        ("{{", r"\{\{([^\]|]*?)\}\}", r'<img src="\1">', 0),
        ("{{", r"\{\{([^|]*?)\|([0-9]*?)(px)?\}\}", r'<img src="\1" style="width:\2px;min-width:\2px;">', 0),
        ("h_t_t_p", r"(h_t_t_p)", "http", 0),
    )
    return tuple((needle, re.compile(pattern, flags), repl) for needle, pattern, repl, flags in rules)


_RULES: Final = _rules()
_SUBLIST = re.compile(r"(?m)^\*\* (.*)")
_LIST = re.compile(r"(?m)^\* (.*)")
_LIST_JOIN = re.compile(r"</ul>" + _LINE_END + "<ul>")

# uMap's DOMPurify list (utils.js escapeHTML) without iframe, audio, video and source.
_TAGS: Final = frozenset({
    "h3", "h4", "h5", "hr", "strong", "em", "ul", "li", "a", "div", "img", "br", "span",
    "dt", "dd", "b", "i", "kbd",
})  # fmt: skip
_ATTRIBUTES: Final = {
    "a": {"href", "target", "title", "dir"},
    "img": {"src", "width", "height", "style", "title", "alt"},
    "*": {"dir", "title"},
}
_DROP_WITH_CONTENT: Final = frozenset({"script", "style", "audio", "video", "iframe", "object", "embed", "template"})
_WEB: Final = re.compile(r"https?://", re.IGNORECASE)


def to_html(text: str) -> str:
    """uMap's ``toHTML`` before DOMPurify: markup rules only, HTML in ``text`` left as is.

    Line breaks must be ``\\n`` only (:func:`~mapgen.umap.markup.carried_text`
    makes them so): JavaScript's ``.`` and ``^`` also treat ``\\r``, U+2028 and U+2029 as
    line ends, Python's do not.
    """
    if not text:
        return ""
    if "* " in text:
        text = _SUBLIST.sub(r"<ul><ul><li>\1</li></ul></ul>", text)
        text = _LIST.sub(r"<ul><li>\1</li></ul>", text)
        for _ in range(3):  # uMap joins three times; once a pass joins nothing, so would the next
            text, joined = _LIST_JOIN.subn("", text)
            if not joined:
                break
    for needle, pattern, repl in _RULES:
        # The autolink rule tries its prefix at every character (a third of this function's
        # time): skip it when no "http" stands where it could start a bare link.
        if needle in text and (needle != _AUTOLINK_NEEDLE or _may_autolink(text)):
            text = pattern.sub(repl, text)
    return text


def _may_autolink(text: str) -> bool:
    """False when no ``http`` in ``text`` starts it or follows a space, ``>`` or ``(``."""
    start = text.find(_AUTOLINK_NEEDLE)
    while start != -1:
        if start == 0 or _AUTOLINK_AFTER.fullmatch(text[start - 1]):
            return True
        start = text.find(_AUTOLINK_NEEDLE, start + len(_AUTOLINK_NEEDLE))
    return False


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    """Only http(s) addresses; only the width uMap gives an image; links open a new tab."""
    if name in ("href", "src"):
        return value if _WEB.match(value.strip()) else None
    if name == "style":
        return value if tag == "img" and re.fullmatch(r"(?:(?:min-)?width:[0-9]*px;)*", value) else None
    if name == "target":
        return "_blank"
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    import nh3

    return nh3.Cleaner(
        tags=set(_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https"},
        url_relative="deny",
        link_rel="noopener noreferrer",
        set_tag_attribute_values={"img": {"alt": IMAGE_ALT}},
    )


def sanitise(html: str) -> str:
    """Keep only the tags and attributes listed above, web addresses only, tags balanced."""
    return _cleaner().clean(html)


def umap_markup_to_html(text: str) -> str:
    """Format uMap markup as uMap 3.8.1 shows it, as HTML safe to put in a page.

    Examples
    --------
    >>> umap_markup_to_html("Un **centro** [[https://example.org|aperto]]")
    'Un <strong>centro</strong> <a target="_blank" href="https://example.org" rel="noopener noreferrer">aperto</a>'
    >>> umap_markup_to_html('<img src=x onerror="alert(1)">[[javascript:alert(1)|no]]')
    '<img alt="Immagine della descrizione"><a target="_blank" rel="noopener noreferrer">no</a>'
    """
    return sanitise(to_html(text))


def display_name(properties: Mapping[str, Any], label_key: str, layer_name: str) -> str:
    """uMap 3.8.1's ``getDisplayName``: the layer's label key (a template or a property),
    then ``name``, then ``title`` (uMap's default label keys), else the layer's name."""
    if "{" in label_key:
        filled = fill_within(label_key, properties)
        if filled is not None:
            return filled.strip()
        label_key = ""  # too large to fill: the default label keys, as for a layer without one
    for key in (label_key, "name", "title"):
        value = properties.get(key) if key else None
        if value:
            return str(value).strip()
    return layer_name.strip()


def popup_html(properties: Mapping[str, Any], template: str, *, name: str = "") -> str:
    """A feature's popup content as uMap 3.8.1 shows it, as safe HTML.

    ``rendering/template.js`` ``PopupTemplate.toHTML``: the description's placeholders are
    filled from the feature's properties, then the layer's template's, then the markup is
    formatted; ``name`` stands in for a missing ``name`` (:func:`display_name`). Contact
    properties fill nothing (:func:`~mapgen.umap.template.fill_placeholders`). Content that
    filling would make larger than :data:`~mapgen.umap.template.MARKUP_MAX_CHARS` shows the
    description as typed (a template of 20,000 ``{description}`` took 4 GB).
    """
    values = dict(properties)
    if values.get("name") is None:  # properties.name ?? feature.getDisplayName()
        values["name"] = name
    typed = normalise_lines(str(properties.get("description") or ""))
    values["description"] = fill_within(typed, values)
    content = fill_within(normalise_lines(template), values) if values["description"] is not None else None
    if content is None:
        return html.escape(typed)
    return umap_markup_to_html(content) if markup_within_limits(content) else html.escape(content)
