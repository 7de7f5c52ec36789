"""Which Python versions retrowalk supports, checked before anything is installed or imported.

Run as a script (``python3 analysis/check_python.py``) it needs nothing but the standard
library, so the README's Quick start can say plainly why an unsupported Python will not do,
before pip fails on a pinned package. ``analysis/__init__.py`` runs the same check on import.
The range must equal ``requires-python`` in ``pyproject.toml`` (a test holds them together).
"""

from __future__ import annotations

import sys

OLDEST = (3, 11, 2)  # Debian 12's python3
NEWEST_MINOR = (3, 12)
REQUIRES_PYTHON = ">=3.11.2,<3.13"


def problem(version: tuple[int, ...]) -> str | None:
    """Why ``version`` is not supported, or None when it is.

    Examples
    --------
    >>> problem((3, 11, 2)) is None
    True
    >>> print(problem((3, 11, 1)))
    retrowalk needs Python 3.11.2 to 3.12.x; this is Python 3.11.1. ...
    """
    v = tuple(version[:3])
    if OLDEST <= v and v[:2] <= NEWEST_MINOR:
        return None
    found = ".".join(str(x) for x in v)
    return (
        f"retrowalk needs Python {'.'.join(map(str, OLDEST))} to "
        f"{'.'.join(map(str, NEWEST_MINOR))}.x; this is Python {found}. "
        "Create the environment with a supported interpreter, e.g. "
        "'python3.11 -m venv .venv' (see README, Quick start)."
    )


def check() -> None:
    """Raise ``RuntimeError`` with a plain message on an unsupported Python."""
    msg = problem(sys.version_info)
    if msg:
        raise RuntimeError(msg)


if __name__ == "__main__":
    msg = problem(sys.version_info)
    if msg:
        print(msg, file=sys.stderr)
        sys.exit(1)
    print(f"Python {sys.version.split()[0]}: supported")
