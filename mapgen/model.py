"""The records that flow through mapgen, shared by readers, geocoder, merge and writers.

The pipeline is::

    survey rows / previous-map features      readers/ (survey.py, previous_map.py)
        -> Initiative                         one practice as read, with its SourceRef
        -> Match                              geocoders/: which Comune it belongs to
        -> MapInitiative                      merge.py: one per practice, editions joined
        + RowOutcome                          one per input record, for the report
        = BuildResult                         what every writer receives

All records are frozen dataclasses; lists are tuples so that two builds from the
same inputs compare equal. Text is kept exactly as typed (escaping is the
writers' job, each for its own output format).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from mapgen.i18n import Message, _, render

__all__ = [
    "AREAS",
    "CONTACT_FIELDS",
    "ENTITY_TYPES",
    "FUNDING_SOURCES",
    "AppliedCorrection",
    "Association",
    "BuildResult",
    "Candidate",
    "CarriedLayer",
    "Comune",
    "EditionDiff",
    "Initiative",
    "MapInitiative",
    "Match",
    "MatchStatus",
    "Notice",
    "Outcome",
    "OutputOptions",
    "Place",
    "RowOutcome",
    "Source",
    "SourceRef",
]

#: The survey's thematic areas, in the order the questionnaire lists them.
AREAS: Final = (
    "infanzia",
    "natalità",
    "sostegno alle famiglie",
    "responsabilità genitoriali",
    "centri per le famiglie",
    "altro",
)

#: Funding sources, in questionnaire order.
FUNDING_SOURCES: Final = ("nazionale", "comunitaria", "regionale", "comunale", "altro")

#: Who answered: a single Comune or the lead Comune of an association.
ENTITY_TYPES: Final = (
    "Comune singolo",
    "capofila di Ambito",
    "Unione di Comuni",
    "altra forma associata",
)

#: Personal data: kept for the staff report, left out of public outputs unless opted in.
CONTACT_FIELDS: Final = ("referente", "email", "telefono")


class Source(StrEnum):
    """Which kind of input a record came from."""

    SURVEY = "survey"
    PREVIOUS = "previous"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a record came from, precisely enough for a person to find it.

    ``file`` is the file name as the user knows it (never an absolute path, so
    reports do not leak the machine's layout). ``row`` is the spreadsheet row
    number (the header is row 1). ``group`` is the repeated practice group
    (1 for the first practice of a response). ``layer`` and ``feature`` locate a
    feature of a previous map.
    """

    source: Source
    file: str
    row: int | None = None
    group: int | None = None
    layer: str | None = None
    feature: str | None = None

    def label(self) -> str:
        """Human location, e.g. ``survey_2020.csv, row 48`` (the person's language, for messages)."""
        parts = [self.file]
        if self.layer is not None:
            parts.append(_("layer {layer}", layer=repr(self.layer)))
        if self.feature is not None:
            parts.append(_("feature {feature}", feature=self.feature))
        if self.row is not None:
            parts.append(_("row {row}", row=self.row))
        if self.group is not None and self.group > 1:
            parts.append(_("practice {group}", group=self.group))
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Place:
    """The place as the respondent typed it (all optional except ``comune``)."""

    comune: str = ""
    provincia: str = ""
    regione: str = ""

    def __str__(self) -> str:
        extra = ", ".join(p for p in (self.provincia, self.regione) if p)
        return f"{self.comune} ({extra})" if extra else self.comune


@dataclass(frozen=True, slots=True)
class Initiative:
    """One practice as read from one survey row group or one previous-map feature.

    ``record_id`` is stable for the same input: ``2020-R<response id>-G<group>``
    for survey rows, ``<edition>-<layer slug>-<feature id or index>`` for features.
    ``properties`` keeps every original column/property (nothing is lost);
    ``point`` is the (lon, lat) a previous map gave, ``None`` for survey rows.
    Vocabulary fields (``aree``, ``fonti``) hold values from :data:`AREAS` and
    :data:`FUNDING_SOURCES`; anything else that was typed goes to ``*_altro``.
    """

    record_id: str
    edition: int
    source: SourceRef
    place: Place
    titolo: str
    descrizione: str = ""
    aree: tuple[str, ...] = ()
    aree_altro: str = ""
    destinatari: str = ""
    fonti: tuple[str, ...] = ()
    fonti_altro: str = ""
    importo: float | None = None
    data_inizio: date | None = None
    data_fine: date | None = None
    sito_web: str = ""
    tipo_ente: str = ""
    denominazione_ente: str = ""
    comuni_associati: tuple[str, ...] = ()
    referente: str = ""
    email: str = ""
    telefono: str = ""
    submitted: datetime | None = None
    point: tuple[float, float] | None = None
    properties: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class Comune:
    """One Comune of the gazetteer (current, or retired with its successor).

    Codes are strings with leading zeros (``istat_code`` "001272", ``province_code``
    "001", ``region_code`` "01"). ``lat``/``lon`` is a representative point that lies
    inside the Comune. Retired Comuni have ``active`` False, ``valid_to`` set and,
    where it could be established, ``successor`` (the ISTAT code that took them over).
    """

    istat_code: str
    name: str
    name_other: str
    cadastral_code: str
    province_code: str
    province: str
    sigla: str
    region_code: str
    region: str
    lat: float
    lon: float
    population: int | None = None
    population_0_17: int | None = None
    active: bool = True
    valid_to: str = ""
    successor: str = ""

    @property
    def label(self) -> str:
        """``Name (SG)``, the usual way to write a Comune unambiguously."""
        return f"{self.name} ({self.sigla})"


@dataclass(frozen=True, slots=True)
class Association:
    """An association of Comuni (an Unione, later Comunità montane and Ambiti) and its members.

    ``id`` is stable across builds (``UC`` + the Interior Ministry's code for an Unione);
    ``members`` are current ISTAT codes; ``vintage`` is the year of the register it comes from.
    """

    id: str
    kind: str
    name: str
    region_code: str
    sigla: str
    members: tuple[str, ...]
    vintage: str
    constituted: str = ""
    source: str = ""


class MatchStatus(StrEnum):
    """How a typed place was resolved to a Comune (or why it was not)."""

    EXACT = "exact"
    NORMALIZED = "normalized"
    ALIAS = "alias"
    FUZZY = "fuzzy"
    #: placed by dropping or reinterpreting typed words (a locality, a short form, an old name
    #: without a province): provisional, a person confirms it ("da verificare")
    TO_CHECK = "to_check"
    ONLINE = "online"
    SPATIAL = "spatial"  # a previous-map point assigned by point-in-polygon
    AMBIGUOUS = "ambiguous"
    UNRESOLVED = "unresolved"
    NOT_A_COMUNE = "not_a_comune"
    CORRECTED = "corrected"  # placed by a person, through the corrections file

    @property
    def resolved(self) -> bool:
        """True when the status names one Comune."""
        return self not in (MatchStatus.AMBIGUOUS, MatchStatus.UNRESOLVED, MatchStatus.NOT_A_COMUNE)

    @property
    def for_a_person(self) -> bool:
        """True for a placement the geocoder guessed (a typo corrected, words dropped): a person checks it."""
        return self in (MatchStatus.FUZZY, MatchStatus.TO_CHECK)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A Comune that a place might mean, with the matcher's score (0-100)."""

    istat_code: str
    name: str
    sigla: str
    score: float


@dataclass(frozen=True, slots=True)
class Match:
    """The geocoder's answer for one place, with its evidence.

    Resolved statuses carry the Comune's ``istat_code``, official ``name``,
    ``sigla``, ``region`` and point; the others carry up to three ``candidates``
    and a ``hint`` (Italian, for staff). A place naming an association of Comuni
    carries its id and members (``association``, ``members``): placed at the lead
    Comune when one is named, else ambiguous with the members as candidates. ``method`` names the matcher that
    decided; ``raw`` keeps whatever that matcher wants the report to show.
    """

    status: MatchStatus
    istat_code: str | None = None
    name: str | None = None
    sigla: str | None = None
    region: str | None = None
    lat: float | None = None
    lon: float | None = None
    score: float = 0.0
    method: str = ""
    candidates: tuple[Candidate, ...] = ()
    hint: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    association: str = ""  # the id of the association of Comuni the place names, if any
    members: tuple[str, ...] = ()  # that association's member Comuni (ISTAT codes)


@dataclass(frozen=True, slots=True)
class MapInitiative:
    """One published initiative: a practice at its Comune, editions joined.

    ``id`` is derived from the ISTAT code and the normalised title, so the same
    inputs give the same ids. ``record`` is the newest edition's record (its text
    wins); ``history`` holds the older editions' records; ``edizioni`` lists every
    edition year it appeared in, ascending.
    """

    id: str
    comune: Comune
    record: Initiative
    edizioni: tuple[int, ...]
    match: Match
    history: tuple[Initiative, ...] = ()
    members: tuple[Comune, ...] = ()  # resolved Comuni of the Ambito/Unione, if any
    association: Association | None = None  # the registered association the place named, if any

    @property
    def records(self) -> tuple[Initiative, ...]:
        """Every input record merged into this initiative, newest first."""
        return (self.record, *self.history)


class Outcome(StrEnum):
    """What happened to one input record; see :class:`RowOutcome`."""

    MAPPED = "mapped"
    MERGED = "merged"  # same practice as another record (other edition); joined into it
    DUPLICATE = "duplicate"  # submitted twice in one edition; the latest was kept
    EXCLUDED = "excluded"  # incomplete response, or no practice filled
    UNRESOLVED = "unresolved"
    AMBIGUOUS = "ambiguous"
    NOT_A_COMUNE = "not_a_comune"
    CARRIED = "carried"  # feature of a previous-map layer that does not hold initiatives


@dataclass(frozen=True, slots=True)
class RowOutcome:
    """The fate of one input record, for the report.

    Every survey practice (row x group; a row with none gets one record) and
    every previous-map feature gets exactly one RowOutcome. ``initiative_id`` is
    the published initiative it became, was merged into or duplicates.
    ``reason`` and ``fix`` are Italian sentences for staff.
    """

    source: SourceRef
    record_id: str
    typed: Place
    outcome: Outcome
    titolo: str = ""
    initiative_id: str = ""
    match: Match | None = None
    reason: str = ""
    fix: str = ""


@dataclass(frozen=True, slots=True)
class EditionDiff:
    """What changed between the previous edition(s) and the newest one (ISTAT codes / ids)."""

    newest: int
    previous: tuple[int, ...]
    comuni_new: tuple[str, ...] = ()
    comuni_dropped: tuple[str, ...] = ()
    continued: tuple[str, ...] = ()
    new: tuple[str, ...] = ()
    not_resubmitted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CarriedLayer:
    """A previous-map layer that holds something other than initiatives, kept unchanged.

    ``geojson`` is the layer exactly as read (a FeatureCollection dict, with its
    ``_umap_options``/``properties``), so the uMap writer can put it back as is.
    """

    name: str
    source: str
    geojson: Mapping[str, Any] = field(compare=False, hash=False)


@dataclass(frozen=True, slots=True)
class OutputOptions:
    """Choices that shape the outputs (from the config's ``[output]`` table and CLI flags)."""

    title: str = "Le iniziative di Regioni e Comuni a favore delle famiglie"
    include_contacts: bool = False
    layers_by_area: bool = False
    preview: bool = True
    remote_base_url: str = ""  # layers load from <base>/layers/<file>.geojson (uMap remoteData)


class Severity(StrEnum):
    """How bad a problem is: an error keeps a practice off the map; a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Notice:
    r"""One thing found in an input that a person should read: where, what and how to fix it.

    The one record for a problem in any input (issue 24): the survey reader's warnings and
    errors (``kind="lettura"``) and the lines of a corrections file that were not applied
    as written (``kind="correzione"``). ``row`` is the spreadsheet row (header = 1) or the
    corrections file's line, ``None`` for the file as a whole; ``column`` is the header as
    written (``""`` for a whole row), ``letter`` its spreadsheet letter when known.
    ``message`` says what is wrong, ``fix`` what to do: :class:`~mapgen.i18n.Message`\ s, rendered in
    the person's language at the terminal and in Italian in the report (a plain string is shown as is).
    """

    file: str
    row: int | None
    column: str
    value: str
    message: str | Message
    fix: str | Message
    kind: str = "lettura"
    severity: Severity = Severity.WARNING
    record_id: str = ""
    letter: str = ""

    @property
    def staff_message(self) -> str:
        """What is wrong, in Italian for the report."""
        return render(self.message, "it")

    @property
    def staff_fix(self) -> str:
        """The fix, in Italian for the report."""
        return render(self.fix, "it")

    def location(self) -> str:
        """``survey_2020.csv, row 48, column "Comune" (F)``."""
        parts = [self.file]
        if self.row is not None:
            parts.append(_("row {row}", row=self.row))
        if self.column:
            parts.append(_('column "{column}"', column=self.column) + (f" ({self.letter})" if self.letter else ""))
        return ", ".join(parts)

    def __str__(self) -> str:
        if self.kind == "lettura":
            return f"{self.location()}: {self.message} {self.fix}".rstrip()
        # A corrections line: its line and column as the corrections file names them.
        where = ", ".join(p for p in (self.file, _("line {line}", line=self.row) if self.row else "",
                                      _("column {column}", column=repr(self.column)) if self.column else "") if p)
        return f"{where}: {self.value!r}: {self.message} {self.fix}".rstrip()


@dataclass(frozen=True, slots=True)
class AppliedCorrection:
    """One line of the corrections file as the build used it: where it is and what it changed."""

    file: str
    line: int
    record: str  # the record id, or "" for an alias
    action: str  # "comune", "conferma", "escludi", "includi", "unisci", "separa", "alias"
    value: str
    effect: str  # Italian: what changed
    note: str = ""
    typed: str = ""  # an alias's text as written (comune_indicato), the key of the decision
    provincia: str = ""  # an alias's provincia_indicata


@dataclass(frozen=True, slots=True)
class BuildResult:
    """Everything the writers need, produced by :func:`mapgen.build.run_pipeline`.

    ``initiatives`` are sorted by id; ``outcomes`` follow input order (survey
    first, then previous maps). ``previous_map`` holds the map-level properties of
    a ``.umap`` given as previous edition, if any.
    """

    initiatives: tuple[MapInitiative, ...]
    outcomes: tuple[RowOutcome, ...]
    diff: EditionDiff
    editions: tuple[int, ...]
    carried_layers: tuple[CarriedLayer, ...] = ()
    previous_map: Mapping[str, Any] | None = field(default=None, compare=False, hash=False)
    inputs: tuple[str | Message, ...] = ()  # one line per input file: name, format detected, records
    # every contact value read (survey contact columns, previous maps' contact properties):
    # no public output may hold one unless include_contacts (mapgen.contacts)
    contacts: frozenset[str] = field(default=frozenset(), compare=False, hash=False)
    notices: tuple[Notice, ...] = ()  # reader warnings and bad corrections, for the report
    corrections: tuple[AppliedCorrection, ...] = ()  # every correction used, in file order
    # The corrections file's lines, plus the previous build's decisions it lacks: to fill again.
    corrections_rows: tuple[tuple[str, ...], ...] = ()


def _pickled_as_calls(*classes: type) -> None:
    """Pickle each class as a call of itself with its fields' values.

    A slotted dataclass is otherwise unpickled by dataclasses' ``__setstate__``, which calls
    ``fields()`` for every object: the previous maps' records, which cross from the process
    that read them (:mod:`mapgen._beside`), came back about 45 % slower (benchmarks/README.md).
    """
    for cls in classes:
        names = tuple(f.name for f in fields(cls))
        assert all(f.init for f in fields(cls)), cls  # every value goes through __init__

        def __reduce__(self: Any, cls: type = cls, names: tuple[str, ...] = names) -> tuple[type, tuple[Any, ...]]:
            return cls, tuple(map(self.__getattribute__, names))

        cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]


_pickled_as_calls(SourceRef, Place, Initiative, Comune, Association, Candidate, Match, MapInitiative, RowOutcome,
                  EditionDiff, CarriedLayer, OutputOptions, Notice, AppliedCorrection, BuildResult)
