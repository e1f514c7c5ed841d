"""The report's reach: Comuni reached directly, through an association, and the 0-17 residents (issue 26).

The expected figures are computed by hand from gazetteer/comuni.csv (ISTAT population
and residents aged 0-17 per Comune) and gazetteer/associations.csv; the sums are written out.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from fixtures import factories
from mapgen.gazetteer import Gazetteer
from mapgen.model import BuildResult, OutputOptions
from mapgen.writers.report import write_report


def reach_build(gazetteer: Gazetteer) -> BuildResult:
    """Aosta and Roma alone; the Unione Valdigne-Mont-Blanc at Courmayeur; a practice in La Salle too.

    Unione UC1020046010 (Valle d'Aosta): Courmayeur 007022, La Salle 007040, La Thuile 007041,
    Morgex 007044, Pré-Saint-Didier 007053.
    """
    unione = gazetteer.association("UC1020046010")
    assert unione is not None and unione.members == ("007022", "007040", "007041", "007044", "007053")
    aosta, roma, courmayeur, la_salle = (factories.comune(c) for c in ("007003", "058091", "007022", "007040"))
    members = tuple(factories.comune(c) for c in unione.members)
    items = (
        factories.map_initiative("007003-a", aosta, factories.initiative("2020-R1-G1", comune_name="Aosta")),
        factories.map_initiative("058091-b", roma, factories.initiative("2020-R2-G1", comune_name="Roma")),
        replace(factories.map_initiative("007022-c", courmayeur,
                                         factories.initiative("2020-R3-G1", comune_name="Courmayeur"),
                                         members=members), association=unione),
        factories.map_initiative("007040-d", la_salle, factories.initiative("2020-R4-G1", comune_name="La Salle")),
    )
    return replace(factories.sample_build(), initiatives=items)


def test_reach_counts_comuni_directly_and_through_associations_with_the_0_17_share(
    gazetteer: Gazetteer, tmp_path: Path
) -> None:
    from mapgen.writers.report import reach_by_region

    rows, total = reach_by_region(reach_build(gazetteer), gazetteer)
    by_region = {r.region: r for r in rows}
    assert list(by_region) == ["Lazio", "Valle d'Aosta/Vallée d'Aoste"]
    vda = by_region["Valle d'Aosta/Vallée d'Aoste"]
    # Directly: Aosta, Courmayeur, La Salle (a member, but a practice is placed there).
    assert (vda.direct, vda.through_association) == (3, 3)  # only through: La Thuile, Morgex, Pré-Saint-Didier
    # 0-17: Aosta 4793 + Courmayeur 340 + La Salle 330 + La Thuile 120 + Morgex 307 + Pré-Saint-Didier 143
    # = 6033 of 18529 in the region's 74 Comuni.
    assert (vda.minors_reached, vda.minors) == (6033, 18529)
    lazio = by_region["Lazio"]
    assert (lazio.direct, lazio.through_association) == (1, 0)
    assert (lazio.minors_reached, lazio.minors) == (422795, 884889)  # Roma, of the 378 Comuni of Lazio
    assert (total.direct, total.through_association) == (4, 3)
    assert (total.minors_reached, total.minors) == (6033 + 422795, 9063007)  # Italy's 0-17 residents

    _csv, html_path = write_report(reach_build(gazetteer), tmp_path, gazetteer=gazetteer,
                                       options=OutputOptions())
    html = html_path.read_text(encoding="utf-8")
    table = html[html.index('id="tabella-raggiunti"'):]
    table = table[:table.index("</table>")]
    assert "<caption>" in table
    # 6033 / 18529 = 32.56 %; 422795 / 884889 = 47.78 %; 428828 / 9063007 = 4.73 %.
    assert "<td>Valle d&#39;Aosta/Vallée d&#39;Aoste</td><td class=\"n\">3</td><td class=\"n\">3</td>" \
           "<td class=\"n\">32,6 %</td>" in table
    assert "<td>Lazio</td><td class=\"n\">1</td><td class=\"n\">0</td><td class=\"n\">47,8 %</td>" in table
    assert "<th>Italia</th><td class=\"n\">4</td><td class=\"n\">3</td><td class=\"n\">4,7 %</td>" in table
