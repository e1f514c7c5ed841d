"""Descriptions in uMap's markup, as the 2019 map's editors wrote them, with what uMap shows.

Written for mapgen from the markup rules of uMap 3.8.1 (``umap/static/umap/js/modules/utils.js``,
``toHTML`` and the DOMPurify list in ``escapeHTML``; uMap is AGPL-3.0, nothing is copied) and
from the cases its own unit tests name (``umap/static/umap/unittests/utils.js``: titles, lists,
bare and bracketed links, links in parentheses, images with a width, iframes). The expected
text, links and images were worked out by hand from those rules, one case at a time; the
real uMap confirms them in ``tests/umap/test_markup_in_umap.py``.

``visible`` is the text a visitor reads, whitespace runs folded to one space, blocks
(titles, list items, rules) separated by a space. ``links`` and ``images`` are the
``http(s)`` ones only. ``embeds`` are the pages uMap shows in an iframe; the preview links
to them instead (its one deliberate difference), so its text also holds their address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MarkupCase:
    name: str
    text: str
    visible: str
    links: tuple[tuple[str, str], ...] = ()  # (href, text)
    images: tuple[str, ...] = ()
    embeds: tuple[str, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)


CASES: tuple[MarkupCase, ...] = (
    MarkupCase("grassetto e corsivo", "Un **centro** per le *famiglie*.", "Un centro per le famiglie."),
    MarkupCase(
        "titoli",
        "# Centro famiglie\nAperto il lunedì.\n## Orari\nDalle 9 alle 13.",
        "Centro famiglie Aperto il lunedì. Orari Dalle 9 alle 13.",
    ),
    # h6 is not on DOMPurify's list: the tag goes, and the title's line break went with it.
    MarkupCase("titolo di terzo livello", "### Sabato\nchiuso", "Sabatochiuso"),
    MarkupCase(
        "elenco",
        "Servizi:\n* nido\n* ludoteca\n** sezione primavera\nFine.",
        "Servizi: nido ludoteca sezione primavera Fine.",
    ),
    MarkupCase("linea", "Sopra\n---\nSotto", "Sopra Sotto"),
    MarkupCase(
        "indirizzo nel testo",
        "Sito: https://www.comune.bari.it/famiglie e altro",
        "Sito: https://www.comune.bari.it/famiglie e altro",
        links=(("https://www.comune.bari.it/famiglie", "https://www.comune.bari.it/famiglie"),),
    ),
    MarkupCase(
        "collegamento con testo",
        "Vedi [[https://www.example.org/centro|il centro]].",
        "Vedi il centro.",
        links=(("https://www.example.org/centro", "il centro"),),
    ),
    MarkupCase(
        "indirizzo tra parentesi",
        "Regolamento (http://www.example.org/regolamento.pdf)",
        "Regolamento (http://www.example.org/regolamento.pdf)",
        links=(("http://www.example.org/regolamento.pdf", "http://www.example.org/regolamento.pdf"),),
    ),
    MarkupCase(
        "indirizzo con parametri",
        "[[https://www.example.org/?a=1&b=2]]",
        "https://www.example.org/?a=1&b=2",
        links=(("https://www.example.org/?a=1&b=2", "https://www.example.org/?a=1&b=2"),),
    ),
    MarkupCase(
        "immagine",
        "Logo: {{https://www.example.org/logo.png}}",
        "Logo:",
        images=("https://www.example.org/logo.png",),
    ),
    MarkupCase(
        "immagine con larghezza",
        "Foto {{https://www.example.org/foto.jpg|120}} del centro",
        "Foto del centro",
        images=("https://www.example.org/foto.jpg",),
    ),
    MarkupCase(
        "pagina incorporata",
        "Video: {{{https://www.example.org/video}}}",
        "Video:",
        embeds=("https://www.example.org/video",),
    ),
    MarkupCase("collegamento relativo", "[[pagina.html|Pagina]]", "Pagina"),
    MarkupCase("javascript", "[[javascript:window.__xss=1|clic]]", "clic"),
    # h_t_t_p becomes http after the links are made: text, not a link.
    MarkupCase("h_t_t_p", "Indirizzo: h_t_t_p://www.example.org", "Indirizzo: http://www.example.org"),
    MarkupCase(
        "segnaposto",
        'Comune di {comune}, orario {orario|"da definire"}, {assente}fine; scrivere a {email}.',
        "Comune di Bari, orario da definire, fine; scrivere a .",
        properties={"comune": "Bari", "email": "segreteria@example.org"},
    ),
    MarkupCase(
        "html",
        '<b>Nota</b>: <i>aperto</i><script>window.__xss=2</script><img src="x" onerror="window.__xss=3">',
        "Nota: aperto",
    ),
    MarkupCase(
        "collegamento non chiuso",
        "[[https://www.example.org senza chiusura",
        "[[https://www.example.org senza chiusura",
    ),
    MarkupCase("minore di", "Età < 3 anni & genitori", "Età < 3 anni & genitori"),
    MarkupCase(
        "collegamento in grassetto",
        "**[[https://www.example.org/a|grassetto link]]**",
        "grassetto link",
        links=(("https://www.example.org/a", "grassetto link"),),
    ),
    # One star pairs with the next one on the line, as in uMap.
    MarkupCase("stella sola", "*non chiuso e 5 * 3", "non chiuso e 5 3"),
    MarkupCase("righe vuote", "Riga uno\n\nRiga due", "Riga uno Riga due"),
)
