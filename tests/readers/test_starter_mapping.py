"""The starter mapping's reference to the survey structure file, as Windows paths give it (issue 27).

``ntpath`` stands in for ``os.path`` on Windows.
"""

from __future__ import annotations

import ntpath
import tomllib

import pytest

from mapgen.readers.starter_mapping import structure_reference


@pytest.mark.parametrize(
    ("structure", "folder", "written"),
    [
        ("C:\\Users\\anna\\mappa\\questionario.lss", "C:\\Users\\anna\\mappa", "questionario.lss"),
        ("C:\\Users\\anna\\dati\\questionario.lss", "C:\\Users\\anna\\mappa", "../dati/questionario.lss"),
        ("D:\\dati\\questionario.lss", "C:\\Users\\anna\\mappa", "D:/dati/questionario.lss"),
    ],
    ids=["same-folder", "same-drive", "other-drive"],
)
def test_the_mapping_names_the_structure_with_slashes_on_windows(structure: str, folder: str, written: str) -> None:
    """On another drive there is no relative path (relpath raised ValueError: an internal error)."""
    found = structure_reference(structure, folder, paths=ntpath)
    assert found == written
    assert tomllib.loads(f'structure = "{found}"')["structure"] == written  # no escape needed in TOML
