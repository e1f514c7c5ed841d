"""Corrections that last: a person decides once, every later build keeps the decision.

``mapgen build`` writes ``da_correggere.csv``: one line per record that needs a
person (a place not found, ambiguous or not a Comune, a fuzzy match to check, a
practice excluded for missing data). A person fills ``codice_istat``, ``azione``
and ``nota``, saves the file outside the output folder and passes it back with
``--corrections``; :func:`read_corrections` checks it and :func:`apply_corrections`
applies it between geocoding and merging, to survey records and previous-map
features alike.

Columns (``;``-separated, UTF-8 with BOM, as Italian Excel opens them)::

    record;origine;comune_indicato;provincia_indicata;regione_indicata;titolo;
    esito;motivo;candidati;codice_istat;azione;nota

Decisions
---------
``codice_istat``
    A 6-digit ISTAT code or ``Nome (SIGLA)``: the record is placed there (the
    match method becomes ``correzione``). Equal to a fuzzy match, it confirms it.
``azione``
    ``escludi`` (off the map), ``includi`` (back on it: an incomplete response),
    ``unisci <record>`` (the same practice), ``separa <record>`` (two practices).
empty ``record``
    With ``comune_indicato`` (and optionally ``provincia_indicata``) and
    ``codice_istat``: an alias. Every record, in any edition, that typed exactly
    that text gets that Comune.

Lines that cannot be applied become :class:`~mapgen.model.Notice` objects (file,
line, value, fix) shown by the CLI and the report; two lines that contradict each
other raise :class:`~mapgen.errors.CorrectionsError` before anything is written.
"""

from mapgen.corrections.apply import (
    METHOD,
    Review,
    apply_corrections,
    corrected_match,
    put_back,
    settle_pairs,
)
from mapgen.corrections.read import COLUMNS, Corrections, Decision, read_corrections
from mapgen.corrections.review import (
    APPLIED_COLUMNS,
    APPLIED_NAME,
    NOTICE_COLUMNS,
    NOTICE_LIMIT,
    NOTICES_NAME,
    REVIEW_NAME,
    candidates_of,
    decisions_in_use,
    esito,
    how_to_decide,
    lost_decisions,
    needs_person,
    notice_rows,
    notices_in_order,
    origin,
    placeable,
    review_file_rows,
    review_lines,
    review_order,
    review_rows,
    waiting_parts,
    write_review,
)

__all__ = [
    "APPLIED_COLUMNS",
    "APPLIED_NAME",
    "COLUMNS",
    "METHOD",
    "NOTICES_NAME",
    "NOTICE_COLUMNS",
    "NOTICE_LIMIT",
    "REVIEW_NAME",
    "Corrections",
    "Decision",
    "Review",
    "apply_corrections",
    "candidates_of",
    "corrected_match",
    "decisions_in_use",
    "esito",
    "how_to_decide",
    "lost_decisions",
    "needs_person",
    "notice_rows",
    "notices_in_order",
    "origin",
    "placeable",
    "put_back",
    "read_corrections",
    "review_file_rows",
    "review_lines",
    "review_order",
    "review_rows",
    "settle_pairs",
    "waiting_parts",
    "write_review",
]
