"""Text carried from a uMap map: published with its markup, previewed as uMap formats it.

Cases and hand-worked expectations: ``tests/umap/markup_cases.py``. Here the preview's
HTML is read with the standard library's parser; the same cases run through the real
uMap 3.8.1 and the preview in Chromium in ``tests/umap/test_markup_in_umap.py``.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mapgen.umap.html import IMAGE_ALT, umap_markup_to_html
from mapgen.umap.markup import carried_text
from tests.umap.markup_cases import CASES, MarkupCase

_BLOCKS = {"h3", "h4", "h5", "h6", "div", "ul", "li", "hr", "p", "br"}
# What the sanitiser may let through: uMap's DOMPurify list without iframe, audio, video, source.
_ALLOWED = {"h3", "h4", "h5", "hr", "strong", "em", "ul", "li", "a", "div", "img", "br", "span",
            "dt", "dd", "b", "i", "kbd"}  # fmt: skip


class _Reader(HTMLParser):
    """Visible text (blocks apart, as innerText puts them), tags, links and images."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.links: list[list[str]] = []  # [href, text]
        self.open_link: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in _BLOCKS:
            self.parts.append(" ")
        if tag == "a" and dict(attrs).get("href"):
            self.open_link = [str(dict(attrs)["href"]), ""]
            self.links.append(self.open_link)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append(" ")
        if tag == "a":
            self.open_link = None

    def handle_data(self, data: str) -> None:
        self.parts.append(data)
        if self.open_link is not None:
            self.open_link[1] += data


def read(html: str) -> _Reader:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader


def fold_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def preview_html(case: MarkupCase) -> str:
    return umap_markup_to_html(carried_text(case.text, case.properties))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_preview_shows_what_umap_shows(case: MarkupCase) -> None:
    page = read(preview_html(case))
    embeds = [href for href, text in page.links if href == text and href in case.embeds]
    assert fold_spaces("".join(page.parts)) == fold_spaces(" ".join([case.visible, *embeds]))
    links = [(href, text) for href, text in page.links if href not in case.embeds]
    assert links == list(case.links)
    assert [a["src"] for tag, a in page.tags if tag == "img" and a.get("src")] == list(case.images)
    assert embeds == list(case.embeds)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_nothing_runs_and_only_web_addresses_stay(case: MarkupCase) -> None:
    for tag, attributes in read(preview_html(case)).tags:
        assert tag in _ALLOWED, tag
        assert not [name for name in attributes if name.startswith("on")], (tag, attributes)
        for name in ("href", "src"):
            if name in attributes:
                assert re.match(r"https?://", str(attributes[name])), (tag, attributes)
        if tag == "img":
            assert attributes["alt"] == IMAGE_ALT
        if tag == "a" and "href" in attributes:
            assert attributes["target"] == "_blank" and attributes["rel"] == "noopener noreferrer"


def test_headings_and_lists_are_real_elements() -> None:
    html = preview_html(CASES[1]) + preview_html(CASES[3])
    tags = [tag for tag, _ in read(html).tags]
    assert tags == ["h4", "h5", "ul", "li", "li", "ul", "li"]


def test_carried_text_keeps_markup_for_umap() -> None:
    text = "# Titolo\n**grassetto** [[https://www.example.org/a?x=1&y=2|sito]]\n* voce\n{{https://www.example.org/l.png}}"
    assert carried_text(text, {}) == (
        "# Titolo\n**grassetto** [[https://www.example.org/a?x=1&y=2|sito]]\n* voce\n{{https://www.example.org/l.png}}"
    )


@pytest.mark.parametrize(
    ("text", "published"),
    [
        # What the new map's greedyTemplate would still fill is made inert; {{a}} holds two.
        ("{{{a}}}", "{{}}"),
        ("{x}", ""),
        ('{b|"c"}', "c"),
        ("valore {v}", "valore &#123;1&#125;"),  # a filled value that reads as a placeholder
        # A [[ or {{ never closed would swallow the popup's next lines in uMap.
        ("[[https://a.example senza fine", "&#91;&#91;https://a.example senza fine"),
        ("{{https://a.example/x.png", "&#123;&#123;https://a.example/x.png"),
        ("[[chiuso]] e [[aperto", "[[chiuso]] e &#91;&#91;aperto"),
        # HTML balanced and cleaned: an open <a> or <div> would run on into the next lines.
        ('<a href="https://a.example">aperto', '<a href="https://a.example" rel="noopener noreferrer">aperto</a>'),
        ("<div>senza fine", "<div>senza fine</div>"),
        ("a\r\nb\rc\u2028d\x07", "a\nb\nc\nd"),
    ],
)
def test_carried_text_for_the_new_map(text: str, published: str) -> None:
    assert carried_text(text, {"v": "{1}"}) == published


def test_contact_properties_fill_nothing() -> None:
    properties = {"Email": "a@example.org", "telefono": "080 1234567", "orario": "9-13"}
    assert carried_text("{Email} {telefono} {orario}", properties) == "  9-13"


def test_a_description_too_costly_to_format_is_shown_as_typed() -> None:
    """uMap's link rules scan the rest of the text per "[[": past the limits the text is plain, on both sides."""
    from markupsafe import Markup

    from fixtures import factories
    from mapgen.umap.template import MARKUP_MAX_CHARS, MARKUP_MAX_OPENINGS
    from mapgen.writers import preview, umap

    costly = "[[a " * (MARKUP_MAX_OPENINGS + 1) + "**b**"
    fine = "[[a " * MARKUP_MAX_OPENINGS + "**b**"
    for text, formatted in ((costly, False), (fine, True), ("**b** " + "x" * MARKUP_MAX_CHARS, False)):
        record = factories.initiative("2019-x-1", edition=2019, descrizione=text)
        assert isinstance(umap._description(record), Markup) is formatted  # plain str: escaped by the template
        shown, html = preview._description(record)
        assert (shown, bool(html)) == (("", True) if formatted else (text, False))


# --- the fast paths of issue 28: a text with nothing to change is returned as it is ----------------

_ALPHABET = st.sampled_from(list("ab -\n\r\t&<>\"*{}[]|_#\x00\x07\x0b\x0c\x1f\x7f\x85\u2028\u2029é€"))


def _umap_text_every_step(text: str) -> str:
    """umap_text before issue 28: every step on every text."""
    import re as _re

    from mapgen.umap.markup import _TABLE

    lines = _re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", _re.sub(r"\r\n|[\r\u2028\u2029\x85]", "\n", text))
    return _re.sub(r"(?m)^-", "&#45;", lines.translate(_TABLE))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(_ALPHABET, max_size=12), st.text(max_size=12)))
def test_umap_text_skips_only_texts_it_would_not_change(text: str) -> None:
    from mapgen.umap.markup import umap_text
    from mapgen.umap.template import normalise_lines

    assert umap_text(text) == _umap_text_every_step(text)
    assert normalise_lines(text) == _re_normalised(text)


def _re_normalised(text: str) -> str:
    return re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", re.sub(r"\r\n|[\r\u2028\u2029\x85]", "\n", text))


# --- issue 29: what a placeholder brings, and what filling costs ---------------------------

# What a previous map's editor could have put in a property: a page embedded from another
# host and a transparent layer over the whole map, never closed.
_HOSTILE_ORARI = (
    '<iframe src="https://tracker.example/pixel"></iframe>'
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%">9-13'
)


def _previous(descrizione: str, **properties: object) -> object:
    from fixtures import factories

    return factories.initiative("2019-x-1", edition=2019, descrizione=descrizione, properties=properties)


def test_html_a_placeholder_brings_is_sanitised_and_shown_alike() -> None:
    """`Orari: {orari}` used to publish the iframe and the overlay that the preview hid."""
    from mapgen.writers import preview, umap

    published = carried_text("Orari: {orari}\n**chiuso** il lunedì", {"orari": _HOSTILE_ORARI})
    assert published == "Orari: <div>9-13\n**chiuso** il lunedì</div>"  # worked out by hand: nh3 closes the div
    record = _previous("Orari: {orari}\n**chiuso** il lunedì", orari=_HOSTILE_ORARI)
    assert str(umap._description(record)) == published  # the map
    assert preview._description(record) == ("", umap_markup_to_html(published))  # the preview, from the same text
    for shown in (published, preview._description(record)[1]):
        assert "iframe" not in shown and "tracker" not in shown and "position" not in shown


def test_filling_is_bounded_and_a_costly_description_is_shown_as_typed() -> None:
    from markupsafe import Markup

    from mapgen.umap.markup import carried_description
    from mapgen.umap.template import MARKUP_MAX_CHARS, MARKUP_MAX_OPENINGS
    from mapgen.writers import preview, umap

    cases = {
        # 2,000 placeholders of a 1 KB value: 2 MB once filled (20,000 of 25 KB grew a layer past 500 MB).
        "grande": ("{a}" * 2_000, {"a": "x" * 1_000}),
        # The limit on [[ is for the text uMap formats, after filling.
        "aperture": ("{a}", {"a": "[[a " * (MARKUP_MAX_OPENINGS + 1)}),
        # One level of braces peeled per pass: 24,000 levels took 66 s.
        "annidate": ("{" * 24_000 + "a" + "}" * 24_000, {}),
    }
    for name, (text, properties) in cases.items():
        record = _previous(text, **properties)
        assert carried_description(record) is None, name
        assert not isinstance(umap._description(record), Markup), name  # plain: the template escapes it
        assert preview._description(record) == (text, ""), name
        assert len(carried_text(text, properties)) <= 6 * max(len(text), MARKUP_MAX_CHARS), name


def test_a_kept_layers_template_is_filled_within_bounds() -> None:
    """A kept layer's template of 20,000 {description} killed the preview at 4 GB."""
    from mapgen.umap.html import display_name, popup_html
    from mapgen.umap.template import MARKUP_MAX_CHARS

    properties = {"name": "Sede", "description": "Aperto <b>lunedì</b> " * 50}
    html = popup_html(properties, "{description}" * 20_000, name="Sede")
    assert len(html) <= 6 * MARKUP_MAX_CHARS
    assert html == "Aperto &lt;b&gt;lunedì&lt;/b&gt; " * 50  # the description as typed
    assert display_name(properties, "{description}" * 20_000, "Livello") == "Sede"
