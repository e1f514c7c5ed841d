"""The write-time contact guard (issue 20): no contact value read reaches a public output."""

from __future__ import annotations

import json
import re
import unicodedata
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from mapgen import readers
from mapgen.build import BuildRequest, build, run_pipeline, write_outputs
from mapgen.contacts import REMOVED, ContactGuard, check_public_files, contacts_in_text, is_contact_property
from mapgen.errors import OutputError
from mapgen.gazetteer import Gazetteer
from mapgen.model import OutputOptions
from mapgen.readers.table import Table

HEAD = "id,submitdate,Comune,Titolo,Descrizione,Referente,Email,Telefono\n"
ROSSI = ("Mario Rossi", "mario.rossi@comune.example.it", "+39 0832 123456")
BIANCHI = ("Anna Bianchi", "anna.bianchi@example.org", "333 555 0199")


def public_files(out: Path) -> dict[str, str]:
    """Every public output as the text a reader sees (JSON strings decoded), report.* left out."""
    texts: dict[str, str] = {}
    for path in sorted(out.rglob("*")):
        if not path.is_file() or path.name.startswith(("report", ".")):
            continue
        data = path.read_bytes()
        if path.suffix == ".xlsx":  # the cells are compressed: read the XML parts
            with zipfile.ZipFile(path) as book:
                data = b"\n".join(book.read(name) for name in book.namelist())
        raw = data.decode("utf-8", errors="replace")
        if path.suffix in {".geojson", ".umap"}:
            raw += json.dumps(json.loads(raw), ensure_ascii=False)  # undo \\u escapes
        texts[str(path.relative_to(out))] = raw
    return texts


def leaks(out: Path, values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, v) for name, text in public_files(out).items() for v in values if v in text]


def test_guard_finds_values_by_their_words_and_digits() -> None:
    guard = ContactGuard.of([*ROSSI, "Rossi", ""])
    assert guard.scrub("Info: MARIO.ROSSI@comune.example.it, tel. 0832-123456; sig. Mario  Rossi.") == (
        f"Info: {REMOVED}, tel. {REMOVED}; sig. {REMOVED}.", 3
    )
    # a bare surname is too common to tell from ordinary text; an amount is not a telephone
    assert guard.scrub("Via Rossi 3, importo 123456 euro") == ("Via Rossi 3, importo 123456 euro", 0)
    assert is_contact_property("E-mail") and is_contact_property("Telefono") and not is_contact_property("name")


def survey(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "risposte.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_contact_in_a_public_field_is_removed_and_reported(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = survey(tmp_path, HEAD
                  + f'1,2020-09-01,Lecce,Nido,"Scrivere a {BIANCHI[1]} o {BIANCHI[2]}",{",".join(ROSSI)}\n'
                  + f'2,2020-09-01,Bari,Doposcuola,"Referente: {ROSSI[0]}",{",".join(BIANCHI)}\n')
    out = tmp_path / "out"
    summary = build(BuildRequest(survey=path, out_dir=out, preview=True))
    assert leaks(out, ROSSI + BIANCHI) == []
    table = (out / "initiatives.csv").read_text(encoding="utf-8-sig").splitlines()
    assert [line.split(",")[11] for line in table[1:]] == [f"Referente: {REMOVED}", f"Scrivere a {REMOVED} o {REMOVED}"]
    reasons = {o.record_id: o.reason for o in summary.result.outcomes}
    assert "contatto" in reasons["2020-R1-G1"] and "«descrizione»" in reasons["2020-R2-G1"]
    # with include_contacts the same build publishes them: the check above can fail
    build(BuildRequest(survey=path, out_dir=out, options=OutputOptions(include_contacts=True)))
    assert ("initiatives.csv", ROSSI[1]) in leaks(out, ROSSI)


def test_contacts_of_rows_an_open_quote_swallowed(
    tmp_path: Path, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Simulates the reader bug (issue 20): row 2's description swallowed rows 3 and 4.

    The table reader now refuses such a file; the guard must still catch the case, so the
    test gives the survey reader the table the old reader built from the same file.
    """
    swallowed = [f'3,2020-09-01,Bari,Tre,,{",".join(BIANCHI)}', f"4,2020-09-01,Lecce,Quattro,,{','.join(ROSSI)}"]
    text = HEAD + '2,2020-09-01,Bari,Due,"Aperto\n' + "\n".join(swallowed) + "\n"
    path = survey(tmp_path, text)
    header = HEAD.strip().split(",")
    row = ["2", "2020-09-01", "Bari", "Due", "Aperto\n" + "\n".join(swallowed) + "\n", "", "", ""]
    table = Table(path=path, columns=header, rows=[row], format="csv", encoding="UTF-8", delimiter=",")
    monkeypatch.setattr(readers.survey, "read_table", lambda *a, **k: table)
    out = tmp_path / "out"
    result = run_pipeline(BuildRequest(survey=path, out_dir=out), gazetteer=gazetteer)
    assert set(ROSSI + BIANCHI) <= result.contacts
    write_outputs(result, out, gazetteer=gazetteer, options=OutputOptions())
    assert leaks(out, ROSSI + BIANCHI) == []
    assert REMOVED in (out / "initiatives.csv").read_text(encoding="utf-8")


def test_a_leak_the_scrub_missed_refuses_the_build(tmp_path: Path, gazetteer: Gazetteer) -> None:
    path = survey(tmp_path, HEAD + f"1,2020-09-01,Lecce,Nido,,{','.join(ROSSI)}\n")
    result = run_pipeline(BuildRequest(survey=path), gazetteer=gazetteer)
    out = tmp_path / "out"
    write_outputs(result, out, gazetteer=gazetteer, options=OutputOptions())
    before = sorted(p.name for p in out.iterdir())
    # a title that spells the e-mail (as a writer bug would publish a contact field)
    options = OutputOptions(title=f"Mappa di {ROSSI[1]}")
    with pytest.raises(OutputError, match=r"^the public file .* holds a contact .* the build is refused"):
        write_outputs(replace(result), out, gazetteer=gazetteer, options=options)
    assert sorted(p.name for p in out.iterdir()) == before


def test_coordinates_and_amounts_are_not_telephone_numbers() -> None:
    """Found on a 5,000-initiative build: '12.291800' matched the end of a telephone number."""
    guard = ContactGuard.of(["+39 0412 291800", "340 1229180"])
    text = "Comune,lat,lon\nVittorio Veneto,46.002699,12.291800\nimporto 1.229.180"
    assert not guard.found_in(text)
    assert guard.scrub(text) == (text, 0)
    assert guard.found_in("chiamare lo 0412-291800") and guard.found_in("tel. 0039 340 122 9180")


@pytest.mark.parametrize("title", [
    "Nido 0-3 2019/2020", "Servizi 0-6 2019-2020", "Progetto 0-6 (2019 - 2021)", "Spazio gioco 0-3 33279-1",
])
def test_age_ranges_before_years_are_not_telephone_numbers(title: str) -> None:
    """Found at 100,000 initiatives: "0-3 33279-1" read as 0333 2791, the title scrubbed, the build refused."""
    assert contacts_in_text(title) == []


@pytest.mark.parametrize(("text", "number"), [
    ("età 0-3, tel. 0832 123456", "0832 123456"), ("0-6 anni: 06 1234567", "06 1234567"),
    ("+39 06 1234 5678", "+39 06 1234 5678"), ("0039 02 12345678", "0039 02 12345678"),
    ("333 1234567", "333 1234567"), ("02/12345678", "02/12345678"),
])
def test_telephone_numbers_are_still_found(text: str, number: str) -> None:
    assert contacts_in_text(text) == [number]


def test_found_in_agrees_with_scrub() -> None:
    guard = ContactGuard.of([*ROSSI, *BIANCHI])
    for text in ("nulla", "Mario", "mario rossi", "ANNA.BIANCHI@EXAMPLE.ORG", "0832 123456", "+39 333 5550199"):
        assert guard.found_in(text) == bool(guard.scrub(text)[1]), text


@given(st.lists(st.sampled_from(["Mario", "rossi", "MARIO", "Rossi", "Rossi2", "anna", "Bianchi", "example", "org",
                                  "0832", "123456", "x"]), min_size=2, max_size=12),
       st.lists(st.sampled_from([" ", ".", "@", "_", "-", ", ", ""]), min_size=12, max_size=12))
@example(["x", "Mario", "rossi", "x"], [" "] * 12)
@example(["anna", "bianchi", "example", "org"], [".", "@", ".", ""] + [" "] * 8)
def test_found_in_agrees_with_scrub_on_any_text(words: list[str], separators: list[str]) -> None:
    """The one-pass word search of found_in finds exactly what scrub removes."""
    guard = ContactGuard.of([*ROSSI, *BIANCHI])
    text = "".join(word + separator for word, separator in zip(words, separators, strict=False))
    assert guard.found_in(text) == bool(guard.scrub(text)[1]), text


def test_a_contact_inside_the_xlsx_refuses_the_build(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """initiatives.xlsx is a zip: the guard reads its XML (a raw byte scan would miss the cells)."""
    from openpyxl import Workbook

    path = survey(tmp_path, HEAD + f"1,2020-09-01,Lecce,Nido,,{','.join(ROSSI)}\n")
    result = run_pipeline(BuildRequest(survey=path), gazetteer=gazetteer)
    out = tmp_path / "out"
    written = write_outputs(result, out, gazetteer=gazetteer, options=OutputOptions())
    names = [p.relative_to(out) for p in out.rglob("*") if p.is_file()]
    assert Path("initiatives.xlsx") in names
    check_public_files(out, names, result, OutputOptions())  # the clean build passes
    assert ROSSI[1].encode() not in (out / "initiatives.xlsx").read_bytes()
    book = Workbook()
    book.active.append(["Nido", f"scrivere a {ROSSI[1].upper()} &c."])  # shared strings, escaped
    book.save(out / "initiatives.xlsx")
    assert ROSSI[1].upper().encode() not in (out / "initiatives.xlsx").read_bytes()  # compressed
    with pytest.raises(OutputError, match=r"^the public file initiatives.xlsx holds a contact"):
        check_public_files(out, names, result, OutputOptions())
    check_public_files(out, names, result, OutputOptions(include_contacts=True))
    assert written


# --- issue 29: telephone numbers in other Unicode spellings ------------------------------

#: One number as people type it: en dash, no-break spaces, full-width digits, Arabic-Indic digits.
ODD_PHONES = ("0832 \u2013 123456", "0832\u00a0123456", "０８３２１２３４５６", "\u0660\u0668\u0663\u0662 123456",
              "0832\u2009123\u202f456", "0832\u2012123456")


@pytest.mark.parametrize("written", ODD_PHONES)
def test_a_telephone_number_is_found_however_its_digits_and_spaces_are_written(written: str) -> None:
    for read in ("+39 0832 123456", written):  # normalised on both sides: what was read, what is written
        guard = ContactGuard.of([read])
        for text in (f"Chiamare lo {written} dalle 9", "Chiamare lo 0832-123456 dalle 9"):
            assert guard.found_in(text), (read, text)
            scrubbed, count = guard.scrub(text)
            assert count == 1 and scrubbed == f"Chiamare lo {REMOVED} dalle 9", (read, text)


def test_odd_telephone_numbers_are_not_published(tmp_path: Path, gazetteer: Gazetteer) -> None:
    phones = ("0832 \u2013 123456", "333\u00a0555\u00a08229", "３３３５５５８２２９")
    path = survey(tmp_path, HEAD
                  + f'1,2020-09-01,Lecce,Nido,"Tel. 0832-123456 o 333 555 8229",Mario Rossi,,{phones[0]}\n'
                  + f'2,2020-09-01,Bari,Doposcuola,"Tel. {phones[1]} / {phones[2]}",Anna Bianchi,,{phones[1]}\n'
                  + f'3,2020-09-01,Bari,Ludoteca,"Tel. {phones[0]}",Anna Bianchi,,{phones[2]}\n')
    out = tmp_path / "out"
    build(BuildRequest(survey=path, out_dir=out, preview=True))
    found = [(name, number) for name, text in public_files(out).items() for number in ("0832123456", "3335558229")
             if number in plain_digits(text)]
    assert found == []


def plain_digits(text: str) -> str:
    """``text`` with every digit in ASCII and the spaces, dashes and dots between digits removed."""
    text = "".join(str(unicodedata.digit(c)) if unicodedata.category(c) == "Nd" else c for c in text)
    return re.sub(r"(?<=\d)[\s\u2010-\u2015\u2212./()-]+(?=\d)", "", text)


# --- issue 29: contacts of the previous map under other names -----------------------------

OTHER_NAMES = {  # property -> value: each one a contact, none under a name the guard knew
    "email_referente": "laura.verdi@comune.example.it",
    "Recapito": "0832 654321",
    "Telefono Ufficio": "080 5556677",
    "emails": ["ufficio.famiglie@comune.example.it", "segreteria@comune.example.it"],
    "info": {"email": "sportello.info@comune.example.it", "orari": "lun-ven"},
    "Note": "Scrivere a giulia.neri@example.org",  # by what it holds: an address in free text
}


def contact_strings(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in contact_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in contact_strings(v)]
    if isinstance(value, str) and value.startswith("Scrivere a "):  # the address, not its sentence
        return [value.removeprefix("Scrivere a ")]
    return [value] if isinstance(value, str) and value != "lun-ven" else []


def previous_with_other_names(tmp_path: Path) -> tuple[Path, Path]:
    def feature(lon: float, lat: float, **props: object) -> dict[str, object]:
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}

    initiatives = [feature(18.17, 40.35, name="Nido", comune="Lecce", description="Info: {email_referente}",
                           **OTHER_NAMES),
                   feature(16.87, 41.12, name="Ludoteca", comune="Bari",
                           description="Tel. {Recapito}, {Telefono Ufficio}, {emails}, {info.email} {Note}")]
    carried = [feature(16.87, 41.12, name="Sportello", description="Orari {info.orari} {email_referente}",
                       **OTHER_NAMES)]
    sportelli = {"name": "Sportelli", "popupContentTemplate": "{name}\n{Recapito}\n{description}"}
    backup = {"type": "umap", "properties": {"name": "2019"}, "geometry": {"type": "Point", "coordinates": [12, 42]},
              "layers": [{"type": "FeatureCollection", "features": features, "_umap_options": options}
                         for features, options in ((initiatives, {"name": "Iniziative"}), (carried, sportelli))]}
    path = tmp_path / "previous.umap"
    path.write_text(json.dumps(backup), encoding="utf-8")
    config = tmp_path / "mapping.toml"
    config.write_text('[previous]\nedition = 2019\ninitiative_layers = ["Iniziative"]\n', encoding="utf-8")
    return path, config


def test_contacts_of_the_previous_map_under_other_names_are_not_published(
    tmp_path: Path, gazetteer: Gazetteer
) -> None:
    path, config = previous_with_other_names(tmp_path)
    out = tmp_path / "out"
    summary = build(BuildRequest(survey=None, previous=(path,), config=config, out_dir=out, preview=True))
    values = tuple(contact_strings(OTHER_NAMES))
    assert set(values) <= summary.result.contacts  # all of them known to the write-time scan
    assert leaks(out, values) == []
    carried = json.loads((out / "layers" / "precedente-sportelli.geojson").read_text(encoding="utf-8"))
    properties = carried["features"][0]["properties"]
    assert properties["name"] == "Sportello" and properties["info"] == {"orari": "lun-ven"}
    assert properties["Note"] == f"Scrivere a {REMOVED}"  # the address, not the note
    assert not {"email_referente", "Recapito", "Telefono Ufficio", "emails"} & set(properties)


def test_a_row_for_a_person_keeps_its_title_as_typed_in_the_staff_file(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """A telephone in a title of the previous map is a contact the guard looks for; the same title in a
    survey row a person must place goes to da_correggere.csv, for staff like the report: as typed, and
    the build is not refused (it was: found at 100,000 initiatives, with titles the guard misread)."""
    path, config = previous_with_other_names(tmp_path)
    backup = json.loads(path.read_text(encoding="utf-8"))
    backup["layers"][0]["features"][0]["properties"]["name"] = f"Nido, tel. {BIANCHI[2]}"
    path.write_text(json.dumps(backup), encoding="utf-8")
    answers = survey(tmp_path, HEAD + f'1,2020-09-01,Nessunluogo,"Nido, tel. {BIANCHI[2]}",,{",".join(ROSSI)}\n')
    out = tmp_path / "out"
    summary = build(BuildRequest(survey=answers, previous=(path,), config=config, out_dir=out))
    assert BIANCHI[2] in summary.result.contacts
    assert leaks(out, ROSSI + BIANCHI[2:]) == [("da_correggere.csv", BIANCHI[2])]
    assert f"Nido, tel. {BIANCHI[2]}" in (out / "da_correggere.csv").read_text(encoding="utf-8-sig")


def test_a_placeholder_is_never_filled_with_a_contact() -> None:
    from mapgen.umap.template import fill_placeholders

    text = "Info: {email_referente} {Recapito} {emails} {info.email} {Note} {info.orari} {x|Recapito|\"-\"}"
    assert fill_placeholders(text, OTHER_NAMES) == "Info:      lun-ven -"


def test_a_placeholder_does_not_bring_back_a_contact_read_elsewhere(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """The survey's referente is also the 'responsabile' of a feature of the previous map."""
    path, config = previous_with_other_names(tmp_path)
    backup = json.loads(path.read_text(encoding="utf-8"))
    properties = backup["layers"][0]["features"][1]["properties"]
    properties |= {"responsabile": ROSSI[0], "description": "Resp. {responsabile}"}
    path.write_text(json.dumps(backup), encoding="utf-8")
    answers = survey(tmp_path, HEAD + f"1,2020-09-01,Lecce,Nido,,{','.join(ROSSI)}\n")
    out = tmp_path / "out"
    summary = build(BuildRequest(survey=answers, previous=(path,), config=config, out_dir=out, preview=True))
    assert leaks(out, ROSSI) == []
    assert f"Resp. {REMOVED}" in (out / "map.umap").read_text(encoding="utf-8")
    assert any("«descrizione»" in o.reason for o in summary.result.outcomes if o.source.source.value == "previous")


# --- issue 29: the scan refused honest builds ---------------------------------------------


@pytest.mark.parametrize("referente", ["M. R.", "Rossi", "Vladimir Agafonkin"])
def test_contacts_are_compared_with_the_data_not_with_the_pages_own_code(
    tmp_path: Path, gazetteer: Gazetteer, referente: str
) -> None:
    """Initials, a lone surname, a name that the inlined Leaflet's code and licence spell: no refusal.

    "M. R." matched the letters of the page's script, "Vladimir Agafonkin" its licence notice.
    """
    path = survey(tmp_path, HEAD + f'1,2020-09-01,Lecce,Nido,"Asilo nido comunale",{referente},,\n')
    out = tmp_path / "out"
    build(BuildRequest(survey=path, out_dir=out, preview=True))  # refused before: "preview.html holds a contact"
    assert (out / "preview.html").is_file()


def test_a_contact_counts_from_two_real_words_or_a_telephone_number() -> None:
    guard = ContactGuard.of(["M. R.", "Rossi", "M. Rossi", "a b c d", "Anna Bianchi", "A. Verdi Neri", "0832 123456"])
    assert guard.scrub("m r; M. Rossi; a b c d; Anna Bianchi; A. Verdi Neri; 0832123456") == (
        f"m r; M. Rossi; a b c d; {REMOVED}; {REMOVED}; {REMOVED}", 3
    )


def test_the_preview_keeps_input_text_out_of_its_scripts(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """Why the scan may leave the page's code out: no text read is ever written into it."""
    probe = "Zqxprobe Wvyprobe"
    path, config = previous_with_other_names(tmp_path)
    answers = survey(tmp_path, HEAD + f'1,2020-09-01,Lecce,{probe} t,"{probe} d",{probe} r,,\n')
    out = tmp_path / "out"
    options = OutputOptions(title=f"{probe} title", include_contacts=True)
    build(BuildRequest(survey=answers, previous=(path,), config=config, out_dir=out, options=options))
    page = (out / "preview.html").read_text(encoding="utf-8")
    code = re.findall(r"<(script|style)(?![^>]*application/(?:json|gzip-base64))[^>]*>(.*?)</\1>", page, re.S)
    comments = re.findall(r"<!--.*?-->", page, re.S)
    assert code and comments and probe in page
    assert not [text for _, text in code if "probe" in text] and not [c for c in comments if "probe" in c]
    assert not [text for _, text in code if "Sportell" in text or "Nido" in text]


def test_the_scan_reads_the_previews_compressed_data(
    tmp_path: Path, gazetteer: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large builds embed the popup texts gzip-compressed: the scan must unpack them to see a leak."""
    from mapgen.writers import preview

    monkeypatch.setattr(preview, "COMPRESS_OVER", 0)
    path = survey(tmp_path, HEAD + '1,2020-09-01,Lecce,Nido,"Rivolgersi a Laura Verdi",,,\n')
    result = run_pipeline(BuildRequest(survey=path), gazetteer=gazetteer)
    out = tmp_path / "out"
    write_outputs(result, out, gazetteer=gazetteer, options=OutputOptions(preview=True))
    assert "application/gzip-base64" in (out / "preview.html").read_text(encoding="utf-8")
    leaked = replace(result, contacts=frozenset({"Laura Verdi"}))  # as if the scrub had missed it
    with pytest.raises(OutputError, match=r"^the public file preview.html holds a contact"):
        check_public_files(out, [Path("preview.html")], leaked, OutputOptions())


def test_a_contact_inside_the_geopackage_refuses_the_build(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """The GeoPackage is read as SQLite: a long text spans overflow pages, which a byte scan would cut."""
    import sqlite3

    path = survey(tmp_path, HEAD + f"1,2020-09-01,Lecce,Nido,,{','.join(ROSSI)}\n")
    result = run_pipeline(BuildRequest(survey=path), gazetteer=gazetteer)
    out = tmp_path / "out"
    write_outputs(result, out, gazetteer=gazetteer, options=OutputOptions())
    names = [p.relative_to(out) for p in out.rglob("*") if p.is_file()]
    with sqlite3.connect(out / "initiatives.gpkg") as db:
        for (trigger,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            db.execute(f'DROP TRIGGER "{trigger}"')  # the R-tree's, which need SpatiaLite's functions
        db.execute("UPDATE initiatives SET descrizione = ?", ["x " * 20_000 + f"scrivere a {ROSSI[0].upper()}"])
    with pytest.raises(OutputError, match=r"^the public file initiatives.gpkg holds a contact"):
        check_public_files(out, names, result, OutputOptions())


ODD_TEXT = "Mario rossi.@-_ 0832/()+\n«»’–\u00a0\u2009ÈèàÀß３٣ＭΣσİ\x00\xff\ufeff€🧸"


@given(st.text(alphabet=st.sampled_from(list(ODD_TEXT)), max_size=40))
@example("Nicolò ROSSI, NICOLÒ Rossi")
def test_the_fast_and_the_positional_canonical_forms_agree(text: str) -> None:
    """found_in (bytes, at C speed) and scrub (per character, with positions) see one text."""
    from mapgen._contact_text import canonical, canonical_with_positions

    words, _, digits, _ = canonical_with_positions(text)
    assert canonical(text.encode("utf-8", errors="replace")) == (words, digits)


@given(st.text(alphabet=st.sampled_from(list(ODD_TEXT + "    ")), max_size=60))
@example("")
@example("   ")
@example(" a  b ")
@example("«»")
def test_the_canonical_form_of_a_file_is_that_of_a_text(text: str) -> None:
    """A file (numpy, past _SMALL bytes) gets the canonical form a short text gets, spaces squeezed alike."""
    from mapgen import _contact_text
    from mapgen._contact_text import canonical, canonical_with_positions

    words, _, digits, _ = canonical_with_positions(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_contact_text, "_SMALL", 0)
        assert canonical(text.encode("utf-8", errors="replace")) == (words, digits)


@given(st.lists(st.text(alphabet=st.sampled_from(list('\\"/\n\t\b\x07u0aé€🧸 ')), max_size=12), max_size=6),
       st.booleans())
@example(["\\", "\\u00e8", '\\"', "é"], False)
def test_json_escapes_are_decoded_into_the_texts_written(texts: list[str], ascii_only: bool) -> None:
    """The file scan reads a JSON file's strings as they were before json.dumps escaped them (a
    character outside the first plane, written as two escapes, is two question marks)."""
    from mapgen.contacts import _json_unescaped

    def as_read(text: str) -> bytes:
        return "".join("??" if ascii_only and ord(c) > 0xFFFF else c for c in text).encode("utf-8")

    data = json.dumps(texts, ensure_ascii=ascii_only).encode("utf-8")
    assert _json_unescaped(data) == b"[" + b", ".join(b'"' + as_read(t) + b'"' for t in texts) + b"]"


@given(st.lists(st.sampled_from([b"\\", b"n", b"u", b"00e8", b'"', b"t", b"a", b"\n", b"0027", b"003c", b"003e",
                                 b"0026"]), max_size=16))
@example([b"\\", b"\\", b"n"])
@example([b"\\", b"n", b"\\", b"\\", b"n"])
@example([b"\\", b"u", b"0027", b"\\", b"\\", b"u", b"003c"])
@example([b"\\", b"u", b"0026", b"a", b"\\", b"u", b"003e"])
def test_the_line_breaks_shortcut_decodes_as_the_expression_alone(parts: list[bytes]) -> None:
    """Line breaks and the preview's HTML-safe escapes (``\\u0027``...) first through
    bytes.replace, then the expression: what the expression alone gives, an escaped backslash
    before an n or a u included (a backslash and a letter, not an escape)."""
    from mapgen.contacts import _JSON_ESCAPE, _json_char, _json_unescaped

    data = b"".join(parts)
    assert _json_unescaped(data) == _JSON_ESCAPE.sub(_json_char, data)


@given(st.text(alphabet=st.sampled_from(list(ODD_TEXT + "    ")), max_size=60), st.integers(1, 9))
@example("", 1)
@example("  Mario  ", 2)
def test_a_file_in_pieces_has_the_canonical_form_of_the_whole(text: str, size: int) -> None:
    """The file scan's pieces, joined, are the two streams of the whole file."""
    from mapgen._contact_text import canonical, canonical_pieces

    data = text.encode("utf-8", errors="replace")
    pieces = list(canonical_pieces(data, size))
    assert ("".join(w for w, _ in pieces), "".join(d for _, d in pieces)) == canonical(data)


_PARTS = [*ROSSI, *BIANCHI, "Mario", "Rossi", "0832", "123456", "1", " ", "  ", "\n", "-", ".", "é", "x", "(", "«"]


@given(st.lists(st.sampled_from(_PARTS), max_size=25), st.integers(1, 12))
@example(["+39 0832 123456", "7"], 3)
@example(["Mario", "  ", "Rossi"], 2)
@example(["333 555 0199"], 4)
def test_a_file_scanned_in_pieces_gives_the_answer_of_the_whole(parts: list[str], size: int) -> None:
    """A contact across two pieces is found; a number that a digit of the next piece continues is not."""
    from mapgen._contact_text import canonical

    guard = ContactGuard.of([*ROSSI, *BIANCHI])
    data = "".join(parts).encode("utf-8")
    assert guard.found_in_file(data, piece=size) == guard.found_in_canonical(*canonical(data))


def test_one_pass_over_many_texts_finds_exactly_the_texts_with_a_contact() -> None:
    guard = ContactGuard.of([*ROSSI, *BIANCHI])
    texts = ["Mario", "Rossi", "Mario Rossi", "tel 0832", "123456", "0832 123456", "x", "", "bianchi@example",
             "example.org"]
    assert guard.suspects(texts) == {"Mario Rossi", "0832 123456"}
    scrub = guard.scrubber(texts)
    assert [scrub(t) for t in texts] == [guard.scrub(t) for t in texts]


def test_a_scan_made_before_protects_as_one_made_then(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """The build scans the records for contacts beside the merge: the same protection as a scan
    made by protect_contacts itself, whether the scan covers all, some or none of the records."""
    from mapgen.build import _run_pipeline
    from mapgen.contacts import ContactScan, protect_contacts

    previous, config = previous_with_other_names(tmp_path)
    answers = survey(tmp_path, HEAD
                     + f'1,2020-09-01,Lecce,Nido,"Scrivere a {BIANCHI[1]} o {BIANCHI[2]}",{",".join(ROSSI)}\n'
                     + f'2,2020-09-01,Bari,Doposcuola,"Referente: {ROSSI[0]}",{",".join(BIANCHI)}\n'
                     + '3,2020-09-01,Lecce,Ludoteca,"Aperta il sabato",,,\n')
    request = BuildRequest(survey=answers, previous=(previous,), config=config)
    result, scan = _run_pipeline(request, gazetteer=gazetteer)
    options = OutputOptions()
    assert len(scan.holding) >= 2  # the two survey records; the layers' texts too
    alone = protect_contacts(result, options)
    assert alone != result  # something to protect
    assert protect_contacts(result, options, scan) == alone
    first = result.initiatives[0].record
    clean = () if scan.holding & {id(first)} else (first,)
    partial = ContactScan(result.contacts, frozenset(), clean, (), frozenset())
    assert protect_contacts(result, options, partial) == alone  # the others scanned then
    other = ContactScan(frozenset({"Laura Verdi"}), frozenset(), scan.records, scan.layers, frozenset())
    assert protect_contacts(result, options, other) == alone  # made for other contacts: not used


def test_a_scan_in_parts_finds_what_one_scan_finds(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """The build splits the records' scan in parts that either process of the merge takes: any
    split, joined, is the scan of all the records (the carried layers' texts in their own part)."""
    import random

    from mapgen.build import _run_pipeline
    from mapgen.contacts import joined_scan, scan_for_contacts, scan_part

    previous, config = previous_with_other_names(tmp_path)
    answers = survey(tmp_path, HEAD
                     + f'1,2020-09-01,Lecce,Nido,"Scrivere a {BIANCHI[1]} o {BIANCHI[2]}",{",".join(ROSSI)}\n'
                     + f'2,2020-09-01,Bari,Doposcuola,"Referente: {ROSSI[0]}",{",".join(BIANCHI)}\n'
                     + '3,2020-09-01,Lecce,Ludoteca,"Aperta il sabato",,,\n')
    result, _scan = _run_pipeline(BuildRequest(survey=answers, previous=(previous,), config=config),
                                  gazetteer=gazetteer)
    records = [r for i in result.initiatives for r in i.records]
    layers = list(result.carried_layers)
    whole = scan_for_contacts(result.contacts, records, layers)
    assert whole.holding and whole.held  # something found, in records and in the layers' texts
    rng = random.Random(28)
    for _ in range(20):
        cuts = sorted(rng.sample(range(len(records) + 2), rng.randrange(1, 5)))
        spans = list(zip([0, *cuts], [*cuts, len(records) + 1], strict=True))
        taken = rng.sample(spans, rng.randrange(len(spans) + 1))
        parts = [scan_part(result.contacts, records, layers, taken),
                 scan_part(result.contacts, records, layers, [s for s in spans if s not in taken])]
        joined = joined_scan(result.contacts, records, layers, parts)
        assert (joined.held, joined.holding) == (whole.held, whole.holding)
    held_in_layers = scan_part(result.contacts, records, layers, [(len(records), len(records) + 1)]).held
    assert held_in_layers  # the previous map's carried layer holds a contact of its own


# --- issue 28: a layer's file is checked as part of the map that holds it ------------------------


def test_a_layer_file_is_checked_as_part_of_the_map_unless_it_differs(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """Each layer's file is a part of map.umap as written, so the map's check covers it; a
    layer file that is not a part of it (changed after, or written otherwise) is scanned."""
    from mapgen.contacts import _parts_of_maps

    path = survey(tmp_path, HEAD + f"1,2020-09-01,Lecce,Nido,,{','.join(ROSSI)}\n")
    result = run_pipeline(BuildRequest(survey=path), gazetteer=gazetteer)
    out = tmp_path / "out"
    write_outputs(result, out, gazetteer=gazetteer, options=OutputOptions())
    names = [p.relative_to(out) for p in out.rglob("*") if p.is_file()]
    layers = [name for name in names if name.parts[0] == "layers"]
    assert layers and _parts_of_maps(out, names) == set(layers)
    assert _parts_of_maps(out, layers) == set()  # no map among the names: no part of one
    check_public_files(out, names, result, OutputOptions())

    layer = layers[0]  # the same up to its last brace, then a contact
    written = (out / layer).read_bytes().rstrip()
    (out / layer).write_bytes(written[:-1] + f',"nota":"Scrivere a {ROSSI[1]}"}}\n'.encode())
    assert layer not in _parts_of_maps(out, names)
    with pytest.raises(OutputError, match=rf"^the public file {re.escape(str(layer))} holds"):
        check_public_files(out, names, result, OutputOptions())


_JSON_TEXTS = st.lists(st.sampled_from([*ROSSI, *BIANCHI, "Mario", "Rossi", "0832", "123456", "7", "\\", '"', "\n",
                                        "&amp;", "&#77;", "<", "é", "{", "}", " "]), max_size=6).map("".join)


@given(st.lists(_JSON_TEXTS, max_size=4), st.lists(_JSON_TEXTS, max_size=4), st.lists(_JSON_TEXTS, max_size=4),
       st.booleans())
@example([ROSSI[1]], [], [], False)
@example(["0832"], ["123456"], ["7"], True)
def test_a_part_of_a_clean_map_is_clean(before: list[str], part: list[str], after: list[str], ascii_only: bool
                                        ) -> None:
    """What the shortcut rests on: a contact found in a JSON object is found in any file that
    holds the object as it is, whatever the texts around it and however they are escaped."""
    import tempfile

    from mapgen.contacts import _parts_of_maps, _public_bytes

    guard = ContactGuard.of([*ROSSI, *BIANCHI])

    def dumped(value: object) -> bytes:
        return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")

    layer = dumped({"texts": part})
    whole = b'{"before":' + dumped(before) + b',"layers":[' + layer + b'],"after":' + dumped(after) + b"}"
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "a.geojson").write_bytes(layer + b"\n")
        (Path(folder) / "map.umap").write_bytes(whole)
        names = [Path("a.geojson"), Path("map.umap")]
        assert _parts_of_maps(Path(folder), names) == {Path("a.geojson")}
        if guard.found_in_file(_public_bytes(Path(folder) / "a.geojson")):
            assert guard.found_in_file(_public_bytes(Path(folder) / "map.umap"))
