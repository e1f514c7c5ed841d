"""The package layout: the pipeline shows in the folders, and no module imports itself in a circle.

Every import counts, wherever it is written: at the top, inside a function (lazy imports) and under
``TYPE_CHECKING``, because each of them ties the two modules together for a reader of the code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "mapgen"
PIPELINE_PACKAGES = ("readers", "geocoders", "corrections", "writers", "gazetteer")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "_vendor" not in p.parts}


def imported_names(path: Path, modules: dict[str, Path], *, this: str | None = None) -> Iterator[str]:
    """The mapgen modules a file imports, resolved to modules (a name from a package is its __init__).

    ``this`` is the file's module name when the file is not inside ``mapgen/`` (a test's probe).
    """
    this = this or module_name(path)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    yield f"{base}.{alias.name}"
                elif base in modules:
                    yield base


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {name: set(imported_names(path, modules)) - {name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_in_mapgen() -> None:
    assert cycles(import_graph()) == []


def test_cycle_finder_finds_a_cycle() -> None:
    # The check above can fail: a circle through three modules, and one through a lazy import.
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_lazy_and_type_checking_imports_count(tmp_path: Path) -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from mapgen.config import Config\n"
        "def f():\n    from mapgen.readers import survey\n"
    )
    # The probe is written outside the package: a test never writes into mapgen/.
    path = tmp_path / "_probe_for_test.py"
    path.write_text(source + "from . import _columns\n", encoding="utf-8")
    name = "mapgen.readers._probe_for_test"
    found = set(imported_names(path, all_modules() | {name: path}, this=name))
    assert found == {"mapgen.config", "mapgen.readers.survey", "mapgen.readers._columns"}


def test_mapping_model_does_not_import_the_draft() -> None:
    assert not {m for m in import_graph()["mapgen.config"] if m.startswith("mapgen.readers")}


def test_top_level_holds_at_most_15_modules() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 15, top


@pytest.mark.parametrize("package", PIPELINE_PACKAGES)
def test_each_pipeline_step_is_a_package(package: str) -> None:
    assert (PACKAGE / package / "__init__.py").is_file()


#: Pipeline order; shared modules (model, errors, text, config, gazetteer, umap, ...) have no rank.
STEP_RANK = {"mapgen.readers": 1, "mapgen.geocoders": 2, "mapgen.corrections": 3, "mapgen.merge": 4,
             "mapgen.writers": 5, "mapgen.publish": 6}


def step(module: str) -> int | None:
    ranks = (rank for prefix, rank in STEP_RANK.items() if module == prefix or module.startswith(prefix + "."))
    return next(ranks, None)


def test_no_step_imports_a_later_step() -> None:
    backwards = [
        (module, imported)
        for module, imports in import_graph().items()
        for imported in imports
        if (a := step(module)) is not None and (b := step(imported)) is not None and b > a
    ]
    assert backwards == []


def test_private_modules_stay_inside_their_package() -> None:
    outside = [
        (module, imported)
        for module, imports in import_graph().items()
        for imported in imports
        if imported.rpartition(".")[2].startswith("_")
        and imported.count(".") > 1
        and not module.startswith(imported.rpartition(".")[0])
    ]
    assert outside == []


#: What the shared uMap-format package may import: other shared modules only, never a step.
UMAP_MAY_IMPORT = {"mapgen.model", "mapgen.errors", "mapgen.text", "mapgen.contacts", "mapgen._resources",
                   "mapgen.i18n"}


def in_package(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_umap_format_package_is_shared() -> None:
    """``mapgen.umap`` (uMap's file format and text rules) imports only shared modules."""
    outside = {
        (module, imported)
        for module, imports in import_graph().items()
        if in_package(module, "mapgen.umap")
        for imported in imports
        if not in_package(imported, "mapgen.umap") and imported not in UMAP_MAY_IMPORT
    }
    assert outside == set()


def test_the_umap_format_package_is_used_by_readers_writers_and_publish() -> None:
    users = {
        module.split(".")[1]
        for module, imports in import_graph().items()
        if any(in_package(i, "mapgen.umap") for i in imports) and not in_package(module, "mapgen.umap")
    }
    assert {"readers", "writers", "publish"} <= users


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [("mapgen.writers", "mapgen.readers"), ("mapgen.publish", "mapgen.writers"), ("mapgen.publish", "mapgen.readers")],
)
def test_steps_share_the_umap_format_not_each_other(package: str, forbidden: str) -> None:
    """What two steps both need of uMap's format lives in ``mapgen.umap``, not in one of them."""
    found = {
        (module, imported)
        for module, imports in import_graph().items()
        if in_package(module, package)
        for imported in imports
        if in_package(imported, forbidden)
    }
    assert found == set()


def in_cli(module: str) -> bool:
    return module == "mapgen.cli" or module.startswith("mapgen.cli.")


def test_nothing_imports_the_cli() -> None:
    # The command line is the top: it may import every package, and only ``python -m mapgen`` imports it.
    importers = [
        (module, imported)
        for module, imports in import_graph().items()
        for imported in imports
        if in_cli(imported) and not in_cli(module) and module != "mapgen.__main__"
    ]
    assert importers == []


def test_the_cli_is_one_module_per_command() -> None:
    from mapgen.cli import app

    commands = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
    missing = [name for name in commands if not (PACKAGE / "cli" / f"{str(name).replace('-', '_')}.py").is_file()]
    assert commands and missing == []


def test_command_modules_share_only_the_common_module() -> None:
    # Each command stands alone: what two commands need is in cli/_common.py or in the library.
    graph = import_graph()
    commands = [m for m in graph if m.startswith("mapgen.cli.") and m != "mapgen.cli._common"]
    crossing = [(m, i) for m in commands for i in graph[m] if in_cli(i) and i != "mapgen.cli._common"]
    assert commands and crossing == []


def test_corrections_sit_between_geocoding_and_merging() -> None:
    """A person's corrections read their file (readers) and feed the merge; they never reach forward."""
    graph = import_graph()
    imported = {m for module, imports in graph.items() if step(module) == 3 for m in imports}
    assert not {m for m in imported if m.split(".")[:2] in (["mapgen", "merge"], ["mapgen", "writers"],
                                                             ["mapgen", "build"], ["mapgen", "cli"])}
    assert "mapgen.corrections" in graph["mapgen.build"]  # the build applies them, between the two steps
