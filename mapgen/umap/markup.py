"""Text for uMap: survey answers made inert for uMap's popup pipeline.

uMap does not escape feature text, it *interprets* it (uMap 3.8.1,
``umap/static/umap/js/modules/``):

1. ``rendering/template.js`` ``PopupTemplate.toHTML``: the ``description`` has its
   ``{key}`` placeholders filled (``utils.js`` ``greedyTemplate``), then the layer's
   ``popupContentTemplate`` is filled the same way;
2. ``utils.js`` ``toHTML`` applies uMap's markup (``*`` ``**`` ``#`` ``---`` ``[[url|text]]``
   ``{{image}}`` ``{{{iframe}}}`` ``h_t_t_p``, line-start lists and headings);
3. ``utils.js`` ``escapeHTML`` runs DOMPurify, which still lets ``img``, ``iframe``,
   ``a`` and ``style=`` through, and the result goes to ``innerHTML``.

So survey text is HTML-escaped and every character that steps 1-2 react to is
written as a numeric character reference: the regular expressions of steps 1-2
never see it, and the browser's HTML parser in step 3 turns it back into the
character. The rule is documented for template authors in ``templates/README.md``.

``name`` is different: uMap also shows it through ``textContent`` (data browser,
filters), where an entity would show literally, so titles stay plain text with
only the characters that would turn into markup replaced by look-alikes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any, Final
from urllib.parse import quote, urlsplit

from mapgen.model import Initiative, Source
from mapgen.umap.html import sanitise
from mapgen.umap.template import PLACEHOLDER, fill_within, markup_within_limits, normalise_lines

__all__ = [
    "carried_description",
    "carried_markup",
    "carried_text",
    "plain_text",
    "plain_url",
    "render_template",
    "safe_url",
    "shown_as_typed",
    "umap_text",
]

# HTML's specials (" because toHTML's autolink puts a bare URL inside href="..."), then
# what greedyTemplate ({ }) and toHTML (* [ ] { } | # and _ of h_t_t_p) react to. The
# apostrophe stays: uMap builds attributes with double quotes only.
_ENTITIES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "*": "&#42;",
    "{": "&#123;",
    "}": "&#125;",
    "[": "&#91;",
    "]": "&#93;",
    "|": "&#124;",
    "_": "&#95;",
    "#": "&#35;",
}
_TABLE = str.maketrans(_ENTITIES)
# toHTML's line-start rules use JavaScript's /m flag, where \r, \u2028 and \u2029 also end
# a line; newlines are normalised to \n first, so only \n matters here.
_LINE_START_DASH = re.compile(r"(?m)^-")
#: What umap_text changes: a character of _ENTITIES, a line-start dash, a line break other than \n
#: or a control character (normalise_lines); most values hold none and are returned as they are.
_TRIGGERS = re.compile(r'[&<>"*{}\[\]|_#\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]|(?m:^-)')

# Plain text (titles, flat properties): < > would be parsed as tags by DOMPurify and
# innerHTML; * [[ ]] {{ }} would turn into uMap markup in `# {name}`.
_PLAIN = str.maketrans({"<": "‹", ">": "›", "*": "∗"})
_PLAIN_PAIRS = (("[[", "[ ["), ("]]", "] ]"), ("{{", "{ {"), ("}}", "} }"))
_SPACES = re.compile(r"\s+")
_BLANK_LINES = re.compile(r"\n{3,}")
#: What plain_text changes: a space other than " ", two spaces, a space at an end, a control
#: character (normalise_lines), < > *, [[ ]] {{ }}; most titles hold none and are returned as they are.
_PLAIN_TRIGGERS = re.compile(r"[^\S ]|  |^\s|\s$|[<>*\x00-\x08\x0e-\x1f\x7f]|\[\[|\]\]|\{\{|\}\}")


def umap_text(text: str) -> str:
    """Escape survey text so uMap shows it literally, line breaks kept.

    Examples
    --------
    >>> umap_text("5 * 3 {campo} <b>")
    '5 &#42; 3 &#123;campo&#125; &lt;b&gt;'
    """
    if not _TRIGGERS.search(text):
        return text
    text = normalise_lines(text)
    return _LINE_START_DASH.sub("&#45;", text.translate(_TABLE))


#: Nested braces (``{{{a}}}``) are made inert one level per pass: past this depth a text is
#: shown as typed (24,000 levels took 66 s).
MAX_BRACE_DEPTH: Final = 20

_OPEN_LINK = re.compile(r"\[\[(?!.*?\]\])", re.S)
_OPEN_IMAGE = re.compile(r"\{\{(?!.*?\}\})", re.S)


def carried_text(text: str, properties: Mapping[str, Any]) -> str:
    """A description read from a uMap map, to publish again with its markup working.

    Unlike survey answers (:func:`umap_text`), this text was written for uMap and the
    old map showed it formatted, so its markup is kept. It is made to show the same
    as it did on the old map, wherever the new popup template places it:

    1. line breaks become ``\\n`` and control characters go (as in :func:`umap_text`);
    2. ``{key}`` placeholders are filled from the feature's own ``properties``, once, as
       the old map did; a contact property (``email``, ``telefono``...) fills nothing;
    3. HTML in the filled text is sanitised as the preview sanitises it (no script, no
       iframe, web addresses only, tags balanced so that none runs on into the lines
       after): after filling, so that a value cannot bring in what the text may not hold;
    4. what would still read as a placeholder has its braces written as entities, so the
       new map's greedyTemplate leaves it alone (repeated: ``{{a}}`` holds two);
    5. a ``[[`` or ``{{`` that is never closed is written as entities too: in the new
       popup more lines follow the description and the link must not swallow them.

    A text too costly to format (:func:`carried_markup` gives None) is escaped as a survey
    answer is, and shows as typed. The preview formats exactly this string
    (:mod:`mapgen.umap.html`).

    Examples
    --------
    >>> carried_text("**Nido** {comune}: [[https://x.it|sito]] {{a", {"comune": "Bari"})
    '**Nido** Bari: [[https://x.it|sito]] &#123;&#123;a'
    """
    formatted = carried_markup(text, properties)
    return formatted if formatted is not None else umap_text(text)


def carried_markup(text: str, properties: Mapping[str, Any]) -> str | None:
    """:func:`carried_text` when the text can be formatted in bounded time and size, else None.

    None when the filled text passes :data:`~mapgen.umap.template.MARKUP_MAX_CHARS` or
    :func:`~mapgen.umap.template.markup_within_limits` (checked on the filled text: a value
    can bring ``[[`` in), or when braces nest deeper than :data:`MAX_BRACE_DEPTH`.
    """
    filled = fill_within(normalise_lines(text), properties)
    if filled is None:
        return None
    if "<" in filled:
        filled = sanitise(filled)
    if not markup_within_limits(filled):
        return None
    for _ in range(MAX_BRACE_DEPTH + 1):  # each pass makes one level of nested braces inert
        escaped = PLACEHOLDER.sub(_inert_placeholder, filled)
        if escaped == filled:
            break
        filled = escaped
    else:
        return None
    filled = _OPEN_LINK.sub("&#91;&#91;", filled)
    return _OPEN_IMAGE.sub("&#123;&#123;", filled)


def carried_description(record: Initiative) -> str | None:
    """The description of a record read from a uMap map, as :func:`carried_text` publishes it.

    None for survey text (shown as typed), for an empty description and for one too costly to
    format (:func:`carried_markup`): both writers ask here, so the map and the preview always
    agree on which texts are formatted.
    """
    text = record.descrizione.strip()
    if record.source.source is not Source.PREVIOUS or not text:
        return None
    return carried_markup(text, record.properties)


def shown_as_typed(record: Initiative) -> bool:
    """True for a description read from a uMap map that is too costly to format (for the report)."""
    return (
        record.source.source is Source.PREVIOUS
        and bool(record.descrizione.strip())
        and carried_description(record) is None
    )


def _inert_placeholder(match: re.Match[str]) -> str:
    return "&#123;" + match.group(0)[1:-1] + "&#125;"


def plain_text(text: str) -> str:
    """One line of text that uMap shows as typed wherever it shows it (titles, filters).

    Examples
    --------
    >>> plain_text("Bonus <b>2020</b>  * [[x]]")
    'Bonus ‹b›2020‹/b› ∗ [ [x] ]'
    """
    if not _PLAIN_TRIGGERS.search(text):
        return text
    text = _SPACES.sub(" ", normalise_lines(text)).strip().translate(_PLAIN)
    for pair, spaced in _PLAIN_PAIRS:
        while pair in text:
            text = text.replace(pair, spaced)
    return text


@lru_cache(maxsize=4096)  # asked twice per feature (its link and its popup), and links repeat
def plain_url(url: str) -> str | None:
    """Return an ``http(s)`` URL with markup and tag characters percent-encoded, else None.

    For flat properties (data browser, Table popups): ``"`` ``<`` ``>`` ``|`` ``[`` ``]``
    ``*`` ``{`` ``}`` and spaces can neither form a tag nor uMap markup once encoded, and
    the link still leads to the same page.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return quote(url, safe="/:?=&%#+,;@!$~.-()")


def safe_url(url: str) -> str | None:
    """Return an ``http(s)`` URL made safe inside ``[[url]]``, or None for anything else.

    As :func:`plain_url`, with ``&`` written as ``&amp;`` for the ``href`` uMap builds.
    """
    encoded = plain_url(url)
    return encoded.replace("&", "&amp;") if encoded is not None else None


@cache
def _markup_type() -> type[str]:
    from markupsafe import Markup

    return Markup


def _finalize(value: Any) -> str:
    """Escape every ``{{ value }}`` for uMap unless the template marked it safe (``Markup``)."""
    if value.__class__ is str:  # most values (Markup is a subclass): no isinstance check
        return umap_text(value)
    if isinstance(value, _markup_type()):
        return value
    return umap_text("" if value is None else str(value))


@cache
def _environment() -> Any:
    import jinja2

    from mapgen._resources import templates_dir

    # finalize does all the escaping: umap_text escapes HTML's specials too, and a value marked
    # safe passes as it is, as under autoescape. Autoescape on top would only wrap every value
    # in Markup and check it again (0.3 s of CPU for 8,000 popups), giving the same text.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=False,
        finalize=_finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # one template per feature: don't stat the file each time
    )


@cache
def _template(name: str) -> tuple[Any, dict[str, Any]]:
    """The compiled template and, as a plain dict, the Jinja globals it sees."""
    template = _environment().get_template(name)
    return template, dict(template.globals)


def render_template(name: str, context: Mapping[str, Any]) -> str:
    """Render ``templates/<name>``; every value is escaped with :func:`umap_text`."""
    template, names = _template(name)
    # What Template.render does, but with the globals merged from a plain dict: Jinja merges
    # them from a ChainMap, a third of the time of each render (one per feature).
    try:
        text: str = template.environment.concat(
            template.root_render_func(template.new_context({**names, **context}, shared=True))
        )
    except Exception:
        template.environment.handle_exception()
    # Blank lines left by optional sections would show as gaps (uMap keeps line breaks).
    return (_BLANK_LINES.sub("\n\n", text) if "\n\n\n" in text else text).strip()
