"""Make the synthetic 2020 survey export in ``examples/`` (fixed seed, no real personal data).

Writes, next to this script:

* ``survey_2020.csv``        as LimeSurvey exports it (question codes, ``,``, UTF-8, all quoted);
* ``survey_2020_excel.csv``  the same after opening and re-saving in Excel (Italian
  locale: ``;``, Windows-1252, dates as ``15/01/2020 00:00``, numbers re-typed);
* ``survey_2020.xlsx``       the same as an Excel workbook (ids, dates and amounts as
  Excel stores them).

Comune names are real (from ``gazetteer/comuni.csv``) and typed the way people
type them; titles, texts, names, e-mails (``example.org``) and phone numbers
(``555``) are invented. Run from the repository root::

    python examples/make_examples.py
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
GAZETTEER = HERE.parent / "gazetteer" / "comuni.csv"
# The register of Unioni di Comuni mapgen ships (DAIT 2020): real Unioni, real members.
UNIONI_REGISTER = HERE.parent / "gazetteer" / "associations.csv"
SEED = 2020
RESPONSES = 320
PRACTICE_GROUPS = 3
COMUNI_SLOTS = 10

SYSTEM = [
    "id",
    "submitdate",
    "lastpage",
    "startlanguage",
    "seed",
    "token",
    "startdate",
    "datestamp",
]
AREA_CODES = ["SQ001", "SQ002", "SQ003", "SQ004", "SQ005"]  # infanzia ... centri per le famiglie
FONTI_CODES = ["SQ001", "SQ002", "SQ003", "SQ004"]  # nazionale, comunitaria, regionale, comunale
ENTE_CODES = ["A1", "A2", "A3", "A4"]  # Comune singolo, Ambito, Unione, altra forma associata


def practice_codes(p: int) -> dict[str, str]:
    """Question codes of practice group ``p`` (1-based): G02 for the first practice, G03…"""
    g = f"G{p + 1:02d}"
    area = "area" if p == 1 else f"area{p}"
    return {
        "titolo": f"{g}Q01",
        "descrizione": f"{g}Q02",
        "area": area,
        "destinatari": f"{g}Q04",
        "fonti": f"{g}Q05",
        "importo": f"{g}Q06",
        "data_inizio": f"{g}Q07",
        "data_fine": f"{g}Q08",
        "sito_web": f"{g}Q09",
        "altra": f"{g}Q10",
    }


def header() -> list[str]:
    cols = [*SYSTEM, "G01Q01", "G01Q02", "G01Q03", "G01Q04", "G01Q05"]
    cols += [f"comuni[SQ{n:03d}]" for n in range(1, COMUNI_SLOTS + 1)]
    for p in range(1, PRACTICE_GROUPS + 1):
        c = practice_codes(p)
        cols += [c["titolo"], c["descrizione"]]
        cols += [f"{c['area']}[{code}]" for code in AREA_CODES] + [f"{c['area']}[other]"]
        cols += [c["destinatari"]]
        cols += [f"{c['fonti']}[{code}]" for code in FONTI_CODES] + [f"{c['fonti']}[other]"]
        cols += [c["importo"], c["data_inizio"], c["data_fine"], c["sito_web"]]
        if p < PRACTICE_GROUPS:
            cols.append(c["altra"])
    return [*cols, "G05Q01", "G05Q02", "G05Q03"]


# --- invented content ---------------------------------------------------------------------------

TITLES = [
    ("Centro per le famiglie {nome}", [4]),
    ("Nidi gratis {anno}", [0]),
    ("Bonus bebè comunale", [1]),
    ("Sportello di mediazione familiare", [2, 3]),
    ("Scuola per genitori", [3]),
    ("Estate ragazzi", [2]),
    ('Ludoteca comunale "Il girotondo"', [0]),
    ("Voucher baby sitter", [0, 2]),
    ("Spazio gioco 0-3", [0]),
    ("Famiglie al centro", [2, 4]),
    ("Doposcuola solidale", [2]),
    ("Carta famiglia", [2]),
    ("Tempo per le famiglie", [4]),
    ("Primi 1000 giorni", [1, 3]),
    ("Pedibus casa-scuola", [2]),
    ("Sostegno alla genitorialità", [3]),
    ("Contributo affitto famiglie numerose", [2]),
    ("Baby pit stop in biblioteca", [0, 1]),
    ("Nati per leggere", [0, 1]),
    ("Rette nido agevolate", [0]),
    ("Affido familiare: una rete di famiglie", [2, 3]),
    ("Centro estivo inclusivo", [2]),
    ("Consultorio familiare itinerante", [3, 4]),
    ("Kit nascita", [1]),
    ("Famiglie in rete; insieme", [4]),
]
OPENINGS = [
    "Il progetto offre alle famiglie del territorio {cosa}.",
    "L'iniziativa, avviata dal Comune con le associazioni locali, garantisce {cosa}.",
    "Servizio gratuito che propone {cosa}, con personale qualificato.",
    "Intervento rivolto ai nuclei con figli minori: {cosa}.",
]
THINGS = [
    "incontri settimanali con educatori e psicologi",
    "un contributo economico per ogni nuovo nato",
    "posti aggiuntivi al nido a tariffa ridotta",
    "attività ludiche ed educative nel periodo estivo",
    "uno sportello di ascolto e consulenza",
    "percorsi di accompagnamento alla nascita",
    "laboratori per genitori e figli",
    "il trasporto casa-scuola accompagnato",
]
CLOSINGS = [
    "Nel 2020 le attività sono proseguite anche a distanza.",
    "Hanno partecipato oltre {n} famiglie.",
    "Apertura: lunedì, mercoledì e venerdì; sabato su appuntamento.",
    "Il servizio è stato rafforzato durante l'emergenza Covid-19.",
    "Per informazioni rivolgersi all'Ufficio servizi sociali.",
]
DESTINATARI = [
    "Famiglie con figli 0-3 anni",
    "Famiglie con figli minori",
    "Genitori",
    "Neogenitori",
    "Nuclei monoparentali",
    "Famiglie numerose",
    "Bambini e ragazzi 6-14 anni",
    "Donne in gravidanza",
    "Famiglie con ISEE inferiore a 20.000 euro",
]
AREA_OTHER = [
    "tempo libero",
    "sport per le famiglie",
    "contrasto alla povertà educativa",
    "conciliazione",
]
FONTI_OTHER = ["fondazione bancaria", "privati", "5 per mille", "Fondazione di comunità"]
FIRST = [
    "Anna",
    "Marco",
    "Giulia",
    "Luca",
    "Paola",
    "Stefano",
    "Chiara",
    "Davide",
    "Elena",
    "Franco",
]
LAST = ["Esempio", "Prova", "Fittizi", "Campione", "Modello", "Demo", "Test", "Inventato"]
UNIONI = [
    ("Unione dei Comuni della Bassa Romagna", "RA"),
    ("Unione Montana Valle Susa", "TO"),
    ("Unione dei Comuni Valdarno e Valdisieve", "FI"),
    ("Unione Terre di Castelli", "MO"),
]
REGION_TYPED = {
    "Emilia-Romagna": ["Emilia-Romagna", "Emilia Romagna", "EMILIA ROMAGNA"],
    "Friuli-Venezia Giulia": ["Friuli-Venezia Giulia", "Friuli Venezia Giulia", "FVG"],
    "Trentino-Alto Adige/Südtirol": ["Trentino-Alto Adige", "Trentino Alto Adige", "Trentino"],
    "Valle d'Aosta/Vallée d'Aoste": ["Valle d'Aosta", "Valle d’Aosta", "VdA"],
}


@dataclass(frozen=True)
class Comune:
    name: str
    province: str
    sigla: str
    region: str
    code: str = field(default="", compare=False)


@dataclass
class Response:
    id: int
    comune: Comune
    values: dict[str, str] = field(default_factory=dict)
    submitted: datetime | None = None
    started: datetime | None = None


def load_comuni() -> list[Comune]:
    with GAZETTEER.open(encoding="utf-8", newline="") as handle:
        return [
            Comune(r["name"], r["province"], r["sigla"], r["region"], r["istat_code"])
            for r in csv.DictReader(handle)
            if r["active"] == "1"
        ]


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def typo(name: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if len(letters) < 6:
        return name.lower()
    i = rng.choice(letters[1:-1])
    if rng.random() < 0.5:
        return name[:i] + name[i + 1 :]  # a letter missing
    return name[:i] + name[i + 1] + name[i] + name[i + 2 :]  # two letters swapped


def abbreviate(name: str, rng: random.Random) -> str:
    for full, short in (
        ("San ", ["S. ", "S."]),
        ("Santa ", ["S. ", "S.ta "]),
        ("Santo ", ["S. "]),
        ("Sant'", ["S.", "Sant’", "Sant "]),
    ):
        if name.startswith(full):
            return rng.choice(short) + name[len(full) :]
    return name


def messy_comune(c: Comune, rng: random.Random) -> str:
    """The Comune's name as a person typed it in the survey."""
    roll = rng.random()
    name = c.name
    if roll < 0.45:
        return name
    if roll < 0.55:
        return f"{rng.choice(['Comune di', 'COMUNE DI', 'Comune di ', 'Città di'])} {name}"
    if roll < 0.63:
        return name.upper()
    if roll < 0.70 and strip_accents(name) != name:
        return rng.choice(
            [strip_accents(name), re.sub(r"([àèéìòù])", lambda m: strip_accents(m[1]) + "'", name)]
        )
    if roll < 0.78 and abbreviate(name, rng) != name:
        return abbreviate(name, rng)
    if roll < 0.84:
        return rng.choice([f"{name} ({c.sigla})", f"{name} {c.sigla}", f"{name} - {c.province}"])
    if roll < 0.90:
        return typo(name, rng)
    return rng.choice([f" {name} ", name.lower(), name.replace(" ", "  ")])


def messy_province(c: Comune, rng: random.Random) -> str:
    return rng.choice(
        ["", c.sigla, c.sigla, c.province, f"Provincia di {c.province}", c.sigla.lower()]
    )


def messy_region(c: Comune, rng: random.Random) -> str:
    typed = REGION_TYPED.get(c.region, [c.region, c.region.upper(), f"Regione {c.region}"])
    return rng.choice([*typed, c.region, ""])


def messy_amount(rng: random.Random) -> str:
    value = rng.choice([1500, 3000, 5000, 8000, 12500, 20000, 35000, 48000, 120000]) + rng.choice(
        [0, 0, 250, 0.5]
    )
    whole = f"{int(value):,}".replace(",", ".")
    cents = f"{value:.2f}".split(".")[1]
    if rng.random() < 0.04:
        return rng.choice(["da definire", "circa 5.000", "vedi delibera"])
    return rng.choice(
        [
            str(int(value)),
            whole,
            f"{whole},{cents}",
            f"€ {whole}",
            f"{int(value)} euro",
            f"{whole},{cents} €",
            f"{value:.10f}",
            "",
            "",
        ]
    )


def limesurvey_date(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S")


def description(rng: random.Random) -> str:
    text = rng.choice(OPENINGS).format(cosa=rng.choice(THINGS))
    closings = rng.sample(CLOSINGS, rng.randint(0, 2))
    sep = rng.choice([" ", "\n", "\n\n"])
    return sep.join([text, *(c.format(n=rng.randint(20, 300)) for c in closings)])


def contacts(c: Comune, rng: random.Random) -> dict[str, str]:
    slug = re.sub(r"[^a-z]+", "", strip_accents(c.name).lower())
    first, last = rng.choice(FIRST), rng.choice(LAST)
    phone = rng.choice(
        [
            f"0{rng.randint(10, 999)} 555 {rng.randint(1000, 9999)}",
            f"333 555 {rng.randint(1000, 9999)}",
            f"+39 06 555 {rng.randint(1000, 9999)}",
        ]
    )
    email = rng.choice(
        [
            f"{first}.{last}@comune-{slug}.example.org".lower(),
            f"servizisociali@{slug}.example.org",
            f"politichefamiglia.{slug}@example.org",
        ]
    )
    return {
        "G05Q01": rng.choice([f"{first} {last}", f"Dott.ssa {first} {last}", f"{last} {first}"]),
        "G05Q02": email,
        "G05Q03": phone,
    }


# --- responses ---------------------------------------------------------------------------------


def practice(p: int, c: Comune, rng: random.Random, theme: tuple[str, list[int]]) -> dict[str, str]:
    codes = practice_codes(p)
    title, areas = theme
    values = {
        codes["titolo"]: title.format(nome=c.name, anno=rng.choice([2019, 2020])),
        codes["descrizione"]: description(rng),
        codes["destinatari"]: "; ".join(rng.sample(DESTINATARI, rng.choice([1, 1, 2]))),
    }
    extra = rng.sample(range(5), rng.choice([0, 0, 1]))
    for a in {*areas, *extra}:
        values[f"{codes['area']}[{AREA_CODES[a]}]"] = "Y"
    if rng.random() < 0.08:
        values[f"{codes['area']}[other]"] = rng.choice(AREA_OTHER)
    for f in rng.sample(range(4), rng.choice([1, 1, 2])):
        values[f"{codes['fonti']}[{FONTI_CODES[f]}]"] = "Y"
    if rng.random() < 0.07:
        values[f"{codes['fonti']}[other]"] = rng.choice(FONTI_OTHER)
    values[codes["importo"]] = messy_amount(rng)
    if rng.random() < 0.75:
        start = datetime(2018, 9, 1) + timedelta(days=rng.randint(0, 700))
        values[codes["data_inizio"]] = limesurvey_date(start)
        if rng.random() < 0.8:
            values[codes["data_fine"]] = limesurvey_date(
                start + timedelta(days=rng.randint(90, 730))
            )
    if rng.random() < 0.4:
        slug = re.sub(r"[^a-z]+", "", strip_accents(c.name).lower())
        values[codes["sito_web"]] = rng.choice(
            [
                f"https://www.comune.{slug}.example.org/famiglie",
                f"www.{slug}.example.org",
                f"http://{slug}.example.org/servizi",
            ]
        )
    return values


@dataclass(frozen=True)
class Unione:
    name: str
    members: tuple[str, ...]  # ISTAT codes


def load_unioni() -> dict[str, list[Unione]]:
    """The registered Unioni each Comune (ISTAT code) belongs to."""
    by_member: dict[str, list[Unione]] = {}
    with UNIONI_REGISTER.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            unione = Unione(row["name"], tuple(row["members"].split("|")))
            if len(unione.members) >= 2:
                for code in unione.members:
                    by_member.setdefault(code, []).append(unione)
    return by_member


UNIONI_OF = load_unioni()
_GENERIC_START = re.compile(r"^(unione\s+(dei\s+comuni\s+|montana\s+(dei\s+comuni\s+)?)?)", re.IGNORECASE)


def messy_unione(name: str, rng: random.Random) -> str:
    """An Unione's name as its lead Comune writes it: whole, shortened, abbreviated, shouted."""
    core = _GENERIC_START.sub("", name).strip()
    core = re.sub(r"^(del|della|dei|delle|dell'|di)\s*", "", core, flags=re.IGNORECASE) or core
    return rng.choice([
        name, name, f"Unione {core}", f"Unione dei Comuni {core}", f"U.C. {core}", name.upper(), core,
    ])


def registered_unione(c: Comune, values: dict[str, str], comuni: list[Comune]) -> None:
    """Make ``values`` the answer of a lead Comune of a real Unione (when ``c`` is in one).

    Its own random stream (seeded by the Comune), so the rest of the export keeps its bytes.
    """
    local = random.Random(f"{SEED}-{c.code}")
    unione = local.choice(UNIONI_OF[c.code])
    values.update({"G01Q04": "A3", "G01Q05": messy_unione(unione.name, local)})
    for key in [k for k in values if k.startswith("comuni[")]:
        del values[key]
    by_code = {m.code: m for m in comuni}
    members = [by_code[code] for code in unione.members if code in by_code and code != c.code]
    roll = local.random()
    if roll < 0.45:  # members left blank: the register gives them
        return
    if roll < 0.8:  # the whole list, as typed
        typed = [c, *members]
    else:  # some forgotten: a disagreement with the register, listed in the report
        typed = [c, *local.sample(members, max(1, len(members) // 2))]
    for n, member in enumerate(typed[:COMUNI_SLOTS], start=1):
        values[f"comuni[SQ{n:03d}]"] = messy_comune(member, local).strip()


def association(c: Comune, comuni: list[Comune], rng: random.Random) -> dict[str, str]:
    kind = rng.choice(["A2", "A2", "A3", "A4"])
    neighbours = [m for m in comuni if m.sigla == c.sigla and m != c]
    members = [c, *rng.sample(neighbours, min(len(neighbours), rng.randint(2, 7)))]
    name = {
        "A2": f"Ambito territoriale sociale di {c.name}",
        "A3": f"Unione dei Comuni di {c.name} e dintorni",
        "A4": f"Consorzio servizi sociali {c.province}",
    }[kind]
    values = {"G01Q04": kind, "G01Q05": name}
    typed = [messy_comune(m, rng).strip() for m in members]
    if rng.random() < 0.25:  # everything in the first box, as people do
        values["comuni[SQ001]"] = ", ".join(typed[:-1]) + " e " + typed[-1]
    else:
        for n, member in enumerate(typed[:COMUNI_SLOTS], start=1):
            values[f"comuni[SQ{n:03d}]"] = member
    if kind != "A2" and c.code in UNIONI_OF:  # an Unione of the register, as the real survey has them
        registered_unione(c, values, comuni)
    return values


def response(rid: int, c: Comune, comuni: list[Comune], rng: random.Random) -> Response:
    r = Response(rid, c)
    r.started = datetime(2020, 7, 10, 8) + timedelta(minutes=rng.randint(0, 80 * 24 * 60))
    r.submitted = r.started + timedelta(minutes=rng.randint(12, 90))
    r.values = {
        "G01Q01": messy_region(c, rng),
        "G01Q02": messy_province(c, rng),
        "G01Q03": messy_comune(c, rng),
        "G01Q04": "A1",
    }
    if rng.random() < 0.14:
        r.values.update(association(c, comuni, rng))
    count = rng.choices([1, 2, 3], weights=[60, 28, 12])[0]
    for p, theme in enumerate(rng.sample(TITLES, count), start=1):
        r.values.update(practice(p, c, rng, theme))
        if p < PRACTICE_GROUPS:
            r.values[practice_codes(p)["altra"]] = "Y" if p < count else "N"
    r.values.update(contacts(c, rng))
    return r


def make_incomplete(r: Response, rng: random.Random) -> None:
    """Stopped half-way: no submitdate, later groups empty."""
    r.submitted = None
    keep = [k for k in r.values if k.startswith(("G01", "comuni"))]
    if rng.random() < 0.5:
        keep += [k for k in r.values if k.startswith(("G02Q01", "G02Q02", "area["))]
    r.values = {k: r.values[k] for k in keep}


def resubmission(r: Response, rid: int, rng: random.Random) -> Response:
    """The same Comune sends its answers again a few days later, slightly edited."""
    again = Response(rid, r.comune, dict(r.values))
    again.started = (r.submitted or datetime(2020, 9, 1)) + timedelta(days=rng.randint(1, 12))
    again.submitted = again.started + timedelta(minutes=rng.randint(5, 40))
    again.values["G02Q02"] = again.values.get("G02Q02", "") + "\nAggiornamento: dati corretti."
    return again


def special_cases(
    comuni: list[Comune], by_name: dict[str, list[Comune]], rng: random.Random
) -> list[Response]:
    """Homonyms, non-Comuni and rows that cannot become initiatives."""
    cases = []
    for name, typed_province in (
        ("Castro", ""),
        ("Castro", "LE"),
        ("Samone", "TN"),
        ("Livo", ""),
        ("Peglio", "PU"),
        ("San Teodoro", ""),
    ):
        c = next(x for x in by_name[name] if not typed_province or x.sigla == typed_province)
        r = response(0, c, comuni, rng)
        r.values["G01Q03"], r.values["G01Q02"] = name, typed_province
        cases.append(r)
    for unione, sigla in UNIONI[:3]:
        c = rng.choice([x for x in comuni if x.sigla == sigla])
        r = response(0, c, comuni, rng)
        r.values.update({"G01Q03": unione, "G01Q04": "A3", "G01Q05": unione})
        cases.append(r)
    no_comune = response(0, rng.choice(comuni), comuni, rng)
    no_comune.values["G01Q03"] = ""
    no_title = response(0, rng.choice(comuni), comuni, rng)
    no_title.values["G02Q01"] = ""
    for name in ("Bozen", "Aoste", "Reggio Emilia", "Forli", "Cantu'"):
        r = response(0, rng.choice(comuni), comuni, rng)
        r.values["G01Q03"] = name
        cases.append(r)
    return [*cases, no_comune, no_title]


def make_responses() -> list[Response]:
    rng = random.Random(SEED)
    comuni = load_comuni()
    by_name: dict[str, list[Comune]] = {}
    for c in comuni:
        by_name.setdefault(c.name, []).append(c)
    pool = rng.sample(comuni, RESPONSES)
    responses = [response(0, c, comuni, rng) for c in pool[: RESPONSES - 40]]
    responses += special_cases(comuni, by_name, rng)
    for r in rng.sample(responses, 18):
        make_incomplete(r, rng)
    complete = [r for r in responses if r.submitted]
    responses += [resubmission(r, 0, rng) for r in rng.sample(complete, 10)]
    responses.sort(key=lambda r: r.started or datetime.min)
    next_id = 3  # ids 1-2 were test responses deleted before the export
    for r in responses:
        r.id = next_id
        next_id += rng.choice([1, 1, 1, 1, 2])
    return responses


def as_row(r: Response, columns: list[str], rng: random.Random) -> dict[str, str]:
    last = r.submitted or r.started
    row = {c: "" for c in columns}
    row.update(
        {
            "id": str(r.id),
            "submitdate": limesurvey_date(r.submitted) if r.submitted else "",
            "lastpage": "5" if r.submitted else str(rng.randint(1, 3)),
            "startlanguage": "it",
            "seed": str(rng.randint(10**8, 10**9)),
            "token": "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(15)),
            "startdate": limesurvey_date(r.started or datetime(2020, 7, 10)),
            "datestamp": limesurvey_date(last or datetime(2020, 7, 10)),
        }
    )
    row.update(r.values)
    return row


# --- writers ------------------------------------------------------------------------------------


def write_limesurvey_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([row[c] for c in columns] for row in rows)


_LS_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):\d{2}")
_IT_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})*(?:,\d+)?|\d+(?:,\d+)?")


def excel_cell(value: str) -> str:
    """What Excel (Italian locale) writes back for a cell it re-typed on opening."""
    match = _LS_DATE.fullmatch(value)
    if match:
        y, m, d, hh, mm = match.groups()
        return f"{d}/{m}/{y} {hh}:{mm}"
    if _IT_NUMBER.fullmatch(value) and not value.startswith("0"):
        number = float(value.replace(".", "").replace(",", "."))
        return f"{number:.15g}".replace(".", ",")
    return value


def write_excel_csv(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([excel_cell(row[c]) for c in columns] for row in rows)


def xlsx_value(value: str) -> object:
    """What Excel stores for a cell it re-typed: datetimes and numbers, the rest as text."""
    if _LS_DATE.fullmatch(value):
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    if _IT_NUMBER.fullmatch(value) and not value.startswith("0"):
        number = float(value.replace(".", "").replace(",", "."))
        return int(number) if number.is_integer() else number
    return value


def write_xlsx(path: Path, columns: list[str], rows: list[dict[str, str]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Risposte"
    sheet.append(columns)
    for row in rows:
        sheet.append([xlsx_value(row[c]) for c in columns])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, datetime):
                cell.number_format = (
                    "dd/mm/yyyy hh:mm" if cell.value.hour or cell.value.minute else "dd/mm/yyyy"
                )
    book.properties.creator = "mapgen examples"
    book.properties.created = datetime(2020, 10, 1)
    book.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """Give every member a fixed time and drop the save time, so reruns make identical bytes."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            if name == "docProps/core.xml":
                data = re.sub(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>", b"", data)
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(2020, 10, 1, 0, 0, 0)),
                data,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def main(out: Path = HERE) -> None:
    """Write the three variants into ``out`` (this folder by default)."""
    rng = random.Random(SEED + 1)
    columns = header()
    rows = [as_row(r, columns, rng) for r in make_responses()]
    write_limesurvey_csv(out / "survey_2020.csv", columns, rows)
    write_excel_csv(out / "survey_2020_excel.csv", columns, rows)
    write_xlsx(out / "survey_2020.xlsx", columns, rows)
    print(f"{len(rows)} responses, {len(columns)} columns written to {out.name}/")


if __name__ == "__main__":
    main()
