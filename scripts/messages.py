"""Keep the message catalogue in step with the code: extract, merge into the .po, compile the .mo.

    python scripts/messages.py           # after changing a message in mapgen/
    python scripts/messages.py --check   # exit 1 when the .po or .mo is behind the code

Babel (a development tool, ``[dependency-groups] dev`` and the ``test`` extra) extracts every
``_()``, ``ngettext()``, ``pgettext()``, ``_l()``, ``_lc()`` and ``_lp()`` of ``mapgen/`` into
``mapgen/locale/it/LC_MESSAGES/mapgen.po``: new messages arrive with an empty translation to fill,
messages gone from the code are dropped, translations are kept. It then compiles ``mapgen.mo``,
which ships in the wheel and which :mod:`mapgen.i18n` reads with the standard library.
"""

from __future__ import annotations

import argparse
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mapgen"
PO = PACKAGE / "locale" / "it" / "LC_MESSAGES" / "mapgen.po"
MO = PO.with_suffix(".mo")
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
HEADER = """\
# Italian messages of mapgen: every sentence a person reads at the terminal and in the report.
# msgid is the English text in the code; keep each {placeholder} of the msgid in the msgstr.
# Update with `python scripts/messages.py` (extracts from mapgen/, keeps translations, compiles .mo)."""
KEYWORDS = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "_l": None, "_lc": ((1, "c"), 2), "_lp": (1, 2)}


def extract() -> Catalog:
    """Every message of the code, with where it is used."""
    template = Catalog(project="mapgen", fuzzy=False, creation_date=FIXED_DATE)  # no churn in the header
    found = extract_from_dir(str(PACKAGE), method_map=[("_vendor/**", "ignore"), ("**.py", "python")],
                             keywords=KEYWORDS, comment_tags=("TRANSLATORS:",), strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        template.add(message, locations=[(f"mapgen/{filename}", lineno)], auto_comments=comments,
                     context=context)
    return template


def read_catalogue() -> Catalog:
    with PO.open("rb") as file:
        return read_po(file, locale="it", domain="mapgen")


def updated() -> Catalog:
    """The .po merged with what the code uses now."""
    if PO.exists():
        catalogue = read_catalogue()
    else:
        catalogue = Catalog(locale="it", domain="mapgen", creation_date=FIXED_DATE, revision_date=FIXED_DATE)
    catalogue.update(extract(), no_fuzzy_matching=True)
    catalogue.obsolete.clear()
    # gettext's two Italian forms (CLDR's third, for round millions, is not worth a translation).
    catalogue._num_plurals, catalogue._plural_expr = 2, "(n != 1)"
    catalogue.fuzzy = False
    catalogue.header_comment = HEADER
    catalogue.project, catalogue.version = "mapgen", ""
    catalogue.copyright_holder = catalogue.last_translator = catalogue.language_team = "mapgen developers"
    catalogue.msgid_bugs_address = ""
    return catalogue


def po_bytes(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_po(out, catalogue, width=100, omit_header=False, sort_output=False, include_previous=False,
             include_lineno=False,  # code moving does not touch the catalogue
             ignore_obsolete=True)
    return out.getvalue()


def mo_bytes(catalogue: Catalog) -> bytes:
    out = io.BytesIO()
    write_mo(out, catalogue, use_fuzzy=False)
    return out.getvalue()


def translated(message: Message) -> bool:
    """True when every form of the message has its translation."""
    forms = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
    return all(forms)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only say whether the .po and .mo are current")
    args = parser.parse_args()
    catalogue = updated()
    po, mo = po_bytes(catalogue), mo_bytes(catalogue)
    if args.check:
        stale = [p.name for p, data in ((PO, po), (MO, mo)) if not p.exists() or p.read_bytes() != data]
        print(f"behind the code: {', '.join(stale)}" if stale else "catalogue current")
        return 1 if stale else 0
    PO.parent.mkdir(parents=True, exist_ok=True)
    PO.write_bytes(po)
    MO.write_bytes(mo)
    missing = [m.id for m in catalogue if m.id and not translated(m)]
    print(f"{PO.relative_to(ROOT)}: {len(catalogue)} messages, {len(missing)} without a translation")
    return 0


if __name__ == "__main__":
    sys.exit(main())
