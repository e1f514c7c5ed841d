"""``unisci`` as groups (issue 29): chains and cycles are one practice in one Comune, placed once.

Before: ``R3 unisci R4; R4 unisci R5`` left R3 alone in R4's Comune (two initiatives), a cycle of
three swapped the Comuni, and ``R3 → Torino`` plus ``R3 unisci R4`` put R3 in R4's Comune.
"""

from __future__ import annotations

import pytest

from fixtures.factories import comune, initiative, match_for
from mapgen.corrections import Corrections, Decision, apply_corrections
from mapgen.errors import CorrectionsError
from mapgen.model import Initiative, Match

TORINO, MILANO, NAPOLI, ROMA = "001272", "015146", "063049", "058091"


def _pairs(*placed: tuple[str, str]) -> list[tuple[Initiative, Match]]:
    return [(initiative(rid, row=n + 2), match_for(comune(code))) for n, (rid, code) in enumerate(placed)]


def _file(*lines: tuple[str, str, str]) -> Corrections:
    """Decisions as read from correzioni.csv: (record, action, other or ISTAT code)."""
    decisions = []
    for n, (record, action, value) in enumerate(lines, start=2):
        if action == "comune":
            decisions.append(Decision("correzioni.csv", n, "comune", record, comune=comune(value), value=value))
        else:
            decisions.append(Decision("correzioni.csv", n, action, record, other=value, value=f"{action} {value}"))
    return Corrections(file="correzioni.csv", decisions=tuple(decisions))


def _where(review_pairs: list[tuple[Initiative, Match]]) -> dict[str, str]:
    return {r.record_id: m.istat_code or "" for r, m in review_pairs}


def test_a_chain_is_one_practice_in_the_comune_of_its_end() -> None:
    pairs = _pairs(("R3", TORINO), ("R4", MILANO), ("R5", NAPOLI))
    review = apply_corrections(_file(("R3", "unisci", "R4"), ("R4", "unisci", "R5")), pairs, [])
    assert _where(review.pairs) == {"R3": NAPOLI, "R4": NAPOLI, "R5": NAPOLI}
    assert review.keys["R3"] == review.keys["R4"] == review.keys["R5"]
    assert not review.notices


def test_a_cycle_in_different_comuni_stops_and_asks_for_the_comune() -> None:
    pairs = _pairs(("R3", TORINO), ("R4", MILANO), ("R5", NAPOLI))
    lines = _file(("R3", "unisci", "R4"), ("R4", "unisci", "R5"), ("R5", "unisci", "R3"))
    with pytest.raises(CorrectionsError, match=r"R3, R4, R5.*different Comuni.*codice_istat"):
        apply_corrections(lines, pairs, [])


def test_a_cycle_with_one_record_placed_by_a_person_goes_there() -> None:
    pairs = _pairs(("R3", TORINO), ("R4", MILANO), ("R5", NAPOLI))
    lines = _file(("R3", "unisci", "R4"), ("R4", "unisci", "R5"), ("R5", "unisci", "R3"), ("R4", "comune", ROMA))
    review = apply_corrections(lines, pairs, [])
    assert _where(review.pairs) == {"R3": ROMA, "R4": ROMA, "R5": ROMA}


def test_a_record_placed_by_a_person_places_its_group() -> None:
    pairs = _pairs(("R3", MILANO), ("R4", NAPOLI))
    review = apply_corrections(_file(("R3", "comune", TORINO), ("R3", "unisci", "R4")), pairs, [])
    assert _where(review.pairs) == {"R3": TORINO, "R4": TORINO}
    assert review.keys["R3"] == review.keys["R4"]


def test_a_group_placed_in_two_comuni_by_a_person_stops() -> None:
    pairs = _pairs(("R3", MILANO), ("R4", NAPOLI))
    lines = _file(("R3", "comune", TORINO), ("R4", "comune", ROMA), ("R3", "unisci", "R4"))
    with pytest.raises(CorrectionsError, match=r"line 4.*R3.*R4.*Torino \(TO\).*Roma \(RM\)"):
        apply_corrections(lines, pairs, [])


def test_separa_a_record_from_itself_says_so() -> None:
    from mapgen.corrections.read import _decide, _Line
    from mapgen.gazetteer import load_gazetteer

    line = _Line("correzioni.csv", 5, {"record": "R3", "azione": "separa R3"})
    found = _decide(line, load_gazetteer())
    assert not isinstance(found, Decision) and found is not None
    assert "stesso record" in found.staff_message and "unisci" not in found.staff_message
