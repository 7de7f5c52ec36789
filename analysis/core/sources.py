"""Which source files of this package a script runs, found from its import statements.

The workflow lists them as inputs of each rule, so that editing a module reruns exactly the
rules whose scripts import it (directly or through other modules of the package). Snakemake
itself only notices edits to the rule's own script.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = "analysis"
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def _module_file(module: str, root: Path = PACKAGE_DIR.parent) -> Path | None:
    """The file that defines ``module`` (a package's ``__init__.py``) under ``root``, if it is
    in the package."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(PACKAGE, *parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _with_parents(module: str) -> list[str]:
    """Importing ``a.b.c`` runs ``a``, ``a.b`` and ``a.b.c``."""
    parts = module.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _package_of(file: Path, root: Path) -> str:
    rel = file.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(file: str | Path, root: str | Path = PACKAGE_DIR.parent) -> set[str]:
    """The package's modules that the import statements of ``file`` name directly.

    ``from analysis.x import y`` counts ``analysis.x.y`` when ``y`` is a submodule.
    Relative imports are resolved against the file's own package. ``root`` is the folder that
    holds the package (default: the one this module was imported from).
    """
    file, root = Path(file).resolve(), Path(root).resolve()
    tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = _package_of(file, root)
                is_pkg = file.name == "__init__.py"
                anchor = pkg.split(".")[: len(pkg.split(".")) - node.level + (1 if is_pkg else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            for mod in _with_parents(name):
                if _module_file(mod, root) is not None:
                    found.add(mod)
    return found


@cache
def _closure(module: str, root: Path) -> frozenset[str]:
    seen: set[str] = set()
    todo = [module]
    while todo:
        mod = todo.pop()
        if mod in seen:
            continue
        seen.add(mod)
        path = _module_file(mod, root)
        if path is not None:
            todo.extend(imported_modules(path, root) - seen)
    return frozenset(seen)


def script_sources(
    script: str | Path,
    relative_to: str | Path | None = None,
    root: str | Path | None = None,
) -> list[str]:
    """Every package source file that running ``script`` imports, sorted.

    Parameters
    ----------
    script : path
        A Python file (e.g. a workflow script).
    relative_to : path, optional
        Give the paths relative to this folder (e.g. the workflow's working directory).
    root : path, optional
        The folder holding the package whose modules count (default: ``relative_to`` when it
        holds an ``analysis`` package, else the one this module was imported from).

    Examples
    --------
    >>> files = script_sources(PACKAGE_DIR / "outcomes" / "__init__.py", PACKAGE_DIR.parent)
    >>> "analysis/__init__.py" in files and "analysis/outcomes/table.py" in files
    True
    """
    if root is None:
        here = Path(relative_to) if relative_to is not None else None
        root = here if here is not None and (here / PACKAGE).is_dir() else PACKAGE_DIR.parent
    root = Path(root).resolve()
    mods: set[str] = set()
    for mod in imported_modules(script, root):
        mods |= _closure(mod, root)
    files = {_module_file(m, root) for m in mods} - {None}
    if relative_to is None:
        return sorted(str(f) for f in files)
    base = Path(relative_to).resolve()
    return sorted(str(f.relative_to(base)) if f.is_relative_to(base) else str(f) for f in files)
