"""A row of the contrast table as a :class:`Contrast`, read from its level columns.

The models stage writes every contrast's levels in columns (see :mod:`analysis.models.emmeans`):
``contrast_factor``, ``contrast_level``, ``contrast_reference``, ``at_factor``, ``at_level`` and,
for interactions, ``factor``, ``level``, ``reference``. The ``contrast`` label is for display
only and is never read here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from analysis.models.emmeans import BACKWARD, FORWARD, contrast_label

__all__ = ["Contrast", "read_contrast"]


@dataclass(frozen=True)
class Contrast:
    """One contrast: ``level - reference`` of ``factor``, overall, within a level of another
    factor (``at_factor`` = ``at_level``), or as the change of that difference from
    ``by_reference`` to ``by_level`` of ``by_factor`` (an interaction)."""

    kind: str
    factor: str
    level: str
    reference: str
    at_factor: str | None = None
    at_level: str | None = None
    by_factor: str | None = None
    by_level: str | None = None
    by_reference: str | None = None

    @property
    def is_direction(self) -> bool:
        """Whether this compares backward with forward walking (within any condition)."""
        return self.factor == "direction"

    @property
    def condition(self) -> tuple[tuple[str, str], ...]:
        """``((at_factor, at_level),)`` within a level of another factor, else empty."""
        if self.at_factor is None or self.at_level is None:
            return ()
        return ((self.at_factor, self.at_level),)

    @property
    def pair(self) -> str:
        """``level − reference`` with a true minus sign."""
        return f"{self.level} − {self.reference}"

    @property
    def columns(self) -> tuple[str | None, ...]:
        """The values of the level columns, in the order of
        ``analysis.models.emmeans.LEVEL_COLUMNS + BY_COLUMNS``."""
        return (
            self.factor,
            self.level,
            self.reference,
            self.at_factor,
            self.at_level,
            self.by_factor,
            self.by_level,
            self.by_reference,
        )

    @property
    def models_label(self) -> str:
        """The label the models stage writes (:func:`analysis.models.emmeans.contrast_label`)."""
        at = self.condition[0] if self.condition else None
        by = (
            (self.by_factor, self.by_level, self.by_reference)
            if self.kind == "interaction"
            else None
        )
        return contrast_label(self.level, self.reference, at, by)

    @property
    def label(self) -> str:
        """Display label: ``a − b``, ``a − b | session post`` or ``(a − b): post − baseline``.

        Examples
        --------
        >>> Contrast("simple", "direction", "backward", "forward", "session", "post").label
        'backward − forward | session post'
        >>> Contrast("interaction", "direction", "backward", "forward",
        ...          by_factor="session", by_level="post", by_reference="baseline").label
        '(backward − forward): post − baseline'
        """
        if self.kind == "interaction":
            return f"({self.pair}): {self.by_level} − {self.by_reference}"
        if self.condition:
            return f"{self.pair} | " + ", ".join(f"{k} {v}" for k, v in self.condition)
        return self.pair


def _text(row: Mapping, col: str) -> str | None:
    value = row.get(col)
    return None if value is None else str(value)


def read_contrast(row: Mapping) -> Contrast:
    """The contrast of one contrast-table row, from its level columns.

    Parameters
    ----------
    row : mapping
        One row as a dict. Without ``contrast_factor``, ``contrast_level`` and
        ``contrast_reference`` it is backward − forward walking; ``contrast_type`` (``main``,
        ``simple``, ``interaction``) defaults to what the ``at_*`` and ``factor``, ``level``,
        ``reference`` columns hold.

    Examples
    --------
    >>> read_contrast({"contrast_factor": "session", "contrast_level": "post",
    ...                "contrast_reference": "baseline", "at_factor": "group",
    ...                "at_level": "retro"}).label
    'post − baseline | group retro'
    >>> c = read_contrast({"contrast_type": "interaction", "factor": "session",
    ...                    "level": "post", "reference": "baseline"})
    >>> c.kind, c.factor, c.by_factor, c.label
    ('interaction', 'direction', 'session', '(backward − forward): post − baseline')
    """
    level = _text(row, "contrast_level") or BACKWARD
    reference = _text(row, "contrast_reference") or FORWARD
    factor = _text(row, "contrast_factor") or "direction"
    at_factor, at_level = _text(row, "at_factor"), _text(row, "at_level")
    by_factor = _text(row, "factor")
    by = (by_factor, _text(row, "level"), _text(row, "reference")) if by_factor else (None,) * 3
    kind = row.get("contrast_type") or (
        "interaction" if by_factor else "simple" if at_factor else "main"
    )
    if kind != "interaction":
        by = (None,) * 3
    return Contrast(kind, factor, level, reference, at_factor, at_level, *by)
