"""The package's stages import one way: CLI and desk → delivery → engine → content → base."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "leaflets"

#: Each stage, and the stages it may import from. The base modules at the top
#: of the package (configuration, workspace, i18n, exceptions, files) import
#: no stage at all.
LAYERS: dict[str, set[str]] = {
    "base": set(),
    "content": {"base"},
    "importers": {"content", "base"},
    "engine": {"content", "base"},
    "delivery": {"engine", "content", "base"},
    "desk": {"delivery", "engine", "content", "base"},
    "cli": {"desk", "delivery", "engine", "content", "importers", "base"},
}


def module_name(path: Path) -> str:
    """Return the dotted module name of a file in the package."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage_of(module: str) -> str:
    """Return the stage a module belongs to (its subpackage, or base)."""
    parts = module.split(".")
    if module == "leaflets.__main__":
        return "cli"
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    return "base"


def imports_of(path: Path) -> set[str]:
    """Return every leaflets module that *path* imports, at any depth of its code."""
    module = module_name(path)
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "leaflets":
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "leaflets")
    found.discard(module)
    return {name for name in found if name in MODULES}


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}
#: The package's own __init__ imports its public API lazily, by name.
GRAPH = {name: imports_of(path) for name, path in MODULES.items() if name != "leaflets"}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_run_one_way(module: str) -> None:
    stage = stage_of(module)
    wrong = sorted(
        target
        for target in GRAPH[module]
        if (target_stage := stage_of(target)) != stage and target_stage not in LAYERS[stage]
    )
    assert wrong == [], f"{module} ({stage}) must not import {wrong}"


def test_no_import_circles() -> None:
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(GRAPH.get(name, ())):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert circles == []


#: What the stages above the engine may import from it: only the Library, the
#: one way in to an open workspace (it takes the build lock, in one place).
#: `leaflets doctor` checks the set-up before any workspace can be opened.
ONE_WAY_IN = {"leaflets.engine.library"}
ONE_WAY_IN_EXCEPTIONS = {"leaflets.cli.setup": {"leaflets.engine.doctor"}}


@pytest.mark.parametrize(
    "module", sorted(name for name in GRAPH if stage_of(name) in ("cli", "desk", "delivery"))
)
def test_desk_delivery_and_cli_reach_the_engine_only_through_the_library(module: str) -> None:
    allowed = ONE_WAY_IN | ONE_WAY_IN_EXCEPTIONS.get(module, set())
    reached = sorted(
        target for target in GRAPH[module] if stage_of(target) == "engine" and target not in allowed
    )
    assert reached == [], f"{module} must use leaflets.engine.library, not {reached}"


def imported_names(path: Path) -> set[str]:
    """Return the names *path* imports from leaflets.output (the lock lives there)."""
    return {
        alias.name
        for node in ast.walk(ast.parse(path.read_text("utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("output")
        for alias in node.names
    }


@pytest.mark.parametrize(
    "module", sorted(name for name in GRAPH if stage_of(name) in ("cli", "desk", "delivery"))
)
def test_only_the_library_takes_the_build_lock(module: str) -> None:
    assert "locked_folder" not in imported_names(MODULES[module])
