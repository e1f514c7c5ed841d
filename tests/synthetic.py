"""Synthetic builds of any size, for the preview's browser tests and benchmarks.

Real Comuni from the shipped gazetteer, seeded random text shaped like the survey's:
Italian words with accents and apostrophes, line breaks, 80-600 character descriptions,
several practices per Comune (lead Comuni answer for their Ambito), two editions.
"""

from __future__ import annotations

import itertools
import random
from datetime import date

from mapgen.gazetteer import load_gazetteer
from mapgen.model import AREAS, FUNDING_SOURCES, BuildResult, Comune, EditionDiff, MapInitiative
from tests.factories import initiative, map_initiative

_COMMON = tuple(
    "famiglie servizio sostegno genitori bambini minori ragazzi percorso comunità "  # noqa: SIM905
    "attività territorio centro sportello ascolto mediazione educativa prima "
    "infanzia nido scuola doposcuola rete l'accoglienza dell'ente all'interno più "
    "già città età qualità «progetto» laboratori incontri e di il la per con del "
    "della che un una in a al alle dei nel sono è anche come tra"
    .split()
)  # fmt: skip
_SYLLABLES = tuple(
    "ca co cu ta te ti to ra re ri ro na ne ni no la le li lo ma me mi mo pa pe pi "  # noqa: SIM905
    "po sa se si so va ve vi vo da de di do ga gi go ce ci che chi gli gno spe stra "
    "pro con per in ar al"
    .split()
)  # fmt: skip
_TITLES = (
    "Centro per le famiglie",
    "Nidi gratis",
    "Bonus bebè",
    "Scuola per genitori",
    "Sportello famiglia",
    "Estate ragazzi",
    "Spazio gioco 0-3",
    "Doposcuola solidale",
    "Mediazione familiare",
    "Voucher conciliazione",
    "Baby pit stop",
    "Ludoteca comunale",
    "Affido e accoglienza",
)
_RECIPIENTS = (
    "Famiglie con figli 0-17",
    "Genitori",
    "Bambini 0-3 anni",
    "Adolescenti",
    "Nuclei numerosi",
)


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Common words plus 8,000 made-up ones, Zipf-weighted: gzip shrinks it ~3x, like real prose."""
    words = list(_COMMON)
    while len(words) < 8000 + len(_COMMON):
        words.append("".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4))) + rng.choice("aeio"))
    return words, list(itertools.accumulate(1 / rank for rank in range(1, len(words) + 1)))


def _text(rng: random.Random, vocabulary: tuple[list[str], list[float]], low: int, high: int) -> str:
    size = rng.randint(low, high)
    words: list[str] = []
    while sum(len(w) + 1 for w in words) < size:
        words += rng.choices(vocabulary[0], cum_weights=vocabulary[1], k=8)
        if rng.random() < 0.2:
            words.append("\n")
    return " ".join(words)[:size].replace(" \n ", ".\n").capitalize()


def synthetic_build(n: int, *, seed: int = 1, per_comune: float = 2.0) -> BuildResult:
    """A BuildResult with ``n`` initiatives spread over about ``n / per_comune`` Comuni."""
    rng = random.Random(seed)
    active = load_gazetteer().active()
    comuni = rng.sample(active, min(len(active), max(1, round(n / per_comune))))
    vocabulary = _vocabulary(rng)
    items: list[MapInitiative] = []
    for k in range(n):
        c = comuni[k % len(comuni)] if k < len(comuni) else rng.choice(comuni)
        items.append(_one(rng, vocabulary, k, c, comuni))
    items.sort(key=lambda i: i.id)
    return BuildResult(
        initiatives=tuple(items),
        outcomes=(),
        diff=EditionDiff(newest=2020, previous=(2019,)),
        editions=(2019, 2020),
    )


def _one(
    rng: random.Random,
    vocabulary: tuple[list[str], list[float]],
    k: int,
    c: Comune,
    comuni: list[Comune],
) -> MapInitiative:
    roll = rng.random()
    edition = 2019 if roll < 0.3 else 2020
    both = 0.3 <= roll < 0.5  # a 2020 practice that was already in the 2019 map
    members = tuple(rng.sample(comuni, min(len(comuni), rng.randint(3, 8)))) if rng.random() < 0.15 else ()
    record = initiative(
        f"{edition}-R{k}-G1",
        edition=edition,
        comune_name=c.name,
        row=k + 2,
        titolo=f"{rng.choice(_TITLES)} {k}",
        descrizione=_text(rng, vocabulary, 80, 600),
        aree=tuple(sorted(rng.sample(AREAS, rng.choice((1, 1, 1, 2))), key=AREAS.index)),
        destinatari=rng.choice(_RECIPIENTS),
        fonti=tuple(sorted(rng.sample(FUNDING_SOURCES, rng.randint(1, 2)), key=FUNDING_SOURCES.index)),
        importo=round(rng.uniform(500, 250_000), 2) if rng.random() < 0.7 else None,
        data_inizio=date(edition, rng.randint(1, 12), rng.randint(1, 28)),
        data_fine=date(edition + 1, rng.randint(1, 12), rng.randint(1, 28)) if rng.random() < 0.6 else None,
        sito_web=f"https://www.comune-{k}.example.it/famiglie" if rng.random() < 0.7 else "",
        tipo_ente="capofila di Ambito" if members else "Comune singolo",
        denominazione_ente=f"Ambito territoriale {k}" if members else "",
    )
    history = (initiative(f"2019-layer-{k}", edition=2019, comune_name=c.name),) if both else ()
    return map_initiative(f"{c.istat_code}-iniziativa-{k:06d}", c, record, history=history, members=members)
