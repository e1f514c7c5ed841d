"""Join the editions: one initiative per practice, every input record accounted for.

Two records are the same practice when they sit in the same Comune and their
titles are equal after :func:`mapgen.text.fold`, or nearly equal: rapidfuzz
``token_sort_ratio`` of the folded titles at least :data:`SAME_TITLE_RATIO`
(word order and small typos don't split a practice; "Centro famiglie" vs
"Centro per le famiglie" scores 81 and stays apart, which is the safe side: a
missed merge shows the practice twice, a wrong merge hides one).

Within one edition, a repeat is a duplicate (the latest submission is kept);
across editions, the newest record's text wins and the older ones are kept in
``history``. Ids come from the ISTAT code and the folded title of the record in
which the practice first appeared, so they survive later editions and rebuilds.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from rapidfuzz import fuzz

from mapgen.gazetteer import Gazetteer
from mapgen.model import (
    Association,
    Comune,
    EditionDiff,
    Initiative,
    MapInitiative,
    Match,
    MatchStatus,
    Outcome,
    Place,
    RowOutcome,
)
from mapgen.text import fold, slugify

__all__ = [
    "SAME_TITLE_RATIO", "Clustered", "Geocoded", "MergeResult", "cluster_editions", "initiative_id", "merge_editions",
    "publish_practices", "resolve_members_ahead",
]

log = logging.getLogger(__name__)

#: Minimum rapidfuzz token_sort_ratio (0-100) of folded titles for "the same practice".
SAME_TITLE_RATIO = 90.0

_UNRESOLVED_OUTCOME = {
    MatchStatus.AMBIGUOUS: Outcome.AMBIGUOUS,
    MatchStatus.UNRESOLVED: Outcome.UNRESOLVED,
    MatchStatus.NOT_A_COMUNE: Outcome.NOT_A_COMUNE,
}


@dataclass(frozen=True, slots=True)
class Geocoded:
    """A record with the geocoder's answer for its place."""

    record: Initiative
    match: Match


@dataclass(frozen=True, slots=True)
class MergeResult:
    """The published initiatives, one outcome per input record, and the edition diff.

    ``by_titles`` maps each record asked about (``title_rules_for``) that has a Comune
    to the practice the title rules alone put it in, the person's keys left out: equal
    values, one practice.
    """

    initiatives: tuple[MapInitiative, ...]
    outcomes: tuple[RowOutcome, ...]
    diff: EditionDiff
    by_titles: Mapping[str, str] = field(default_factory=dict)


def initiative_id(istat_code: str, titolo: str) -> str:
    """The stable id of a practice: ``<ISTAT code>-<slug of the folded title>``.

    E-mail addresses and telephone numbers written in the title are left out: the id is in every
    public file, and the scrubbed title does not take them back out of it.
    """
    from mapgen.contacts import contacts_in_text, plain

    found = contacts_in_text(titolo) if "@" in titolo or any(map(str.isdigit, titolo)) else []
    if found:  # found in the title's plain form (dashes and spaces made ASCII)
        titolo = plain(titolo)
        for contact in found:
            titolo = titolo.replace(contact, " ")
    return f"{istat_code}-{slugify(titolo, max_length=50)}"


def _recency(record: Initiative) -> tuple[int, datetime, int, str]:
    """Sort key: newer edition, then later submission, then later row, wins."""
    submitted = record.submitted or datetime.min
    return (record.edition, submitted, record.source.row or 0, record.record_id)


_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class _Title:
    """A record's title as the merge compares it: folded once, with its numbers."""

    edition: int
    folded: str
    digits: tuple[str, ...]
    key: str = ""  # set by a person's decision (unisci/separa): equal keys join, different keys never

    @classmethod
    def of(cls, record: Initiative, key: str = "") -> _Title:
        folded = fold(record.titolo)
        return cls(record.edition, folded, tuple(_DIGITS.findall(folded)), key)


def _same_practice(a: _Title, b: _Title) -> bool:
    """Equal folded titles; across editions also nearly equal ones with the same numbers.

    Within one edition only equal titles match: two differently worded entries
    of the same year are two practices ("Azione 1" / "Azione 2" never merge).
    """
    if a.folded == b.folded:
        return True
    if a.edition == b.edition or a.digits != b.digits:
        return False
    return fuzz.token_sort_ratio(a.folded, b.folded) >= SAME_TITLE_RATIO


def _unplaced_outcome(item: Geocoded) -> RowOutcome:
    """The outcome of a record whose place resolved to no single Comune."""
    match = item.match
    outcome = _UNRESOLVED_OUTCOME[match.status]
    names = ", ".join(f"{c.name} ({c.sigla})" for c in match.candidates)
    reasons = {
        Outcome.AMBIGUOUS: f"Più Comuni corrispondono a {item.record.place.comune!r}: {names}.",
        Outcome.NOT_A_COMUNE: f"{item.record.place.comune!r} non è un Comune.",
        Outcome.UNRESOLVED: f"Nessun Comune corrisponde a {item.record.place.comune!r}"
        + (f" (il più vicino: {names})." if names else "."),
    }
    fixes = {
        Outcome.AMBIGUOUS: "Indicare la provincia o la regione del Comune, oppure correggere il nome.",
        Outcome.NOT_A_COMUNE: "Indicare il Comune (per Ambiti e Unioni, il Comune capofila).",
        Outcome.UNRESOLVED: "Correggere il nome del Comune o aggiungere una variante in gazetteer/names.csv.",
    }
    if outcome is Outcome.AMBIGUOUS and match.association:
        # An association of Comuni: the hint names it and lists its members (the candidates).
        reasons[outcome] = f"{item.record.place.comune.strip()!r} non è un solo Comune."
        fixes[outcome] = ("Scegliere il Comune capofila tra i Comuni dell'associazione (colonna "
                          "codice_istat): la pratica riceve i Comuni associati.")
    if outcome is Outcome.UNRESOLVED and match.raw.get("elsewhere"):
        # The name is right but the province or region typed with it is not ("Forli", Agrigento).
        fixes[outcome] = f"Correggere la provincia o la regione indicata ({names}), oppure il nome del Comune."
    return RowOutcome(
        source=item.record.source, record_id=item.record.record_id, typed=item.record.place,
        outcome=outcome, titolo=item.record.titolo, match=match,
        reason=" ".join(p for p in (reasons[outcome], match.hint) if p), fix=fixes[outcome],
    )


def _current_comune(match: Match, gazetteer: Gazetteer) -> Comune | None:
    """The current Comune a resolved match points at (following merges)."""
    comune = gazetteer.by_code(match.istat_code or "")
    if comune is not None and not comune.active:
        comune = gazetteer.successor_of(comune)
    return comune


@dataclass
class _Practice:
    """A practice being assembled: records of one Comune with the same title, newest first."""

    comune: Comune
    records: list[Geocoded]
    titles: list[_Title]
    by_edition: dict[int, set[str]]  # folded titles of each edition's records

    @property
    def newest(self) -> Geocoded:
        return self.records[0]

    def add(self, item: Geocoded, title: _Title) -> None:
        self.records.append(item)
        self.titles.append(title)
        self.by_edition.setdefault(title.edition, set()).add(title.folded)

    def joins(self, title: _Title) -> bool:
        """True when ``title`` is the same practice and no same-edition record says otherwise.

        A person's decision comes first: equal keys join, different keys stay apart.
        """
        if title.key:
            keyed = [mine.key for mine in self.titles if mine.key]
            if keyed:
                return all(key == title.key for key in keyed)
        same_edition = self.by_edition.get(title.edition)  # another title of its edition: another practice
        if same_edition and (len(same_edition) > 1 or title.folded not in same_edition):
            return False
        return any(_same_practice(mine, title) for mine in self.titles)


def _cluster(items: Sequence[Geocoded], comune: Comune, keys: Mapping[str, str]) -> list[_Practice]:
    """Group one Comune's records into practices, oldest edition first so ids follow first appearance."""
    practices: list[_Practice] = []
    for item in sorted(items, key=lambda g: _recency(g.record)):
        title = _Title.of(item.record, keys.get(item.record.record_id, ""))
        home = next((p for p in practices if p.joins(title)), None)
        if home is None:
            home = _Practice(comune, [], [], {})
            practices.append(home)
        home.add(item, title)
    for practice in practices:
        practice.records.sort(key=lambda g: _recency(g.record), reverse=True)
    return practices


def _by_titles(
    by_comune: Mapping[str, list[Geocoded]], comuni: Mapping[str, Comune], asked: Collection[str]
) -> dict[str, str]:
    """The practice each asked record would join by the title rules alone, as ``<code>/<n>``.

    A person's keys change how a whole Comune clusters, so whether the titles alone
    join two records is only known by clustering that Comune again without keys: done
    for the few Comuni an ``unisci``/``separa`` line touches, not a second merge.
    """
    found: dict[str, str] = {}
    for code in sorted(by_comune):
        if not any(item.record.record_id in asked for item in by_comune[code]):
            continue
        for n, practice in enumerate(_cluster(by_comune[code], comuni[code], {})):
            found.update({g.record.record_id: f"{code}/{n}" for g in practice.records
                          if g.record.record_id in asked})
    return found


def _practice_outcomes(practice: _Practice, published_id: str) -> list[RowOutcome]:
    """MAPPED for the newest record, MERGED for older editions, DUPLICATE for repeats within an edition."""
    outcomes: list[RowOutcome] = []
    seen_editions: set[int] = set()
    for position, item in enumerate(practice.records):
        record = item.record
        if position == 0:
            outcome, reason = Outcome.MAPPED, ""
        elif record.edition in seen_editions:
            outcome = Outcome.DUPLICATE
            reason = f"Stessa pratica inviata più volte nell'edizione {record.edition}: tenuta la più recente."
        else:
            outcome = Outcome.MERGED
            reason = f"Stessa pratica dell'edizione {practice.newest.record.edition}: unita, testo più recente."
        seen_editions.add(record.edition)
        outcomes.append(RowOutcome(
            source=record.source, record_id=record.record_id, typed=record.place, outcome=outcome,
            titolo=record.titolo, initiative_id=published_id, match=item.match, reason=reason,
        ))
    return outcomes


def _history(practice: _Practice) -> tuple[Initiative, ...]:
    """The newest record of each older edition, newest first."""
    newest_edition = practice.newest.record.edition
    kept: dict[int, Initiative] = {}
    for item in practice.records[1:]:
        if item.record.edition != newest_edition:
            kept.setdefault(item.record.edition, item.record)
    return tuple(kept.values())


def _members(
    record: Initiative, comune: Comune, resolve: Callable[[Place], Match] | None, gazetteer: Gazetteer
) -> tuple[Comune, ...]:
    """Resolve an Ambito/Unione's member Comuni, hinted by the lead Comune's region."""
    if resolve is None or not record.comuni_associati:
        return ()
    found: dict[str, Comune] = {}
    for name in _member_names(record.comuni_associati, comune, resolve):
        match = resolve(Place(comune=name, regione=comune.region))
        member = _current_comune(match, gazetteer) if match.status.resolved else None
        if member is not None:
            found.setdefault(member.istat_code, member)
    return tuple(found.values())


def _association_members(
    item: Geocoded, lead: Comune, resolve: Callable[[Place], Match] | None, gazetteer: Gazetteer,
    association: Association | None,
) -> tuple[tuple[Comune, ...], str]:
    """The members typed by the respondent, else the register's; and where the two disagree.

    A place naming an association (``match.members``, from the register) gives the practice
    its members; members the respondent typed win, and a difference is said (Italian).
    """
    typed = _members(item.record, lead, resolve, gazetteer)
    register = tuple(c for c in (gazetteer.by_code(code) for code in item.match.members) if c is not None)
    if not register or not typed:
        return typed or register, ""
    said = {c.istat_code for c in typed} | {lead.istat_code}
    listed = {c.istat_code for c in register}
    if said == listed:
        return typed, ""
    name = association.name if association is not None else item.match.association
    source = "delle correzioni" if association is not None and association.kind == "insegnata" else "del registro"
    parts = [f"{label}: " + ", ".join(sorted(gazetteer.comuni[c].label for c in codes))
             for label, codes in (("in più", said - listed), ("mancano", listed - said)) if codes]
    return typed, (f"Comuni associati indicati diversi da quelli {source} per {name} "
                   f"({'; '.join(parts)}): usati quelli indicati.")


def _member_names(names: Sequence[str], lead: Comune, resolve: Callable[[Place], Match]) -> list[str]:
    """The members as typed, with "A, B, Massa e Cozzile" read as one Comune, not Massa + Cozzile.

    The survey reader splits a list's last " e " ("A, B e C"); 18 Comuni have " e " in their
    name, so the last two items are joined back when together they name a Comune exactly.
    """
    items = list(names)
    if len(items) >= 2:
        joined = f"{items[-2]} e {items[-1]}"
        match = resolve(Place(comune=joined, regione=lead.region))
        if match.status in (MatchStatus.EXACT, MatchStatus.NORMALIZED):
            return [*items[:-2], joined]
    return items


def _unique_id(wanted: str, taken: set[str]) -> str:
    candidate, n = wanted, 2
    while candidate in taken:
        candidate, n = f"{wanted}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _diff(initiatives: Iterable[MapInitiative], editions: Sequence[int]) -> EditionDiff:
    newest = max(editions)
    previous = tuple(e for e in editions if e != newest)
    items = list(initiatives)
    comuni_newest = {i.comune.istat_code for i in items if newest in i.edizioni}
    comuni_before = {i.comune.istat_code for i in items if any(e != newest for e in i.edizioni)}
    return EditionDiff(
        newest=newest,
        previous=previous,
        comuni_new=tuple(sorted(comuni_newest - comuni_before)),
        comuni_dropped=tuple(sorted(comuni_before - comuni_newest)),
        continued=tuple(i.id for i in items if newest in i.edizioni and len(i.edizioni) > 1),
        new=tuple(i.id for i in items if i.edizioni == (newest,)),
        not_resubmitted=tuple(i.id for i in items if newest not in i.edizioni),
    )


def merge_editions(
    records: Iterable[Geocoded],
    *,
    gazetteer: Gazetteer,
    resolve_member: Callable[[Place], Match] | None = None,
    practice_keys: Mapping[str, str] | None = None,
    title_rules_for: Collection[str] = (),
    taught: Mapping[str, Association] | None = None,
) -> MergeResult:
    """Merge geocoded records of every edition into published initiatives.

    Parameters
    ----------
    records
        Every record of every edition with its Match; order sets the order of
        the outcomes.
    gazetteer
        Resolves codes to current Comuni (retired codes follow their successor).
    resolve_member
        Geocodes the member Comuni named by an Ambito/Unione; without it members
        stay unresolved (names are still shown).
    practice_keys
        A person's decisions (``unisci``/``separa`` in the corrections file): records
        with the same key in one Comune are one practice; records with different
        keys are never joined. Records without a key follow the title rules.
    title_rules_for
        Record ids (those of a person's ``unisci``/``separa`` lines) to tell, in
        ``MergeResult.by_titles``, which practice the title rules alone would give them.
    taught
        Associations a person taught in the corrections file (not in the register), by id.

    Returns
    -------
    MergeResult
        Initiatives sorted by id; exactly one outcome per input record, in input order.
    """
    clustered = cluster_editions(records, gazetteer=gazetteer, practice_keys=practice_keys,
                                 title_rules_for=title_rules_for)
    return publish_practices(clustered, gazetteer=gazetteer, resolve_member=resolve_member, taught=taught)


@dataclass(frozen=True, slots=True)
class Clustered:
    """The first half of :func:`merge_editions`: every record in its practice, each practice's id;
    :func:`publish_practices` adds the members of associations, which the clustering never needs."""

    items: list[Geocoded]
    outcome_at: dict[int, RowOutcome]  # input position -> outcome, the records without a Comune so far
    practices: list[tuple[str, _Practice]]  # (published id, practice), in the order ids were given
    by_titles: Mapping[str, str]


def cluster_editions(
    records: Iterable[Geocoded],
    *,
    gazetteer: Gazetteer,
    practice_keys: Mapping[str, str] | None = None,
    title_rules_for: Collection[str] = (),
) -> Clustered:
    """Group the records of each Comune into practices and give each its id (see :func:`merge_editions`)."""
    items = list(records)
    outcome_at: dict[int, RowOutcome] = {}
    by_comune: dict[str, list[Geocoded]] = defaultdict(list)
    comuni: dict[str, Comune] = {}
    for n, item in enumerate(items):
        comune = _current_comune(item.match, gazetteer) if item.match.status.resolved else None
        if comune is None:
            unplaced = item
            if item.match.status.resolved:  # a code the gazetteer cannot place: never drop it silently
                unplaced = Geocoded(item.record, Match(status=MatchStatus.UNRESOLVED, hint="Codice ISTAT sconosciuto."))
            outcome_at[n] = _unplaced_outcome(unplaced)
            continue
        comuni[comune.istat_code] = comune
        by_comune[comune.istat_code].append(item)
    practices: list[tuple[str, _Practice]] = []
    taken: set[str] = set()
    for code in sorted(by_comune):
        for practice in _cluster(by_comune[code], comuni[code], practice_keys or {}):
            first = practice.records[-1].record
            practices.append((_unique_id(initiative_id(code, first.titolo), taken), practice))
    by_titles = _by_titles(by_comune, comuni, title_rules_for) if title_rules_for else {}
    return Clustered(items, outcome_at, practices, by_titles)


def publish_practices(
    clustered: Clustered,
    *,
    gazetteer: Gazetteer,
    resolve_member: Callable[[Place], Match] | None = None,
    taught: Mapping[str, Association] | None = None,
) -> MergeResult:
    """The second half of :func:`merge_editions`: each practice published, with its association's members."""
    items = clustered.items
    position = {id(item): n for n, item in enumerate(items)}
    outcome_at = dict(clustered.outcome_at)
    published: list[MapInitiative] = []
    for published_id, practice in clustered.practices:
        newest = practice.newest
        association_id = newest.match.association
        association = ((taught or {}).get(association_id) or gazetteer.association(association_id)
                       if association_id else None)
        members, disagreement = _association_members(newest, practice.comune, resolve_member, gazetteer,
                                                     association)
        published.append(MapInitiative(
            id=published_id, comune=practice.comune, record=newest.record,
            edizioni=tuple(sorted({g.record.edition for g in practice.records})),
            match=newest.match, history=_history(practice), members=members,
            association=association,
        ))
        outcomes = _practice_outcomes(practice, published_id)
        if disagreement:  # listed on the record whose text is published
            outcomes[0] = replace(outcomes[0], reason=disagreement)
        for item, outcome in zip(practice.records, outcomes, strict=True):
            outcome_at[position[id(item)]] = outcome

    editions = sorted({item.record.edition for item in items}) or [0]
    published.sort(key=lambda i: i.id)
    return MergeResult(
        initiatives=tuple(published),
        outcomes=tuple(outcome_at[n] for n in range(len(items))),
        diff=_diff(published, editions),
        by_titles=clustered.by_titles,
    )


def resolve_members_ahead(
    records: Iterable[Geocoded], *, gazetteer: Gazetteer, resolve: Callable[[Place], Match]
) -> None:
    """Ask ``resolve`` (a cache) for every member Comune the records' associations name, as
    :func:`publish_practices` will: done beside the clustering, the publishing then finds
    each answer cached. Every record is asked for, a superset of the practices' newest."""
    for item in records:
        if item.record.comuni_associati and item.match.status.resolved:
            comune = _current_comune(item.match, gazetteer)
            if comune is not None:
                _members(item.record, comune, resolve, gazetteer)
