"""Applying a person's decisions to the geocoded records, between geocoding and merging."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from mapgen.corrections.read import Corrections, Decision, _notice
from mapgen.corrections.review import needs_person
from mapgen.errors import CorrectionsError
from mapgen.i18n import Message, _, _l, _lp
from mapgen.model import (
    AppliedCorrection,
    Association,
    Comune,
    Initiative,
    Match,
    MatchStatus,
    Notice,
    Outcome,
    RowOutcome,
)
from mapgen.text import slugify

__all__ = ["METHOD", "Review", "apply_corrections", "corrected_match", "put_back", "settle_pairs"]

#: The match method of a record placed by a person.
METHOD: Final = "correzione"

# Statuses where the build found the Comune by itself, without a doubt to check.
_CONFIDENT: Final = frozenset({MatchStatus.EXACT, MatchStatus.NORMALIZED, MatchStatus.ALIAS,
                               MatchStatus.SPATIAL, MatchStatus.ONLINE, MatchStatus.CORRECTED})


# --- applying ------------------------------------------------------------------------------


def corrected_match(comune: Comune, decision: Decision, before: Match | None) -> Match:
    """The match of a record placed by a person: method ``correzione``, the file and line as evidence."""
    raw: dict[str, object] = {"file": decision.file, "line": decision.line}
    if before is not None:
        raw["before"] = f"{before.status.value} {before.istat_code or ''}".strip()
    return Match(
        status=MatchStatus.CORRECTED, istat_code=comune.istat_code, name=comune.name, sigla=comune.sigla,
        region=comune.region, lat=comune.lat, lon=comune.lon, score=100.0, method=METHOD,
        hint=f"Comune indicato da una persona ({decision.evidence()}).", raw=raw,
        # A person choosing the lead of an association keeps the association's members.
        association=before.association if before is not None else "",
        members=before.members if before is not None else (),
    )


@dataclass
class Review:
    """The records after the corrections: what goes on to the merge, and the evidence.

    ``pairs`` are the records to merge with their (corrected) matches, in input
    order; ``outcomes`` are the readers' outcomes plus the records a person
    excluded; ``keys`` are the merge's practice keys (``unisci``/``separa``).
    """

    pairs: list[tuple[Initiative, Match]]
    outcomes: list[RowOutcome]
    keys: dict[str, str] = field(default_factory=dict)
    applied: list[AppliedCorrection] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    pairs_decided: list[Decision] = field(default_factory=list)  # unisci/separa lines used as they are
    file: str = ""  # the corrections file's name
    lines: int = 0  # its usable lines
    taught: dict[str, Association] = field(default_factory=dict)  # associations a person taught, by id

    def summary(self) -> Message:
        """The corrections file among the build's inputs: ``correzioni.csv — 11 corrections, 9 applied, …``."""
        return _l("{file} — {corrections}, {applied}, {not_applied}", file=self.file,
                  corrections=_lp("{count} correction", "{count} corrections", self.lines),
                  applied=_lp("{count} applied", "{count} applied", len(self.applied)),
                  not_applied=_lp("{count} not applied", "{count} not applied", len(self.notices)))

    def pair_records(self) -> set[str]:
        """The records of the ``unisci``/``separa`` lines the merge may already settle by itself."""
        return {rid for d in self.pairs_decided for rid in (d.record, d.other)}

    def use(self, d: Decision, effect: str, *, action: str = "") -> None:
        self.applied.append(AppliedCorrection(
            file=d.file, line=d.line, record=d.record, action=action or d.action, value=d.value,
            effect=effect, note=d.note, typed=d.typed, provincia=d.provincia,
        ))

    def unused(self, d: Decision, message: Message, fix: Message, *, column: str = "") -> None:
        column = column or ("codice_istat" if d.action in ("comune", "alias") else "azione")
        value = d.record if column == "record" else d.value
        self.notices.append(_notice(d.file, d.line, column, value, message, fix, d.record))


#: The fix of a line that no longer changes anything.
_REMOVE_LINE: Final = _l("Remove the line from the corrections file.")


def _matches_alias(record: Initiative, d: Decision) -> bool:
    if record.place.comune.strip() != d.typed:
        return False
    return not d.provincia or record.place.provincia.strip().casefold() == d.provincia.casefold()


def _taught_association(d: Decision) -> Association:
    """The association an alias line with members teaches: its name, its lead's area, its members."""
    assert d.comune is not None
    return Association(
        id=f"CORR-{slugify(d.typed)}", kind="insegnata", name=d.typed, region_code=d.comune.region_code,
        sigla=d.comune.sigla, members=tuple(c.istat_code for c in d.members), vintage="",
        source=d.evidence(),
    )


def _teach_association(review: Review, d: Decision, decided: set[str]) -> None:
    """An association a person taught: named as the place, placed at its lead; named as the
    association (``denominazione_ente``) by one of its members, kept there; both get the members."""
    assert d.comune is not None
    association = _taught_association(d)
    association = review.taught.setdefault(association.id, association)
    codes = association.members
    placed = named = 0
    for n, (record, match) in enumerate(review.pairs):
        if record.record_id in decided or (match.association and match.association != association.id):
            continue
        if _matches_alias(record, d):
            review.pairs[n] = (record, replace(corrected_match(d.comune, d, match), association=association.id,
                                               members=codes))
            placed += 1
        elif (record.denominazione_ente.strip().casefold() == d.typed.casefold() and match.status.resolved
              and match.istat_code in codes):
            review.pairs[n] = (record, replace(match, association=association.id, members=codes))
            named += 1
    review.use(d, f"{association.name}: {len(codes)} Comuni, capofila {d.comune.label}; "
                  f"{placed} record collocati al capofila, {named} record di Comuni membri")


def _apply_aliases(review: Review, aliases: Sequence[Decision], decided: set[str]) -> None:
    """Every record that typed an alias's text exactly gets its Comune (record lines win)."""
    for d in aliases:
        assert d.comune is not None
        if d.members:
            _teach_association(review, d, decided)
            continue
        hits = [n for n, (r, _) in enumerate(review.pairs) if r.record_id not in decided and _matches_alias(r, d)]
        changed = 0
        for n in hits:
            record, match = review.pairs[n]
            if match.status in _CONFIDENT and match.istat_code == d.comune.istat_code:
                continue
            review.pairs[n] = (record, corrected_match(d.comune, d, match))
            changed += 1
        if hits and not changed:
            review.unused(d, _l("the line no longer changes anything: mapgen already finds {comune} for {typed} by "
                                "itself.", comune=d.comune.label, typed=repr(d.typed)), _REMOVE_LINE)
        else:
            review.use(d, f"{changed} record con {d.typed!r} in {d.comune.label} ({d.comune.istat_code})"
                       if hits else f"nessun record con {d.typed!r} in questa costruzione")


def _place(review: Review, d: Decision, n: int) -> None:
    assert d.comune is not None
    record, match = review.pairs[n]
    if match.istat_code == d.comune.istat_code and match.status.for_a_person:
        review.pairs[n] = (record, corrected_match(d.comune, d, match))
        review.use(d, f"confermato {d.comune.label} ({d.comune.istat_code})", action="conferma")
    elif match.istat_code == d.comune.istat_code and match.status in _CONFIDENT:
        review.unused(d, _l("the line no longer changes anything: mapgen already finds {comune} by itself.",
                            comune=d.comune.label), _REMOVE_LINE)
    else:
        review.pairs[n] = (record, corrected_match(d.comune, d, match))
        before = f"{match.name} ({match.sigla})" if match.name else match.status.value
        review.use(d, f"{before} → {d.comune.label} ({d.comune.istat_code})")


def _person_excluded(record: Initiative, d: Decision) -> RowOutcome:
    return RowOutcome(
        source=record.source, record_id=record.record_id, typed=record.place, outcome=Outcome.EXCLUDED,
        titolo=record.titolo, reason=f"Esclusa da una persona ({d.evidence()})."
        + (f" Nota: {d.note}" if d.note else ""),
    )


def _exclude(review: Review, d: Decision, at: Mapping[str, int], read: Mapping[str, int]) -> None:
    if d.record in at:
        record, _ = review.pairs[at[d.record]]
        review.outcomes.append(_person_excluded(record, d))
        review.use(d, "esclusa dalla mappa")
    elif needs_person(review.outcomes[read[d.record]]):
        # A record a reader could not use (no title, no Comune, no geometry): a person settles it.
        o = review.outcomes[read[d.record]]
        review.outcomes[read[d.record]] = replace(
            o, outcome=Outcome.EXCLUDED, match=None, fix="",
            reason=f"{o.reason} Esclusa da una persona ({d.evidence()})." + (f" Nota: {d.note}" if d.note else ""))
        review.use(d, "esclusione confermata")
    else:
        review.unused(d, _l("the line no longer changes anything: the record is already off the map."), _REMOVE_LINE)


def _include(review: Review, d: Decision, read: Mapping[str, int], included: Mapping[str, str]) -> None:
    if included.get(d.record):
        # Not a duplicate after all: the two records stay two practices in the merge.
        twin = included[d.record]
        review.keys[d.record] = "separa:" + d.record
        review.keys.setdefault(twin, "separa:" + twin)
        review.use(d, f"non è un duplicato di {twin}: rimessa sulla mappa")
    elif d.record in included:
        review.use(d, "risposta incompleta rimessa sulla mappa")
    elif d.record in read and review.outcomes[read[d.record]].outcome is Outcome.EXCLUDED:
        review.unused(d, _l("the title or the Comune is missing: the practice cannot go on the map."),
                      _l("Complete the response in LimeSurvey, or write escludi."))
    else:
        review.unused(d, _l("the line no longer changes anything: the record is already on the map."), _REMOVE_LINE)


class _Groups:
    """Union-find over record ids, for ``unisci``."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def root(self, item: str) -> str:
        while (up := self.parent.get(item, item)) != item:
            item = up
        return item

    def join(self, a: str, b: str) -> None:
        ra, rb = sorted((self.root(a), self.root(b)))
        if ra != rb:
            self.parent[rb] = ra


def _join_and_split(review: Review, pairs_of: Sequence[Decision], at: Mapping[str, int]) -> None:
    """``unisci``: one practice per group of joined records, placed once; ``separa``: never joined."""
    usable = [d for d in pairs_of if d.other in at and d.record in at]
    for d in pairs_of:
        if d not in usable:
            review.unused(d, _l("record {record} is not among those put on the map in this build.",
                                record=repr(d.other)),
                          _l("Copy the id from the record column of report.csv."))
    groups = _Groups()
    joins = [d for d in usable if d.action == "unisci"]
    for d in joins:
        groups.join(d.record, d.other)
    for d in usable:
        if d.action == "separa" and groups.root(d.record) == groups.root(d.other):
            raise CorrectionsError(_(
                "{where}: records {record} and {other} are kept apart here but joined by unisci lines (directly or "
                "through other records). Keep one of the two decisions and run again.", where=d.where(),
                record=d.record, other=d.other
            ))
    by_group: dict[str, list[Decision]] = {}
    for d in joins:
        by_group.setdefault(groups.root(d.record), []).append(d)
    for root, lines in by_group.items():
        _join_group(review, lines, at, "unisci:" + root)
    for d in usable:
        if d.action == "separa":
            for rid in (d.record, d.other):
                review.keys.setdefault(rid, "separa:" + rid)
            review.pairs_decided.append(d)
            review.use(d, f"pratica diversa da {d.other}")


def _members(lines: Sequence[Decision]) -> list[str]:
    """The records of a group of ``unisci`` lines, in the order the lines name them."""
    return list(dict.fromkeys(rid for d in lines for rid in (d.record, d.other)))


def _group_target(review: Review, lines: Sequence[Decision], at: Mapping[str, int]) -> str | None:
    """The record whose Comune the group takes; None when the group has no Comune yet.

    A member a person placed (a record line or an alias) wins; two placed in different
    Comuni stop the build. Otherwise the end of the chains (named only as the second
    record), as one ``unisci`` line means "in the other's Comune"; a cycle or several
    ends take the one Comune the members share, and stop when they are in several.
    """
    members = _members(lines)
    matches = {rid: review.pairs[at[rid]][1] for rid in members}
    placed = [rid for rid in members if matches[rid].method == METHOD]
    if len({matches[rid].istat_code for rid in placed}) > 1:
        where = ", ".join(_("{record} in {name} ({sigla})", record=rid, name=matches[rid].name,
                              sigla=matches[rid].sigla) for rid in placed)
        raise CorrectionsError(_(
            "{where}: records {records} are one practice (unisci lines) but a person placed them in different "
            "Comuni: {places}. Keep one Comune for the group and run again.", where=lines[0].where(),
            records=", ".join(members), places=where,
        ))
    if placed:
        return placed[0]
    ends = [rid for rid in members if rid not in {d.record for d in lines}]
    if len(ends) == 1 and matches[ends[0]].status.resolved:
        return ends[0]
    resolved = [rid for rid in members if matches[rid].status.resolved]
    if len({matches[rid].istat_code for rid in resolved}) > 1:
        where = ", ".join(_("{record} in {name} ({sigla})", record=rid, name=matches[rid].name,
                              sigla=matches[rid].sigla) for rid in resolved)
        raise CorrectionsError(_(
            "{where}: records {records} are one practice (unisci lines that form a cycle or a fork) in different "
            "Comuni: {places}. Write the Comune (codice_istat) on one of them, or join them in a chain that ends "
            "in the right one, and run again.", where=lines[0].where(), records=", ".join(members), places=where,
        ))
    return resolved[0] if resolved else None


def _join_group(review: Review, lines: Sequence[Decision], at: Mapping[str, int], key: str) -> None:
    """One practice in one Comune: each member elsewhere moves there (method ``correzione``)."""
    target_id = _group_target(review, lines, at)
    target = review.pairs[at[target_id]][1] if target_id is not None else None
    moved_by: dict[str, Decision] = {}
    for d in lines:
        for rid in (d.record, d.other):
            moved_by.setdefault(rid, d)
    moved = set()
    for rid, d in moved_by.items():
        record, match = review.pairs[at[rid]]
        review.keys[rid] = key
        if target is None or rid == target_id or target.istat_code == match.istat_code:
            continue
        moved.add(rid)
        review.pairs[at[rid]] = (record, replace(
            target, status=MatchStatus.CORRECTED, method=METHOD, score=100.0, candidates=(),
            hint=f"Stessa pratica di {target_id}, indicata da una persona ({d.evidence()}).",
            raw={"file": d.file, "line": d.line, "before": match.status.value}))
    for d in lines:
        if not {d.record, d.other} & moved:
            review.pairs_decided.append(d)  # same Comune already: the merge may join them by itself
        review.use(d, f"stessa pratica di {d.other}")


def put_back(
    corrections: Corrections | None, held: Sequence[Initiative], duplicate_of: Mapping[str, str],
    *, placeable: Sequence[Initiative] = (),
) -> tuple[list[Initiative], dict[str, str]]:
    """The held-back records a person puts back on the map (``includi``), to geocode with the rest.

    Parameters
    ----------
    corrections
        The checked file, if any.
    held
        Records a reader kept off the map but read all the same: incomplete responses
        and duplicates (``SurveyRead.incomplete``, ``SurveyRead.dropped``).
    duplicate_of
        Each duplicate's record id to the id of the record that was kept.
    placeable
        Records a reader excluded for want of a Comune only (``SurveyRead.no_comune``):
        put back when a person gives their Comune (a ``codice_istat`` line).

    Returns
    -------
    tuple[list[Initiative], dict[str, str]]
        The records put back, and each one's id mapped to its kept twin (``""`` for an
        incomplete response): the ``included`` of :func:`apply_corrections`.
    """
    wanted = corrections.includes() if corrections is not None else set()
    placed = {d.record for d in corrections.decisions if d.action == "comune"} if corrections is not None else set()
    found = [r for r in held if r.record_id in wanted] + [r for r in placeable if r.record_id in placed]
    return found, {r.record_id: duplicate_of.get(r.record_id, "") for r in found}


def apply_corrections(
    corrections: Corrections,
    pairs: Sequence[tuple[Initiative, Match]],
    outcomes: Sequence[RowOutcome],
    *,
    included: Mapping[str, str] | None = None,
) -> Review:
    """Apply a person's decisions to the geocoded records, before the merge.

    Parameters
    ----------
    corrections
        The checked file (:func:`read_corrections`).
    pairs
        Every record to merge with the geocoder's match, survey records and
        previous-map features alike.
    outcomes
        The readers' outcomes (excluded, duplicate, carried records).
    included
        Record ids put back because of an ``includi`` line (:func:`put_back`), now among
        ``pairs``: an incomplete response (mapped to ``""``) or a duplicate (mapped to the
        record that was kept). Their readers' outcomes are dropped.

    Returns
    -------
    Review
        The records to merge, the outcomes, the merge keys, what was applied and what was not.
    """
    included = included or {}
    review = Review(pairs=list(pairs), outcomes=[o for o in outcomes if o.record_id not in included],
                    notices=list(corrections.notices), file=corrections.file, lines=len(corrections.decisions))
    at = {r.record_id: n for n, (r, _) in enumerate(review.pairs)}
    read = {o.record_id: n for n, o in enumerate(review.outcomes)}
    decided = {d.record for d in corrections.decisions if d.action in ("comune", "escludi")}
    by_action: dict[str, list[Decision]] = {}
    for d in corrections.decisions:
        if d.action != "alias" and d.record not in at and d.record not in read:
            review.unused(d, _l("unknown record: no record of this build has this id."),
                          _l("Copy the id from the record column of da_correggere.csv or report.csv."),
                          column="record")
            continue
        by_action.setdefault(d.action, []).append(d)
    _apply_aliases(review, by_action.get("alias", []), decided)
    for d in by_action.get("comune", []):
        if d.record in at:
            _place(review, d, at[d.record])
        else:
            review.unused(d, _l("the record is not among those to put on the map (excluded, duplicate or other "
                                "content): the Comune cannot be given."),
                          _l("An incomplete response or a duplicate goes back on the map first with includi (on a "
                             "line of its own); a practice without a title gets one in LimeSurvey; otherwise "
                             "write escludi."))
    for d in by_action.get("includi", []):
        _include(review, d, read, included)
    _join_and_split(review, [*by_action.get("unisci", []), *by_action.get("separa", [])], at)
    excluded = set()
    for d in by_action.get("escludi", []):
        _exclude(review, d, at, read)
        excluded.add(d.record)
    review.pairs = [(r, m) for r, m in review.pairs if r.record_id not in excluded]
    review.applied.sort(key=lambda a: (a.file, a.line))
    review.notices.sort(key=lambda n: (n.file, n.row or 0))
    return review


def settle_pairs(review: Review, unkeyed: Mapping[str, str]) -> None:
    """Report the ``unisci``/``separa`` lines that the merge now does by itself.

    ``unkeyed`` gives each record of :meth:`Review.pair_records` the practice the
    merge's title rules alone put it in (``MergeResult.by_titles``, or the initiative
    ids of a merge without the person's keys): two records already joined (``unisci``)
    or already apart (``separa``) mean the line no longer changes anything.
    """
    for d in review.pairs_decided:
        joined = bool(unkeyed.get(d.record)) and unkeyed.get(d.record) == unkeyed.get(d.other)
        if joined != (d.action == "unisci"):
            continue
        review.applied = [a for a in review.applied if (a.file, a.line) != (d.file, d.line)]
        message = (_l("the line no longer changes anything: mapgen already joins them by itself.") if joined
                   else _l("the line no longer changes anything: mapgen already keeps them apart by itself."))
        review.unused(d, message, _REMOVE_LINE)
    review.notices.sort(key=lambda n: (n.file, n.row or 0))

