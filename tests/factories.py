"""Small hand-made records for tests of the merge, writers and report.

Built from the real gazetteer so that codes, names and points are genuine. The
sample build holds every shape the writers must handle: two editions, a practice
present in both, several practices in one Comune, an Ambito with member Comuni,
hostile text, a carried-over layer, and report rows of every outcome.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from mapgen.gazetteer import load_gazetteer
from mapgen.model import (
    BuildResult,
    Candidate,
    CarriedLayer,
    Comune,
    EditionDiff,
    Initiative,
    MapInitiative,
    Match,
    MatchStatus,
    Outcome,
    Place,
    RowOutcome,
    Source,
    SourceRef,
)

SURVEY_FILE = "survey_2020.csv"
PREVIOUS_FILE = "mappa_2019.umap"

#: Text that must show literally everywhere and never run.
HOSTILE_TEXT = (
    "<script>window.__xss=1</script><img src=x onerror=\"window.__xss=2\"> "
    "Costo ${prezzo} {comune} {{ 7*7 }} 5 * 3 * 2 [[javascript:alert(1)|link]] "
    "C:\\dati\\2019\\progetto </script> «Sant'Anna» & più già 👪 שלום"
)


def comune(istat_code: str) -> Comune:
    """Return a Comune of the shipped gazetteer."""
    found = load_gazetteer().by_code(istat_code)
    assert found is not None, istat_code
    return found


def match_for(c: Comune, status: MatchStatus = MatchStatus.EXACT, score: float = 100.0) -> Match:
    """A resolved Match pointing at ``c``."""
    return Match(
        status=status,
        istat_code=c.istat_code,
        name=c.name,
        sigla=c.sigla,
        region=c.region,
        lat=c.lat,
        lon=c.lon,
        score=score,
        method="name",
    )


def initiative(
    record_id: str = "2020-R1-G1",
    *,
    edition: int = 2020,
    comune_name: str = "Roma",
    row: int | None = 2,
    **fields: Any,
) -> Initiative:
    """An Initiative with plausible defaults; override any field by keyword."""
    if edition == 2020:
        source = SourceRef(Source.SURVEY, SURVEY_FILE, row=row, group=1)
    else:
        source = SourceRef(Source.PREVIOUS, PREVIOUS_FILE, layer="Iniziative 2019", feature=record_id)
    base = Initiative(
        record_id=record_id,
        edition=edition,
        source=source,
        place=Place(comune=comune_name),
        titolo="Centro per le famiglie",
        descrizione="Sportello di ascolto e mediazione familiare.\nAperto il martedì.",
        aree=("centri per le famiglie",),
        destinatari="Famiglie con figli 0-17",
        fonti=("nazionale", "regionale"),
        importo=12500.5,
        data_inizio=date(2020, 1, 15),
        data_fine=date(2020, 12, 31),
        sito_web="https://www.example.org/centro",
        tipo_ente="Comune singolo",
        referente="Mario Rossi",
        email="mario.rossi@example.org",
        telefono="06 1234567",
        submitted=datetime(2020, 9, 20, 10, 30),
    )
    return replace(base, **fields)


def map_initiative(
    id_: str,
    c: Comune,
    record: Initiative,
    *,
    history: tuple[Initiative, ...] = (),
    members: tuple[Comune, ...] = (),
) -> MapInitiative:
    editions = tuple(sorted({record.edition, *(h.edition for h in history)}))
    return MapInitiative(
        id=id_, comune=c, record=record, edizioni=editions, match=match_for(c),
        history=history, members=members,
    )


def sample_build() -> BuildResult:
    """A small BuildResult covering every case the writers must render."""
    roma, castro, bolzano, aosta = (comune(x) for x in ("058091", "075096", "021008", "007003"))
    lecce, tricase = comune("075035"), comune("075088")
    continued_2019 = initiative(
        "2019-iniziative-2019-17", edition=2019, comune_name="Roma", titolo="Centro per le famiglie",
        descrizione="Testo 2019.", point=(roma.lon, roma.lat), data_inizio=None, data_fine=None,
    )
    items = (
        map_initiative(
            "058091-centro-per-le-famiglie", roma,
            initiative("2020-R1-G1", comune_name="Roma"), history=(continued_2019,),
        ),
        map_initiative(
            "058091-nidi-gratis", roma,
            initiative("2020-R1-G2", comune_name="Roma", titolo="Nidi gratis", aree=("infanzia", "natalità"),
                       fonti=("comunale",), importo=None, sito_web="javascript:alert(1)"),
        ),
        map_initiative(
            "075096-bonus-bebe", castro,
            initiative("2020-R2-G1", comune_name="Castro (LE)", titolo="Bonus bebè <b>2020</b>",
                       aree=("natalità",), fonti=("comunitaria",), descrizione=HOSTILE_TEXT),
        ),
        map_initiative(
            "075035-ambito-lecce-genitori", lecce,
            initiative("2020-R3-G1", comune_name="Lecce", titolo="Scuola per genitori",
                       aree=("responsabilità genitoriali",), tipo_ente="capofila di Ambito",
                       denominazione_ente="Ambito territoriale di Lecce",
                       comuni_associati=("Lecce", "Castro", "Tricase")),
            members=(lecce, castro, tricase),
        ),
        map_initiative(
            "021008-familienzentrum", bolzano,
            initiative("2019-iniziative-2019-3", edition=2019, comune_name="Bolzano/Bozen",
                       titolo="Familienzentrum / Centro famiglie", aree=("sostegno alle famiglie",),
                       point=(bolzano.lon, bolzano.lat), referente="", email="", telefono=""),
        ),
        map_initiative(
            "007003-altro", aosta,
            initiative("2020-R4-G1", comune_name="Aoste", titolo="Estate ragazzi", aree=("altro",),
                       aree_altro="tempo libero", fonti=("altro",), fonti_altro="fondazione bancaria"),
        ),
    )
    ref = SourceRef(Source.SURVEY, SURVEY_FILE, row=6, group=1)
    outcomes = tuple(
        RowOutcome(
            source=r.source, record_id=r.record_id, typed=r.place, outcome=Outcome.MAPPED,
            titolo=r.titolo, initiative_id=item.id, match=item.match,
        )
        for item in items for r in (item.record,)
    ) + (
        RowOutcome(
            source=continued_2019.source, record_id=continued_2019.record_id, typed=continued_2019.place,
            outcome=Outcome.MERGED, titolo=continued_2019.titolo, initiative_id=items[0].id,
            match=match_for(roma, MatchStatus.SPATIAL), reason="Stessa pratica nell'edizione 2020.",
        ),
        RowOutcome(
            source=ref, record_id="2020-R5-G1", typed=Place("Samone"), outcome=Outcome.AMBIGUOUS,
            titolo="Ludoteca",
            match=Match(status=MatchStatus.AMBIGUOUS, candidates=(
                Candidate("001235", "Samone", "TO", 100.0), Candidate("022165", "Samone", "TN", 100.0))),
            reason="Più Comuni si chiamano 'Samone'.",
            fix="Indicare la provincia (TO o TN) nella colonna Provincia.",
        ),
        RowOutcome(
            source=replace(ref, row=7), record_id="2020-R6-G1", typed=Place("Unione dei Comuni della Valle"),
            outcome=Outcome.NOT_A_COMUNE, titolo="Sportello famiglie",
            match=Match(status=MatchStatus.NOT_A_COMUNE, hint="È un'Unione di Comuni, non un Comune."),
            reason="Il luogo indicato non è un Comune.", fix="Indicare il Comune capofila.",
        ),
        RowOutcome(
            source=replace(ref, row=8), record_id="2020-R7-G1", typed=Place("Xyzzy"), outcome=Outcome.UNRESOLVED,
            titolo="=HYPERLINK(\"http://evil\")", match=Match(status=MatchStatus.UNRESOLVED),
            reason="Nessun Comune corrisponde a 'Xyzzy'.", fix="Correggere il nome del Comune.",
        ),
        RowOutcome(
            source=replace(ref, row=9), record_id="2020-R8-G1", typed=Place("Roma"), outcome=Outcome.EXCLUDED,
            titolo="Bozza", reason="Risposta incompleta (submitdate vuoto).", fix="Usare --include-incomplete.",
        ),
        RowOutcome(
            source=replace(ref, row=10), record_id="2020-R9-G1", typed=Place("Roma"), outcome=Outcome.DUPLICATE,
            titolo="Centro per le famiglie", initiative_id=items[0].id,
            reason="Inviata due volte: tenuta la risposta più recente (riga 2).",
        ),
    )
    carried = CarriedLayer(
        name="Progetti regionali", source=PREVIOUS_FILE,
        geojson={
            "type": "FeatureCollection",
            "_umap_options": {"name": "Progetti regionali", "color": "DarkGreen"},
            "features": [{
                "type": "Feature", "geometry": {"type": "Point", "coordinates": [12.4964, 41.9028]},
                "properties": {"name": "Linea regionale Lazio", "description": "Progetto regionale."},
            }],
        },
    )
    return BuildResult(
        initiatives=tuple(sorted(items, key=lambda i: i.id)),
        outcomes=outcomes,
        diff=EditionDiff(
            newest=2020, previous=(2019,), comuni_new=("075096", "075035", "007003"),
            comuni_dropped=("021008",), continued=(items[0].id,),
            new=tuple(i.id for i in items if i.edizioni == (2020,)),
            not_resubmitted=("021008-familienzentrum",),
        ),
        editions=(2019, 2020),
        carried_layers=(carried,),
        inputs=("survey_2020.csv: CSV, UTF-8, ',' — 9 rows", "mappa_2019.umap: uMap backup — 3 features"),
    )
