"""The build report for staff: ``report.csv`` (one row per input record) and ``report.html``.

Totals
------
Every input record (a survey practice, a feature of a previous map) has exactly
one :class:`~mapgen.model.RowOutcome`, and every outcome falls in exactly one of
four buckets (:data:`BUCKETS`), so that::

    inputs = mapped + merged + excluded + unresolved

``mapped``
    ``mapped``: the record is published as an initiative (the newest record of
    it). There is exactly one per published initiative.
``merged``
    ``merged`` (the same practice in another edition, joined into it) and
    ``duplicate`` (submitted twice in one edition; the latest was kept): the
    record's initiative is published through another record.
``excluded``
    ``excluded`` (incomplete response, no practice filled) and ``carried``
    (a feature of a previous-map layer that holds something other than
    initiatives, carried over unchanged): not published as an initiative, by design.
``unresolved``
    ``unresolved``, ``ambiguous`` and ``not_a_comune``: the place could not be
    tied to one Comune; staff must fix the input (the report says how).

:func:`report_totals` computes them; ``mapgen build`` prints ``Totals.lines()``
and the HTML page shows the same numbers with the check.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TypeVar

from mapgen._csv import write_excel_csv
from mapgen._resources import templates_dir
from mapgen.corrections import (
    METHOD,
    NOTICE_LIMIT,
    NOTICES_NAME,
    REVIEW_NAME,
    candidates_of,
    how_to_decide,
    needs_person,
    notices_in_order,
    origin,
    placeable,
    review_order,
    waiting_parts,
)
from mapgen.errors import GazetteerError, OutputError
from mapgen.i18n import Message, _, _l, _lc, language, ngettext, render
from mapgen.model import (
    AREAS,
    BuildResult,
    Candidate,
    MapInitiative,
    Match,
    Outcome,
    OutputOptions,
    RowOutcome,
    Source,
    SourceRef,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from mapgen.gazetteer import Gazetteer

__all__ = [
    "BUCKETS",
    "BUCKET_LABELS",
    "OUTCOME_LABELS",
    "REPORT_COLUMNS",
    "Reach",
    "Totals",
    "build_summary_lines",
    "needing_person",
    "reach_by_region",
    "report_rows",
    "report_totals",
    "write_report",
    "write_report_csv",
    "write_report_html",
]

log = logging.getLogger(__name__)

CSV_NAME = "report.csv"
HTML_NAME = "report.html"
TEMPLATE = "report.html.j2"

#: The four buckets of the totals and the outcomes each one counts (see the module docstring).
BUCKETS: Final[Mapping[str, tuple[Outcome, ...]]] = {
    "mapped": (Outcome.MAPPED,),
    "merged": (Outcome.MERGED, Outcome.DUPLICATE),
    "excluded": (Outcome.EXCLUDED, Outcome.CARRIED),
    "unresolved": (Outcome.UNRESOLVED, Outcome.AMBIGUOUS, Outcome.NOT_A_COMUNE),
}

#: Italian names of the buckets, as the HTML report shows them.
BUCKET_LABELS: Final[Mapping[str, str]] = {
    "mapped": "pubblicate",
    "merged": "unite a un'altra",
    "excluded": "escluse",
    "unresolved": "da risolvere",
}

#: Italian label of each outcome (the stable code is the enum value).
OUTCOME_LABELS: Final[Mapping[Outcome, str]] = {
    Outcome.MAPPED: "pubblicata",
    Outcome.MERGED: "unita all'edizione più recente",
    Outcome.DUPLICATE: "duplicato",
    Outcome.EXCLUDED: "esclusa",
    Outcome.UNRESOLVED: "Comune non trovato",
    Outcome.AMBIGUOUS: "Comune ambiguo",
    Outcome.NOT_A_COMUNE: "non è un Comune",
    Outcome.CARRIED: "altro contenuto, riportato",
}

# The words of the CLI lines (the person's language; the report uses the labels above).
_BUCKET_WORDS: Final[Mapping[str, Message]] = {
    "mapped": _l("mapped"), "merged": _l("merged"), "excluded": _l("excluded"), "unresolved": _l("unresolved"),
}
_OUTCOME_WORDS: Final[Mapping[Outcome, Message]] = {
    Outcome.MAPPED: _lc("outcome", "mapped"),
    Outcome.MERGED: _lc("outcome", "merged"),
    Outcome.DUPLICATE: _lc("outcome", "duplicate"),
    Outcome.EXCLUDED: _lc("outcome", "excluded"),
    Outcome.UNRESOLVED: _lc("outcome", "unresolved"),
    Outcome.AMBIGUOUS: _lc("outcome", "ambiguous"),
    Outcome.NOT_A_COMUNE: _lc("outcome", "not a Comune"),
    Outcome.CARRIED: _lc("outcome", "carried over"),
}

_SOURCE_LABELS: Final[Mapping[Source, str]] = {
    Source.SURVEY: "questionario",
    Source.PREVIOUS: "mappa precedente",
}

# --- totals -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Totals:
    """What happened to the input records, in the four buckets of :data:`BUCKETS`.

    ``by_outcome`` counts every :class:`~mapgen.model.Outcome` (zeros included,
    enum order); ``by_file`` counts records per input file, in input order;
    ``initiatives`` and ``comuni`` count what is published. ``orphans`` lists
    record ids whose ``initiative_id`` names no published initiative.
    """

    inputs: int
    by_outcome: tuple[tuple[Outcome, int], ...]
    by_file: tuple[tuple[str, int], ...]
    initiatives: int
    comuni: int
    orphans: tuple[str, ...] = ()

    def count(self, outcome: Outcome) -> int:
        """Records with this outcome."""
        return dict(self.by_outcome).get(outcome, 0)

    def bucket(self, name: str) -> int:
        """Records in the bucket ``name`` (``mapped``, ``merged``, ``excluded``, ``unresolved``)."""
        return sum(self.count(outcome) for outcome in BUCKETS[name])

    @property
    def mapped(self) -> int:
        """Records published as an initiative."""
        return self.bucket("mapped")

    @property
    def merged(self) -> int:
        """Records joined into another record's initiative (other edition, or duplicate)."""
        return self.bucket("merged")

    @property
    def excluded(self) -> int:
        """Records left out by design (incomplete, or not an initiative)."""
        return self.bucket("excluded")

    @property
    def unresolved(self) -> int:
        """Records whose place is not one Comune: staff must fix them."""
        return self.bucket("unresolved")

    @property
    def adds_up(self) -> bool:
        """True when inputs = the four buckets, one mapped record per initiative, no orphans."""
        buckets = self.mapped + self.merged + self.excluded + self.unresolved
        return self.inputs == buckets and self.mapped == self.initiatives and not self.orphans

    def equation(self) -> str:
        """``"12 = 6 + 2 + 1 + 3"``: inputs = mapped + merged + excluded + unresolved."""
        parts = (self.mapped, self.merged, self.excluded, self.unresolved)
        return f"{self.inputs} = " + " + ".join(str(n) for n in parts)

    def lines(self) -> list[str]:
        """The totals as lines of text in the person's language, for ``mapgen build`` to print."""
        files = ", ".join(f"{name} {n}" for name, n in self.by_file)
        lines = [_("Records read: {count}", count=self.inputs) + (f" ({files})" if files else "")]
        words = {name: str(word) for name, word in _BUCKET_WORDS.items()}
        width = max(11, *(len(word) + 1 for word in words.values()))
        for name in BUCKETS:
            counted = [o for o in BUCKETS[name] if self.count(o)]
            detail = ", ".join(f"{_OUTCOME_WORDS[o]} {self.count(o)}" for o in counted)
            line = f"  {words[name]:<{width}}{self.bucket(name):>6}"
            lines.append(line + (f"  ({detail})" if detail else ""))
        lines.append(_("Published: {initiatives} initiatives in {comuni} Comuni", initiatives=self.initiatives,
                       comuni=self.comuni))
        lines.append(_("Check: inputs = mapped + merged + excluded + unresolved: {equation}",
                       equation=self.equation()) + " " + ("(ok)" if self.adds_up else _("(MISMATCH)")))
        if self.orphans:
            lines.append(_("Records pointing to no published initiative: {ids}", ids=", ".join(self.orphans)))
        return lines


def report_totals(build: BuildResult) -> Totals:
    """Count the build's outcomes in the four buckets; pure, cheap, for the CLI and the report.

    Parameters
    ----------
    build
        The result of the pipeline.

    Examples
    --------
    >>> totals = report_totals(build)  # doctest: +SKIP
    >>> print("\\n".join(totals.lines()))  # doctest: +SKIP
    """
    outcomes = Counter(o.outcome for o in build.outcomes)
    files = Counter(o.source.file for o in build.outcomes)
    published = {i.id for i in build.initiatives}
    return Totals(
        inputs=len(build.outcomes),
        by_outcome=tuple((outcome, outcomes[outcome]) for outcome in Outcome),
        by_file=tuple(files.items()),  # Counter keeps first-seen (input) order
        initiatives=len(build.initiatives),
        comuni=len({i.comune.istat_code for i in build.initiatives}),
        orphans=tuple(o.record_id for o in build.outcomes
                      if o.initiative_id and o.initiative_id not in published),
    )


def needing_person(build: BuildResult) -> int:
    """How many records need a person (unresolved, ambiguous, fuzzy to check...): ``--strict`` fails on them."""
    return sum(needs_person(o) for o in build.outcomes)


def _is_warning(line: str | Message) -> bool:
    return (line.msgid if isinstance(line, Message) else line).startswith("Warning: ")


def build_summary_lines(build: BuildResult, out_dir: Path, files: Sequence[Path]) -> list[str]:
    """What ``mapgen build`` prints when done, in English.

    The files written with their sizes (``files`` relative to ``out_dir``), the totals, the
    warnings about the inputs, the corrections applied and refused, and where to go for the
    records that need a person.
    """
    lines = [ngettext("Wrote {count} file to {folder}:", "Wrote {count} files to {folder}:", len(files),
                      folder=out_dir)]
    lines += [f"  {name}  ({(out_dir / name).stat().st_size / 1024:,.0f} KB)" for name in files]
    lines += report_totals(build).lines()
    lines += [str(line) for line in build.inputs if _is_warning(line)]  # e.g. incomplete responses
    if build.corrections:
        lines.append(_("Corrections applied: {count} (see {file})", count=len(build.corrections),
                       file="correzioni_applicate.csv"))
    refused = [n for n in build.notices if n.kind == "correzione"]
    lines += [_("Correction not applied: {notice}", notice=n) for n in refused[:NOTICE_LIMIT]]
    if len(refused) > NOTICE_LIMIT:
        lines.append(ngettext("... and {count} more correction not applied: see {file}",
                              "... and {count} more corrections not applied: see {file}",
                              len(refused) - NOTICE_LIMIT, file=out_dir / NOTICES_NAME))
    if waiting := needing_person(build):
        unresolved, fuzzy, missing = waiting_parts(build.outcomes)
        lines.append(ngettext(
            "{count} record needs a person ({unresolved} unresolved, {fuzzy} placements to check, {missing} "
            "excluded for missing data): open {report} or fill {review}, then rebuild with --corrections.",
            "{count} records need a person ({unresolved} unresolved, {fuzzy} placements to check, {missing} "
            "excluded for missing data): open {report} or fill {review}, then rebuild with --corrections.",
            waiting, unresolved=unresolved, fuzzy=fuzzy, missing=missing, report=out_dir / HTML_NAME,
            review=out_dir / REVIEW_NAME,
        ))
    return lines


# --- report.csv ---------------------------------------------------------------------------

#: Columns of ``report.csv``, in file order.
REPORT_COLUMNS: Final = (
    "origine", "file", "riga", "elemento", "livello", "pratica", "record_id",
    "comune_indicato", "provincia_indicata", "regione_indicata", "titolo",
    "esito", "esito_codice", "id_iniziativa", "istat", "comune_trovato", "sigla",
    "stato_match", "metodo", "punteggio", "candidati", "motivo", "correzione",
    "decisione", "avvisi",
)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def candidate_label(candidate: Candidate) -> str:
    """``Samone (TO) 001235, punteggio 100`` (Italian, for staff)."""
    c = candidate
    return f"{c.name} ({c.sigla}) {c.istat_code}, punteggio {c.score:.0f}"


def reason_of(outcome: RowOutcome) -> str:
    """The outcome's reason, or the matcher's hint when the pipeline gave none."""
    return outcome.reason or (outcome.match.hint if outcome.match else "")


def fix_of(outcome: RowOutcome) -> str:
    """The exact fix for staff: a decision for a record that needs a person, else the pipeline's."""
    if needs_person(outcome):
        return how_to_decide(outcome)
    return outcome.fix


def _source_cells(ref: SourceRef) -> list[str]:
    return [
        _SOURCE_LABELS.get(ref.source, ref.source.value), ref.file, _text(ref.row),
        _text(ref.feature), _text(ref.layer), _text(ref.group),
    ]


def _match_cells(outcome: RowOutcome) -> list[str]:
    match = outcome.match
    if match is None:
        return ["", "", "", "", "", "", ""]
    return [
        _text(match.istat_code), _text(match.name), _text(match.sigla), match.status.value,
        match.method, f"{match.score:.1f}" if match.score else "",
        "; ".join(candidate_label(c) for c in match.candidates),
    ]


def report_rows(build: BuildResult) -> list[list[str]]:
    """One row of :data:`REPORT_COLUMNS` per input record, in input order.

    Cells are plain text; :func:`mapgen._csv.write_excel_csv` neutralises formulas on writing.
    """
    decisions = _decisions(build)
    warnings = _warnings_by_record(build)
    rows = []
    for o in build.outcomes:
        rows.append([
            *_source_cells(o.source), o.record_id,
            o.typed.comune, o.typed.provincia, o.typed.regione, o.titolo,
            OUTCOME_LABELS[o.outcome], o.outcome.value, o.initiative_id,
            *_match_cells(o), reason_of(o), fix_of(o),
            decision_of(o, decisions), " | ".join(warnings.get(o.record_id, ())),
        ])
    return rows


def _decisions(build: BuildResult) -> dict[str, str]:
    """``record id -> "correzioni.csv, riga 4: escludi"`` for every correction naming a record."""
    found: dict[str, str] = {}
    for a in build.corrections:
        if a.record:
            found.setdefault(a.record, f"{a.file}, riga {a.line}: {a.action}")
    return found


def decision_of(outcome: RowOutcome, decisions: Mapping[str, str]) -> str:
    """The correction that decided this record (an alias too: its line is in the match's evidence)."""
    match = outcome.match
    if match is not None and match.method == METHOD and "line" in match.raw:
        return decisions.get(outcome.record_id) or f"{match.raw.get('file', '')}, riga {match.raw['line']}: alias"
    return decisions.get(outcome.record_id, "")


def _warnings_by_record(build: BuildResult) -> dict[str, list[str]]:
    """The reader's warnings of each record: by its id, else by its file and row."""
    by_row: dict[tuple[str, int], list[str]] = defaultdict(list)
    by_id: dict[str, list[str]] = defaultdict(list)
    for n in build.notices:
        if n.kind != "lettura":
            continue
        message, fix = n.staff_message, n.staff_fix
        text = f"{n.column}: {n.value!r}: {message} {fix}".strip() if n.column else f"{message} {fix}"
        if n.record_id:
            by_id[n.record_id].append(text)
        elif n.row is not None:
            by_row[(n.file, n.row)].append(text)
    found: dict[str, list[str]] = {}
    for o in build.outcomes:
        texts = [*by_id.get(o.record_id, ()), *by_row.get((o.source.file, o.source.row or 0), ())]
        if texts:
            found[o.record_id] = texts
    return found


# --- report.html --------------------------------------------------------------------------


def _method(match: Match | None) -> str:
    if match is not None and match.method == METHOD and "line" in match.raw:
        return f"metodo correzione ({match.raw.get('file', '')}, riga {match.raw['line']})"
    if match is None or not match.score:
        return ""
    return f"metodo {match.method}, punteggio {match.score:.0f}"


@dataclass(frozen=True, slots=True)
class _RowView:
    """What the page shows for one record; plain strings, escaped by the template.

    Attributes rather than a dict: Jinja looks ``r.code`` up with ``getattr`` first, and a
    failed ``getattr`` on a dict costs an exception per cell (seconds at 100,000 rows).
    """

    where: str
    record_id: str
    typed: str
    titolo: str
    code: str
    label: str
    initiative_id: str
    initiative_title: str
    found: str
    method: str
    candidates: list[str]
    reason: str
    fix: str


def _row_view(outcome: RowOutcome, titles: Mapping[str, str]) -> _RowView:
    """What the page shows for one record."""
    match = outcome.match
    return _RowView(
        where=origin(outcome.source),
        record_id=outcome.record_id,
        typed=str(outcome.typed),
        titolo=outcome.titolo,
        code=outcome.outcome.value,
        label=OUTCOME_LABELS[outcome.outcome],
        initiative_id=outcome.initiative_id,
        initiative_title=titles.get(outcome.initiative_id, ""),
        found=f"{match.name} ({match.sigla})" if match and match.name else "",
        method=_method(match),
        candidates=[candidate_label(c) for c in match.candidates] if match else [],
        reason=reason_of(outcome),
        fix=fix_of(outcome),
    )


#: Rows shown per table in report.html; beyond it the page says so and points to report.csv
#: (at 100,000 records the full page weighed 98 MB, too much for a browser to open comfortably).
HTML_ROW_LIMIT = 5000

# --- the big tables, escaped here ----------------------------------------------------------
#
# Autoescape makes a ``Markup`` per printed value: 230,000 of them at 10,000 records, about half
# the page's rendering. The big tables (the rows, the Comuni, the edition lists) get their texts
# escaped here by markupsafe in one call, and the template prints them with autoescape off.

#: Joins the texts escaped in one call; markupsafe leaves it as it is.
_SEPARATOR: Final = "\x00"

_View = TypeVar("_View", bound="DataclassInstance")


def _escaped(texts: Sequence[str]) -> list[str]:
    """``texts`` HTML-escaped by markupsafe, byte for byte as autoescape would print each one."""
    from markupsafe import escape

    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != max(len(texts) - 1, 0):  # a text holds the separator: one by one
        return [str(escape(text)) for text in texts]
    return str(escape(joined)).split(_SEPARATOR) if texts else []


def _escaped_column(values: list[Any]) -> list[Any]:
    """One field of many views escaped: texts, lists of texts; numbers as they are (autoescape prints
    them as ``str`` does)."""
    if all(map(isinstance, values, repeat(str))):
        return _escaped(values)
    if all(map(isinstance, values, repeat(list))):  # a row's candidates
        texts = iter(_escaped([text for v in values for text in v]))
        return [[next(texts) for _ in v] for v in values]
    if any(isinstance(v, str | list) for v in values):  # a text left raw would be printed raw
        raise TypeError(f"cannot escape a field mixing texts and other values: {values[:3]}")
    return values


def _escaped_views(views: Sequence[_View]) -> list[_View]:
    """Copies of ``views`` (frozen dataclasses of one kind) with every text escaped, field by field.

    Only for what the template prints with autoescape off: printed with it on, a text would show
    its escapes (``&amp;``).
    """
    if not views:
        return []
    kind = type(views[0])
    names = [field.name for field in dataclasses.fields(kind)]
    columns = [_escaped_column([getattr(view, name) for view in views]) for name in names]
    return [kind(*values) for values in zip(*columns, strict=True)]


def _sections(build: BuildResult) -> dict[str, list[int]]:
    """The records of each table of rows (all of them), as indexes of ``build.outcomes``, in table order."""
    outcomes = build.outcomes
    waiting = sorted(
        (n for n, o in enumerate(outcomes) if needs_person(o)),
        key=lambda n: review_order(outcomes[n]),  # sorted() is stable: input order kept
    )
    return {
        "attention": waiting,
        "excluded": [n for n, o in enumerate(outcomes) if o.outcome in BUCKETS["excluded"]],
        "merged": [n for n, o in enumerate(outcomes) if o.outcome in BUCKETS["merged"]],
        "all": list(range(len(outcomes))),
    }


def _shown_rows(build: BuildResult, sections: Mapping[str, Sequence[int]]) -> dict[str, list[_RowView]]:
    """The rows each table shows (at most HTML_ROW_LIMIT), escaped; a record in two tables is made once."""
    titles = {i.id: i.record.titolo for i in build.initiatives}
    shown = sorted({n for indexes in sections.values() for n in indexes[:HTML_ROW_LIMIT]})
    views = _escaped_views([_row_view(build.outcomes[n], titles) for n in shown])
    by_index = dict(zip(shown, views, strict=True))
    return {name: [by_index[n] for n in indexes[:HTML_ROW_LIMIT]] for name, indexes in sections.items()}


def _bars(counts: Mapping[str, int]) -> list[dict[str, Any]]:
    """Rows of a bar chart, largest first (ties by name); ``share`` in 0-1 of the largest."""
    top = max(counts.values(), default=0) or 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"label": k, "count": v, "share": round(v / top, 4)} for k, v in ordered]


def _per_region(build: BuildResult) -> list[dict[str, Any]]:
    """Initiatives and Comuni per region, largest first."""
    items: dict[str, int] = Counter(i.comune.region for i in build.initiatives)
    comuni: dict[str, set[str]] = defaultdict(set)
    for i in build.initiatives:
        comuni[i.comune.region].add(i.comune.istat_code)
    return [{**bar, "comuni": len(comuni[bar["label"]])} for bar in _bars(items)]


@dataclass(frozen=True, slots=True)
class Reach:
    """Where a region's practices reach: Comuni and residents aged 0-17.

    ``direct`` counts the Comuni a practice is placed in; ``through_association`` the other
    Comuni that belong to an association (Unione, Ambito) with a practice on the map.
    ``minors_reached`` are the residents aged 0-17 of either, ``minors`` those of every
    current Comune of the region (ISTAT; a Comune without the figure counts 0).
    """

    region: str
    direct: int
    through_association: int
    minors_reached: int
    minors: int

    @property
    def share(self) -> float:
        """Residents aged 0-17 in a reached Comune, in percent (0 when the gazetteer has no figures)."""
        return 100 * self.minors_reached / self.minors if self.minors else 0.0


def _members_of(item: MapInitiative) -> tuple[str, ...]:
    """The ISTAT codes of the Comuni an initiative reaches through its association, if any."""
    if item.members:
        return tuple(c.istat_code for c in item.members)
    return item.association.members if item.association is not None else ()


def reach_by_region(build: BuildResult, gazetteer: Gazetteer) -> tuple[list[Reach], Reach]:
    """Comuni reached directly and only through an association, and the 0-17 share, per region.

    Returns the regions with at least one Comune reached, by name, and the total for Italy.
    """
    direct = {i.comune.istat_code for i in build.initiatives}
    through = {code for i in build.initiatives for code in _members_of(i)} - direct
    minors: Counter[str] = Counter()
    for current in gazetteer.active():
        minors[current.region_code] += current.population_0_17 or 0
    regions: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for codes, column in ((direct, 0), (through, 1)):
        for code in codes:
            comune = gazetteer.by_code(code)
            if comune is None:
                continue
            names[comune.region_code] = comune.region
            counts = regions.setdefault(comune.region_code, [0, 0, 0])
            counts[column] += 1
            counts[2] += comune.population_0_17 or 0
    rows = sorted(
        (Reach(names[code], d, t, m, minors[code]) for code, (d, t, m) in regions.items()),
        key=lambda r: r.region,
    )
    total = Reach("Italia", sum(r.direct for r in rows), sum(r.through_association for r in rows),
                  sum(r.minors_reached for r in rows), sum(minors.values()))
    return rows, total


def _per_area(build: BuildResult) -> list[dict[str, Any]]:
    """Initiatives per thematic area, in questionnaire order (an initiative may have several)."""
    counts = {area: sum(area in i.record.aree for i in build.initiatives) for area in AREAS}
    top = max(counts.values(), default=0) or 1
    return [{"label": a, "count": n, "share": round(n / top, 4)} for a, n in counts.items()]


def _per_edition(build: BuildResult) -> list[dict[str, Any]]:
    years = sorted({*build.editions, *(y for i in build.initiatives for y in i.edizioni)})
    return [{"year": y, "count": sum(y in i.edizioni for i in build.initiatives)} for y in years]


def _comune_labels(codes: Sequence[str], gazetteer: Gazetteer) -> list[str]:
    """``Castro (LE) - Puglia`` for each ISTAT code, sorted; unknown codes shown as they are."""
    labels = []
    for code in codes:
        found = gazetteer.by_code(code)
        labels.append(f"{found.label} – {found.region}" if found else code)
    return sorted(labels)


@dataclass(frozen=True, slots=True)
class _InitiativeLabel:
    """One initiative in the lists of the edition comparison (attributes: see :class:`_RowView`)."""

    id: str
    titolo: str
    comune: str


def _initiative_labels(
    ids: Sequence[str], by_id: Mapping[str, MapInitiative]
) -> list[_InitiativeLabel]:
    views = []
    for id_ in sorted(ids):
        item = by_id.get(id_)
        views.append(_InitiativeLabel(id_, item.record.titolo if item else "", item.comune.label if item else ""))
    return views


def _diff_view(build: BuildResult, gazetteer: Gazetteer) -> dict[str, Any]:
    diff = build.diff
    by_id = {i.id: i for i in build.initiatives}
    return {
        "newest": diff.newest,
        "previous": ", ".join(str(y) for y in diff.previous),
        # The lists are printed with autoescape off (thousands of lines): escaped here.
        "comuni_new": _escaped(_comune_labels(diff.comuni_new, gazetteer)),
        "comuni_dropped": _escaped(_comune_labels(diff.comuni_dropped, gazetteer)),
        "continued": _escaped_views(_initiative_labels(diff.continued, by_id)),
        "new": _escaped_views(_initiative_labels(diff.new, by_id)),
        "not_resubmitted": _escaped_views(_initiative_labels(diff.not_resubmitted, by_id)),
    }


def _totals_view(totals: Totals) -> list[dict[str, Any]]:
    return [
        {
            "name": name, "label": BUCKET_LABELS[name], "count": totals.bucket(name),
            "outcomes": [(OUTCOME_LABELS[o], o.value, totals.count(o)) for o in BUCKETS[name]],
        }
        for name in BUCKETS
    ]


# --- the small map (inline SVG, no tiles: works offline) -----------------------------------

_MAP_WIDTH: Final = 360
_MAP_BOUNDS: Final = (6.5, 35.4, 18.6, 47.2)  # lon/lat box of Italy, with a margin
_MAP_SIMPLIFY: Final = 0.02  # degrees (~2 km): the map is a few hundred pixels wide
# Sequential palette (ColorBrewer "Blues", 5 classes); grey for regions with none.
_SHADES: Final = ("#eeeeee", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")


@dataclass(frozen=True, slots=True)
class _Projection:
    """Equirectangular projection scaled to the map width (good enough for a sketch of Italy)."""

    scale: float
    xscale: float

    @classmethod
    def for_italy(cls) -> _Projection:
        import math

        west, south, east, north = _MAP_BOUNDS
        xscale = math.cos(math.radians((south + north) / 2))
        return cls(scale=_MAP_WIDTH / ((east - west) * xscale), xscale=xscale)

    @property
    def height(self) -> int:
        return round((_MAP_BOUNDS[3] - _MAP_BOUNDS[1]) * self.scale)

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        x = (lon - _MAP_BOUNDS[0]) * self.xscale * self.scale
        return round(x, 1), round((_MAP_BOUNDS[3] - lat) * self.scale, 1)


def _svg_path(geometry: Any, projection: _Projection) -> str:
    """SVG path data of a (Multi)Polygon: one ``M … Z`` per ring."""
    import shapely

    rings = []
    for polygon in shapely.get_parts(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            points = [projection.xy(x, y) for x, y in ring.coords]
            rings.append("M" + " L".join(f"{x:g},{y:g}" for x, y in points) + " Z")
    return " ".join(rings)


def _shade(count: int, top: int) -> str:
    if count == 0 or top == 0:
        return _SHADES[0]
    return _SHADES[min(len(_SHADES) - 1, 1 + (count - 1) * (len(_SHADES) - 1) // top)]


@dataclass(frozen=True, slots=True)
class _LegendClass:
    """One colour of the map's legend: the counts ``low``-``high`` it stands for (0-0: none)."""

    fill: str
    low: int
    high: int


def _legend(top: int) -> list[_LegendClass]:
    """The colour classes of :func:`_shade` for counts up to ``top``, with their ranges.

    Count ``c`` >= 1 is in class ``k`` when ``k - 1 <= (c - 1) * n // top < k`` (``n`` classes),
    that is ``ceil((k - 1) * top / n) < c <= ceil(k * top / n)``; classes no count falls in
    (``top`` below ``n``) are left out.
    """
    n = len(_SHADES) - 1
    classes = [_LegendClass(_SHADES[0], 0, 0)]
    for k in range(1, n + 1):
        low, high = -(-(k - 1) * top // n) + 1, -(-k * top // n)
        if low <= high:
            classes.append(_LegendClass(_SHADES[k], low, high))
    return classes


def _map_regions(
    build: BuildResult, gazetteer: Gazetteer, projection: _Projection
) -> list[dict[str, Any]]:
    import shapely

    counts = Counter(i.comune.region_code for i in build.initiatives)
    names = {r.code: r.name for r in gazetteer.regions}
    top = max(counts.values(), default=0)
    regions = []
    for code, geometry in sorted(gazetteer.shapes("regions").items()):
        simple = shapely.simplify(geometry, _MAP_SIMPLIFY, preserve_topology=True)
        regions.append({"d": _svg_path(simple, projection), "name": names.get(code, code),
                        "count": counts[code], "fill": _shade(counts[code], top)})
    return regions


@dataclass(frozen=True, slots=True)
class _MapComune:
    """A Comune drawn on the map (a dot) and its row of the "Comuni sulla mappa" table.

    Attributes rather than a dict, as :class:`_RowView`: the table can have thousands of rows.
    """

    name: str
    sigla: str
    region: str
    count: int
    x: float
    y: float
    r: float

    @property
    def label(self) -> str:
        """``Castro (LE)``, as the dot's title says it."""
        return f"{self.name} ({self.sigla})"


def _map_dots(build: BuildResult, projection: _Projection) -> list[_MapComune]:
    """One dot per Comune with initiatives, by ISTAT code; the area grows with the count."""
    counts = Counter(i.comune.istat_code for i in build.initiatives)
    comuni = {i.comune.istat_code: i.comune for i in build.initiatives}
    dots = []
    for code in sorted(counts):
        c = comuni[code]
        x, y = projection.xy(c.lon, c.lat)
        radius = round(2.0 + 1.5 * (counts[code] - 1) ** 0.5, 1)
        dots.append(_MapComune(c.name, c.sigla, c.region, counts[code], x, y, radius))
    return dots


def _region_and_name_order(dots: Sequence[_MapComune]) -> list[int]:
    """The indexes of the dots as the table lists them: by region, then Comune (case and accents aside)."""
    import unicodedata
    from functools import cache

    @cache  # twenty regions, thousands of dots
    def key(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text.casefold())
        return "".join(ch for ch in plain if not unicodedata.combining(ch))

    return sorted(range(len(dots)), key=lambda n: (key(dots[n].region), key(dots[n].name), dots[n].sigla))


def _map_view(build: BuildResult, gazetteer: Gazetteer) -> dict[str, Any] | None:
    """The map of initiatives per region, or None when the gazetteer has no region boundaries."""
    projection = _Projection.for_italy()
    try:
        regions = _map_regions(build, gazetteer, projection)
    except GazetteerError as exc:
        log.warning("report.html without the map: %s", exc)
        return None
    dots = _map_dots(build, projection)
    # The dots and their table are printed with autoescape off (thousands of them): escaped here,
    # the table sorted by the names as they are.
    escaped = _escaped_views(dots)
    return {"width": _MAP_WIDTH, "height": projection.height, "regions": regions, "dots": escaped,
            "legend": _legend(max((r["count"] for r in regions), default=0)),
            "comuni": [escaped[n] for n in _region_and_name_order(dots)],
            "empty_regions": sorted(r["name"] for r in regions if not r["count"])}


# --- writing ------------------------------------------------------------------------------


def _format_number(value: float | int) -> str:
    """Italian number format: ``12.500,5``; integers without decimals."""
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    text = f"{value:,.1f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def _environment() -> Any:
    """The Jinja2 environment: autoescape on for every template, undefined names are errors."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = _format_number
    return env


# --- the review controls ("Da correggere") -------------------------------------------------

REVIEW_SCRIPT = "report_review.js"


def _review_script() -> tuple[Any, str]:
    """The review controls' script (ours, not data) and its CSP hash: no other script may run."""
    import base64
    import hashlib

    from markupsafe import Markup

    text = (templates_dir() / REVIEW_SCRIPT).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"sha256-{digest}"


def _comuni_names(gazetteer: Gazetteer) -> dict[str, str]:
    """Every current Comune, compact: ``{"TO": "Agliè|Airasca|…"}`` (the page reads ``Nome (SIGLA)``)."""
    by_sigla: dict[str, list[str]] = defaultdict(list)
    for comune in gazetteer.active():
        by_sigla[comune.sigla].append(comune.name)
    return {sigla: "|".join(sorted(names)) for sigla, names in sorted(by_sigla.items())}


def _review_view(build: BuildResult, gazetteer: Gazetteer) -> dict[str, Any]:
    """What the review controls need: the waiting records (as da_correggere.csv), the corrections in use."""
    from mapgen.corrections import COLUMNS, decisions_in_use, review_rows

    keys = ("r", "o", "c", "p", "g", "t", "e", "m", "k")
    rows = [dict(zip(keys, row, strict=False)) for row in review_rows(build)[:HTML_ROW_LIMIT]]
    # The same decisions in use as da_correggere.csv (review_file_rows): the download merges them.
    existing = decisions_in_use(build.corrections_rows)
    cut = len(existing) if len(existing) > HTML_ROW_LIMIT else 0  # too many to carry in the page
    return {"columns": list(COLUMNS), "rows": rows, "existing": [] if cut else existing, "cut": cut,
            "comuni": _comuni_names(gazetteer), "file": "correzioni.csv"}


def _review_choices(waiting: Sequence[RowOutcome]) -> list[list[tuple[str, str]]]:
    """The candidates of each waiting record, in the order of the "Da correggere" table, escaped
    (the table is printed with autoescape off)."""
    choices = [candidates_of(o) for o in waiting]
    texts = iter(_escaped([text for pairs in choices for pair in pairs for text in pair]))
    return [[(next(texts), next(texts)) for _ in pairs] for pairs in choices]


def _same_text(waiting: Sequence[RowOutcome]) -> list[int]:
    """For each waiting record, how many waiting records typed the same Comune and province.

    Above one, the page offers to teach the text as a name (an alias line): one decision for
    every record that typed it, in this build and the next ones.
    """
    def key(o: RowOutcome) -> tuple[str, str]:
        return (o.typed.comune.strip(), o.typed.provincia.strip().casefold())

    counts = Counter(key(o) for o in waiting if o.typed.comune.strip() and placeable(o))
    return [counts[key(o)] if o.typed.comune.strip() and placeable(o) else 0 for o in waiting]


def _notices_view(build: BuildResult) -> list[Any]:
    return notices_in_order(build)


def _html_context(
    build: BuildResult, gazetteer: Gazetteer, options: OutputOptions
) -> dict[str, Any]:
    totals = report_totals(build)
    sections = _sections(build)
    # The records that need a person, as the "Da correggere" table lists them.
    waiting = [build.outcomes[n] for n in sections["attention"][:HTML_ROW_LIMIT]]
    script, script_hash = _review_script()
    return {
        "title": options.title,
        "editions": build.editions,
        "inputs": [render(line, "it") for line in build.inputs],
        "totals": totals,
        "buckets": _totals_view(totals),
        "rows": _shown_rows(build, sections),
        "rows_total": {k: len(v) for k, v in sections.items()},
        "waiting_parts": waiting_parts(build.outcomes),
        "row_limit": HTML_ROW_LIMIT,
        "regions": _per_region(build),
        "reach": reach_by_region(build, gazetteer),
        "areas": _per_area(build),
        "per_edition": _per_edition(build),
        "diff": _diff_view(build, gazetteer),
        "map": _map_view(build, gazetteer),
        "attribution": gazetteer.attribution,
        "csv_name": CSV_NAME,
        "review": _review_view(build, gazetteer),
        "choices": _review_choices(waiting),
        "placeable": [placeable(o) for o in waiting],  # a Comune can be given (a title exists)
        "same_text": _same_text(waiting),
        "review_js": script,
        "script_hash": script_hash,
        "review_name": REVIEW_NAME,
        "notices": _notices_view(build)[:NOTICE_LIMIT],
        "notices_total": len(build.notices),
        "applied": build.corrections[:NOTICE_LIMIT],
        "applied_total": len(build.corrections),
        "notice_limit": NOTICE_LIMIT,
        "notices_name": NOTICES_NAME,
    }


def write_report(
    build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[Path]:
    """Write ``report.csv`` and ``report.html`` into ``out_dir`` (the whole list of notices: ``write_review``).

    Parameters
    ----------
    build
        The result of the pipeline: its ``outcomes`` are the report's rows.
    out_dir
        The (staging) output folder; it must exist.
    gazetteer
        Names the Comuni of the edition diff, draws the map, gives the attribution.
    options
        ``title`` heads the page.

    Returns
    -------
    list[Path]
        ``[report.csv, report.html]``.

    Examples
    --------
    >>> write_report(build, Path("output"), gazetteer=load_gazetteer(),
    ...              options=OutputOptions())  # doctest: +SKIP
    """
    return [*write_report_csv(build, out_dir, gazetteer=gazetteer, options=options),
            *write_report_html(build, out_dir, gazetteer=gazetteer, options=options)]


def write_report_csv(
    build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[Path]:
    """``report.csv`` alone (:func:`write_report`): the build writes the two halves where it has time."""
    with _writing(out_dir), language("it"):  # the report is for staff: always Italian
        # ';' because staff open it in Excel with the Italian locale (list separator ';').
        return [write_excel_csv(out_dir / CSV_NAME, REPORT_COLUMNS, report_rows(build), delimiter=";")]


def write_report_html(
    build: BuildResult, out_dir: Path, *, gazetteer: Gazetteer, options: OutputOptions
) -> list[Path]:
    """``report.html`` alone (:func:`write_report`)."""
    html_path = out_dir / HTML_NAME
    with _writing(out_dir), language("it"):
        page = _environment().get_template(TEMPLATE).generate(_html_context(build, gazetteer, options))
        # Written as rendered: the whole page as one string (12 MB at 10,000 records, and the
        # list of its pieces) would raise the build's peak memory by some 40 MB.
        with html_path.open("w", encoding="utf-8", newline="\n") as html:
            html.writelines(page)
    return [html_path]


@contextmanager
def _writing(out_dir: Path) -> Iterator[None]:
    """An OSError while writing the report, said as the report's."""
    try:
        yield
    except OSError as exc:
        raise OutputError(
            _("could not write the report in {out_dir}: {error}. Check that the folder exists, is "
              "writable and has free space.", out_dir=out_dir, error=exc)
        ) from exc
