"""merge_editions: one initiative per practice, every record accounted for exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fixtures.factories import comune, initiative, match_for
from mapgen.gazetteer import Gazetteer, load_gazetteer
from mapgen.merge import Geocoded, initiative_id, merge_editions
from mapgen.model import Candidate, Match, MatchStatus, Outcome, Place

ROMA = "058091"
CASTRO_LE = "075096"


def geocoded(record_id: str, code: str | None, *, edition: int = 2020, **fields: object) -> Geocoded:
    record = initiative(record_id, edition=edition, **fields)  # type: ignore[arg-type]
    if code is None:
        return Geocoded(record, Match(status=MatchStatus.UNRESOLVED))
    return Geocoded(record, match_for(comune(code)))


def test_same_practice_in_two_editions_becomes_one_with_history(gazetteer: Gazetteer) -> None:
    result = merge_editions(
        [
            geocoded("2020-R1-G1", ROMA, titolo="Centro per le Famiglie", descrizione="nuovo"),
            geocoded("2019-l-1", ROMA, edition=2019, titolo="Centro per le famiglie.", descrizione="vecchio"),
        ],
        gazetteer=gazetteer,
    )
    assert len(result.initiatives) == 1
    item = result.initiatives[0]
    assert item.edizioni == (2019, 2020)
    assert item.record.descrizione == "nuovo"
    assert [h.descrizione for h in item.history] == ["vecchio"]
    # the id is born with the first appearance (2019) and survives later editions
    assert item.id == "058091-centro-per-le-famiglie"
    assert [o.outcome for o in result.outcomes] == [Outcome.MAPPED, Outcome.MERGED]
    assert all(o.initiative_id == item.id for o in result.outcomes)
    assert result.diff.continued == (item.id,)


def test_near_equal_titles_merge_but_different_practices_do_not(gazetteer: Gazetteer) -> None:
    result = merge_editions(
        [
            geocoded("2020-R1-G1", ROMA, titolo="Sportello famiglie e genitori"),
            geocoded("2019-l-1", ROMA, edition=2019, titolo="Sportello famiglie e genitor"),  # typo
            geocoded("2019-l-2", ROMA, edition=2019, titolo="Nidi gratis"),
        ],
        gazetteer=gazetteer,
    )
    assert sorted(i.edizioni for i in result.initiatives) == [(2019,), (2019, 2020)]
    assert result.diff.not_resubmitted == ("058091-nidi-gratis",)


def test_same_title_in_different_comuni_stays_apart(gazetteer: Gazetteer) -> None:
    result = merge_editions(
        [geocoded("2020-R1-G1", ROMA), geocoded("2019-l-1", CASTRO_LE, edition=2019)],
        gazetteer=gazetteer,
    )
    assert len(result.initiatives) == 2
    assert result.diff.comuni_new == (ROMA,)
    assert result.diff.comuni_dropped == (CASTRO_LE,)


def test_repeat_within_an_edition_is_a_duplicate_and_the_latest_wins(gazetteer: Gazetteer) -> None:
    early = geocoded("2020-R1-G1", ROMA, submitted=datetime(2020, 9, 1), descrizione="prima")
    late = geocoded("2020-R7-G1", ROMA, submitted=datetime(2020, 9, 20), descrizione="dopo", row=9)
    result = merge_editions([early, late], gazetteer=gazetteer)
    assert [i.record.descrizione for i in result.initiatives] == ["dopo"]
    assert [o.outcome for o in result.outcomes] == [Outcome.DUPLICATE, Outcome.MAPPED]


def test_unplaced_records_are_reported_with_reason_and_fix(gazetteer: Gazetteer) -> None:
    ambiguous = Geocoded(
        initiative("2020-R5-G1", comune_name="Samone"),
        Match(status=MatchStatus.AMBIGUOUS, candidates=(
            Candidate("001235", "Samone", "TO", 100), Candidate("022165", "Samone", "TN", 100))),
    )
    not_comune = Geocoded(
        initiative("2020-R6-G1", comune_name="Unione dei Comuni"),
        Match(status=MatchStatus.NOT_A_COMUNE, hint="È un'Unione."),
    )
    result = merge_editions([ambiguous, not_comune], gazetteer=gazetteer)
    assert result.initiatives == ()
    first, second = result.outcomes
    assert first.outcome is Outcome.AMBIGUOUS
    assert "Samone (TO), Samone (TN)" in first.reason
    assert "provincia" in first.fix
    assert second.outcome is Outcome.NOT_A_COMUNE
    assert second.reason.endswith("È un'Unione.")


def test_a_name_found_in_another_province_asks_to_fix_the_province(gazetteer: Gazetteer) -> None:
    # The real geocoder's answer for "Forli" typed with Agrigento: the fix is the province.
    from mapgen.geocoders import Geocoder

    record = initiative("2020-R7-G1", comune_name="Forli")
    record = replace(record, place=Place(comune="Forli", provincia="Agrigento"))
    match = Geocoder(gazetteer).geocode(record.place, online=False)
    assert match.status is MatchStatus.UNRESOLVED
    (outcome,) = merge_editions([Geocoded(record, match)], gazetteer=gazetteer).outcomes
    assert outcome.fix == "Correggere la provincia o la regione indicata (Forlì (FC)), oppure il nome del Comune."


def test_unknown_istat_code_is_reported_not_dropped(gazetteer: Gazetteer) -> None:
    record = initiative("2020-R1-G1")
    bogus = Match(status=MatchStatus.EXACT, istat_code="999999")
    result = merge_editions([Geocoded(record, bogus)], gazetteer=gazetteer)
    assert result.initiatives == ()
    assert result.outcomes[0].outcome is Outcome.UNRESOLVED


def test_members_are_resolved_with_the_lead_region(gazetteer: Gazetteer) -> None:
    seen: list[Place] = []

    def resolve(place: Place) -> Match:
        seen.append(place)
        found = gazetteer.by_name(place.comune)
        return match_for(found[0]) if len(found) == 1 else Match(status=MatchStatus.AMBIGUOUS)

    record = geocoded("2020-R3-G1", "075035", comuni_associati=("Lecce", "Tricase", "Castro"))
    result = merge_editions([record], gazetteer=gazetteer, resolve_member=resolve)
    assert [m.name for m in result.initiatives[0].members] == ["Lecce", "Tricase"]
    assert {p.regione for p in seen} == {"Puglia"}


def test_a_member_with_e_in_its_name_is_not_split_in_two(gazetteer: Gazetteer) -> None:
    # The reader splits "A, B e C" at its last " e "; "Massa e Cozzile" (PT) is one Comune,
    # and Massa (MS) alone would be a wrong member. "Pescia e Uzzano" is two.
    from mapgen.geocoders import Geocoder
    from mapgen.readers._values import split_list

    geocoder = Geocoder(gazetteer)
    typed = split_list("Buggiano, Massa e Cozzile")
    assert typed == ["Buggiano", "Massa", "Cozzile"]
    joined = geocoded("2020-R4-G1", "047003", comuni_associati=tuple(typed))
    listed = tuple(split_list("Buggiano, Pescia e Uzzano"))
    two = geocoded("2020-R5-G1", "047003", titolo="Altro", comuni_associati=listed)
    result = merge_editions([joined, two], gazetteer=gazetteer, resolve_member=geocoder.geocode)
    members = {i.record.record_id: [m.label for m in i.members] for i in result.initiatives}
    assert members == {
        "2020-R4-G1": ["Buggiano (PT)", "Massa e Cozzile (PT)"],
        "2020-R5-G1": ["Buggiano (PT)", "Pescia (PT)", "Uzzano (PT)"],
    }


def test_numbered_or_same_edition_variants_stay_apart(gazetteer: Gazetteer) -> None:
    result = merge_editions(
        [
            geocoded("2020-R1-G1", ROMA, titolo="Sostegno alle famiglie - Azione 1"),
            geocoded("2019-l-1", ROMA, edition=2019, titolo="Sostegno alle famiglie - Azione 2"),
            geocoded("2020-R1-G2", ROMA, titolo="Sportello famiglie e genitori"),
            geocoded("2020-R1-G3", ROMA, titolo="Sportello famiglie e genitor"),
        ],
        gazetteer=gazetteer,
    )
    assert len(result.initiatives) == 4
    assert {o.outcome for o in result.outcomes} == {Outcome.MAPPED}


def test_ids_are_unique_even_when_slugs_collide(gazetteer: Gazetteer) -> None:
    long_title = "Progetto " + "famiglia " * 10
    result = merge_editions(
        [geocoded("2020-R1-G1", ROMA, titolo=long_title + "uno"),
         geocoded("2020-R2-G1", ROMA, titolo=long_title + "due bis ter")],
        gazetteer=gazetteer,
    )
    ids = [i.id for i in result.initiatives]
    assert len(set(ids)) == 2
    assert ids[0].startswith(initiative_id(ROMA, long_title)[:40])


TITLES = st.sampled_from(["Centro per le famiglie", "Centro per le famiglie!", "Nidi gratis",
                          "Bonus bebè", "Bonus bebe", "Scuola genitori", "Ludoteca"])
CODES = st.sampled_from([ROMA, CASTRO_LE, "021008", None])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(CODES, TITLES, st.sampled_from([2019, 2020])), max_size=25))
def test_nothing_is_lost(gazetteer: Gazetteer, rows: list[tuple[str | None, str, int]]) -> None:
    records = [
        geocoded(f"{edition}-r{n}", code, edition=edition, titolo=title)
        for n, (code, title, edition) in enumerate(rows)
    ]
    result = merge_editions(records, gazetteer=gazetteer)
    assert [o.record_id for o in result.outcomes] == [g.record.record_id for g in records]
    counts = Counter(o.outcome for o in result.outcomes)
    assert counts[Outcome.MAPPED] == len(result.initiatives)
    assert counts[Outcome.UNRESOLVED] == sum(1 for code, _, _ in rows if code is None)
    ids = {i.id for i in result.initiatives}
    assert len(ids) == len(result.initiatives)
    for outcome in result.outcomes:
        joined = outcome.outcome in (Outcome.MAPPED, Outcome.MERGED, Outcome.DUPLICATE)
        assert (outcome.initiative_id in ids) == joined
    # every record of every initiative is accounted for exactly once
    merged_records = [r.record_id for i in result.initiatives for r in i.records]
    assert len(merged_records) == len(set(merged_records))


def test_merge_is_deterministic(gazetteer: Gazetteer) -> None:
    records = [geocoded("2020-R1-G1", ROMA), geocoded("2019-l-1", ROMA, edition=2019),
               geocoded("2020-R2-G1", CASTRO_LE, titolo="Bonus")]
    first = merge_editions(records, gazetteer=gazetteer)
    second = merge_editions(list(reversed(records)), gazetteer=gazetteer)
    assert [i.id for i in first.initiatives] == [i.id for i in second.initiatives]
    assert [replace(i, match=i.match) for i in first.initiatives] == list(second.initiatives)


def test_the_merge_tells_which_practice_the_titles_alone_give(gazetteer: Gazetteer) -> None:
    """``by_titles`` answers for a person's unisci/separa as a merge without their keys would."""
    items = [
        geocoded("2020-R1-G1", ROMA, titolo="Nidi gratis"),
        geocoded("2019-l-1", ROMA, edition=2019, titolo="Nidi gratis."),
        geocoded("2020-R2-G1", ROMA, titolo="Ludoteca"),
        geocoded("2020-R3-G1", None, titolo="Nidi gratis"),
    ]
    keys = {"2020-R1-G1": "separa:2020-R1-G1", "2019-l-1": "separa:2019-l-1"}
    asked = ("2020-R1-G1", "2019-l-1", "2020-R2-G1", "2020-R3-G1")
    keyed = merge_editions(items, gazetteer=gazetteer, practice_keys=keys, title_rules_for=asked)
    plain = {o.record_id: o.initiative_id for o in merge_editions(items, gazetteer=gazetteer).outcomes}
    assert len({o.initiative_id for o in keyed.outcomes[:2]}) == 2  # the person's keys kept them apart
    titles = keyed.by_titles
    assert set(titles) == {"2020-R1-G1", "2019-l-1", "2020-R2-G1"}  # the unplaced record has no practice
    assert titles["2020-R1-G1"] == titles["2019-l-1"] != titles["2020-R2-G1"]
    assert plain["2020-R1-G1"] == plain["2019-l-1"] != plain["2020-R2-G1"]
    assert merge_editions(items, gazetteer=gazetteer).by_titles == {}  # nothing asked, nothing computed


# --- associations of Comuni (issue 26) ---------------------------------------------------------

BASSA_ROMAGNA = "UC2080666010"
LUGO = "039012"


def _at_lead(record_id: str, **fields: object) -> Geocoded:
    """A practice placed at Lugo as lead of the Bassa Romagna (the association matcher's answer)."""
    item = geocoded(record_id, LUGO, **fields)
    association = load_gazetteer().association(BASSA_ROMAGNA)
    assert association is not None
    return Geocoded(item.record, replace(item.match, association=BASSA_ROMAGNA, members=association.members))


def _resolve_by_name(gazetteer: Gazetteer) -> Callable[[Place], Match]:
    def resolve(place: Place) -> Match:
        found = gazetteer.by_name(place.comune)
        return match_for(found[0]) if len(found) == 1 else Match(status=MatchStatus.AMBIGUOUS)

    return resolve


def test_an_association_gives_its_members(gazetteer: Gazetteer) -> None:
    result = merge_editions([_at_lead("2020-R4-G1")], gazetteer=gazetteer, resolve_member=_resolve_by_name(gazetteer))
    members = [m.name for m in result.initiatives[0].members]
    # The nine Comuni of the register (line 494 of the DAIT file), none typed by the respondent.
    assert members == ["Alfonsine", "Bagnacavallo", "Bagnara di Romagna", "Conselice", "Cotignola",
                       "Fusignano", "Lugo", "Massa Lombarda", "Sant'Agata sul Santerno"]
    assert result.outcomes[0].reason == ""


def test_typed_members_win_and_a_disagreement_is_listed(gazetteer: Gazetteer) -> None:
    typed = ("Bagnacavallo", "Cotignola", "Faenza")
    item = _at_lead("2020-R5-G1", comuni_associati=typed)
    result = merge_editions([item], gazetteer=gazetteer, resolve_member=_resolve_by_name(gazetteer))
    assert [m.name for m in result.initiatives[0].members] == list(typed)
    reason = result.outcomes[0].reason
    assert reason.startswith("Comuni associati indicati diversi da quelli del registro per "
                             "Unione dei Comuni della Bassa Romagna (in più: Faenza (RA); mancano: Alfonsine (RA)")
    assert reason.endswith("usati quelli indicati.")


def test_an_association_without_its_lead_asks_for_the_lead(gazetteer: Gazetteer) -> None:
    association = gazetteer.association(BASSA_ROMAGNA)
    assert association is not None
    match = Match(status=MatchStatus.AMBIGUOUS, method="association", association=BASSA_ROMAGNA,
                  members=association.members, candidates=(Candidate(LUGO, "Lugo", "RA", 100.0),))
    record = initiative("2020-R6-G1", place=Place("Bassa Romagna", "RA"))
    result = merge_editions([Geocoded(record, match)], gazetteer=gazetteer)
    outcome = result.outcomes[0]
    assert outcome.outcome is Outcome.AMBIGUOUS
    assert outcome.fix.startswith("Scegliere il Comune capofila tra i Comuni dell'associazione")


def test_an_id_never_carries_a_contact_written_in_the_title() -> None:
    """The id is in every public file: a telephone or an address in the title stays out of it (the
    guard refused such builds); a title without one keeps its id as before."""
    assert initiative_id("075035", "Nido, tel. 333 555 0199") == "075035-nido-tel"
    assert initiative_id("075035", "Sportello: 0832 – 123456, info@comune.example.it") == "075035-sportello"
    assert initiative_id("075035", "Nido 0-3 2019/2020") == "075035-nido-0-3-2019-2020"
