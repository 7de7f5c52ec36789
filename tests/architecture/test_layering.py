"""The package layout follows the data flow: a stage imports only the stages before it and
the core, and nothing imports in a cycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.core.sources import PACKAGE_DIR, imported_modules

# raw -> tidy -> EMG -> joint kinematics -> outcomes -> models -> report; the core is below
# every stage
STAGES = ["core", "ingest", "emg", "kinematics", "outcomes", "models", "report"]
# tools at the top of the package, not stages: they may use any stage
TOOLS = {"analysis.__main__", "analysis.simulate", "analysis.check_python"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module(p): p for p in sorted(PACKAGE_DIR.rglob("*.py"))}


def _stage(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) < 2 or parts[1] not in STAGES:
        return None
    return STAGES.index(parts[1])


def test_every_module_belongs_to_a_stage_or_is_a_tool():
    loose = [m for m in MODULES if _stage(m) is None and m not in TOOLS and m != "analysis"]
    assert loose == []


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _stage(m) is not None))
def test_imports_follow_the_flow(module):
    own = _stage(module)
    against = sorted(
        dep
        for dep in imported_modules(MODULES[module])
        if dep != "analysis" and (_stage(dep) is None or _stage(dep) > own)
    )
    assert against == [], f"{module} imports against the data flow: {against}"


def test_package_init_imports_only_the_core():
    deps = imported_modules(MODULES["analysis"]) - {"analysis"}
    assert all(d.startswith("analysis.core") or d in TOOLS for d in deps), deps


def _cycles() -> list[list[str]]:
    graph = {m: sorted(imported_modules(p) - {m}) for m, p in MODULES.items()}
    # a package's __init__ re-exporting its submodules is not a cycle of the code
    graph = {m: [d for d in deps if not m.startswith(d + ".")] for m, deps in graph.items()}
    cycles, state, stack = [], {}, []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in graph.get(m, []):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d) :] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m)
    return cycles


def test_no_import_cycles():
    assert _cycles() == []


def test_the_check_detects_a_backward_import(tmp_path):
    """The layering check itself: a core module that imports a later stage is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from analysis.report.figures import style\n")
    deps = imported_modules(bad)
    assert "analysis.report.figures.style" in deps
    assert max(_stage(d) or 0 for d in deps) > STAGES.index("core")
